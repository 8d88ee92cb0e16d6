"""Incentive rules and queries: the pipeline, obligation status, clawback, de minimis, deadlines.

Writes live in `tracker.incentives.operations`; these functions only read and compute.
"""

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from types import SimpleNamespace

from flask import current_app
from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload, selectinload

from tracker.core import readings, text
from tracker.core.codes import country_name
from tracker.core.items import StoredItem
from tracker.core.money import RateBook, Total, money, plain_number
from tracker.core.states import StoredState
from tracker.extensions import db
from tracker.incentives import clawback
from tracker.incentives.models import (
    AgencyPromise,
    ClawbackInterest,
    ClawbackRule,
    Disbursement,
    Incentive,
    IncentiveStatus,
    IncentiveStatusChange,
    InterestRate,
    Obligation,
    PromiseStatus,
)
from tracker.partners.models import Partner, Region
from tracker.partners.services import counted, register_deletion_check

S = IncentiveStatus

# The pipeline: which status may follow which. Closed, rejected, clawed back and withdrawn
# end it.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    S.IDENTIFIED: (S.PREPARING,),
    S.PREPARING: (S.SUBMITTED,),
    S.SUBMITTED: (S.AWARDED, S.REJECTED),
    S.AWARDED: (S.IN_COMPLIANCE, S.CLAWED_BACK, S.WITHDRAWN),
    S.IN_COMPLIANCE: (S.CLOSED, S.CLAWED_BACK, S.WITHDRAWN),
    S.CLOSED: (),
    S.REJECTED: (),
    S.CLAWED_BACK: (),
    S.WITHDRAWN: (),
}
HUNDRED = Decimal(100)


def allowed_transitions(status: str) -> tuple[str, ...]:
    return TRANSITIONS.get(status, ())


# --- Obligations -----------------------------------------------------------------


@dataclass(frozen=True)
class ObligationStatus:
    state: str  # on_track | at_risk | met | missed
    progress_pct: Decimal | None  # actual / target × 100
    elapsed_pct: Decimal | None  # share of the period gone by
    reason: str

    @property
    def label(self) -> str:
        return self.state.replace("_", " ").capitalize()

    @property
    def colour(self) -> str:
        return {"met": "green", "on_track": "green", "at_risk": "amber", "missed": "red"}[
            self.state
        ]


def _pct(numerator: Decimal, denominator: Decimal) -> Decimal:
    """numerator / denominator in percent to one decimal, for reading only: rules compare
    exact fractions (`_share`)."""
    return (numerator * HUNDRED / denominator).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _share(numerator, denominator) -> Fraction:
    return Fraction(numerator) / Fraction(denominator)


def _whole(value: Decimal | None) -> str:
    """A figure to read (12,000), or "?" for one that cannot be read."""
    return "?" if value is None else f"{value:,.0f}"


def is_met(obligation: Obligation) -> bool:
    """Whether the obligation's target is reached (a target of zero is reached at once): a
    met obligation is no longer due. A target that cannot be read is not reached."""
    target, actual = obligation.target_value, obligation.actual_value
    if target is None:
        return False
    return target == 0 or (actual is not None and actual >= target)


def obligation_status(
    obligation: Obligation, period_start: date | None, as_of: date, tolerance_pct: int
) -> ObligationStatus:
    """Met once the actual reaches the target; missed when the due date passed without it.

    Before the due date it is at risk when progress (actual / target) lags the share
    of the period elapsed (from `period_start` to the due date) by more than
    `tolerance_pct` percentage points, on track otherwise.
    """
    target, actual = obligation.target_value, obligation.actual_value
    progress = _pct(actual or Decimal(0), target) if target else None
    if is_met(obligation):
        return ObligationStatus("met", progress, None, "Target reached")
    if as_of > obligation.due_on:
        return ObligationStatus(
            "missed",
            progress,
            Decimal(100),
            f"Due {obligation.due_on.isoformat()}; reached {progress}% of the target",
        )
    elapsed = lagging = None
    if period_start and period_start < obligation.due_on:
        span = (obligation.due_on - period_start).days
        gone = min(max((as_of - period_start).days, 0), span)
        elapsed = _pct(Decimal(gone), Decimal(span))
        if target:  # compared exactly: 10.01 points behind time is more than 10
            done = _share(actual or 0, target)
            lagging = done < _share(gone, span) - Fraction(tolerance_pct, 100)
    days_left = (obligation.due_on - as_of).days
    if lagging:
        return ObligationStatus(
            "at_risk",
            progress,
            elapsed,
            f"{progress}% done with {elapsed}% of the time gone; {days_left} days left",
        )
    return ObligationStatus(
        "on_track",
        progress,
        elapsed,
        f"{progress}% done"
        + (f" with {elapsed}% of the time gone" if elapsed is not None else "")
        + f"; {days_left} days left",
    )


