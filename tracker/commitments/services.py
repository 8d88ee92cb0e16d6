"""Reading commitments: who may edit, health and progress, funding, lists and choices.

Every write, and every rule a write must keep, is in `tracker.commitments.operations`.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from flask import current_app
from sqlalchemy import ScalarSelect, Select, and_, case, func, inspect, or_, select
from sqlalchemy.orm import contains_eager, joinedload, with_polymorphic

from tracker.auth.models import User
from tracker.auth.permissions import (
    CREATE_COMMITMENTS,
    EDIT_ANY_COMMITMENT,
    ROLE_PERMISSIONS,
    can,
)
from tracker.commitments.models import (
    MEASURES,
    AnchorVolumeCommitment,
    CoInvestment,
    Commitment,
    CommitmentKind,
    CommitmentStatus,
    Contribution,
    Milestone,
    MilestoneStatus,
    TrainingProgramme,
    VolumePeriod,
    measure_value,
)
from tracker.core import readings, text
from tracker.core.models import AuditEvent
from tracker.core.money import RateBook, Total, format_amount, money
from tracker.core.states import judged
from tracker.core.types import day_of, today
from tracker.extensions import db
from tracker.incentives.models import Incentive, Obligation, ObligationKind
from tracker.partners.models import Partner, PartnerKind, PartnerStatus, Region
from tracker.partners.services import counted, register_deletion_check

# Every kind's columns load with the row: a list page must not lazy-load them one by one.
AnyCommitment = with_polymorphic(Commitment, "*")

# The partner kind a commitment's counterparty must be, where the kind asks for one.
COUNTERPARTY_KINDS: dict[str, str] = {
    CommitmentKind.ANCHOR_VOLUME: PartnerKind.TIER1_SUPPLIER,
    CommitmentKind.TRAINING_PROGRAMME: PartnerKind.EDUCATION_PROVIDER,
}
# Days in one volume period; a year is 365.25 days so leap years even out over a term.
PERIOD_DAYS: dict[str, Fraction] = {
    VolumePeriod.MONTH: Fraction(36525, 1200),
    VolumePeriod.QUARTER: Fraction(36525, 400),
    VolumePeriod.YEAR: Fraction(36525, 100),
}


def quantity(value: Decimal | Fraction | int | None, places: int = 0) -> str:
    if value is None:
        return "—"
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    return format_amount(Decimal(value), places)


def percent(value: Fraction | None) -> str:
    """A fraction as a whole percentage (`0.456` → `46%`)."""
    if value is None:
        return "—"
    return f"{round(value * 100)}%"


def bar(value) -> float:
    """A fraction as the value of a 0–100 `<progress>` bar (clamped)."""
    if value is None:
        return 0.0
    return round(min(max(float(value) * 100, 0.0), 100.0), 1)


# --- Who may edit -------------------------------------------------------------


def can_edit(user, commitment: Commitment) -> bool:
    """Managers and admins edit every commitment; programme owners only their own."""
    if can(user, EDIT_ANY_COMMITMENT):
        return True
    return can(user, CREATE_COMMITMENTS) and commitment.owner_id == getattr(user, "id", None)


# --- Progress and health ------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    """How far a commitment has got, as a fraction of what it promises (None: unknown).

    `measure` says what the fraction is of (after the percentage), or why it is unknown.
    """

    fraction: Fraction | None
    measure: str

    @property
    def description(self) -> str:
        if self.fraction is None:
            return self.measure
        return f"{percent(self.fraction)} {self.measure}"


def time_elapsed(commitment: Commitment, as_of: date) -> Fraction | None:
    """(as_of − start) / (end − start), kept within 0…1; None without both dates."""
    start, end = commitment.start_on, commitment.end_on
    if start is None or end is None:
        return None
    if as_of <= start:
        return Fraction(0)
    if as_of >= end:
        return Fraction(1)
    return Fraction((as_of - start).days, (end - start).days)


def anchor_total_volume(commitment: AnchorVolumeCommitment) -> Fraction | None:
    """The volume promised over the whole term.

    `committed_volume` is per `volume_period`; over the term that is the volume times the
    number of periods between start and end (a year being 365.25 days, a quarter a fourth
    and a month a twelfth of it). With the period "total" it is the volume itself.
    """
    if commitment.committed_volume is None or commitment.volume_period is None:
        return None
    volume = Fraction(commitment.committed_volume)
    if commitment.volume_period == VolumePeriod.TOTAL:
        return volume
    if commitment.start_on is None or commitment.end_on is None:
        return None
    term_days = (commitment.end_on - commitment.start_on).days
    return volume * term_days / PERIOD_DAYS[commitment.volume_period]


def anchor_expected_by(commitment: AnchorVolumeCommitment, on: date) -> Fraction | None:
    """The volume that should have been taken by `on`, pro rata over the term."""
    total = anchor_total_volume(commitment)
    elapsed = time_elapsed(commitment, on)
    if total is None or elapsed is None:
        return None
    return total * elapsed


@dataclass(frozen=True)
class AnchorFigures:
    total: Fraction | None  # promised over the whole term
    expected_now: Fraction | None  # pro rata by today
    against_expected: Fraction | None  # volume taken / expected by today


def anchor_figures(commitment: AnchorVolumeCommitment, as_of: date) -> AnchorFigures:
    expected = anchor_expected_by(commitment, as_of)
    taken = commitment.volume_taken
    against = Fraction(taken) / expected if expected and taken is not None else None
    return AnchorFigures(anchor_total_volume(commitment), expected, against)


def progress(
    commitment: Commitment, milestones: Sequence[Milestone], tally: tuple[int, int] | None = None
) -> Progress:
    """Progress per kind.

    * anchor volume: volume taken / the volume promised over the whole term
      (see `anchor_total_volume`), so it compares directly with the time elapsed;
    * co-investment: spend to date / budget;
    * training programme: completed participants / target participants;
    * capacity expansion and co-location: milestones done / all milestones (`tally`, when
      given, is (done, all), counted elsewhere: `milestones` may then be only some of them).
    """
    if isinstance(commitment, AnchorVolumeCommitment):
        total = anchor_total_volume(commitment)
        if not total or commitment.volume_taken is None:
            return Progress(None, "no committed volume or term to measure against")
        fraction = Fraction(commitment.volume_taken) / total
        unit = commitment.volume_unit or "units"
        return Progress(fraction, f"of the {quantity(total)} {unit} promised over the term taken")
    if isinstance(commitment, CoInvestment):
        if not commitment.budget or commitment.spend_to_date is None:
            return Progress(None, "no budget or spend recorded")
        fraction = Fraction(commitment.spend_to_date) / Fraction(commitment.budget)
        return Progress(fraction, "of the budget spent")
    if isinstance(commitment, TrainingProgramme):
        if not commitment.target_participants or commitment.completed_participants is None:
            return Progress(None, "no participant target set")
        fraction = Fraction(commitment.completed_participants, commitment.target_participants)
        return Progress(fraction, "of the target participants completed")
    if tally is None:
        tally = (sum(1 for m in milestones if m.status == MilestoneStatus.DONE), len(milestones))
    done, total = tally
    if not total:
        return Progress(None, "no milestones to measure by")
    return Progress(Fraction(done, total), f"of the milestones done ({done} of {total})")


class Badge:
    """How a health state shows: its label and its colour."""

    state: str

    @property
    def label(self) -> str:
        return {"closed": "Closed"}.get(self.state, self.state.capitalize())

    @property
    def colour(self) -> str:
        return {"closed": "grey"}.get(self.state, self.state)


@dataclass(frozen=True)
class Health(Badge):
    """Red, amber or green, and why in words; grey "closed" for finished commitments."""

    state: str  # red | amber | green | closed
    reasons: tuple[str, ...]
    progress: Progress
    elapsed: Fraction | None
    lag_points: Fraction | None = None
    overdue: tuple[Milestone, ...] = field(default=())

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)

    @property
    def rank(self) -> int:
        """0 for the commitment most in need of attention."""
        return HEALTH_STATES.index(self.state)


# Worst first: the order a list sorted by health shows.
HEALTH_STATES = ("red", "amber", "green", "closed")


@dataclass(frozen=True)
class StoredHealth(Badge):
    """A commitment's health as stored (`tracker.commitments.states`): what a list shows."""

    state: str
    reason: str


