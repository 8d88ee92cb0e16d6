"""The monthly board report: what happened in one calendar month, and where things stood.

Sections, each a dataclass, computed in a fixed number of queries whatever the data:

* engagements held in the month (by kind, partners engaged, partners met for the first time);
* incentives that moved through the pipeline (status changes dated in the month) and the
  amounts newly awarded;
* milestones met (completed in the month) and missed (due in the month and not done by
  its end, or marked missed);
* clawback exposure at the month's end, with the largest exposures;
* commitments by health at the month's end;
* what falls due in the following month.

Money is converted to the reporting currency with the rate in force at the month's end
("as of"); an amount without a rate is left out of its total and named in a warning, never
counted 1:1. For the month in progress "as of" is today and every figure is "so far".
"""

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from tracker.commitments import services as commitment_services
from tracker.commitments.models import (
    Commitment,
    CommitmentStatus,
    Milestone,
    MilestoneStatus,
)
from tracker.core.errors import DomainError
from tracker.core.items import StoredItem
from tracker.core.money import RateBook, Total, format_amount
from tracker.extensions import db
from tracker.incentives import services as incentive_services
from tracker.incentives.models import (
    Incentive,
    IncentiveStatus,
    IncentiveStatusChange,
    Obligation,
)
from tracker.monitoring.models import ItemKind
from tracker.partners.models import (
    Engagement,
    EngagementKind,
    Partner,
    PartnerKind,
    engagement_partners,
)

S = IncentiveStatus
# Statuses an incentive can have reached after holding an award: where to look for one
# that was awarded or in compliance at the end of a past month.
AFTER_AWARD = (S.AWARDED, S.IN_COMPLIANCE, S.CLOSED, S.CLAWED_BACK)
TOP_EXPOSURES = 5
HEALTH_ORDER = ("red", "amber", "green")
MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
MONTH_RE = re.compile(r"(\d{4})-(\d{1,2})")
EARLIEST_YEAR = 1990


