"""Dated readings of a figure that moves: an obligation's actual, the volume an anchor
commitment has taken, a co-investment's spend, a training programme's completions.

A record keeps its latest figure in its own column (what its page shows); each figure
entered is also kept here with the day it was true on, so a report as of a past day reads
the figure of that day (`as_of`), and updating a figure today leaves last month's report as
it was. A record with no reading at all (written before readings, or in bulk) is read by
its own column, as before.
"""

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, DateTime, ForeignKey, String, select
from sqlalchemy.orm import Mapped, mapped_column

from tracker.core.types import Money, Quantity, utcnow
from tracker.extensions import db

# What a record's figure was before any reading was taken, when the day is not known: read
# as true since ever, so the first reading does not blank the past.
SINCE_EVER = date(1900, 1, 1)
MISSING = object()


class ReadingMixin:
    """A figure of a record (`measure`), as it stood on `as_of`. Each domain's reading table
    adds the key to its record (deleted with it) and registers itself (`register`)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    measure: Mapped[str] = mapped_column(String(32))
    as_of: Mapped[date] = mapped_column(Date)
    # Money stays exact in `amount`; counts and quantities go in `quantity`.
    quantity: Mapped[Quantity | None]
    amount: Mapped[Money | None]
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    @property
    def value(self) -> Decimal | None:
        return self.amount if self.amount is not None else self.quantity


# A record's table → (its reading model, the name of the key to it).
_models: dict[str, tuple[type, str]] = {}


def register(subject_table: str, model: type, key: str) -> None:
    _models[subject_table] = (model, key)


def _model(subject_table: str):
    model, key = _models[subject_table]
    return model, getattr(model, key), key


def _value_columns(value, money: bool) -> dict:
    number = None if value is None else Decimal(value)
    return {"amount": number, "quantity": None} if money else {"amount": None, "quantity": number}


def record(
    subject,
    measure: str,
    value,
    as_of: date,
    *,
    before=MISSING,
    before_as_of: date | None = None,
    money: bool = False,
    actor=None,
) -> None:
    """Keep `value` as `subject`'s `measure` on `as_of`. `before` is the figure the record
    held until now (and `before_as_of` its day, if known): when the record has no reading
    yet, it is kept first, so the past keeps the figure it had."""
    model, _column, key = _model(subject.__tablename__)
    user_id = getattr(actor, "id", None)
    if before is not MISSING and before is not None and not _has_readings(subject, measure):
        db.session.add(
            model(
                **{key: subject.id},
                measure=measure,
                as_of=before_as_of or SINCE_EVER,
                user_id=user_id,
                **_value_columns(before, money),
            )
        )
    db.session.add(
        model(
            **{key: subject.id},
            measure=measure,
            as_of=as_of,
            user_id=user_id,
            **_value_columns(value, money),
        )
    )
    db.session.flush()


def _of(subject, measure: str):
    model, column, _key = _model(subject.__tablename__)
    return model, select(model).where(column == subject.id, model.measure == measure)


def _has_readings(subject, measure: str) -> bool:
    _model_, query = _of(subject, measure)
    return db.session.scalar(query.limit(1)) is not None


def latest(subject, measure: str):
    """The reading of the latest day (the last entered among those of one day)."""
    model, query = _of(subject, measure)
    return db.session.scalar(query.order_by(model.as_of.desc(), model.id.desc()).limit(1))


def history(subject, measure: str) -> list:
    """Every reading of `subject`'s `measure`, the latest day first."""
    model, query = _of(subject, measure)
    return list(db.session.scalars(query.order_by(model.as_of.desc(), model.id.desc())))


def figures_on(
    subject_type: str, measures: Iterable[str], day: date, ids: Iterable[int] | None = None
) -> dict[tuple[int, str], Decimal | None]:
    """(subject id, measure) → the figure on `day`: the latest reading on or before it, or
    None when the readings begin after it. A subject and measure without readings is left
    out (its own column stands). `ids` None: every subject of the type."""
    model, column, _key = _model(subject_type)
    query = (
        select(column, model.measure, model.as_of, model.quantity, model.amount)
        .where(model.measure.in_(list(measures)))
        .order_by(column, model.measure, model.as_of, model.id)
    )
    if ids is not None:
        query = query.where(column.in_(list(ids)))
    found: dict[tuple[int, str], Decimal | None] = {}
    for subject_id, measure, as_of, quantity, amount in db.session.execute(query):
        key = (subject_id, measure)
        if as_of <= day:
            found[key] = amount if amount is not None else quantity
        else:
            found.setdefault(key, None)
    return found
