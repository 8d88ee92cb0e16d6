"""Every dated item the monitors watch, gathered in a fixed number of queries.

An item is live while something is still owed: an application not yet filed, a
decision not yet made, an obligation not yet met, a report not yet submitted, a
promise not yet delivered, a milestone not yet done, a follow-up not yet done.
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from tracker.commitments.models import Commitment, CommitmentStatus, Milestone, MilestoneStatus
from tracker.extensions import db
from tracker.incentives.services import live_incentives, open_deadlines
from tracker.monitoring.models import ItemKind
from tracker.partners.models import Engagement, FollowUp


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


def dated_items() -> list[DatedItem]:
    """Every live dated item, in a fixed number of queries whatever the amount of data.

    Incentive dates follow the incentives' own rule (`open_deadlines`), so the
    deadlines page and the monitors always agree on what is still owed.
    """
    items: list[DatedItem] = [
        DatedItem(
            deadline.subject_type,
            deadline.subject_id,
            deadline.kind,
            deadline.on,
            deadline.title,
            deadline.owner_id,
            incentive.granting_partner.owner_id,
            f"/incentives/{incentive.id}",
        )
        for incentive in live_incentives()
        for deadline in open_deadlines(incentive)
    ]

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
