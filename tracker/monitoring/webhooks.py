"""Outgoing webhooks: other systems told of record changes and alerts, signed, retried.

A change's deliveries are rows added in the same transaction as the change (the audit
event's `recorded` signal), so a change rolled back sends nothing and one committed is
never lost; an alert's are added when the scan raises it. The scheduler sends what is
due (`deliver_due`): a 2xx answer delivers it; anything else is tried again after
`BACKOFF` (1 minute, 5, 30, 2 hours, 12), then given up and shown as failed.

Each POST carries the JSON body and `X-Tracker-Signature: sha256=<hex>`, the
HMAC-SHA256 of the body's bytes under the subscription's secret, so the receiver can
check that the body came from us, unchanged (`signature`).
"""

import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.request
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import event as sa_event
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.core import logs
from tracker.core.audit import recorded
from tracker.core.models import AuditEvent
from tracker.core.types import utcnow
from tracker.extensions import db
from tracker.monitoring.models import (
    Alert,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Tracker-Signature"
# Seconds to wait before each retry; a delivery is tried once more than there are steps.
BACKOFF = (60, 300, 1800, 7200, 43200)
MAX_ATTEMPTS = len(BACKOFF) + 1
TIMEOUT_SECONDS = 10
# How many due deliveries one run sends at most (the rest wait for the next run).
BATCH = 200


def signature(secret: str, body: bytes) -> str:
    """The value of `SIGNATURE_HEADER` for `body`: what a receiver recomputes and compares
    (with a constant-time comparison) to trust the delivery."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def event_of(action: str) -> str:
    """The webhook event an audit action is: created, deleted, or else updated (an edit,
    an archive, a transition, an undo, a restore)."""
    if action == "create":
        return WebhookEvent.RECORD_CREATED
    if action == "delete":
        return WebhookEvent.RECORD_DELETED
    return WebhookEvent.RECORD_UPDATED


# The active subscriptions, read once per transaction (an import of 5,000 rows records
# 5,000 events, each in its own savepoint) and forgotten when it ends or one changes.
_ACTIVE = "webhook_subscriptions"


def _listening(event: str) -> list[WebhookSubscription]:
    info = db.session.info
    if _ACTIVE not in info:
        info[_ACTIVE] = db.session.scalars(
            select(WebhookSubscription).where(WebhookSubscription.active)
        ).all()
    return [s for s in info[_ACTIVE] if event in s.event_list]


def forget_subscriptions() -> None:
    """Read the subscriptions again at the next event (a subscription changed)."""
    db.session.info.pop(_ACTIVE, None)


@sa_event.listens_for(Session, "after_transaction_end")
def _transaction_ended(session, transaction) -> None:
    # Only the outermost: an import writes each row in a savepoint of one transaction.
    if transaction.parent is None:
        session.info.pop(_ACTIVE, None)


def _queue(event: str, payload: dict) -> int:
    """A pending delivery of `payload` for every active subscription to `event`."""
    subscriptions = _listening(event)
    for subscription in subscriptions:
        body = json.dumps(
            {"event": event, **payload}, ensure_ascii=False, sort_keys=True, default=str
        )
        db.session.add(
            WebhookDelivery(
                subscription=subscription, event=event, body=body, request_id=logs.current_id()
            )
        )
    return len(subscriptions)


# Changes other systems are not told of: people's accounts, and the subscriptions.
NOT_SENT = frozenset({"users", "webhook_subscriptions"})


@recorded.connect
def _on_recorded(event: AuditEvent, **_kwargs) -> None:
    """Queue the change an audit event records (its changes as the history shows them)."""
    if event.entity_type in NOT_SENT:
        return
    with db.session.no_autoflush:
        _queue(
            event_of(event.action),
            {
                "record": {"type": event.entity_type, "id": event.entity_id},
                "parent": (
                    {"type": event.parent_type, "id": event.parent_id}
                    if event.parent_type
                    else None
                ),
                "action": event.action,
                "summary": event.summary,
                "changes": event.changes or {},
                "actor_id": event.user_id,
                "occurred_at": utcnow().isoformat(),
            },
        )


def queue_alerts(alerts: list[Alert]) -> int:
    """Queue `alert.raised` for each alert the scan has just raised."""
    if not _listening(WebhookEvent.ALERT_RAISED):
        return 0
    base = current_app.config["APP_BASE_URL"].rstrip("/")
    queued = 0
    for alert in alerts:
        queued += _queue(
            WebhookEvent.ALERT_RAISED,
            {
                "alert": {
                    "id": alert.id,
                    "kind": alert.kind,
                    "title": alert.title,
                    "message": alert.message,
                    "due_on": alert.due_on.isoformat(),
                    "threshold_days": alert.threshold_days,
                    "url": base + alert.path,
                },
            },
        )
    return queued


def _send(delivery: WebhookDelivery) -> int:
    """POST one delivery; its receiver's status, or OSError when there is no answer."""
    body = delivery.body.encode()
    request = urllib.request.Request(  # noqa: S310 (an admin's http(s) URL, checked on entry)
        delivery.subscription.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "EcosystemTracker-Webhooks/1",
            "X-Tracker-Event": delivery.event,
            "X-Tracker-Delivery": str(delivery.id),
            SIGNATURE_HEADER: signature(delivery.subscription.secret, body),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _attempted(delivery: WebhookDelivery, status: int | None, error: str | None, now) -> bool:
    delivery.attempts += 1
    delivery.last_status = status
    if status is not None and 200 <= status < 300:
        delivery.status, delivery.delivered_at, delivery.last_error = "delivered", now, None
        return True
    delivery.last_error = error or f"HTTP {status}"
    if delivery.attempts >= MAX_ATTEMPTS:
        delivery.status = "failed"
    else:
        delivery.next_attempt_at = now + timedelta(seconds=BACKOFF[delivery.attempts - 1])
    return False


def _due(now: datetime):
    return (WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)


def any_due(now: datetime | None = None) -> bool:
    """Whether a delivery waits to be sent (one indexed lookup: the scheduler asks each
    minute)."""
    found = db.session.scalar(select(WebhookDelivery.id).where(*_due(now or utcnow())).limit(1))
    return found is not None


def deliver_due(now: datetime | None = None) -> tuple[int, int]:
    """Send the pending deliveries that are due, oldest first; (delivered, failed this
    time). Each one's outcome is committed as it goes, so a crash repeats at most one."""
    now = now or utcnow()
    due = db.session.scalars(
        select(WebhookDelivery)
        .where(*_due(now))
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(BATCH)
    ).all()
    delivered = failed = 0
    for delivery in due:
        try:
            status, error = _send(delivery), None
        except (OSError, ValueError) as problem:  # refused, timed out, not HTTP
            status, error = None, f"{type(problem).__name__}: {problem}"[:500]
        caused_by = {"delivery_id": delivery.id, "caused_by": delivery.request_id}
        if _attempted(delivery, status, error, now):
            delivered += 1
            log.info("webhook delivery %s delivered: HTTP %s", delivery.id, status, extra=caused_by)
        else:
            failed += 1
            log.warning(
                "webhook delivery %s not delivered: %s",
                delivery.id,
                delivery.last_error,
                extra=caused_by,
            )
        db.session.commit()
    return delivered, failed
