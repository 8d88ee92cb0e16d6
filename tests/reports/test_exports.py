"""CSV and XLSX exports of every list: exactly the filtered rows, typed cells, safe text."""

import io
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from html import unescape
from urllib.parse import parse_qs, urlsplit

import openpyxl
import pandas as pd
import pytest
import time_machine
from sqlalchemy import func, select

from tests.factories import (
    make_commitment,
    make_engagement,
    make_follow_up,
    make_incentive,
    make_milestone,
    make_partner,
    make_region,
    make_user,
)
from tracker.auth.models import User
from tracker.clusters.models import Capability, PartnerCapability, SupplyLink
from tracker.commitments import services as commitment_services
from tracker.commitments.models import Milestone
from tracker.core import tables as exports
from tracker.core.types import today
from tracker.extensions import db
from tracker.incentives import services as incentive_services
from tracker.incentives.models import Incentive
from tracker.monitoring.models import Alert, AlertRecipient, JobRun
from tracker.partners.models import Engagement, FollowUp, Partner, PartnerStatus, Region
from tracker.reports.lists import LISTS

EXPORT_LINK = re.compile(r'<a class="export-link" href="([^"]+)"[^>]*>(CSV|XLSX)</a>')


@dataclass(frozen=True)
class ListPage:
    """A list page that exports: its path, its name in `LISTS`, a query string with a filter
    and a sort (for the links), and one that shows every row (for the downloads)."""

    path: str
    name: str
    query: str = ""
    everything: str = ""

    def __str__(self) -> str:
        return self.name


# The one table of list pages: every test of every list's downloads reads it.
LIST_PAGES = [
    ListPage("/partners", "partners", "?kind=tier1_supplier&sort=name&dir=desc"),
    ListPage("/engagements", "engagements", "?kind=meeting&sort=date&dir=asc"),
    ListPage("/followups", "followups", "?scope=everyone&show=all", "?scope=everyone&show=all"),
    ListPage("/regions", "regions"),
    ListPage("/incentives", "incentives", "?status=awarded&sort=title"),
    ListPage("/incentives/deadlines", "deadlines"),
    ListPage("/due", "due", "?window=overdue&sort=kind&dir=desc"),
    ListPage("/commitments", "commitments", "?kind=anchor_volume&sort=title&dir=desc"),
    ListPage(
        "/milestones", "milestones", "?scope=everyone&status=all", "?scope=everyone&status=all"
    ),
    ListPage("/alerts", "alerts", "?scope=everyone&state=all", "?scope=everyone&state=all"),
    ListPage("/admin/users", "users"),
    ListPage("/admin/jobs", "jobs"),
    ListPage("/admin/audit", "audit", "?action=update"),
    ListPage("/clusters/scorecard", "scorecard", "?sort=completeness&dir=asc"),
    ListPage("/clusters/dependencies", "dependencies"),
    ListPage("/clusters/routes", "routes"),
]


def test_the_table_of_list_pages_holds_every_exportable_list():
    assert sorted(page.name for page in LIST_PAGES) == sorted(LISTS)


