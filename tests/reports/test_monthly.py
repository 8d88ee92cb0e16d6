"""The monthly board report: each section's figures, the month picker, PDF and XLSX."""

import re
import zlib
from datetime import UTC, date, datetime
from decimal import Decimal
from io import BytesIO

import pandas as pd
import pytest
import time_machine
from sqlalchemy import select

from tests.conftest import login
from tests.factories import (
    make_commitment,
    make_engagement,
    make_follow_up,
    make_fx_rate,
    make_incentive,
    make_milestone,
    make_obligation,
    make_partner,
    make_user,
)
from tracker.core.states import MonthEnd, keep_month_end
from tracker.extensions import db
from tracker.incentives.models import IncentiveStatusChange
from tracker.partners.models import PartnerKind
from tracker.reports import monthly
from tracker.reports.monthly import Month, MonthError, parse_month
from tracker.reports.monthly_pdf import report_pdf
from tracker.reports.monthly_xlsx import report_xlsx

MARCH = Month(2026, 3)
TODAY = date(2026, 4, 15)  # March is the previous full month


def travel(day: date = TODAY):
    return time_machine.travel(datetime(day.year, day.month, day.day, 9, tzinfo=UTC), tick=False)


@pytest.fixture
def viewer(app):
    """A signed-in viewer on 15 April 2026; the whole test runs on that day.

    (The sign-in must happen on the travelled-to day: a session cookie signed "later"
    would be refused as from the future.)
    """
    with travel():
        user = make_user("viewer")
        db.session.commit()
        client = app.test_client()
        assert login(client, user.email).status_code == 302
        yield client


def moved(incentive, *steps):
    """Record `(from, to, on)` status changes, as the pipeline would have."""
    for minute, (from_status, to_status, on) in enumerate(steps):
        db.session.add(
            IncentiveStatusChange(
                incentive=incentive,
                from_status=from_status,
                to_status=to_status,
                changed_on=on,
                changed_at=datetime(on.year, on.month, on.day, 9, minute, tzinfo=UTC),
            )
        )
    db.session.flush()


