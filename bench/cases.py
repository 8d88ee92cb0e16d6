"""What the benchmark measures, in the order it runs.

1. the scan (`tracker.monitoring.services.scan`): first (no alert stored yet: every
   repetition starts from an empty alerts table) and repeated (nothing new to raise);
2. the daily digest (`tracker.monitoring.jobs.run_digest`), to an SMTP server on loopback;
3. every page of issue 12's table, each followed by its raw-SQL twin where it has one
   (`bench.raw`), then the other list pages, each as its first page and a filtered page,
   and the status and detail pages;
4. a CSV and an XLSX export of every follow-up (50,000 rows at 100×);
5. an import of 5,000 partner rows (upload and preview, then confirm), rolled back after
   each repetition so each one creates the same 5,000 partners.

Pages are requested through the application (the test client, signed in as the demo
manager; the admin pages as the demo admin), so each request runs the whole stack: the
session check, the view, the queries and the template.
"""

import csv
import io
import re
import zipfile
from collections.abc import Callable
from contextlib import ExitStack, contextmanager

from sqlalchemy import delete, func, select, text

from bench import raw
from bench.measure import (
    CSV_MS,
    PAGE_MS,
    SCAN_FIRST_MS,
    SCAN_REPEAT_MS,
    XLSX_MS,
    Case,
    Outcome,
)
from tracker.core.types import today
from tracker.extensions import db

# The pages of issue 12's table, in its order; each with the raw SQL of its figures.
ISSUE_PAGES = [
    ("/reports/monthly", "monthly"),
    ("/dashboard", "dashboard"),
    ("/due", "due"),
    ("/", None),
    ("/partners", None),
    ("/incentives/deadlines", None),
    ("/partners/1", None),
    ("/regions/1", None),
    ("/incentives", "incentives"),
    ("/commitments", None),
]
# The other lists: (first page, a filtered page); the issue's lists get their filtered page.
LISTS = [
    (None, "/partners?status=active&kind=tier1_supplier"),
    (None, "/due?window=overdue&kind=milestone_due"),
    (None, "/incentives?status=in_compliance&currency=EUR"),
    (None, "/commitments?status=active&kind=co_investment"),
    ("/engagements", "/engagements?kind=site_visit&q=supplier"),
    ("/followups?scope=everyone", "/followups?scope=mine&show=all"),
    ("/milestones?scope=everyone", "/milestones?scope=everyone&status=planned&kind=co_investment"),
    ("/alerts?scope=everyone", "/alerts?scope=everyone&state=all&kind=milestone_due"),
    ("/admin/audit", "/admin/audit?entity_type=milestones&action=create"),
    ("/regions", None),
    ("/incentives/de-minimis", None),
    ("/admin/jobs", None),
    ("/admin/users", None),
    ("/clusters/scorecard", "/clusters/scorecard?what_if=1&remove_region_ids=1&sort=completeness"),
    ("/clusters/dependencies", None),
    ("/clusters/routes", None),
    ("/clusters/map", None),
]
ADMIN_PAGES = ("/admin/jobs", "/admin/users")
DETAILS = ["/partners/1/status", "/incentives/1", "/commitments/1", "/engagements/1"]
EXPORT_LIST = "/followups?scope=everyone&show=all"
EXPORT_ROWS = 50_000
IMPORT_ROWS = 5_000
TOKEN_RE = re.compile(r'name="token" type="hidden" value="([^"]+)"')


