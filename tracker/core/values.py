"""The checks every operation makes of the plain values it is handed, before its own rules.

Messages are the forms' own ("This field is required.", "Not a valid choice."), so a value
refused by an operation reads the same on the form, in an import row and from the API.
"""

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy import Numeric, String, inspect

from tracker.core.audit import field_label
from tracker.core.errors import DomainError
from tracker.extensions import db

REQUIRED = "This field is required."
NOT_A_CHOICE = "Not a valid choice."
INVALID_EMAIL = "Enter a valid e-mail address."
INVALID_URL = "Enter a full address, e.g. https://…"


def out_of_range(minimum=None, maximum=None) -> str:
    """WTForms' own words for a number out of its range, so an import row says the same."""
    if minimum is not None and maximum is not None:
        return f"Number must be between {minimum} and {maximum}."
    if minimum is not None:
        return f"Number must be at least {minimum}."
    return f"Number must be at most {maximum}."


def plain(values: dict[str, Any], fields: Iterable[str], model: type) -> dict[str, Any]:
    """The values as `model` keeps them: text stripped (blank text is None), numbers at
    their column's scale (200 → 200.00, as the database gives them back, so history and
    undo compare like with like). A key that is not one of `fields` is a caller's mistake
    (ValueError), not a rule."""
    unknown = set(values) - set(fields)
    if unknown:
        raise ValueError(f"Not fields an operation can set: {', '.join(sorted(unknown))}")
    columns = inspect(model).columns
    result = {}
    for name, value in values.items():
        if isinstance(value, str):
            value = value.strip() or None
        column = columns.get(name)
        scale = getattr(column.type, "scale", None) if column is not None else None
        if (
            scale is not None
            and isinstance(column.type, Numeric)
            and isinstance(value, int | float | Decimal)
            and not isinstance(value, bool)
        ):
            value = Decimal(str(value)).quantize(Decimal(1).scaleb(-scale))
        result[name] = value
    return result


def within_lengths(model: type, values: dict[str, Any]) -> None:
    """Text no longer than its column holds (the forms' and imports' limits)."""
    columns = inspect(model).columns
    for name, value in values.items():
        column = columns.get(name)
        if column is None or not isinstance(value, str) or not isinstance(column.type, String):
            continue
        length = column.type.length
        if length and len(value) > length:
            label = field_label(model, name)
            raise DomainError(f"{label} must be at most {length} characters.", name)


def stored(record, fields: Iterable[str]) -> dict[str, Any]:
    """The record's current values of `fields` (nothing for a record not yet made)."""
    return {name: getattr(record, name) for name in fields} if record is not None else {}


def changed(values: dict[str, Any], record, name: str) -> bool:
    """Whether `values` sets `name` to something else than `record` holds."""
    return name in values and (record is None or getattr(record, name) != values[name])


def assign(record, values: dict[str, Any]) -> None:
    for name, value in values.items():
        setattr(record, name, value)


def require(merged: dict[str, Any], *fields: str) -> None:
    for name in fields:
        if merged.get(name) in (None, "", []):
            raise DomainError(REQUIRED, name)


def one_of(merged: dict[str, Any], name: str, choices) -> None:
    """`merged[name]`, when given, is one of `choices` (a `Choice` class or any collection)."""
    value = merged.get(name)
    allowed = choices.values() if hasattr(choices, "values") else choices
    if value is not None and value not in allowed:
        raise DomainError(NOT_A_CHOICE, name)


def existing(model: type, record_id: int | None, field: str, message: str):
    """The record an id points at (None for no id); DomainError(`message`) when there is none."""
    if record_id is None:
        return None
    record = db.session.get(model, record_id)
    if record is None:
        raise DomainError(message, field)
    return record
