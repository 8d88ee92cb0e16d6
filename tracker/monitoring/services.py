"""The scan that raises alerts, the deliveries that send them, and the daily digest.

The scan is state-based: it looks at what is due within a threshold or overdue
now and has no alert yet, so a scan after downtime catches up by itself and a
repeated scan raises nothing. The database's unique key on alerts makes two
scans at once harmless: the second insert of the same alert does nothing.
"""

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import groupby

from sqlalchemy import Row, case, exists, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import selectinload

from tracker.auth.models import Role, User
from tracker.clusters import scores as cluster_scores
from tracker.clusters import services as cluster_services
from tracker.core import derived, states
from tracker.core.errors import DomainError
from tracker.core.items import StoredItem
from tracker.core.types import today, utcnow
from tracker.extensions import db
from tracker.monitoring import webhooks
from tracker.monitoring.items import DatedItem, dated_items, items_query
from tracker.monitoring.models import (
    FINDING_KINDS,
    Alert,
    AlertKind,
    AlertRecipient,
    ItemKind,
    ReminderRule,
    WebhookDelivery,
    WebhookSubscription,
)
from tracker.partners.models import Partner

log = logging.getLogger(__name__)

DEFAULT_BEFORE = "30,14,7,1"
DEFAULT_AFTER = "1,7,30"


# --- Reminder rules ----------------------------------------------------------------


def parse_offsets(text: str, field_name: str) -> list[int]:
    """`"30, 14,7"` → `[30, 14, 7]`; raises `DomainError` on anything but whole days 0–3650."""
    offsets = []
    for part in (text or "").replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit() or int(part) > 3650:
            raise DomainError(
                f"“{part}” is not a number of days: use whole numbers such as 30, 14, 7, 1.",
                field_name,
            )
        offsets.append(int(part))
    return sorted(set(offsets), reverse=True)


def reminder_rules() -> dict[str, ReminderRule]:
    """The rule for every item kind, creating the defaults the first time.

    Safe when two processes do it at once: the insert skips a kind that exists.
    """
    existing = set(db.session.scalars(select(ReminderRule.item_kind)))
    for kind in ItemKind.values():
        if kind not in existing:
            _insert_ignoring_duplicates(
                ReminderRule,
                {
                    "item_kind": kind,
                    "days_before": DEFAULT_BEFORE,
                    "days_after": DEFAULT_AFTER,
                    "notify_owner": True,
                    "notify_partner_owner": True,
                    "notify_managers": False,
                    "enabled": True,
                    "updated_at": utcnow(),
                },
                ["item_kind"],
            )
    return {rule.item_kind: rule for rule in db.session.scalars(select(ReminderRule))}


@dataclass(frozen=True)
class Window:
    """Items due from `earliest` to `latest` (None: no bound) belong to `threshold` today."""

    threshold: int
    earliest: date | None
    latest: date | None

    def holds(self, due_on: date) -> bool:
        return (self.earliest is None or self.earliest <= due_on) and (
            self.latest is None or due_on <= self.latest
        )


def threshold_windows(rule: ReminderRule, as_of: date) -> list[Window]:
    """Which alert an item belongs to today, by its due date: the one rule of thresholds.

    Before the date, the tightest "days before" offset already reached (4 days left
    with offsets 30/14/7/1 → 7); from the day after, minus the largest "days after"
    offset reached (9 days late with 1/7/30 → −7). After downtime the scan thus
    raises the one alert that matters now, not every threshold it slept through. As date
    ranges, so the scan asks the database for the items of each window.
    """
    windows = []
    tighter = -1  # days left covered by the previous (tighter) offset
    for days in sorted(parse_offsets(rule.days_before, "days_before")):
        windows.append(Window(days, _shift(as_of, tighter + 1), _shift(as_of, days)))
        tighter = days
    after = sorted(parse_offsets(rule.days_after, "days_after"))
    for index, days in enumerate(after):
        least = max(days, 1)  # days late; an item is late from the day after its date
        most = after[index + 1] - 1 if index + 1 < len(after) else None
        if most is not None and most < least:
            continue
        earliest = None if most is None else _shift(as_of, -most)
        windows.append(Window(-days, earliest, _shift(as_of, -least)))
    return windows


def _shift(day: date, days: int) -> date | None:
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return None  # beyond the calendar: no bound


def threshold_due(item: DatedItem, rule: ReminderRule, as_of: date) -> int | None:
    """The threshold an alert for `item` belongs to today (`threshold_windows`), or None."""
    return next((w.threshold for w in threshold_windows(rule, as_of) if w.holds(item.due_on)), None)


