"""Imports: a preview first, every bad row with its line, then all or nothing; bad files refused."""

import html
import io
import re
import zipfile
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import time_machine
from sqlalchemy import select

from tests.conftest import csrf_token, login, post_form
from tests.factories import (
    make_commitment,
    make_incentive,
    make_milestone,
    make_obligation,
    make_partner,
    make_region,
    make_user,
)
from tests.helpers import count_rows
from tracker.clusters import operations as cluster_operations
from tracker.commitments.models import Milestone
from tracker.core.models import AuditEvent
from tracker.core.types import today
from tracker.extensions import db
from tracker.incentives.models import Incentive, IncentiveStatusChange
from tracker.partners.models import Contact, Partner
from tracker.partners.operations import BAD_PHONE as PHONE_MESSAGE
from tracker.reports import imports

TOKEN_RE = re.compile(r'name="token" type="hidden" value="([^"]+)"')
PARTNER_HEADER = ["Name", "Country", "Kind", "Status", "Cadence (days)", "Next planned engagement"]


@pytest.fixture(autouse=True)
def _pending_uploads(app, tmp_path):
    """Uploads waiting for confirmation go to a temporary folder, not the instance folder."""
    app.config["IMPORT_PENDING_DIR"] = str(tmp_path / "pending")
    yield
    del app.config["IMPORT_PENDING_DIR"]


def _csv(header: list[str], rows: list[list]) -> bytes:
    frame = pd.DataFrame(rows, columns=header, dtype=object)
    return frame.to_csv(index=False).encode("utf-8")


def _xlsx(header: list[str], rows: list[list]) -> bytes:
    buffer = io.BytesIO()
    pd.DataFrame(rows, columns=header, dtype=object).to_excel(buffer, index=False)
    return buffer.getvalue()


def _upload(client, kind: str, filename: str, content: bytes):
    token = csrf_token(client, "/import")
    return client.post(
        "/import",
        data={"kind": kind, "file": (io.BytesIO(content), filename), "csrf_token": token},
        content_type="multipart/form-data",
    )


def _confirm(client, preview_html: str):
    token = TOKEN_RE.search(preview_html)
    assert token, "no Confirm form on the preview"
    return client.post(
        "/import/confirm",
        data={"token": token.group(1), "csrf_token": csrf_token(client, "/import")},
    )


def _partner_rows(n: int, existing: list[Partner]) -> list[list]:
    """`n` rows: the existing partners first (with a new cadence), then new agencies."""
    rows = []
    for i in range(n):
        if i < len(existing):
            partner = existing[i]
            rows.append([partner.name.upper(), partner.country_code, "Economic agency", "", 45, ""])
        else:
            rows.append([f"Agency {i:03d}", "SK", "Cluster alliance", "prospect", "", "2027-02-01"])
    return rows


# --- The hundred-row file -------------------------------------------------------------------


def test_three_bad_rows_among_a_hundred_are_all_reported_and_nothing_is_written(
    manager_client,
):
    existing = [make_partner(f"Existing {i}", cadence_days=30) for i in range(10)]
    db.session.commit()
    rows = _partner_rows(100, existing)
    rows[14][1] = "XX"  # line 16: not a country
    rows[56][4] = "often"  # line 58: not a number
    rows[98][2] = "Spaceport"  # line 100: not a kind of partner
    before = (count_rows(Partner), count_rows(AuditEvent))

    response = _upload(manager_client, "partners", "partners.csv", _csv(PARTNER_HEADER, rows))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "3 rows cannot be imported" in html
    table = html[html.index("import-error-table") : html.index("</table>")]
    errors = re.findall(r'<tr><td class="num">(\d+)</td><td>([^<]*)</td>', table)
    assert errors == [
        ("16", "Agency 014 (?)"),
        ("58", "Agency 056 (SK)"),
        ("100", "Agency 098 (SK)"),
    ]
    assert "Country: “XX” is not an ISO country code" in html
    assert "Cadence (days): “often” is not a whole number" in html
    assert "Kind: “Spaceport” is not one of" in html
    assert "Confirm import" not in html
    assert not TOKEN_RE.search(html)
    assert (count_rows(Partner), count_rows(AuditEvent)) == before

    # The same file fixed: creates and updates exactly as previewed.
    rows[14][1], rows[56][4], rows[98][2] = "SK", 60, "Cluster alliance"
    response = _upload(manager_client, "partners", "partners.csv", _csv(PARTNER_HEADER, rows))
    html = response.get_data(as_text=True)
    assert "To create (90)" in html and "To update (10)" in html
    assert "cannot be imported" not in html
    assert re.search(r"Cadence \(days\)</em>: <del>30</del> → <ins>45</ins>", html)
    assert count_rows(Partner) == 10  # still nothing written

    response = _confirm(manager_client, html)
    assert response.status_code == 302
    assert response.headers["Location"] == "/partners"
    assert count_rows(Partner) == 100
    for partner in existing:
        db.session.refresh(partner)
        assert partner.cadence_days == 45
        assert partner.name.startswith("Existing")  # matched, not renamed or duplicated
    agency = db.session.scalar(select(Partner).where(Partner.name == "Agency 056"))
    assert agency.cadence_days == 60 and agency.status == "prospect"
    assert agency.next_engagement_on == date(2027, 2, 1) and agency.country_code == "SK"
    events = db.session.scalars(select(AuditEvent)).all()
    assert sum(e.action == "create" for e in events) == 90
    updates = [e for e in events if e.action == "update"]
    assert len(updates) == 10
    assert all(e.user_id == manager_client.user.id for e in events)
    assert updates[0].stored_change("cadence_days") == (30, 45)
    assert updates[0].change_list[0]["label"] == "Engagement cadence (days)"
    flashed = manager_client.get("/partners").get_data(as_text=True)
    assert "90 partners created, 10 updated, 0 unchanged" in flashed


