"""The incentive deadlines page and its export: the stored dated items of the live incentives,
fifty to a page, soonest first, in the window the page looks at (a year back, two ahead)."""

import io
import re
from datetime import UTC, date, datetime, timedelta
from html import unescape

import pandas as pd
import pytest
import time_machine

from tests.conftest import login
from tests.factories import make_incentive, make_obligation, make_partner, make_user
from tracker.extensions import db
from tracker.incentives import services
from tracker.incentives.models import AgencyPromise, ComplianceReport

AS_OF = date(2026, 6, 15)
NOW = datetime(2026, 6, 15, 9, tzinfo=UTC)
ROW = re.compile(
    r'<td class="date">([\d-]+)</td>.*?<td>([^<]+)</td>\s*'
    r'<td><a href="/incentives/(\d+)">([^<]+)</a><br><small class="muted">([^<]*)</small></td>\s*'
    r"<td>([^<]*)</td>",
    re.S,
)
EVERY_KIND_ROWS = 7  # what `_portfolio` stores for each step: see there


def _portfolio(steps: int, *, first: int = 0) -> None:
    """For each step a day apart from `AS_OF` on: a deadline of every kind (an application, a
    decision, two obligations due the same day, a report, a promise, a term end: seven rows)
    and what drops out (a met obligation, a filed report, a delivered promise, a closed
    incentive's application)."""
    for n in range(first, first + steps):
        day = AS_OF + timedelta(days=n)
        agency = make_partner(f"Agency {n}")
        make_incentive(agency, title=f"Applying {n}", status="preparing", application_deadline=day)
        make_incentive(agency, title=f"Waiting {n}", status="submitted", decision_expected_on=day)
        held = make_incentive(
            agency, title=f"Held {n}", status="in_compliance", term_end_on=day + timedelta(days=3)
        )
        make_obligation(held, target=10, actual=2, due_on=day, description=f"Jobs {n}")
        make_obligation(held, target=10, due_on=day, description=f"Training {n}")
        make_obligation(held, target=10, actual=10, due_on=day, description=f"Met {n}")
        db.session.add_all(
            [
                ComplianceReport(incentive=held, title=f"Annual {n}", due_on=day),
                ComplianceReport(incentive=held, title=f"Filed {n}", due_on=day, submitted_on=day),
                AgencyPromise(
                    incentive=held, kind="infrastructure", description=f"Road {n}", due_on=day
                ),
                AgencyPromise(
                    incentive=held,
                    kind="other",
                    description=f"Delivered {n}",
                    due_on=day,
                    status="delivered",
                    delivered_on=day,
                ),
            ]
        )
        make_incentive(agency, title=f"Closed {n}", status="closed", application_deadline=day)
    db.session.commit()


def _by_the_rule(as_of: date) -> list[tuple]:
    """The rows as the page derived them before it read the stored items: the rule applied
    to every live incentive, in the window, by (date, kind, incentive)."""
    earliest, latest = as_of - timedelta(days=365), as_of + timedelta(days=730)
    found = [
        deadline
        for incentive in services.live_incentives()
        for deadline in services.open_deadlines(incentive)
        if earliest <= deadline.on <= latest
    ]
    found.sort(key=lambda d: (d.on, d.kind, d.incentive.id))
    return [
        (
            d.on.isoformat(),
            d.label,
            d.incentive.id,
            d.incentive.title,
            d.incentive.granting_partner.name,
            d.detail,
        )
        for d in found
    ]


def _shown(row: services.DeadlineRow) -> tuple:
    incentive = row.incentive
    return (
        row.on.isoformat(),
        row.label,
        incentive.id,
        incentive.title,
        incentive.granting_partner_name,
        row.detail,
    )


def _page_rows(html: str) -> list[tuple]:
    """(date, what, incentive id, incentive title, granted by, detail) of each row shown."""
    return [
        (on, unescape(label), int(id_), unescape(title), unescape(partner), unescape(detail))
        for on, label, id_, title, partner, detail in ROW.findall(html)
    ]


