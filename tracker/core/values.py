"""The checks every operation makes of the plain values it is handed, before its own rules.

Messages are the forms' own ("This field is required.", "Not a valid choice."), so a value
refused by an operation reads the same on the form, in an import row and from the API.
"""

from collections.abc import Iterable
from datetime import date, datetime
from decimal import ROUND_DOWN, Decimal
from typing import Any
from urllib.parse import urlparse

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import Date, DateTime, Integer, Numeric, String, Text, inspect

from tracker.core.audit import field_label
from tracker.core.codes import country_names, minor_units
from tracker.core.errors import DomainError
from tracker.core.inputs import LARGEST_INTEGER, multi_line, single_line
from tracker.core.types import (
    MONEY_LIMIT,
    ExactMoney,
    TransportMode,
    is_money,
    storage_type,
    today,
)
from tracker.extensions import db

REQUIRED = "This field is required."
NOT_A_CHOICE = "Not a valid choice."
INVALID_EMAIL = "Enter a valid e-mail address."
INVALID_URL = "Enter a full address, e.g. https://…"
NOT_A_NUMBER = "Enter a number."

# Dates a user can mean: anything else is a typing slip (0202 for 2022) or a probe.
FIRST_DATE = date(1900, 1, 1)
LAST_DATE = date(2200, 12, 31)
DATE_OUT_OF_RANGE = f"Enter a date between {FIRST_DATE.isoformat()} and {LAST_DATE.isoformat()}."


def out_of_range(minimum=None, maximum=None) -> str:
    """WTForms' own words for a number out of its range, so an import row says the same."""
    if minimum is not None and maximum is not None:
        return f"Number must be between {minimum} and {maximum}."
    if minimum is not None:
        return f"Number must be at least {minimum}."
    return f"Number must be at most {maximum}."


def plain(values: dict[str, Any], fields: Iterable[str], model: type) -> dict[str, Any]:
    """The values as `model` keeps them, or DomainError on the first its column cannot hold.

    Text is stripped (blank text is None), a single-line column's text on one line and a
    multi-line one's line ends plain LF; a number is finite, holds no more decimals than
    its column's scale and fits its column (stored at that scale, 200 → 200.00, as the
    database gives it back, so history and undo compare like with like); a date lies
    between `FIRST_DATE` and `LAST_DATE`. A text holds no more characters than its column
    (`longest`: its `String(n)`, or its `info`'s `max_length`); the `info` adds `min` and
    `max` for a number and `format` ("email", "url") for an address. A key that is not one
    of `fields` is a caller's mistake (ValueError), not a rule."""
    unknown = set(values) - set(fields)
    if unknown:
        raise ValueError(f"Not fields an operation can set: {', '.join(sorted(unknown))}")
    columns = inspect(model).columns
    result = {}
    for name, value in values.items():
        column = columns.get(name)
        kind = column.type if column is not None else None
        if isinstance(value, str):
            value = (multi_line(value) if isinstance(kind, Text) else single_line(value)).strip()
            value = value or None
        elif value is not None and kind is not None:
            value = fitting(value, kind, name)
        if value is not None and column is not None:
            value = within_limits(value, column, name)
        result[name] = value
    return result


def email_address(text: str) -> str:
    """An e-mail address as typed, normalised; ValueError(`INVALID_EMAIL`) otherwise."""
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError:
        raise ValueError(INVALID_EMAIL) from None


def web_address(text: str) -> str:
    """A full http(s) address; ValueError(`INVALID_URL`) otherwise."""
    parsed = urlparse(text)
    if parsed.scheme not in ("http", "https") or not parsed.netloc or " " in text:
        raise ValueError(INVALID_URL)
    return text


FORMATS = {"email": email_address, "url": web_address}


def longest(column) -> int | None:
    """The most characters `column` (a column or a model attribute) holds: its `info`'s
    `max_length`, else its `String(n)`. Operations, forms (`core.forms.fits`) and import
    columns all read it here."""
    column = getattr(column, "expression", column)
    return column.info.get("max_length") or getattr(storage_type(column.type), "length", None)


def within_limits(value: Any, column, field: str) -> Any:
    """`value` within the limits `column` sets (see `plain`), or DomainError in the forms'
    words."""
    info = column.info
    if isinstance(value, str):
        limit = longest(column)
        if limit and len(value) > limit:
            raise DomainError(f"Field cannot be longer than {limit} characters.", field)
        check = FORMATS.get(info.get("format"))
        if check is not None:
            try:
                return check(value)
            except ValueError as error:
                raise DomainError(str(error), field) from None
    elif isinstance(value, int | Decimal) and not isinstance(value, bool):
        low, high = info.get("min"), info.get("max")
        if (low is not None and value < low) or (high is not None and value > high):
            raise DomainError(out_of_range(low, high), field)
    return value


