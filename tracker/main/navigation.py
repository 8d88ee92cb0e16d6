"""The areas of the app, as the navigation bar and the home page list them."""

from dataclasses import dataclass

from flask import current_app


@dataclass(frozen=True)
class Area:
    title: str
    endpoint: str
    table: str | None  # counted on the home page; None for views across areas
    description: str
    # Endpoints that belong to the area, so its tab is highlighted on them too.
    also: tuple[str, ...] = ()

    @property
    def available(self) -> bool:
        return self.endpoint in current_app.view_functions

    def is_current(self, endpoint: str | None) -> bool:
        return endpoint == self.endpoint or endpoint in self.also


AREAS = (
    Area(
        "Dashboard",
        "reports.dashboard",
        None,
        "The portfolio at a glance: incentives, commitment health, what is due.",
        also=("reports.region_status", "reports.partner_status", "monthly.report"),
    ),
    Area(
        "Due",
        "reports.due",
        None,
        "Every dated item across the portfolio, with an aging view of what is overdue.",
    ),
    Area(
        "Regions",
        "partners.regions",
        "regions",
        "Where clusters live: country and sector focus.",
        also=("partners.edit_region",),
    ),
    Area(
        "Partners",
        "partners.index",
        "partners",
        "Agencies, cluster alliances, trade councils, suppliers and their contacts.",
        also=(
            "partners.show",
            "partners.edit_partner",
            "partners.delete_partner",
            "partners.edit_contact",
            "partners.delete_contact",
        ),
    ),
    Area(
        "Engagements",
        "partners.engagements",
        "engagements",
        "Meetings, site visits, MoU signings and the follow-ups they create.",
        also=(
            "partners.engagement",
            "partners.edit_engagement",
            "partners.new_follow_up",
            "partners.follow_ups",
        ),
    ),
    Area(
        "Incentives",
        "incentives.index",
        "incentives",
        "Grants, tax credits and land: deadlines, obligations, compliance, clawback.",
        also=(
            "incentives.show",
            "incentives.edit",
            "incentives.transition",
            "incentives.edit_obligation",
            "incentives.update_actual",
            "incentives.new_reports",
            "incentives.submit_report",
            "incentives.edit_promise",
            "incentives.deadlines",
            "incentives.de_minimis",
        ),
    ),
    Area(
        "Commitments",
        "commitments.index",
        "commitments",
        "Anchor volumes, co-investments, training programmes and milestones.",
        also=(
            "commitments.show",
            "commitments.edit_commitment",
            "commitments.delete_commitment",
            "commitments.edit_contribution",
            "commitments.delete_contribution",
            "commitments.edit_milestone",
            "commitments.delete_milestone",
            "commitments.milestones",
        ),
    ),
    Area(
        "Clusters",
        "clusters.scorecard",
        None,
        "Regions scored on completeness, supplier layers, partners, incentives and offshore "
        "dependencies, with what-ifs.",
        also=("clusters.dependencies", "clusters.map", "clusters.routes"),
    ),
)


def nav_areas() -> list[Area]:
    return [area for area in AREAS if area.available]