def period_start(incentive: Incentive) -> date | None:
    return incentive.term_start_on or incentive.awarded_on


# --- Clawback --------------------------------------------------------------------


@dataclass(frozen=True)
class ObligationShortfall:
    obligation: Obligation
    achieved: Fraction | None  # actual / target, capped at 1, exact; None when unreadable
    triggers: bool  # does this obligation set the exposure?

    @property
    def shortfall_pct(self) -> str:
        """The shortfall for reading (`33.33`): the rules use `achieved`, exact."""
        return (
            clawback.pct(1 - self.achieved).removesuffix("%") if self.achieved is not None else "?"
        )

    @property
    def short(self) -> bool:
        return self.achieved is None or self.achieved < 1


@dataclass
class Exposure:
    """The clawback exposure of one incentive, with the working shown step by step."""

    incentive: Incentive
    rule: str
    basis: Decimal  # the amount a clawback applies to, in the incentive's currency
    basis_label: str
    share: Fraction = Fraction(0)  # of the basis that would be repaid
    amount: Decimal = Decimal(0)  # principal and interest, rounded once
    interest: Decimal = Decimal(0)  # for reading
    accruing: bool = False  # interest runs: tomorrow's figure differs
    shortfalls: list[ObligationShortfall] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)
    missed: bool = False  # an obligation is past due and short

    @property
    def share_pct(self) -> Decimal:
        """The share of the basis repaid, in percent to four places (as a state keeps it)."""
        return clawback.exact_rounded(self.share * 100, 4)

    @property
    def state(self) -> str:
        """missed (an obligation is past due and short), exposed (something would be repaid
        today) or clear."""
        if self.missed:
            return "missed"
        return "exposed" if self.amount > 0 else "clear"


# Worst first: the order a list sorted by exposure or status shows.
EXPOSURE_STATES = ("missed", "exposed", "clear")
OBLIGATION_STATES = ("missed", "at_risk", "on_track", "met")


class InterestRates:
    """The rate tables admins keep (`InterestRate`), loaded once when first read, looked up
    by day."""

    def __init__(self):
        self._rates: dict[str, list[tuple[date, Decimal]]] | None = None

    def _load(self) -> dict[str, list[tuple[date, Decimal]]]:
        if self._rates is None:
            self._rates = defaultdict(list)
            query = select(InterestRate.series, InterestRate.effective_on, InterestRate.rate_pct)
            for series, effective_on, rate in db.session.execute(
                query.order_by(InterestRate.series, InterestRate.effective_on)
            ):
                self._rates[series].append((effective_on, rate))
        return self._rates

    def rate(self, series: str, on: date) -> Decimal | None:
        """The yearly rate (in percent) of `series` in force on `on`, or None."""
        in_force = None
        for effective_on, rate in self._load().get(series, ()):
            if effective_on > on:
                break
            in_force = rate
        return in_force


def tranches_text(tranches) -> str:
    """[(day, amount)] → `2025-03-01 600000; 2025-09-15 400000`: payment tranches as the
    import reads them and the export writes them."""
    return "; ".join(
        f"{day.isoformat()} {format(amount.normalize(), 'f')}" for day, amount in tranches
    )