@pytest.fixture
def seeded(runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    _scan_once()


def _scan_once():
    """Some alerts and a job run, so those lists have rows."""
    from tracker.monitoring.services import scan

    scan()
    db.session.add(JobRun(job="scan", outcome="success", raised=3))
    db.session.commit()


def _csv(response) -> pd.DataFrame:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"  # one charset
    assert response.data.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark, for Excel
    return pd.read_csv(
        io.BytesIO(response.data), encoding="utf-8-sig", dtype=str, keep_default_na=False
    )


def _xlsx(response) -> pd.DataFrame:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == exports.FORMATS["xlsx"].split(";")[0]
    return pd.read_excel(io.BytesIO(response.data), keep_default_na=False)


def _sheet(response):
    return openpyxl.load_workbook(io.BytesIO(response.data)).active


def _as_text(value) -> str:
    """An XLSX cell as the CSV writes it."""
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat() if value == value.normalize() else str(value)
    return str(value)


def _column(frame: pd.DataFrame, header: str) -> list[str]:
    return [str(value) for value in frame[header]]


# --- Every list -------------------------------------------------------------------------


@pytest.mark.parametrize("page", LIST_PAGES, ids=str)
def test_every_list_exports_csv_and_xlsx_with_readable_headers(seeded, admin_client, page):
    headers = [column.header for column in LISTS[page.name].columns]
    joiner = "&" if page.query else "?"
    as_csv = admin_client.get(f"{page.path}{page.query}{joiner}format=csv")
    as_xlsx = admin_client.get(f"{page.path}{page.query}{joiner}format=xlsx")
    frame_csv, frame_xlsx = _csv(as_csv), _xlsx(as_xlsx)
    assert list(frame_csv.columns) == headers
    assert list(frame_xlsx.columns) == headers
    assert len(frame_csv) == len(frame_xlsx) > 0, page.name
    first = headers[0]
    assert _column(frame_csv, first) == [_as_text(v) for v in frame_xlsx[first]]
    stamp = today().isoformat()
    for response, fmt in ((as_csv, "csv"), (as_xlsx, "xlsx")):
        disposition = response.headers["Content-Disposition"]
        assert disposition == f'attachment; filename="{page.name}-{stamp}.{fmt}"'
    sheet = _sheet(as_xlsx)
    assert sheet.freeze_panes == "A2"
    assert all(cell.font.bold for cell in sheet[1])


@pytest.mark.parametrize("page", LIST_PAGES, ids=str)
def test_every_list_page_links_to_its_exports_with_filters_and_sort(seeded, admin_client, page):
    """The links as the page shows them carry its filters and sort, and bring back files."""
    query = page.query
    html = admin_client.get(f"{page.path}{query}{'&' if query else '?'}page=1").get_data(
        as_text=True
    )
    assert '<p class="exports">' in html
    links = {label: unescape(href) for href, label in EXPORT_LINK.findall(html)}
    assert set(links) == {"CSV", "XLSX"}
    expected = parse_qs(query.lstrip("?"))
    for label, href in links.items():
        parts = urlsplit(href)
        assert parts.path == page.path
        args = parse_qs(parts.query)
        assert args.pop("format") == [label.lower()]
        assert "page" not in args
        assert args == expected
        followed = admin_client.get(href)
        frame = _csv(followed) if label == "CSV" else _xlsx(followed)
        assert followed.headers["Content-Disposition"].startswith("attachment; filename=")
        assert list(frame.columns) == [column.header for column in LISTS[page.name].columns]


# --- Exactly the filtered rows, in the page's order ---------------------------------------


def test_partner_export_holds_every_filtered_row_across_pages_in_order(app, viewer_client):
    for n in range(23):
        make_partner(f"Supplier {n:02d}", kind="tier1_supplier", country_code="MX")
    make_partner("Agency elsewhere", kind="economic_agency", country_code="MX")
    make_partner("Archived supplier", kind="tier1_supplier", status=PartnerStatus.ARCHIVED)
    db.session.commit()
    app.config["PAGE_SIZE"] = 10
    try:
        query = "?kind=tier1_supplier&sort=name&dir=desc"
        html = viewer_client.get(f"/partners{query}").get_data(as_text=True)
        assert "1–10 of 23 partners" in html
        frame = _xlsx(viewer_client.get(f"/partners{query}&format=xlsx"))
    finally:
        app.config["PAGE_SIZE"] = 50
    expected = list(
        db.session.scalars(
            select(Partner.name)
            .where(Partner.kind == "tier1_supplier", Partner.status != PartnerStatus.ARCHIVED)
            .order_by(func.lower(Partner.name).desc())
        )
    )
    assert len(expected) == 23
    assert list(frame["Name"]) == expected
    assert set(frame["Kind"]) == {"Tier-1 supplier"}


def test_engagement_export_matches_the_filter(viewer_client):
    hu, sk = make_partner("Agency HU"), make_partner("Agency SK", country_code="SK")
    t = today()
    for n in range(5):
        make_engagement([hu], occurred_on=t - timedelta(days=n), subject=f"HU meeting {n}")
        make_engagement([sk], occurred_on=t - timedelta(days=n), subject=f"SK call {n}")
    db.session.commit()
    frame = _csv(viewer_client.get(f"/engagements?partner_id={hu.id}&sort=date&format=csv"))
    expected = list(
        db.session.scalars(
            select(Engagement.subject)
            .where(Engagement.subject.like("HU%"))
            .order_by(Engagement.occurred_on, Engagement.id.desc())
        )
    )
    assert list(frame["Subject"]) == expected
    assert list(frame["Partners"]) == ["Agency HU"] * 5
    assert list(frame["Date"]) == [(t - timedelta(days=n)).isoformat() for n in reversed(range(5))]


def test_follow_up_export_follows_scope_and_state(viewer_client):
    partner = make_partner()
    engagement = make_engagement([partner])
    t = today()
    mine = viewer_client.user
    make_follow_up(engagement, owner=mine, due_on=t + timedelta(days=3), title="Send minutes")
    make_follow_up(engagement, owner=mine, due_on=t, done_on=t, title="Book room")
    make_follow_up(engagement, owner=make_user(), due_on=t, title="Someone else's")
    db.session.commit()
    frame = _csv(viewer_client.get("/followups?format=csv"))
    assert list(frame["Action"]) == ["Send minutes"]
    frame = _csv(viewer_client.get("/followups?scope=everyone&show=all&format=csv"))
    assert sorted(frame["Action"]) == ["Book room", "Send minutes", "Someone else's"]
    assert db.session.scalar(select(func.count()).select_from(FollowUp)) == 3


def test_incentive_export_has_money_as_numbers_with_currency_and_real_dates(viewer_client):
    agency = make_partner("HIPA")
    make_incentive(
        agency,
        title="Grant A",
        currency="HUF",
        amount_offered=Decimal("4500000000.50"),
        application_deadline=date(2026, 6, 30),
    )
    make_incentive(agency, title="Grant B", currency="EUR", amount_offered=Decimal("1250000"))
    make_incentive(agency, title="Other", status="submitted")
    db.session.commit()
    response = viewer_client.get("/incentives?status=identified&sort=title&format=xlsx")
    frame = _xlsx(response)
    assert list(frame["Title"]) == ["Grant A", "Grant B"]
    assert list(frame["Currency"]) == ["HUF", "EUR"]
    assert list(frame["Offered"]) == [4500000000.5, 1250000.0]
    sheet = _sheet(response)
    header = [cell.value for cell in sheet[1]]
    offered = sheet.cell(row=2, column=header.index("Offered") + 1)
    assert offered.data_type == "n" and offered.value == 4500000000.5
    assert offered.number_format == "#,##0.00"
    deadline = sheet.cell(row=2, column=header.index("Application deadline") + 1)
    assert deadline.is_date
    assert deadline.value.date() == date(2026, 6, 30)
    empty = sheet.cell(row=3, column=header.index("Application deadline") + 1)
    assert empty.value is None
    as_csv = _csv(viewer_client.get("/incentives?status=identified&sort=title&format=csv"))
    assert list(as_csv["Offered"]) == ["4500000000.50", "1250000.00"]
    assert list(as_csv["Application deadline"]) == ["2026-06-30", ""]


def test_pandas_reads_exported_dates_as_dates(viewer_client):
    make_incentive(title="Dated", application_deadline=date(2027, 1, 15))
    db.session.commit()
    frame = pd.read_excel(io.BytesIO(viewer_client.get("/incentives?format=xlsx").data))
    assert pd.api.types.is_datetime64_any_dtype(frame["Application deadline"])
    assert pd.api.types.is_numeric_dtype(frame["Offered"])
    assert frame["Application deadline"][0] == pd.Timestamp(2027, 1, 15)


def test_commitment_and_milestone_exports_match_the_filters(viewer_client):
    anchor = make_commitment("anchor_volume", title="Anchor B", value=Decimal("900000"))
    make_commitment("anchor_volume", title="Anchor A")
    make_commitment("co_investment", title="Joint lab")
    for n in range(3):
        make_milestone(anchor, title=f"Step {n}", due_on=today() + timedelta(days=n + 1))
    make_milestone(anchor, title="Finished", status="done", completed_on=today())
    db.session.commit()
    frame = _xlsx(viewer_client.get("/commitments?kind=anchor_volume&sort=title&format=xlsx"))
    assert list(frame["Title"]) == ["Anchor A", "Anchor B"]
    assert list(frame["Kind"]) == ["Anchor volume", "Anchor volume"]
    assert frame["Value"][1] == 900000.0
    assert frame["Next milestone"][1] == pd.Timestamp(today() + timedelta(days=1))

    frame = _csv(viewer_client.get("/milestones?scope=everyone&format=csv"))
    expected = db.session.scalars(
        commitment_services.milestone_list_query(
            commitment_services.MilestoneFilters(status="open"), today()
        ).with_only_columns(Milestone.title)
    ).all()
    assert list(frame["Milestone"]) == expected == ["Step 0", "Step 1", "Step 2"]
    frame = _csv(viewer_client.get("/milestones?scope=everyone&status=done&format=csv"))
    assert list(frame["Milestone"]) == ["Finished"]
    assert list(frame["Completed on"]) == [today().isoformat()]


def test_regions_deadlines_alerts_users_and_jobs_match_the_database(seeded, admin_client):
    frame = _csv(admin_client.get("/regions?format=csv"))
    regions = db.session.scalars(select(Region).order_by(Region.country_code, Region.name)).all()
    assert list(frame["Region"]) == [r.name for r in regions]

    frame = _csv(admin_client.get("/incentives/deadlines?format=csv"))
    deadlines = incentive_services.deadlines(today())
    assert list(frame["Date"]) == [d.on.isoformat() for d in deadlines]
    assert list(frame["Incentive"]) == [d.incentive.title for d in deadlines]

    frame = _csv(admin_client.get("/alerts?scope=everyone&state=all&format=csv"))
    assert len(frame) == db.session.scalar(select(func.count()).select_from(Alert))
    frame = _csv(admin_client.get("/alerts?format=csv"))  # mine: the admin's own
    mine = select(func.count()).where(AlertRecipient.user_id == admin_client.user.id)
    assert len(frame) == db.session.scalar(mine)

    frame = _csv(admin_client.get("/admin/users?format=csv"))
    users = db.session.scalars(select(User).order_by(User.active.desc(), User.name)).all()
    assert list(frame["E-mail"]) == [u.email for u in users]

    frame = _csv(admin_client.get("/admin/jobs?format=csv"))
    assert len(frame) == db.session.scalar(select(func.count()).select_from(JobRun))


# --- Formulas, formats, permissions ----------------------------------------------------------

DANGEROUS = ['=HYPERLINK("http://evil.example","click")', "+1", "-2+3", "@SUM(A1:A9)"]


def test_formula_looking_text_is_neutralised_in_csv_and_xlsx(viewer_client):
    for name in DANGEROUS:
        make_partner(name)
    make_partner("Plain name")
    db.session.commit()
    frame = _csv(viewer_client.get("/partners?format=csv"))
    names = list(frame["Name"])
    for name in DANGEROUS:
        assert "'" + name in names
    assert "Plain name" in names
    sheet = _sheet(viewer_client.get("/partners?format=xlsx"))
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    for cell in cells:
        assert cell.data_type == "s"  # text, never a formula
        assert not str(cell.value).startswith(("=", "+", "-", "@"))
    assert {cell.value for cell in cells} == {"'" + n for n in DANGEROUS} | {"Plain name"}


def test_numbers_and_dates_are_never_neutralised():
    columns = [
        exports.Column("Days left", lambda r: r[0], "integer"),
        exports.Column("Amount", lambda r: r[1], "money"),
        exports.Column("Due", lambda r: r[2], "date"),
        exports.Column("Note", lambda r: r[3]),
    ]
    rows = [(-5, Decimal("-12.50"), date(2026, 1, 2), "-minus text")]
    sheet = openpyxl.load_workbook(
        io.BytesIO(exports.export_bytes(rows, columns, "xlsx", sheet="Test"))
    ).active
    values = [cell.value for cell in sheet[2]]
    assert values[:2] == [-5, -12.5]
    assert sheet.cell(row=2, column=3).is_date
    assert values[3] == "'-minus text"
    text = exports.export_bytes(rows, columns, "csv", sheet="Test").decode("utf-8-sig")
    assert text.splitlines()[1] == "-5,-12.50,2026-01-02,'-minus text"


def test_timestamps_are_exported_in_utc_without_a_zone():
    columns = [exports.Column("At (UTC)", lambda r: r, "datetime")]
    moment = datetime(2026, 3, 1, 14, 30, 15, tzinfo=UTC)
    sheet = openpyxl.load_workbook(
        io.BytesIO(exports.export_bytes([moment], columns, "xlsx", sheet="T"))
    ).active
    assert sheet["A2"].is_date and sheet["A2"].value == datetime(2026, 3, 1, 14, 30, 15)
    text = exports.export_bytes([moment], columns, "csv", sheet="T").decode("utf-8-sig")
    assert "2026-03-01 14:30:15" in text


def test_unknown_format_is_a_400_with_a_clear_message(viewer_client):
    response = viewer_client.get("/partners?format=pdf")
    assert response.status_code == 400
    assert "Unknown export format “pdf”: choose csv or xlsx." in response.get_data(as_text=True)


def test_viewer_may_export_and_anonymous_is_sent_to_login(client, viewer_client):
    make_partner("Visible")
    db.session.commit()
    assert _xlsx(viewer_client.get("/partners?format=xlsx"))["Name"].tolist() == ["Visible"]
    response = client.get("/partners?format=csv")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    assert viewer_client.get("/admin/users?format=csv").status_code == 403
    assert viewer_client.get("/admin/jobs?format=xlsx").status_code == 403


def test_filename_carries_the_day(app):
    from tests.conftest import login

    user = make_user("viewer")
    db.session.commit()
    with time_machine.travel(datetime(2031, 3, 15, 9, tzinfo=UTC), tick=False):
        client = app.test_client()
        login(client, user.email)
        response = client.get("/regions?format=csv")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="regions-2031-03-15.csv"'
    )