def _days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


def commitment_health(
    commitment: Commitment,
    milestones: Sequence[Milestone],
    as_of: date,
    *,
    amber_days: int,
    lag_tolerance: int,
    tally: tuple[int, int] | None = None,
) -> Health:
    """Judge a commitment on `as_of` (`tally`: see `progress`).

    Red when a milestone is overdue (due before `as_of` and not done; a milestone marked
    missed counts whatever its date) or when a co-investment's spend exceeds its budget.
    Amber when a milestone still planned (not started) is due within `amber_days` days
    (today included), or when progress lags the time elapsed by more than `lag_tolerance`
    percentage points. Green otherwise. Completed and cancelled commitments are "closed".
    """
    elapsed = time_elapsed(commitment, as_of)
    measured = progress(commitment, milestones, tally)
    lag = None
    if measured.fraction is not None and elapsed is not None:
        lag = (elapsed - measured.fraction) * 100
    if commitment.status in CommitmentStatus.closed():
        status = CommitmentStatus(commitment.status).label.lower()
        return Health("closed", (f"The commitment is {status}",), measured, elapsed, lag)

    red: list[str] = []
    overdue = [
        m
        for m in milestones
        if m.status == MilestoneStatus.MISSED
        or (m.status in MilestoneStatus.open() and m.due_on < as_of)
    ]
    for milestone in overdue:
        if milestone.status == MilestoneStatus.MISSED:
            red.append(f"“{milestone.title}” was missed (due {milestone.due_on.isoformat()})")
        else:
            late = (as_of - milestone.due_on).days
            red.append(f"“{milestone.title}” is {_days(late)} overdue")
    if isinstance(commitment, CoInvestment) and commitment.budget is not None:
        spend = commitment.spend_to_date or Decimal(0)
        if spend > commitment.budget:
            red.append(
                f"spend of {money(spend, commitment.currency)} exceeds the budget of "
                f"{money(commitment.budget, commitment.currency)} by "
                f"{money(spend - commitment.budget, commitment.currency)}"
            )
    if red:
        return Health("red", tuple(red), measured, elapsed, lag, tuple(overdue))

    amber: list[str] = []
    horizon = as_of + timedelta(days=amber_days)
    for milestone in milestones:
        if milestone.status == MilestoneStatus.PLANNED and as_of <= milestone.due_on <= horizon:
            days = (milestone.due_on - as_of).days
            when = "today" if days == 0 else f"in {_days(days)}"
            amber.append(f"“{milestone.title}” is due {when} and has not started")
    if lag is not None and lag > lag_tolerance:
        amber.append(
            f"progress lags the time elapsed by {round(lag)} points ({measured.description}; "
            f"{percent(elapsed)} of the time gone)"
        )
    if amber:
        return Health("amber", tuple(amber), measured, elapsed, lag)

    summary = f"On track: no milestone overdue or due within {amber_days} days unstarted"
    if lag is not None:
        summary += f"; {measured.description} with {percent(elapsed)} of the time gone"
    return Health("green", (summary,), measured, elapsed, lag)


