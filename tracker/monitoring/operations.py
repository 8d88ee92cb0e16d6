"""What people change in monitoring: acknowledging alerts, editing the reminder rules, and
the outgoing webhook subscriptions.

The scan's own writes (raising and resolving alerts, delivery state, the default rules)
are the system's and stay in `services` and `jobs`.
"""

import secrets
from typing import NamedTuple

from sqlalchemy import delete, select, update
from sqlalchemy.orm import selectinload

from tracker.auth.models import User
from tracker.auth.permissions import may_manage_settings
from tracker.core import audit
from tracker.core.errors import DomainError
from tracker.core.records import check_version, flush, record_create, record_update
from tracker.core.types import utcnow
from tracker.core.values import plain, require, stored
from tracker.extensions import db
from tracker.monitoring import webhooks
from tracker.monitoring.models import (
    Alert,
    ItemKind,
    ReminderRule,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
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


# --- Outgoing webhooks ---------------------------------------------------------------------------

SUBSCRIPTION_FIELDS = ["name", "url", "events", "active"]
CHOOSE_EVENTS = "Choose at least one event to send."


def _checked_subscription(values: dict, subscription: WebhookSubscription | None) -> dict:
    values = plain(values, SUBSCRIPTION_FIELDS, WebhookSubscription)
    if "events" in values:
        events = (values["events"] or "").split()
        if not events:
            raise DomainError(CHOOSE_EVENTS, "events")
        unknown = [e for e in events if e not in WebhookEvent.values()]
        if unknown:
            raise DomainError(f"Not an event the tracker sends: {unknown[0]}.", "events")
        values["events"] = " ".join(e for e in WebhookEvent.values() if e in events)
    merged = {**stored(subscription, SUBSCRIPTION_FIELDS), **values}
    require(merged, "name", "url", "events")
    return values


def create_subscription(values: dict, *, actor: User | None) -> tuple[WebhookSubscription, str]:
    """A webhook subscription (name, an http(s) URL, events as space-separated
    `WebhookEvent` values) and its signing secret, made here: show it to the admin once."""
    values = _checked_subscription(values, None)
    secret = "whsec_" + secrets.token_urlsafe(32)
    subscription = WebhookSubscription(
        **values, secret=secret, created_by_id=getattr(actor, "id", None)
    )
    record_create(
        subscription,
        ["name", "url", "events"],
        f"Created webhook {subscription.name}",
        actor=actor,
    )
    webhooks.forget_subscriptions()
    return subscription, secret


def update_subscription(
    subscription: WebhookSubscription,
    values: dict,
    *,
    actor: User | None,
    expected_version: int | None = None,
) -> WebhookSubscription:
    """Change a subscription's name, URL, events or whether it is active (paused: nothing
    is queued for it, and what is queued waits)."""
    check_version(subscription, expected_version)
    values = _checked_subscription(values, subscription)
    tracked = audit.track(subscription, SUBSCRIPTION_FIELDS)
    for name, value in values.items():
        setattr(subscription, name, value)
    flush(subscription)
    record_update(subscription, tracked, f"Updated webhook {subscription.name}", actor=actor)
    webhooks.forget_subscriptions()
    return subscription


def delete_subscription(subscription: WebhookSubscription, *, actor: User | None) -> None:
    """Delete a subscription and its deliveries (what was pending is not sent): the
    deliveries in one statement, however many there are."""
    audit.record("delete", subscription, f"Deleted webhook {subscription.name}", actor=actor)
    db.session.execute(
        delete(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription.id)
    )
    db.session.delete(subscription)
    flush()
    webhooks.forget_subscriptions()


def redeliver(delivery: WebhookDelivery, *, actor: User | None) -> WebhookDelivery:
    """Send a delivery again at the next run, with a fresh set of attempts (a failed one
    after its receiver is mended, or a delivered one the receiver lost)."""
    delivery.status, delivery.attempts = "pending", 0
    delivery.next_attempt_at = utcnow()
    flush(delivery)
    audit.record(
        "update",
        delivery.subscription,
        f"Queued delivery {delivery.id} of webhook {delivery.subscription.name} again",
        actor=actor,
    )
    return delivery


# The undo on /admin/audit: how each table's fields are set back.
UPDATERS = {"reminder_rules": update_reminder_rule, "webhook_subscriptions": update_subscription}
RESTORERS = {}