def build_march():
    """A portfolio around the end of March 2026, with every figure countable by hand.

    Rates to EUR: USD 0.90 from 1 January and 0.80 from 1 April (after the month: not
    used); HUF only from 10 April, so HUF is missing at the end of March.
    """
    make_fx_rate("USD", "0.90", date(2026, 1, 1))
    make_fx_rate("USD", "0.80", date(2026, 4, 1))
    make_fx_rate("HUF", "0.0025", date(2026, 4, 10))

    gyor = make_partner("Győr Agency", kind=PartnerKind.ECONOMIC_AGENCY)
    dvorak = make_partner("Dvořák Tooling", kind=PartnerKind.TIER2_SUPPLIER, country_code="CZ")
    trevino = make_partner(
        "Treviño Logística", kind=PartnerKind.LOGISTICS_PROVIDER, country_code="MX"
    )
    brno = make_partner("Brno Cluster", kind=PartnerKind.CLUSTER_ALLIANCE, country_code="CZ")

    # Engagements: three in March (Dvořák and Treviño met for the first time).
    make_engagement([gyor], occurred_on=date(2026, 2, 28))
    make_engagement([gyor, dvorak], occurred_on=date(2026, 3, 1), kind="meeting")
    make_engagement([trevino], occurred_on=date(2026, 3, 15), kind="site_visit")
    make_engagement([gyor], occurred_on=date(2026, 3, 31), kind="call")
    april = make_engagement([brno], occurred_on=date(2026, 4, 1), kind="workshop")
    make_follow_up(april, due_on=date(2026, 4, 20), title="Send the cluster map")
    make_follow_up(april, due_on=date(2026, 4, 22), done_on=date(2026, 4, 2))

    # Incentives. Four moves in March: rejected, and three awards (EUR, HUF, USD).
    grant = make_incentive(
        gyor,
        title="Győr battery grant",
        status="awarded",
        amount_awarded=Decimal("500000"),
        awarded_on=date(2026, 3, 10),
        clawback_rule="pro_rata",
    )
    moved(
        grant,
        (None, "identified", date(2026, 1, 5)),
        ("identified", "preparing", date(2026, 2, 20)),
        ("preparing", "submitted", date(2026, 2, 27)),
        ("submitted", "awarded", date(2026, 3, 10)),
    )
    make_obligation(grant, target=100, actual=60, due_on=date(2026, 12, 31))  # 40% short

    credit = make_incentive(
        trevino,
        title="Treviño tax credit",
        status="in_compliance",
        currency="USD",
        amount_awarded=Decimal("1000000"),
        awarded_on=date(2026, 3, 31),
        clawback_rule="cliff",
        clawback_floor_pct=Decimal("80"),
    )
    moved(
        credit,
        ("submitted", "awarded", date(2026, 3, 31)),
        ("awarded", "in_compliance", date(2026, 4, 2)),
    )
    make_obligation(credit, target=100, actual=50, due_on=date(2026, 3, 15))  # missed, cliff

    land = make_incentive(
        gyor,
        title="Győr land",
        status="awarded",
        currency="HUF",
        amount_awarded=Decimal("100000000"),
        awarded_on=date(2026, 3, 20),
        clawback_rule="pro_rata",
    )
    moved(land, ("submitted", "awarded", date(2026, 3, 20)))
    make_obligation(land, target=100, actual=90, due_on=date(2027, 1, 1))  # 10% short

    rejected = make_incentive(dvorak, title="Dvořák training subsidy", status="rejected")
    moved(rejected, ("submitted", "rejected", date(2026, 3, 5)))

    # Awarded only in April: not held at the end of March, and no move in March.
    later = make_incentive(
        brno,
        title="Brno innovation grant",
        status="awarded",
        amount_awarded=Decimal("2000000"),
        awarded_on=date(2026, 4, 2),
        clawback_rule="pro_rata",
    )
    moved(
        later,
        ("preparing", "submitted", date(2026, 2, 28)),
        ("submitted", "awarded", date(2026, 4, 2)),
    )
    make_obligation(later, target=100, actual=0, due_on=date(2026, 9, 30))

    # Closed in April, so in compliance at the end of March: 50% short → EUR 150,000.
    closed = make_incentive(
        gyor,
        title="Győr wage subsidy",
        status="closed",
        amount_awarded=Decimal("300000"),
        awarded_on=date(2025, 12, 1),
        clawback_rule="pro_rata",
    )
    moved(
        closed,
        ("awarded", "in_compliance", date(2026, 1, 10)),
        ("in_compliance", "closed", date(2026, 4, 5)),
    )
    make_obligation(closed, target=10, actual=5, due_on=date(2026, 6, 30))

    # Commitments, each running through 2026.
    year = {"start_on": date(2026, 1, 1), "end_on": date(2026, 12, 31)}

    def co_investment(title, value, currency="EUR", spend_share="0.5", **fields):
        return make_commitment(
            "co_investment",
            title=title,
            currency=currency,
            budget=Decimal(value),
            value=Decimal(value),
            spend_to_date=Decimal(value) * Decimal(spend_share),
            counterparty=dvorak,
            **{**year, **fields},
        )

    hall = co_investment("Dvořák hall", "1000000")  # red: m3 overdue, m5 missed
    make_milestone(
        hall, title="m1", due_on=date(2026, 3, 10), status="done", completed_on=date(2026, 3, 8)
    )
    make_milestone(
        hall, title="m2", due_on=date(2026, 2, 20), status="done", completed_on=date(2026, 3, 5)
    )
    make_milestone(hall, title="m3", due_on=date(2026, 3, 20))
    make_milestone(hall, title="m5", due_on=date(2026, 3, 28), status="missed")
    make_milestone(hall, title="m6", due_on=date(2026, 4, 10))
    make_milestone(
        hall, title="m7", due_on=date(2026, 3, 31), status="done", completed_on=date(2026, 3, 31)
    )
    make_milestone(
        hall, title="m8", due_on=date(2026, 2, 27), status="done", completed_on=date(2026, 2, 27)
    )

    # Green today, but red at the end of March: m4 was overdue until 3 April.
    press = co_investment("Győr press line", "400000")
    make_milestone(
        press, title="m4", due_on=date(2026, 3, 25), status="done", completed_on=date(2026, 4, 3)
    )

    lab = co_investment("Treviño lab", "2000000", currency="USD", spend_share="0")  # amber
    make_milestone(lab, title="Lab fitted out", due_on=date(2026, 4, 5))

    co_investment("Brno test bench", "500000")  # green
    co_investment("Győr training hall", "50000000", currency="HUF")  # green, no HUF rate

    cancelled = co_investment("Cancelled depot", "100000", status="cancelled")
    make_milestone(cancelled, title="Depot permit", due_on=date(2026, 3, 15))
    co_investment("Future plant", "900000", status="planned", start_on=date(2026, 5, 1))
    db.session.commit()


