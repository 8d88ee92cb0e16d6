"""Queries for regions, partners, contacts, engagements and follow-ups (the rules that
guard writes live in `tracker.partners.operations`)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from tracker.auth.models import User
from tracker.auth.permissions import may_write_partners
from tracker.core import text
from tracker.core.models import AuditEvent
from tracker.core.states import judged
from tracker.core.types import today
from tracker.extensions import db
from tracker.partners.models import (
    Contact,
    Engagement,
    FollowUp,
    Partner,
    PartnerActivity,
    PartnerKind,
    PartnerStatus,
    Region,
    Sector,
    engagement_attendees,
    engagement_partners,
)

# Target days between engagements when a partner sets none: key public bodies and
# Tier-1 suppliers monthly, councils and service providers quarterly.
DEFAULT_CADENCE_DAYS: dict[str, int] = {
    PartnerKind.ECONOMIC_AGENCY: 30,
    PartnerKind.CLUSTER_ALLIANCE: 45,
    PartnerKind.TRADE_COUNCIL: 90,
    PartnerKind.GOVERNMENT_BODY: 60,
    PartnerKind.EDUCATION_PROVIDER: 60,
    PartnerKind.TIER1_SUPPLIER: 30,
    PartnerKind.TIER2_SUPPLIER: 60,
    PartnerKind.LOGISTICS_PROVIDER: 90,
    PartnerKind.TESTING_CERTIFICATION: 90,
    PartnerKind.OTHER: 90,
}
# How many days before the cadence runs out a partner shows as "due".
DUE_WINDOW_DAYS = 7
RECENT_DAYS = 90


# --- Regions ----------------------------------------------------------------


def sectors() -> list[Sector]:
    return list(db.session.scalars(select(Sector).order_by(Sector.name)))


def regions_with_counts() -> list[tuple[Region, int]]:
    counts = (
        select(Partner.region_id, func.count().label("partners"))
        .group_by(Partner.region_id)
        .subquery()
    )
    query = (
        select(Region, func.coalesce(counts.c.partners, 0))
        .outerjoin(counts, counts.c.region_id == Region.id)
        .options(joinedload(Region.sector))
        .order_by(Region.country_code, Region.name)
    )
    return db.session.execute(query).all()


# --- Partners -----------------------------------------------------------------


@dataclass(frozen=True)
class PartnerFilters:
    q: str = ""
    kind: str = ""
    region_id: int | None = None
    country_code: str = ""
    status: str = ""
    owner_id: int | None = None


def _of_partners(query: Select, partner_ids: list[int] | None) -> Select:
    if partner_ids is None:
        return query
    return query.where(engagement_partners.c.partner_id.in_(partner_ids))


def engagement_stats(as_of: date, partner_ids: list[int] | None = None):
    """Per partner (of `partner_ids`, or all): last engagement date and engagements in the
    last `RECENT_DAYS`."""
    recent_since = as_of - timedelta(days=RECENT_DAYS)
    query = (
        select(
            engagement_partners.c.partner_id,
            func.max(Engagement.occurred_on).label("last_on"),
            func.count(case((Engagement.occurred_on >= recent_since, 1))).label("recent"),
        )
        .join(Engagement, Engagement.id == engagement_partners.c.engagement_id)
        .where(Engagement.occurred_on <= as_of)
        .group_by(engagement_partners.c.partner_id)
    )
    return _of_partners(query, partner_ids).subquery()


def follow_up_stats(as_of: date, partner_ids: list[int] | None = None):
    """Per partner (of `partner_ids`, or all): open follow-ups, and how many are past due."""
    is_open = FollowUp.done_on.is_(None)
    query = (
        select(
            engagement_partners.c.partner_id,
            func.count(case((is_open, 1))).label("open"),
            func.count(case((and_(is_open, FollowUp.due_on < as_of), 1))).label("overdue"),
        )
        .join(FollowUp, FollowUp.engagement_id == engagement_partners.c.engagement_id)
        .group_by(engagement_partners.c.partner_id)
    )
    return _of_partners(query, partner_ids).subquery()


def health_of(partner_ids: list[int], as_of: date) -> dict[int, tuple[Partner, "Health"]]:
    """The relationship health of these partners (any status), by id, from the same
    aggregates as the list, restricted to them."""
    engagements = engagement_stats(as_of, partner_ids)
    follow_ups = follow_up_stats(as_of, partner_ids)
    rows = db.session.execute(
        select(
            Partner,
            engagements.c.last_on,
            func.coalesce(engagements.c.recent, 0),
            func.coalesce(follow_ups.c.open, 0),
            func.coalesce(follow_ups.c.overdue, 0),
        )
        .outerjoin(engagements, engagements.c.partner_id == Partner.id)
        .outerjoin(follow_ups, follow_ups.c.partner_id == Partner.id)
        .where(Partner.id.in_(partner_ids))
        .execution_options(populate_existing=True)
    )
    return {row[0].id: (row[0], relationship_health(row[0], *row[1:5], as_of)) for row in rows}


def partner_rows_query(filters: PartnerFilters, as_of: date) -> tuple[Select, dict]:
    """Partners with their relationship figures as stored (`PartnerActivity`, derived by
    every write and each day's scan), filtered; and the sortable columns."""
    activity = PartnerActivity
    health, on = judged("partners", Partner.id, "relationship_health")
    query = (
        select(
            Partner,
            activity.last_on,
            func.coalesce(activity.recent, 0).label("recent"),
            func.coalesce(activity.open_follow_ups, 0).label("open"),
            func.coalesce(activity.overdue_follow_ups, 0).label("overdue"),
        )
        .outerjoin(activity, activity.scope_id == Partner.id)
        .outerjoin(health, on)
        .outerjoin(Region, Region.id == Partner.region_id)
        .outerjoin(User, User.id == Partner.owner_id)
        .options(joinedload(Partner.region), joinedload(Partner.owner))
    )
    if filters.q:
        query = query.where(text.matches(Partner, filters.q))
    if filters.kind:
        query = query.where(Partner.kind == filters.kind)
    if filters.region_id:
        query = query.where(Partner.region_id == filters.region_id)
    if filters.country_code:
        query = query.where(Partner.country_code == filters.country_code)
    if filters.status:
        query = query.where(Partner.status == filters.status)
    elif not filters.q:
        query = query.where(Partner.status != PartnerStatus.ARCHIVED)
    if filters.owner_id:
        query = query.where(Partner.owner_id == filters.owner_id)
    sortable = {
        "name": func.lower(Partner.name),
        "kind": Partner.kind,
        "country": Partner.country_code,
        "region": Region.name,
        "status": Partner.status,
        "owner": User.name,
        "last": activity.last_on,
        "recent": func.coalesce(activity.recent, 0),
        "followups": func.coalesce(activity.open_follow_ups, 0),
        "next": Partner.next_engagement_on,
        "health": health.rank,
    }
    return query, sortable


@dataclass(frozen=True)
class Health:
    """A partner's relationship health: a state for the badge and the reason in words."""

    state: str  # on_cadence | due | overdue | dormant
    reason: str
    cadence_days: int
    days_since: int | None
    last_on: date | None
    recent: int
    open_follow_ups: int
    overdue_follow_ups: int
    next_on: date | None

    @property
    def label(self) -> str:
        return self.state.replace("_", " ").capitalize()

    @property
    def colour(self) -> str:
        return {"on_cadence": "green", "due": "amber", "overdue": "red"}.get(self.state, "grey")

    @property
    def rank(self) -> int:
        """0 for the relationship most in need of attention."""
        return HEALTH_STATES.index(self.state)


# Worst first: the order a list sorted by health shows.
HEALTH_STATES = ("dormant", "overdue", "due", "on_cadence")


def cadence_for(partner: Partner) -> int:
    return partner.cadence_days or DEFAULT_CADENCE_DAYS.get(partner.kind, 90)


def relationship_health(
    partner: Partner,
    last_on: date | None,
    recent: int,
    open_follow_ups: int,
    overdue_follow_ups: int,
    as_of: date,
) -> Health:
    """Judge the relationship against the cadence.

    On cadence while the last engagement is within the cadence; due in its last
    `DUE_WINDOW_DAYS` days (or when a follow-up is overdue); overdue past it;
    dormant after twice the cadence, or when there has never been an engagement.
    A planned next engagement inside the cadence is named in the reason.
    """
    cadence = cadence_for(partner)
    next_on = partner.next_engagement_on if partner.next_engagement_on else None
    if next_on is not None and next_on < as_of:
        next_on = None  # a plan in the past is no plan
    days_since = (as_of - last_on).days if last_on else None
    plan = f"; next planned {next_on.isoformat()}" if next_on else "; nothing planned"

    ago = {0: "today", 1: "yesterday"}.get(days_since, f"{days_since} days ago")
    if days_since is None:
        state, reason = "dormant", "No engagement recorded yet"
    elif days_since > 2 * cadence:
        state = "dormant"
        reason = f"Last engagement {ago}, over twice the {cadence}-day cadence"
    elif days_since > cadence:
        state = "overdue"
        reason = f"Last engagement {ago}, {days_since - cadence} past the {cadence}-day cadence"
    elif days_since > cadence - DUE_WINDOW_DAYS:
        state = "due"
        reason = (
            f"Last engagement {ago}; "
            f"the {cadence}-day cadence runs out in {cadence - days_since} days"
        )
    else:
        state = "on_cadence"
        reason = f"Last engagement {ago}, within the {cadence}-day cadence"
    if overdue_follow_ups:
        noun = "follow-up" if overdue_follow_ups == 1 else "follow-ups"
        reason += f"; {overdue_follow_ups} overdue {noun}"
        if state == "on_cadence":
            state = "due"
    return Health(
        state=state,
        reason=reason + plan,
        cadence_days=cadence,
        days_since=days_since,
        last_on=last_on,
        recent=recent,
        open_follow_ups=open_follow_ups,
        overdue_follow_ups=overdue_follow_ups,
        next_on=next_on,
    )


def partner_health(partner: Partner, as_of: date | None = None) -> Health:
    """Health of one partner, computed with the same SQL aggregates as the list."""
    return health_of([partner.id], as_of or today())[partner.id][1]


# What else hangs on a partner is known only to the domains above this one (incentives,
# commitments): each registers a check when it is imported. A check returns phrases
# such as "2 incentives", empty when nothing of its kind hangs on the partner.
deletion_checks: list[Callable[[Partner], list[str]]] = []


def register_deletion_check(check: Callable[[Partner], list[str]]):
    """Add a check to `what_blocks_deletion` (once, however often it is registered);
    returns it, so it can be used as a decorator."""
    if check not in deletion_checks:
        deletion_checks.append(check)
    return check


def counted(count: int, noun: str) -> list[str]:
    """`[“2 engagements”]`, or `[]` for none: a deletion check's answer."""
    return [f"{count} {noun}{'s' if count != 1 else ''}"] if count else []


def _engagements_on(partner: Partner) -> list[str]:
    query = select(func.count()).where(engagement_partners.c.partner_id == partner.id)
    return counted(db.session.scalar(query) or 0, "engagement")


def what_blocks_deletion(partner: Partner) -> list[str]:
    """The records that hang on a partner; it may be deleted only when this is empty."""
    blockers = _engagements_on(partner)
    for check in deletion_checks:
        blockers += check(partner)
    return blockers


def partner_history(partner: Partner, limit: int = 50) -> list[AuditEvent]:
    """Changes to the partner and its contacts, and to the engagements it took part in
    and their follow-ups."""
    engagement_ids = select(engagement_partners.c.engagement_id).where(
        engagement_partners.c.partner_id == partner.id
    )
    query = (
        select(AuditEvent)
        .where(
            or_(
                and_(AuditEvent.entity_type == "partners", AuditEvent.entity_id == partner.id),
                and_(AuditEvent.parent_type == "partners", AuditEvent.parent_id == partner.id),
                and_(
                    AuditEvent.entity_type == "engagements",
                    AuditEvent.entity_id.in_(engagement_ids),
                ),
                and_(
                    AuditEvent.parent_type == "engagements",
                    AuditEvent.parent_id.in_(engagement_ids),
                ),
            )
        )
        .options(joinedload(AuditEvent.user), selectinload(AuditEvent.reverted_by))
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))


