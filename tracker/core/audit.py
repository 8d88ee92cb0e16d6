"""Recording who changed what: one `AuditEvent` per create, update, delete, transition or undo.

Operations call these helpers, never views. A change is kept as a dict:

    {"label": "Amount awarded", "old": "100000.00", "new": "110000000.00",
     "old_text": "—", "new_text": "HUF 110,000,000"}

`old` and `new` are the stored values in JSON form (dates ISO, decimals as strings, a
reference as its id, a collection as a list of ids), so an admin can undo the change;
the texts are what people read, worded when the event is recorded (names, not ids;
money with its currency; choices by their labels).

How a field reads comes from its model: `mapped_column(..., info={"label": …,
"choices": SomeChoice})` where the default (the name in words) is not right.
"""

from collections.abc import Iterable
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from blinker import Namespace
from sqlalchemy import Boolean, Date, DateTime, Integer, Numeric, inspect

from tracker.core.models import EMPTY, AuditEvent, default_label, read_change  # noqa: F401
from tracker.core.money import format_amount
from tracker.core.types import is_money, shown_places, storage_type
from tracker.extensions import db

# Sent with every event as it is added (before the commit): whoever watches changes (the
# outgoing webhooks of `tracker.monitoring.webhooks`) adds its own rows to the same
# transaction, so a change rolled back sends nothing.
recorded = Namespace().signal("audit-recorded")

# Never part of a change: bookkeeping columns.
UNTRACKED = frozenset({"id", "version", "created_at", "updated_at"})


# --- Reading a field ---------------------------------------------------------------------


def _column(model: type, field: str):
    return inspect(model).columns.get(field)


def _relationship(model: type, name: str):
    return inspect(model).relationships.get(name)


def field_label(model: type, field: str) -> str:
    column = _column(model, field)
    if column is not None and column.info.get("label"):
        return column.info["label"]
    relationship = _relationship(model, field)
    if relationship is not None and relationship.info.get("label"):
        return relationship.info["label"]
    return default_label(field)


def stored(value: Any) -> Any:
    """A value in JSON form: what an event keeps to undo with."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, list | tuple):
        return [stored(item) for item in value]
    return value


def _number_text(value: Decimal) -> str:
    value = Decimal(value)
    if value == value.to_integral_value():
        return format_amount(value, 0)
    places = max(0, -value.normalize().as_tuple().exponent)
    return format_amount(value, min(places, 4))


def value_text(record, field: str, value: Any) -> str:
    """How `value` of `record.field` reads in a history line."""
    if value is None or value == "" or value == []:
        return EMPTY
    model = type(record)
    relationship = _relationship(model, field)
    if relationship is not None:
        items = value if isinstance(value, list | tuple) else [value]
        return "; ".join(str(item) for item in items) or EMPTY
    column = _column(model, field)
    if column is not None:
        choices = column.info.get("choices")
        if choices is not None:
            try:
                return choices(value).label
            except ValueError:
                return str(value)
        if field.endswith("_id"):
            reference = _relationship(model, field.removesuffix("_id"))
            if reference is not None:
                target = db.session.get(reference.mapper.class_, value)
                return str(target) if target is not None else f"#{value}"
        if isinstance(column.type, Boolean) or isinstance(value, bool):
            return "Yes" if value else "No"
        if isinstance(storage_type(column.type), Numeric):
            number = _number_text(Decimal(value))
            currency = getattr(record, "currency", None)
            if is_money(column) and currency:
                return f"{currency} {number}"
            return number
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def current_value(record, field: str) -> Any:
    """The value of `field` as stored: a collection as its members, a column as is."""
    return getattr(record, field)


def stored_value(record, field: str) -> Any:
    """The value of `field` on `record` in the JSON form a change keeps."""
    return _stored_of(record, field)


def _stored_of(record, field: str) -> Any:
    value = current_value(record, field)
    if _relationship(type(record), field) is not None:
        items = value if isinstance(value, list | tuple) else [value]
        return sorted(item.id for item in items if item is not None)
    column = _column(type(record), field)
    scale = getattr(column.type, "scale", None) if column is not None else None
    if isinstance(value, Decimal) and value.is_finite() and column is not None and is_money(column):
        value = shown_places(value)  # as the column gives it back
    elif isinstance(value, Decimal) and scale is not None and value.is_finite():
        value = value.quantize(Decimal(1).scaleb(-scale))  # as the column keeps it
    return stored(value)


# --- Changes -----------------------------------------------------------------------------


class Tracker:
    """Remembers fields before an operation changes them, then tells what changed.

    tracked = audit.track(partner, ["name", "status"])
    ...set values...
    audit.record("update", partner, "Updated …", actor=actor, changes=tracked.changes())
    """

    def __init__(self, record, fields: Iterable[str]):
        self.record = record
        self.fields = [field for field in fields if field not in UNTRACKED]
        self.before = {field: self._read(field) for field in self.fields}

    def _read(self, field: str) -> tuple[Any, str]:
        value = current_value(self.record, field)
        return _stored_of(self.record, field), value_text(self.record, field, value)

    def changes(self) -> dict[str, dict[str, Any]]:
        changes = {}
        for field in self.fields:
            old, old_text = self.before[field]
            new, new_text = self._read(field)
            if old != new:
                changes[field] = change(type(self.record), field, old, new, old_text, new_text)
        return changes

    def created(self) -> dict[str, dict[str, Any]]:
        """Every field that has a value, as a change from nothing: a create's event."""
        changes = {}
        for field in self.fields:
            new, new_text = self._read(field)
            if new not in (None, "", []):
                changes[field] = change(type(self.record), field, None, new, EMPTY, new_text)
        return changes