def rate_tables() -> list[str]:
    """The names of the interest-rate tables admins keep."""
    query = select(InterestRate.series).distinct().order_by(InterestRate.series)
    return list(db.session.scalars(query))


def terms_text(incentive: Incentive) -> str:
    """The incentive's clawback terms in words, as its page states them."""
    floor = incentive.clawback_floor_pct
    floor_text = f"{plain_number(floor if floor is not None else HUNDRED)}% of its target"
    rule = incentive.clawback_rule
    if rule == ClawbackRule.NONE:
        return "none recorded"
    text = {
        ClawbackRule.PRO_RATA: "pro rata to the largest shortfall among the obligations",
        ClawbackRule.PROPORTIONAL: "each obligation prorated apart, by its weight",
        ClawbackRule.CLIFF: "a cliff: all of it repaid if an obligation ends below " + floor_text,
        ClawbackRule.SCHEDULE: (
            "recaptured by year held ("
            + ", ".join(
                f"{plain_number(p)}%"
                for p in (parse_schedule(incentive.clawback_schedule) or clawback.DEFAULT_SCHEDULE)
            )
            + ") if an obligation ends below "
            + floor_text
        ),
        ClawbackRule.PENALTY: "a penalty per unit short, capped at "
        + (
            money(incentive.clawback_cap, incentive.currency)
            if incentive.clawback_cap is not None
            else "the amount received"
        ),
    }.get(rule, rule)
    interest = incentive.clawback_interest
    if interest in (ClawbackInterest.SIMPLE, ClawbackInterest.COMPOUND):
        rate = (
            f"the rates of the table “{incentive.clawback_rate_series}”"
            if incentive.clawback_rate_series
            else f"{plain_number(incentive.clawback_interest_pct or 0)}% a year"
        )
        text += f", with {interest} interest at {rate} from each disbursement"
    return text


def clawback_terms(incentive: Incentive) -> clawback.Terms:
    return clawback.Terms(
        rule=incentive.clawback_rule,
        floor_pct=incentive.clawback_floor_pct,
        schedule=parse_schedule(incentive.clawback_schedule),
        cap=incentive.clawback_cap,
        interest=incentive.clawback_interest or ClawbackInterest.NONE,
        rate_pct=incentive.clawback_interest_pct,
        series=incentive.clawback_rate_series,
    )


def parse_schedule(text: str | None) -> list[Decimal]:
    """ "100, 80, 60" → [100, 80, 60]; ValueError for anything else."""
    if not text or not text.strip():
        return []
    parts = [part for part in text.replace(";", ",").replace("%", "").split(",")]
    values = [Decimal(part.strip()) for part in parts]
    if any(not value.is_finite() or not 0 <= value <= HUNDRED for value in values):
        raise ValueError(text)
    return values


