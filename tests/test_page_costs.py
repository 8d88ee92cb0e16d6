"""Issue 12: no page the benchmark measures costs more with more data, or more rows shown.

The pages are the benchmark's own (`bench/cases.py`: the issue's pages, the other lists as a
first and a filtered page, the calendar feed, the status and detail pages), requested as it
requests them: signed in as the demo manager (the admin pages as the demo admin), after one
warm-up request, once the scan job has run (alerts for the alert lists, a run for the jobs
list). Portfolios of `SMALL` and `LARGE` times the demo (`seed_scale`) are built one after
the other in the tests' database, so this runs on SQLite and on PostgreSQL alike, on a
fixed day. In each, every page is measured with lists of 50 rows a page, as the benchmark
and the users see them, and of 10 (`PAGE_SIZE`).

* Four times the data: with 10 rows a page, where every list shows a full page at both sizes
  (with 50, three filtered lists show 11 to 20 rows at 4×), a page runs exactly as many SQL
  statements and loads at most `GROWTH` times as many ORM objects at the larger size.
* Five times the rows: at each size, a page runs as many statements with 50 rows a page as
  with 10. Four times the data cannot see a statement per row when both sizes show a full
  page.

Loaded objects cannot be held exactly equal: ten engagements load their partners, and how
many different partners those are depends on which engagements come first; the first
incentives do not have the same number of obligations at both sizes; the regions and staff
that pages list in a filter grow slowly with the size (8 regions at 4×, 11 at 16×, 30 at
100×). Those differences stay well under `GROWTH`; what loads a share of the portfolio
grows about fourfold.
"""

import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
import time_machine
from sqlalchemy import select

from bench.cases import ADMIN_PAGES, DETAILS, ISSUE_PAGES, LISTS, Bench, all_cases
from tests.conftest import counting_loads, counting_queries, empty_tables, login
from tracker.auth import operations as auth_operations
from tracker.auth.models import User
from tracker.demo import DEMO_PASSWORD
from tracker.demo.scale import seed_scale
from tracker.extensions import db
from tracker.monitoring.jobs import run_scan

SMALL, LARGE = 4, 16  # times the demo portfolio
PAGE, SHORT = 50, 10  # rows a list shows a page: as configured, and on short pages
GROWTH = 1.6
DAY = datetime(2026, 3, 11, 12, tzinfo=UTC)  # the portfolio and the pages count from it
CALENDAR = "/calendar.ics"  # requested with the manager's token

# Every page the benchmark measures, in its order.
PAGES = [
    *(path for path, _figures in ISSUE_PAGES),
    *(path for pair in LISTS for path in pair if path),
    CALENDAR,
    *DETAILS,
]
TOTAL_RE = re.compile(r'class="total">\s*(?:([\d,]+)–([\d,]+) of|No )')


@dataclass(frozen=True)
class Cost:
    status: int
    statements: int
    loaded: Counter  # objects loaded, per class
    rows: int | None  # rows a list shows on its first page; None on a page that is no list

    @property
    def objects(self) -> int:
        return self.loaded.total()

    def __str__(self) -> str:
        shown = "" if self.rows is None else f", {self.rows} rows shown"
        return f"{self.statements} statements, {self.objects} objects{shown}"


Costs = dict[tuple[int, int], dict[str, Cost]]  # (size, rows a page) → page → its cost


def is_flat(small: Cost, large: Cost) -> bool:
    return small.statements == large.statements and large.objects <= GROWTH * small.objects


def figures(page: str, costs: Costs) -> str:
    small, large = costs[SMALL, SHORT][page], costs[LARGE, SHORT][page]
    changed = ", ".join(
        f"{name} {small.loaded[name]} → {large.loaded[name]}"
        for name in sorted(small.loaded | large.loaded)
        if small.loaded[name] != large.loaded[name]
    )
    return (
        f"{page}, {SHORT} rows a page: at {SMALL}× {small}; at {LARGE}× {large} "
        f"(objects: {changed or 'the same'})"
    )