# --- Query counts ------------------------------------------------------------------------------


def _grow(n: int):
    owner = make_user("owner")
    region = make_region()
    agency = make_partner(region_id=region.id, owner=owner)
    capability = Capability(name=f"Supplied to {region.name}", kind="production")
    for _ in range(n):
        partner = make_partner(region_id=region.id, owner=owner)
        abroad = make_partner(kind="tier2_supplier", country_code="CN")
        db.session.add(PartnerCapability(partner=abroad, capability=capability))
        db.session.add(
            SupplyLink(
                buyer=partner,
                supplier=abroad,
                capability=capability,
                annual_tonnage=Decimal(5),
                transport_mode="sea",
            )
        )
        engagement = make_engagement([partner, agency], attendees=[owner])
        make_follow_up(engagement, owner=owner)
        make_incentive(
            partner, region_id=region.id, application_deadline=today() + timedelta(days=9)
        )
        commitment = make_commitment("co_investment", owner=owner)
        make_milestone(commitment, title="Milestone")
        alert = Alert(
            subject_type="milestones",
            subject_id=commitment.id,
            kind="milestone_due",
            threshold_days=7,
            due_on=today(),
            title="Due",
            message="Due soon",
            path="/",
        )
        db.session.add(alert)
        db.session.flush()
        db.session.add(AlertRecipient(alert_id=alert.id, user_id=owner.id))
        db.session.add(JobRun(job="scan", outcome="success"))
    db.session.commit()


