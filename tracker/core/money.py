"""Money across currencies: conversion to the reporting currency with the rate in force.

A sum across currencies is never added raw: each amount is converted with the
latest `FxRate` effective on or before the date, and an amount without a rate
is reported as missing, never counted as 1:1.

Computations keep full precision: a conversion is not rounded, and a sum of conversions
is the exact sum. Rounding happens once, where a figure is shown (`format_amount`,
`money`), half-up, to the places its currency has (`core.codes.minor_units`).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from flask import current_app
from sqlalchemy import select

from tracker.core.codes import minor_units
from tracker.core.models import FxRate
from tracker.extensions import db


def reporting_currency() -> str:
    return current_app.config["REPORTING_CURRENCY"]


def rounded(amount: Decimal, places: int = 2) -> Decimal:
    """`amount` rounded half-up to `places` decimals: the one rounding a figure gets."""
    return Decimal(amount).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def in_minor_units(amount: Decimal, currency: str | None) -> Decimal:
    """`amount` rounded half-up to its currency's minor unit (JPY 0, EUR 2, KWD 3)."""
    return rounded(amount, minor_units(currency))


class RateBook:
    """All rates to one reporting currency, loaded in one query, looked up by date."""

    def __init__(self, reporting: str | None = None):
        self.reporting = reporting or reporting_currency()
        self._rates: dict[str, list[tuple[date, Decimal]]] = defaultdict(list)
        query = (
            select(FxRate.currency, FxRate.effective_on, FxRate.rate)
            .where(FxRate.reporting_currency == self.reporting)
            .order_by(FxRate.currency, FxRate.effective_on)
        )
        for currency, effective_on, rate in db.session.execute(query):
            self._rates[currency].append((effective_on, rate))

    def rate(self, currency: str, on: date) -> Decimal | None:
        """Units of the reporting currency per unit of `currency` on `on`, or None."""
        if currency == self.reporting:
            return Decimal(1)
        in_force = None
        for effective_on, rate in self._rates.get(currency, ()):
            if effective_on > on:
                break
            in_force = rate
        return in_force

    def convert(self, amount: Decimal | None, currency: str, on: date) -> Decimal | None:
        """`amount` in the reporting currency, unrounded, or None when no rate is in force."""
        if amount is None:
            return None
        rate = self.rate(currency, on)
        return None if rate is None else amount * rate

    def convert_between(
        self, amount: Decimal, currency: str, target: str, on: date
    ) -> Decimal | None:
        """Convert between any two currencies through the reporting currency, unrounded."""
        if currency == target:
            return amount
        to_reporting = self.rate(currency, on)
        target_rate = self.rate(target, on)
        if to_reporting is None or target_rate is None:
            return None
        return amount * to_reporting / target_rate


@dataclass
class Total:
    """A sum in the reporting currency, and what could not be converted."""

    currency: str
    amount: Decimal = Decimal(0)
    count: int = 0
    missing: dict[str, Decimal] = field(default_factory=dict)  # currency → unconverted sum

    def add(self, book: RateBook, amount: Decimal | None, currency: str, on: date) -> None:
        if amount is None:
            return
        converted = book.convert(amount, currency, on)
        if converted is None:
            self.missing[currency] = self.missing.get(currency, Decimal(0)) + amount
        else:
            self.amount += converted
            self.count += 1

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def warning(self) -> str | None:
        if self.complete:
            return None
        parts = ", ".join(
            f"{currency} {format_amount(sum_)}" for currency, sum_ in sorted(self.missing.items())
        )
        return (
            f"No {self.currency} rate in force for {', '.join(sorted(self.missing))}: "
            f"{parts} left out of this total. An admin can add the rate on the FX rates page."
        )


def format_amount(amount: Decimal | None, places: int = 0) -> str:
    """`1234567.5` → `1,234,568` (or with `places` decimals, rounded half-up); None → an
    em dash."""
    if amount is None:
        return "—"
    return f"{rounded(Decimal(amount), places):,.{places}f}"


def money(amount: Decimal | None, currency: str | None) -> str:
    """`EUR 1,250,000`, with the currency's minor units only when there are any
    (`EUR 1,250,000.50`, `KWD 12.125`, never decimals of yen); None → an em dash."""
    if amount is None:
        return "—"
    exact = in_minor_units(amount, currency)
    places = 0 if exact == exact.to_integral_value() else minor_units(currency)
    return f"{currency} {format_amount(exact, places)}"


def plain_number(value: Decimal | None) -> str:
    """A stored number as typed, without trailing zeros or an exponent: `40.0000` → `40`,
    `0.0062000000` → `0.0062`, `1250000.5` → `1,250,000.5`; None → an em dash."""
    if value is None:
        return "—"
    return f"{Decimal(value).normalize():,f}"