# --- The month ----------------------------------------------------------------------


def test_parse_month_defaults_to_the_previous_full_month():
    assert parse_month(None, TODAY) == MARCH
    assert parse_month("", date(2026, 1, 3)) == Month(2025, 12)
    assert parse_month(" 2026-02 ", TODAY) == Month(2026, 2)
    assert parse_month("2026-04", TODAY) == Month(2026, 4)  # the month in progress


@pytest.mark.parametrize(
    ("text", "status", "message"),
    [
        ("march", 400, "is not a month"),
        ("2026/03", 400, "is not a month"),
        ("2026-13", 400, "There is no month 13"),
        ("2026-00", 400, "There is no month 0"),
        ("0999-01", 400, "before the tracker"),
        ("2026-05", 404, "May 2026 has not started yet"),
    ],
)
def test_parse_month_refuses_what_is_not_a_reportable_month(text, status, message):
    with pytest.raises(MonthError) as raised:
        parse_month(text, TODAY)
    assert raised.value.status == status
    assert message in raised.value.message


def test_month_arithmetic():
    assert MARCH.first == date(2026, 3, 1) and MARCH.last == date(2026, 3, 31)
    assert Month(2024, 2).last == date(2024, 2, 29)
    assert Month(2026, 1).previous == Month(2025, 12)
    assert Month(2025, 12).following == Month(2026, 1)
    assert (MARCH.key, MARCH.label) == ("2026-03", "March 2026")


# --- The sections ---------------------------------------------------------------------


def test_engagements_count_only_the_month():
    build_march()
    e = monthly.monthly_report(MARCH, TODAY).engagements
    assert e.held == 3
    assert sorted(e.by_kind) == [("Call", 1), ("Meeting", 1), ("Site visit", 1)]
    assert e.partners_engaged == 3  # Győr, Dvořák, Treviño
    assert e.first_time_partners == 2  # Győr was first met in February
    assert e.by_partner_kind == [
        ("Economic agency", 1),
        ("Tier-2 supplier", 1),
        ("Logistics provider", 1),
    ]


def test_incentive_moves_are_the_status_changes_dated_in_the_month():
    build_march()
    report = monthly.monthly_report(MARCH, TODAY)
    i = report.incentives
    assert [(m.changed_on.day, m.incentive.title, m.from_label, m.to_label) for m in i.moves] == [
        (5, "Dvořák training subsidy", "Submitted", "Rejected"),
        (10, "Győr battery grant", "Submitted", "Awarded"),
        (20, "Győr land", "Submitted", "Awarded"),
        (31, "Treviño tax credit", "Submitted", "Awarded"),
    ]
    assert i.by_destination == [("Awarded", 3), ("Rejected", 1)]
    # EUR 500,000 + USD 1,000,000 at 0.90 (the rate in force on 31 March, not April's 0.80);
    # HUF has no rate at the end of March and is left out, named in a warning.
    assert [a.converted for a in i.awards] == [Decimal("500000.00"), None, Decimal("900000.00")]
    assert i.awarded_total.amount == Decimal("1400000.00")
    assert i.awarded_total.missing == {"HUF": Decimal("100000000")}
    assert any(w.startswith("Newly awarded") and "HUF" in w for w in report.warnings)


def test_milestones_met_and_missed():
    build_march()
    m = monthly.monthly_report(MARCH, TODAY).milestones
    assert [(r.milestone.title, r.days_late, r.note) for r in m.met] == [
        ("m2", 13, "13 days late"),
        ("m1", -2, "on time"),
        ("m7", 0, "on time"),
    ]
    assert m.met_on_time == 2
    assert [(r.milestone.title, r.note) for r in m.missed] == [
        ("m3", "still planned"),
        ("m4", "done later, on 2026-04-03"),
        ("m5", "marked missed"),
    ]
    assert m.due == 5  # m1, m3, m4, m5, m7; the cancelled commitment's permit is not owed


def kept_or_not(kept: bool) -> None:
    """Judge the portfolio as it stood on 31 March and keep it (as the scan does when a month
    ends), or not (the report then derives it): both must read the same."""
    if kept:
        assert keep_month_end(MARCH.last)
        db.session.commit()