def clawback_exposure(
    incentive: Incentive,
    as_of: date,
    rates: InterestRates | None = None,
    tranches: list | None = None,
) -> Exposure:
    """What the company would repay if the obligations stood as they are on `as_of`, under
    the incentive's terms (`incentives.clawback`), with the working.

    The basis is the money received by `as_of` (its disbursements, or the amount received
    when none is recorded) or, before any came, the amount awarded. Only awarded and
    in-compliance incentives carry an exposure. `tranches` are the disbursements as rows
    (on, amount) where the caller loaded them; `rates` the rate tables.
    """
    if tranches is None:
        tranches = [clawback.Tranche(d.paid_on, d.amount) for d in incentive.disbursements]
    tranches = [t for t in tranches if t.on <= as_of]
    received = (
        sum((t.amount for t in tranches), Decimal(0))
        if tranches
        else (incentive.amount_received or Decimal(0))
    )
    basis = received if received > 0 else (incentive.amount_awarded or Decimal(0))
    basis_label = "amount received" if received > 0 else "amount awarded"
    exposure = Exposure(incentive, incentive.clawback_rule, basis, basis_label)
    if incentive.status not in S.awarded():
        exposure.steps.append(
            f"{S(incentive.status).label}: no award is held, so nothing more can be clawed back."
        )
        return exposure
    if incentive.clawback_rule == ClawbackRule.NONE:
        exposure.steps.append("No clawback rule recorded for this incentive.")
        return exposure
    if not incentive.obligations:
        exposure.steps.append("No obligations recorded: nothing to measure a shortfall against.")
        return exposure

    measures = [
        clawback.Measure(
            _describe(o),
            o.target_value,
            o.actual_value,
            o.due_on,
            getattr(o, "clawback_weight", None),
            getattr(o, "penalty_per_unit", None),
            o.unit or "",
        )
        for o in incentive.obligations
    ]
    terms = clawback_terms(incentive)
    rates = rates or InterestRates()
    working = clawback.work_out(
        terms,
        measures,
        tranches,
        basis,
        basis_label,
        incentive.currency,
        as_of,
        incentive.awarded_on,
        rates.rate,
    )
    exposure.shortfalls = [
        ObligationShortfall(o, m.achieved, index in working.triggers)
        for index, (o, m) in enumerate(zip(incentive.obligations, measures, strict=True))
    ]
    exposure.missed = any(s.short and as_of > s.obligation.due_on for s in exposure.shortfalls)
    exposure.share = working.share
    exposure.amount = working.amount
    exposure.interest = clawback.exact_rounded(working.interest, working.places)
    exposure.accruing = working.interest > 0
    exposure.steps = working.steps
    exposure.steps.append(
        "Measured on the actuals of that day; obligations not yet due can still close the gap."
    )
    return exposure


# Statuses an incentive can have reached after holding an award: where to look for one
# that was awarded or in compliance on a past day.
AFTER_AWARD = (S.AWARDED, S.IN_COMPLIANCE, S.CLOSED, S.CLAWED_BACK, S.WITHDRAWN)


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


class _IncentiveAsOf:
    """An incentive seen with the status it had on a past day and its obligations (plain
    rows, as the clawback rules read them); every other field as stored."""

    def __init__(self, incentive: Incentive, status: str, obligations: list):
        self._incentive = incentive
        self.status = status
        self.obligations = obligations

    def __getattr__(self, name: str):
        return getattr(self._incentive, name)


def exposure_at(ids: list[int] | None, day: date) -> dict[int, tuple[Incentive, str, Exposure]]:
    """The incentives of `ids` (None: all) that held an award (awarded or in compliance)
    at the end of `day`, with that status and their clawback exposure judged on `day`:
    interest runs to that day and an obligation counts as missed when it was past due
    then. Each actual is the one it had on `day` (its readings), or the latest recorded for an
    obligation without readings."""
    held_ever = [Incentive.status.in_(AFTER_AWARD)]
    if ids is not None:
        held_ever.append(Incentive.id.in_(ids))
    incentives = db.session.scalars(
        select(Incentive)
        .where(*held_ever)
        .order_by(Incentive.id)
        .execution_options(populate_existing=True)
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
            Obligation.unit,
            Obligation.clawback_weight,
            Obligation.penalty_per_unit,
        )
        .join(Incentive, Incentive.id == Obligation.incentive_id)
        .where(*held_ever)
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
        .where(*held_ever)
    ):
        changes[row.incentive_id].append(row)
    # Each actual as it stood on the day (its readings), where readings were kept.
    figures = readings.figures_on("obligations", ["actual_value"], day)
    for incentive_id, rows in obligations.items():
        obligations[incentive_id] = [
            SimpleNamespace(
                **{**row._asdict(), "actual_value": figures.get((row.id, "actual_value"))}
            )
            if (row.id, "actual_value") in figures
            else row
            for row in rows
        ]
    tranches = defaultdict(list)
    for row in db.session.execute(
        select(Disbursement.incentive_id, Disbursement.paid_on, Disbursement.amount)
        .join(Incentive, Incentive.id == Disbursement.incentive_id)
        .where(*held_ever)
        .order_by(Disbursement.paid_on, Disbursement.id)
    ):
        tranches[row.incentive_id].append(clawback.Tranche(row.paid_on, row.amount))
    rates = InterestRates()
    judged = {}
    for incentive in incentives:
        status = status_on(incentive, day, changes[incentive.id])
        if status in S.awarded():
            seen = _IncentiveAsOf(incentive, status, obligations[incentive.id])
            exposure = clawback_exposure(seen, day, rates, tranches[incentive.id])
            judged[incentive.id] = (incentive, status, exposure)
    return judged


