"""What an incentive's clawback terms would take back, worked step by step.

The five shapes real agreements use (`ClawbackRule`):

* largest shortfall: the basis × the largest shortfall among the obligations;
* proportional: each obligation prorated apart, weighted (N.C. G.S. 143B-437.59, county
  agreements that prorate jobs and investment separately): the basis × Σ weight × shortfall
  / Σ weight;
* cliff: all of the basis when any obligation ends below its floor (a share of its target);
* recapture schedule: when an obligation is below its floor, the percentage the schedule
  gives for the year the award has been held (100/80/60/40/20 as IRC §50);
* penalty: a sum per unit of shortfall of each obligation, capped (Texas Gov't Code
  403.614: at the benefit received).

The basis is what was received (the disbursements, or the amount received) or, before any
money came, the amount awarded. Interest on the principal, when the terms charge it, runs
from each disbursement (the day it was put at the beneficiary's disposal, Reg. 794/2004
Art. 11) in periods of a year from that day, counting actual days over a 365-day year
(ACT/365: a period holding 29 February is 366/365 of a year). Each period takes the rate
in force on its first day, fixed or from an admin-kept rate table; simple interest adds the
periods' interest, compound interest charges each period on the principal plus the
interest of the periods before (yearly compounding).

Everything is computed exactly (fractions) and rounded once, half-up, to the currency's
minor unit; percentages in the working are for reading only.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction

from tracker.core.codes import minor_units
from tracker.core.money import format_amount, plain_number, rounded
from tracker.incentives.models import ClawbackInterest, ClawbackRule

ONE = Fraction(1)
YEAR_DAYS = 365  # interest counts actual days over a 365-day year (ACT/365)
# The recapture schedule a blank one means: IRC §50's 100/80/60/40/20 %.
DEFAULT_SCHEDULE = (100, 80, 60, 40, 20)


@dataclass(frozen=True)
class Measure:
    """One obligation as the terms read it."""

    label: str
    target: Decimal | None
    actual: Decimal | None
    due_on: date
    weight: Decimal | None = None
    penalty_per_unit: Decimal | None = None
    unit: str = ""

    @property
    def achieved(self) -> Fraction | None:
        """Actual / target, capped at 1 (a target of 0 is achieved); None when unreadable."""
        if self.target is None:
            return None
        if self.target == 0:
            return ONE
        return min(Fraction(self.actual or 0) / Fraction(self.target), ONE)

    @property
    def shortfall(self) -> Fraction:
        achieved = self.achieved
        return ONE - achieved if achieved is not None else ONE

    @property
    def units_short(self) -> Fraction:
        if self.target is None:
            return Fraction(0)
        return max(Fraction(self.target) - Fraction(self.actual or 0), Fraction(0))


@dataclass(frozen=True)
class Tranche:
    """Money put at the beneficiary's disposal on a day."""

    on: date
    amount: Decimal


@dataclass(frozen=True)
class Terms:
    rule: str
    floor_pct: Decimal | None = None  # cliff and schedule: below this share of target
    schedule: Sequence[Decimal] = ()  # schedule: % recaptured in year 1, 2, …
    cap: Decimal | None = None  # penalty: at most this (default: the basis)
    interest: str = ClawbackInterest.NONE
    rate_pct: Decimal | None = None  # a fixed yearly rate
    series: str | None = None  # or the rate table's series


@dataclass
class Working:
    """The principal, interest and exposure, exact, with the working in words."""

    currency: str
    basis: Decimal
    basis_label: str
    share: Fraction = Fraction(0)  # of the basis that would be repaid
    principal: Fraction = Fraction(0)
    interest: Fraction = Fraction(0)
    triggers: set[int] = field(default_factory=set)  # indexes of the measures that set it
    steps: list[str] = field(default_factory=list)
    rate_missing: bool = False

    @property
    def places(self) -> int:
        return minor_units(self.currency)

    def money(self, amount: Fraction | Decimal) -> str:
        return f"{self.currency} {format_amount(exact_rounded(amount, self.places), self.places)}"

    @property
    def amount(self) -> Decimal:
        """Principal and interest, rounded once to the currency's minor unit."""
        return exact_rounded(self.principal + self.interest, self.places)


def exact_rounded(value: Fraction | Decimal, places: int) -> Decimal:
    """`value` rounded half-up (away from zero at the half) to `places` decimals, exactly."""
    if isinstance(value, Decimal):
        return rounded(value, places)
    scaled = abs(value) * 10**places
    whole = int(scaled)
    if scaled - whole >= Fraction(1, 2):
        whole += 1
    number = Decimal(whole).scaleb(-places)
    return -number if value < 0 else number


