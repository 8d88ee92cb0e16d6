"""Column types and value helpers shared by the domain models."""

import logging
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from functools import cache
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app, has_app_context
from sqlalchemy import BigInteger, CheckConstraint, Numeric, String, TypeDecorator
from sqlalchemy.orm import mapped_column

log = logging.getLogger(__name__)


class FiniteNumeric(TypeDecorator):
    """A NUMERIC(precision, scale) column that holds only what it can: a finite number
    that fits.

    Writing anything else is a programming error (the operations refuse it first, with a
    message, in `core.values.plain`). Reading a value that is not such a number (stored
    before the rule, or by hand: SQLite keeps infinity or 1e30 in any column) gives None,
    shown as unknown, and a warning in the log: one bad value cannot take a page down, and
    its record's edit page still opens so it can be put right.
    """

    impl = Numeric
    cache_ok = True

    def fits(self, value: Decimal) -> bool:
        precision, scale = self.impl_instance.precision, self.impl_instance.scale
        return value.is_finite() and (
            precision is None or value.adjusted() < precision - (scale or 0)
        )

    def process_bind_param(self, value, dialect):
        if value is not None and not self.fits(Decimal(str(value))):
            raise ValueError(f"{value!r} does not fit {self.impl_instance!r}")
        return value

    def result_processor(self, dialect, coltype):
        inner = self.impl_instance.dialect_impl(dialect).result_processor(dialect, coltype)

        def process(value):
            if value is None:
                return None
            try:
                number = inner(value) if inner else value
                number = number if isinstance(number, Decimal) else Decimal(str(number))
            except (TypeError, ValueError, ArithmeticError, InvalidOperation):
                number = None
            if number is None or not self.fits(number):
                log.warning("unreadable number %r in a %r column: shown as unknown", value, self)
                return None
            return number

        return process


def storage_type(kind):
    """The type a column keeps in the database (a `TypeDecorator`'s underlying type)."""
    return kind.impl_instance if isinstance(kind, TypeDecorator) else kind


# Money: 19 digits, 3 after the point: every ISO 4217 minor unit up to the fils of a dinar
# (`core.codes.minor_units`), and amounts up to (not including) `MONEY_LIMIT`.
MONEY_DIGITS = (19, 3)
MONEY_LIMIT = Decimal(9 * 10**15)


class ExactMoney(FiniteNumeric):
    """An amount of money, kept exactly on every database.

    PostgreSQL keeps it as NUMERIC(19, 3). SQLite has no exact decimal type (its NUMERIC
    is a float: 10^15 + 0.37 comes back as …0.38, and sums drift), so there the column is
    an INTEGER of thousandths: a 64-bit integer holds every amount below `MONEY_LIMIT`,
    and SQL sums of integers stay exact. Values read back are `Decimal`s at three places
    on both. What fits is the same on both: at most three decimals, below `MONEY_LIMIT`.
    """

    cache_ok = True
    SCALE = MONEY_DIGITS[1]

    def __init__(self):
        super().__init__(*MONEY_DIGITS)

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(self.impl_instance)

    def fits(self, value: Decimal) -> bool:
        return (
            value.is_finite()
            and abs(value) < MONEY_LIMIT
            and value == value.quantize(Decimal(1).scaleb(-self.SCALE))
        )

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        number = Decimal(str(value)) if not isinstance(value, Decimal) else value
        if not self.fits(number):
            raise ValueError(f"{value!r} is not an amount of money ExactMoney keeps")
        if dialect.name == "sqlite":
            return int(number.scaleb(self.SCALE))
        return number

    def result_processor(self, dialect, coltype):
        sqlite = dialect.name == "sqlite"
        inner = (
            None
            if sqlite
            else self.impl_instance.dialect_impl(dialect).result_processor(dialect, coltype)
        )

        def process(value):
            if value is None:
                return None
            try:
                if sqlite:  # thousandths; a float or text stored by hand is read as written
                    number = Decimal(value if isinstance(value, int) else str(value))
                    number = number.scaleb(-self.SCALE)
                else:
                    number = inner(value) if inner else value
                    number = number if isinstance(number, Decimal) else Decimal(str(number))
                number = shown_places(number)
            except (TypeError, ValueError, ArithmeticError, InvalidOperation):
                number = None
            if number is None or not self.fits(number):
                log.warning("unreadable amount %r in a money column: shown as unknown", value)
                return None
            return number

        return process