def alert_message(item: DatedItem, as_of: date) -> str:
    """What the alert says, counted from the day it is raised."""
    days_left = (item.due_on - as_of).days
    if days_left > 1:
        return f"Due in {days_left} days: {item.title}, on {item.due_on.isoformat()}"[:300]
    if days_left in (0, 1):
        return f"Due {'today' if days_left == 0 else 'tomorrow'}: {item.title}"[:300]
    late = -days_left
    return (
        f"Overdue by {late} day{'s' if late != 1 else ''}: {item.title} "
        f"(was due {item.due_on.isoformat()})"
    )[:300]


# --- The scan ---------------------------------------------------------------------


@dataclass
class ScanResult:
    raised: list[Alert] = field(default_factory=list)
    resolved: int = 0
    errors: list[str] = field(default_factory=list)
    refreshed: int = 0  # records whose stored state the calendar changed
    month_end_kept: bool = False  # the month just ended judged and kept, for its report


def _dialect_insert():
    """The dialect's INSERT, which knows ON CONFLICT."""
    return pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert


def _insert_ignoring_duplicates(model, values: dict, unique_columns: list[str]) -> int | None:
    """INSERT … ON CONFLICT DO NOTHING; the new row's id, or None when it already existed."""
    statement = (
        _dialect_insert()(model)
        .values(**values)
        .on_conflict_do_nothing(index_elements=unique_columns)
        .returning(model.id)
    )
    return db.session.execute(statement).scalar()


def recipients_for(item: DatedItem, rule: ReminderRule, managers: list[int]) -> set[int]:
    ids = set()
    if rule.notify_owner and item.owner_id:
        ids.add(item.owner_id)
    if rule.notify_partner_owner and item.partner_owner_id:
        ids.add(item.partner_owner_id)
    if rule.notify_managers:
        ids.update(managers)
    return ids


def scan(as_of: date | None = None) -> ScanResult:
    """Raise the alerts that are due and resolve those whose items are done. Commits.

    The database hands over only the items that belong to a threshold today and have no
    alert for it yet (`threshold_windows`, on the stored items' indexes), so a repeated
    scan reads next to nothing. An item that fails is recorded in `errors` and skipped;
    the rest go on.
    """
    as_of = as_of or today()
    result = ScanResult()
    result.refreshed = derived.refresh_due(as_of)
    result.month_end_kept = states.keep_last_month_end(as_of)
    rules = reminder_rules()
    db.session.flush()
    active = {user.id: user for user in db.session.scalars(select(User).where(User.active))}
    managers = [u.id for u in active.values() if u.role in (Role.MANAGER, Role.ADMIN)]
    raised_ids = []
    recount_at = RECOUNT_FROM
    batch: list[tuple[DatedItem, dict, set[int]]] = []
    for item, rule, threshold in _unalerted(rules, as_of, result):
        try:
            values = {
                "subject_type": item.subject_type,
                "subject_id": item.subject_id,
                "kind": item.kind,
                "threshold_days": threshold,
                "due_on": item.due_on,
                "title": item.title[:300],
                "path": item.path,
                "message": alert_message(item, as_of),
                "raised_at": utcnow(),
                "webhook_attempts": 0,
            }
            recipients = recipients_for(item, rule, managers) & active.keys()
        except Exception as error:  # one bad item must not stop the scan
            _failed(item, error, result)
            continue
        batch.append((item, values, recipients))
        if len(batch) == RAISE_BATCH:
            raised_ids += _raise(batch, result)
            batch = []
            if len(raised_ids) >= recount_at:
                recount_at = _recount_alerts(len(raised_ids))
    raised_ids += _raise(batch, result)
    if len(raised_ids) >= recount_at:
        _recount_alerts(len(raised_ids))
    result.resolved = resolve_done()
    try:
        with db.session.begin_nested():
            findings = offshore_findings()
            raised_ids += _raise(_finding_batch(findings, as_of, managers, active), result)
            result.resolved += resolve_findings(findings)
    except Exception as error:  # the dated items' alerts stand without the findings
        log.exception("scan could not check the offshore dependencies")
        result.errors.append(f"offshore dependencies: {error}")
    if raised_ids:
        result.raised = list(
            db.session.scalars(
                select(Alert).where(Alert.id.in_(raised_ids)).order_by(Alert.due_on, Alert.id)
            )
        )
        # Their webhook deliveries commit with them: an alert raised is always sent.
        webhooks.queue_alerts(result.raised)
    db.session.commit()
    return result


RAISE_BATCH = 500
RECOUNT_FROM = 2_000


