"""A commitment's health, stored (`tracker.core.states`): re-derived whenever the commitment
or one of its milestones is written, and by the scan on the next day the calendar alone
changes it (`services.next_health_change`)."""

from sqlalchemy import select

from tracker.commitments.models import Commitment, Milestone
from tracker.commitments.services import health_of, next_health_change
from tracker.core.derived import Source, register_source
from tracker.core.states import State, StoredState
from tracker.core.types import today
from tracker.extensions import db

COMMITMENT_HEALTH = "commitment_health"


def derive(ids: list[int]) -> dict[int, list[State]]:
    as_of = today()
    return {
        commitment_id: [
            State(
                "commitments",
                commitment_id,
                COMMITMENT_HEALTH,
                health.state,
                health.rank,
                health.reason,
                next_health_change(commitment, milestones, as_of),
            )
        ]
        for commitment_id, (commitment, milestones, health) in health_of(ids, as_of).items()
    }


register_source(
    Source(
        StoredState.__table__,
        "commitments",
        touches={
            Commitment: lambda commitment: [commitment.id],
            Milestone: lambda milestone: [milestone.commitment_id],
        },
        derive=derive,
        every=lambda: db.session.scalars(select(Commitment.id)),
    )
)