def health_for(
    commitment: Commitment,
    as_of: date | None = None,
    milestones: Sequence[Milestone] | None = None,
    tally: tuple[int, int] | None = None,
) -> Health:
    """`commitment_health` with today's date and the thresholds from configuration."""
    config = current_app.config
    return commitment_health(
        commitment,
        commitment.milestones if milestones is None else milestones,
        as_of or today(),
        amber_days=config["COMMITMENT_AMBER_DAYS"],
        lag_tolerance=config["COMMITMENT_LAG_TOLERANCE"],
        tally=tally,
    )


def health_of(ids: list[int], as_of: date) -> dict[int, tuple[Commitment, list, Health]]:
    """These commitments with their milestones (as plain rows: status, due date, title) and
    their health on `as_of`, by id: the rules of `health_for` for many at once."""
    commitments = db.session.scalars(
        select(Commitment).where(Commitment.id.in_(ids)).execution_options(populate_existing=True)
    ).all()
    milestones: dict[int, list] = {c.id: [] for c in commitments}
    rows = db.session.execute(
        select(Milestone.commitment_id, Milestone.status, Milestone.due_on, Milestone.title)
        .where(Milestone.commitment_id.in_(ids))
        .order_by(Milestone.commitment_id, Milestone.position, Milestone.due_on, Milestone.id)
    )
    for row in rows:
        milestones[row.commitment_id].append(row)
    return {
        c.id: (c, milestones[c.id], health_for(c, as_of, milestones[c.id])) for c in commitments
    }