def entity_history(entity_type: str, entity_id: int, limit: int = 50) -> list[AuditEvent]:
    query = (
        select(AuditEvent)
        .where(AuditEvent.entity_type == entity_type, AuditEvent.entity_id == entity_id)
        .options(joinedload(AuditEvent.user), selectinload(AuditEvent.reverted_by))
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))


@dataclass
class Timeline:
    """A partner's latest engagements, newest first, and how many there are in all."""

    engagements: list[Engagement]
    count: int

    def __iter__(self):
        return iter(self.engagements)

    def __len__(self) -> int:
        return len(self.engagements)

    @property
    def more(self) -> int:
        return self.count - len(self.engagements)


def partner_timeline(partner: Partner, limit: int | None = None) -> Timeline:
    """The partner's latest `limit` engagements (a page's worth by default); the rest are in
    the engagements list, filtered by the partner."""
    limit = limit or current_app.config["PAGE_SIZE"]
    count = db.session.scalar(
        select(func.count()).where(engagement_partners.c.partner_id == partner.id)
    )
    query = (
        select(Engagement)
        .join(engagement_partners, engagement_partners.c.engagement_id == Engagement.id)
        .where(engagement_partners.c.partner_id == partner.id)
        .options(
            selectinload(Engagement.partners),
            selectinload(Engagement.attendees),
            selectinload(Engagement.follow_ups).joinedload(FollowUp.owner),
        )
        .order_by(Engagement.occurred_on.desc(), Engagement.id.desc())
        .limit(limit)
    )
    return Timeline(list(db.session.scalars(query)), count)