def rows_shown(body: str) -> int | None:
    match = TOTAL_RE.search(body)
    if match is None:
        return None
    if match.group(1) is None:  # "No incentives"
        return 0
    first, last = (int(group.replace(",", "")) for group in match.groups())
    return last - first + 1


def signed_in(app, email: str):
    client = app.test_client()
    assert login(client, email, DEMO_PASSWORD).status_code == 302
    return client


def measure(client, path: str) -> Cost:
    with counting_queries() as statements, counting_loads() as loads:
        response = client.get(path)
    return Cost(
        response.status_code,
        statements.count,
        Counter(loads.loaded),
        rows_shown(response.get_data(as_text=True)),
    )


def measure_every_page(app, size: int) -> Costs:
    """Build the portfolio of `size` in the empty database and measure every page, warmed
    up, with `PAGE` and with `SHORT` rows a page. The caller empties the tables."""
    seed_scale(size)
    assert run_scan().outcome == "success"
    manager = db.session.scalar(select(User).where(User.email == "manager@example.com"))
    auth_operations.regenerate_calendar_token(manager, actor=manager)
    db.session.commit()
    token = manager.calendar_token
    db.session.remove()

    clients = {role: signed_in(app, f"{role}@example.com") for role in ("manager", "admin")}
    measured = {(size, PAGE): {}, (size, SHORT): {}}
    for page in PAGES:
        client = clients["admin" if page.startswith(ADMIN_PAGES) else "manager"]
        path = f"{CALENDAR}?token={token}" if page == CALENDAR else page
        client.get(path)
        measured[size, PAGE][page] = measure(client, path)
        app.config["PAGE_SIZE"] = SHORT
        try:
            measured[size, SHORT][page] = measure(client, path)
        finally:
            app.config["PAGE_SIZE"] = PAGE
    return measured


@pytest.fixture(scope="module")
def costs(app) -> Costs:
    assert app.config["PAGE_SIZE"] == PAGE
    measured = {}
    mail = app.config["MAIL_ENABLED"]
    app.config["MAIL_ENABLED"] = False  # the scan job leaves its alert e-mails unsent
    with app.app_context(), time_machine.travel(DAY, tick=True):
        try:
            for size in (SMALL, LARGE):
                measured |= measure_every_page(app, size)
                empty_tables()
        finally:
            app.config["MAIL_ENABLED"] = mail
            db.session.remove()
            empty_tables()
    return measured


def test_the_pages_are_every_page_the_benchmark_measures(app):
    measured = [
        case.name.removesuffix(" (manager)")  # the calendar's case
        for case in all_cases(Bench(app, clients={}, size=0), inbox=None)
        if case.kind in ("page", "list", "detail")
    ]
    assert measured == PAGES


@pytest.mark.parametrize("page", PAGES)
def test_every_page_answers_and_shows_as_many_rows_at_both_sizes(costs, page):
    for size in (SMALL, LARGE):
        for rows_a_page in (PAGE, SHORT):
            cost = costs[size, rows_a_page][page]
            assert cost.status == 200, f"{page} at {size}×: HTTP {cost.status}"
            assert cost.rows != 0, f"{page} at {size}× shows no rows: it measures nothing"
    small, large = costs[SMALL, SHORT][page], costs[LARGE, SHORT][page]
    assert small.rows == large.rows, figures(page, costs)


@pytest.mark.parametrize("page", PAGES)
def test_the_page_costs_no_more_with_four_times_the_data(costs, page):
    assert is_flat(costs[SMALL, SHORT][page], costs[LARGE, SHORT][page]), figures(page, costs)


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("size", [SMALL, LARGE])
def test_the_page_runs_as_many_statements_for_50_rows_as_for_10(costs, page, size):
    full, short = costs[size, PAGE][page], costs[size, SHORT][page]
    assert full.statements == short.statements, (
        f"{page} at {size}×: {full} with {PAGE} rows a page; {short} with {SHORT}"
    )
