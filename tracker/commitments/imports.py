"""Milestones from a spreadsheet (`flask import milestones` and the import page).

A row names its commitment by title and is matched to an existing milestone by its own
title; it is written through `create_milestone` / `update_milestone`, so every rule the
milestone form holds (dates within the commitment, completion only when done, who may
edit the commitment) refuses the row with the form's message.
"""

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from tracker.auth.permissions import CREATE_COMMITMENTS
from tracker.commitments import operations
from tracker.commitments.models import Commitment, Milestone, MilestoneStatus
from tracker.core.errors import DomainError
from tracker.core.imports import (
    Context,
    Field,
    ImportKind,
    Row,
    RowPlan,
    choice_label,
    settle,
)
from tracker.extensions import db


class MilestoneImport(ImportKind):
    model = Milestone
    name = "milestones"
    noun = "milestones"
    permission = CREATE_COMMITMENTS
    list_endpoint = "commitments.milestones"
    key_help = (
        "A milestone is matched by its commitment's title and its own title (any case): a "
        "match is updated. Programme owners may import milestones of their own commitments."
    )
    fields = [
        Field("Commitment", "commitment", required=True, max_length=200),
        Field("Milestone", "title", required=True, aliases=("title",)),
        Field("Due", "due_on", "date", required=True, aliases=("due date", "due on")),
        Field("Status", "status", "choice", choices=MilestoneStatus, help="Empty: Planned."),
        Field(
            "Completed on",
            "completed_on",
            "date",
            help="Only for a done milestone; empty: the date stored, or today.",
        ),
        Field("Evidence", "evidence_note", aliases=("evidence note",)),
    ]
    _shown = {"status": choice_label(MilestoneStatus)}

    def prepare(self, context: Context) -> None:
        commitments = db.session.scalars(
            select(Commitment).options(selectinload(Commitment.milestones))
        )
        by_title: dict[str, list[Commitment]] = defaultdict(list)
        for commitment in commitments:
            by_title[commitment.title.lower()].append(commitment)
        context.lookups["commitments"] = by_title

    def key(self, row: Row) -> tuple:
        return (row.get("commitment", "").lower(), row.get("title", "").lower())

    def label(self, row: Row) -> str:
        return f"{row.get('title', '?')} ({row.get('commitment', '?')})"

    def _commitment(self, row: Row, context: Context) -> Commitment | None:
        title = row.get("commitment", "")
        commitments = context.lookups["commitments"].get(title.lower(), [])
        if not commitments:
            row.reasons.append(f"Commitment: there is no commitment titled {title}")
            return None
        if len(commitments) > 1:
            row.reasons.append(
                f"Commitment: {len(commitments)} commitments are titled {title}; "
                "rename one in the app first"
            )
            return None
        return commitments[0]

    def plan(self, row: Row, context: Context) -> RowPlan | None:
        commitment = self._commitment(row, context)
        if commitment is None:
            return None
        try:
            # Checked here too, not only when written: an unchanged row of someone
            # else's commitment is refused rather than shown as "unchanged".
            operations.check_may_edit(context.user, commitment)
        except DomainError as error:
            row.reasons.append(self.reason(error))
            return None
        title = row.get("title")
        matches = [m for m in commitment.milestones if m.title.lower() == title.lower()]
        if len(matches) > 1:
            row.reasons.append(
                f"{commitment.title} has {len(matches)} milestones titled {title}: "
                "rename one in the app first"
            )
            return None
        existing = matches[0] if matches else None
        values = {
            attr: row.values.get(attr) for attr in operations.MILESTONE_FIELDS if row.has(attr)
        }
        settle(values, existing, {"status": MilestoneStatus.PLANNED.value})
        return self.planned(row, values, existing, matched_by="title", parent_id=commitment.id)

    def write(self, plan: RowPlan, context: Context) -> None:
        if plan.action == "create":
            commitment = db.session.get(Commitment, plan.parent_id)
            operations.create_milestone(commitment, plan.values, actor=context.user)
        else:
            milestone = db.session.get(Milestone, plan.record_id)
            operations.update_milestone(milestone, plan.values, actor=context.user)


MILESTONES = MilestoneImport()
