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
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from tracker.commitments import services as commitment_services
from tracker.commitments.models import (
    Commitment,
    CommitmentStatus,
    Milestone,
    MilestoneStatus,
)
from tracker.commitments.services import StoredHealth
from tracker.core.errors import DomainError
from tracker.core.items import StoredItem
from tracker.core.money import RateBook, Total, format_amount
from tracker.core.states import Judged, Judgement
from tracker.extensions import db
from tracker.incentives.models import Incentive, IncentiveStatus, IncentiveStatusChange
from tracker.monitoring.models import ItemKind
from tracker.partners.models import (
    Engagement,
    EngagementKind,
    Partner,
    PartnerActivity,
    PartnerKind,
    engagement_partners,
)

S = IncentiveStatus
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
    moves: list[IncentiveMove]  # by date; the first listed of them on the page
    awards: list[NewAward]
    awarded_total: Total  # the awards, in the reporting currency
    moved: int = 0  # status changes in the month, all of them (listed or not)
    incentives_moved: int = 0
    destinations: Counter = field(default_factory=Counter)  # status moved to → moves

    @property
    def unlisted(self) -> int:
        return self.moved - len(self.moves)

    @property
    def by_destination(self) -> list[tuple[str, int]]:
        """(status moved to, moves), in pipeline order."""
        counts = self.destinations
        return [(status.label, counts[status]) for status in S if counts[status]]

    @property
    def unconverted(self) -> str:
        return unconverted(self.awarded_total)

    def count_to(self, status: str) -> int:
        return self.destinations[status]


@dataclass(frozen=True)
class MilestoneRow:
    milestone: Milestone
    commitment: Commitment
    days_late: int  # met: completed after the due date by; missed: due this long before "as of"
    note: str  # what happened, in words


@dataclass
class MilestoneSection:
    met: list[MilestoneRow]  # completed in the month, by completion date (the first listed)
    missed: list[MilestoneRow]  # due in the month and not done by its end, by due date (ditto)
    due: int  # due in the month up to "as of" (open ones of cancelled commitments aside)
    met_count: int = 0  # all of them, listed or not
    met_on_time: int = 0
    missed_count: int = 0

    @property
    def unlisted(self) -> int:
        return self.met_count - len(self.met) + self.missed_count - len(self.missed)


@dataclass
class ExposureRow:
    """An incentive's exposure at month end (`judgement`), converted; `incentive` loaded for
    the rows listed."""

    judgement: Judgement
    converted: Decimal | None  # exposure in the reporting currency; None: no rate
    incentive: Incentive | None = None

    @property
    def status(self) -> str:  # the incentive's status at month end
        return self.judgement.state

    @property
    def status_label(self) -> str:
        return S(self.status).label

    @property
    def rule(self) -> str:
        return self.judgement.reason

    @property
    def share_pct(self) -> Decimal | None:
        return self.judgement.share

    @property
    def amount(self) -> Decimal:
        return self.judgement.amount

    @property
    def missed(self) -> bool:  # an obligation was past due and short
        return self.judgement.flagged


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
    health: StoredHealth
    converted: Decimal | None


