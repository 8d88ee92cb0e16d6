"""A partner's relationship health (`tracker.core.states`) and engagement figures
(`PartnerActivity`), stored: re-derived whenever the partner, one of its engagements or
their follow-ups is written, and every day by the scan (the days since the last engagement
count up, engagements leave the recent window, follow-ups fall due)."""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, inspect, select

from tracker.core.derived import Source, register_source
from tracker.core.states import State, StoredState
from tracker.core.types import today
from tracker.extensions import db
from tracker.partners.models import (
    Engagement,
    EngagementDay,
    FollowUp,
    Partner,
    PartnerActivity,
    engagement_partners,
)
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


@dataclass(frozen=True)
class Activity:
    """A `PartnerActivity` row's values."""

    first_on: date | None
    last_on: date | None
    recent: int
    open_follow_ups: int
    overdue_follow_ups: int
    changes_on: date

    def values(self) -> dict:
        return {
            "first_on": self.first_on,
            "last_on": self.last_on,
            "recent": self.recent,
            "open_follow_ups": self.open_follow_ups,
            "overdue_follow_ups": self.overdue_follow_ups,
            "changes_on": self.changes_on,
        }


def derive_activity(ids: list[int]) -> dict[int, list[Activity]]:
    as_of = today()
    first = dict(
        db.session.execute(
            select(engagement_partners.c.partner_id, func.min(Engagement.occurred_on))
            .join(Engagement, Engagement.id == engagement_partners.c.engagement_id)
            .where(engagement_partners.c.partner_id.in_(ids))
            .group_by(engagement_partners.c.partner_id)
        ).all()
    )
    return {
        partner_id: [
            Activity(
                first.get(partner_id),
                health.last_on,
                health.recent,
                health.open_follow_ups,
                health.overdue_follow_ups,
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


TOUCHES = {
    Partner: lambda partner: [partner.id],
    Engagement: _engagement_partners,
    FollowUp: lambda follow_up: _partners_of(follow_up.engagement_id),
}


def every_partner():
    return db.session.scalars(select(Partner.id))


register_source(Source(StoredState.__table__, "partners", TOUCHES, derive, every_partner))
register_source(
    Source(PartnerActivity.__table__, "partners", TOUCHES, derive_activity, every_partner)
)


# --- Engagements per day ------------------------------------------------------------------

ALL_KINDS = ""  # EngagementDay.partner_kind of the day's count of every engagement


@dataclass(frozen=True)
class DayCount:
    """An `EngagementDay` row's values."""

    partner_kind: str
    engagements: int

    def values(self) -> dict:
        return {"partner_kind": self.partner_kind, "engagements": self.engagements}


def derive_days(ordinals: list[int]) -> dict[int, list[DayCount]]:
    days = [date.fromordinal(n) for n in ordinals]
    counts: dict[int, list[DayCount]] = {}
    for day, count in db.session.execute(
        select(Engagement.occurred_on, func.count())
        .where(Engagement.occurred_on.in_(days))
        .group_by(Engagement.occurred_on)
    ):
        counts.setdefault(day.toordinal(), []).append(DayCount(ALL_KINDS, count))
    for day, kind, count in db.session.execute(
        select(Engagement.occurred_on, Partner.kind, func.count(func.distinct(Engagement.id)))
        .join(engagement_partners, engagement_partners.c.engagement_id == Engagement.id)
        .join(Partner, Partner.id == engagement_partners.c.partner_id)
        .where(Engagement.occurred_on.in_(days))
        .group_by(Engagement.occurred_on, Partner.kind)
    ):
        counts.setdefault(day.toordinal(), []).append(DayCount(kind, count))
    return counts


def _engagement_days(engagement: Engagement) -> list[int]:
    """The engagement's day, and the day it had before this write."""
    history = inspect(engagement).attrs.occurred_on.history
    days = [*history.added, *history.unchanged, *history.deleted, engagement.occurred_on]
    return [day.toordinal() for day in days if day is not None]


def _partner_days(partner: Partner) -> list[int]:
    """The days of the partner's engagements, when its kind changed or it went."""
    state = inspect(partner)
    if not state.deleted and not state.attrs.kind.history.has_changes():
        return []
    return [
        day.toordinal()
        for day in db.session.scalars(
            select(Engagement.occurred_on)
            .join(engagement_partners, engagement_partners.c.engagement_id == Engagement.id)
            .where(engagement_partners.c.partner_id == partner.id)
            .distinct()
        )
    ]


register_source(
    Source(
        EngagementDay.__table__,
        "days",
        {Engagement: _engagement_days, Partner: _partner_days},
        derive_days,
        lambda: (
            day.toordinal() for day in db.session.scalars(select(Engagement.occurred_on).distinct())
        ),
    )
)
