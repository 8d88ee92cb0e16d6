"""Dated items, stored and kept current: every date something is still owed by, one row each.

A domain says which of its dates are live (an application not yet filed, a milestone not yet
done, a follow-up not yet made …) with a *source*: which records' writes touch which
*scope* (an incentive, a commitment, an engagement) and how to derive a scope's items.
Every flush then re-derives the scopes its writes touched, in the same transaction, so the
stored rows never disagree with the records, whichever operation (or test, or import)
wrote them. Pages, the calendar and the scan read the rows, with their indexes, instead of
deriving every item from whole tables on each request.

Core knows no domain: it stores what the sources derive, keyed by the subject's table name
and id, and leaves the rules to them.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from types import SimpleNamespace

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    event,
    func,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

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


# A record written → the scope ids its write touches (its own id, its parent's, …).
Touches = Callable[[object], Iterable[int | None]]


@dataclass(frozen=True)
class Source:
    """A domain's dated items: the scope they are derived by, the records whose writes touch
    a scope, `derive(ids)` → {scope id: its live items} (scopes gone or with nothing owed
    may be left out), and `every()` → the ids of every scope that may have items.

    `derive` runs inside a flush: it must read the records fresh (`populate_existing`), as
    a collection loaded before a child was deleted still holds the child."""

    scope_type: str
    touches: dict[type, Touches]
    derive: Callable[[list[int]], dict[int, list[Item]]]
    every: Callable[[], Iterable[int]]


_sources: dict[str, Source] = {}


def register_source(source: Source) -> None:
    """Keep `source`'s items current from now on (a domain registers once, at import)."""
    _sources[source.scope_type] = source


# --- Keeping them current ---------------------------------------------------------------

BATCH = 500
_PENDING = "dated_item_scopes"


def _touched(session: Session) -> dict[str, set[int]]:
    scopes: dict[str, set[int]] = defaultdict(set)
    for record in (*session.new, *session.dirty, *session.deleted):
        for source in _sources.values():
            touches = source.touches.get(type(record)) or next(
                (t for cls, t in source.touches.items() if isinstance(record, cls)), None
            )
            if touches is not None:
                scopes[source.scope_type].update(i for i in touches(record) if i is not None)
    return scopes


@event.listens_for(Session, "after_flush")
def _remember_touched(session: Session, _context) -> None:
    if not _sources:
        return
    pending = session.info.setdefault(_PENDING, defaultdict(set))
    for scope_type, ids in _touched(session).items():
        pending[scope_type].update(ids)


@event.listens_for(Session, "after_flush_postexec")
def _refresh_touched(session: Session, _context) -> None:
    pending = session.info.pop(_PENDING, None)
    for scope_type, ids in (pending or {}).items():
        refresh(scope_type, sorted(ids), session=session)


def refresh(scope_type: str, scope_ids: list[int], *, session: Session | None = None) -> None:
    """Derive the items of these scopes again and store them in place of the old ones."""
    session = session or db.session
    source = _sources[scope_type]
    table = StoredItem.__table__
    connection = session.connection()
    for start in range(0, len(scope_ids), BATCH):
        ids = scope_ids[start : start + BATCH]
        derived = source.derive(ids)
        connection.execute(
            table.delete().where(table.c.scope_type == scope_type, table.c.scope_id.in_(ids))
        )
        rows = [
            {"scope_type": scope_type, "scope_id": scope_id, **_values(item)}
            for scope_id, items in derived.items()
            for item in items
        ]
        if rows:
            connection.execute(table.insert(), rows)


def _values(item: Item) -> dict:
    return {
        "subject_type": item.subject_type,
        "subject_id": item.subject_id,
        "kind": item.kind,
        "due_on": item.due_on,
        "title": item.title[:400],
        "detail": item.detail[:400],
        "owner_id": item.owner_id,
        "partner_id": item.partner_id,
        "path": item.path,
    }


def refresh_source(scope_type: str, *, session: Session | None = None) -> None:
    """Derive all of one source's items again, in place of every row it stored."""
    session = session or db.session
    table = StoredItem.__table__
    session.connection().execute(table.delete().where(table.c.scope_type == scope_type))
    refresh(scope_type, list(_sources[scope_type].every()), session=session)


def refresh_all() -> int:
    """Derive every source's items again from the records (after a bulk load, a restore or
    an edit made outside the app); returns how many items are stored. The caller commits."""
    db.session.flush()
    for scope_type in _sources:
        refresh_source(scope_type)
    return db.session.scalar(select(func.count()).select_from(StoredItem.__table__))


@event.listens_for(Session, "do_orm_execute")
def _refresh_after_bulk_write(state) -> None:
    """An UPDATE or DELETE statement on a model a source watches (`update(FollowUp)…`) writes
    past the flush, so no record says which scopes it touched: its sources are derived again
    whole. The app's own writes go through the flush; this keeps the rows true after any
    other."""
    if not (state.is_update or state.is_delete) or state.bind_mapper is None:
        return None
    model = state.bind_mapper.class_
    watching = [
        scope_type
        for scope_type, source in _sources.items()
        if any(issubclass(model, cls) for cls in source.touches)
    ]
    if not watching:
        return None
    result = state.invoke_statement()
    for scope_type in watching:
        refresh_source(scope_type, session=state.session)
    return result


def differences() -> list[str]:
    """How the stored items differ from a fresh derivation from the records, one line each
    (none when they agree): what a test, or an operator's check, compares."""
    stored = {
        (row.scope_type, row.scope_id, _item(row))
        for row in db.session.execute(select(StoredItem.__table__))
    }
    fresh = {
        (scope_type, scope_id, _item(SimpleNamespace(**_values(item))))
        for scope_type, source in _sources.items()
        for scope_id, items in source.derive(list(source.every())).items()
        for item in items
    }
    return [f"stored, not owed: {entry}" for entry in sorted(stored - fresh, key=str)] + [
        f"owed, not stored: {entry}" for entry in sorted(fresh - stored, key=str)
    ]


def _item(row) -> Item:
    """An item as stored (its texts cut to their columns)."""
    return Item(
        row.subject_type,
        row.subject_id,
        row.kind,
        row.due_on,
        row.title,
        row.owner_id,
        row.partner_id,
        row.path,
        row.detail,
    )