def _describe(obligation: Obligation) -> str:
    return obligation.description or obligation.kind.replace("_", " ")


# --- Compliance reports -------------------------------------------------------------

FREQUENCY_MONTHS = {"once": 0, "quarterly": 3, "half_yearly": 6, "yearly": 12}


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the month's end (31 Jan + 1 → 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    next_month = date(year + month // 12, month % 12 + 1, 1)
    return min(
        day.replace(year=year, month=month, day=1) + timedelta(days=day.day - 1),
        next_month - timedelta(days=1),
    )


# --- De minimis ---------------------------------------------------------------------


@dataclass
class MemberStateAid:
    """De minimis aid one Member State granted in the window, against its own ceiling."""

    country: str
    ceiling: Decimal
    total: Decimal = Decimal(0)  # in EUR
    incentives: list[tuple[Incentive, Decimal | None]] = field(default_factory=list)

    @property
    def headroom(self) -> Decimal:
        return self.ceiling - self.total

    @property
    def used_pct(self) -> Decimal:
        return _pct(self.total, self.ceiling) if self.ceiling else HUNDRED


@dataclass
class DeMinimis:
    """De minimis aid granted in the three years to `as_of`, per granting Member State: the
    ceiling applies to a single undertaking in each Member State (Reg. 2023/2831, Art. 3)."""

    ceiling: Decimal
    first_day: date  # the first day counted: three years before `as_of`, plus one day
    as_of: date
    states: list[MemberStateAid]
    missing_rates: list[str]

    def state(self, country: str) -> MemberStateAid:
        found = next((state for state in self.states if state.country == country), None)
        return found or MemberStateAid(country, self.ceiling)


def de_minimis_amount(incentive: Incentive) -> Decimal:
    """What de minimis counts: the gross grant equivalent where there is one (a loan's or a
    guarantee's aid), else the amount awarded, or offered before the award."""
    if incentive.gross_grant_equivalent is not None:
        return incentive.gross_grant_equivalent
    return incentive.amount_awarded or incentive.amount_offered or Decimal(0)


def de_minimis_first_day(as_of: date) -> date:
    """The first day of the three years that end on `as_of` (both days counted): aid granted
    exactly three years before `as_of` has left the window."""
    return add_months(as_of, -36) + timedelta(days=1)


def de_minimis_position(as_of: date, book: RateBook | None = None) -> DeMinimis:
    """De minimis aid granted in the three years to `as_of`, in EUR, per Member State."""
    book = book or RateBook()
    first_day = de_minimis_first_day(as_of)
    query = (
        select(Incentive)
        .where(
            Incentive.is_de_minimis,
            Incentive.status.in_(S.secured()),
            Incentive.aid_granted_on.between(first_day, as_of),
        )
        .options(joinedload(Incentive.granting_partner))
        .order_by(Incentive.aid_granted_on, Incentive.id)
    )
    ceiling = Decimal(current_app.config["DE_MINIMIS_CEILING_EUR"])
    states: dict[str, MemberStateAid] = {}
    missing = set()
    for incentive in db.session.scalars(query):
        country = incentive.granting_partner.country_code
        state = states.setdefault(country, MemberStateAid(country, ceiling))
        eur = book.convert_between(
            de_minimis_amount(incentive), incentive.currency, "EUR", incentive.aid_granted_on
        )
        state.incentives.append((incentive, eur))
        if eur is None:
            missing.add(incentive.currency)
        else:
            state.total += eur
    ordered = sorted(states.values(), key=lambda state: country_name(state.country))
    return DeMinimis(ceiling, first_day, as_of, ordered, sorted(missing))