@pytest.mark.parametrize("kept", [False, True], ids=["derived", "kept"])
def test_exposure_at_month_end_in_the_reporting_currency(kept):
    build_march()
    kept_or_not(kept)
    report = monthly.monthly_report(MARCH, TODAY)
    x = report.exposure
    # Held on 31 March: the grant, the tax credit (awarded that day), the land, and the
    # wage subsidy (closed only in April). The Brno grant was awarded in April.
    assert x.incentives_held == 4
    assert [(r.incentive.title, r.amount, r.converted, r.status) for r in x.rows] == [
        ("Treviño tax credit", Decimal("1000000.00"), Decimal("900000.00"), "awarded"),
        ("Győr battery grant", Decimal("200000.00"), Decimal("200000.00"), "awarded"),
        ("Győr wage subsidy", Decimal("150000.00"), Decimal("150000.00"), "in_compliance"),
        ("Győr land", Decimal("10000000.00"), None, "awarded"),
    ]
    assert x.total.amount == Decimal("1250000.00")
    assert x.total.missing == {"HUF": Decimal("10000000.00")}
    assert x.with_missed_obligation == 1  # the tax credit's obligation was due on 15 March
    assert any(
        w.startswith("Clawback exposure, at the rates in force on 2026-03-31")
        and "HUF 10,000,000" in w
        for w in report.warnings
    )


@pytest.mark.parametrize("kept", [False, True], ids=["derived", "kept"])
def test_commitments_by_health_at_month_end(kept):
    build_march()
    kept_or_not(kept)
    h = monthly.monthly_report(MARCH, TODAY).health
    figures = {b.state: (b.count, b.value.amount, b.value.missing) for b in h.buckets}
    assert figures == {
        "red": (2, Decimal("1400000.00"), {}),
        "amber": (1, Decimal("1800000.00"), {}),
        "green": (2, Decimal("500000.00"), {"HUF": Decimal("50000000")}),
    }
    assert [(r.commitment.title, r.health.state) for r in h.attention] == [
        ("Dvořák hall", "red"),
        ("Győr press line", "red"),
        ("Treviño lab", "amber"),
    ]
    assert "m4" in h.attention[1].health.reason


def test_due_next_month_lists_what_is_still_open():
    build_march()
    d = monthly.monthly_report(MARCH, TODAY).due_next
    assert d.month == Month(2026, 4)
    assert [(item.due_on.day, item.kind_label) for item in d.items] == [
        (5, "Milestone due"),
        (10, "Milestone due"),
        (20, "Follow up due"),
    ]


def test_the_month_in_progress_runs_to_today():
    build_march()
    report = monthly.monthly_report(Month(2026, 4), TODAY)
    assert (report.as_of, report.complete) == (TODAY, False)
    assert report.period == "1–15 April 2026 (so far)"
    assert report.engagements.held == 1
    # m6 (due 10 April, still planned) is missed already; nothing due after today is.
    assert [r.milestone.title for r in report.milestones.missed] == ["Lab fitted out", "m6"]


@pytest.mark.parametrize("kept", [False, True], ids=["derived", "kept"])
def test_headlines_match_the_sections(kept):
    build_march()
    kept_or_not(kept)
    figures = {h.label: h for h in monthly.monthly_report(MARCH, TODAY).headlines}
    headlines = {label: h.value for label, h in figures.items()}
    assert headlines == {
        "Engagements held": 3,
        "Incentive moves": 4,
        "Newly awarded": Decimal("1400000.00"),
        "Clawback exposure": Decimal("1250000.00"),
        "Milestones met": 3,
        "Milestones missed": 3,
        "Commitments at red": 2,
        "Due in April 2026": 3,
    }
    # A total that leaves an amount out for want of a rate says so beside the figure.
    assert figures["Clawback exposure"].detail == (
        "on 2026-03-31: 4 of 4 incentives held; not counted, no rate: HUF 10,000,000"
    )
    assert figures["Newly awarded"].detail.endswith("no rate: HUF 100,000,000")
    assert [h.label for h in figures.values() if h.risk] == [
        "Clawback exposure",
        "Milestones missed",
        "Commitments at red",
    ]