@pytest.mark.parametrize("page", LIST_PAGES, ids=str)
def test_export_query_count_does_not_grow_with_rows(admin_client, count_queries, page):
    path = page.path + page.everything
    url = f"{path}{'&' if '?' in path else '?'}format=xlsx"
    _grow(3)
    admin_client.get(url)  # warm up
    with count_queries() as small:
        small_frame = _xlsx(admin_client.get(url))
    _grow(30)
    with count_queries() as large:
        large_frame = _xlsx(admin_client.get(url))
    # Regions and users do not grow; the factories write no audit trail.
    assert len(large_frame) > len(small_frame) or page.name in ("regions", "users", "audit")
    assert small.count == large.count, (small.statements, large.statements)


# --- Command line ---------------------------------------------------------------------------


def test_export_command_writes_each_list(runner, tmp_path):
    make_partner("Zeta agency")
    make_partner("Alpha agency")
    make_incentive(title="Some grant")
    db.session.commit()
    output = tmp_path / "partners.xlsx"
    result = runner.invoke(args=["export", "partners", "--output", str(output)])
    assert result.exit_code == 0, result.output
    names = pd.read_excel(output)["Name"].tolist()
    assert names == sorted(db.session.scalars(select(Partner.name)), key=str.lower)
    output = tmp_path / "incentives.txt"
    result = runner.invoke(
        args=["export", "incentives", "--format", "csv", "--output", str(output)]
    )
    assert result.exit_code == 0, result.output
    assert pd.read_csv(output, encoding="utf-8-sig")["Title"].tolist() == ["Some grant"]
    for name in LISTS:
        result = runner.invoke(args=["export", name, "-o", str(tmp_path / f"{name}.csv")])
        assert result.exit_code == 0, (name, result.output)
    result = runner.invoke(args=["export", "nonsense", "-o", str(tmp_path / "x.csv")])
    assert result.exit_code == 2
    assert db.session.scalar(select(func.count()).select_from(Incentive)) == 1