def test_reimporting_the_same_file_changes_nothing(manager_client):
    rows = [["Agency A", "HU", "Economic agency", "", 30, "2027-01-01"]]
    html = _upload(manager_client, "partners", "a.csv", _csv(PARTNER_HEADER, rows)).get_data(
        as_text=True
    )
    _confirm(manager_client, html)
    html = _upload(manager_client, "partners", "a.csv", _csv(PARTNER_HEADER, rows)).get_data(
        as_text=True
    )
    assert "Unchanged (1)" in html
    assert count_rows(Partner) == 1


def test_natural_key_updates_instead_of_duplicating(app):
    make_partner("CzechInvest", country_code="CZ", website="https://old.example")
    db.session.commit()
    content = _csv(
        ["Name", "Country", "Kind", "Website"],
        [
            ["czechinvest", "cz", "Economic agency", "https://www.czechinvest.org"],
            ["CzechInvest", "SK", "Economic agency", ""],  # same name, another country: new
        ],
    )
    preview = imports.parse_upload("partners", "p.csv", content)
    assert preview.ok, preview.errors
    assert [p.action for p in preview.plans] == ["update", "create"]
    assert [(c.header, c.old, c.new) for c in preview.plans[0].changes] == [
        ("Website", "https://old.example", "https://www.czechinvest.org")
    ]
    imports.apply(preview)
    names = db.session.execute(select(Partner.name, Partner.country_code)).all()
    assert sorted(names) == [("CzechInvest", "CZ"), ("CzechInvest", "SK")]
    from tracker.core import derived

    assert derived.differences() == []  # derived once, for the whole file
    from tracker.core.models import AuditEvent

    update = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "update"))
    assert update.summary == "Updated partner CzechInvest"
    assert update.stored_change("website") == ("https://old.example", "https://www.czechinvest.org")


# --- CSV and XLSX -----------------------------------------------------------------------------


def test_xlsx_with_real_dates_and_numbers_gives_the_same_preview_as_csv(app):
    region = make_region("Győr–Moson–Sopron", "HU")
    owner = make_user("manager", email="ana@example.com")
    db.session.commit()
    header = [*PARTNER_HEADER, "Region", "Owner"]
    rows = [
        ["HIPA", "HU", "Economic agency", "Active", 30, "2027-03-31", region.name, owner.email],
        ["Győr cluster", "Hungary", "cluster_alliance", "", 45.0, "", "", ""],
    ]
    as_csv = imports.parse_upload("partners", "p.csv", _csv(header, rows))
    rows[0][5] = datetime(2027, 3, 31)  # a real date cell
    as_xlsx = imports.parse_upload("partners", "p.xlsx", _xlsx(header, rows))
    assert as_csv.ok and as_xlsx.ok, (as_csv.errors, as_xlsx.errors)
    assert [p.values for p in as_csv.plans] == [p.values for p in as_xlsx.plans]
    assert as_xlsx.plans[0].values["next_engagement_on"] == date(2027, 3, 31)
    assert as_xlsx.plans[0].values["region_id"] == region.id
    assert as_xlsx.plans[0].values["owner_id"] == owner.id
    assert as_xlsx.plans[1].values["country_code"] == "HU"
    assert as_xlsx.plans[1].values["cadence_days"] == 45


def test_xlsx_line_numbers_are_spreadsheet_rows(app):
    rows = [["Good", "HU", "Other", "", "", ""]] * 1 + [["Bad", "HU", "Other", "", -3, ""]]
    preview = imports.parse_upload("partners", "p.xlsx", _xlsx(PARTNER_HEADER, rows))
    assert [(e.line, e.reasons) for e in preview.errors] == [
        (3, ["Cadence (days): Number must be between 1 and 730."])
    ]


def test_semicolons_and_a_byte_order_mark_are_understood(app):
    content = "\ufeffName;Country;Kind;Next planned engagement\nA;HU;Other;2026-12-31\n".encode()
    preview = imports.parse_upload("partners", "p.csv", content)
    assert preview.ok, preview.errors
    assert preview.plans[0].values["next_engagement_on"] == date(2026, 12, 31)


def test_excel_serial_numbers_in_a_date_column_are_dates(app):
    header = ["Name", "Country", "Kind", "Next planned engagement"]
    content = _xlsx(header, [["A", "HU", "Other", 46387]])
    preview = imports.parse_upload("partners", "p.xlsx", content)
    assert preview.ok, preview.errors
    assert preview.plans[0].values["next_engagement_on"] == date(2026, 12, 31)
    # In a CSV a bare number is not taken for a date.
    content = _csv(header, [["A", "HU", "Other", "2026"]])
    assert not imports.parse_upload("partners", "p.csv", content).ok


def test_blank_lines_are_skipped_but_counted(app):
    content = b"Name,Country,Kind\nA,HU,Other\n\n,,\nB,XX,Other\n"
    preview = imports.parse_upload("partners", "p.csv", content)
    assert preview.rows == 2
    assert [e.line for e in preview.errors] == [5]


# --- Bad input ---------------------------------------------------------------------------------


def _file_error(filename: str, content: bytes, kind: str = "partners") -> str:
    preview = imports.parse_upload(kind, filename, content)
    assert preview.file_errors, preview
    assert not preview.ok and not preview.plans
    return " ".join(preview.file_errors)


GOOD_CSV = b"Name,Country,Kind\nAgency,HU,Other\n"


@pytest.mark.parametrize(
    ("filename", "content", "message"),
    [
        ("partners.txt", GOOD_CSV, "Only .csv and .xlsx files can be imported"),
        ("partners.xls", GOOD_CSV, "Only .csv and .xlsx files can be imported"),
        ("partners", GOOD_CSV, "Only .csv and .xlsx files can be imported"),
        ("partners.csv", b"", "The file is empty."),
        ("partners.xlsx", b"", "The file is empty."),
        ("partners.csv", b"Name,Country,Kind\n", "header but no rows"),
        ("partners.csv", b"\n\n", "The file is empty."),
        ("partners.csv", b",,\n,,\n", "The first row must name the columns"),
        ("partners.csv", b",,\nA,HU,Other\n", "Column 1 has values but no header"),
        ("partners.csv", b"Name,Country,Kind,Colour\nA,HU,Other,red\n", "Unknown column “Colour”"),
        ("partners.csv", b"Name,Kind\nA,Other\n", "Missing required column Country"),
        (
            "partners.csv",
            b"Name,Country,Kind,Name\nA,HU,Other,B\n",
            "The column Name appears twice",
        ),
        (
            "partners.csv",
            b"Name,Country,Kind\nA,HU,Other,extra\n",
            "Column 4 has values but no header",
        ),
        ("partners.csv", "Name,Country,Kind\nÜ,HU,Other\n".encode("latin-1"), "not UTF-8"),
        ("partners.csv", b"\x00\x01binary", "binary data"),
        ("partners.xlsx", GOOD_CSV, "is not an Excel workbook"),
        ("partners.xlsx", b"PK\x03\x04 damaged", "damaged"),
    ],
)
def test_bad_files_are_refused_with_a_clear_message(app, filename, content, message):
    assert message in _file_error(filename, content)
    assert count_rows(Partner) == 0


def test_an_xlsx_named_csv_is_refused(app):
    content = _xlsx(["Name", "Country", "Kind"], [["A", "HU", "Other"]])
    assert "is a zip archive" in _file_error("partners.csv", content)


def test_a_zip_that_is_not_a_workbook_is_refused(app):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "hello")
    assert "not an Excel workbook" in _file_error("p.xlsx", buffer.getvalue())


def test_wrong_types_are_bad_rows_with_reasons(app):
    header = ["Title", "Granting partner", "Kind", "Currency", "Offered", "Term start", "Owner"]
    make_partner("HIPA")
    db.session.commit()
    rows = [
        ["Grant", "HIPA", "Grant", "EURO", "lots", "31.12.2026", "not-an-email"],
        ["Loan", "HIPA", "Loan", "EUR", "1000.5555", "2026-02-30", ""],
        ["", "HIPA", "Loan", "EUR", "-5", "", ""],
    ]
    preview = imports.parse_upload("incentives", "i.csv", _csv(header, rows))
    reasons = {e.line: e.reasons for e in preview.errors}
    assert reasons[2] == [
        "Currency: “EURO” is not an ISO currency code (e.g. EUR, HUF, MXN)",
        "Offered: “lots” is not a number (write e.g. 1250000.50)",
        "Term start: “31.12.2026” is not a date (write YYYY-MM-DD, e.g. 2026-03-31)",
        "Owner: Enter a valid e-mail address.",
    ]
    assert reasons[3] == [
        "Offered: 1000.5555 has more than 3 decimals",
        "Term start: “2026-02-30” is not a date (write YYYY-MM-DD, e.g. 2026-03-31)",
    ]
    assert reasons[4] == ["Title is required", "Offered: Amounts cannot be negative."]


def test_duplicate_keys_inside_the_file_are_bad_rows(app):
    content = _csv(
        ["Name", "Country", "Kind"],
        [["Alpha", "HU", "Other"], ["Beta", "HU", "Other"], ["ALPHA", "hu", "Other"]],
    )
    preview = imports.parse_upload("partners", "p.csv", content)
    assert [(e.line, e.reasons) for e in preview.errors] == [
        (4, ["Same partner as line 2: each may appear once in a file"])
    ]


def test_too_many_rows_is_refused(app):
    app.config["IMPORT_MAX_ROWS"] = 5
    try:
        rows = [[f"P{i}", "HU", "Other"] for i in range(6)]
        message = _file_error("p.csv", _csv(["Name", "Country", "Kind"], rows))
    finally:
        del app.config["IMPORT_MAX_ROWS"]
    assert "The file has 6 rows; at most 5 can be imported at once" in message


def test_a_file_over_the_limit_is_refused(app):
    app.config["IMPORT_MAX_BYTES"] = 1000
    try:
        rows = [[f"Partner number {i}", "HU", "Other"] for i in range(100)]
        message = _file_error("p.csv", _csv(["Name", "Country", "Kind"], rows))
    finally:
        app.config["IMPORT_MAX_BYTES"] = 10 * 1024 * 1024
    assert "at most 0.0 MB can be imported" in message or "can be imported" in message


def test_an_upload_over_max_content_length_gets_413(app, manager_client):
    assert app.config["IMPORT_MAX_BYTES"] == 10 * 1024 * 1024
    assert app.config["MAX_CONTENT_LENGTH"] > app.config["IMPORT_MAX_BYTES"]
    token = csrf_token(manager_client, "/import")
    limit = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 4000  # small, so the test sends little
    try:
        big = b"Name,Country,Kind\n" + b"Agency,HU,Other\n" * 500
        response = manager_client.post(
            "/import",
            data={"kind": "partners", "file": (io.BytesIO(big), "p.csv"), "csrf_token": token},
            content_type="multipart/form-data",
        )
    finally:
        app.config["MAX_CONTENT_LENGTH"] = limit
    assert response.status_code == 413
    assert "larger than the 10 MB an import may be" in response.get_data(as_text=True)
    assert count_rows(Partner) == 0