def _recount_alerts(raised: int) -> int:
    """Let the query planner count the alerts this scan has raised so far (`ANALYZE`, which
    sees the transaction's own rows); returns when to count again: at twice as many.

    A first scan fills the alerts table from empty in one transaction, and asks after each
    window whether an item has its alert yet. Planned on the statistics of an empty table,
    or on a plan PostgreSQL cached from them, that question scans every alert for every
    item: at 100x the demo, 67 s instead of seconds. Counting again at 2,000, 4,000, 8,000…
    alerts costs a few `ANALYZE`s in a first scan, none in a repeated one. Two scans at once
    raise the same alerts in the same order: the one behind waits on the other's first rows
    before it has analysed anything, so the lock `ANALYZE` holds to the commit closes no
    circle (`tests/monitoring/test_concurrency.py` recounts after every batch)."""
    derived.analyze(Alert.__table__, AlertRecipient.__table__)
    return 2 * raised


ALERT_KEY = ("subject_type", "subject_id", "kind", "threshold_days")


def _failed(item: DatedItem, error: Exception, result: ScanResult) -> None:
    log.exception("scan failed on %s %s", item.subject_type, item.subject_id)
    result.errors.append(f"{item.subject_type} {item.subject_id} ({item.kind}): {error}")


def _raise(batch: list[tuple[DatedItem, dict, set[int]]], result: ScanResult) -> list[int]:
    """Insert a batch of alerts and their recipients in a few statements; those raised
    meanwhile by a parallel scan are skipped. Should the batch fail, its alerts go in one
    by one, so only the bad one is left out (and recorded)."""
    if not batch:
        return []
    try:
        with db.session.begin_nested():
            return _insert_alerts(batch)
    except Exception:
        log.warning("a batch of %d alerts failed; raising them one by one", len(batch))
    raised = []
    for entry in batch:
        try:
            with db.session.begin_nested():
                raised += _insert_alerts([entry])
        except Exception as error:  # one bad item must not stop the scan
            _failed(entry[0], error, result)
    return raised


def _insert_alerts(batch: list[tuple[DatedItem, dict, set[int]]]) -> list[int]:
    recipients = {tuple(values[c] for c in ALERT_KEY): users for _, values, users in batch}
    table = Alert.__table__
    statement = (
        _dialect_insert()(table)
        .on_conflict_do_nothing(index_elements=list(ALERT_KEY))
        .returning(table.c.id, *(table.c[c] for c in ALERT_KEY))
    )
    raised, rows = [], []
    for row in db.session.execute(statement, [values for _, values, _ in batch]):
        raised.append(row.id)
        rows += [
            {"alert_id": row.id, "user_id": user_id, "attempts": 0}
            for user_id in sorted(recipients[tuple(row[1:])])
        ]
    if rows:
        db.session.execute(AlertRecipient.__table__.insert(), rows)
    return raised


def _unalerted(rules: dict[str, ReminderRule], as_of: date, result: ScanResult):
    """(item, rule, threshold) for each stored item that belongs to a threshold today and
    has no alert for it, a query per kind and window. A rule that cannot be read (stored
    past the form's checks) is recorded in `result.errors`; the other kinds go on."""
    for kind, rule in rules.items():
        if not rule.enabled:
            continue
        try:
            windows = threshold_windows(rule, as_of)
        except DomainError as error:
            log.error("scan skipped %s items: %s", kind, error)
            result.errors.append(f"{kind} items: the reminder rule is broken: {error}")
            continue
        for window in windows:
            query = items_query().where(
                StoredItem.kind == kind,
                ~exists().where(
                    Alert.subject_type == StoredItem.subject_type,
                    Alert.subject_id == StoredItem.subject_id,
                    Alert.kind == StoredItem.kind,
                    Alert.threshold_days == window.threshold,
                ),
            )
            if window.earliest is not None:
                query = query.where(StoredItem.due_on >= window.earliest)
            if window.latest is not None:
                query = query.where(StoredItem.due_on <= window.latest)
            for item in dated_items(query.order_by(StoredItem.due_on, StoredItem.id)):
                yield item, rule, window.threshold