# --- Engagements and follow-ups ----------------------------------------------


@dataclass(frozen=True)
class EngagementFilters:
    partner_id: int | None = None
    kind: str = ""
    region_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    attendee_id: int | None = None
    q: str = ""


def engagement_list_query(filters: EngagementFilters) -> tuple[Select, dict]:
    query = select(Engagement).options(
        selectinload(Engagement.partners),
        selectinload(Engagement.attendees),
        selectinload(Engagement.follow_ups),
    )
    if filters.partner_id:
        query = query.where(
            Engagement.id.in_(
                select(engagement_partners.c.engagement_id).where(
                    engagement_partners.c.partner_id == filters.partner_id
                )
            )
        )
    if filters.region_id:
        query = query.where(
            Engagement.id.in_(
                select(engagement_partners.c.engagement_id)
                .join(Partner, Partner.id == engagement_partners.c.partner_id)
                .where(Partner.region_id == filters.region_id)
            )
        )
    if filters.attendee_id:
        query = query.where(
            Engagement.id.in_(
                select(engagement_attendees.c.engagement_id).where(
                    engagement_attendees.c.user_id == filters.attendee_id
                )
            )
        )
    if filters.kind:
        query = query.where(Engagement.kind == filters.kind)
    if filters.date_from:
        query = query.where(Engagement.occurred_on >= filters.date_from)
    if filters.date_to:
        query = query.where(Engagement.occurred_on <= filters.date_to)
    if filters.q:
        query = query.where(text.matches(Engagement, filters.q))
    sortable = {
        "date": Engagement.occurred_on,
        "kind": Engagement.kind,
        "subject": func.lower(Engagement.subject),
    }
    return query, sortable