def track(record, fields: Iterable[str]) -> Tracker:
    return Tracker(record, fields)


def change(model: type, field: str, old, new, old_text: str, new_text: str) -> dict[str, Any]:
    return {
        "label": field_label(model, field),
        "old": old,
        "new": new,
        "old_text": old_text,
        "new_text": new_text,
    }


def editable_fields(model: type) -> list[str]:
    """Every column a record's state holds."""
    return [column.key for column in inspect(model).column_attrs]


def state_of(record, children: dict[str, Iterable] | None = None) -> dict[str, Any]:
    """A record's whole state in JSON form (and its children's), kept on its deletion."""
    model = type(record)
    state: dict[str, Any] = {
        "values": {field: stored(getattr(record, field)) for field in editable_fields(model)}
    }
    for name in [rel.key for rel in inspect(model).relationships if rel.secondary is not None]:
        state["values"][name] = _stored_of(record, name)
    if children:
        state["children"] = {
            name: [state_of(child) for child in items] for name, items in children.items()
        }
    return state


def from_stored(model: type, field: str, raw: Any) -> Any:
    """The Python value of a field from its JSON form (the inverse of `stored`)."""
    if raw is None:
        return None
    column = _column(model, field)
    if column is None:
        return raw
    kind = column.type
    if isinstance(kind, DateTime):
        return datetime.fromisoformat(raw)
    if isinstance(kind, Date):
        return date.fromisoformat(raw)
    if isinstance(kind, Boolean):
        return bool(raw)
    if isinstance(storage_type(kind), Numeric):
        return Decimal(str(raw))
    if isinstance(kind, Integer):
        return int(raw)
    return raw


def rebuild(model: type, state: dict[str, Any]):
    """A new, unsaved `model` with the stored values of a deleted record (same id, so links
    to it work again); collections by id are left to the caller."""
    values = state["values"]
    record = model()
    for field in editable_fields(model):
        if field in ("version",) or field not in values:
            continue
        setattr(record, field, from_stored(model, field, values[field]))
    return record


# --- Events --------------------------------------------------------------------------------

_reverting: ContextVar[AuditEvent | None] = ContextVar("reverting", default=None)


@contextmanager
def reverting(event: AuditEvent):
    """Inside, the events operations record undo `event`: marked "undo" and linked to it."""
    token = _reverting.set(event)
    try:
        yield
    finally:
        _reverting.reset(token)


def record(
    action: str,
    record,
    summary: str,
    changes: dict | None = None,
    *,
    actor,
    parent=None,
    state: dict | None = None,
    reverts: AuditEvent | None = None,
) -> AuditEvent:
    """Add an audit event for `record` (flushed first, so a new record has its id).

    `actor` is the user acting, or None for the system (the scheduler, a command run
    without `--as`). With `parent`, the event also shows in that record's history.
    """
    if inspect(record).transient or record.id is None:
        db.session.add(record)
        db.session.flush()
    undoing = _reverting.get()
    if undoing is not None and reverts is None:
        reverts = undoing
        if action != "restore":
            action = "undo"
            summary = f"Undid “{undoing.summary}”: {summary}"
    event = AuditEvent(
        user_id=getattr(actor, "id", None),
        action=action,
        entity_type=record.__tablename__,
        entity_id=record.id,
        parent_type=parent.__tablename__ if parent is not None else None,
        parent_id=parent.id if parent is not None else None,
        summary=summary[:300],
        changes=changes or {},
        state=state,
        reverts=reverts,
    )
    db.session.add(event)
    recorded.send(event)
    return event


def history(record, limit: int = 50) -> list[AuditEvent]:
    """The events of `record` and of its children (events naming it as their parent)."""
    from sqlalchemy import and_, or_, select
    from sqlalchemy.orm import joinedload, selectinload

    table = record.__tablename__
    query = (
        select(AuditEvent)
        .where(
            or_(
                and_(AuditEvent.entity_type == table, AuditEvent.entity_id == record.id),
                and_(AuditEvent.parent_type == table, AuditEvent.parent_id == record.id),
            )
        )
        .options(joinedload(AuditEvent.user), selectinload(AuditEvent.reverted_by))
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))
