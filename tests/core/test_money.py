"""Conversion to the reporting currency: the rate in force, and never 1:1 by default."""

from datetime import date
from decimal import Decimal

from tests.factories import make_fx_rate
from tracker.core.money import RateBook, Total


def test_rate_in_force_is_the_latest_effective_on_or_before_the_date():
    make_fx_rate("HUF", "0.0025", date(2026, 1, 1))
    make_fx_rate("HUF", "0.0024", date(2026, 7, 1))
    book = RateBook("EUR")
    assert book.rate("HUF", date(2025, 12, 31)) is None
    assert book.rate("HUF", date(2026, 1, 1)) == Decimal("0.0025")
    assert book.rate("HUF", date(2026, 6, 30)) == Decimal("0.0025")
    assert book.rate("HUF", date(2026, 7, 1)) == Decimal("0.0024")
    assert book.convert(Decimal("1000000"), "HUF", date(2026, 8, 1)) == Decimal("2400.00")


def test_reporting_currency_converts_at_one_and_missing_rate_gives_none():
    book = RateBook("EUR")
    assert book.convert(Decimal("12.34"), "EUR", date(2026, 1, 1)) == Decimal("12.34")
    assert book.convert(Decimal("100"), "MXN", date(2026, 1, 1)) is None


def test_convert_between_two_foreign_currencies_goes_through_the_reporting_currency():
    make_fx_rate("USD", "0.90", date(2026, 1, 1))
    make_fx_rate("MXN", "0.045", date(2026, 1, 1))
    book = RateBook("EUR")
    # 1,000 USD = 900 EUR = 20,000 MXN
    assert book.convert_between(Decimal("1000"), "USD", "MXN", date(2026, 2, 1)) == Decimal(
        "20000.00"
    )
    assert book.convert_between(Decimal("5"), "PLN", "EUR", date(2026, 2, 1)) is None


def test_total_adds_converted_amounts_and_reports_what_it_left_out():
    make_fx_rate("HUF", "0.0025", date(2026, 1, 1))
    book = RateBook("EUR")
    total = Total("EUR")
    on = date(2026, 3, 1)
    total.add(book, Decimal("1000"), "EUR", on)
    total.add(book, Decimal("400000"), "HUF", on)
    total.add(book, Decimal("250"), "CZK", on)
    total.add(book, Decimal("50"), "CZK", on)
    total.add(book, None, "PLN", on)
    assert total.amount == Decimal("2000.00")
    assert total.missing == {"CZK": Decimal("300")}
    assert not total.complete
    assert "No EUR rate in force for CZK: CZK 300 left out of this total" in total.warning