def shown_places(amount: Decimal) -> Decimal:
    """A stored amount at two decimals, or three where the third is used (a dinar's fils):
    the places amounts had before money kept three (exports and history read the same)."""
    cents = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return cents if cents == amount else amount.quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)


Money = Annotated[Decimal, mapped_column(ExactMoney())]
# A measured quantity (jobs, hours, tonnes, percent): fractional values allowed.
Quantity = Annotated[Decimal, mapped_column(FiniteNumeric(18, 4))]
CurrencyCode = Annotated[str, mapped_column(String(3))]


def utcnow() -> datetime:
    """The current time in UTC, timezone-aware; used as a column default."""
    return datetime.now(UTC)


@cache
def time_zone(name: str) -> ZoneInfo:
    """The IANA time zone `name` (`Europe/Budapest`); ValueError, saying so, for any other."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(
            f"{name!r} is not a time zone name: use an IANA name such as Europe/Budapest or UTC."
        ) from error


def local_zone() -> ZoneInfo:
    """Where the team works (`TRACKER_TIMEZONE`, UTC by default): its calendar says which
    day it is. Outside the application (no app context), UTC."""
    name = current_app.config.get("TRACKER_TIMEZONE", "UTC") if has_app_context() else "UTC"
    return time_zone(name or "UTC")


def today() -> date:
    """Today's date where the team works (`local_zone`): the one place the app reads the
    calendar. At 00:35 in Budapest yesterday's deadline has passed, whatever UTC says."""
    return datetime.now(local_zone()).date()


def in_utc(moment: datetime) -> datetime:
    """A stored moment in UTC, timezone-aware: the app stores UTC, and SQLite keeps no
    offset, so a naive moment is UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def day_of(moment: datetime) -> date:
    """The local date of a stored moment (`in_utc`)."""
    return in_utc(moment).astimezone(local_zone()).date()


def currency_check(column: str) -> CheckConstraint:
    """An ISO 4217 shape check: three upper-case letters."""
    return CheckConstraint(
        f"length({column}) = 3 AND upper({column}) = {column}", name=f"{column}_iso4217"
    )


def non_negative(column: str) -> CheckConstraint:
    return CheckConstraint(f"{column} IS NULL OR {column} >= 0", name=f"{column}_non_negative")


def one_of(column: str, values) -> CheckConstraint:
    """Keep an enumerated string column to its known values in the database too."""
    allowed = ", ".join(f"'{value}'" for value in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=f"{column}_allowed")


class Choice(StrEnum):
    """A closed set of values stored as short strings, with readable labels."""

    @property
    def label(self) -> str:
        return LABELS.get(self.value, self.value.replace("_", " ").capitalize())

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(member.value, member.label) for member in cls]

    @classmethod
    def values(cls) -> list[str]:
        return [member.value for member in cls]


class TransportMode(Choice):
    """How goods travel on a supply route (the emission estimates' modes)."""

    ROAD = "road"
    RAIL = "rail"
    SEA = "sea"
    AIR = "air"


# Labels the generic "snake_case → Sentence case" rule would get wrong.
LABELS = {
    "tier1_supplier": "Tier-1 supplier",
    "tier2_supplier": "Tier-2 supplier",
    "education_provider": "Education / training provider",
    "testing_certification": "Testing / certification",
    "mou_signing": "MoU signing",
    "co_location": "Co-location",
    "co_investment": "Co-investment",
    "capex": "Capital investment",
    "in_compliance": "In compliance",
}


def is_money(column) -> bool:
    """Whether a mapped column holds money (the `Money` type), not a rate or a percentage."""
    return isinstance(column.type, ExactMoney)
