"""Dated items, stored and kept current (`tracker.core.derived`): every date something is
still owed by, one row each.

A domain says which of its dates are live (an application not yet filed, a milestone not yet
done, a follow-up not yet made …) with a source writing to `dated_items`. Pages, the
calendar and the scan read the rows, with their indexes, instead of deriving every item
from whole tables on each request.
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tracker.extensions import db


class StoredItem(db.Model):
    """One date something is still owed by: what, when, who answers for it, where to look.

    `scope_type`/`scope_id` name the record whose writes re-derive the row (an incentive for
    its obligations' dates too); `subject_type`/`subject_id` the record the date belongs to;
    `partner_id` the partner whose owner also looks after it.
    """

    __tablename__ = "dated_items"
    __table_args__ = (
        UniqueConstraint("subject_type", "subject_id", "kind", name="uq_dated_items_subject"),
        Index("ix_dated_items_scope", "scope_type", "scope_id"),
        # One kind of record's items in a window (the deadlines page), counted from the index.
        Index("ix_dated_items_scope_type_due", "scope_type", "due_on", "scope_id"),
        Index("ix_dated_items_kind_due", "kind", "due_on"),
        Index("ix_dated_items_due", "due_on"),
        Index("ix_dated_items_owner_due", "owner_id", "due_on"),
        Index("ix_dated_items_partner_due", "partner_id", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scope_type: Mapped[str] = mapped_column(String(32))
    scope_id: Mapped[int] = mapped_column(Integer)
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))
    due_on: Mapped[date] = mapped_column(Date)
    title: Mapped[str] = mapped_column(String(400))
    detail: Mapped[str] = mapped_column(String(400), default="")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id", ondelete="SET NULL"))
    path: Mapped[str] = mapped_column(String(200))

    @property
    def key(self) -> tuple[str, int, str]:
        return (self.subject_type, self.subject_id, self.kind)


@dataclass(frozen=True)
class Item:
    """What a source derives for one dated item (a `StoredItem` row's values)."""

    subject_type: str
    subject_id: int
    kind: str
    due_on: date
    title: str
    owner_id: int | None
    partner_id: int | None
    path: str
    detail: str = ""

    @property
    def key(self) -> tuple[str, int, str]:
        return (self.subject_type, self.subject_id, self.kind)

    def values(self) -> dict:
        return {
            "subject_type": self.subject_type,
            "subject_id": self.subject_id,
            "kind": self.kind,
            "due_on": self.due_on,
            "title": self.title[:400],
            "detail": self.detail[:400],
            "owner_id": self.owner_id,
            "partner_id": self.partner_id,
            "path": self.path,
        }