def _workbook_with(sheet_xml: bytes | None = None, extra: dict | None = None) -> bytes:
    """A real workbook, with its first sheet's XML replaced or members added."""
    source = _xlsx(["Name", "Country", "Kind"], [["A", "HU", "Other"]])
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source)) as old, zipfile.ZipFile(out, "w") as new:
        for item in old.infolist():
            data = old.read(item)
            if sheet_xml is not None and item.filename == "xl/worksheets/sheet1.xml":
                data = sheet_xml
            new.writestr(item, data, compress_type=zipfile.ZIP_DEFLATED)
        for name, data in (extra or {}).items():
            new.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def test_a_zip_bomb_is_refused_before_it_is_unpacked(app):
    huge = b"\0" * (60 * 1024 * 1024)  # compresses to about 60 KB
    content = _workbook_with(extra={"xl/media/padding.bin": huge})
    assert len(content) < 200 * 1024
    message = _file_error("p.xlsx", content)
    assert "would unpack to" in message and "zip bomb" in message


def test_a_highly_compressed_member_is_refused(app):
    content = _workbook_with(extra={"xl/media/padding.bin": b"\0" * (5 * 1024 * 1024)})
    message = _file_error("p.xlsx", content)
    assert "compressed" in message and "zip bomb" in message


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1" t="inlineStr"><is><t>&lol3;</t></is></c></row></sheetData></worksheet>"""


def test_an_xml_entity_bomb_is_refused(app):
    content = _workbook_with(sheet_xml=BILLION_LAUGHS)
    assert "XML bomb" in _file_error("p.xlsx", content)


def test_openpyxl_parses_through_defusedxml_even_past_our_own_check(app):
    import openpyxl.xml

    assert openpyxl.xml.DEFUSEDXML is True
    from tracker.core import imports as core_imports

    with pytest.raises(core_imports.FileRejected, match="XML bomb"):
        core_imports._read_xlsx(
            _workbook_with(sheet_xml=BILLION_LAUGHS), core_imports.SheetLimits(10, 10)
        )


# --- All or nothing ------------------------------------------------------------------------------


def test_a_database_error_on_the_last_row_leaves_nothing(app):
    existing = make_partner("Existing", cadence_days=30)
    db.session.commit()
    rows = [["Existing", "HU", "Other", "", 90, ""]] + [
        [f"New {i}", "HU", "Other", "", "", ""] for i in range(5)
    ]
    preview = imports.parse_upload("partners", "p.csv", _csv(PARTNER_HEADER, rows))
    assert preview.ok
    preview.plans[-1].values["kind"] = "not-a-kind"  # the database's check refuses it
    with pytest.raises(imports.ImportFailed, match="nothing was written"):
        imports.apply(preview)
    assert count_rows(Partner) == 1
    assert count_rows(AuditEvent) == 0
    db.session.refresh(existing)
    assert existing.cadence_days == 30


def test_a_preview_with_bad_rows_cannot_be_applied(app):
    preview = imports.parse_upload("partners", "p.csv", b"Name,Country,Kind\nA,XX,Other\n")
    with pytest.raises(imports.ImportFailed):
        imports.apply(preview)


# --- The confirmation step ----------------------------------------------------------------------


def test_confirm_refuses_when_the_data_changed_since_the_preview(manager_client):
    partner = make_partner("Agency", cadence_days=30)
    db.session.commit()
    content = _csv(["Name", "Country", "Kind", "Cadence (days)"], [["Agency", "HU", "Other", 45]])
    html = _upload(manager_client, "partners", "p.csv", content).get_data(as_text=True)
    assert "<del>30</del>" in html
    partner.cadence_days = 60  # someone edits the partner meanwhile
    db.session.commit()
    response = _confirm(manager_client, html)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "The data changed since your preview, so nothing was imported" in page
    assert "<del>60</del>" in page
    db.session.refresh(partner)
    assert partner.cadence_days == 60
    assert count_rows(AuditEvent) == 0
    response = _confirm(manager_client, page)  # the new preview can be confirmed
    assert response.status_code == 302
    db.session.refresh(partner)
    assert partner.cadence_days == 45


def test_a_preview_belongs_to_its_user_and_is_gone_after_use(app, manager_client):
    content = _csv(["Name", "Country", "Kind"], [["Agency", "HU", "Other"]])
    html = _upload(manager_client, "partners", "p.csv", content).get_data(as_text=True)
    token = TOKEN_RE.search(html).group(1)
    pending = Path(app.config["IMPORT_PENDING_DIR"])
    assert {p.name for p in pending.glob(f"{token}.*")} == {f"{token}.csv", f"{token}.json"}

    stranger = make_user("manager")
    db.session.commit()
    other = app.test_client()
    login(other, stranger.email)
    response = other.post(
        "/import/confirm", data={"token": token, "csrf_token": csrf_token(other, "/import")}
    )
    assert response.status_code == 302
    assert "expired or is not yours" in other.get("/import").get_data(as_text=True)
    assert count_rows(Partner) == 0

    assert _confirm(manager_client, html).status_code == 302
    assert count_rows(Partner) == 1
    assert not list(pending.glob(f"{token}.*"))
    response = _confirm(manager_client, html)  # a second confirmation does nothing
    assert count_rows(Partner) == 1


def test_a_preview_expires_after_an_hour(app, manager_client):
    content = _csv(["Name", "Country", "Kind"], [["Agency", "HU", "Other"]])
    html = _upload(manager_client, "partners", "p.csv", content).get_data(as_text=True)
    token = TOKEN_RE.search(html).group(1)
    assert imports.load_pending(token, manager_client.user.id) is not None
    later = datetime.now(UTC) + timedelta(hours=1, minutes=1)
    with time_machine.travel(later, tick=False):
        assert imports.load_pending(token, manager_client.user.id) is None
    assert not list(Path(app.config["IMPORT_PENDING_DIR"]).glob(f"{token}.*"))
    assert imports.load_pending("../../etc/passwd", manager_client.user.id) is None