class Bench:
    """The application under test, its signed-in clients and the scan's bookkeeping."""

    def __init__(self, app, clients: dict, size: int):
        self.app = app
        self.clients = clients  # role → signed-in test client
        self.size = size
        self.scanned = False
        self.settled = True
        self.scan_first_raised: list[int] = []

    def query(self, statement, **params):
        with self.app.app_context():
            try:
                return db.session.execute(statement, params).all()
            finally:
                db.session.remove()

    # --- the scan ---------------------------------------------------------------------

    def clear_alerts(self) -> None:
        """Back to a database no scan has seen: no alerts, no recipients."""
        from tracker.monitoring.models import Alert, AlertRecipient

        with self.app.app_context():
            db.session.execute(delete(AlertRecipient))
            db.session.execute(delete(Alert))
            db.session.commit()
            db.session.remove()
        self.settle()

    def settle(self) -> None:
        """`bench.databases.settle` the alerts and their recipients, untimed: five first
        scans leave 150,000 dead alerts behind and the statistics of an empty table."""
        from bench.databases import settle

        with self.app.app_context():
            settle(db.engine, "alerts", "alert_recipients")
        self.settled = True

    def scan(self) -> Outcome:
        from tracker.monitoring.services import scan

        with self.app.app_context():
            try:
                result = scan()
                raised, resolved, errors = len(result.raised), result.resolved, result.errors
            finally:
                db.session.remove()
        self.scanned = True
        self.settled = self.settled and not (raised or resolved)
        return Outcome(
            ok=not errors,
            counts={"raised": raised, "resolved": resolved, "errors": len(errors)},
            note=f"{raised:,} alerts raised" + (f", {len(errors)} errors" if errors else ""),
        )

    def ensure_scanned(self) -> None:
        """One untimed scan, so the pages that list alerts have some; `settle` after any scan
        that changed many alerts (a first scan)."""
        if not self.scanned:
            self.scan()
        if not self.settled:
            self.settle()

    # --- requests ---------------------------------------------------------------------

    def get(self, path: str, role: str = "manager", expect: int = 200) -> Outcome:
        response = self.clients[role].get(path)
        body = response.get_data()
        ok = response.status_code == expect
        return Outcome(
            status=response.status_code,
            ok=ok,
            body=body,
            note="" if ok else f"HTTP {response.status_code}, expected {expect}",
        )


def page_case(bench: Bench, path: str, kind: str, name: str | None = None) -> Case:
    role = "admin" if path.startswith(ADMIN_PAGES) else "manager"
    return Case(
        name=name or path,
        kind=kind,
        run=lambda: bench.get(path, role),
        setup=bench.ensure_scanned,
        warm=True,
        target_ms=PAGE_MS,
    )


def raw_case(bench: Bench, page: str, figures: str) -> Case:
    """The raw SQL of `page`'s figures, checked once against the application's."""
    compute: Callable = getattr(raw, figures)
    from_app: Callable = getattr(raw, f"figures_{figures}")

    def run() -> Outcome:
        with bench.app.app_context():
            try:
                compute(today())
            finally:
                db.session.remove()
        return Outcome()

    def check() -> list[str]:
        with bench.app.app_context():
            try:
                as_of = today()
                return raw.differences(compute(as_of), from_app(as_of))
            finally:
                db.session.remove()

    return Case(
        name=f"raw SQL: {page}",
        kind="raw",
        run=run,
        setup=bench.ensure_scanned,
        warm=True,
        raw_for=page,
        check=check,
        note=f"approximations: {raw.APPROXIMATIONS[figures]}",
    )


def scan_cases(bench: Bench) -> list[Case]:
    def first() -> Outcome:
        outcome = bench.scan()
        bench.scan_first_raised.append(outcome.counts["raised"])
        if len(set(bench.scan_first_raised)) > 1:
            outcome.note += (
                f" (repetitions raised {bench.scan_first_raised}: clearing the alerts no "
                "longer gives a first scan)"
            )
            outcome.ok = False
        return outcome

    return [
        Case(
            name="scan, first",
            kind="scan",
            run=first,
            setup=bench.clear_alerts,
            target_ms=SCAN_FIRST_MS,
            note="each repetition from an empty alerts table",
        ),
        Case(
            name="scan, repeated",
            kind="scan",
            run=bench.scan,
            setup=bench.ensure_scanned,
            target_ms=SCAN_REPEAT_MS,
        ),
    ]


