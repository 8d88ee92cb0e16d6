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


# Withdrawn ISO 4217 currencies (its list three) that records still carry: awards, rates
# and agreements made before a country took the euro (Bulgaria's lev until 2026, Croatia's
# kuna until 2023…). pycountry lists only the current ones. Each had two decimals.
HISTORIC_CURRENCIES = frozenset({
    "ATS", "BGN", "CYP", "DEM", "EEK", "FIM", "FRF", "HRK", "IEP", "LTL", "LVL", "MTL",
    "NLG", "SIT", "SKK",
})  # fmt: skip


@cache
def currency_codes() -> frozenset[str]:
    """Every ISO 4217 code a record may be in: the current ones and `HISTORIC_CURRENCIES`."""
    return frozenset(currency.alpha_3 for currency in pycountry.currencies) | HISTORIC_CURRENCIES


def country_name(code: str | None) -> str:
    return country_names().get((code or "").upper(), code or "")


def is_country(code: str | None) -> bool:
    return (code or "").upper() in country_names()


def is_currency(code: str | None) -> bool:
    return (code or "").upper() in currency_codes()


# ISO 4217 currencies whose minor unit is not the hundredth (every other has two decimals).
MINOR_UNITS = {
    code: places
    for places, codes in (
        (0, "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"),
        (3, "BHD IQD JOD KWD LYD OMR TND"),
        (4, "CLF UYW"),
    )
    for code in codes.split()
}


def minor_units(code: str | None) -> int:
    """How many decimals an amount in the currency can have (JPY 0, EUR 2, KWD 3)."""
    return MINOR_UNITS.get((code or "").upper(), 2)


# The Member States of the EU and the other states of the EEA: the granting states whose aid
# EU state-aid rules (de minimis among them) govern.
EU_MEMBER_STATES = frozenset({
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
    "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
})  # fmt: skip
EEA_STATES = EU_MEMBER_STATES | {"IS", "LI", "NO"}


def in_eea(code: str | None) -> bool:
    """Whether `code` is an EU Member State or another EEA state."""
    return (code or "").upper() in EEA_STATES
