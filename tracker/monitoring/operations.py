"""What people change in monitoring: acknowledging alerts and editing the reminder rules.

The scan's own writes (raising and resolving alerts, delivery state, the default rules)
are the system's and stay in `services` and `jobs`.
"""

from typing import NamedTuple

from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from tracker.auth.models import User
from tracker.auth.permissions import may_manage_settings
from tracker.core import audit
from tracker.core.errors import DomainError
from tracker.core.records import check_version, flush
from tracker.core.types import utcnow
from tracker.extensions import db
from tracker.monitoring.models import Alert, ItemKind, ReminderRule
from tracker.monitoring.services import parse_offsets

RULE_FIELDS = [
    "days_before",
    "days_after",
    "notify_owner",
    "notify_partner_owner",
    "notify_managers",
    "enabled",
]
OFFSET_FIELDS = ("days_before", "days_after")


class Acknowledgement(NamedTuple):
    acknowledged: int
    not_yours: int  # open alerts asked for that the actor may not acknowledge


def may_acknowledge(user: User | None, alert: Alert) -> bool:
    """Only an alert's recipients and admins (who run the monitoring) may acknowledge it:
    acknowledging also stops its e-mails."""
    if user is None:
        return False
    return may_manage_settings(user) or any(r.user_id == user.id for r in alert.recipients)


def acknowledge_alerts(alert_ids: list[int], *, actor: User | None) -> Acknowledgement:
    """Acknowledge the open alerts among `alert_ids` that `actor` may acknowledge
    (`may_acknowledge`); the others are left as they are and counted in `not_yours`.
    Already acknowledged or unknown ids count for nothing. Not an audit event: the alert
    itself keeps who acknowledged it and when."""
    if not alert_ids:
        return Acknowledgement(0, 0)
    open_alerts = db.session.scalars(
        select(Alert)
        .where(Alert.id.in_(set(alert_ids)), Alert.acknowledged_at.is_(None))
        .options(selectinload(Alert.recipients))
    ).all()
    allowed = [alert.id for alert in open_alerts if may_acknowledge(actor, alert)]
    if allowed:
        db.session.execute(
            update(Alert)
            .where(Alert.id.in_(allowed), Alert.acknowledged_at.is_(None))
            .values(acknowledged_at=utcnow(), acknowledged_by_id=actor.id)
            .execution_options(synchronize_session="fetch")
        )
    return Acknowledgement(len(allowed), len(open_alerts) - len(allowed))


def _checked_rule_values(values: dict) -> dict:
    unknown = set(values) - set(RULE_FIELDS)
    if unknown:
        field = sorted(unknown)[0]
        raise DomainError(
            f"{audit.field_label(ReminderRule, field)} cannot be changed here.", field
        )
    checked = {}
    for name, value in values.items():
        if name in OFFSET_FIELDS:
            # Stored as "30,14,7,1": whole days, largest first, each once.
            checked[name] = ",".join(map(str, parse_offsets(value or "", name)))
        else:
            checked[name] = bool(value)
    return checked


def update_reminder_rule(
    rule: ReminderRule, values: dict, *, actor: User | None, expected_version: int | None = None
) -> ReminderRule:
    """Change any of a rule's offsets ("30, 14, 7" days; DomainError on anything but whole
    days 0–3650), whom it tells and whether it is enabled (a partial dict). StaleRecord when
    the rule changed since `expected_version`."""
    check_version(rule, expected_version)
    values = _checked_rule_values(values)
    tracked = audit.track(rule, RULE_FIELDS)
    for name, value in values.items():
        setattr(rule, name, value)
    changes = tracked.changes()
    if not changes:
        return rule
    flush(rule)
    audit.record(
        "update",
        rule,
        f"Changed reminders for {ItemKind(rule.item_kind).label}",
        actor=actor,
        changes=changes,
    )
    return rule


# The undo on /admin/audit: how each table's fields are set back.
UPDATERS = {"reminder_rules": update_reminder_rule}
RESTORERS = {}
