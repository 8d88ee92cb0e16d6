"""A commitment's dated items, stored (`tracker.core.items`): each milestone not yet done of
a commitment still running, re-derived whenever the commitment or a milestone is written."""

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from tracker.commitments.models import Commitment, CommitmentStatus, Milestone, MilestoneStatus
from tracker.core.derived import Source, register_source
from tracker.core.items import Item, StoredItem
from tracker.extensions import db

MILESTONE_DUE = "milestone_due"


def derive(ids: list[int]) -> dict[int, list[Item]]:
    commitments = db.session.scalars(
        select(Commitment)
        .where(Commitment.id.in_(ids), Commitment.status.in_(CommitmentStatus.live()))
        .options(selectinload(Commitment.milestones))
        .execution_options(populate_existing=True)
    )
    return {
        commitment.id: [
            Item(
                "milestones",
                milestone.id,
                MILESTONE_DUE,
                milestone.due_on,
                f"{milestone.title} ({commitment.title})",
                commitment.owner_id,
                commitment.counterparty_id,
                f"/commitments/{commitment.id}",
            )
            for milestone in commitment.milestones
            if milestone.status != MilestoneStatus.DONE
        ]
        for commitment in commitments
    }


register_source(
    Source(
        StoredItem.__table__,
        "commitments",
        touches={
            Commitment: lambda commitment: [commitment.id],
            Milestone: lambda milestone: [milestone.commitment_id],
        },
        derive=derive,
        every=lambda: db.session.scalars(
            select(Commitment.id).where(Commitment.status.in_(CommitmentStatus.live()))
        ),
    )
)
