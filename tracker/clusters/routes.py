"""Shorter routes, measured: the logistics emissions of a supply route and the saving
against the offshore route it replaced.

A route's emissions are its great-circle distance × the mode's detour factor (how much
longer the road, rail line or sea lane runs than the straight line) × the tonnes carried
a year × the mode's emission factor (kg CO2e per tonne-km). The factors are configuration
(`EMISSION_FACTORS`, with the source they come from in `EMISSION_FACTORS_SOURCE`).
Nothing here reads the database.
"""

import json
import math
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

EARTH_RADIUS_KM = 6371.0088  # the mean radius (IUGG)
COUNTRIES_FILE = Path(__file__).parent / "data" / "countries-110m.json"

Point = tuple[float, float]  # (latitude, longitude) in decimal degrees


def great_circle_km(a: Point, b: Point) -> float:
    """The distance between two points over the Earth's surface (haversine formula)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


@dataclass(frozen=True)
class Factor:
    kg_per_tonne_km: float
    detour: float


def factors(config: dict) -> dict[str, Factor]:
    return {mode: Factor(*values) for mode, values in config.items()}


def tonnes_co2e(distance_km: float, tonnes: Decimal | float, factor: Factor) -> float:
    """A year's emissions of a route, in tonnes CO2e."""
    return distance_km * factor.detour * float(tonnes) * factor.kg_per_tonne_km / 1000


@cache
def boundaries() -> dict:
    """The bundled country outlines (Natural Earth, 1:110m): ISO code → name, continent and
    rings of (longitude, latitude)."""
    return json.loads(COUNTRIES_FILE.read_text())["countries"]


@cache
def country_point(code: str) -> Point | None:
    """A country's centre for a route that names only the country (the middle of its
    largest outline's extent), or None when the file does not have it."""
    country = boundaries().get(code)
    if not country or not country["rings"]:
        return None
    ring = max(country["rings"], key=len)
    longitudes = [point[0] for point in ring]
    latitudes = [point[1] for point in ring]
    return (
        (min(latitudes) + max(latitudes)) / 2,
        (min(longitudes) + max(longitudes)) / 2,
    )


@dataclass(frozen=True)
class Leg:
    """One way the goods travel: from, to, how, how much."""

    origin: Point | None
    destination: Point | None
    mode: str | None
    tonnes: Decimal | None

    def missing(self) -> str | None:
        """What keeps this leg from being estimated, in words; None when nothing does."""
        if self.tonnes is None:
            return "no tonnage"
        if self.mode is None:
            return "no transport mode"
        if self.origin is None:
            return "the origin is not placed on the map"
        if self.destination is None:
            return "the destination is not placed on the map"
        return None

    @property
    def distance_km(self) -> float | None:
        if self.origin is None or self.destination is None:
            return None
        return great_circle_km(self.origin, self.destination)

    def emissions(self, table: dict[str, Factor]) -> float | None:
        if self.missing() is not None or self.mode not in table:
            return None
        return tonnes_co2e(self.distance_km, self.tonnes, table[self.mode])


@dataclass(frozen=True)
class Estimate:
    """A route now, the route it replaced (if any), and what the change saves a year."""

    now: Leg
    before: Leg | None
    table: dict[str, Factor]

    @property
    def emissions(self) -> float | None:
        return self.now.emissions(self.table)

    @property
    def replaced_emissions(self) -> float | None:
        return self.before.emissions(self.table) if self.before is not None else None

    @property
    def saving(self) -> float | None:
        if self.emissions is None or self.replaced_emissions is None:
            return None
        return self.replaced_emissions - self.emissions