def follow_up_list_query(owner_id: int | None, show: str, as_of: date) -> Select:
    """Follow-ups, overdue first, then by due date. `show`: open | done | all."""
    query = select(FollowUp).options(
        joinedload(FollowUp.owner),
        joinedload(FollowUp.engagement).selectinload(Engagement.partners),
    )
    if owner_id:
        query = query.where(FollowUp.owner_id == owner_id)
    if show == "open":
        query = query.where(FollowUp.done_on.is_(None))
    elif show == "done":
        query = query.where(FollowUp.done_on.is_not(None))
    overdue_first = case((and_(FollowUp.done_on.is_(None), FollowUp.due_on < as_of), 0), else_=1)
    return query.order_by(overdue_first, FollowUp.due_on, FollowUp.id)


def open_follow_ups_for(partner: Partner) -> list[FollowUp]:
    query = (
        select(FollowUp)
        .join(engagement_partners, engagement_partners.c.engagement_id == FollowUp.engagement_id)
        .where(engagement_partners.c.partner_id == partner.id, FollowUp.done_on.is_(None))
        .options(joinedload(FollowUp.owner), joinedload(FollowUp.engagement))
        .order_by(FollowUp.due_on)
    )
    return list(db.session.scalars(query))


def can_toggle_follow_up(user, follow_up: FollowUp) -> bool:
    """Marking a follow-up done: managers and admins, and the follow-up's own owner."""
    return may_write_partners(user) or follow_up.owner_id == getattr(user, "id", None)


def partner_names(*, archived: bool = True) -> list:
    """(id, name) of every partner by name, for a filter's choices: plain rows, however many
    partners there are (`archived=False` leaves the archived out)."""
    query = select(Partner.id, Partner.name).order_by(Partner.name, Partner.id)
    if not archived:
        query = query.where(Partner.status != PartnerStatus.ARCHIVED)
    return db.session.execute(query).all()


def active_users() -> list[User]:
    return list(db.session.scalars(select(User).where(User.active).order_by(User.name)))


def contact_summary(contact: Contact) -> str:
    return f"{contact.name}{f' ({contact.job_title})' if contact.job_title else ''}"
