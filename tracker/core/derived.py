"""Derived state, stored and kept current: what pages filter, sort and add up, as rows.

A domain describes what it derives with a *source*: which table the rows go to (dated items,
states), which records' writes touch which *scope* (an incentive, a commitment, a partner),
how to derive a scope's rows, and every scope there is. Every flush then re-derives the
scopes its writes touched, in the same transaction, so the stored rows never disagree with
the records, whichever operation (or test, or import) wrote them. What changes with the
calendar alone carries the date of its next change (`changes_on`); the scan re-derives what
has reached it (`refresh_due`), so a repeated scan touches nothing.

Core knows no domain: it stores what the sources derive, keyed by the subject's table name
and id, and leaves the rules to them.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from sqlalchemy import Table, event, func, select, text
from sqlalchemy.orm import Session

from tracker.extensions import db


class Derived(Protocol):
    """One derived row: its values by column (texts cut to fit) and its identity."""

    def values(self) -> dict: ...


# A record written → the scope ids its write touches (its own id, its parent's, …).
Touches = Callable[[object], Iterable[int | None]]


@dataclass(frozen=True)
class Source:
    """A domain's derived rows in `table`: the scope they are derived by, the records whose
    writes touch a scope, `derive(ids)` → {scope id: its rows} (scopes gone or with nothing
    to store may be left out), and `every()` → the ids of every scope that may have rows.

    `derive` runs inside a flush: it must read the records fresh (`populate_existing`), as
    a collection loaded before a child was deleted still holds the child."""

    table: Table
    scope_type: str
    touches: dict[type, Touches]
    derive: Callable[[list[int]], dict[int, list[Derived]]]
    every: Callable[[], Iterable[int]]

    @property
    def name(self) -> str:
        return f"{self.table.name}:{self.scope_type}"


_sources: dict[str, Source] = {}


def register_source(source: Source) -> None:
    """Keep `source`'s rows current from now on (a domain registers once, at import)."""
    _sources[source.name] = source


# --- Keeping them current ---------------------------------------------------------------

BATCH = 500
_PENDING = "derived_scopes"
_DEFERRED = "derived_deferred"


def _touched(session: Session) -> dict[str, set[int]]:
    scopes: dict[str, set[int]] = defaultdict(set)
    for record in (*session.new, *session.dirty, *session.deleted):
        for source in _sources.values():
            touches = source.touches.get(type(record)) or next(
                (t for cls, t in source.touches.items() if isinstance(record, cls)), None
            )
            if touches is not None:
                scopes[source.name].update(i for i in touches(record) if i is not None)
    return scopes


@event.listens_for(Session, "after_flush")
def _remember_touched(session: Session, _context) -> None:
    if not _sources:
        return
    pending = session.info.setdefault(_PENDING, defaultdict(set))
    for name, ids in _touched(session).items():
        pending[name].update(ids)


@event.listens_for(Session, "after_flush_postexec")
def _refresh_touched(session: Session, _context) -> None:
    if session.info.get(_DEFERRED):
        return  # `deferred` derives them all when it ends
    _refresh_pending(session)