@dataclass(frozen=True)
class MilestoneAsOf:
    """A milestone as it stood on a past date: done only if completed by then."""

    title: str
    due_on: date
    status: str
    completed_on: date | None


def milestone_as_of(milestone, day: date) -> MilestoneAsOf:
    status, completed_on = milestone.status, milestone.completed_on
    if status == MilestoneStatus.DONE and completed_on is not None and completed_on > day:
        status, completed_on = MilestoneStatus.IN_PROGRESS, None
    elif status == MilestoneStatus.MISSED and milestone.due_on > day:
        status = MilestoneStatus.IN_PROGRESS  # not yet missed on that day
    return MilestoneAsOf(milestone.title, milestone.due_on, status, completed_on)


def health_at(ids: list[int] | None, day: date) -> dict[int, tuple[Commitment, Health]]:
    """The live commitments (planned, active, on hold) begun by `day`, of `ids` (None: all),
    with their health at the end of `day`: `health_for` with each milestone as it stood
    then (`milestone_as_of`), and volumes, spend and participants as they stood then (their
    readings, `as_it_stood`; the latest recorded for a commitment without readings).

    The rules need each commitment's milestones done by `day` out of all (counted here)
    and, one by one, only those not done by then that fall due before the amber horizon: a
    portfolio holds hundreds of thousands of milestones, most of them neither.
    """
    live = [AnyCommitment.status.in_(CommitmentStatus.live())]
    live_milestone = [
        Milestone.commitment_id == Commitment.id,
        Commitment.status.in_(CommitmentStatus.live()),
    ]
    if ids is not None:
        live.append(AnyCommitment.id.in_(ids))
        live_milestone.append(Commitment.id.in_(ids))
    commitments = db.session.scalars(
        select(AnyCommitment)
        .where(*live)
        .order_by(AnyCommitment.id)
        .execution_options(populate_existing=True)
    ).all()
    done_by = and_(  # as `milestone_as_of` has it
        Milestone.status == MilestoneStatus.DONE,
        or_(Milestone.completed_on.is_(None), Milestone.completed_on <= day),
    )
    tallies = {
        commitment_id: (int(done or 0), total)
        for commitment_id, done, total in db.session.execute(
            select(Milestone.commitment_id, func.sum(case((done_by, 1), else_=0)), func.count())
            .join(Commitment, and_(*live_milestone))
            .group_by(Milestone.commitment_id)
        )
    }
    horizon = day + timedelta(days=current_app.config["COMMITMENT_AMBER_DAYS"])
    milestones: dict[int, list] = {}
    for row in db.session.execute(
        select(
            Milestone.commitment_id,
            Milestone.title,
            Milestone.due_on,
            Milestone.status,
            Milestone.completed_on,
        )
        .join(Commitment, and_(*live_milestone))
        .where(~done_by, Milestone.due_on <= horizon)
        .order_by(Milestone.commitment_id, Milestone.position, Milestone.due_on, Milestone.id)
    ):
        milestones.setdefault(row.commitment_id, []).append(milestone_as_of(row, day))
    figures = readings.figures_on("commitments", MEASURES, day, ids)
    judged = {}
    for commitment in commitments:
        if commitment.start_on is not None and commitment.start_on > day:
            continue  # not begun yet
        tally = tallies.get(commitment.id, (0, 0))
        commitment = as_it_stood(commitment, figures)
        health = health_for(commitment, day, milestones.get(commitment.id, []), tally)
        if health.state in HEALTH_STATES[:3]:
            judged[commitment.id] = (commitment, health)
    return judged


def as_it_stood(commitment: Commitment, figures: dict) -> Commitment:
    """`commitment` with its figures of a past day (`core.readings.figures_on`, by (id,
    measure)) in place of its latest: a copy, never added to a session, or the commitment
    itself when it has no reading."""
    own = {
        name: figures[(commitment.id, name)]
        for name in MEASURES
        if (commitment.id, name) in figures and hasattr(commitment, name)
    }
    if not own:
        return commitment
    cls = type(commitment)
    copy = cls(**{a.key: getattr(commitment, a.key) for a in inspect(cls).column_attrs})
    for name, value in own.items():
        setattr(copy, name, measure_value(name, value))
    return copy