def de_minimis_warning(incentive: Incentive, on: date, book: RateBook | None = None) -> str | None:
    """A warning when awarding this de minimis incentive on `on` would pass the ceiling of
    the Member State that grants it."""
    if not incentive.is_de_minimis:
        return None
    book = book or RateBook()
    country = incentive.granting_partner.country_code
    position = de_minimis_position(on, book)
    state = position.state(country)
    already = any(existing.id == incentive.id for existing, _ in state.incentives)
    amount = book.convert_between(de_minimis_amount(incentive), incentive.currency, "EUR", on)
    if amount is None:
        return (
            f"No EUR rate for {incentive.currency}: the de minimis ceiling cannot be checked. "
            "Add the rate first."
        )
    projected = state.total + (Decimal(0) if already else amount)
    if projected <= state.ceiling:
        return None
    return (
        f"This award would bring de minimis aid granted by {country_name(country)} from "
        f"{position.first_day.isoformat()} to {on.isoformat()} to "
        f"EUR {projected:,.0f}, over the EUR {state.ceiling:,.0f} ceiling "
        f"(EUR {state.total:,.0f} already granted)."
    )


# --- Lists, totals, deadlines --------------------------------------------------------


@dataclass(frozen=True)
class IncentiveFilters:
    q: str = ""
    kind: str = ""
    status: str = ""
    partner_id: int | None = None
    region_id: int | None = None
    currency: str = ""
    deadline_from: date | None = None
    deadline_to: date | None = None


def incentive_list_query(filters: IncentiveFilters) -> tuple[Select, dict]:
    query = (
        select(Incentive)
        .outerjoin(Partner, Partner.id == Incentive.granting_partner_id)
        .outerjoin(Region, Region.id == Incentive.region_id)
        .options(
            joinedload(Incentive.granting_partner),
            joinedload(Incentive.region),
            selectinload(Incentive.obligations),
            selectinload(Incentive.disbursements),
        )
    )
    if filters.q:
        query = query.where(text.matches(Incentive, filters.q))
    for column, value in (
        (Incentive.kind, filters.kind),
        (Incentive.status, filters.status),
        (Incentive.granting_partner_id, filters.partner_id),
        (Incentive.region_id, filters.region_id),
        (Incentive.currency, filters.currency),
    ):
        if value:
            query = query.where(column == value)
    if filters.deadline_from:
        query = query.where(Incentive.application_deadline >= filters.deadline_from)
    if filters.deadline_to:
        query = query.where(Incentive.application_deadline <= filters.deadline_to)
    sortable = {
        "title": func.lower(Incentive.title),
        "kind": Incentive.kind,
        "status": Incentive.status,
        "partner": Partner.name,
        "region": Region.name,
        "currency": Incentive.currency,
        "offered": Incentive.amount_offered,
        "awarded": Incentive.amount_awarded,
        "deadline": Incentive.application_deadline,
        "term_end": Incentive.term_end_on,
    }
    return query, sortable


@dataclass
class PortfolioTotals:
    offered: Total
    awarded: Total
    received: Total
    exposure: Total

    @property
    def warnings(self) -> list[str]:
        return sorted(
            {
                t.warning
                for t in (self.offered, self.awarded, self.received, self.exposure)
                if t.warning
            }
        )


def portfolio_totals(query: Select, as_of: date, book: RateBook) -> PortfolioTotals:
    """Totals of the filtered incentives in the reporting currency: summed per currency in
    the database (exposure from the stored judgements), then converted at `as_of`."""
    chosen = query.with_only_columns(Incentive.id).order_by(None).subquery()
    exposure = (
        select(StoredState.subject_id, StoredState.amount)
        .where(
            StoredState.subject_type == Incentive.__tablename__,
            StoredState.aspect == "clawback_exposure",
        )
        .subquery()
    )
    currency = book.reporting
    totals = PortfolioTotals(Total(currency), Total(currency), Total(currency), Total(currency))
    rows = db.session.execute(
        select(
            Incentive.currency,
            func.sum(Incentive.amount_offered),
            func.sum(Incentive.amount_awarded),
            func.sum(Incentive.amount_received),
            func.sum(exposure.c.amount),
        )
        .join(chosen, chosen.c.id == Incentive.id)
        .outerjoin(exposure, exposure.c.subject_id == Incentive.id)
        .group_by(Incentive.currency)
    )
    for row_currency, offered, awarded, received, exposed in rows:
        for total, amount in (
            (totals.offered, offered),
            (totals.awarded, awarded),
            (totals.received, received),
            (totals.exposure, exposed or None),
        ):
            if amount is not None:
                total.add(book, Decimal(amount), row_currency, as_of)
    return totals


