"""What each list page exports: its columns, and its rows taken from the page's own query.

A list view hands over its filtered, sorted query (or the rows it already computed)
with `export_list(name, source)`; every row of it is exported, in the page's order,
with the eager loads the page uses, so an export runs a fixed number of queries. The
`flask export` command uses the same definitions with each list's default filters.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import request
from sqlalchemy import Select, select

from tracker.auth.models import User
from tracker.commitments import services as commitment_services
from tracker.commitments.models import CommitmentStatus, MilestoneStatus
from tracker.core.listing import Sorting, apply_sorting
from tracker.core.types import today
from tracker.extensions import db
from tracker.incentives import services as incentive_services
from tracker.incentives.models import ClawbackRule, Incentive, IncentiveKind, IncentiveStatus
from tracker.monitoring import services as monitoring_services
from tracker.monitoring.models import ItemKind, JobRun
from tracker.partners import services as partner_services
from tracker.partners.models import Engagement, Partner, PartnerStatus
from tracker.reports import services as report_services
from tracker.reports.exports import Column, as_date, export_bytes, export_response, yes_no


@dataclass(frozen=True)
class ExportList:
    """One exportable list: file stem, sheet title, columns, and how its rows are made."""

    name: str
    title: str
    columns: list[Column]
    # From the page's query (or ready rows) to the row objects the columns read.
    rows: Callable[[Any], list]
    # The unfiltered source in the page's default order, for the command line.
    default_source: Callable[[], Any]


def _entities(source) -> list:
    if isinstance(source, Select):
        return list(db.session.scalars(source).unique())
    return list(source)


def _result_rows(source) -> list:
    if isinstance(source, Select):
        return list(db.session.execute(source).unique().all())
    return list(source)


def _name(record) -> str | None:
    return record.name if record is not None else None


def _label(choice_class, value: str | None) -> str | None:
    if not value:
        return None
    try:
        return choice_class(value).label
    except ValueError:
        return value


# --- Partners, engagements, follow-ups, regions --------------------------------------


def _partner_rows(source) -> list:
    as_of = today()
    return [
        (row[0], partner_services.relationship_health(row[0], *row[1:5], as_of))
        for row in _result_rows(source)
    ]


def _partners_default() -> Select:
    query, sortable = partner_services.partner_rows_query(
        partner_services.PartnerFilters(), today()
    )
    return apply_sorting(query, sortable, Sorting("name", False), Partner.id)


PARTNER_COLUMNS = [
    Column("Name", lambda r: r[0].name),
    Column("Kind", lambda r: r[0].kind_label),
    Column("Status", lambda r: _label(PartnerStatus, r[0].status)),
    Column("Country", lambda r: r[0].country_code),
    Column("Region", lambda r: _name(r[0].region)),
    Column("Owner", lambda r: _name(r[0].owner)),
    Column("Website", lambda r: r[0].website),
    Column("Cadence (days)", lambda r: r[1].cadence_days, "integer"),
    Column("Last engagement", lambda r: r[1].last_on, "date"),
    Column("Engagements (last 90 days)", lambda r: r[1].recent, "integer"),
    Column("Open follow-ups", lambda r: r[1].open_follow_ups, "integer"),
    Column("Overdue follow-ups", lambda r: r[1].overdue_follow_ups, "integer"),
    Column("Next planned engagement", lambda r: r[0].next_engagement_on, "date"),
    Column("Health", lambda r: r[1].label),
    Column("Health reason", lambda r: r[1].reason),
]


def _engagements_default() -> Select:
    query, sortable = partner_services.engagement_list_query(partner_services.EngagementFilters())
    return apply_sorting(query, sortable, Sorting("date", True), Engagement.id.desc())


ENGAGEMENT_COLUMNS = [
    Column("Date", lambda e: e.occurred_on, "date"),
    Column("Kind", lambda e: e.kind_label),
    Column("Subject", lambda e: e.subject),
    Column("Partners", lambda e: "; ".join(p.name for p in e.partners)),
    Column("Our attendees", lambda e: "; ".join(u.name for u in e.attendees)),
    Column(
        "Open follow-ups", lambda e: sum(1 for f in e.follow_ups if f.done_on is None), "integer"
    ),
    Column("Follow-ups", lambda e: len(e.follow_ups), "integer"),
    Column("Summary", lambda e: e.summary),
    Column("Outcome", lambda e: e.outcome),
]


def _follow_up_state(follow_up) -> str:
    if follow_up.done_on:
        return "Done"
    return "Overdue" if follow_up.due_on < today() else "Open"


FOLLOW_UP_COLUMNS = [
    Column("Action", lambda f: f.title),
    Column("Engagement", lambda f: f.engagement.subject),
    Column("Engagement date", lambda f: f.engagement.occurred_on, "date"),
    Column("Partners", lambda f: "; ".join(p.name for p in f.engagement.partners)),
    Column("Owner", lambda f: _name(f.owner)),
    Column("Due", lambda f: f.due_on, "date"),
    Column("Done on", lambda f: f.done_on, "date"),
    Column("State", _follow_up_state),
]

REGION_COLUMNS = [
    Column("Region", lambda r: r[0].name),
    Column("Country", lambda r: r[0].country_code),
    Column("Sector focus", lambda r: r[0].sector_focus),
    Column("Partners", lambda r: r[1], "integer"),
]


# --- Incentives ------------------------------------------------------------------------


def _incentive_rows(source) -> list:
    as_of = today()
    return [
        (incentive, incentive_services.clawback_exposure(incentive, as_of))
        for incentive in _entities(source)
    ]


def _incentives_default() -> Select:
    query, sortable = incentive_services.incentive_list_query(incentive_services.IncentiveFilters())
    return apply_sorting(query, sortable, Sorting("deadline", False), Incentive.id)


def _clawback_rule(rule: str | None) -> str | None:
    # "None" would read back as an empty cell in pandas and some spreadsheets.
    return "No clawback" if rule == ClawbackRule.NONE else _label(ClawbackRule, rule)


INCENTIVE_COLUMNS = [
    Column("Title", lambda r: r[0].title),
    Column("Kind", lambda r: _label(IncentiveKind, r[0].kind)),
    Column("Status", lambda r: _label(IncentiveStatus, r[0].status)),
    Column("Granted by", lambda r: r[0].granting_partner.name),
    Column("Region", lambda r: _name(r[0].region)),
    Column("Currency", lambda r: r[0].currency),
    Column("Offered", lambda r: r[0].amount_offered, "money"),
    Column("Awarded", lambda r: r[0].amount_awarded, "money"),
    Column("Received", lambda r: r[0].amount_received, "money"),
    Column("Clawback exposure", lambda r: r[1].amount or None, "money"),
    Column("Application deadline", lambda r: r[0].application_deadline, "date"),
    Column("Decision expected", lambda r: r[0].decision_expected_on, "date"),
    Column("Awarded on", lambda r: r[0].awarded_on, "date"),
    Column("Term start", lambda r: r[0].term_start_on, "date"),
    Column("Term end", lambda r: r[0].term_end_on, "date"),
    Column("Clawback rule", lambda r: _clawback_rule(r[0].clawback_rule)),
    Column("State aid", lambda r: yes_no(r[0].is_state_aid)),
    Column("De minimis", lambda r: yes_no(r[0].is_de_minimis)),
    Column("Aid granted on", lambda r: r[0].aid_granted_on, "date"),
]

DEADLINE_COLUMNS = [
    Column("Date", lambda d: d.on, "date"),
    Column("Days left", lambda d: d.days_left(today()), "integer"),
    Column("What", lambda d: d.label),
    Column("Incentive", lambda d: d.incentive.title),
    Column("Granted by", lambda d: d.incentive.granting_partner.name),
    Column("Detail", lambda d: d.detail),
]


DUE_COLUMNS = [
    Column("Due", lambda r: r.item.due_on, "date"),
    Column("Days left", lambda r: r.days_left, "integer"),
    Column("What", lambda r: r.kind_label),
    Column("Item", lambda r: r.item.title),
    Column("Owner", lambda r: r.owner.name if r.owner else None),
    Column("Overdue band", lambda r: r.band),
]


# --- Commitments and milestones -----------------------------------------------------------


def _commitment_rows(source) -> list:
    as_of = today()
    return [
        (row[0], row[1], commitment_services.health_for(row[0], as_of, row[0].milestones))
        for row in _result_rows(source)
    ]


def _commitments_default() -> Select:
    query, sortable = commitment_services.commitment_list_query(
        commitment_services.CommitmentFilters()
    )
    return apply_sorting(
        query, sortable, Sorting("title", False), commitment_services.AnyCommitment.id
    )


def _progress_pct(health) -> float | None:
    fraction = health.progress.fraction
    return None if fraction is None else round(float(fraction) * 100, 1)


COMMITMENT_COLUMNS = [
    Column("Title", lambda r: r[0].title),
    Column("Kind", lambda r: r[0].kind_label),
    Column("Status", lambda r: _label(CommitmentStatus, r[0].status)),
    Column("Counterparty", lambda r: r[0].counterparty.name),
    Column("Region", lambda r: _name(r[0].region)),
    Column("Owner", lambda r: r[0].owner.name),
    Column("Currency", lambda r: r[0].currency),
    Column("Value", lambda r: r[0].value, "money"),
    Column("Start", lambda r: r[0].start_on, "date"),
    Column("End", lambda r: r[0].end_on, "date"),
    Column("Next milestone", lambda r: r[1], "date"),
    Column("Progress (%)", lambda r: _progress_pct(r[2]), "number"),
    Column("Health", lambda r: r[2].label),
    Column("Health reason", lambda r: r[2].reason),
]


def _milestones_default() -> Select:
    filters = commitment_services.MilestoneFilters(status="all")
    return commitment_services.milestone_list_query(filters, today())


MILESTONE_COLUMNS = [
    Column("Milestone", lambda m: m.title),
    Column("Commitment", lambda m: m.commitment.title),
    Column("Commitment kind", lambda m: m.commitment.kind_label),
    Column("Counterparty", lambda m: m.commitment.counterparty.name),
    Column("Owner", lambda m: m.commitment.owner.name),
    Column("Due", lambda m: m.due_on, "date"),
    Column("Status", lambda m: _label(MilestoneStatus, m.status)),
    Column("Completed on", lambda m: m.completed_on, "date"),
    Column("Overdue", lambda m: yes_no(commitment_services.is_overdue(m, today()))),
    Column("Evidence", lambda m: m.evidence_note),
]


# --- Alerts, users, jobs ---------------------------------------------------------------


def _alert_state(alert) -> str:
    if alert.resolved_at:
        return "Resolved"
    if alert.acknowledged_at:
        return "Acknowledged"
    return "Overdue" if alert.threshold_days < 0 else "Upcoming"


ALERT_COLUMNS = [
    Column("Alert", lambda a: a.message),
    Column("Item", lambda a: a.title),
    Column("Kind of item", lambda a: _label(ItemKind, a.kind)),
    Column("Due", lambda a: a.due_on, "date"),
    Column("Days before due (negative: after)", lambda a: a.threshold_days, "integer"),
    Column("For", lambda a: "; ".join(sorted(r.user.name for r in a.recipients))),
    Column("State", _alert_state),
    Column("Raised (UTC)", lambda a: a.raised_at, "datetime"),
    Column("Acknowledged (UTC)", lambda a: a.acknowledged_at, "datetime"),
    Column("Resolved (UTC)", lambda a: a.resolved_at, "datetime"),
]

USER_COLUMNS = [
    Column("Name", lambda u: u.name),
    Column("E-mail", lambda u: u.email),
    Column("Role", lambda u: u.role_label),
    Column("Active", lambda u: yes_no(u.active)),
    Column("Last sign-in (UTC)", lambda u: u.last_login_at, "datetime"),
    Column("Created", lambda u: as_date(u.created_at), "date"),
]

JOB_COLUMNS = [
    Column("Job", lambda j: j.job),
    Column("Started (UTC)", lambda j: j.started_at, "datetime"),
    Column("Finished (UTC)", lambda j: j.finished_at, "datetime"),
    Column("Outcome", lambda j: j.outcome),
    Column("Raised", lambda j: j.raised, "integer"),
    Column("Resolved", lambda j: j.resolved, "integer"),
    Column("Sent", lambda j: j.sent, "integer"),
    Column("Failed", lambda j: j.failed, "integer"),
    Column("Error", lambda j: j.error),
    Column("Host", lambda j: j.host),
]


LISTS: dict[str, ExportList] = {
    spec.name: spec
    for spec in (
        ExportList("partners", "Partners", PARTNER_COLUMNS, _partner_rows, _partners_default),
        ExportList(
            "engagements", "Engagements", ENGAGEMENT_COLUMNS, _entities, _engagements_default
        ),
        ExportList(
            "followups",
            "Follow-ups",
            FOLLOW_UP_COLUMNS,
            _entities,
            lambda: partner_services.follow_up_list_query(None, "all", today()),
        ),
        ExportList(
            "regions", "Regions", REGION_COLUMNS, list, partner_services.regions_with_counts
        ),
        ExportList(
            "incentives", "Incentives", INCENTIVE_COLUMNS, _incentive_rows, _incentives_default
        ),
        ExportList(
            "deadlines",
            "Incentive deadlines",
            DEADLINE_COLUMNS,
            list,
            lambda: incentive_services.deadlines(today()),
        ),
        ExportList(
            "due",
            "Everything due",
            DUE_COLUMNS,
            list,
            lambda: report_services.due_rows(today()),
        ),
        ExportList(
            "commitments", "Commitments", COMMITMENT_COLUMNS, _commitment_rows, _commitments_default
        ),
        ExportList("milestones", "Milestones", MILESTONE_COLUMNS, _entities, _milestones_default),
        ExportList(
            "alerts",
            "Alerts",
            ALERT_COLUMNS,
            _entities,
            lambda: monitoring_services.alerts_query(None, "all"),
        ),
        ExportList(
            "users",
            "Users",
            USER_COLUMNS,
            _entities,
            lambda: select(User).order_by(User.active.desc(), User.name),
        ),
        ExportList(
            "jobs",
            "Scheduled jobs",
            JOB_COLUMNS,
            _entities,
            lambda: select(JobRun).order_by(JobRun.started_at.desc(), JobRun.id.desc()),
        ),
    )
}


def export_list(name: str, source):
    """The `?format=csv|xlsx` download of list `name`: every row of `source`, in its order.

    `source` is the page's filtered and sorted query (not a page of it), or the rows the
    page computed. An unknown format is a 400.
    """
    spec = LISTS[name]
    return export_response(
        spec.rows(source), spec.columns, name, request.args.get("format", ""), sheet=spec.title
    )


def export_file(name: str, fmt: str) -> bytes:
    """List `name` with its default filters as a file's bytes, for the command line."""
    spec = LISTS[name]
    return export_bytes(spec.rows(spec.default_source()), spec.columns, fmt, sheet=spec.title)
