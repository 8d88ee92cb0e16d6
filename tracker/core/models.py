"""Audit events, currency rates and form submissions: records every domain relies on."""

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
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.core.types import CurrencyCode, FiniteNumeric, currency_check, utcnow
from tracker.extensions import db

EMPTY = "—"


def default_label(field: str) -> str:
    """`amount_awarded` → "Amount awarded"; `owner_id` → "Owner"; `is_state_aid` → "State aid"."""
    name = field.removesuffix("_ids").removesuffix("_id").removeprefix("is_")
    return name.replace("_", " ").capitalize()


def read_change(field: str, value: Any) -> dict[str, Any]:
    """One entry of `AuditEvent.changes`, whichever form it was recorded in."""
    if isinstance(value, dict):
        return {"field": field, **value}
    old, new = (list(value) + [None, None])[:2]
    return {
        "field": field,
        "label": default_label(field),
        "old": old,
        "new": new,
        "old_text": EMPTY if old is None else str(old),
        "new_text": EMPTY if new is None else str(new),
    }


class AuditEvent(db.Model):
    """Who changed what, when, and from which values to which.

    `changes` maps a field name to a `Change` dict (see `tracker.core.audit`): its label,
    the stored values before and after (for undo) and how each reads. Events recorded
    before labels existed hold `[old, new]` display strings instead; both read the same
    through `change_list`. A child's event (a contact, a milestone) names its parent
    record too, so the parent's history shows it. A deletion keeps the record's whole
    state (`state`), children included, so an admin can restore it.
    """

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_entity", "entity_type", "entity_id"),
        Index("ix_audit_events_parent", "parent_type", "parent_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(20), index=True)
    entity_type: Mapped[str] = mapped_column(String(32), index=True)
    entity_id: Mapped[int] = mapped_column(Integer)
    parent_type: Mapped[str | None] = mapped_column(String(32))
    parent_id: Mapped[int | None] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(String(300))
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The event this one undid, and the one that undid this one.
    reverts_id: Mapped[int | None] = mapped_column(ForeignKey("audit_events.id"), index=True)

    user: Mapped["User | None"] = relationship("User")  # noqa: F821 (auth's model, by name)
    reverts: Mapped["AuditEvent | None"] = relationship(
        remote_side=[id], back_populates="reverted_by"
    )
    reverted_by: Mapped[list["AuditEvent"]] = relationship(back_populates="reverts")

    @property
    def change_list(self) -> list[dict[str, Any]]:
        """Each change as a dict with `field`, `label`, `old`, `new`, `old_text`, `new_text`."""
        return [read_change(field, value) for field, value in (self.changes or {}).items()]

    def stored_change(self, field: str) -> tuple[Any, Any] | None:
        """The stored (old, new) values of one field, or None when it did not change."""
        value = (self.changes or {}).get(field)
        if value is None:
            return None
        change = read_change(field, value)
        return change["old"], change["new"]


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
    rate: Mapped[Decimal] = mapped_column(FiniteNumeric(20, 10))
    effective_on: Mapped[date] = mapped_column(Date, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    def __str__(self) -> str:
        return f"{self.currency} {self.rate} from {self.effective_on.isoformat()}"


class FormSubmission(db.Model):
    """A create form's one-time token, kept once used: a second post of the same form
    (a double click, the back button) finds the record the first one created."""

    __tablename__ = "form_submissions"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )
