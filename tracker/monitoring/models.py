"""Alerts raised by the scheduled scans."""

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.auth.models import User
from tracker.core.types import utcnow
from tracker.extensions import db


class Alert(db.Model):
    """One alert per (subject, kind, threshold).

    The unique constraint, not the scanning code, guarantees that a repeated
    scan or two scans at once cannot raise the same alert twice.
    `threshold_days` counts days before the date (positive) or after it
    (negative: overdue).
    """

    __tablename__ = "alerts"
    __table_args__ = (UniqueConstraint("subject_type", "subject_id", "kind", "threshold_days"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    threshold_days: Mapped[int] = mapped_column(Integer)
    due_on: Mapped[date] = mapped_column(Date, index=True)
    message: Mapped[str] = mapped_column(String(300))
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    raised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    emailed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    send_attempts: Mapped[int] = mapped_column(Integer, default=0)

    recipient: Mapped[User | None] = relationship(foreign_keys=[recipient_id])
    acknowledged_by: Mapped[User | None] = relationship(foreign_keys=[acknowledged_by_id])
