"""What the partner, engagement, follow-up and region lists export: their columns, and
their rows taken from the page's own query (see `tracker.core.tables.export_list`)."""

from collections import defaultdict
from datetime import date
from typing import NamedTuple

from sqlalchemy import Select, select

from tracker.auth.models import User
from tracker.core.listing import Sorting, apply_sorting
from tracker.core.tables import Column, ExportList, entities, label_of, name_of, result_rows
from tracker.core.types import today
from tracker.extensions import db
from tracker.partners import services
from tracker.partners.models import (
    Engagement,
    FollowUp,
    Partner,
    PartnerStatus,
    engagement_partners,
)


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
        Column("Latitude", lambda r: r[0].latitude, "number"),
        Column("Longitude", lambda r: r[0].longitude, "number"),
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


class FollowUpRow(NamedTuple):
    """One follow-up as its export reads it: plain values, no records."""

    title: str
    engagement: str
    engagement_on: date
    partners: str
    owner: str | None
    due_on: date
    done_on: date | None


def _follow_up_rows(source: Select) -> list[FollowUpRow]:
    """The follow-ups the list's query selects, in its order, as plain rows: the follow-ups
    with their engagement and owner in one query, the engagements' partners in a second.

    The query's own filters and order are kept; only what it loads changes (at 100x,
    50,000 follow-ups as 2 queries and no records instead of 52 queries and 78,000 records).
    """
    listed = (
        source.with_only_columns(
            FollowUp.engagement_id,
            FollowUp.title,
            Engagement.subject,
            Engagement.occurred_on,
            User.name,
            FollowUp.due_on,
            FollowUp.done_on,
        )
        .select_from(FollowUp)
        .join(FollowUp.engagement)
        .outerjoin(FollowUp.owner)
    )
    engagements = source.with_only_columns(FollowUp.engagement_id).order_by(None)
    partners: dict[int, list[str]] = defaultdict(list)
    for engagement_id, name in db.session.execute(
        select(engagement_partners.c.engagement_id, Partner.name)
        .join(Partner, Partner.id == engagement_partners.c.partner_id)
        .where(engagement_partners.c.engagement_id.in_(engagements))
        .order_by(Partner.name, Partner.id)  # as `Engagement.partners` orders them
    ):
        partners[engagement_id].append(name)
    return [
        FollowUpRow(title, subject, occurred_on, "; ".join(partners[engagement_id]), *rest)
        for engagement_id, title, subject, occurred_on, *rest in db.session.execute(listed)
    ]


FOLLOW_UPS = ExportList(
    name="followups",
    title="Follow-ups",
    columns=[
        Column("Action", lambda f: f.title),
        Column("Engagement", lambda f: f.engagement),
        Column("Engagement date", lambda f: f.engagement_on, "date"),
        Column("Partners", lambda f: f.partners),
        Column("Owner", lambda f: f.owner),
        Column("Due", lambda f: f.due_on, "date"),
        Column("Done on", lambda f: f.done_on, "date"),
        Column("State", _follow_up_state),
    ],
    rows=_follow_up_rows,
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
        Column("Sector", lambda r: name_of(r[0].sector)),
        Column("Latitude", lambda r: r[0].latitude, "number"),
        Column("Longitude", lambda r: r[0].longitude, "number"),
        Column("Partners", lambda r: r[1], "integer"),
    ],
    rows=list,
    default_source=services.regions_with_counts,
)