# --- The month -------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def of(cls, day: date) -> "Month":
        return cls(day.year, day.month)

    @property
    def first(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last(self) -> date:
        return self.following.first - timedelta(days=1)

    @property
    def previous(self) -> "Month":
        return Month(self.year - 1, 12) if self.month == 1 else Month(self.year, self.month - 1)

    @property
    def following(self) -> "Month":
        return Month(self.year + 1, 1) if self.month == 12 else Month(self.year, self.month + 1)

    @property
    def key(self) -> str:
        """`2026-03`: the form the URL takes."""
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def label(self) -> str:
        return f"{MONTH_NAMES[self.month - 1]} {self.year}"

    def __str__(self) -> str:
        return self.key


class MonthError(DomainError):
    """A month the report cannot be made for; `status` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message, "month")
        self.status = status


def parse_month(text: str | None, today: date) -> Month:
    """The month a `YYYY-MM` string names; none given → the previous full month.

    Raises `MonthError` for text that is not a month (status 400) and for a month that
    has not started yet (status 404). The month in progress is allowed: its figures run
    to today.
    """
    if text is None or not text.strip():
        return Month.of(today).previous
    shown = text.strip()[:20]
    match = MONTH_RE.fullmatch(text.strip())
    if not match:
        raise MonthError(f"“{shown}” is not a month. Give one as YYYY-MM, for example 2026-03.")
    year, number = int(match.group(1)), int(match.group(2))
    if not 1 <= number <= 12:
        raise MonthError(f"There is no month {number} in {shown}: months run from 01 to 12.")
    if year < EARLIEST_YEAR:
        raise MonthError(f"{shown} is before the tracker's records begin ({EARLIEST_YEAR}).")
    month = Month(year, number)
    if month.first > today:
        current = Month.of(today)
        raise MonthError(
            f"{month.label} has not started yet, so there is nothing to report. "
            f"The latest report is for {current.label} (so far).",
            404,
        )
    return month


# --- Sections ----------------------------------------------------------------------------


@dataclass
class EngagementSection:
    """Engagements held in the month (dated in it, and not after "as of")."""

    engagements: list[Engagement]  # oldest first; the first `listed` of them on the page
    by_kind: list[tuple[str, int]]  # (kind label, engagements), most first
    partners_engaged: int  # distinct partners in those engagements
    first_time_partners: int  # of which engaged for the first time ever
    by_partner_kind: list[tuple[str, int]]  # (partner kind label, distinct partners)
    held: int = 0  # engagements held, all of them (listed or not)

    @property
    def unlisted(self) -> int:
        return self.held - len(self.engagements)


@dataclass(frozen=True)
class IncentiveMove:
    """One status change dated in the month; `from_status` None: the incentive was added."""

    changed_on: date
    incentive: Incentive
    from_status: str | None
    to_status: str
    note: str | None

    @property
    def from_label(self) -> str:
        return S(self.from_status).label if self.from_status else "(added)"

    @property
    def to_label(self) -> str:
        return S(self.to_status).label


@dataclass(frozen=True)
class NewAward:
    """An incentive moved to awarded in the month, with its award converted at month end."""

    awarded_on: date
    incentive: Incentive
    amount: Decimal | None  # in the incentive's currency; None: not recorded
    converted: Decimal | None  # in the reporting currency; None: no amount or no rate


@dataclass
class IncentiveSection:
    moves: list[IncentiveMove]  # by date
    awards: list[NewAward]
    awarded_total: Total  # the awards, in the reporting currency

    @property
    def incentives_moved(self) -> int:
        return len({move.incentive.id for move in self.moves})

    @property
    def by_destination(self) -> list[tuple[str, int]]:
        """(status moved to, moves), in pipeline order."""
        counts = Counter(move.to_status for move in self.moves)
        return [(status.label, counts[status]) for status in S if counts[status]]

    @property
    def unconverted(self) -> str:
        return unconverted(self.awarded_total)

    def count_to(self, status: str) -> int:
        return sum(1 for move in self.moves if move.to_status == status)


@dataclass(frozen=True)
class MilestoneRow:
    milestone: Milestone
    commitment: Commitment
    days_late: int  # met: completed after the due date by; missed: due this long before "as of"
    note: str  # what happened, in words


@dataclass
class MilestoneSection:
    met: list[MilestoneRow]  # completed in the month, by completion date
    missed: list[MilestoneRow]  # due in the month and not done by its end, by due date
    due: int  # due in the month up to "as of" (open ones of cancelled commitments aside)

    @property
    def met_on_time(self) -> int:
        return sum(1 for row in self.met if row.days_late <= 0)


@dataclass(frozen=True)
class ExposureRow:
    incentive: Incentive
    status: str  # the incentive's status at month end
    exposure: incentive_services.Exposure
    converted: Decimal | None  # exposure in the reporting currency; None: no rate

    @property
    def status_label(self) -> str:
        return S(self.status).label


@dataclass
class ExposureSection:
    total: Total  # every exposure, in the reporting currency
    rows: list[ExposureRow]  # incentives with an exposure, largest (converted) first
    incentives_held: int  # awarded or in compliance at month end
    with_missed_obligation: int  # of which an obligation was past due and short at month end

    @property
    def unconverted(self) -> str:
        return unconverted(self.total)

    @property
    def top(self) -> list[ExposureRow]:
        return self.rows[:TOP_EXPOSURES]


@dataclass
class HealthBucket:
    state: str  # red | amber | green
    count: int
    value: Total

    @property
    def label(self) -> str:
        return self.state.capitalize()


@dataclass(frozen=True)
class HealthRow:
    commitment: Commitment
    health: commitment_services.Health
    converted: Decimal | None


@dataclass
class HealthSection:
    buckets: list[HealthBucket]  # red, amber, green
    attention: list[HealthRow]  # the red, then the amber commitments, with the reasons

    @property
    def live(self) -> int:
        return sum(bucket.count for bucket in self.buckets)

    def count(self, state: str) -> int:
        return next((b.count for b in self.buckets if b.state == state), 0)


@dataclass(frozen=True)
class DueItem:
    due_on: date
    kind: str  # an ItemKind
    title: str
    path: str  # where in the app to look

    @property
    def kind_label(self) -> str:
        return ItemKind(self.kind).label


@dataclass
class DueNextSection:
    month: Month
    items: list[DueItem]  # still open, by due date

    @property
    def by_kind(self) -> list[tuple[str, int]]:
        counts = Counter(item.kind for item in self.items)
        return [(kind.label, counts[kind]) for kind in ItemKind if counts[kind]]


@dataclass(frozen=True)
class Headline:
    """One figure at the top of the report, the same on the page, in the PDF and the XLSX."""

    label: str
    value: int | Decimal
    currency: str | None  # money in this currency; None: a count
    detail: str
    risk: bool = False  # worth a red figure


@dataclass
class MonthlyReport:
    month: Month
    as_of: date  # the month's last day, or today for the month in progress
    complete: bool  # False for the month in progress
    currency: str
    engagements: EngagementSection
    incentives: IncentiveSection
    milestones: MilestoneSection
    exposure: ExposureSection
    health: HealthSection
    due_next: DueNextSection
    warnings: list[str] = field(default_factory=list)

    @property
    def period(self) -> str:
        """`1–31 March 2026`, or `1–17 March 2026 (so far)`."""
        end = self.as_of.day
        return f"1–{end} {self.month.label}" + ("" if self.complete else " (so far)")

    @property
    def headlines(self) -> list[Headline]:
        e, i, m = self.engagements, self.incentives, self.milestones
        x, h = self.exposure, self.health
        award_noun = "award" if len(i.awards) == 1 else "awards"
        return [
            Headline(
                "Engagements held",
                e.held,
                None,
                f"with {e.partners_engaged} partners, {e.first_time_partners} of them new",
            ),
            Headline(
                "Incentive moves",
                len(i.moves),
                None,
                f"{i.incentives_moved} incentives; {i.count_to(S.SUBMITTED)} submitted, "
                f"{i.count_to(S.AWARDED)} awarded, {i.count_to(S.REJECTED)} rejected",
            ),
            Headline(
                "Newly awarded",
                i.awarded_total.amount,
                self.currency,
                f"{len(i.awards)} {award_noun}" + _left_out(i.awarded_total),
            ),
            Headline(
                "Clawback exposure",
                x.total.amount,
                self.currency,
                f"on {self.as_of.isoformat()}: {len(x.rows)} of {x.incentives_held} "
                "incentives held" + _left_out(x.total),
                risk=bool(x.rows),
            ),
            Headline(
                "Milestones met",
                len(m.met),
                None,
                f"{m.met_on_time} on time; {m.due} were due in the month",
            ),
            Headline(
                "Milestones missed",
                len(m.missed),
                None,
                "due in the month, not done by its end",
                risk=bool(m.missed),
            ),
            Headline(
                "Commitments at red",
                h.count("red"),
                None,
                f"{h.count('amber')} amber, {h.count('green')} green of {h.live} live",
                risk=bool(h.count("red")),
            ),
            Headline(
                f"Due in {self.due_next.month.label}",
                len(self.due_next.items),
                None,
                "open deadlines, obligations, reports, milestones, follow-ups",
            ),
        ]


def unconverted(total: Total) -> str:
    """What a total leaves out for want of a rate: `HUF 10,000, MXN 2,500` (or "")."""
    return ", ".join(
        f"{currency} {format_amount(amount)}" for currency, amount in sorted(total.missing.items())
    )


def _left_out(total: Total) -> str:
    return f"; not counted, no rate: {unconverted(total)}" if total.missing else ""


# --- Computation ---------------------------------------------------------------------------


def monthly_report(month: Month, today: date, listed: int | None = None) -> MonthlyReport:
    """Every section of the report for `month` as it stood at its end (or today, if sooner).

    `listed` caps the engagements loaded for listing (the page); the files list them all."""
    as_of = min(month.last, today)
    book = RateBook()
    report = MonthlyReport(
        month=month,
        as_of=as_of,
        complete=month.last < today,
        currency=book.reporting,
        engagements=engagement_section(month, as_of, listed),
        incentives=incentive_section(month, as_of, book),
        milestones=milestone_section(month, as_of, month.last < today),
        exposure=exposure_section(as_of, book),
        health=health_section(as_of, book),
        due_next=due_next_section(month.following),
    )
    named = (
        ("Newly awarded", report.incentives.awarded_total),
        ("Clawback exposure", report.exposure.total),
        *((f"{b.label} commitments' value", b.value) for b in report.health.buckets),
    )
    report.warnings = [
        f"{name}, at the rates in force on {as_of.isoformat()}: {total.warning}"
        for name, total in named
        if total.warning
    ]
    return report


def engagement_section(month: Month, as_of: date, listed: int | None = None) -> EngagementSection:
    """The month's engagements counted in SQL; `listed` (None: all) of them loaded to show."""
    in_month = (Engagement.occurred_on >= month.first, Engagement.occurred_on <= as_of)
    kinds = dict(
        db.session.execute(
            select(Engagement.kind, func.count()).where(*in_month).group_by(Engagement.kind)
        ).all()
    )
    engaged = (
        select(engagement_partners.c.partner_id)
        .join(Engagement, Engagement.id == engagement_partners.c.engagement_id)
        .where(*in_month)
        .distinct()
        .subquery()
    )
    partner_kinds = dict(
        db.session.execute(
            select(Partner.kind, func.count())
            .join(engaged, engaged.c.partner_id == Partner.id)
            .group_by(Partner.kind)
        ).all()
    )
    shown = (
        select(Engagement)
        .where(*in_month)
        .options(selectinload(Engagement.partners))
        .order_by(Engagement.occurred_on, Engagement.id)
    )
    if listed is not None:
        shown = shown.limit(listed)
    engagements = db.session.scalars(shown).all()

    first_seen = (
        select(
            engagement_partners.c.partner_id,
            func.min(Engagement.occurred_on).label("first_on"),
        )
        .join(Engagement, Engagement.id == engagement_partners.c.engagement_id)
        .group_by(engagement_partners.c.partner_id)
        .subquery()
    )
    first_time = db.session.scalar(
        select(func.count())
        .select_from(first_seen)
        .where(first_seen.c.first_on >= month.first, first_seen.c.first_on <= as_of)
    )
    return EngagementSection(
        engagements=list(engagements),
        by_kind=[
            (EngagementKind(kind).label, n)
            for kind, n in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0]))
        ],
        partners_engaged=sum(partner_kinds.values()),
        first_time_partners=first_time or 0,
        by_partner_kind=[
            (PartnerKind(kind).label, partner_kinds[kind])
            for kind in PartnerKind
            if partner_kinds.get(kind)
        ],
        held=sum(kinds.values()),
    )


