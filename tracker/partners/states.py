"""A partner's relationship health, stored (`tracker.core.states`): re-derived whenever the
partner, one of its engagements or their follow-ups is written, and every day by the scan
(the days since the last engagement count up)."""

from datetime import timedelta

from sqlalchemy import inspect, select

from tracker.core.derived import Source, register_source
from tracker.core.states import State, StoredState
from tracker.core.types import today
from tracker.extensions import db
from tracker.partners.models import Engagement, FollowUp, Partner, engagement_partners
from tracker.partners.services import health_of

RELATIONSHIP_HEALTH = "relationship_health"


def derive(ids: list[int]) -> dict[int, list[State]]:
    as_of = today()
    return {
        partner_id: [
            State(
                "partners",
                partner_id,
                RELATIONSHIP_HEALTH,
                health.state,
                health.rank,
                health.reason,
                as_of + timedelta(days=1),
            )
        ]
        for partner_id, (_, health) in health_of(ids, as_of).items()
    }


def _engagement_partners(engagement: Engagement) -> list[int]:
    """The engagement's partners, those it had before this write included."""
    history = inspect(engagement).attrs.partners.history
    held = [p.id for p in (*history.added, *history.unchanged, *history.deleted)]
    return held + _partners_of(engagement.id)


def _partners_of(engagement_id: int | None) -> list[int]:
    return list(
        db.session.scalars(
            select(engagement_partners.c.partner_id).where(
                engagement_partners.c.engagement_id == engagement_id
            )
        )
    )


register_source(
    Source(
        StoredState.__table__,
        "partners",
        touches={
            Partner: lambda partner: [partner.id],
            Engagement: _engagement_partners,
            FollowUp: lambda follow_up: _partners_of(follow_up.engagement_id),
        },
        derive=derive,
        every=lambda: db.session.scalars(select(Partner.id)),
    )
)