def next_health_change(commitment: Commitment, milestones: Sequence, as_of: date) -> date | None:
    """The first day after `as_of` on which the calendar alone may change the commitment's
    health or its reasons; None when only a write can."""
    if commitment.status in CommitmentStatus.closed():
        return None
    tomorrow = as_of + timedelta(days=1)
    start, end = commitment.start_on, commitment.end_on
    if start is not None and end is not None and start <= as_of < end:
        return tomorrow  # the share of the time gone moves
    amber_days = current_app.config["COMMITMENT_AMBER_DAYS"]
    horizon = as_of + timedelta(days=amber_days)
    dates = []
    if start is not None and end is not None and as_of < start:
        dates.append(start)
    for milestone in milestones:
        if milestone.status not in MilestoneStatus.open():
            continue
        if milestone.due_on < as_of:
            return tomorrow  # the days overdue count up
        dates.append(milestone.due_on + timedelta(days=1))
        if milestone.status == MilestoneStatus.PLANNED:
            if milestone.due_on <= horizon:
                return tomorrow  # the days left count down
            dates.append(milestone.due_on - timedelta(days=amber_days))
    return min(dates, default=None)


# --- Co-investments -----------------------------------------------------------


@dataclass(frozen=True)
class Share:
    contribution: Contribution
    converted: Decimal | None  # in the budget's currency; None without a rate
    share: Fraction | None  # of all contributions
    paid_share: Fraction | None  # of the contribution paid so far


@dataclass(frozen=True)
class Funding:
    """A co-investment's contributions, each party's share, and spend against budget."""

    shares: list[Share]
    total: Total  # in the budget's currency
    budget: Decimal | None
    unpledged: Decimal | None
    spend_fraction: Fraction | None


def funding(commitment: CoInvestment, on: date | None = None) -> Funding:
    on = on or today()
    book = RateBook()
    total = Total(commitment.currency)
    converted = []
    for contribution in commitment.contributions:
        value = book.convert_between(
            contribution.amount, contribution.currency, commitment.currency, on
        )
        converted.append(value)
        if value is None:
            total.missing[contribution.currency] = (
                total.missing.get(contribution.currency, Decimal(0)) + contribution.amount
            )
        else:
            total.amount += value
            total.count += 1
    shares = [
        Share(
            contribution,
            value,
            Fraction(value) / Fraction(total.amount)
            if value is not None and total.amount
            else None,
            Fraction(contribution.paid_to_date or 0) / Fraction(contribution.amount)
            if contribution.amount
            else None,
        )
        for contribution, value in zip(commitment.contributions, converted, strict=True)
    ]
    budget = commitment.budget
    unpledged = budget - total.amount if budget is not None and total.complete else None
    spend = (
        Fraction(commitment.spend_to_date or 0) / Fraction(budget)
        if budget
        else None  # no budget, or a zero one
    )
    return Funding(shares, total, budget, unpledged, spend)


# --- Lists --------------------------------------------------------------------


@dataclass(frozen=True)
class CommitmentFilters:
    q: str = ""
    kind: str = ""
    status: str = ""
    owner_id: int | None = None
    counterparty_id: int | None = None
    region_id: int | None = None


def _where(filters: CommitmentFilters) -> list:
    clauses = []
    if filters.q:
        clauses.append(
            or_(
                text.matches(Commitment, filters.q),
                Commitment.counterparty_id.in_(
                    select(Partner.id).where(text.contains(Partner.name_key, filters.q))
                ),
            )
        )
    if filters.kind:
        clauses.append(Commitment.kind == filters.kind)
    if filters.status:
        clauses.append(Commitment.status == filters.status)
    if filters.owner_id:
        clauses.append(Commitment.owner_id == filters.owner_id)
    if filters.counterparty_id:
        clauses.append(Commitment.counterparty_id == filters.counterparty_id)
    if filters.region_id:
        clauses.append(Commitment.region_id == filters.region_id)
    return clauses


