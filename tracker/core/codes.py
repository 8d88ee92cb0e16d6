"""ISO 3166 country and ISO 4217 currency codes, for validation and select lists."""

from functools import cache

import pycountry


@cache
def country_names() -> dict[str, str]:
    """Alpha-2 code → common name, sorted by name."""
    names = {
        country.alpha_2: getattr(country, "common_name", country.name)
        for country in pycountry.countries
    }
    return dict(sorted(names.items(), key=lambda item: item[1]))


@cache
def currency_codes() -> frozenset[str]:
    return frozenset(currency.alpha_3 for currency in pycountry.currencies)


def country_name(code: str | None) -> str:
    return country_names().get((code or "").upper(), code or "")


def is_country(code: str | None) -> bool:
    return (code or "").upper() in country_names()


def is_currency(code: str | None) -> bool:
    return (code or "").upper() in currency_codes()