@dataclass
class HealthSection:
    buckets: list[HealthBucket]  # red, amber, green
    attention: list[HealthRow]  # the red, then the amber commitments, with reasons (listed)

    @property
    def live(self) -> int:
        return sum(bucket.count for bucket in self.buckets)

    @property
    def needing_attention(self) -> int:
        return self.count("red") + self.count("amber")

    @property
    def unlisted(self) -> int:
        return self.needing_attention - len(self.attention)

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
    items: list[DueItem]  # still open, by due date (the first listed)
    kinds: Counter = field(default_factory=Counter)  # kind → items, all of them

    @property
    def count(self) -> int:
        return sum(self.kinds.values())

    @property
    def unlisted(self) -> int:
        return self.count - len(self.items)

    @property
    def by_kind(self) -> list[tuple[str, int]]:
        return [(kind.label, self.kinds[kind]) for kind in ItemKind if self.kinds[kind]]


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
                i.moved,
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
                m.met_count,
                None,
                f"{m.met_on_time} on time; {m.due} were due in the month",
            ),
            Headline(
                "Milestones missed",
                m.missed_count,
                None,
                "due in the month, not done by its end",
                risk=bool(m.missed_count),
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
                self.due_next.count,
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

    `listed` caps the rows loaded for each list (the page); the files list them all."""
    as_of = min(month.last, today)
    book = RateBook()
    report = MonthlyReport(
        month=month,
        as_of=as_of,
        complete=month.last < today,
        currency=book.reporting,
        engagements=engagement_section(month, as_of, listed),
        incentives=incentive_section(month, as_of, book, listed),
        milestones=milestone_section(month, as_of, month.last < today, listed),
        exposure=exposure_section(as_of, book, listed),
        health=health_section(as_of, book, listed),
        due_next=due_next_section(month.following, listed),
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


def _first(query, listed: int | None):
    return query if listed is None else query.limit(listed)


def engagement_section(month: Month, as_of: date, listed: int | None = None) -> EngagementSection:
    """The month's engagements counted in SQL; `listed` (None: all) of them loaded to show.
    First-time partners are those whose first engagement ever (`PartnerActivity.first_on`,
    stored) falls in the month."""
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
    engagements = db.session.scalars(_first(shown, listed)).all()
    first_time = db.session.scalar(
        select(func.count()).where(PartnerActivity.first_on.between(month.first, as_of))
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


def incentive_section(
    month: Month, as_of: date, book: RateBook, listed: int | None = None
) -> IncentiveSection:
    """Status changes dated in the month, counted in SQL and the first `listed` loaded; the
    awards among them, all of them, with their total."""
    in_month = (
        IncentiveStatusChange.changed_on >= month.first,
        IncentiveStatusChange.changed_on <= as_of,
    )
    destinations = Counter(
        dict(
            db.session.execute(
                select(IncentiveStatusChange.to_status, func.count())
                .where(*in_month)
                .group_by(IncentiveStatusChange.to_status)
            ).all()
        )
    )
    incentives_moved = db.session.scalar(
        select(func.count(IncentiveStatusChange.incentive_id.distinct())).where(*in_month)
    )
    in_order = (
        IncentiveStatusChange.changed_on,
        IncentiveStatusChange.changed_at,
        IncentiveStatusChange.id,
    )
    loaded = joinedload(IncentiveStatusChange.incentive).joinedload(Incentive.granting_partner)
    changes = db.session.scalars(
        _first(
            select(IncentiveStatusChange).where(*in_month).options(loaded).order_by(*in_order),
            listed,
        )
    ).all()
    awarded = db.session.scalars(
        select(IncentiveStatusChange)
        .where(*in_month, IncentiveStatusChange.to_status == S.AWARDED)
        .options(loaded)
        .order_by(*in_order)
    ).all()
    awards, total = [], Total(book.reporting)
    for change in awarded:
        incentive = change.incentive
        amount = incentive.amount_awarded
        awards.append(
            NewAward(
                change.changed_on,
                incentive,
                amount,
                book.convert(amount, incentive.currency, as_of),
            )
        )
        total.add(book, amount, incentive.currency, as_of)
    return IncentiveSection(
        moves=[
            IncentiveMove(c.changed_on, c.incentive, c.from_status, c.to_status, c.note)
            for c in changes
        ],
        awards=awards,
        awarded_total=total,
        moved=sum(destinations.values()),
        incentives_moved=incentives_moved or 0,
        destinations=destinations,
    )


def milestone_section(
    month: Month, as_of: date, complete: bool, listed: int | None = None
) -> MilestoneSection:
    """Met: done, completed in the month. Missed: due in the month and not done by its end.

    "Not done by its end" is: marked missed, still open, or done only after the month
    (so a milestone finished late in the next month counts as missed here and met there).
    In the month in progress a milestone is missed once its due date is past (today's are
    not yet). Open milestones of cancelled commitments are no longer owed: neither due nor
    missed. Counted in SQL; the first `listed` of each list loaded.
    """
    done_by_end = and_(
        Milestone.status == MilestoneStatus.DONE,
        Milestone.completed_on.is_not(None),
        Milestone.completed_on <= as_of,
    )
    met = (done_by_end, Milestone.completed_on >= month.first)
    due = (
        Milestone.due_on.between(month.first, as_of),
        or_(done_by_end, Commitment.status != CommitmentStatus.CANCELLED),
    )
    missed_by = as_of if complete else as_of - timedelta(days=1)
    missed = (
        *due,
        ~done_by_end,
        or_(Milestone.status == MilestoneStatus.MISSED, Milestone.due_on <= missed_by),
    )
    counted = select(func.count()).select_from(Milestone).join(Milestone.commitment)
    met_count, met_on_time = db.session.execute(
        select(
            func.count(), func.sum(case((Milestone.completed_on <= Milestone.due_on, 1), else_=0))
        ).where(*met)
    ).one()
    loaded = joinedload(Milestone.commitment).joinedload(Commitment.counterparty)
    met_rows = []
    for milestone in db.session.scalars(
        _first(
            select(Milestone)
            .where(*met)
            .options(loaded)
            .order_by(Milestone.completed_on, Milestone.id),
            listed,
        )
    ):
        late = (milestone.completed_on - milestone.due_on).days
        note = f"{_days(late)} late" if late > 0 else "on time"
        met_rows.append(MilestoneRow(milestone, milestone.commitment, late, note))
    missed_rows = []
    for milestone in db.session.scalars(
        _first(
            select(Milestone)
            .join(Milestone.commitment)
            .where(*missed)
            .options(loaded)
            .order_by(Milestone.due_on, Milestone.id),
            listed,
        )
    ):
        if milestone.status == MilestoneStatus.MISSED:
            note = "marked missed"
        elif milestone.status == MilestoneStatus.DONE:
            note = f"done later, on {milestone.completed_on.isoformat()}"
        else:
            note = f"still {MilestoneStatus(milestone.status).label.lower()}"
        days = (as_of - milestone.due_on).days
        missed_rows.append(MilestoneRow(milestone, milestone.commitment, days, note))
    return MilestoneSection(
        met=met_rows,
        missed=missed_rows,
        due=db.session.scalar(counted.where(*due)),
        met_count=met_count,
        met_on_time=int(met_on_time or 0),
        missed_count=db.session.scalar(counted.where(*missed)),
    )


def _days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


def exposure_section(as_of: date, book: RateBook, listed: int | None = None) -> ExposureSection:
    """Clawback exposure of every incentive held (awarded or in compliance) at `as_of`, by
    the incentives' own rules judged on that day (`tracker.incentives.states`): kept for a
    past month's end, derived now otherwise. The first `listed` rows load their incentive."""
    judged = Judged("incentives", as_of)
    tally = judged.tally()
    rows = [
        ExposureRow(j, book.convert(j.amount, j.currency, as_of))
        for j in judged.ordered(with_amount=True)
    ]
    rows.sort(
        key=lambda row: (
            row.converted is None,
            -(row.converted or 0),
            row.judgement.title.lower(),
            row.judgement.subject_id,
        )
    )
    shown = rows[:listed] if listed is not None else rows
    incentives = _loaded(
        Incentive,
        [row.judgement.subject_id for row in shown],
        joinedload(Incentive.granting_partner),
    )
    for row in shown:
        row.incentive = incentives[row.judgement.subject_id]
    return ExposureSection(
        total=_total(book, ((t.amount, t.currency) for t in tally), as_of),
        rows=rows,
        incentives_held=sum(t.count for t in tally),
        with_missed_obligation=sum(t.flagged for t in tally),
    )


def health_section(as_of: date, book: RateBook, listed: int | None = None) -> HealthSection:
    """Live commitments (planned, active, on hold) by health on `as_of`, by the commitments'
    own rules with each milestone as it stood then (`tracker.commitments.states`): kept for
    a past month's end, derived now otherwise. The first `listed` of those needing
    attention (red, then amber, each by title) are loaded to show with their reasons."""
    judged = Judged("commitments", as_of)
    tally = judged.tally()
    buckets = [
        HealthBucket(
            state,
            sum(t.count for t in tally if t.state == state),
            _total(book, ((t.amount, t.currency) for t in tally if t.state == state), as_of),
        )
        for state in HEALTH_ORDER
    ]
    shown = judged.ordered(("red", "amber"), limit=listed)
    commitments = _loaded(
        commitment_services.AnyCommitment,
        [j.subject_id for j in shown],
        joinedload(commitment_services.AnyCommitment.counterparty),
    )
    rows = [
        HealthRow(
            commitments[j.subject_id],
            StoredHealth(j.state, j.reason),
            book.convert(j.amount, j.currency, as_of),
        )
        for j in shown
    ]
    return HealthSection(buckets, rows)


def _total(book: RateBook, amounts, on: date) -> Total:
    """(amount, currency) pairs added up in the reporting currency at the rates of `on`."""
    total = Total(book.reporting)
    for amount, currency in amounts:
        if currency is not None:
            total.add(book, amount, currency, on)
    return total


def _loaded(entity, ids: list[int], *options) -> dict:
    """The records of `entity` with these ids, by id (loaded in batches)."""
    loaded = {}
    for start in range(0, len(ids), 500):
        batch = ids[start : start + 500]
        loaded.update(
            (record.id, record)
            for record in db.session.scalars(
                select(entity).where(entity.id.in_(batch)).options(*options)
            ).unique()
        )
    return loaded


def due_next_section(month: Month, listed: int | None = None) -> DueNextSection:
    """Open dated items (as the monitors see them today) falling due in `month`: counted by
    kind in SQL, the first `listed` loaded."""
    in_month = StoredItem.due_on.between(month.first, month.last)
    kinds = Counter(
        dict(
            db.session.execute(
                select(StoredItem.kind, func.count()).where(in_month).group_by(StoredItem.kind)
            ).all()
        )
    )
    rows = db.session.execute(
        _first(
            select(StoredItem.due_on, StoredItem.kind, StoredItem.title, StoredItem.path)
            .where(in_month)
            .order_by(StoredItem.due_on, StoredItem.title, StoredItem.id),
            listed,
        )
    )
    return DueNextSection(month, [DueItem(*row) for row in rows], kinds)