def incentive_section(month: Month, as_of: date, book: RateBook) -> IncentiveSection:
    changes = db.session.scalars(
        select(IncentiveStatusChange)
        .where(
            IncentiveStatusChange.changed_on >= month.first,
            IncentiveStatusChange.changed_on <= as_of,
        )
        .options(joinedload(IncentiveStatusChange.incentive).joinedload(Incentive.granting_partner))
        .order_by(
            IncentiveStatusChange.changed_on,
            IncentiveStatusChange.changed_at,
            IncentiveStatusChange.id,
        )
    ).all()
    moves = [
        IncentiveMove(c.changed_on, c.incentive, c.from_status, c.to_status, c.note)
        for c in changes
    ]
    awards, total = [], Total(book.reporting)
    for move in moves:
        if move.to_status != S.AWARDED:
            continue
        amount = move.incentive.amount_awarded
        awards.append(
            NewAward(
                move.changed_on,
                move.incentive,
                amount,
                book.convert(amount, move.incentive.currency, as_of),
            )
        )
        total.add(book, amount, move.incentive.currency, as_of)
    return IncentiveSection(moves, awards, total)


def milestone_section(month: Month, as_of: date, complete: bool) -> MilestoneSection:
    """Met: done, completed in the month. Missed: due in the month and not done by its end.

    "Not done by its end" is: marked missed, still open, or done only after the month
    (so a milestone finished late in the next month counts as missed here and met there).
    In the month in progress a milestone is missed once its due date is past (today's are
    not yet). Open milestones of cancelled commitments are no longer owed: neither due nor
    missed.
    """
    milestones = db.session.scalars(
        select(Milestone)
        .where(
            or_(
                Milestone.completed_on.between(month.first, as_of),
                Milestone.due_on.between(month.first, as_of),
            )
        )
        .options(joinedload(Milestone.commitment).joinedload(Commitment.counterparty))
        .order_by(Milestone.due_on, Milestone.id)
    ).all()
    missed_by = as_of if complete else as_of - timedelta(days=1)
    met, missed, due = [], [], 0
    for milestone in milestones:
        commitment = milestone.commitment
        done_by_end = (
            milestone.status == MilestoneStatus.DONE
            and milestone.completed_on is not None
            and milestone.completed_on <= as_of
        )
        if done_by_end and milestone.completed_on >= month.first:
            late = (milestone.completed_on - milestone.due_on).days
            note = f"{_days(late)} late" if late > 0 else "on time"
            met.append(MilestoneRow(milestone, commitment, late, note))
        if not month.first <= milestone.due_on <= as_of:
            continue
        if commitment.status == CommitmentStatus.CANCELLED and not done_by_end:
            continue
        due += 1
        if done_by_end:
            continue
        if milestone.status == MilestoneStatus.MISSED:
            note = "marked missed"
        elif milestone.due_on > missed_by:
            continue
        elif milestone.status == MilestoneStatus.DONE:
            note = f"done later, on {milestone.completed_on.isoformat()}"
        else:
            note = f"still {MilestoneStatus(milestone.status).label.lower()}"
        missed.append(MilestoneRow(milestone, commitment, (as_of - milestone.due_on).days, note))
    met.sort(key=lambda row: (row.milestone.completed_on, row.milestone.id))
    return MilestoneSection(met, missed, due)


