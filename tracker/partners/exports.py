"""What the partner, engagement, follow-up and region lists export: their columns, and
their rows taken from the page's own query (see `tracker.core.tables.export_list`)."""

from sqlalchemy import Select

from tracker.core.listing import Sorting, apply_sorting
from tracker.core.tables import Column, ExportList, entities, label_of, name_of, result_rows
from tracker.core.types import today
from tracker.partners import services
from tracker.partners.models import Engagement, Partner, PartnerStatus


def _partner_rows(source) -> list:
    """Each partner with its relationship health, from the list's rows with aggregates."""
    as_of = today()
    return [
        (row[0], services.relationship_health(row[0], *row[1:5], as_of))
        for row in result_rows(source)
    ]


def _partners_default() -> Select:
    query, sortable = services.partner_rows_query(services.PartnerFilters(), today())
    return apply_sorting(query, sortable, Sorting("name", False), Partner.id)


PARTNERS = ExportList(
    name="partners",
    title="Partners",
    columns=[
        Column("Name", lambda r: r[0].name),
        Column("Kind", lambda r: r[0].kind_label),
        Column("Status", lambda r: label_of(PartnerStatus, r[0].status)),
        Column("Country", lambda r: r[0].country_code),
        Column("Region", lambda r: name_of(r[0].region)),
        Column("Owner", lambda r: name_of(r[0].owner)),
        Column("Website", lambda r: r[0].website),
        Column("Cadence (days)", lambda r: r[1].cadence_days, "integer"),
        Column("Last engagement", lambda r: r[1].last_on, "date"),
        Column("Engagements (last 90 days)", lambda r: r[1].recent, "integer"),
        Column("Open follow-ups", lambda r: r[1].open_follow_ups, "integer"),
        Column("Overdue follow-ups", lambda r: r[1].overdue_follow_ups, "integer"),
        Column("Next planned engagement", lambda r: r[0].next_engagement_on, "date"),
        Column("Health", lambda r: r[1].label),
        Column("Health reason", lambda r: r[1].reason),
    ],
    rows=_partner_rows,
    default_source=_partners_default,
)


def _engagements_default() -> Select:
    query, sortable = services.engagement_list_query(services.EngagementFilters())
    return apply_sorting(query, sortable, Sorting("date", True), Engagement.id.desc())


ENGAGEMENTS = ExportList(
    name="engagements",
    title="Engagements",
    columns=[
        Column("Date", lambda e: e.occurred_on, "date"),
        Column("Kind", lambda e: e.kind_label),
        Column("Subject", lambda e: e.subject),
        Column("Partners", lambda e: "; ".join(p.name for p in e.partners)),
        Column("Our attendees", lambda e: "; ".join(u.name for u in e.attendees)),
        Column(
            "Open follow-ups",
            lambda e: sum(1 for f in e.follow_ups if f.done_on is None),
            "integer",
        ),
        Column("Follow-ups", lambda e: len(e.follow_ups), "integer"),
        Column("Summary", lambda e: e.summary),
        Column("Outcome", lambda e: e.outcome),
    ],
    rows=entities,
    default_source=_engagements_default,
)


def _follow_up_state(follow_up) -> str:
    if follow_up.done_on:
        return "Done"
    return "Overdue" if follow_up.due_on < today() else "Open"


FOLLOW_UPS = ExportList(
    name="followups",
    title="Follow-ups",
    columns=[
        Column("Action", lambda f: f.title),
        Column("Engagement", lambda f: f.engagement.subject),
        Column("Engagement date", lambda f: f.engagement.occurred_on, "date"),
        Column("Partners", lambda f: "; ".join(p.name for p in f.engagement.partners)),
        Column("Owner", lambda f: name_of(f.owner)),
        Column("Due", lambda f: f.due_on, "date"),
        Column("Done on", lambda f: f.done_on, "date"),
        Column("State", _follow_up_state),
    ],
    rows=entities,
    default_source=lambda: services.follow_up_list_query(None, "all", today()),
)

# Rows are (region, number of partners), as `services.regions_with_counts` gives them.
REGIONS = ExportList(
    name="regions",
    title="Regions",
    columns=[
        Column("Region", lambda r: r[0].name),
        Column("Country", lambda r: r[0].country_code),
        Column("Sector focus", lambda r: r[0].sector_focus),
        Column("Partners", lambda r: r[1], "integer"),
    ],
    rows=list,
    default_source=services.regions_with_counts,
)
