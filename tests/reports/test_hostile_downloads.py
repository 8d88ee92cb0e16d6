"""Every download the app offers, against hostile text: one table of them, checked from the
route table so a new download cannot be left out.

Records are seeded straight into the database (as an old or imported row would be), past
any cleaning at the input boundary: a download must survive whatever is stored.
"""

import csv
import io
import logging
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from html import unescape

import openpyxl
import pytest
import time_machine
from sqlalchemy import func, select

from tests.conftest import login
from tests.factories import (
    make_commitment,
    make_contribution,
    make_engagement,
    make_follow_up,
    make_fx_rate,
    make_incentive,
    make_milestone,
    make_obligation,
    make_partner,
    make_region,
    make_user,
)
from tests.reports.test_exports import EXPORT_LINK, LIST_PAGES
from tests.reports.test_monthly import pdf_text
from tracker.auth import operations as auth_operations
from tracker.clusters.models import Capability, PartnerCapability, SupplyLink
from tracker.commitments.models import CoInvestment
from tracker.core.models import AuditEvent
from tracker.extensions import db
from tracker.incentives.models import (
    AgencyPromise,
    ComplianceReport,
    Disbursement,
    IncentiveStatusChange,
    InterestRate,
)
from tracker.monitoring import operations as monitoring_operations
from tracker.monitoring.models import Alert, AlertRecipient, JobRun
from tracker.partners.models import Contact, Sector
from tracker.reports.imports import KINDS as IMPORT_KINDS

TODAY = date(2026, 4, 15)
MONTH = "2026-04"  # the month in progress: every section of the report has rows

# Each starts a text field. Those that look alike differ, so unique names stay unique.
HOSTILE = [
    "\x01=1+2",
    '=HYPERLINK("http://evil.example","click")',
    "@SUM(1)",
    "\x07bell",
    "\x00nul",
    "-1+1",
    "+2+2",
    " =3+3",
    "\t=4+4",
    "\r\n=5+5",
    "line\r\nbreak",
    "\ufeff=6+6",
    "\u202eevil",
    "emoji 🚀🎉",
    "Łódź שלום",
]
MARKER = "bell"  # every download with user text must carry the seeded "\x07bell"

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF_TYPE = "application/pdf"
TYPES = {"csv": CSV_TYPE, "xlsx": XLSX_TYPE, "pdf": PDF_TYPE}


@dataclass(frozen=True)
class Download:
    """One file the app hands out: where, as what, and whether seeded text must be in it."""

    url: str
    fmt: str
    carries_user_text: bool = True

    def __str__(self) -> str:
        return self.url


# The one table of downloads: every list's CSV and XLSX, the board report, the templates.
DOWNLOADS = [
    *(
        Download(f"{page.path}{page.everything}{'&' if page.everything else '?'}format={fmt}", fmt)
        for page in LIST_PAGES
        for fmt in ("csv", "xlsx")
    ),
    Download(f"/reports/monthly.xlsx?month={MONTH}", "xlsx"),
    Download(f"/reports/monthly.pdf?month={MONTH}", "pdf"),
    *(
        Download(f"/import/template/{kind}.{fmt}", fmt, carries_user_text=False)
        for kind in IMPORT_KINDS
        for fmt in ("csv", "xlsx")
    ),
]


def travel():
    return time_machine.travel(datetime(2026, 4, 15, 9, tzinfo=UTC), tick=False)


@pytest.fixture
def admin(app):
    """A signed-in admin on TODAY (admins see every list), the whole test long."""
    with travel():
        user = make_user("admin")
        db.session.commit()
        client = app.test_client()
        assert login(client, user.email).status_code == 302
        yield client


def hostile_texts() -> list[str]:
    # PostgreSQL refuses a NUL in text; there the input boundary strips it before it is stored.
    if db.engine.dialect.name == "postgresql":
        return [text for text in HOSTILE if "\x00" not in text]
    return list(HOSTILE)