def test_a_kept_month_follows_a_past_corrected_later(app):
    """March is kept; the press line's m4, entered as done on 3 April, was in fact done on
    30 March. The correction re-derives March as it stood: the press line was not red."""
    from tracker.commitments import operations as commitment_ops
    from tracker.commitments.models import Milestone

    build_march()
    kept_or_not(True)
    assert monthly.monthly_report(MARCH, TODAY).health.count("red") == 2

    m4 = db.session.scalars(select(Milestone).where(Milestone.title == "m4")).one()
    with travel():
        commitment_ops.update_milestone(m4, {"completed_on": date(2026, 3, 30)}, actor=None)
    db.session.commit()

    h = monthly.monthly_report(MARCH, TODAY).health
    assert [(r.commitment.title, r.health.state) for r in h.attention] == [
        ("Dvořák hall", "red"),
        ("Treviño lab", "amber"),
    ]
    assert h.count("green") == 3


def test_the_scan_keeps_the_month_just_ended_once(app):
    from tracker.monitoring import services as monitoring

    build_march()
    with travel():
        assert monitoring.scan().month_end_kept
        assert not monitoring.scan().month_end_kept
    assert db.session.scalars(select(MonthEnd.as_of)).all() == [MARCH.last]


def test_the_page_lists_the_first_rows_of_each_long_list_and_counts_them_all(viewer):
    """With more of everything than the page lists, each list shows its first rows, the
    counts and the headlines are of all of them, and the workbook lists them all."""
    from tracker.commitments.models import Commitment
    from tracker.reports.monthly_views import LISTED

    build_march()
    hall = db.session.scalars(select(Commitment).where(Commitment.title == "Dvořák hall")).one()
    for n in range(LISTED + 2):
        make_milestone(
            hall,
            title=f"late {n}",
            due_on=date(2026, 3, 2),
            status="done",
            completed_on=date(2026, 3, 20),
        )
        make_milestone(hall, title=f"open {n}", due_on=date(2026, 3, 3))
        make_milestone(hall, title=f"next {n}", due_on=date(2026, 4, 25))
    db.session.commit()

    html = viewer.get("/reports/monthly?month=2026-03").get_data(as_text=True)
    assert html.count(">late ") == LISTED - 2  # m2 and m1 were completed before them
    assert f"The first {LISTED} of {LISTED + 5}, by completion date" in html
    assert f"The first {LISTED} of {LISTED + 5}, by due date" in html
    assert "soonest first" in html
    figures = {h.label: h.value for h in monthly.monthly_report(MARCH, TODAY).headlines}
    assert figures["Milestones met"] == LISTED + 5
    assert figures["Milestones missed"] == LISTED + 5

    workbook = pd.read_excel(
        BytesIO(viewer.get("/reports/monthly.xlsx?month=2026-03").data), sheet_name=None
    )
    assert sum(title.startswith("late ") for title in workbook["Milestones met"]["Milestone"]) == (
        LISTED + 2
    )


# --- The page ---------------------------------------------------------------------------


def test_viewer_reads_the_previous_month_by_default(viewer):
    build_march()
    response = viewer.get("/reports/monthly")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<h1>Monthly board report: March 2026</h1>" in html
    assert "Dashboard</a> · Monthly board report" in html
    assert 'value="2026-03"' in html
    assert "?month=2026-02" in html and "‹ February 2026" in html
    assert "April 2026 ›" in html  # the month in progress can be read too
    assert "/reports/monthly.pdf?month=2026-03" in html
    assert "/reports/monthly.xlsx?month=2026-03" in html
    for text in ("Győr battery grant", "Treviño Logística", "Dvořák hall", "EUR 1,250,000"):
        assert text in html
    assert "No EUR rate in force for HUF" in html
    assert "plus HUF 10,000,000 that cannot be converted (no rate)" in html


def test_no_link_to_a_month_that_has_not_started(viewer):
    html = viewer.get("/reports/monthly?month=2026-04").get_data(as_text=True)
    assert "still in progress" in html
    assert "May 2026 ›" not in html


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("month=last-month", 400, "is not a month"),
        ("month=2026-13", 400, "There is no month 13"),
        ("month=2026-06", 404, "June 2026 has not started yet"),
    ],
)
@pytest.mark.parametrize(
    "path", ["/reports/monthly", "/reports/monthly.pdf", "/reports/monthly.xlsx"]
)
def test_a_month_that_cannot_be_reported_gets_a_message(viewer, path, query, status, message):
    response = viewer.get(f"{path}?{query}")
    html = response.get_data(as_text=True)
    assert response.status_code == status
    assert response.mimetype == "text/html"
    assert message in html
    assert "Show the report for March 2026" in html


