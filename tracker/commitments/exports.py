"""The commitments and milestones lists as spreadsheets (`?format=csv|xlsx` on their pages,
and `flask export commitments|milestones`)."""

from sqlalchemy import Select
from sqlalchemy.orm import selectinload

from tracker.commitments import services
from tracker.commitments.models import CommitmentStatus, MilestoneStatus
from tracker.core.listing import Sorting, apply_sorting
from tracker.core.tables import Column, ExportList, entities, label_of, name_of, result_rows, yes_no
from tracker.core.types import today


def _commitment_rows(source) -> list:
    """(commitment, next milestone date, health) for each row of the page's query, the health
    worked out in full (the file gives its progress and lag too)."""
    as_of = today()
    if isinstance(source, Select):
        source = source.options(selectinload(services.AnyCommitment.milestones))
    return [
        (row[0], row[1], services.health_for(row[0], as_of, row[0].milestones))
        for row in result_rows(source)
    ]


def commitments_query() -> Select:
    """Every commitment, by title: the page's default."""
    query, sortable = services.commitment_list_query(services.CommitmentFilters())
    return apply_sorting(query, sortable, Sorting("title", False), services.AnyCommitment.id)


def _progress_pct(health) -> float | None:
    fraction = health.progress.fraction
    return None if fraction is None else round(float(fraction) * 100, 1)


COMMITMENT_COLUMNS = [
    Column("Title", lambda r: r[0].title),
    Column("Kind", lambda r: r[0].kind_label),
    Column("Status", lambda r: label_of(CommitmentStatus, r[0].status)),
    Column("Counterparty", lambda r: r[0].counterparty.name),
    Column("Region", lambda r: name_of(r[0].region)),
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


def milestones_query() -> Select:
    """Every milestone, overdue first: the page's order with every status."""
    return services.milestone_list_query(services.MilestoneFilters(status="all"), today())


MILESTONE_COLUMNS = [
    Column("Milestone", lambda m: m.title),
    Column("Commitment", lambda m: m.commitment.title),
    Column("Commitment kind", lambda m: m.commitment.kind_label),
    Column("Counterparty", lambda m: m.commitment.counterparty.name),
    Column("Owner", lambda m: m.commitment.owner.name),
    Column("Due", lambda m: m.due_on, "date"),
    Column("Status", lambda m: label_of(MilestoneStatus, m.status)),
    Column("Completed on", lambda m: m.completed_on, "date"),
    Column("Overdue", lambda m: yes_no(services.is_overdue(m, today()))),
    Column("Evidence", lambda m: m.evidence_note),
]

COMMITMENTS = ExportList(
    "commitments", "Commitments", COMMITMENT_COLUMNS, _commitment_rows, commitments_query
)
MILESTONES = ExportList("milestones", "Milestones", MILESTONE_COLUMNS, entities, milestones_query)
