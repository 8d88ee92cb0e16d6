"""An engagement's dated items, stored (`tracker.core.items`): each follow-up not yet done,
re-derived whenever the engagement (its subject, its partners) or a follow-up is written,
or a partner of it is renamed (the first partner by name looks after its follow-ups)."""

from sqlalchemy import inspect, select
from sqlalchemy.orm import selectinload

from tracker.core.derived import Source, register_source
from tracker.core.items import Item, StoredItem
from tracker.extensions import db
from tracker.partners.models import Engagement, FollowUp, Partner, engagement_partners

FOLLOW_UP_DUE = "follow_up_due"


def derive(ids: list[int]) -> dict[int, list[Item]]:
    engagements = db.session.scalars(
        select(Engagement)
        .where(Engagement.id.in_(ids))
        .options(selectinload(Engagement.follow_ups), selectinload(Engagement.partners))
        .execution_options(populate_existing=True)
    )
    return {
        engagement.id: [
            Item(
                "follow_ups",
                follow_up.id,
                FOLLOW_UP_DUE,
                follow_up.due_on,
                f"{follow_up.title} ({engagement.subject})",
                follow_up.owner_id,
                engagement.partners[0].id if engagement.partners else None,
                f"/engagements/{engagement.id}",
            )
            for follow_up in engagement.follow_ups
            if follow_up.done_on is None
        ]
        for engagement in engagements
    }


def _renamed_partner(partner: Partner) -> list[int]:
    state = inspect(partner)
    if not state.deleted and not state.attrs.name.history.has_changes():
        return []
    return list(
        db.session.scalars(
            select(engagement_partners.c.engagement_id).where(
                engagement_partners.c.partner_id == partner.id
            )
        )
    )


register_source(
    Source(
        StoredItem.__table__,
        "engagements",
        touches={
            Engagement: lambda engagement: [engagement.id],
            FollowUp: lambda follow_up: [follow_up.engagement_id],
            Partner: _renamed_partner,
        },
        derive=derive,
        every=lambda: db.session.scalars(
            select(FollowUp.engagement_id).where(FollowUp.done_on.is_(None)).distinct()
        ),
    )
)