def test_cancel_discards_the_upload(app, manager_client):
    content = _csv(["Name", "Country", "Kind"], [["Agency", "HU", "Other"]])
    html = _upload(manager_client, "partners", "p.csv", content).get_data(as_text=True)
    token = TOKEN_RE.search(html).group(1)
    response = manager_client.post(
        "/import/cancel", data={"token": token, "csrf_token": csrf_token(manager_client, "/import")}
    )
    assert response.status_code == 302
    assert imports.load_pending(token, manager_client.user.id) is None
    assert count_rows(Partner) == 0


def test_only_the_uploader_may_cancel_a_pending_import(app, manager_client):
    content = _csv(["Name", "Country", "Kind"], [["Agency", "HU", "Other"]])
    html = _upload(manager_client, "partners", "p.csv", content).get_data(as_text=True)
    token = TOKEN_RE.search(html).group(1)
    for role in ("manager", "admin"):
        stranger = make_user(role)
        db.session.commit()
        other = app.test_client()
        login(other, stranger.email)
        response = other.post(
            "/import/cancel", data={"token": token, "csrf_token": csrf_token(other, "/import")}
        )
        assert response.status_code == 302
        assert "expired or is not yours: nothing to cancel" in other.get("/import").get_data(
            as_text=True
        )
        assert imports.load_pending(token, manager_client.user.id) is not None
    assert _confirm(manager_client, html).status_code == 302  # the uploader still may
    assert count_rows(Partner) == 1


def test_file_problems_show_on_the_preview_page(manager_client):
    response = _upload(manager_client, "partners", "p.xlsx", b"Name,Country\n")
    html = response.get_data(as_text=True)
    assert "This file cannot be imported" in html
    assert "is not an Excel workbook" in html
    assert "Confirm import" not in html


# --- Contacts, incentives, milestones ------------------------------------------------------------


def test_contacts_are_matched_within_their_partner_by_email_then_name(app):
    hipa = make_partner("HIPA", country_code="HU")
    db.session.add(Contact(partner=hipa, name="Ana Petrova", email="ana@hipa.hu"))
    db.session.add(Contact(partner=hipa, name="Béla Kiss"))
    db.session.commit()
    header = ["Partner", "Partner country", "Name", "E-mail", "Job title", "Phone"]
    rows = [
        ["HIPA", "HU", "Ana Petrova-Novak", "ANA@hipa.hu", "Director", ""],
        ["hipa", "HU", "béla kiss", "", "Analyst", "+36 1 234 5678"],
        ["HIPA", "HU", "New Person", "new@hipa.hu", "", ""],
        ["Nobody", "HU", "Lost Soul", "", "", ""],
        ["HIPA", "HU", "Bad Phone", "", "", "call me"],
    ]
    preview = imports.parse_upload("contacts", "c.csv", _csv(header, rows))
    assert [(e.line, e.reasons[0]) for e in preview.errors] == [
        (5, "Partner: there is no partner called Nobody in HU; import or add the partner first"),
        (6, "Phone: " + PHONE_MESSAGE),
    ]
    assert [p.action for p in preview.plans] == ["update", "update", "create"]
    del rows[3:]
    preview = imports.parse_upload("contacts", "c.csv", _csv(header, rows))
    imports.apply(preview)
    contacts = {c.name: c for c in db.session.scalars(select(Contact))}
    assert set(contacts) == {"Ana Petrova-Novak", "béla kiss", "New Person"}
    assert contacts["Ana Petrova-Novak"].job_title == "Director"
    assert contacts["béla kiss"].phone == "+36 1 234 5678"
    events = db.session.scalars(select(AuditEvent)).all()
    # Each contact's event is its own, shown in the partner's history.
    assert {(e.entity_type, e.parent_type, e.parent_id) for e in events} == {
        ("contacts", "partners", hipa.id)
    }
    assert len(events) == 3


def test_incentives_are_created_and_updated_with_the_pipeline_rules(app):
    hipa = make_partner("HIPA")
    make_partner("Twin", country_code="HU")
    make_partner("Twin", country_code="SK")
    incentive = make_incentive(hipa, title="VIP grant", status="submitted", currency="HUF")
    closed = make_incentive(hipa, title="Old grant", status="closed")
    make_obligation(incentive, target=100, due_on=date(2027, 6, 30))
    db.session.commit()
    header = [
        "Title",
        "Granting partner",
        "Granting partner country",
        "Kind",
        "Status",
        "Currency",
        "Awarded",
        "Term start",
        "Term end",
        "De minimis",
    ]
    rows = [
        ["vip grant", "HIPA", "", "Grant", "Awarded", "HUF", "4200000000", "", "", ""],
        ["Old grant", "HIPA", "", "Grant", "Identified", "EUR", "", "", "", ""],
        ["New credit", "HIPA", "HU", "Tax credit", "", "EUR", "", "2026-01-01", "2025-01-01", ""],
        ["Twin grant", "Twin", "", "Grant", "", "EUR", "", "", "", ""],
        ["Shrunk", "HIPA", "", "Grant", "", "HUF", "", "", "", "maybe"],
    ]
    preview = imports.parse_upload("incentives", "i.csv", _csv(header, rows))
    reasons = {e.line: e.reasons for e in preview.errors}
    assert reasons[3] == [
        "Status: An incentive that is closed cannot move to “identified”. Allowed next: none."
    ]
    assert reasons[4] == ["Term end: The term ends before it starts."]
    assert reasons[5] == [
        "Granting partner: partners called Twin exist in HU, SK; fill in the granting partner "
        "country"
    ]
    assert reasons[6] == ["De minimis: “maybe” is not Yes or No"]

    rows = [rows[0], ["Twin grant", "Twin", "SK", "Grant", "", "EUR", "1000.50", "", "", "No"]]
    preview = imports.parse_upload("incentives", "i.csv", _csv(header, rows))
    assert preview.ok, preview.errors
    assert [(c.header, c.old, c.new) for c in preview.updates[0].changes] == [
        ("Status", "Submitted", "Awarded"),
        ("Awarded", None, "4200000000"),
    ]
    imports.apply(preview)
    db.session.refresh(incentive)
    assert incentive.status == "awarded" and incentive.awarded_on == today()
    assert incentive.amount_awarded == Decimal("4200000000")
    twin = db.session.scalar(select(Incentive).where(Incentive.title == "Twin grant"))
    assert twin.granting_partner.country_code == "SK" and twin.status == "identified"
    assert twin.amount_awarded == Decimal("1000.50")
    changes = db.session.scalars(
        select(IncentiveStatusChange.to_status).order_by(IncentiveStatusChange.id)
    ).all()
    assert changes == ["awarded", "identified"]  # the step, and the new one's first status
    assert closed.status == "closed"


