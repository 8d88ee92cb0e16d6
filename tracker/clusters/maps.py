"""The cluster map: regions drawn as circles sized by their overall score over the country
outlines bundled with the app (`routes.boundaries`), one panel per continent the portfolio
reaches, drawn as SVG on the server: no map tiles, no script, nothing fetched."""

import math
from dataclasses import dataclass, field
from functools import lru_cache

from tracker.clusters import routes, scores

WIDTH = 560  # of a panel, in SVG units
PADDING_DEGREES = 2.5
MIN_SPAN_DEGREES = 10.0
LABEL_ROOM = 0.35  # of the span, added east of the easternmost region for its label


@dataclass(frozen=True)
class Circle:
    x: float
    y: float
    radius: float
    band: str  # the heat band's class suffix: 0–4, or "na"
    row: scores.RegionScore


@dataclass
class Panel:
    title: str
    width: float
    height: float
    outlines: list[tuple[str, str]] = field(default_factory=list)  # (country name, path)
    circles: list[Circle] = field(default_factory=list)


def band(score: float | None) -> str:
    return "na" if score is None else str(min(int(score // 20), 4))


def radius(score: float | None) -> float:
    """Area grows with the score: 5 units across for 0, 22 for 100."""
    return 5 + 17 * math.sqrt(max(score or 0, 0) / 100)


def _continent(country: str) -> str:
    return routes.boundaries().get(country, {}).get("continent", "Elsewhere")


def panels(rows: list[scores.RegionScore]) -> tuple[list[Panel], list[scores.RegionScore]]:
    """The panels to draw, and the regions not on any (no latitude and longitude)."""
    placed: dict[str, list[scores.RegionScore]] = {}
    unplaced = []
    for row in rows:
        if row.place.latitude is None or row.place.longitude is None:
            unplaced.append(row)
        else:
            placed.setdefault(_continent(row.place.country), []).append(row)
    return [_panel(title, group) for title, group in sorted(placed.items())], unplaced


def _panel(title: str, rows: list[scores.RegionScore]) -> Panel:
    latitudes = [float(r.place.latitude) for r in rows]
    longitudes = [float(r.place.longitude) for r in rows]
    south, north = min(latitudes), max(latitudes)
    west, east = min(longitudes), max(longitudes)
    middle = (south + north) / 2
    squeeze = math.cos(math.radians(middle))  # degrees of longitude shrink away from the equator
    span = max(east - west, (north - south) / squeeze, MIN_SPAN_DEGREES) + 2 * PADDING_DEGREES
    west = (west + east) / 2 - span / 2
    span *= 1 + LABEL_ROOM
    height_degrees = max(north - south + 2 * PADDING_DEGREES, span * squeeze * 0.6)
    north = middle + height_degrees / 2
    scale = WIDTH / (span * squeeze)
    panel = Panel(title, WIDTH, round(height_degrees * scale, 1))

    def at(longitude: float, latitude: float) -> tuple[float, float]:
        return (longitude - west) * squeeze * scale, (north - latitude) * scale

    panel.outlines = _outlines(
        round(west, 4), round(north, 4), round(span, 4), round(height_degrees, 4),
        round(squeeze, 6), round(scale, 6),
    )  # fmt: skip
    for row in sorted(rows, key=lambda r: -(r.overall or 0)):  # small circles drawn last
        x, y = at(float(row.place.longitude), float(row.place.latitude))
        panel.circles.append(
            Circle(round(x, 1), round(y, 1), round(radius(row.overall), 1), band(row.overall), row)
        )
    return panel


@lru_cache(maxsize=64)
def _outlines(
    west: float, north: float, span: float, height: float, squeeze: float, scale: float
) -> list[tuple[str, str]]:
    """The country outlines a panel shows, as SVG paths: drawn once per panel's extent and
    kept (the regions move rarely; the outlines never)."""
    box = (west - 5, north - height - 5, west + span + 5, north + 5)
    outlines = []
    for country in routes.boundaries().values():
        path = []
        for ring in country["rings"]:
            if not _overlaps(ring, box):
                continue
            points = (((lon - west) * squeeze * scale, (north - lat) * scale) for lon, lat in ring)
            path.append("M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in points) + " Z")
        if path:
            outlines.append((country["name"], " ".join(path)))
    return outlines


def _overlaps(ring, box) -> bool:
    west, south, east, north = box
    longitudes = [point[0] for point in ring]
    latitudes = [point[1] for point in ring]
    return not (
        max(longitudes) < west
        or min(longitudes) > east
        or max(latitudes) < south
        or min(latitudes) > north
    )
