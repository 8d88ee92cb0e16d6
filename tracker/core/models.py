"""Audit events and currency rates: records every domain relies on."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.auth.models import User
from tracker.core.types import CurrencyCode, currency_check, utcnow
from tracker.extensions import db


class AuditEvent(db.Model):
    """Who changed what, when, and from which values to which.

    `changes` maps a field name to `[old, new]`, both as display strings.
    """

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_entity", "entity_type", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(20))
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(String(300))
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    user: Mapped[User | None] = relationship()


class FxRate(db.Model):
    """How many units of the reporting currency one unit of `currency` buys, from a date."""

    __tablename__ = "fx_rates"
    __table_args__ = (
        UniqueConstraint("currency", "reporting_currency", "effective_on"),
        currency_check("currency"),
        currency_check("reporting_currency"),
        CheckConstraint("rate > 0", name="rate_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    currency: Mapped[CurrencyCode] = mapped_column(index=True)
    reporting_currency: Mapped[CurrencyCode]
    rate: Mapped[Decimal] = mapped_column(Numeric(20, 10))
    effective_on: Mapped[date] = mapped_column(Date, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