def test_anonymous_visitors_are_sent_to_login(client):
    for path in ("/reports/monthly", "/reports/monthly.pdf", "/reports/monthly.xlsx"):
        response = client.get(f"{path}?month=2026-03")
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")


def test_the_page_makes_the_same_queries_whatever_the_data(viewer, count_queries):
    build_march()
    viewer.get("/reports/monthly")  # warm up
    with count_queries() as small:
        assert viewer.get("/reports/monthly").status_code == 200
    _ten_times_more()
    with count_queries() as large:
        html = viewer.get("/reports/monthly").get_data(as_text=True)
    assert "Busy grant 9" in html
    assert large.count == small.count, (small.statements, large.statements)


def _ten_times_more():
    partners = [make_partner(f"Busy partner {n}") for n in range(10)]
    for n, partner in enumerate(partners):
        for day in (2, 12, 22):
            make_engagement([partner, partners[n - 1]], occurred_on=date(2026, 3, day))
        incentive = make_incentive(
            partner,
            title=f"Busy grant {n}",
            status="awarded",
            amount_awarded=Decimal("1000"),
            awarded_on=date(2026, 3, 3),
            clawback_rule="pro_rata",
        )
        moved(incentive, ("submitted", "awarded", date(2026, 3, 3)))
        make_obligation(incentive, target=10, actual=1, due_on=date(2026, 3, 9))
        commitment = make_commitment(
            "co_investment",
            title=f"Busy commitment {n}",
            start_on=date(2026, 1, 1),
            end_on=date(2026, 12, 31),
        )
        for day in (4, 14, 24):
            make_milestone(commitment, due_on=date(2026, 3, day))
        make_milestone(commitment, due_on=date(2026, 4, 25))
    db.session.commit()


# --- Downloads --------------------------------------------------------------------------


def pdf_text(data: bytes) -> str:
    """The text drawn in an fpdf2 PDF, decoded through each font's ToUnicode map.

    fpdf2 writes Unicode text as two-byte glyph ids; every string is decoded with each
    font's map, so the text of every font is among the results.
    """
    streams = []
    for match in re.finditer(rb"/Length (\d+)[^>]*>>\s*stream\r?\n", data):
        body = data[match.end() : match.end() + int(match.group(1))]
        try:
            streams.append(zlib.decompress(body))
        except zlib.error:
            streams.append(body)
    maps = []
    for stream in streams:
        if b"begincmap" in stream:
            pairs = re.findall(rb"<([0-9A-F]{4})> <([0-9A-F]{4,8})>", stream)
            maps.append({int(a, 16): chr(int(b, 16)) for a, b in pairs})
    texts = []
    escapes = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}
    for stream in streams:
        for raw in re.findall(rb"\(((?:\\.|[^\\)])*)\) ?Tj", stream, re.S):
            raw = re.sub(rb"\\(.)", lambda m: escapes.get(m.group(1), m.group(1)), raw, flags=re.S)
            codes = [int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw) - 1, 2)]
            for cmap in maps:
                texts.append("".join(cmap.get(code, "\ufffd") for code in codes))
    return "\n".join(texts)


def test_pdf_download_is_a_pdf_with_every_name(viewer):
    build_march()
    response = viewer.get("/reports/monthly.pdf?month=2026-03")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    assert "board-report-2026-03.pdf" in response.headers["Content-Disposition"]
    data = response.get_data()
    assert data.startswith(b"%PDF-") and len(data) > 10_000
    assert b"DejaVuSans" in data  # the Unicode font is embedded
    text = pdf_text(data)
    for name in (
        "Monthly board report: March 2026",
        "Győr battery grant",
        "Dvořák Tooling",
        "Treviño Logística",
        "→ Awarded",
        "EUR 1,250,000",
        "No EUR rate in force for HUF",
        "plus HUF 10,000,000 that cannot be converted",
    ):
        assert name in text, name


def test_pdf_of_an_empty_month_builds(app):
    report = monthly.monthly_report(Month(2025, 1), TODAY)
    data = report_pdf(report, TODAY)
    assert data.startswith(b"%PDF-")
    assert "No engagements were held in January 2025." in pdf_text(data)