def _refresh_pending(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    for name, ids in (pending or {}).items():
        refresh(_sources[name], sorted(ids), session=session)


@contextmanager
def deferred(*, discard: bool = False, session: Session | None = None):
    """Within the block, flushes only note the scopes they touch; when it ends, they are
    derived once, together (a writer of thousands of rows, such as an import, flushes
    thousands of times). `discard=True` forgets them instead, for writes the caller rolls
    back. Should the block raise, nothing is derived: the caller rolls back."""
    session = session or db.session
    session.info[_DEFERRED] = session.info.get(_DEFERRED, 0) + 1
    try:
        yield
    finally:
        session.info[_DEFERRED] -= 1
        still_deferred = session.info[_DEFERRED] > 0
        if not still_deferred:
            del session.info[_DEFERRED]
    if still_deferred:
        return
    if discard:
        session.info.pop(_PENDING, None)
    else:
        session.flush()
        _refresh_pending(session)


def refresh(source: Source, scope_ids: list[int], *, session: Session | None = None) -> None:
    """Derive the rows of these scopes again and store them in place of the old ones."""
    session = session or db.session
    table = source.table
    connection = session.connection()
    for start in range(0, len(scope_ids), BATCH):
        ids = scope_ids[start : start + BATCH]
        derived = source.derive(ids)
        connection.execute(
            table.delete().where(table.c.scope_type == source.scope_type, table.c.scope_id.in_(ids))
        )
        rows = [
            {"scope_type": source.scope_type, "scope_id": scope_id, **row.values()}
            for scope_id, rows in derived.items()
            for row in rows
        ]
        if rows:
            connection.execute(table.insert(), rows)


def refresh_source(source: Source, *, session: Session | None = None) -> None:
    """Derive all of one source's rows again, in place of every row it stored."""
    session = session or db.session
    table = source.table
    session.connection().execute(table.delete().where(table.c.scope_type == source.scope_type))
    refresh(source, list(source.every()), session=session)


def refresh_all() -> dict[str, int]:
    """Derive every source's rows again from the records (after a bulk load, a restore or an
    edit made outside the app), then `analyze`; returns how many rows each table holds. The
    caller commits."""
    db.session.flush()
    for source in _sources.values():
        refresh_source(source)
    analyze()
    tables = {source.table for source in _sources.values()}
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table))
        for table in sorted(tables, key=lambda t: t.name)
    }


def analyze(*tables: Table, session: Session | None = None) -> None:
    """Refresh the statistics the database's query planner reads (`ANALYZE`, on SQLite and
    PostgreSQL alike), of `tables` or of every table. After a bulk load, a restore or a full
    derivation they are missing or stale, and the planner may then scan a table where an
    index would do (SQLite keeps none until told; PostgreSQL's autovacuum catches up in its
    own time, and never with rows the running transaction has not committed)."""
    session = session or db.session
    if not tables:
        session.execute(text("ANALYZE"))
    for table in tables:
        session.execute(text(f"ANALYZE {table.name}"))


def refresh_due(as_of: date, *, session: Session | None = None) -> int:
    """Derive again every scope with a row whose `changes_on` has come (what the calendar
    alone changes); returns how many scopes. A second call on the same day finds none."""
    session = session or db.session
    count = 0
    for source in _sources.values():
        if "changes_on" not in source.table.c:
            continue
        table = source.table
        ids = list(
            session.scalars(
                select(table.c.scope_id)
                .where(table.c.scope_type == source.scope_type, table.c.changes_on <= as_of)
                .distinct()
            )
        )
        refresh(source, sorted(ids), session=session)
        count += len(ids)
    return count


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
        source
        for source in _sources.values()
        if any(issubclass(model, cls) for cls in source.touches)
    ]
    if not watching:
        return None
    result = state.invoke_statement()
    for source in watching:
        refresh_source(source, session=state.session)
    return result


def differences(table: Table | None = None) -> list[str]:
    """How the stored rows differ from a fresh derivation from the records, one line each
    (none when they agree): what a test, or an operator's check, compares. `table` keeps one
    table's sources (all by default)."""
    sources = [s for s in _sources.values() if table is None or s.table is table]
    tables = {source.table for source in sources}
    stored, fresh = set(), set()
    for each in tables:
        columns = [c for c in each.c if c.name != "id"]
        for row in db.session.execute(select(*columns)):
            stored.add(tuple(sorted(row._mapping.items())))
    for source in sources:
        for scope_id, rows in source.derive(list(source.every())).items():
            for row in rows:
                values = {"scope_type": source.scope_type, "scope_id": scope_id, **row.values()}
                fresh.add(tuple(sorted(values.items())))
    return [f"stored, not derived: {entry}" for entry in sorted(stored - fresh, key=str)] + [
        f"derived, not stored: {entry}" for entry in sorted(fresh - stored, key=str)
    ]