def resolve_done() -> int:
    """Resolve open alerts whose item is no longer owed (done, submitted, met, removed)."""
    result = db.session.execute(
        update(Alert)
        .where(
            Alert.resolved_at.is_(None),
            Alert.kind.not_in(FINDING_KINDS),
            ~exists().where(
                StoredItem.subject_type == Alert.subject_type,
                StoredItem.subject_id == Alert.subject_id,
                StoredItem.kind == Alert.kind,
            ),
        )
        .values(resolved_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


# --- Findings: what the scan flags that has no date -------------------------------


@dataclass(frozen=True)
class Finding:
    """Something the scan raises an alert for once, when it first sees it (an offshore
    dependency), and resolves when it is gone."""

    subject_type: str
    subject_id: int
    kind: str
    title: str
    message: str
    path: str
    partner_owner_id: int | None  # the owner of the partner it concerns hears of it


def offshore_findings() -> list[Finding]:
    """A finding for each supply link the clusters flag (`tracker.clusters`): outside its
    buyer's trade bloc, or outside its region."""
    found = []
    data = cluster_services.portfolio(places=False)
    owners = dict(
        db.session.execute(
            select(Partner.id, Partner.owner_id).where(Partner.owner_id.is_not(None))
        ).all()
    )
    for dependency in cluster_services.dependencies(data):
        link = dependency.link
        buyer, supplier = data.companies[link.buyer_id], data.companies[link.supplier_id]
        capability = data.capabilities[link.capability_id][0]
        anchors = len(dependency.anchors)
        if anchors == 1:
            resting = "1 anchor commitment rests on it"
        else:
            resting = f"{anchors or 'no'} anchor commitments rest on it"
        found.append(
            Finding(
                "supply_links",
                link.id,
                AlertKind.OFFSHORE_DEPENDENCY.value,
                f"{buyer.name} buys {capability} from {supplier.name} ({supplier.country})",
                f"{cluster_scores.REACH_LABELS[dependency.reach]}: {buyer.name} buys "
                f"{capability} from {supplier.name} ({supplier.country}); {resting}."[:300],
                "/clusters/dependencies",
                owners.get(buyer.id),
            )
        )
    return found


def _finding_batch(findings: list[Finding], as_of: date, managers: list[int], active: dict):
    return [
        (
            finding,
            {
                "subject_type": finding.subject_type,
                "subject_id": finding.subject_id,
                "kind": finding.kind,
                "threshold_days": 0,
                "due_on": as_of,
                "title": finding.title[:300],
                "path": finding.path,
                "message": finding.message,
                "raised_at": utcnow(),
                "webhook_attempts": 0,
            },
            ({finding.partner_owner_id, *managers} - {None}) & active.keys(),
        )
        for finding in findings
    ]


def resolve_findings(findings: list[Finding]) -> int:
    """Resolve the open alerts of findings the scan no longer makes (a link made local,
    removed, or its supplier moved into the bloc)."""
    current = {(f.subject_type, f.subject_id) for f in findings}
    stale = [
        alert.id
        for alert in db.session.scalars(
            select(Alert).where(Alert.resolved_at.is_(None), Alert.kind.in_(FINDING_KINDS))
        )
        if (alert.subject_type, alert.subject_id) not in current
    ]
    if stale:
        db.session.execute(
            update(Alert)
            .where(Alert.id.in_(stale))
            .values(resolved_at=utcnow())
            .execution_options(synchronize_session=False)
        )
    return len(stale)


# --- Who sees what ------------------------------------------------------------------


def alerts_query(user_id: int | None, state: str, kind: str = ""):
    """Alerts, newest due first. `user_id` limits to that user's; `state`: open|acknowledged|
    resolved|all."""
    query = select(Alert).options(selectinload(Alert.recipients).joinedload(AlertRecipient.user))
    if user_id:
        query = query.where(
            Alert.id.in_(select(AlertRecipient.alert_id).where(AlertRecipient.user_id == user_id))
        )
    if state == "open":
        query = query.where(Alert.acknowledged_at.is_(None), Alert.resolved_at.is_(None))
    elif state == "acknowledged":
        query = query.where(Alert.acknowledged_at.is_not(None), Alert.resolved_at.is_(None))
    elif state == "resolved":
        query = query.where(Alert.resolved_at.is_not(None))
    if kind:
        query = query.where(Alert.kind == kind)
    return query.order_by(Alert.threshold_days, Alert.due_on, Alert.id)


def open_alert_count(user_id: int) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(Alert)
        .join(AlertRecipient, AlertRecipient.alert_id == Alert.id)
        .where(
            AlertRecipient.user_id == user_id,
            Alert.acknowledged_at.is_(None),
            Alert.resolved_at.is_(None),
        )
    )


def items_for_user(user: User, due_from: date | None = None) -> list[Row]:
    """Dated items a user cares about: theirs, or their partners', soonest first (with
    `due_from`, those due on or after it).

    As plain rows of subject type, subject id, kind, due date, title and path, read at once
    through the session's connection (after a flush, as a session query would make): a
    manager at 100x has 20,000, and the ORM's handling of each row, then a `DatedItem` made
    of it, were a fifth of the calendar feed's time. Not through a server-side cursor: on
    PostgreSQL it is planned for its first rows and fetched in round trips (90 ms where the
    query takes 40).
    """
    # The partners as a subquery, not a join to each item's partner: each side of the OR
    # then reads its own index (at 100x, 60 ms instead of 280 ms for 21,000 items).
    their_partners = select(Partner.id).where(Partner.owner_id == user.id)
    query = select(
        StoredItem.subject_type,
        StoredItem.subject_id,
        StoredItem.kind,
        StoredItem.due_on,
        StoredItem.title,
        StoredItem.path,
    ).where(or_(StoredItem.owner_id == user.id, StoredItem.partner_id.in_(their_partners)))
    if due_from is not None:
        query = query.where(StoredItem.due_on >= due_from)
    db.session.flush()
    return db.session.connection().execute(query.order_by(StoredItem.due_on, StoredItem.id)).all()


def pending_deliveries(max_attempts: int):
    """Recipients whose e-mail has not gone out yet, for open alerts, within the retry budget.

    Those tried least often come first, so an alert that keeps failing never goes before
    fresh ones.
    """
    return db.session.scalars(
        select(AlertRecipient)
        .join(Alert)
        .join(User, User.id == AlertRecipient.user_id)
        .where(
            AlertRecipient.emailed_at.is_(None),
            AlertRecipient.attempts < max_attempts,
            Alert.resolved_at.is_(None),
            Alert.acknowledged_at.is_(None),
            User.active,
        )
        .options(selectinload(AlertRecipient.alert), selectinload(AlertRecipient.user))
        .order_by(AlertRecipient.attempts, AlertRecipient.alert_id, AlertRecipient.user_id)
    ).all()


@dataclass(frozen=True)
class Digest:
    """One user's digest: their open alerts, most pressing first, up to the limit."""

    user_id: int
    name: str
    email: str
    total: int
    messages: tuple[str, ...]


def digests(limit: int) -> list[Digest]:
    """Each active user's open alerts for the daily digest: how many, and the messages of
    the first `limit` by due date (the oldest, overdue, first).

    One query of plain rows, numbered per user in SQL: however many alerts are open, no
    more than `limit` per user are read.
    """
    per_user = (User.id,)
    ranked = (
        select(
            User.id.label("user_id"),
            User.name,
            User.email,
            Alert.message,
            func.row_number()
            .over(partition_by=per_user, order_by=(Alert.due_on, Alert.id))
            .label("rank"),
            func.count().over(partition_by=per_user).label("total"),
        )
        .join(AlertRecipient, AlertRecipient.user_id == User.id)
        .join(Alert, Alert.id == AlertRecipient.alert_id)
        .where(User.active, Alert.resolved_at.is_(None), Alert.acknowledged_at.is_(None))
        .subquery()
    )
    rows = db.session.execute(
        select(ranked).where(ranked.c.rank <= limit).order_by(ranked.c.user_id, ranked.c.rank)
    )
    found = []
    for _, group in groupby(rows, key=lambda row: row.user_id):
        group = list(group)
        first = group[0]
        messages = tuple(row.message for row in group)
        found.append(Digest(first.user_id, first.name, first.email, first.total, messages))
    return found


# --- Outgoing webhooks -------------------------------------------------------------------


def webhook_subscriptions() -> list:
    """Every subscription with its deliveries counted by outcome: (subscription, pending,
    delivered, failed, last delivered at)."""
    counts = (
        select(
            WebhookDelivery.subscription_id,
            func.count(case((WebhookDelivery.status == "pending", 1))).label("pending"),
            func.count(case((WebhookDelivery.status == "delivered", 1))).label("delivered"),
            func.count(case((WebhookDelivery.status == "failed", 1))).label("failed"),
            func.max(WebhookDelivery.delivered_at).label("last"),
        )
        .group_by(WebhookDelivery.subscription_id)
        .subquery()
    )
    query = (
        select(
            WebhookSubscription,
            func.coalesce(counts.c.pending, 0),
            func.coalesce(counts.c.delivered, 0),
            func.coalesce(counts.c.failed, 0),
            counts.c.last,
        )
        .outerjoin(counts, counts.c.subscription_id == WebhookSubscription.id)
        .order_by(WebhookSubscription.name, WebhookSubscription.id)
    )
    return db.session.execute(query).all()


def deliveries_query(subscription_id: int):
    return (
        select(WebhookDelivery)
        .where(WebhookDelivery.subscription_id == subscription_id)
        .order_by(WebhookDelivery.id.desc())
    )