def test_xlsx_holds_the_same_figures(viewer):
    build_march()
    response = viewer.get("/reports/monthly.xlsx?month=2026-03")
    assert response.status_code == 200
    assert response.mimetype == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "board-report-2026-03.xlsx" in response.headers["Content-Disposition"]
    sheets = pd.read_excel(BytesIO(response.get_data()), sheet_name=None)
    assert list(sheets) == [
        "Summary",
        "Engagements",
        "Incentive moves",
        "New awards",
        "Milestones met",
        "Milestones missed",
        "Exposure",
        "Commitment health",
        "Needing attention",
        "Due 2026-04",
        "About",
    ]
    summary = sheets["Summary"].set_index("Figure")
    assert pd.api.types.is_numeric_dtype(summary["Value"])
    assert summary.loc["Engagements held", "Value"] == 3
    assert summary.loc["Newly awarded", "Value"] == 1_400_000
    assert summary.loc["Clawback exposure", "Value"] == 1_250_000
    assert summary.loc["Clawback exposure", "Currency"] == "EUR"
    assert summary.loc["Milestones missed", "Value"] == 3

    engagements = sheets["Engagements"]
    assert len(engagements) == 3
    assert pd.api.types.is_datetime64_any_dtype(engagements["Date"])
    assert engagements["Date"].min() == pd.Timestamp("2026-03-01")
    assert "Dvořák Tooling, Győr Agency" in set(engagements["Partners"])

    moves = sheets["Incentive moves"]
    assert list(moves["To"]) == ["Rejected", "Awarded", "Awarded", "Awarded"]
    awards = sheets["New awards"]
    assert awards["Award (EUR)"].sum() == 1_400_000  # the HUF award has no rate: empty
    assert awards["Award (EUR)"].isna().sum() == 1

    assert list(sheets["Milestones met"]["Milestone"]) == ["m2", "m1", "m7"]
    assert list(sheets["Milestones missed"]["Milestone"]) == ["m3", "m4", "m5"]
    exposure = sheets["Exposure"]
    assert exposure["Exposure (EUR)"].sum() == 1_250_000
    assert exposure.loc[0, "Incentive"] == "Treviño tax credit"
    health = sheets["Commitment health"].set_index("Health")
    assert health.loc["Red", "Commitments"] == 2
    assert health.loc["Amber", "Value (EUR)"] == 1_800_000
    assert len(sheets["Due 2026-04"]) == 3
    about = sheets["About"]
    assert about.loc[about["Item"] == "Figures as of", "Value"].item() == pd.Timestamp("2026-03-31")
    warnings = about.loc[about["Item"] == "Warning", "Value"]
    assert any("No EUR rate in force for HUF" in warning for warning in warnings)


def test_xlsx_cells_are_typed_and_headers_bold(app):
    from openpyxl import load_workbook

    build_march()
    workbook = load_workbook(BytesIO(report_xlsx(monthly.monthly_report(MARCH, TODAY), TODAY)))
    sheet = workbook["Incentive moves"]
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet["A2"].value == datetime(2026, 3, 5)
    assert sheet["A2"].number_format == "yyyy-mm-dd"
    awards = workbook["New awards"]
    assert awards["E2"].value == 500000 and awards["E2"].number_format == "#,##0.00"
    assert sheet.freeze_panes == "A2"


def test_the_report_of_a_month_without_data_is_empty_not_broken(app):
    with travel(date(2026, 2, 10)):
        user = make_user("viewer")
        db.session.commit()
        client = app.test_client()
        login(client, user.email)
        response = client.get("/reports/monthly")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Monthly board report: January 2026" in html
    assert "No engagements were held in January 2026." in html
    assert "Nothing open falls due in February 2026." in html


def test_xlsx_neutralises_formulas_and_drops_control_characters(app):
    """The board workbook goes through the same cell cleaning as every list export."""
    from openpyxl import load_workbook

    commitment = make_commitment(start_on=date(2026, 1, 1), end_on=date(2026, 12, 31))
    make_milestone(
        commitment,
        title='=HYPERLINK("http://evil.example","Click")',
        due_on=date(2026, 3, 10),
        status="done",
        completed_on=date(2026, 3, 9),
    )
    make_milestone(
        commitment,
        title="Bell\x07 and\x1b escape",
        due_on=date(2026, 3, 12),
        status="done",
        completed_on=date(2026, 3, 11),
    )
    db.session.commit()
    content = report_xlsx(monthly.monthly_report(MARCH, TODAY), TODAY)
    titles = [row[1] for row in load_workbook(BytesIO(content))["Milestones met"].values][1:]
    assert '\'=HYPERLINK("http://evil.example","Click")' in titles
    assert "Bell and escape" in titles