# What each kind of incentive deadline is called, on the page, in its export and in
# `Deadline.label`; the kinds are the monitors' names for kinds of dated item.
DEADLINE_LABELS = {
    "application_deadline": "Application deadline",
    "decision": "Decision expected",
    "obligation_due": "Obligation due",
    "report_due": "Compliance report due",
    "promise_due": "Agency promise due",
    "term_end": "Term ends",
}


@dataclass(frozen=True)
class Deadline:
    """One dated thing an incentive still owes, by us or by the agency.

    `kind` uses the monitors' names for kinds of dated item; `subject_type` and
    `subject_id` name the record the date belongs to.
    """

    on: date
    kind: str
    label: str
    incentive: Incentive
    subject_type: str
    subject_id: int
    title: str  # what it is, in a sentence's words
    detail: str = ""
    owner_id: int | None = None  # who answers for it (default: the incentive's owner)

    def days_left(self, as_of: date) -> int:
        return (self.on - as_of).days


def open_deadlines(incentive: Incentive) -> Iterator[Deadline]:
    """Every date an incentive still owes something by: the one rule the deadlines page and
    the monitors share.

    Done items drop out: submitted reports, met obligations, delivered promises, and
    application or decision dates once the pipeline has moved past them.
    """
    owner = incentive.owner_id
    name = incentive.title

    def deadline(on, kind, subject_type, subject_id, title, detail="", owner_id=owner):
        label = DEADLINE_LABELS[kind]
        return Deadline(
            on, kind, label, incentive, subject_type, subject_id, title, detail, owner_id
        )

    if incentive.status in (S.IDENTIFIED, S.PREPARING) and incentive.application_deadline:
        yield deadline(
            incentive.application_deadline,
            "application_deadline",
            "incentives",
            incentive.id,
            f"Apply for {name}",
        )
    if incentive.status == S.SUBMITTED and incentive.decision_expected_on:
        yield deadline(
            incentive.decision_expected_on,
            "decision",
            "incentives",
            incentive.id,
            f"Decision on {name}",
        )
    if incentive.status not in S.awarded():
        return
    for obligation in incentive.obligations:
        if not is_met(obligation):
            yield deadline(
                obligation.due_on,
                "obligation_due",
                "obligations",
                obligation.id,
                f"{_describe(obligation)} ({name})",
                f"{_describe(obligation)}: {_whole(obligation.actual_value or 0)} of "
                f"{_whole(obligation.target_value)} {obligation.unit}",
                obligation.owner_id or owner,
            )
    for report in incentive.compliance_reports:
        if report.submitted_on is None:
            yield deadline(
                report.due_on,
                "report_due",
                "compliance_reports",
                report.id,
                f"{report.title} ({name})",
                report.title,
            )
    for promise in incentive.promises:
        if promise.status in PromiseStatus.open():
            yield deadline(
                promise.due_on,
                "promise_due",
                "agency_promises",
                promise.id,
                f"Agency promise: {promise.description} ({name})",
                promise.description,
            )
    if incentive.term_end_on:
        yield deadline(
            incentive.term_end_on,
            "term_end",
            "incentives",
            incentive.id,
            f"Term of {name} ends",
        )