def test_incentive_term_must_still_hold_its_obligations(app):
    hipa = make_partner("HIPA")
    incentive = make_incentive(hipa, title="Grant")
    make_obligation(incentive, target=10, due_on=date(2027, 6, 30))
    db.session.commit()
    content = _csv(
        ["Title", "Granting partner", "Kind", "Currency", "Term end"],
        [["Grant", "HIPA", "Grant", "EUR", "2027-01-01"]],
    )
    preview = imports.parse_upload("incentives", "i.csv", content)
    assert preview.errors[0].reasons == [
        "Term end: An obligation is due 2027-06-30, outside this term: move it first."
    ]


def test_milestones_follow_the_commitment_rules(app):
    owner = make_user("owner")
    commitment = make_commitment(
        "co_investment", title="Joint lab", owner=owner, end_on=today() + timedelta(days=100)
    )
    make_milestone(commitment, title="Design", due_on=today() + timedelta(days=10))
    db.session.commit()
    header = ["Commitment", "Milestone", "Due", "Status", "Completed on", "Evidence"]
    later = (today() + timedelta(days=200)).isoformat()
    soon = (today() + timedelta(days=20)).isoformat()
    rows = [
        ["joint lab", "design", soon, "Done", "", "Signed off"],
        ["Joint lab", "Build", soon, "", "", ""],
        ["Joint lab", "Too late", later, "", "", ""],
        ["Joint lab", "Early bird", soon, "Planned", today().isoformat(), ""],
        ["No such", "Step", soon, "", "", ""],
    ]
    preview = imports.parse_upload("milestones", "m.csv", _csv(header, rows))
    reasons = {e.line: e.reasons[0] for e in preview.errors}
    assert reasons[4].startswith("Due: The commitment ends on")
    assert reasons[5].startswith("Completed on: Only a done milestone has a completion date")
    assert reasons[6] == "Commitment: there is no commitment titled No such"
    imports.apply(imports.parse_upload("milestones", "m.csv", _csv(header, rows[:2])))
    milestones = {m.title: m for m in db.session.scalars(select(Milestone))}
    assert milestones["Design"].status == "done"
    assert milestones["Design"].completed_on == today()
    assert milestones["Design"].evidence_note == "Signed off"
    assert milestones["Build"].position == 1 and milestones["Build"].status == "planned"


def test_an_owner_imports_milestones_only_for_own_commitments(owner_client):
    mine = make_commitment("co_investment", title="Mine", owner=owner_client.user)
    theirs = make_commitment("co_investment", title="Theirs", owner=make_user("owner", name="Jo"))
    db.session.commit()
    due = (today() + timedelta(days=30)).isoformat()
    header = ["Commitment", "Milestone", "Due"]
    rows = [["Mine", "Kick-off", due], ["Theirs", "Kick-off", due]]
    html = _upload(owner_client, "milestones", "m.csv", _csv(header, rows)).get_data(as_text=True)
    assert "1 row cannot be imported" in html
    assert "Commitment: You may not edit Theirs, which Jo owns." in html
    html = _upload(owner_client, "milestones", "m.csv", _csv(header, rows[:1])).get_data(
        as_text=True
    )
    assert _confirm(owner_client, html).status_code == 302
    assert [m.commitment_id for m in db.session.scalars(select(Milestone))] == [mine.id]
    assert theirs.milestones == []


def test_a_manager_imports_milestones_on_any_commitment(app, manager_client):
    make_commitment("co_investment", title="Someone's")
    db.session.commit()
    due = (today() + timedelta(days=30)).isoformat()
    content = _csv(["Commitment", "Milestone", "Due"], [["Someone's", "Kick-off", due]])
    html = _upload(manager_client, "milestones", "m.csv", content).get_data(as_text=True)
    assert _confirm(manager_client, html).status_code == 302
    assert count_rows(Milestone) == 1


# --- Permissions --------------------------------------------------------------------------------


def test_viewers_may_not_import(viewer_client):
    assert viewer_client.get("/import").status_code == 403
    token = csrf_token(viewer_client, "/account/password")
    response = viewer_client.post(
        "/import",
        data={"kind": "partners", "file": (io.BytesIO(GOOD_CSV), "p.csv"), "csrf_token": token},
        content_type="multipart/form-data",
    )
    assert response.status_code == 403
    assert count_rows(Partner) == 0
    assert "Import…" not in viewer_client.get("/partners").get_data(as_text=True)