def test_the_page_lists_the_first_engagements_and_the_files_list_them_all(viewer):
    from tracker.reports.monthly_views import LISTED

    build_march()
    busy = make_partner("Busy partner")
    for n in range(LISTED + 7):
        make_engagement([busy], occurred_on=date(2026, 3, 1 + n % 28), subject=f"Visit {n:03d}")
    db.session.commit()
    held = LISTED + 7 + 3  # build_march's three as well

    html = viewer.get("/reports/monthly").get_data(as_text=True)
    assert f"{held} engagements with 4 partners" in html
    assert f"The first {LISTED} of {held}, oldest first." in html
    assert "/engagements?date_from=2026-03-01&amp;date_to=2026-03-31" in html
    section = html.split('id="engagements"')[1].split("</section>")[0]
    assert len(re.findall(r'href="/engagements/\d+"', section)) == LISTED

    report = monthly.monthly_report(MARCH, TODAY)
    assert len(report.engagements.engagements) == report.engagements.held == held
    workbook = pd.read_excel(BytesIO(report_xlsx(report, prepared_on=TODAY)), sheet_name=None)
    assert len(workbook["Engagements"]) == held


# The demo loaded on DEMO_DAY: three month ends behind it and the day itself.
DEMO_DAY = date(2026, 11, 28)


@pytest.mark.parametrize("as_of", [date(2026, 8, 31), date(2026, 10, 31), DEMO_DAY])
def test_health_at_month_end_equals_the_rules_applied_to_every_milestone(app, as_of):
    """The section reads only the milestones that can make a commitment red or amber, and
    counts the rest; the result is what the rules give with every milestone in hand."""
    from tracker.commitments.services import AnyCommitment, health_for, milestone_as_of
    from tracker.core.money import RateBook
    from tracker.demo import seed_demo

    with travel(DEMO_DAY):  # the demo's dates are offsets from the day it is loaded
        seed_demo()
    db.session.commit()
    section = monthly.health_section(as_of, RateBook())

    expected = {}
    for commitment in db.session.scalars(
        select(AnyCommitment).where(AnyCommitment.status.in_(("planned", "active", "on_hold")))
    ):
        if commitment.start_on is not None and commitment.start_on > as_of:
            continue
        then = [milestone_as_of(m, as_of) for m in commitment.milestones]
        health = health_for(commitment, as_of, then)
        expected[commitment.id] = (health.state, health.reason)
    counts = {state: 0 for state in ("red", "amber", "green")}
    for state, _ in expected.values():
        counts[state] += 1
    assert {b.state: b.count for b in section.buckets} == counts
    assert {
        row.commitment.id: (row.health.state, row.health.reason) for row in section.attention
    } == {cid: judged for cid, judged in expected.items() if judged[0] in ("red", "amber")}
    assert counts["red"] + counts["amber"] > 0 and counts["green"] > 0


@pytest.mark.parametrize("as_of", [date(2026, 8, 31), date(2026, 10, 31), DEMO_DAY])
def test_exposure_at_month_end_equals_the_rules_applied_to_each_incentive(app, as_of):
    """The section reads obligations and status histories as plain rows; the result is what
    the clawback rules give each incentive as loaded, with the status it had then."""
    from tracker.core import readings
    from tracker.core.money import RateBook
    from tracker.demo import seed_demo
    from tracker.incentives.models import Incentive
    from tracker.incentives.services import clawback_exposure, status_on

    with travel(DEMO_DAY):
        seed_demo()
    db.session.commit()
    section = monthly.exposure_section(as_of, RateBook())
    actuals = readings.figures_on("obligations", ["actual_value"], as_of)

    expected, held = {}, 0
    for incentive in db.session.scalars(select(Incentive)):
        status = status_on(incentive, as_of)
        if status not in ("awarded", "in_compliance"):
            continue
        held += 1
        original = incentive.status
        incentive.status = status  # seen as it stood, with the actuals of that day (its
        for obligation in incentive.obligations:  # readings); rolled back below
            if (obligation.id, "actual_value") in actuals:
                obligation.actual_value = actuals[(obligation.id, "actual_value")]
        exposure = clawback_exposure(incentive, as_of)
        incentive.status = original
        if exposure.amount:
            expected[incentive.id] = (exposure.amount, exposure.rule, exposure.missed)
    db.session.rollback()
    assert section.incentives_held == held
    assert {
        row.incentive.id: (row.amount, row.rule, row.missed) for row in section.rows
    } == expected
    assert expected