def live_incentives() -> list[Incentive]:
    """Incentives still in the pipeline or held, with everything their dates come from."""
    return (
        db.session.scalars(
            select(Incentive)
            .where(Incentive.status.in_(S.open()))
            .options(
                joinedload(Incentive.granting_partner),
                selectinload(Incentive.obligations),
                selectinload(Incentive.compliance_reports),
                selectinload(Incentive.promises),
            )
        )
        .unique()
        .all()
    )


@dataclass(frozen=True)
class DeadlineIncentive:
    """The incentive a deadline row belongs to, as the page and the export show it."""

    id: int
    title: str
    granting_partner_name: str


@dataclass(frozen=True)
class DeadlineRow:
    """One row of the deadlines page: a stored dated item of a live incentive."""

    on: date
    kind: str
    detail: str
    incentive: DeadlineIncentive

    @property
    def label(self) -> str:
        return DEADLINE_LABELS[self.kind]

    def days_left(self, as_of: date) -> int:
        return (self.on - as_of).days

    @classmethod
    def of(cls, row) -> "DeadlineRow":
        """A `deadlines_query` result row."""
        on, kind, detail, incentive_id, title, partner_name = row
        return cls(on, kind, detail, DeadlineIncentive(incentive_id, title, partner_name))


def deadlines_query(
    as_of: date, *, include_past_days: int = 365, horizon_days: int = 730
) -> Select:
    """Every open dated item of every live incentive within the window, soonest first: the
    stored items (`open_deadlines`, kept current on every write) with their incentive's
    title and granting body, as rows for `DeadlineRow.of`."""
    earliest = as_of - timedelta(days=include_past_days)
    latest = as_of + timedelta(days=horizon_days)
    return (
        select(
            StoredItem.due_on,
            StoredItem.kind,
            StoredItem.detail,
            Incentive.id,
            Incentive.title,
            Partner.name,
        )
        .join(Incentive, Incentive.id == StoredItem.scope_id)
        .join(Partner, Partner.id == Incentive.granting_partner_id)
        .where(
            StoredItem.scope_type == Incentive.__tablename__,
            StoredItem.due_on.between(earliest, latest),
        )
        # Within a day, kind and incentive, in the order the incentive lists its children.
        .order_by(StoredItem.due_on, StoredItem.kind, StoredItem.scope_id, StoredItem.subject_id)
    )


def deadline_rows(query: Select) -> Iterator[DeadlineRow]:
    """Every row of a `deadlines_query`, read in batches (for the export)."""
    for row in db.session.execute(query.execution_options(yield_per=1000)):
        yield DeadlineRow.of(row)


def deadlines(
    as_of: date, *, include_past_days: int = 365, horizon_days: int = 730
) -> list[DeadlineRow]:
    """Every row of the deadlines page, soonest first (see `deadlines_query`)."""
    query = deadlines_query(as_of, include_past_days=include_past_days, horizon_days=horizon_days)
    return list(deadline_rows(query))


def late_promises(incentive: Incentive, as_of: date) -> list[AgencyPromise]:
    return [p for p in incentive.promises if p.status in PromiseStatus.open() and p.due_on < as_of]


def incentives_for_partner(partner_id: int) -> list[Incentive]:
    query = (
        select(Incentive)
        .where(Incentive.granting_partner_id == partner_id)
        .options(selectinload(Incentive.obligations), selectinload(Incentive.disbursements))
        .order_by(Incentive.status, Incentive.title)
    )
    return list(db.session.scalars(query))


def obligation_choices() -> list[Obligation]:
    """Obligations a training programme may count towards, with their incentive loaded."""
    query = (
        select(Obligation)
        .join(Incentive)
        .where(Incentive.status.in_(S.open()))
        .options(joinedload(Obligation.incentive))
        .order_by(Incentive.title, Obligation.due_on)
    )
    return list(db.session.scalars(query))


@register_deletion_check
def incentives_granted_by(partner: Partner) -> list[str]:
    """What blocks deleting a partner on this side: the incentives it grants (["2 incentives"])."""
    query = select(func.count()).where(Incentive.granting_partner_id == partner.id)
    return counted(db.session.scalar(query) or 0, "incentive")
