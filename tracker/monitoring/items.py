"""Every dated item the monitors watch, gathered in a fixed number of queries.

An item is live while something is still owed: an application not yet filed, a
decision not yet made, an obligation not yet met, a report not yet submitted, a
promise not yet delivered, a milestone not yet done, a follow-up not yet done.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from tracker.commitments.models import Commitment, CommitmentStatus, Milestone, MilestoneStatus
from tracker.extensions import db
from tracker.incentives.models import Incentive, IncentiveStatus, PromiseStatus
from tracker.monitoring.models import ItemKind
from tracker.partners.models import Engagement, FollowUp

S = IncentiveStatus
LIVE_INCENTIVE = (S.IDENTIFIED, S.PREPARING, S.SUBMITTED, S.AWARDED, S.IN_COMPLIANCE)
AWARDED = (S.AWARDED, S.IN_COMPLIANCE)


@dataclass(frozen=True)
class DatedItem:
    subject_type: str  # a table name
    subject_id: int
    kind: str  # an ItemKind
    due_on: date
    title: str
    owner_id: int | None
    partner_owner_id: int | None
    path: str  # where in the app to look

    @property
    def key(self) -> tuple[str, int, str]:
        return (self.subject_type, self.subject_id, self.kind)


def _incentive_items(incentive: Incentive) -> Iterator[DatedItem]:
    owner, partner_owner = incentive.owner_id, incentive.granting_partner.owner_id
    path = f"/incentives/{incentive.id}"

    def item(subject_type, subject_id, kind, due_on, title, owner_id=owner):
        return DatedItem(
            subject_type, subject_id, kind, due_on, title, owner_id, partner_owner, path
        )

    if incentive.status in (S.IDENTIFIED, S.PREPARING) and incentive.application_deadline:
        yield item(
            "incentives",
            incentive.id,
            ItemKind.APPLICATION_DEADLINE,
            incentive.application_deadline,
            f"Apply for {incentive.title}",
        )
    if incentive.status == S.SUBMITTED and incentive.decision_expected_on:
        yield item(
            "incentives",
            incentive.id,
            ItemKind.DECISION,
            incentive.decision_expected_on,
            f"Decision on {incentive.title}",
        )
    if incentive.status not in AWARDED:
        return
    if incentive.term_end_on:
        yield item(
            "incentives",
            incentive.id,
            ItemKind.TERM_END,
            incentive.term_end_on,
            f"Term of {incentive.title} ends",
        )
    for obligation in incentive.obligations:
        if obligation.actual_value is None or obligation.actual_value < obligation.target_value:
            label = obligation.description or obligation.kind.replace("_", " ")
            yield item(
                "obligations",
                obligation.id,
                ItemKind.OBLIGATION_DUE,
                obligation.due_on,
                f"{label} ({incentive.title})",
                obligation.owner_id or owner,
            )
    for report in incentive.compliance_reports:
        if report.submitted_on is None:
            yield item(
                "compliance_reports",
                report.id,
                ItemKind.REPORT_DUE,
                report.due_on,
                f"{report.title} ({incentive.title})",
            )
    for promise in incentive.promises:
        if promise.status == PromiseStatus.PENDING:
            yield item(
                "agency_promises",
                promise.id,
                ItemKind.PROMISE_DUE,
                promise.due_on,
                f"Agency promise: {promise.description} ({incentive.title})",
            )


def dated_items() -> list[DatedItem]:
    """Every live dated item, in four queries whatever the amount of data."""
    items: list[DatedItem] = []
    incentives = db.session.scalars(
        select(Incentive)
        .where(Incentive.status.in_(LIVE_INCENTIVE))
        .options(
            joinedload(Incentive.granting_partner),
            selectinload(Incentive.obligations),
            selectinload(Incentive.compliance_reports),
            selectinload(Incentive.promises),
        )
    ).unique()
    for incentive in incentives:
        items.extend(_incentive_items(incentive))

    milestones = db.session.scalars(
        select(Milestone)
        .join(Commitment)
        .where(
            Milestone.status != MilestoneStatus.DONE,
            Commitment.status.in_(
                (CommitmentStatus.PLANNED, CommitmentStatus.ACTIVE, CommitmentStatus.ON_HOLD)
            ),
        )
        .options(joinedload(Milestone.commitment).joinedload(Commitment.counterparty))
    )
    for milestone in milestones:
        commitment = milestone.commitment
        items.append(
            DatedItem(
                "milestones",
                milestone.id,
                ItemKind.MILESTONE_DUE,
                milestone.due_on,
                f"{milestone.title} ({commitment.title})",
                commitment.owner_id,
                commitment.counterparty.owner_id,
                f"/commitments/{commitment.id}",
            )
        )

    follow_ups = db.session.scalars(
        select(FollowUp)
        .where(FollowUp.done_on.is_(None))
        .options(joinedload(FollowUp.engagement).selectinload(Engagement.partners))
    )
    for follow_up in follow_ups:
        partners = follow_up.engagement.partners
        items.append(
            DatedItem(
                "follow_ups",
                follow_up.id,
                ItemKind.FOLLOW_UP_DUE,
                follow_up.due_on,
                f"{follow_up.title} ({follow_up.engagement.subject})",
                follow_up.owner_id,
                partners[0].owner_id if partners else None,
                f"/engagements/{follow_up.engagement_id}",
            )
        )
    return items