def fitting(value: Any, kind, field: str) -> Any:
    """`value` as a column of type `kind` holds it, or DomainError on `field`."""
    if isinstance(value, bool):
        return value
    if isinstance(kind, ExactMoney) and isinstance(value, int | float | Decimal):
        return money_fitting(Decimal(str(value)), field)
    kind = storage_type(kind)
    if isinstance(kind, Numeric) and isinstance(value, int | float | Decimal):
        return number_fitting(Decimal(str(value)), kind.precision, kind.scale, field)
    if isinstance(kind, Integer) and not -LARGEST_INTEGER <= value <= LARGEST_INTEGER:
        raise DomainError(out_of_range(-LARGEST_INTEGER, LARGEST_INTEGER), field)
    if isinstance(kind, Date | DateTime) and isinstance(value, date):
        day = value.date() if isinstance(value, datetime) else value
        if not FIRST_DATE <= day <= LAST_DATE:
            raise DomainError(DATE_OUT_OF_RANGE, field)
    return value


def number_fitting(value: Decimal, precision: int | None, scale: int | None, field: str):
    """`value` at `scale` decimals, refused when it is not a finite number, has more
    decimals than `scale` or more digits before the point than `precision - scale`."""
    if not value.is_finite():
        raise DomainError(NOT_A_NUMBER, field)
    if precision is not None and scale is not None and value.adjusted() >= precision - scale:
        raise DomainError(
            f"Enter at most {precision - scale} digits before the decimal point.", field
        )
    if scale is None:
        return value
    quantum = Decimal(1).scaleb(-scale)
    if value != value.quantize(quantum, rounding=ROUND_DOWN):
        raise DomainError(f"Use at most {scale} decimal places.", field)
    return value.quantize(quantum)


def money_fitting(value: Decimal, field: str) -> Decimal:
    """An amount as a money column keeps it (`ExactMoney`): finite, at most three decimals
    (the finest ISO 4217 minor unit; `within_minor_units` holds each currency to its own),
    below `MONEY_LIMIT`."""
    if not value.is_finite():
        raise DomainError(NOT_A_NUMBER, field)
    if abs(value) >= MONEY_LIMIT:
        raise DomainError(f"Enter an amount below {MONEY_LIMIT:,}.", field)
    return number_fitting(value, None, ExactMoney.SCALE, field)


def within_minor_units(model: type, merged: dict[str, Any], currency: str | None) -> None:
    """Every amount of money among `merged` no finer than its currency's minor unit: whole
    yen, for instance, where a cent of a euro is fine."""
    places = minor_units(currency)
    quantum = Decimal(1).scaleb(-places)
    for column in model.__table__.columns:
        value = merged.get(column.key)
        if value is None or not is_money(column) or not isinstance(value, Decimal):
            continue
        if value != value.quantize(quantum, rounding=ROUND_DOWN):
            unit = f"whole {currency}" if places == 0 else f"at most {places} decimal places"
            raise DomainError(f"{currency} amounts are in {unit}.", column.key)


def date_in_range(day: date | None, field: str) -> date | None:
    """A date given to an operation outside its values (a transition's day, a series'
    first due date): refused outside `FIRST_DATE`–`LAST_DATE` like a field's date."""
    return fitting(day, Date(), field) if day is not None else None


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


def happened(values: dict[str, Any], record, name: str, what: str, hint: str = "") -> None:
    """Refuse a new date in `name` after today: it dates `what` (e.g. "An engagement"),
    which has happened; today is where the team works (`today`). `hint` says what to do."""
    day, now = values.get(name), today()
    if day is not None and changed(values, record, name) and day > now:
        raise DomainError(
            f"{what} cannot be dated after today ({now.isoformat()}): "
            f"{day.isoformat()} is still to come.{' ' + hint if hint else ''}",
            name,
        )


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


def check_route(merged: dict[str, Any]) -> None:
    """A supply route's modes (`transport_mode`, `replaced_mode`) are known ones and the
    country of the supply it replaced (`replaced_country`) a real one: the same rule for a
    supply link and an anchor commitment."""
    one_of(merged, "transport_mode", TransportMode)
    one_of(merged, "replaced_mode", TransportMode)
    country = merged.get("replaced_country")
    if country is not None and country not in country_names():
        raise DomainError(NOT_A_CHOICE, "replaced_country")


def existing(model: type, record_id: int | None, field: str, message: str):
    """The record an id points at (None for no id); DomainError(`message`) when there is none."""
    if record_id is None:
        return None
    record = db.session.get(model, record_id)
    if record is None:
        raise DomainError(message, field)
    return record
