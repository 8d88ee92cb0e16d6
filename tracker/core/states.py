"""Judgements stored and kept current (`tracker.core.derived`): a partner's relationship
health, a commitment's health, an obligation's status, an incentive's clawback exposure.

Each is one row per subject and *aspect*: the state, a rank to sort by (0 the most urgent),
the reason in words, an amount and its currency where the judgement is money, and the date
the calendar alone next changes it (none when only a write can). The domains derive the
rows with their own rules; lists, totals and the dashboard read them in SQL.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import Date, Index, Integer, SmallInteger, String, UniqueConstraint, and_
from sqlalchemy.orm import Mapped, aliased, mapped_column

from tracker.core.types import Money
from tracker.extensions import db

REASON_LENGTH = 1000


class StoredState(db.Model):
    """One judgement of one record, as its domain's rules give it today."""

    __tablename__ = "derived_states"
    __table_args__ = (
        UniqueConstraint("subject_type", "subject_id", "aspect", name="uq_derived_states_subject"),
        Index("ix_derived_states_scope", "scope_type", "scope_id"),
        Index("ix_derived_states_changes", "scope_type", "changes_on"),
        Index("ix_derived_states_aspect_state", "aspect", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scope_type: Mapped[str] = mapped_column(String(32))
    scope_id: Mapped[int] = mapped_column(Integer)
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[int] = mapped_column(Integer)
    aspect: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16))
    rank: Mapped[int] = mapped_column(SmallInteger)
    reason: Mapped[str] = mapped_column(String(REASON_LENGTH))
    amount: Mapped[Money | None]
    currency: Mapped[str | None] = mapped_column(String(3))
    changes_on: Mapped[date | None] = mapped_column(Date)


@dataclass(frozen=True)
class State:
    """What a source derives for one judgement (a `StoredState` row's values)."""

    subject_type: str
    subject_id: int
    aspect: str
    state: str
    rank: int
    reason: str
    changes_on: date | None = None
    amount: Decimal | None = None
    currency: str | None = None

    def values(self) -> dict:
        return {
            "subject_type": self.subject_type,
            "subject_id": self.subject_id,
            "aspect": self.aspect,
            "state": self.state,
            "rank": self.rank,
            "reason": self.reason[:REASON_LENGTH],
            "changes_on": self.changes_on,
            "amount": self.amount,
            "currency": self.currency,
        }


def judged(subject_type: str, subject_id, aspect: str):
    """(alias, ON clause): the stored judgement `aspect` of the rows whose id is
    `subject_id`, to join (outer, for rows not yet judged) and sort or add up by."""
    judgement = aliased(StoredState, name=f"judged_{aspect}")
    return judgement, and_(
        judgement.subject_type == subject_type,
        judgement.subject_id == subject_id,
        judgement.aspect == aspect,
    )