def next_milestone_on(commitment_id) -> ScalarSelect:
    """The earliest due date among the commitment's milestones not yet done or missed: one
    seek per commitment on the (commitment, status, due) index, so a page costs its rows."""
    return (
        select(func.min(Milestone.due_on))
        .where(
            Milestone.commitment_id == commitment_id, Milestone.status.in_(MilestoneStatus.open())
        )
        .scalar_subquery()
    )


def commitment_list_query(filters: CommitmentFilters) -> tuple[Select, dict]:
    """Commitments of every kind with their next open milestone date and stored health (state,
    reason); the sortable columns."""
    next_on = next_milestone_on(AnyCommitment.id)
    health, on = judged("commitments", AnyCommitment.id, "commitment_health")
    query = (
        select(AnyCommitment, next_on, health.state, health.reason)
        .outerjoin(health, on)
        .join(Partner, Partner.id == AnyCommitment.counterparty_id)
        .outerjoin(Region, Region.id == AnyCommitment.region_id)
        .join(User, User.id == AnyCommitment.owner_id)
        .options(
            joinedload(AnyCommitment.counterparty),
            joinedload(AnyCommitment.region),
            joinedload(AnyCommitment.owner),
        )
        .where(*_where(filters))
    )
    sortable = {
        "title": func.lower(AnyCommitment.title),
        "kind": AnyCommitment.kind,
        "counterparty": func.lower(Partner.name),
        "region": Region.name,
        "owner": User.name,
        "status": AnyCommitment.status,
        "start": AnyCommitment.start_on,
        "end": AnyCommitment.end_on,
        "next": next_on,
        "health": health.rank,
    }
    return query, sortable


def value_total(filters: CommitmentFilters, on: date | None = None) -> Total:
    """The value of every matching commitment in the reporting currency."""
    query = (
        select(Commitment.currency, func.sum(Commitment.value))
        .where(*_where(filters), Commitment.value.is_not(None))
        .group_by(Commitment.currency)
    )
    on = on or today()
    book = RateBook()
    total = Total(book.reporting)
    for currency, amount in db.session.execute(query):
        total.add(book, Decimal(amount), currency, on)
    return total


@dataclass(frozen=True)
class MilestoneFilters:
    owner_id: int | None = None
    status: str = "open"  # open (not done) | planned | in_progress | done | missed | all
    due_from: date | None = None
    due_to: date | None = None
    kind: str = ""


def milestone_list_query(filters: MilestoneFilters, as_of: date) -> Select:
    """Milestones, overdue first (oldest first), then by due date."""
    query = (
        select(Milestone)
        .join(Commitment, Commitment.id == Milestone.commitment_id)
        .options(
            contains_eager(Milestone.commitment).joinedload(Commitment.owner),
            contains_eager(Milestone.commitment).joinedload(Commitment.counterparty),
        )
    )
    if filters.owner_id:
        query = query.where(Commitment.owner_id == filters.owner_id)
    if filters.kind:
        query = query.where(Commitment.kind == filters.kind)
    if filters.status == "open":
        # The worklist: what is not done yet, on commitments still running.
        query = query.where(
            Milestone.status != MilestoneStatus.DONE,
            Commitment.status.not_in(CommitmentStatus.closed()),
        )
    elif filters.status in MilestoneStatus.values():
        query = query.where(Milestone.status == filters.status)
    if filters.due_from:
        query = query.where(Milestone.due_on >= filters.due_from)
    if filters.due_to:
        query = query.where(Milestone.due_on <= filters.due_to)
    is_overdue = or_(
        Milestone.status == MilestoneStatus.MISSED,
        and_(Milestone.status.in_(MilestoneStatus.open()), Milestone.due_on < as_of),
    )
    overdue_first = case((is_overdue, 0), else_=1)
    return query.order_by(overdue_first, Milestone.due_on, Milestone.id)


def is_overdue(milestone: Milestone, as_of: date) -> bool:
    return milestone.status == MilestoneStatus.MISSED or (
        milestone.status in MilestoneStatus.open() and milestone.due_on < as_of
    )


def owns_commitments(user: User) -> bool:
    return (
        db.session.scalar(select(Commitment.id).where(Commitment.owner_id == user.id).limit(1))
        is not None
    )


# --- Choices for forms ----------------------------------------------------------