def pct(value: Fraction) -> str:
    """A share for reading: `0.9999` → `99.99%`, `2/3` → `66.67%`, `1` → `100%`."""
    text = f"{exact_rounded(value * 100, 2):f}".rstrip("0").rstrip(".")
    exact = exact_rounded(value * 100, 2) == value * 100
    return f"{text}%" if exact else f"≈{text}%"


def years_held(start: date, on: date) -> int:
    """Whole years from `start` to `on` (a year is held on its anniversary)."""
    years = on.year - start.year
    if (on.month, on.day) < (start.month, start.day):
        years -= 1
    return max(years, 0)


def anniversary(start: date, years: int) -> date:
    """`start` plus whole years; 29 February falls on 28 February in other years."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return start.replace(year=start.year + years, day=28)


def periods(start: date, end: date) -> list[tuple[date, date, int]]:
    """The interest periods from `start` to `end`, a year each from `start`'s anniversaries
    (the last one shorter): (first day, last day, days run)."""
    result, n = [], 0
    while True:
        first, next_ = anniversary(start, n), anniversary(start, n + 1)
        if next_ <= end:
            result.append((first, next_, (next_ - first).days))
        else:
            if end > first:
                result.append((first, end, (end - first).days))
            return result
        n += 1


def work_out(
    terms: Terms,
    measures: Sequence[Measure],
    tranches: Sequence[Tranche],
    basis: Decimal,
    basis_label: str,
    currency: str,
    as_of: date,
    held_since: date | None,
    rate_on: Callable[[str, date], Decimal | None] | None = None,
) -> Working:
    """The exposure under `terms` if the obligations stood as `measures` on `as_of`.

    `tranches` are the disbursements (interest runs from each); without any, interest runs
    on the whole principal from `held_since` (the award). `rate_on(series, day)` is the
    rate table's yearly rate in force on a day, in percent.
    """
    working = Working(currency, basis, basis_label)
    _principal(working, terms, measures, basis, as_of, held_since)
    if working.principal > 0 and terms.interest in (
        ClawbackInterest.SIMPLE,
        ClawbackInterest.COMPOUND,
    ):
        _interest(working, terms, tranches, as_of, held_since, rate_on)
    working.steps.append(
        f"Exposure: {working.money(working.amount)} (principal and interest, rounded once)."
    )
    return working


def _principal(working, terms, measures, basis, as_of, held_since) -> None:
    base = Fraction(basis)
    floor = Fraction(terms.floor_pct if terms.floor_pct is not None else 100) / 100
    rule = terms.rule
    if rule == ClawbackRule.PRO_RATA:
        worst = max(range(len(measures)), key=lambda i: measures[i].shortfall)
        working.share = measures[worst].shortfall
        if working.share > 0:
            working.triggers.add(worst)
            working.steps.append(
                f"Largest shortfall: {pct(working.share)} ({measures[worst].label}: "
                f"{pct(ONE - working.share)} achieved)."
            )
        else:
            working.steps.append("Largest shortfall: every obligation is at or above target.")
    elif rule == ClawbackRule.PROPORTIONAL:
        weighted = any(m.weight is not None for m in measures)
        weights = [Fraction(m.weight or 0) if weighted else ONE for m in measures]
        total = sum(weights)
        if total == 0:
            working.steps.append("Proportional: no obligation has a weight above zero.")
        else:
            parts = []
            for index, (measure, weight) in enumerate(zip(measures, weights, strict=True)):
                if weight and measure.shortfall:
                    working.triggers.add(index)
                parts.append(f"{measure.label} {pct(measure.shortfall)} short × weight {weight}")
            working.share = (
                sum(w * m.shortfall for m, w in zip(measures, weights, strict=True)) / total
            )
            how = "weighted" if weighted else "each obligation weighing the same"
            working.steps.append(
                f"Proportional, {how}: ({'; '.join(parts)}) ÷ total weight {total} = "
                f"{pct(working.share)} of the {working.basis_label}."
            )
    elif rule in (ClawbackRule.CLIFF, ClawbackRule.SCHEDULE):
        below = [i for i, m in enumerate(measures) if m.achieved is None or m.achieved < floor]
        working.triggers.update(below)
        name = "Cliff" if rule == ClawbackRule.CLIFF else "Recapture schedule"
        if not below:
            working.steps.append(
                f"{name} with its floor at {pct(floor)} of target: every obligation is at or "
                "above it."
            )
        else:
            first = measures[below[0]]
            achieved = "unknown" if first.achieved is None else pct(first.achieved)
            fell = (
                f"{name} with its floor at {pct(floor)} of target: {first.label} stands at "
                f"{achieved}, below the floor"
            )
            if rule == ClawbackRule.CLIFF:
                working.share = ONE
                working.steps.append(f"{fell}, so all of it is repaid.")
            else:
                schedule = [Fraction(p) / 100 for p in (terms.schedule or DEFAULT_SCHEDULE)]
                if held_since is None:
                    working.steps.append(f"{fell}; no award date, so the year held is unknown.")
                else:
                    year = years_held(held_since, as_of) + 1
                    working.share = schedule[year - 1] if year <= len(schedule) else Fraction(0)
                    shown = ", ".join(pct(p) for p in schedule)
                    working.steps.append(
                        f"{fell}, in year {year} held (since {held_since.isoformat()}); the "
                        f"schedule ({shown}) recaptures {pct(working.share)}."
                    )
    if rule == ClawbackRule.PENALTY:
        _penalty(working, terms, measures, base)
        return
    working.principal = base * working.share
    working.steps.append(
        f"Principal: {pct(working.share)} of the {working.basis_label} "
        f"{working.money(base)} = {working.money(working.principal)}."
    )


def _penalty(working, terms, measures, base) -> None:
    owed, parts = Fraction(0), []
    for index, measure in enumerate(measures):
        if measure.penalty_per_unit is None or not measure.units_short:
            continue
        charge = measure.units_short * Fraction(measure.penalty_per_unit)
        owed += charge
        working.triggers.add(index)
        parts.append(
            f"{measure.label}: {format_amount(exact_rounded(measure.units_short, 4), 0)}"
            f" {measure.unit} short × {working.money(measure.penalty_per_unit)} = "
            f"{working.money(charge)}"
        )
    if not parts:
        working.steps.append("Penalty: no obligation with a penalty per unit is short.")
        return
    cap = Fraction(terms.cap) if terms.cap is not None else base
    cap_label = "the cap" if terms.cap is not None else f"the {working.basis_label}"
    working.principal = min(owed, cap)
    capped = f", capped at {cap_label} {working.money(cap)}" if owed > cap else ""
    working.share = working.principal / base if base else Fraction(0)
    working.steps.append(
        f"Penalty: {'; '.join(parts)}. Together {working.money(owed)}{capped}: principal "
        f"{working.money(working.principal)}."
    )


def _interest(working, terms, tranches, as_of, held_since, rate_on) -> None:
    tranches = [t for t in tranches if t.on <= as_of and t.amount > 0]
    if not tranches:
        if held_since is None:
            working.steps.append("Interest: no disbursement or award date to run it from.")
            return
        tranches = [Tranche(held_since, working.basis)]
        origin = f"from the award ({held_since.isoformat()}), no disbursement being recorded"
    else:
        origin = "from each disbursement"
    received = sum(Fraction(t.amount) for t in tranches)
    how = "compound" if terms.interest == ClawbackInterest.COMPOUND else "simple"
    source = (
        f"the rate of the table “{terms.series}” in force at the start of each year"
        if terms.series
        else f"{_rate(terms.rate_pct)} a year"
    )
    working.steps.append(f"Interest, {how}, at {source}, {origin}, to {as_of.isoformat()}:")
    for tranche in tranches:
        principal = working.principal * Fraction(tranche.amount) / received
        balance, parts = principal, []
        for first, last, days in periods(tranche.on, as_of):
            years = Fraction(days, YEAR_DAYS)
            rate = (
                terms.rate_pct if not terms.series else (rate_on or _no_rate)(terms.series, first)
            )
            if rate is None:
                working.rate_missing = True
                parts.append(f"no {terms.series} rate in force on {first.isoformat()}: none")
                continue
            base = balance if terms.interest == ClawbackInterest.COMPOUND else principal
            charge = base * Fraction(rate) / 100 * years
            balance += charge
            span = f"{days}/{YEAR_DAYS} of a year"
            parts.append(f"{first.isoformat()} to {last.isoformat()}, {_rate(rate)} × {span}")
        interest = balance - principal
        working.interest += interest
        working.steps.append(
            f"On {working.money(principal)} of the principal, received {tranche.on.isoformat()}"
            f" ({working.money(tranche.amount)}): "
            f"{'; '.join(parts) or 'no time has run'} = {working.money(interest)}."
        )
    working.steps.append(f"Interest in all: {working.money(working.interest)}.")


def _rate(pct: Decimal) -> str:
    """`12.750` → `12.75%`."""
    return f"{plain_number(pct)}%"


def _no_rate(series: str, day: date) -> None:
    return None