def digest_case(bench: Bench, inbox) -> Case:
    from tracker.monitoring import jobs

    def run() -> Outcome:
        with bench.app.app_context():
            try:
                job = jobs.run_digest(force=True)
                sent = failed = None
                if job is not None:
                    sent, failed, outcome = job.sent, job.failed, job.outcome
            finally:
                db.session.remove()
        if job is None:
            return Outcome(ok=False, note="the digest's lock was taken")
        return Outcome(
            ok=outcome == "success",
            counts={"sent": sent, "failed": failed},
            note=f"{sent} messages, {inbox.lines} alert lines",
        )

    return Case(
        name="digest",
        kind="digest",
        run=run,
        setup=lambda: (bench.ensure_scanned(), inbox.clear()),
        note="jobs.run_digest(force=True) to SMTP on loopback",
    )


def _count_csv(body: bytes) -> int:
    return sum(1 for _ in csv.reader(io.StringIO(body.decode("utf-8-sig")))) - 1


def _count_xlsx(body: bytes) -> int:
    with zipfile.ZipFile(io.BytesIO(body)) as book:
        sheet = book.read("xl/worksheets/sheet1.xml")
    return len(re.findall(rb"<row[ >]", sheet)) - 1


def export_cases(bench: Bench) -> list[Case]:
    cases = []
    for fmt, target, count in (("csv", CSV_MS, _count_csv), ("xlsx", XLSX_MS, _count_xlsx)):

        def teardown(outcome: Outcome, count=count) -> None:
            if outcome.ok and outcome.body:
                outcome.rows = count(outcome.body)
                if outcome.rows < EXPORT_ROWS:
                    outcome.note = f"{outcome.rows:,} rows: all this size has (50,000 at 100×)"
                else:
                    outcome.note = f"{outcome.rows:,} rows"

        path = f"{EXPORT_LIST}&format={fmt}"
        cases.append(
            Case(
                name=f"export {fmt.upper()}: {EXPORT_LIST}",
                kind="export",
                run=lambda path=path: bench.get(path),
                teardown=teardown,
                warm=True,
                target_ms=target,
            )
        )
    return cases


def partner_rows(bench: Bench, count: int) -> bytes:
    """`count` new partners as a CSV in the import's columns, in the database's regions."""
    regions = bench.query(text("SELECT name, country_code FROM regions ORDER BY id"))
    kinds = ["tier1_supplier", "tier2_supplier", "logistics_provider", "testing_certification"]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["Name", "Country", "Kind", "Status", "Region", "Owner", "Website", "Cadence (days)"]
    )
    for n in range(1, count + 1):
        region, country = regions[n % len(regions)]
        writer.writerow(
            [
                f"Bench import supplier {n:05d}",
                country,
                kinds[n % len(kinds)],
                "prospect" if n % 3 else "active",
                region,
                "manager@example.com",
                f"https://supplier-{n:05d}.example.com",
                30 + n % 60,
            ]
        )
    return out.getvalue().encode()


@contextmanager
def rolled_back(app):
    """Every session, in every request, works inside one outer transaction that is rolled
    back at the end: commits become savepoints. The import then leaves nothing behind, and
    each repetition imports the same rows into the same database."""
    with app.app_context():
        engines = db._app_engines[app]  # Flask-SQLAlchemy's per-app engines
        engine = engines[None]
        connection = engine.connect()
    transaction = connection.begin()
    if engine.dialect.name == "sqlite":
        # pysqlite begins lazily, and a SAVEPOINT outside a transaction would commit on
        # release: begin for real, so the savepoints nest inside it.
        connection.exec_driver_sql("BEGIN")
    factory = db.session.session_factory
    before = factory.kw.get("join_transaction_mode")
    factory.configure(join_transaction_mode="create_savepoint")
    engines[None] = connection
    try:
        yield connection
    finally:
        engines[None] = engine
        if before is None:
            factory.kw.pop("join_transaction_mode", None)
        else:
            factory.configure(join_transaction_mode=before)
        transaction.rollback()
        connection.close()