def seed_hostile(texts: list[str]) -> None:
    """For each text, one of every record whose words some download shows, the text first."""
    day = timedelta(days=1)
    for n, text in enumerate(texts):
        owner = make_user("owner", name=text)
        region = make_region(text, sector_focus=text)
        partner = make_partner(text, region_id=region.id, owner=owner, description=text)
        db.session.add(Contact(partner=partner, name=text, job_title=text, notes=text))
        engagement = make_engagement(
            [partner],
            occurred_on=TODAY - day,
            subject=text,
            summary=text,
            outcome=text,
            attendees=[owner],
        )
        make_follow_up(engagement, owner=owner, due_on=TODAY - 3 * day, title=text)

        incentive = make_incentive(
            partner,
            title=text,
            status="awarded",
            amount_awarded=Decimal("100000"),
            awarded_on=TODAY - 2 * day,
            clawback_rule="pro_rata",
            clawback_terms=text,
            description=text,
        )
        db.session.add(
            IncentiveStatusChange(
                incentive=incentive,
                from_status="submitted",
                to_status="awarded",
                changed_on=TODAY - 2 * day,
                changed_at=datetime(2026, 4, 13, 9, n % 60, tzinfo=UTC),
                note=text,
            )
        )
        make_obligation(
            incentive, target=100, actual=10, due_on=TODAY - day, description=text, unit=text[:30]
        )
        db.session.add(ComplianceReport(incentive=incentive, title=text, due_on=TODAY + 10 * day))
        db.session.add(
            Disbursement(incentive=incentive, paid_on=TODAY - day, amount=Decimal(5), note=text)
        )
        db.session.add(
            InterestRate(series=text[:60], effective_on=TODAY - n * day, rate_pct=Decimal(4))
        )
        db.session.add(
            AgencyPromise(
                incentive=incentive, kind="other", description=text, due_on=TODAY + 12 * day
            )
        )
        make_incentive(
            partner, title=f"{text} grant", application_deadline=TODAY + 5 * day, description=text
        )

        commitment = make_commitment(
            "co_investment",
            title=text,
            counterparty=partner,
            owner=owner,
            start_on=TODAY - 100 * day,
            description=text,
        )
        met = make_milestone(
            commitment,
            title=text,
            due_on=TODAY - 5 * day,
            status="done",
            completed_on=TODAY - 4 * day,
            evidence_note=text,
        )
        make_milestone(commitment, title=f"{text} late", due_on=TODAY - 3 * day)
        make_milestone(commitment, title=f"{text} next", due_on=TODAY + 20 * day)

        alert = Alert(
            subject_type="milestones",
            subject_id=met.id,
            kind="milestone_due",
            threshold_days=7,
            due_on=TODAY,
            title=text,
            message=text,
            path="/",
        )
        db.session.add(alert)
        db.session.flush()
        db.session.add(AlertRecipient(alert_id=alert.id, user_id=owner.id, last_error=text))
        db.session.add(JobRun(job=text[:32], outcome="failed", error=text, host=text))
        db.session.add(
            AuditEvent(
                user=owner,
                action="update",
                entity_type="partners",
                entity_id=partner.id,
                summary=text,
                changes={"name": [text, text]},
            )
        )
        # The clusters: a sector and capability named by the text, a partner abroad
        # supplying it to this one (an offshore dependency) along a route with tonnes.
        capability = Capability(name=f"{text[:100]} {n}", kind="production")
        sector = Sector(name=f"{text[:100]} {n}")
        sector.capabilities = [capability]
        region.sector = sector
        abroad = make_partner(f"{text} abroad", kind="tier2_supplier", country_code="CN")
        db.session.add_all(
            [
                PartnerCapability(partner=abroad, capability=capability, capacity_unit=text[:40]),
                SupplyLink(
                    buyer=partner,
                    supplier=abroad,
                    capability=capability,
                    site=text[:200],
                    annual_tonnage=Decimal(10),
                    transport_mode="sea",
                    replaced_country="CN",
                ),
            ]
        )
    db.session.commit()


# --- Reading a file as a spreadsheet would ----------------------------------------------------

# What XLSX cannot hold: a file carrying any of these is broken or refused.
CANNOT_HOLD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


# A plain number (a CSV's "Days left" of -3) is read as that number, never run.
NUMBER = re.compile(r"-?\d+(\.\d+)?")


def runs_as_formula(text: str) -> bool:
    """Whether a spreadsheet reading `text` into a cell could run it: after what it cannot hold,
    leading whitespace and invisible format characters, it starts with a formula character."""
    read = CANNOT_HOLD.sub("", text)
    if NUMBER.fullmatch(read):
        return False
    if read.startswith(("\t", "\r")):
        return True
    start = 0
    while start < len(read) and (
        read[start].isspace() or unicodedata.category(read[start]) == "Cf"
    ):
        start += 1
    return read.startswith(("=", "+", "-", "@"), start)


def xlsx_texts(data: bytes) -> list[str]:
    """Every text cell of every sheet; no cell is a formula."""
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    texts = []
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts.append(cell.value)
    return texts


def csv_texts(data: bytes) -> list[str]:
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with a byte-order mark, for Excel
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows and len({len(row) for row in rows}) == 1  # CR/LF stayed inside quoted cells
    return [value for row in rows for value in row]