@pytest.fixture
def at_noon(app):
    """A viewer's client with the clock stopped on `AS_OF`."""
    user = make_user("viewer")
    db.session.commit()
    with time_machine.travel(NOW, tick=False):
        client = app.test_client()
        assert login(client, user.email).status_code == 302
        yield client


def test_rows_are_the_rules_open_deadlines_soonest_first(at_noon):
    _portfolio(3)
    expected = _by_the_rule(AS_OF)
    assert len(expected) == 3 * EVERY_KIND_ROWS
    assert [_shown(row) for row in services.deadlines(AS_OF)] == expected
    html = at_noon.get("/incentives/deadlines").get_data(as_text=True)
    assert _page_rows(html) == [row[:5] + (row[5] or "—",) for row in expected]
    for gone in ("Met 0", "Filed 0", "Delivered 0", "Closed 0"):
        assert gone not in html


def test_fifty_a_page_and_the_export_takes_every_row(at_noon):
    _portfolio(10)  # 70 rows
    expected = [row[:4] for row in _by_the_rule(AS_OF)]
    first = at_noon.get("/incentives/deadlines").get_data(as_text=True)
    second = at_noon.get("/incentives/deadlines?page=2").get_data(as_text=True)
    beyond = at_noon.get("/incentives/deadlines?page=3").get_data(as_text=True)
    assert len(_page_rows(first)) == 50
    assert [row[:4] for row in _page_rows(first) + _page_rows(second)] == expected
    assert "1–50 of 70 deadlines" in first and "51–70 of 70 deadlines" in second
    assert 'href="/incentives/deadlines?page=2" rel="next"' in first
    assert _page_rows(beyond) == [] and "Nothing due." in beyond

    response = at_noon.get("/incentives/deadlines?page=2&format=csv")
    assert response.status_code == 200
    frame = pd.read_csv(io.BytesIO(response.data), encoding="utf-8-sig", dtype=str)
    assert list(zip(frame["Date"], frame["What"], frame["Incentive"], strict=True)) == [
        (on, label, title) for on, label, _, title in expected
    ]
    assert list(frame["Days left"].astype(int)) == [
        (date.fromisoformat(on) - AS_OF).days for on, *_ in expected
    ]


def test_the_window_runs_from_a_year_back_to_two_years_ahead_both_days_included(at_noon):
    agency = make_partner("Edge agency")
    for days in (-366, -365, 730, 731):
        make_incentive(
            agency,
            title=f"Edge {days}",
            status="preparing",
            application_deadline=AS_OF + timedelta(days=days),
        )
    db.session.commit()
    shown = {row.incentive.title for row in services.deadlines(AS_OF)}
    assert shown == {"Edge -365", "Edge 730"}
    html = at_noon.get("/incentives/deadlines").get_data(as_text=True)
    assert {row[3] for row in _page_rows(html)} == {"Edge -365", "Edge 730"}
    assert "365 overdue" in html
    narrower = services.deadlines(AS_OF, include_past_days=364, horizon_days=731)
    assert {row.incentive.title for row in narrower} == {"Edge 730", "Edge 731"}


@pytest.mark.parametrize("query", ["", "?page=2", "?format=csv"])
def test_queries_and_objects_loaded_do_not_grow_with_the_portfolio(
    at_noon, count_queries, count_loads, query
):
    path = f"/incentives/deadlines{query}"
    _portfolio(1)
    at_noon.get(path)  # warm up
    with count_queries() as small_queries, count_loads() as small_loads:
        assert at_noon.get(path).status_code == 200
    _portfolio(12, first=1)  # 91 rows: two pages
    with count_queries() as large_queries, count_loads() as large_loads:
        response = at_noon.get(path)
        assert response.status_code == 200
    if query == "?format=csv":
        assert response.data.count(b"\r\n") == 1 + 13 * EVERY_KIND_ROWS
    else:
        assert len(_page_rows(response.get_data(as_text=True))) == (50 if not query else 41)
    assert small_queries.count == large_queries.count, (
        small_queries.statements,
        large_queries.statements,
    )
    assert small_loads.loaded == large_loads.loaded
    assert "Incentive" not in large_loads.loaded