def import_case(bench: Bench) -> Case:
    data = {}
    stack = ExitStack()
    marker = "Bench import supplier %"
    count_sql = text("SELECT COUNT(*) FROM partners WHERE name LIKE :marker")

    def setup() -> None:
        if "file" not in data:
            data["file"] = partner_rows(bench, IMPORT_ROWS)
        stack.enter_context(rolled_back(bench.app))

    def run() -> Outcome:
        client = bench.clients["manager"]
        preview = client.post(
            "/import",
            data={"kind": "partners", "file": (io.BytesIO(data["file"]), "partners.csv")},
            content_type="multipart/form-data",
        )
        match = TOKEN_RE.search(preview.get_data(as_text=True))
        if preview.status_code != 200 or not match:
            return Outcome(status=preview.status_code, ok=False, note="the preview refused it")
        confirm = client.post("/import/confirm", data={"token": match.group(1)})
        return Outcome(status=confirm.status_code, ok=confirm.status_code == 302)

    def teardown(outcome: Outcome) -> None:
        with bench.app.app_context():
            created = db.session.scalar(count_sql, {"marker": marker})
            db.session.remove()
        stack.close()
        with bench.app.app_context():
            left = db.session.scalar(count_sql, {"marker": marker})
            db.session.remove()
        outcome.rows = created
        if created != IMPORT_ROWS or left:
            outcome.ok = False
        outcome.note = f"{created:,} partners created" + (
            f", {left} left after rollback" if left else ", rolled back"
        )

    return Case(
        name=f"import {IMPORT_ROWS:,} partners (preview + confirm)",
        kind="import",
        run=run,
        setup=setup,
        teardown=teardown,
        note="CSV upload through /import; undone after each repetition",
    )


def calendar_case(bench: Bench) -> Case:
    """The manager's iCalendar feed; its token is made (through the operation) if missing."""
    from tracker.auth import operations
    from tracker.auth.models import User

    token = {}

    def setup() -> None:
        bench.ensure_scanned()
        if token:
            return
        with bench.app.app_context():
            manager = db.session.scalar(select(User).where(User.email == "manager@example.com"))
            if not manager.calendar_token:
                operations.regenerate_calendar_token(manager, actor=manager)
                db.session.commit()
            token["value"] = manager.calendar_token
            db.session.remove()

    return Case(
        name="/calendar.ics (manager)",
        kind="list",
        run=lambda: bench.get(f"/calendar.ics?token={token['value']}"),
        setup=setup,
        warm=True,
        target_ms=PAGE_MS,
    )


def all_cases(bench: Bench, inbox) -> list[Case]:
    cases = [*scan_cases(bench), digest_case(bench, inbox)]
    for path, figures in ISSUE_PAGES:
        cases.append(page_case(bench, path, "page"))
        if figures:
            cases.append(raw_case(bench, path, figures))
    for first, filtered in LISTS:
        for path in (first, filtered):
            if path:
                cases.append(page_case(bench, path, "list"))
    cases.append(calendar_case(bench))
    cases += [page_case(bench, path, "detail") for path in DETAILS]
    cases += export_cases(bench)
    cases.append(import_case(bench))
    return cases


def selected(cases: list[Case], patterns: list[str]) -> list[Case]:
    """The cases whose name contains any of `patterns` (any case), or is exactly a pattern
    written `=name`; every case without patterns."""
    if not patterns:
        return cases
    exact = {p[1:].lower() for p in patterns if p.startswith("=")}
    within = [p.lower() for p in patterns if not p.startswith("=")]
    return [
        case
        for case in cases
        if case.name.lower() in exact or any(p in case.name.lower() for p in within)
    ]


def table_counts(bench: Bench) -> dict[str, int]:
    from bench.databases import COUNTED

    with bench.app.app_context():
        try:
            return {
                name: db.session.scalar(select(func.count()).select_from(db.metadata.tables[name]))
                for name in (*COUNTED, "alerts", "audit_events")
            }
        finally:
            db.session.remove()
