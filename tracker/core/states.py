"""Judgements stored and kept current (`tracker.core.derived`): a partner's relationship
health, a commitment's health, an obligation's status, an incentive's clawback exposure.

Each is one row per subject and *aspect*: the state, a rank to sort by (0 the most urgent),
the reason in words, an amount and its currency where the judgement is money, and the date
the calendar alone next changes it (none when only a write can). The domains derive the
rows with their own rules; lists, totals and the dashboard read them in SQL.

What the monthly report shows of a past month, the same judgements as they stood on its
last day, is kept too (`MonthEndState`), for the last `KEEP_MONTH_ENDS` months.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import (
    Date,
    DateTime,
    Index,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
    and_,
    case,
    func,
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, aliased, mapped_column

from tracker.core.derived import BATCH, Source, Touches, register_source
from tracker.core.types import Money, Quantity, utcnow
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


# --- As they stood at a month's end ----------------------------------------------------

# Month ends kept: a board looks back a year, and each kept month is derived again on every
# write of a record it judges.
KEEP_MONTH_ENDS = 13
TITLE_LENGTH = 500


class MonthEnd(db.Model):
    """A day whose judgements are kept (`MonthEndState`): the last day of a past month."""

    __tablename__ = "month_ends"

    as_of: Mapped[date] = mapped_column(Date, primary_key=True)
    kept_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class MonthEndState(db.Model):
    """One judgement of one record as it stood at the end of a kept day (`MonthEnd`), by
    its domain's rules applied to the record's history: what the monthly report of that
    month adds up and lists. Kept current as `StoredState` is, so a past corrected later
    (a milestone's completion entered late, say) shows in the report of its month."""

    __tablename__ = "month_end_states"
    __table_args__ = (
        Index("ix_month_end_states_scope", "scope_type", "scope_id"),
        Index("ix_month_end_states_day", "as_of", "aspect", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    as_of: Mapped[date] = mapped_column(Date)
    scope_type: Mapped[str] = mapped_column(String(32))
    scope_id: Mapped[int] = mapped_column(Integer)
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[int] = mapped_column(Integer)
    aspect: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16))
    rank: Mapped[int] = mapped_column(SmallInteger)
    reason: Mapped[str] = mapped_column(String(REASON_LENGTH))
    title: Mapped[str] = mapped_column(String(TITLE_LENGTH))  # the subject's, to sort by
    amount: Mapped[Money | None]
    currency: Mapped[str | None] = mapped_column(String(3))
    share: Mapped[Quantity | None]  # a percentage the judgement rests on
    flagged: Mapped[bool] = mapped_column(default=False)


@dataclass(frozen=True)
class Judgement:
    """What a month-end source derives for one record on one day (a `MonthEndState`)."""

    as_of: date
    subject_type: str
    subject_id: int
    aspect: str
    state: str
    rank: int
    reason: str
    title: str
    amount: Decimal | None = None
    currency: str | None = None
    share: Decimal | None = None
    flagged: bool = False

    def values(self) -> dict:
        return {
            **{name: getattr(self, name) for name in JUDGEMENT_FIELDS},
            "reason": self.reason[:REASON_LENGTH],
            "title": self.title[:TITLE_LENGTH],
        }


JUDGEMENT_FIELDS = tuple(f.name for f in fields(Judgement))

# (ids, or None for every record; the day) → {scope id: its judgements on that day}
Judge = Callable[[list[int] | None, date], dict[int, list[Judgement]]]


@dataclass(frozen=True)
class MonthEndSource:
    """A domain's judgements of its records as they stood on a day: `judge` applies the
    rules to the records' history; `touches` and `every` as for a `Source`."""

    scope_type: str
    touches: dict[type, Touches]
    judge: Judge
    every: Callable[[], Iterable[int]]

    def derive(self, ids: list[int]) -> dict[int, list[Judgement]]:
        """These scopes' judgements on every kept day (a write may change any of them)."""
        rows: dict[int, list[Judgement]] = defaultdict(list)
        for day in kept_days():
            for scope_id, judged in self.judge(ids, day).items():
                rows[scope_id].extend(judged)
        return rows


_month_end_sources: dict[str, MonthEndSource] = {}


def register_month_end_source(source: MonthEndSource) -> None:
    """Keep `source`'s judgements on every kept day, current as records are written."""
    _month_end_sources[source.scope_type] = source
    register_source(
        Source(
            MonthEndState.__table__, source.scope_type, source.touches, source.derive, source.every
        )
    )


def kept_days() -> list[date]:
    return list(db.session.scalars(select(MonthEnd.as_of).order_by(MonthEnd.as_of)))


def is_kept(day: date) -> bool:
    return db.session.get(MonthEnd, day) is not None


def keep_month_end(day: date) -> bool:
    """Judge every record as it stood at the end of `day` and keep the judgements, so the
    report of its month reads them; the oldest kept beyond `KEEP_MONTH_ENDS` go. False
    when the day was kept already (by another process too). The caller commits."""
    if is_kept(day):
        return False
    try:
        with db.session.begin_nested():  # two scans at once: the second finds it kept
            db.session.add(MonthEnd(as_of=day))
    except IntegrityError:
        return False
    table = MonthEndState.__table__
    connection = db.session.connection()
    for source in _month_end_sources.values():
        rows = [
            {"scope_type": source.scope_type, "scope_id": scope_id, **judgement.values()}
            for scope_id, judged in source.judge(None, day).items()
            for judgement in judged
        ]
        for start in range(0, len(rows), BATCH):
            connection.execute(table.insert(), rows[start : start + BATCH])
    stale = kept_days()[:-KEEP_MONTH_ENDS]
    if stale:
        connection.execute(table.delete().where(table.c.as_of.in_(stale)))
        connection.execute(MonthEnd.__table__.delete().where(MonthEnd.as_of.in_(stale)))
    return True


def keep_last_month_end(day: date) -> bool:
    """`keep_month_end` for the last day of the month before `day`'s (the scan's daily
    call keeps each month as it ends)."""
    return keep_month_end(day.replace(day=1) - timedelta(days=1))


@dataclass(frozen=True)
class Tally:
    """Judgements of one state and currency: how many, their amounts' sum, how many flagged."""

    state: str
    currency: str | None
    count: int
    amount: Decimal
    flagged: int


class Judged:
    """Every judgement of one kind of record (`scope_type`) on a day, to add up and list:
    read from the kept rows in SQL when the day is kept, else derived now from the records
    (the month in progress, or a month before those kept) and worked in memory."""

    def __init__(self, scope_type: str, day: date):
        self.scope_type, self.day = scope_type, day
        self.kept = is_kept(day)
        self._derived: list[Judgement] = []
        if not self.kept:
            judged = _month_end_sources[scope_type].judge(None, day)
            self._derived = [j for rows in judged.values() for j in rows]

    def tally(self) -> list[Tally]:
        """By state and currency."""
        if not self.kept:
            groups: dict[tuple, list] = defaultdict(lambda: [0, Decimal(0), 0])
            for j in self._derived:
                group = groups[(j.state, j.currency)]
                group[0] += 1
                group[1] += j.amount or 0
                group[2] += j.flagged
            return [Tally(state, currency, *group) for (state, currency), group in groups.items()]
        t = MonthEndState
        rows = db.session.execute(
            select(
                t.state,
                t.currency,
                func.count(),
                func.sum(t.amount),
                func.sum(case((t.flagged, 1), else_=0)),
            )
            .where(t.as_of == self.day, t.scope_type == self.scope_type)
            .group_by(t.state, t.currency)
        )
        return [
            Tally(state, currency, count, Decimal(amount or 0), int(flagged or 0))
            for state, currency, count, amount, flagged in rows
        ]

    def ordered(
        self,
        states: tuple[str, ...] | None = None,
        *,
        with_amount: bool = False,
        limit: int | None = None,
    ) -> list[Judgement]:
        """Those in `states` (None: all; `with_amount`: only those with a non-zero amount),
        most urgent first (by rank), then by title; the first `limit` (None: all)."""
        if not self.kept:
            chosen = sorted(
                (
                    j
                    for j in self._derived
                    if (states is None or j.state in states) and (j.amount or not with_amount)
                ),
                key=lambda j: (j.rank, j.title, j.subject_id),
            )
            return chosen if limit is None else chosen[:limit]
        t = MonthEndState
        query = (
            select(*(getattr(t, name) for name in JUDGEMENT_FIELDS))
            .where(t.as_of == self.day, t.scope_type == self.scope_type)
            .order_by(t.rank, t.title, t.subject_id)
        )
        if states is not None:
            query = query.where(t.state.in_(states))
        if with_amount:
            query = query.where(t.amount != 0)
        if limit is not None:
            query = query.limit(limit)
        return [Judgement(*row) for row in db.session.execute(query)]