def _days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


class _IncentiveAsOf:
    """An incentive seen with the status it had on a past date and its obligations (plain
    rows, as the clawback rules read them); every other field as stored."""

    def __init__(self, incentive: Incentive, status: str, obligations: list):
        self._incentive = incentive
        self.status = status
        self.obligations = obligations

    def __getattr__(self, name: str):
        return getattr(self._incentive, name)


def status_on(incentive: Incentive, day: date, changes=None) -> str | None:
    """The incentive's status at the end of `day`, from its dated history (`changes`, or its
    `status_changes`).

    Without any recorded history the current status stands, provided the award (if any)
    was made by then. None when the incentive's history starts after `day`.
    """
    changes = incentive.status_changes if changes is None else changes
    history = [change for change in changes if change.changed_on <= day]
    if history:
        last = max(history, key=lambda c: (c.changed_on, c.changed_at, c.id))
        return last.to_status
    if changes:
        return None
    if incentive.awarded_on is not None and incentive.awarded_on > day:
        return None
    return incentive.status


def exposure_section(as_of: date, book: RateBook) -> ExposureSection:
    """Clawback exposure of every incentive held (awarded or in compliance) at `as_of`.

    The rules are the incentives' own (`clawback_exposure`), judged on `as_of`: interest
    runs to that day and an obligation counts as missed when it was past due then. The
    actuals are the latest recorded, as the tracker keeps no history of them.
    """
    held_ever = Incentive.status.in_(AFTER_AWARD)
    incentives = db.session.scalars(
        select(Incentive).where(held_ever).options(joinedload(Incentive.granting_partner))
    ).all()
    # Their obligations and status histories as plain rows (tens of thousands at scale).
    obligations, changes = defaultdict(list), defaultdict(list)
    for row in db.session.execute(
        select(
            Obligation.incentive_id,
            Obligation.id,
            Obligation.kind,
            Obligation.description,
            Obligation.target_value,
            Obligation.actual_value,
            Obligation.due_on,
        )
        .join(Incentive, Incentive.id == Obligation.incentive_id)
        .where(held_ever)
        .order_by(Obligation.incentive_id, Obligation.due_on, Obligation.id)
    ):
        obligations[row.incentive_id].append(row)
    for row in db.session.execute(
        select(
            IncentiveStatusChange.incentive_id,
            IncentiveStatusChange.id,
            IncentiveStatusChange.changed_on,
            IncentiveStatusChange.changed_at,
            IncentiveStatusChange.to_status,
        )
        .join(Incentive, Incentive.id == IncentiveStatusChange.incentive_id)
        .where(held_ever)
    ):
        changes[row.incentive_id].append(row)
    total, rows, held, missed = Total(book.reporting), [], 0, 0
    for incentive in incentives:
        status = status_on(incentive, as_of, changes[incentive.id])
        if status not in IncentiveStatus.awarded():
            continue
        held += 1
        seen = _IncentiveAsOf(incentive, status, obligations[incentive.id])
        exposure = incentive_services.clawback_exposure(seen, as_of)
        missed += exposure.missed
        if not exposure.amount:
            continue
        total.add(book, exposure.amount, incentive.currency, as_of)
        converted = book.convert(exposure.amount, incentive.currency, as_of)
        rows.append(ExposureRow(incentive, status, exposure, converted))
    rows.sort(
        key=lambda row: (
            row.converted is None,
            -(row.converted or 0),
            row.incentive.title.lower(),
        )
    )
    return ExposureSection(total, rows, held, missed)


