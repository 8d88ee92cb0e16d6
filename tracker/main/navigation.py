"""The areas of the app, as the navigation bar and the home page list them."""

from dataclasses import dataclass

from flask import current_app


@dataclass(frozen=True)
class Area:
    title: str
    endpoint: str
    blueprint: str
    table: str | None
    description: str

    @property
    def available(self) -> bool:
        return self.endpoint in current_app.view_functions


AREAS = (
    Area(
        "Regions",
        "partners.regions",
        "partners",
        "regions",
        "Where clusters live: country, sector focus, maturity.",
    ),
    Area(
        "Partners",
        "partners.index",
        "partners",
        "partners",
        "Agencies, cluster alliances, trade councils, suppliers and their contacts.",
    ),
    Area(
        "Engagements",
        "partners.engagements",
        "partners",
        "engagements",
        "Meetings, site visits, MoU signings and the follow-ups they create.",
    ),
    Area(
        "Incentives",
        "incentives.index",
        "incentives",
        "incentives",
        "Grants, tax credits and land: deadlines, obligations, compliance, clawback.",
    ),
    Area(
        "Commitments",
        "commitments.index",
        "commitments",
        "commitments",
        "Anchor volumes, co-investments, training programmes and milestones.",
    ),
)


def nav_areas() -> list[Area]:
    return [area for area in AREAS if area.available]
