"""A commitment's health, stored (`tracker.core.states`): re-derived whenever the commitment
or one of its milestones is written, and by the scan on the next day the calendar alone
changes it (`services.next_health_change`); and as it stood at each kept month end."""

from datetime import date

from sqlalchemy import select

from tracker.commitments.models import Commitment, Milestone
from tracker.commitments.services import health_at, health_of, next_health_change
from tracker.core.derived import Source, register_source
from tracker.core.states import (
    Judgement,
    MonthEndSource,
    State,
    StoredState,
    register_month_end_source,
)
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


def judge_at(ids: list[int] | None, day: date) -> dict[int, list[Judgement]]:
    """The live commitments' health at the end of `day`, with their value at stake."""
    return {
        commitment_id: [
            Judgement(
                day,
                "commitments",
                commitment_id,
                COMMITMENT_HEALTH,
                health.state,
                health.rank,
                health.reason,
                commitment.title,
                commitment.value,
                commitment.currency,
            )
        ]
        for commitment_id, (commitment, health) in health_at(ids, day).items()
    }


TOUCHES = {
    Commitment: lambda commitment: [commitment.id],
    Milestone: lambda milestone: [milestone.commitment_id],
}


def every_commitment():
    return db.session.scalars(select(Commitment.id))


register_source(Source(StoredState.__table__, "commitments", TOUCHES, derive, every_commitment))
register_month_end_source(MonthEndSource("commitments", TOUCHES, judge_at, every_commitment))
