"""The audit trail across the installation: the list, and undoing a change or restoring a
deleted record from it.

Each domain's operations module declares `UPDATERS` (table → its update operation) and
`RESTORERS` (table → the operation that re-creates a deleted record from its event).
An undo or a restore runs those operations, so it is refused with the domain's own
reason when it would break a rule today, and it is itself audited (linked to the event
it undid).
"""

import importlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache

from sqlalchemy import Select, inspect, select
from sqlalchemy.orm import joinedload, selectinload

from tracker.core import audit
from tracker.core.errors import DomainError
from tracker.core.models import AuditEvent
from tracker.core.tables import Column, ExportList, entities
from tracker.extensions import db

DOMAINS = ("auth", "partners", "incentives", "commitments", "monitoring", "clusters")


@cache
def registries() -> tuple[dict, dict]:
    """Every domain's `UPDATERS` and `RESTORERS`, merged: table → operation."""
    updaters, restorers = {}, {}
    for domain in DOMAINS:
        module = importlib.import_module(f"tracker.{domain}.operations")
        updaters.update(module.UPDATERS)
        restorers.update(module.RESTORERS)
    return updaters, restorers


# Never undone from the trail: a password is not kept, only the fact it changed.
NOT_UNDOABLE = frozenset({"password", "password_hash", "session_token", "calendar_token"})


def models() -> dict[str, type]:
    """Each table's mapped class (the base class of a table several kinds share)."""
    found = {}
    for mapper in db.Model.registry.mappers:
        if mapper.inherits is None and mapper.local_table is not None:
            found[mapper.local_table.name] = mapper.class_
    return found


RECORD_NAMES = {"fx_rates": "FX rate", "follow_ups": "Follow-up"}


def record_label(entity_type: str) -> str:
    """`agency_promises` → "Agency promise": what one record of the table is called."""
    if entity_type in RECORD_NAMES:
        return RECORD_NAMES[entity_type]
    return entity_type.removesuffix("s").replace("_", " ").capitalize()


# --- The list ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilters:
    entity_type: str = ""
    user_id: int | None = None
    action: str = ""
    date_from: date | None = None
    date_to: date | None = None


def events_query(filters: AuditFilters) -> Select:
    query = select(AuditEvent).options(
        joinedload(AuditEvent.user), selectinload(AuditEvent.reverted_by)
    )
    if filters.entity_type:
        query = query.where(AuditEvent.entity_type == filters.entity_type)
    if filters.user_id:
        query = query.where(AuditEvent.user_id == filters.user_id)
    if filters.action:
        query = query.where(AuditEvent.action == filters.action)
    if filters.date_from:
        start = datetime.combine(filters.date_from, time.min, UTC)
        query = query.where(AuditEvent.occurred_at >= start)
    if filters.date_to:
        end = datetime.combine(filters.date_to + timedelta(days=1), time.min, UTC)
        query = query.where(AuditEvent.occurred_at < end)
    return query.order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())


def entity_types() -> list[str]:
    return sorted(db.session.scalars(select(AuditEvent.entity_type).distinct()))


def _change_lines(event: AuditEvent) -> str | None:
    lines = [f"{c['label']}: {c['old_text']} → {c['new_text']}" for c in event.change_list]
    return "; ".join(lines) or None


AUDIT_LIST = ExportList(
    name="audit",
    title="Audit trail",
    columns=[
        Column("When (UTC)", lambda e: e.occurred_at, "datetime"),
        Column("By", lambda e: e.user.name if e.user else "system"),
        Column("Action", lambda e: e.action),
        Column("Record", lambda e: record_label(e.entity_type)),
        Column("Record number", lambda e: e.entity_id, "integer"),
        Column("Summary", lambda e: e.summary),
        Column("Changes", _change_lines),
    ],
    rows=entities,
    default_source=lambda: events_query(AuditFilters()),
)


# --- Undo and restore ---------------------------------------------------------------------


def why_not_undo(event: AuditEvent) -> str | None:
    """None when `event` can be undone from the trail; otherwise the reason, in words."""
    if event.action not in ("update", "undo"):
        return "Only a change of values can be undone."
    if event.reverted_by:
        return "This change was undone already."
    if event.entity_type not in registries()[0]:
        return "Changes to this kind of record cannot be undone here."
    changes = [change for change in event.change_list if change["field"] not in NOT_UNDOABLE]
    if not changes or any(not isinstance(event.changes[c["field"]], dict) for c in changes):
        return "This event does not record the values needed to undo it."
    return None


def why_not_restore(event: AuditEvent) -> str | None:
    if event.action != "delete":
        return "Only a deleted record can be restored."
    if event.reverted_by:
        return "This record was restored already."
    if event.entity_type not in registries()[1] or not event.state:
        return "This kind of record cannot be restored here."
    return None


def _load(event: AuditEvent):
    model = models().get(event.entity_type)
    return db.session.get(model, event.entity_id) if model is not None else None


def undo(event: AuditEvent, *, actor) -> AuditEvent:
    """Put back the values `event` replaced, through the record's own update operation.

    Refused (DomainError) when a field has changed again since — undoing would overwrite
    that later change — or when the old values break a rule today.
    """
    reason = why_not_undo(event)
    if reason:
        raise DomainError(reason)
    record = _load(event)
    if record is None:
        raise DomainError("The record was deleted since; restore it first.")
    model = type(record)
    values = {}
    for change in event.change_list:
        field = change["field"]
        if field in NOT_UNDOABLE:
            continue
        now = audit.stored_value(record, field)
        if now != change["new"]:
            shown = audit.value_text(record, field, audit.current_value(record, field))
            raise DomainError(
                f"{change['label']} has changed since (it is now {shown}): undoing this "
                "would overwrite that later change."
            )
        relationship = inspect(model).relationships.get(field)
        if relationship is not None:
            values[f"{field.removesuffix('s')}_ids"] = list(change["old"] or [])
        else:
            values[field] = audit.from_stored(model, field, change["old"])
    with audit.reverting(event):
        registries()[0][event.entity_type](record, values, actor=actor)
        db.session.flush()
    return _undone_by(event)


def restore(event: AuditEvent, *, actor):
    """Re-create a deleted record (with its children) through its domain's operation."""
    reason = why_not_restore(event)
    if reason:
        raise DomainError(reason)
    if _load(event) is not None:
        raise DomainError("A record with this number exists again; nothing to restore.")
    with audit.reverting(event):
        record = registries()[1][event.entity_type](event, actor=actor)
        db.session.flush()
    return record


def _undone_by(event: AuditEvent) -> AuditEvent:
    db.session.refresh(event, ["reverted_by"])
    return event.reverted_by[-1]
