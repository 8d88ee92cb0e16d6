"""A commitment's dated items, stored (`tracker.core.items`): each milestone not yet done of
a commitment still running, re-derived whenever the commitment or a milestone is written."""

from sqlalchemy import select

from tracker.commitments.models import Commitment, CommitmentStatus, Milestone, MilestoneStatus
from tracker.core.derived import Source, register_source
from tracker.core.items import Item, StoredItem
from tracker.extensions import db

MILESTONE_DUE = "milestone_due"


def derive(ids: list[int]) -> dict[int, list[Item]]:
    """Read as plain rows (a portfolio holds hundreds of thousands of milestones); a flush's
    writes are in the database already, so nothing read here is stale."""
    rows = db.session.execute(
        select(
            Commitment.id,
            Commitment.title,
            Commitment.owner_id,
            Commitment.counterparty_id,
            Milestone.id,
            Milestone.title,
            Milestone.due_on,
        )
        .join(Milestone, Milestone.commitment_id == Commitment.id)
        .where(
            Commitment.id.in_(ids),
            Commitment.status.in_(CommitmentStatus.live()),
            Milestone.status != MilestoneStatus.DONE,
        )
        .order_by(Commitment.id, Milestone.position, Milestone.due_on, Milestone.id)
    )
    items: dict[int, list[Item]] = {}
    for commitment_id, commitment_title, owner_id, partner_id, id_, title, due_on in rows:
        items.setdefault(commitment_id, []).append(
            Item(
                "milestones",
                id_,
                MILESTONE_DUE,
                due_on,
                f"{title} ({commitment_title})",
                owner_id,
                partner_id,
                f"/commitments/{commitment_id}",
            )
        )
    return items


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