def check_download(client, download: Download):
    response = client.get(download.url)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.headers["Content-Type"] == TYPES[download.fmt]
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    data = response.get_data()
    if download.fmt == "pdf":
        assert data.startswith(b"%PDF-")
        text = pdf_text(data)
        assert "\x07" not in text and "\x00" not in text
        for readable in ("bell", "evil", "שלום", "Łódź"):
            assert readable in text, readable
        return
    texts = xlsx_texts(data) if download.fmt == "xlsx" else csv_texts(data)
    assert [text for text in texts if runs_as_formula(text)] == []
    assert [text for text in texts if CANNOT_HOLD.search(text)] == []
    if download.carries_user_text:
        assert any(text.startswith(MARKER) for text in texts), "the seeded rows are missing"
        assert any(text.startswith("'=HYPERLINK") for text in texts)


@pytest.mark.parametrize("download", DOWNLOADS, ids=str)
def test_every_download_survives_hostile_text(admin, download):
    seed_hostile(hostile_texts())
    check_download(admin, download)


@pytest.mark.parametrize("page", LIST_PAGES, ids=str)
def test_every_list_page_links_to_downloads_of_hostile_rows(admin, page):
    """The export links as the page shows them (not as the test would build them) give files."""
    seed_hostile(hostile_texts())
    html = admin.get(page.path + page.everything).get_data(as_text=True)
    links = {label: unescape(href) for href, label in EXPORT_LINK.findall(html)}
    assert set(links) == {"CSV", "XLSX"}, page.path
    for label, href in links.items():
        check_download(admin, Download(href, label.lower()))


def test_the_board_report_pdf_draws_no_control_characters(admin, caplog):
    """A bell, a NUL or a tab in a title has no glyph: the PDF leaves it out (a tab becomes a
    space) rather than draw a box."""
    seed_hostile(hostile_texts())
    with caplog.at_level(logging.WARNING):
        check_download(admin, Download(f"/reports/monthly.pdf?month={MONTH}", "pdf"))
    missing = [
        r.getMessage() for r in caplog.records if "missing the following glyphs" in r.getMessage()
    ]
    drawn = [m for m in missing if any(f"({c})" in m for c in ("\\x07", "\\x00", "\\x01", "\\t"))]
    assert drawn == []


# --- No download left out ---------------------------------------------------------------------

# How to fill a route's arguments: a sample per name; `<x>_id` is the first row of table `xs`.
ARGUMENT_SAMPLES = {"kind": sorted(IMPORT_KINDS), "fmt": ["csv", "xlsx", "pdf"]}
ID_TABLES = {
    "event_id": "audit_events",
    "rate_id": "fx_rates",
    "report_id": "compliance_reports",
    "promise_id": "agency_promises",
    "subscription_id": "webhook_subscriptions",
    "token_id": "api_tokens",
    "capability_id": "capabilities",
    "provided_id": "partner_capabilities",
    "link_id": "supply_links",
}
NOT_PROBED = {"static"}
# The API answers JSON to a token, never a file: its routes are not probed here.
API_PREFIX = "/api/v1/"


def _samples(argument: str) -> list:
    if argument in ARGUMENT_SAMPLES:
        return ARGUMENT_SAMPLES[argument]
    assert argument.endswith("_id"), f"teach this test how to fill <{argument}>"
    table_name = ID_TABLES.get(argument, argument.removesuffix("_id") + "s")
    assert table_name in db.metadata.tables, f"teach this test which table <{argument}> names"
    table = db.metadata.tables[table_name]
    first = db.session.scalar(select(func.min(table.c.id)))
    assert first is not None, f"seed a row of {table_name} for <{argument}>"
    return [first]


def _urls(rule) -> list[str]:
    from itertools import product

    arguments = sorted(rule.arguments)
    urls = []
    for values in product(*(_samples(argument) for argument in arguments)):
        urls.append(rule.build(dict(zip(arguments, values, strict=True)))[1])
    return urls


def test_every_download_in_the_route_table_is_in_the_table_of_downloads(app, admin):
    """Ask every GET route, plain and with each export format, which answer a file."""
    seed_hostile(["Plain"])
    make_fx_rate("USD", "0.9", TODAY)
    make_contribution(db.session.scalars(select(CoInvestment)).first())
    monitoring_operations.create_subscription(
        {"name": "ERP", "url": "https://erp.example.com/hook", "events": "record.created"},
        actor=None,
    )
    auth_operations.create_token(make_user("viewer"), "BI", actor=None)
    db.session.commit()
    found = set()
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in NOT_PROBED:
            continue
        if rule.rule.startswith(API_PREFIX):
            continue
        for url in _urls(rule):
            for query in ("", "?format=csv", "?format=xlsx"):
                response = admin.get(url + query)
                disposition = response.headers.get("Content-Disposition", "")
                if disposition.startswith("attachment"):
                    fmt = disposition.rstrip('"').rsplit(".", 1)[-1]
                    found.add((rule.endpoint, fmt))
    adapter = app.url_map.bind("localhost")
    covered = {(adapter.match(d.url.split("?")[0])[0], d.fmt) for d in DOWNLOADS}
    assert found == covered
