"""Alerts raised by the scheduled scans, who they go to, the rules, and the job history."""

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.auth.models import User
from tracker.core.types import Choice, one_of, utcnow
from tracker.extensions import db


class ItemKind(Choice):
    """The kinds of dated item the scan watches; one reminder rule each."""

    APPLICATION_DEADLINE = "application_deadline"
    DECISION = "decision"
    OBLIGATION_DUE = "obligation_due"
    REPORT_DUE = "report_due"
    TERM_END = "term_end"
    PROMISE_DUE = "promise_due"
    MILESTONE_DUE = "milestone_due"
    FOLLOW_UP_DUE = "follow_up_due"


# What an alert can be about: a dated item's threshold, or a finding the scan makes that has
# no date (`tracker.monitoring.services.raise_findings`).
AlertKind = Choice(
    "AlertKind",
    [
        *((kind.name, kind.value) for kind in ItemKind),
        ("OFFSHORE_DEPENDENCY", "offshore_dependency"),
    ],
)
FINDING_KINDS = (AlertKind.OFFSHORE_DEPENDENCY.value,)


class Alert(db.Model):
    """One alert per (subject, kind, threshold).

    The unique constraint, not the scanning code, guarantees that a repeated
    scan or two scans at once cannot raise the same alert twice.
    `threshold_days` counts days before the date (positive) or after it
    (negative: overdue).
    """

    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("subject_type", "subject_id", "kind", "threshold_days"),
        one_of("kind", AlertKind.values()),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    threshold_days: Mapped[int] = mapped_column(Integer)
    due_on: Mapped[date] = mapped_column(Date, index=True)
    title: Mapped[str] = mapped_column(String(300))
    message: Mapped[str] = mapped_column(String(300))
    path: Mapped[str] = mapped_column(String(200), default="/")  # the page of the item
    raised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    webhook_sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    webhook_attempts: Mapped[int] = mapped_column(Integer, default=0)
    webhook_error: Mapped[str | None] = mapped_column(Text)

    acknowledged_by: Mapped[User | None] = relationship()
    recipients: Mapped[list["AlertRecipient"]] = relationship(
        back_populates="alert", cascade="all, delete-orphan"
    )

    @property
    def is_open(self) -> bool:
        return self.acknowledged_at is None and self.resolved_at is None


class AlertRecipient(db.Model):
    """A user an alert is for, and the state of the e-mail to them."""

    __tablename__ = "alert_recipients"

    alert_id: Mapped[int] = mapped_column(
        ForeignKey("alerts.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    emailed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)

    alert: Mapped[Alert] = relationship(back_populates="recipients")
    user: Mapped[User] = relationship()


class ReminderRule(db.Model):
    """When, relative to an item's date, alerts are raised for that kind of item, and for whom.

    Offsets are comma-separated day counts, e.g. "30,14,7,1" before and "1,7,30" after.
    """

    __tablename__ = "reminder_rules"
    __table_args__ = (one_of("item_kind", ItemKind.values()),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Bumped on every update; an edit made on an older version is refused.
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    __mapper_args__ = {"version_id_col": version}
    item_kind: Mapped[str] = mapped_column(String(40), unique=True)
    days_before: Mapped[str] = mapped_column(String(100), default="30,14,7,1")
    days_after: Mapped[str] = mapped_column(String(100), default="1,7,30")
    notify_owner: Mapped[bool] = mapped_column(Boolean, default=True)
    notify_partner_owner: Mapped[bool] = mapped_column(Boolean, default=True)
    notify_managers: Mapped[bool] = mapped_column(Boolean, default=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class JobRun(db.Model):
    """One run of a scheduled job: when, how it ended, and what it did."""

    __tablename__ = "job_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(32), index=True)
    started_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str] = mapped_column(String(16), default="running", index=True)
    raised: Mapped[int] = mapped_column(Integer, default=0)
    resolved: Mapped[int] = mapped_column(Integer, default=0)
    sent: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    host: Mapped[str | None] = mapped_column(String(200))
    # The scheduler process that ran it: host, process id and a token of that process's life.
    process: Mapped[str | None] = mapped_column(String(200))


class SchedulerLease(db.Model):
    """On SQLite, the row a scheduler holds while it works; PostgreSQL uses an advisory lock."""

    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class WebhookEvent(Choice):
    """What an outgoing webhook can be sent for."""

    RECORD_CREATED = "record.created"
    RECORD_UPDATED = "record.updated"
    RECORD_DELETED = "record.deleted"
    ALERT_RAISED = "alert.raised"


class WebhookSubscription(db.Model):
    """An admin's subscription: the events another system is told of, at its URL.

    The secret signs every delivery (HMAC-SHA256 of the body); it is kept as it is, since
    signing needs it, and shown to the admin once, when the subscription is made.
    """

    __tablename__ = "webhook_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    __mapper_args__ = {"version_id_col": version}
    name: Mapped[str] = mapped_column(String(80))
    url: Mapped[str] = mapped_column(String(500), info={"label": "URL", "format": "url"})
    # Space-separated `WebhookEvent` values.
    events: Mapped[str] = mapped_column(String(200))
    secret: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    deliveries: Mapped[list["WebhookDelivery"]] = relationship(
        back_populates="subscription", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def event_list(self) -> list[str]:
        return self.events.split()

    def __str__(self) -> str:
        return self.name


class WebhookDelivery(db.Model):
    """One event for one subscription: written with the change it tells of, sent by the
    scheduler, retried with backoff until delivered or given up."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (one_of("status", ("pending", "delivered", "failed")),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"), index=True
    )
    event: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)  # the JSON sent, byte for byte as signed
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )
    last_status: Mapped[int | None] = mapped_column(Integer)  # the receiver's HTTP status
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The request whose change it announces (its X-Request-ID), for following it in the logs.
    request_id: Mapped[str | None] = mapped_column(String(128))

    subscription: Mapped[WebhookSubscription] = relationship(back_populates="deliveries")