def partner_choices(kind: str | None = None, keep_id: int | None = None) -> list[Partner]:
    """Partners that are not archived (of the kind a commitment needs), plus `keep_id`."""
    condition = Partner.status != PartnerStatus.ARCHIVED
    required = COUNTERPARTY_KINDS.get(kind) if kind else None
    if required:
        condition = and_(condition, Partner.kind == required)
    if keep_id:
        condition = or_(condition, Partner.id == keep_id)
    return list(db.session.scalars(select(Partner).where(condition).order_by(Partner.name)))


def all_regions() -> list[Region]:
    return list(db.session.scalars(select(Region).order_by(Region.name)))


def active_users(keep_id: int | None = None) -> list[User]:
    condition = User.active
    if keep_id:
        condition = or_(condition, User.id == keep_id)
    return list(db.session.scalars(select(User).where(condition).order_by(User.name)))


def commitment_owners() -> list[User]:
    """Users who may own a commitment: those whose role may create one."""
    return [user for user in active_users() if can_own(user)]


def can_own(user: User) -> bool:
    return CREATE_COMMITMENTS in ROLE_PERMISSIONS.get(user.role, frozenset())


def obligation_choices() -> list[tuple[Obligation, Incentive]]:
    query = (
        select(Obligation, Incentive)
        .join(Incentive, Incentive.id == Obligation.incentive_id)
        .order_by(Incentive.title, Obligation.due_on, Obligation.id)
    )
    return [(row[0], row[1]) for row in db.session.execute(query)]


def obligation_label(obligation: Obligation, incentive: Incentive) -> str:
    what = obligation.description or ObligationKind(obligation.kind).label
    return f"{incentive.title} — {what}"


def obligation_text(obligation_id: int | None) -> str:
    """How a linked obligation reads in a history line or beside a stale form: by its
    incentive and description (an `Obligation` has no name of its own)."""
    if obligation_id is None:
        return "—"
    obligation = db.session.get(Obligation, obligation_id)
    if obligation is None:
        return f"Obligation #{obligation_id} (deleted)"
    return obligation_label(obligation, obligation.incentive)


def linked_obligation(commitment: Commitment) -> tuple[Obligation, Incentive] | None:
    obligation_id = getattr(commitment, "obligation_id", None)
    if not obligation_id:
        return None
    row = db.session.execute(
        select(Obligation, Incentive)
        .join(Incentive, Incentive.id == Obligation.incentive_id)
        .where(Obligation.id == obligation_id)
    ).first()
    return (row[0], row[1]) if row else None


# --- History ------------------------------------------------------------------


@dataclass(frozen=True)
class VolumeReading:
    on: date
    taken: Decimal
    expected: Fraction | None

    @property
    def against_expected(self) -> Fraction | None:
        if not self.expected:
            return None
        return Fraction(self.taken) / self.expected


def volume_readings(commitment: AnchorVolumeCommitment) -> list[VolumeReading]:
    """Volume taken over time, from the audit trail of its changes, each against the volume
    expected by that date; the current figure last."""
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.entity_type == "commitments", AuditEvent.entity_id == commitment.id)
        .order_by(AuditEvent.occurred_at, AuditEvent.id)
    )
    points: dict[date, Decimal] = {}
    for event in events:
        change = event.stored_change("volume_taken")
        if change is None:
            continue
        old, new = change
        if not points and old is not None and commitment.created_at is not None:
            points[day_of(commitment.created_at)] = Decimal(old)
        if new is not None:
            points[day_of(event.occurred_at)] = Decimal(new)
    if commitment.volume_taken is not None and not points:
        stamp = commitment.updated_at or commitment.created_at
        points[day_of(stamp) if stamp else today()] = commitment.volume_taken
    return [
        VolumeReading(on, taken, anchor_expected_by(commitment, on))
        for on, taken in sorted(points.items())
    ]


# --- What hangs on a partner ------------------------------------------------------


@register_deletion_check
def commitments_on(partner: Partner) -> list[str]:
    """The commitments a partner is the counterparty of, and the contributions it makes:
    a partner with either cannot be deleted (partners cannot see commitments, so they ask)."""
    commitments = select(func.count()).where(Commitment.counterparty_id == partner.id)
    contributions = select(func.count()).where(Contribution.partner_id == partner.id)
    return counted(db.session.scalar(commitments) or 0, "commitment") + counted(
        db.session.scalar(contributions) or 0, "contribution"
    )