def test_owners_see_and_may_import_only_milestones(owner_client):
    html = owner_client.get("/import").get_data(as_text=True)
    assert '<option selected value="milestones">' in html or 'value="milestones"' in html
    assert 'value="partners"' not in html
    response = _upload(owner_client, "partners", "p.csv", GOOD_CSV)
    assert response.status_code == 403
    assert count_rows(Partner) == 0
    assert "Import…" in owner_client.get("/milestones").get_data(as_text=True)
    assert "Import…" not in owner_client.get("/partners").get_data(as_text=True)


def test_managers_find_the_import_from_the_lists(manager_client):
    for path, kind in (
        ("/partners", "partners"),
        ("/incentives", "incentives"),
        ("/milestones", "milestones"),
    ):
        html = manager_client.get(path).get_data(as_text=True)
        assert f'href="/import?kind={kind}">Import…</a>' in html
    html = manager_client.get("/import?kind=incentives").get_data(as_text=True)
    assert '<option selected value="incentives">' in html


# --- Templates ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(imports.KINDS))
def test_templates_download_and_reimport_cleanly(manager_client, kind):
    make_partner("HIPA", country_code="HU")
    make_commitment("co_investment", title="Joint lab", owner=manager_client.user)
    tooling = cluster_operations.create_capability(
        {"name": "Tooling", "kind": "tooling"}, actor=None
    )
    shop = make_partner("Tool Shop", country_code="HU")
    cluster_operations.add_capability(shop, {"capability_id": tooling.id}, actor=None)
    db.session.commit()
    headers = [f.header for f in imports.KINDS[kind].fields]
    as_csv = manager_client.get(f"/import/template/{kind}.csv")
    assert as_csv.status_code == 200
    assert as_csv.headers["Content-Disposition"] == f'attachment; filename="{kind}-template.csv"'
    assert pd.read_csv(io.BytesIO(as_csv.data), encoding="utf-8-sig").columns.tolist() == headers
    as_xlsx = manager_client.get(f"/import/template/{kind}.xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(as_xlsx.data))
    assert [c.value for c in workbook.worksheets[0][1]] == headers
    assert workbook.sheetnames[1] == "Columns"

    # Empty, as downloaded: a clear "no rows", not a column problem.
    assert imports.parse_upload(kind, "t.csv", as_csv.data).file_errors == [
        "The file has a header but no rows to import."
    ]
    due = (today() + timedelta(days=30)).isoformat()
    example = {
        "partners": {"Name": "Agency", "Country": "HU", "Kind": "Economic agency"},
        "contacts": {"Partner": "HIPA", "Partner country": "HU", "Name": "Ana"},
        "incentives": {
            "Title": "Grant",
            "Granting partner": "HIPA",
            "Kind": "Grant",
            "Currency": "EUR",
        },
        "milestones": {"Commitment": "Joint lab", "Milestone": "Kick-off", "Due": due},
        "partner-capabilities": {
            "Partner": "HIPA",
            "Partner country": "HU",
            "Capability": "Tooling",
        },
        "supply-links": {
            "Buyer": "HIPA",
            "Buyer country": "HU",
            "Capability": "Tooling",
            "Supplier": "Tool Shop",
            "Supplier country": "HU",
        },
    }[kind]
    for fmt, reader in (("csv", _csv), ("xlsx", _xlsx)):
        row = [example.get(header, "") for header in headers]
        content = reader(headers, [row])
        preview = imports.parse_upload(kind, f"t.{fmt}", content, manager_client.user)
        assert preview.ok, (fmt, preview.file_errors, preview.errors)
        assert len(preview.creates) == 1
    assert manager_client.get("/import/template/nothing.csv").status_code == 404
    assert manager_client.get(f"/import/template/{kind}.pdf").status_code == 404


def test_the_import_page_describes_the_columns(manager_client):
    html = manager_client.get("/import").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in html
    assert "At most 10 MB and 5,000 rows a file" in html
    assert "A partner is matched by its name (any case) and country" in html
    assert 'href="/import/template/contacts.xlsx"' in html


@pytest.mark.parametrize(
    ("exported", "imported"),
    [
        ("'=HYPERLINK(1)", "=HYPERLINK(1)"),
        ("' =1+2", " =1+2"),  # the export's rule: whitespace before the `=` included
        ("'O'Brien Cluster", "'O'Brien Cluster"),  # an apostrophe of the name itself stays
    ],
)
def test_an_exported_name_comes_back_without_its_apostrophe(app, exported, imported):
    content = _csv(["Name", "Country", "Kind"], [[exported, "HU", "Other"]])
    preview = imports.parse_upload("partners", "p.csv", content)
    assert preview.plans[0].values["name"] == imported


# --- Command line --------------------------------------------------------------------------------


def test_import_command_reports_bad_rows_and_writes_nothing(runner, tmp_path):
    path = tmp_path / "partners.csv"
    path.write_bytes(
        _csv(["Name", "Country", "Kind"], [["Good", "HU", "Other"], ["Bad", "ZZ", "Other"]])
    )
    result = runner.invoke(args=["import", "partners", str(path)])
    assert result.exit_code == 1
    assert "line 3: Bad (?): Country: “ZZ” is not an ISO country code" in result.output
    assert "partners: 1 to create, 0 to update, 0 unchanged, 1 bad row" in result.output
    assert "Nothing was written" in result.output
    assert count_rows(Partner) == 0


def test_import_command_dry_run_and_success(runner, tmp_path):
    make_partner("Existing", cadence_days=30)
    db.session.commit()
    path = tmp_path / "partners.xlsx"
    path.write_bytes(
        _xlsx(
            ["Name", "Country", "Kind", "Cadence (days)"],
            [["Existing", "HU", "Other", 45], ["New", "SK", "Other", None]],
        )
    )
    result = runner.invoke(args=["import", "partners", str(path), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "line 2: update Existing (HU) (Kind: Economic agency → Other;" in result.output
    assert "line 3: create New (SK)" in result.output
    assert "Dry run: nothing was written." in result.output
    assert count_rows(Partner) == 1
    result = runner.invoke(args=["import", "partners", str(path)])
    assert result.exit_code == 0, result.output
    assert "Imported: 1 created, 1 updated, 0 unchanged." in result.output
    assert count_rows(Partner) == 2
    events = db.session.scalars(select(AuditEvent)).all()
    assert len(events) == 2 and all(e.user_id is None for e in events)


def test_import_command_as_a_user_applies_their_rights_and_names_them(runner, tmp_path):
    manager, viewer = make_user("manager"), make_user("viewer")
    db.session.commit()
    path = tmp_path / "partners.csv"
    path.write_bytes(_csv(["Name", "Country", "Kind"], [["New", "HU", "Other"]]))
    refused = runner.invoke(args=["import", "partners", str(path), "--as", viewer.email])
    assert refused.exit_code == 1
    assert f"{viewer.name} (viewer) may not import partners." in refused.output
    unknown = runner.invoke(args=["import", "partners", str(path), "--as", "nobody@x.example"])
    assert unknown.exit_code == 1 and "no active user has the e-mail" in unknown.output
    assert count_rows(Partner) == 0
    result = runner.invoke(args=["import", "partners", str(path), "--as", manager.email])
    assert result.exit_code == 0, result.output
    (event,) = db.session.scalars(select(AuditEvent)).all()
    assert event.user_id == manager.id and event.summary == "Created partner New"


def test_import_command_refuses_bad_files(runner, tmp_path):
    path = tmp_path / "partners.xls"
    path.write_bytes(GOOD_CSV)
    result = runner.invoke(args=["import", "partners", str(path)])
    assert result.exit_code == 1
    assert "Only .csv and .xlsx files can be imported" in result.output
    result = runner.invoke(args=["import", "regions", str(path)])
    assert result.exit_code == 2
    assert count_rows(Partner) == 0


def test_empty_cells_leave_stored_values_alone(app):
    make_partner("HIPA", description="Key agency", website="https://hipa.hu", cadence_days=30)
    db.session.commit()
    content = _csv(
        ["Name", "Country", "Kind", "Website", "Notes", "Cadence (days)"],
        [["HIPA", "HU", "Economic agency", "", "", 21]],
    )
    preview = imports.parse_upload("partners", "p.csv", content)
    assert [(c.header, c.old, c.new) for c in preview.updates[0].changes] == [
        ("Cadence (days)", "30", "21")
    ]
    imports.apply(preview)
    partner = db.session.scalar(select(Partner))
    assert (partner.description, partner.website) == ("Key agency", "https://hipa.hu")


# --- The forms' checks of shape, in an import row ---------------------------------------------

SHAPES = [
    # (form url, form data, import kind, header, row, the field's message)
    pytest.param(
        "/partners/new",
        {
            "name": "P",
            "kind": "other",
            "status": "active",
            "country_code": "HU",
            "website": "hipa.hu",
        },
        "partners",
        ["Name", "Country", "Kind", "Website"],
        ["P", "HU", "Other", "hipa.hu"],
        ("Website", "Enter a full address, e.g. https://…"),
        id="website",
    ),
    pytest.param(
        "/partners/new",
        {
            "name": "P",
            "kind": "other",
            "status": "active",
            "country_code": "HU",
            "cadence_days": "0",
        },
        "partners",
        ["Name", "Country", "Kind", "Cadence (days)"],
        ["P", "HU", "Other", "0"],
        ("Cadence (days)", "Number must be between 1 and 730."),
        id="cadence",
    ),
    pytest.param(
        "/partners/{partner}/contacts/new",
        {"name": "Ana", "email": "ana at hipa"},
        "contacts",
        ["Partner", "Partner country", "Name", "E-mail"],
        ["HIPA", "HU", "Ana", "ana at hipa"],
        ("E-mail", "Enter a valid e-mail address."),
        id="contact-email",
    ),
    pytest.param(
        "/incentives/new",
        {
            "title": "G",
            "kind": "grant",
            "granting_partner_id": "{partner}",
            "currency": "EUR",
            "clawback_rule": "none",
            "amount_offered": "-5",
        },
        "incentives",
        ["Title", "Granting partner", "Kind", "Currency", "Offered"],
        ["G", "HIPA", "Grant", "EUR", "-5"],
        ("Offered", "Amounts cannot be negative."),
        id="negative-amount",
    ),
    pytest.param(
        "/incentives/new",
        {
            "title": "G",
            "kind": "grant",
            "granting_partner_id": "{partner}",
            "currency": "EUR",
            "clawback_rule": "cliff",
            "clawback_floor_pct": "120",
        },
        "incentives",
        ["Title", "Granting partner", "Kind", "Currency", "Clawback rule", "Clawback floor (%)"],
        ["G", "HIPA", "Grant", "EUR", "Cliff", "120"],
        ("Clawback floor (%)", "Number must be between 0 and 100."),
        id="percent",
    ),
]


@pytest.mark.parametrize(("url", "data", "kind", "header", "row", "expected"), SHAPES)
def test_a_badly_shaped_value_reads_the_same_in_the_form_and_an_import(
    manager_client, url, data, kind, header, row, expected
):
    partner = make_partner("HIPA", country_code="HU")
    db.session.commit()
    url = url.format(partner=partner.id)
    data = {name: value.format(partner=partner.id) for name, value in data.items()}
    page = post_form(manager_client, url, data).get_data(as_text=True)
    header_text, message = expected
    assert f'<p class="error">{html.escape(message, quote=False)}</p>' in page
    preview = imports.parse_upload(kind, "f.csv", _csv(header, [row]), manager_client.user)
    assert [error.reasons for error in preview.errors] == [[f"{header_text}: {message}"]]