@dataclass(frozen=True)
class MilestoneAsOf:
    """A milestone as it stood on a past date: done only if completed by then."""

    title: str
    due_on: date
    status: str
    completed_on: date | None


def milestone_as_of(milestone: Milestone, day: date) -> MilestoneAsOf:
    status, completed_on = milestone.status, milestone.completed_on
    if status == MilestoneStatus.DONE and completed_on is not None and completed_on > day:
        status, completed_on = MilestoneStatus.IN_PROGRESS, None
    elif status == MilestoneStatus.MISSED and milestone.due_on > day:
        status = MilestoneStatus.IN_PROGRESS  # not yet missed on that day
    return MilestoneAsOf(milestone.title, milestone.due_on, status, completed_on)


def health_section(as_of: date, book: RateBook) -> HealthSection:
    """Live commitments (planned, active, on hold) by health on `as_of`.

    Health follows the commitments' own rules (`health_for`) with each milestone as it stood
    on `as_of`; volumes, spend and participants are the latest recorded.
    """
    live = commitment_services.AnyCommitment.status.in_(CommitmentStatus.live())
    commitments = db.session.scalars(
        select(commitment_services.AnyCommitment)
        .where(live)
        .options(joinedload(commitment_services.AnyCommitment.counterparty))
        .order_by(commitment_services.AnyCommitment.title)
    ).all()
    # The rules need each commitment's milestones done by `as_of` out of all (counted here)
    # and, one by one, only those not done by then that fall due before the amber horizon:
    # a portfolio holds hundreds of thousands of milestones, most of them neither.
    live_milestone = and_(
        Milestone.commitment_id == Commitment.id, Commitment.status.in_(CommitmentStatus.live())
    )
    done_by = and_(  # as `milestone_as_of` has it
        Milestone.status == MilestoneStatus.DONE,
        or_(Milestone.completed_on.is_(None), Milestone.completed_on <= as_of),
    )
    tallies = {
        commitment_id: (int(done or 0), total)
        for commitment_id, done, total in db.session.execute(
            select(Milestone.commitment_id, func.sum(case((done_by, 1), else_=0)), func.count())
            .join(Commitment, live_milestone)
            .group_by(Milestone.commitment_id)
        )
    }
    horizon = as_of + timedelta(days=current_app.config["COMMITMENT_AMBER_DAYS"])
    milestones = defaultdict(list)
    for row in db.session.execute(
        select(
            Milestone.commitment_id,
            Milestone.title,
            Milestone.due_on,
            Milestone.status,
            Milestone.completed_on,
        )
        .join(Commitment, live_milestone)
        .where(~done_by, Milestone.due_on <= horizon)
        .order_by(Milestone.commitment_id, Milestone.position, Milestone.due_on, Milestone.id)
    ):
        milestones[row.commitment_id].append(row)
    buckets = {state: HealthBucket(state, 0, Total(book.reporting)) for state in HEALTH_ORDER}
    attention = []
    for commitment in commitments:
        if commitment.start_on is not None and commitment.start_on > as_of:
            continue  # not begun yet at month end
        then = [milestone_as_of(m, as_of) for m in milestones[commitment.id]]
        tally = tallies.get(commitment.id, (0, 0))
        health = commitment_services.health_for(commitment, as_of, then, tally)
        if health.state not in buckets:
            continue
        bucket = buckets[health.state]
        bucket.count += 1
        bucket.value.add(book, commitment.value, commitment.currency, as_of)
        if health.state in ("red", "amber"):
            converted = book.convert(commitment.value, commitment.currency, as_of)
            attention.append(HealthRow(commitment, health, converted))
    attention.sort(key=lambda row: (HEALTH_ORDER.index(row.health.state), row.commitment.title))
    return HealthSection(list(buckets.values()), attention)


def due_next_section(month: Month) -> DueNextSection:
    """Open dated items (as the monitors see them today) falling due in `month`."""
    rows = db.session.execute(
        select(StoredItem.due_on, StoredItem.kind, StoredItem.title, StoredItem.path)
        .where(StoredItem.due_on.between(month.first, month.last))
        .order_by(StoredItem.due_on, StoredItem.title)
    )
    return DueNextSection(month, [DueItem(*row) for row in rows])
