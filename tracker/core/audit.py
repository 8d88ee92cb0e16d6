"""Recording who changed what: one `AuditEvent` per create, update, delete or transition."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask_login import current_user
from sqlalchemy import inspect

from tracker.core.forms import copy_fields
from tracker.core.models import AuditEvent
from tracker.extensions import db


def _display(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def snapshot(obj, fields: list[str]) -> dict[str, str | None]:
    """The display values of `fields` on `obj`, to diff against after an edit."""
    return {field: _display(getattr(obj, field)) for field in fields}


def diff(before: dict[str, str | None], after: dict[str, str | None]) -> dict[str, list]:
    return {
        field: [before.get(field), value]
        for field, value in after.items()
        if before.get(field) != value
    }


def record(action: str, obj, summary: str, changes: dict[str, list] | None = None) -> AuditEvent:
    """Add an audit event for `obj` to the session; flushes so a new object has its id."""
    if inspect(obj).transient or obj.id is None:
        db.session.add(obj)
        db.session.flush()
    user_id = current_user.id if current_user and current_user.is_authenticated else None
    event = AuditEvent(
        user_id=user_id,
        action=action,
        entity_type=obj.__tablename__,
        entity_id=obj.id,
        summary=summary[:300],
        changes=changes or {},
    )
    db.session.add(event)
    return event


def save_form(obj, form, fields: list[str], *, is_new: bool, summary: str, owner=None) -> None:
    """Copy the form's `fields` onto `obj` and audit it: a create, or an update listing what
    changed. With `owner`, the event is recorded on that record instead (a child's change
    shown in its parent's history)."""
    before = snapshot(obj, fields) if not is_new else {}
    copy_fields(obj, form, fields)
    db.session.add(obj)
    changes = {} if is_new else diff(before, snapshot(obj, fields))
    record("create" if is_new and owner is None else "update", owner or obj, summary, changes)
