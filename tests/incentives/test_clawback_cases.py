"""Clawback cases worked by hand, each through the database (so the amounts round-trip the
money columns of SQLite and PostgreSQL) and the incentive's terms.

Every expected figure is worked in its comment: exact arithmetic, then one rounding,
half-up, to the currency's minor unit (JPY 0, EUR/HUF 2, KWD 3). Interest counts actual days
over a 365-day year (ACT/365) in yearly periods from each disbursement.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import pytest

from tests.factories import make_incentive, make_obligation
from tracker.extensions import db
from tracker.incentives.models import Disbursement, Incentive, InterestRate
from tracker.incentives.services import clawback_exposure

D = Decimal
AWARDED_ON = date(2025, 1, 1)
LATER = date(2099, 1, 1)  # obligations not yet due


@dataclass
class Case:
    name: str
    awarded: str
    obligations: list[tuple]  # (target, actual, weight, penalty per unit)
    expected: str
    rule: str = "pro_rata"
    currency: str = "EUR"
    received: str | None = None
    floor: str | None = None
    schedule: str | None = None
    cap: str | None = None
    interest: str = "none"
    rate: str | None = None
    series: str | None = None
    awarded_on: date = AWARDED_ON
    as_of: date = date(2026, 1, 1)
    tranches: list[tuple[date, str]] = field(default_factory=list)


def ob(target, actual, weight=None, penalty=None):
    return (target, actual, weight, penalty)


CASES = [
    # --- largest shortfall -------------------------------------------------------------
    # 60 of 100 jobs: 40 % short × 1,000,000 = 400,000.
    Case("largest 60 of 100", "1000000", [ob(100, 60)], "400000.00"),
    # 1 of 3 jobs: 2/3 × 1,230,000 = 820,000 exactly (66.7 % would give 820,410).
    Case("largest 1 of 3", "1230000", [ob(3, 1)], "820000.00"),
    # 99.99 of 100: 0.01 % × 400,000 = 40.
    Case("largest 99.99 %", "400000", [ob(100, "99.99")], "40.00"),
    # 90/100 (10 % short) and 150/200 (25 % short): the larger, 25 % × 2,000,000.
    Case("largest of two", "2000000", [ob(100, 90), ob(200, 150)], "500000.00"),
    # Over-achievement counts as 100 %, never below zero short: nothing.
    Case("largest over target", "1000000", [ob(100, 150), ob(100, 100)], "0.00"),
    # A target of 0 is met; the other is 50 % short: 500,000.
    Case("largest target zero", "1000000", [ob(0, 0), ob(100, 50)], "500000.00"),
    # 10^12 × 2/3 = 666,666,666,666.666… → .67.
    Case("largest 10^12", "1000000000000", [ob(3, 1)], "666666666666.67"),
    # JPY 1,000,000,001 × 50 % = 500,000,000.5 → 500,000,001 (whole yen, half-up).
    Case("largest JPY half", "1000000001", [ob(2, 1)], "500000001", currency="JPY"),
    # KWD 10.001 × 50 % = 5.0005 → 5.001 (three decimals, half-up).
    Case("largest KWD half", "10.001", [ob(2, 1)], "5.001", currency="KWD"),
    # The basis is what was received: 25 % × 500,000 = 125,000.
    Case("largest on received", "1000000", [ob(100, 75)], "125000.00", received="500000"),
    # EUR 100.01 × 50 % = 50.005 → 50.01 (half-up, once; half-even would give 50.00).
    Case("largest rounds half-up once", "100.01", [ob(2, 1)], "50.01"),
    # --- proportional --------------------------------------------------------------------
    # No weights: each the same. (40 % + 10 %) / 2 = 25 % × 2,000,000 = 500,000.
    Case("prop equal", "2000000", [ob(100, 60), ob(10, 9)], "500000.00", rule="proportional"),
    # Weights 70/30: (70 × 40 % + 30 × 10 %) / 100 = 31 % × 1,000,000 = 310,000.
    Case(
        "prop 70/30",
        "1000000",
        [ob(100, 60, 70), ob(10, 9, 30)],
        "310000.00",
        rule="proportional",
    ),
    # Weights 1 and 0: only the first counts, 40 % × 1,000,000.
    Case(
        "prop weight 0", "1000000", [ob(100, 60, 1), ob(10, 0, 0)], "400000.00", rule="proportional"
    ),
    # Weights 2 and 1, jobs 1 of 3 (2/3 short), investment met: (2 × 2/3) / 3 = 4/9 × 900,000.
    Case(
        "prop 1 of 3 weighted",
        "900000",
        [ob(3, 1, 2), ob(5, 5, 1)],
        "400000.00",
        rule="proportional",
    ),
    # Everything met: nothing.
    Case("prop all met", "900000", [ob(3, 3), ob(5, 6)], "0.00", rule="proportional"),
    # KWD 100 with three equal obligations, one 1/3 short: 1/9 × 100 = 11.111… → 11.111.
    Case(
        "prop KWD ninths",
        "100",
        [ob(3, 2), ob(1, 1), ob(1, 1)],
        "11.111",
        rule="proportional",
        currency="KWD",
    ),
    # 3 × 10^12, jobs half done, investment met, equal: 25 % → 750,000,000,000.
    Case(
        "prop 10^12",
        "3000000000000",
        [ob(2, 1), ob(1, 1)],
        "750000000000.00",
        rule="proportional",
    ),
    # --- cliff ---------------------------------------------------------------------------
    # Floor 100 %: 99.99 of 100 is below it, all 400,000 (rounded to 100 % it was nothing).
    Case(
        "cliff 99.99 at 100", "400000", [ob(100, "99.99")], "400000.00", rule="cliff", floor="100"
    ),
    # Floor 100 %, target reached: nothing.
    Case("cliff met at 100", "400000", [ob(100, 100)], "0.00", rule="cliff", floor="100"),
    # Floor 80 %: 79.996 % is below it, all 9,680,000 (rounded to 80.0 % it was nothing).
    Case("cliff 79.996", "9680000", [ob(100, "79.996")], "9680000.00", rule="cliff", floor="80"),
    # Floor 80 %, exactly 80 %: not below, nothing.
    Case("cliff exactly 80", "9680000", [ob(100, 80)], "0.00", rule="cliff", floor="80"),
    # Floor 0 %: nothing can be below it, even with no progress at all.
    Case("cliff floor 0", "500000", [ob(100, 0)], "0.00", rule="cliff", floor="0"),
    # Floor 0 % with no actual recorded (counts as 0): still nothing.
    Case("cliff floor 0 no actual", "500000", [ob(100, None)], "0.00", rule="cliff", floor="0"),
    # --- recapture schedule (by year held since the award) -------------------------------
    # Awarded 2024-03-01, measured 2026-02-28: one whole year held, in year 2 → 80 %.
    Case(
        "schedule year 2",
        "1000000",
        [ob(100, 90)],
        "800000.00",
        rule="schedule",
        awarded_on=date(2024, 3, 1),
        as_of=date(2026, 2, 28),
    ),
    # The next day two whole years are held, year 3 → 60 %.
    Case(
        "schedule year 3",
        "1000000",
        [ob(100, 90)],
        "600000.00",
        rule="schedule",
        awarded_on=date(2024, 3, 1),
        as_of=date(2026, 3, 1),
    ),
    # Six whole years held (year 7): past the schedule, nothing.
    Case(
        "schedule past its end",
        "1000000",
        [ob(100, 90)],
        "0.00",
        rule="schedule",
        awarded_on=date(2020, 1, 1),
        as_of=date(2026, 1, 1),
    ),
    # Schedule 100/75/50/25, in year 4 (three whole years): 25 % × 2,000,000.
    Case(
        "schedule custom year 4",
        "2000000",
        [ob(100, 10)],
        "500000.00",
        rule="schedule",
        schedule="100, 75, 50, 25",
        awarded_on=date(2022, 6, 15),
        as_of=date(2025, 6, 15),
    ),
    # Floor 90 %, achieved 95 %: not below, nothing whatever the year.
    Case("schedule above floor", "1000000", [ob(100, 95)], "0.00", rule="schedule", floor="90"),
    # Awarded on a leap day: on 2025-02-28 the first year is not yet complete → 100 %.
    Case(
        "schedule leap day year 1",
        "1000000",
        [ob(100, 0)],
        "1000000.00",
        rule="schedule",
        awarded_on=date(2024, 2, 29),
        as_of=date(2025, 2, 28),
    ),
    # … and on 2025-03-01 it is: year 2 → 80 %.
    Case(
        "schedule leap day year 2",
        "1000000",
        [ob(100, 0)],
        "800000.00",
        rule="schedule",
        awarded_on=date(2024, 2, 29),
        as_of=date(2025, 3, 1),
    ),
    # --- penalty per unit short, capped ---------------------------------------------------
    # 10 jobs short × 5,000 = 50,000, under the cap (the 1,000,000 received).
    Case(
        "penalty simple",
        "1000000",
        [ob(100, 90, None, "5000")],
        "50000.00",
        rule="penalty",
        received="1000000",
    ),
    # 300 short × 5,000 = 1,500,000, capped at the 1,000,000 received.
    Case(
        "penalty capped at received",
        "1000000",
        [ob(300, 0, None, "5000")],
        "1000000.00",
        rule="penalty",
        received="1000000",
    ),
    # The same with a cap of 200,000 in the agreement.
    Case(
        "penalty explicit cap",
        "1000000",
        [ob(300, 0, None, "5000")],
        "200000.00",
        rule="penalty",
        cap="200000",
    ),
    # 10 jobs × 5,000 + 2.5 (EUR m of investment) × 10,000 = 50,000 + 25,000 = 75,000.
    Case(
        "penalty two obligations",
        "1000000",
        [ob(100, 90, None, "5000"), ob(20, "17.5", None, "10000")],
        "75000.00",
        rule="penalty",
    ),
    # 0.5 FTE short × 3,333.33 = 1,666.665 → 1,666.67.
    Case(
        "penalty half unit",
        "1000000",
        [ob(10, "9.5", None, "3333.33")],
        "1666.67",
        rule="penalty",
    ),
    # JPY: 3 short × 333,333 = 999,999.
    Case(
        "penalty JPY",
        "5000000",
        [ob(10, 7, None, "333333")],
        "999999",
        rule="penalty",
        currency="JPY",
    ),
    # Short, but no penalty agreed for it: nothing.
    Case("penalty none agreed", "1000000", [ob(100, 50)], "0.00", rule="penalty"),
    # --- interest --------------------------------------------------------------------------
    # 400,000 × 5 % × 1 year (2025-01-01 → 2026-01-01) = 20,000 → 420,000.
    Case(
        "simple one year",
        "1000000",
        [ob(100, 60)],
        "420000.00",
        interest="simple",
        rate="5",
    ),
    # 182 of 365 days: 400,000 × 5 % × 182/365 = 9,972.6027… → 409,972.60.
    Case(
        "simple 182 days",
        "1000000",
        [ob(100, 60)],
        "409972.60",
        interest="simple",
        rate="5",
        as_of=date(2025, 7, 2),
    ),
    # In a leap year: 182 days, 100,000 × 6 % × 182/365 = 2,991.7808… → 102,991.78.
    Case(
        "simple leap year part",
        "100000",
        [ob(1, 0)],
        "102991.78",
        rule="cliff",
        floor="100",
        interest="simple",
        rate="6",
        awarded_on=date(2024, 1, 1),
        as_of=date(2024, 7, 1),
    ),
    # Two years across 29 Feb 2024: 366 + 365 days, 100,000 × 6 % × 731/365 = 12,016.4383…
    # → 112,016.44.
    Case(
        "simple across a leap day",
        "100000",
        [ob(1, 0)],
        "112016.44",
        rule="cliff",
        floor="100",
        interest="simple",
        rate="6",
        awarded_on=date(2023, 6, 1),
        as_of=date(2025, 6, 1),
    ),
    # Compound, two years at 5 % from 2023-01-01: the second holds 29 Feb (366 days), so
    # 100,000 × 1.05 × (1 + 5 % × 366/365) = 105,000 + 5,264.3835… = 110,264.3835… → .38.
    Case(
        "compound two years",
        "100000",
        [ob(1, 0)],
        "110264.38",
        rule="cliff",
        floor="100",
        interest="compound",
        rate="5",
        awarded_on=date(2023, 1, 1),
        as_of=date(2025, 1, 1),
    ),
    # Compound, two years as above and 182 days: 110,264.3835… × (1 + 5 % × 182/365) =
    # 110,264.3835… + 5,513.2191… × 182/365 = 110,264.3835… + 2,749.0572… = 113,013.4407…
    # → 113,013.44.
    Case(
        "compound two and a half years",
        "100000",
        [ob(1, 0)],
        "113013.44",
        rule="cliff",
        floor="100",
        interest="compound",
        rate="5",
        awarded_on=date(2023, 1, 1),
        as_of=date(2025, 7, 2),
    ),
    # Tranches 600,000 (2024-01-01) and 400,000 (2025-01-01); 50 % short → 500,000, split
    # 300,000 and 200,000. Simple 4 % to 2026-01-01: 300,000 × 4 % × 731/365 (2024 has 366
    # days) + 200,000 × 4 % × 365/365 = 24,032.8767… + 8,000 → 532,032.88.
    Case(
        "simple from each tranche",
        "1000000",
        [ob(2, 1)],
        "532032.88",
        interest="simple",
        rate="4",
        awarded_on=date(2024, 1, 1),
        tranches=[(date(2024, 1, 1), "600000"), (date(2025, 1, 1), "400000")],
    ),
    # The same compound: 300,000 × (1 + 4 % × 366/365) × 1.04 − 300,000 = 312,032.8767… ×
    # 1.04 − 300,000 = 24,514.1917…; 200,000 × 4 % = 8,000 → 532,514.19.
    Case(
        "compound from each tranche",
        "1000000",
        [ob(2, 1)],
        "532514.19",
        interest="compound",
        rate="4",
        awarded_on=date(2024, 1, 1),
        tranches=[(date(2024, 1, 1), "600000"), (date(2025, 1, 1), "400000")],
    ),
    # A tranche still to come on the day is not counted: basis 600,000, 50 % → 300,000, with
    # 4 % simple for 731 days (12,000 × 731/365 = 24,032.8767…) → 324,032.88.
    Case(
        "tranche not yet received",
        "1000000",
        [ob(2, 1)],
        "324032.88",
        interest="simple",
        rate="4",
        awarded_on=date(2024, 1, 1),
        tranches=[(date(2024, 1, 1), "600000"), (date(2026, 6, 1), "400000")],
    ),
    # Rate table: 4 % from 2023-01-01, 6 % from 2024-01-01; 100,000 received 2023-07-01,
    # all of it repaid. The year from 2023-07-01 (366 days) takes 4 %, the year from
    # 2024-07-01 6 %: compound 100,000 × (1 + 4 % × 366/365) × 1.06 = 104,010.9589… × 1.06
    # = 110,251.6164… → 110,251.62.
    Case(
        "compound from the rate table",
        "100000",
        [ob(1, 0)],
        "110251.62",
        rule="cliff",
        floor="100",
        interest="compound",
        series="EU recovery HU",
        awarded_on=date(2023, 7, 1),
        as_of=date(2025, 7, 1),
        tranches=[(date(2023, 7, 1), "100000")],
    ),
    # The same simple: 4,000 × 366/365 + 6,000 = 4,010.9589… + 6,000 → 110,010.96.
    Case(
        "simple from the rate table",
        "100000",
        [ob(1, 0)],
        "110010.96",
        rule="cliff",
        floor="100",
        interest="simple",
        series="EU recovery HU",
        awarded_on=date(2023, 7, 1),
        as_of=date(2025, 7, 1),
        tranches=[(date(2023, 7, 1), "100000")],
    ),
    # A penalty of 10 × 5,000 = 50,000 with 5 % simple for a year from the award → 52,500.
    Case(
        "penalty with interest",
        "1000000",
        [ob(100, 90, None, "5000")],
        "52500.00",
        rule="penalty",
        interest="simple",
        rate="5",
    ),
    # JPY 1,000,000 all repaid, 1.5 % simple for 100 days: 4,109.589… → 1,004,110 yen.
    Case(
        "JPY interest",
        "1000000",
        [ob(1, 0)],
        "1004110",
        rule="cliff",
        floor="100",
        currency="JPY",
        interest="simple",
        rate="1.5",
        as_of=date(2025, 4, 11),
    ),
    # 10^12 all repaid with 3 % compound for two years: × 1.0609 → 1,060,900,000,000.
    Case(
        "10^12 compound",
        "1000000000000",
        [ob(1, 0)],
        "1060900000000.00",
        rule="cliff",
        floor="100",
        interest="compound",
        rate="3",
        as_of=date(2027, 1, 1),
    ),
    # 10^15 + 0.37 all repaid: exactly that, to the cent.
    Case(
        "10^15 + 0.37",
        "1000000000000000.37",
        [ob(1, 0)],
        "1000000000000000.37",
        rule="cliff",
        floor="100",
    ),  # fmt: skip
]


def _build(case: Case) -> Incentive:
    if case.series:
        for day, rate in ((date(2023, 1, 1), "4"), (date(2024, 1, 1), "6")):
            db.session.add(InterestRate(series=case.series, effective_on=day, rate_pct=D(rate)))
    incentive = make_incentive(
        status="in_compliance",
        currency=case.currency,
        amount_offered=D(case.awarded),
        amount_awarded=D(case.awarded),
        amount_received=D(case.received) if case.received else None,
        awarded_on=case.awarded_on,
        clawback_rule=case.rule,
        clawback_floor_pct=D(case.floor) if case.floor else None,
        clawback_schedule=case.schedule,
        clawback_cap=D(case.cap) if case.cap else None,
        clawback_interest=case.interest,
        clawback_interest_pct=D(case.rate) if case.rate else None,
        clawback_rate_series=case.series,
    )
    for index, (target, actual, weight, penalty) in enumerate(case.obligations):
        make_obligation(
            incentive,
            target=str(target),
            actual=None if actual is None else str(actual),
            due_on=LATER,
            kind="jobs" if index == 0 else "capex",
            clawback_weight=None if weight is None else D(weight),
            penalty_per_unit=None if penalty is None else D(penalty),
        )
    for day, amount in case.tranches:
        db.session.add(Disbursement(incentive=incentive, paid_on=day, amount=D(amount)))
    db.session.commit()
    db.session.expire_all()  # read back what the database kept
    return db.session.get(Incentive, incentive.id)


def test_there_are_at_least_forty_cases():
    assert len(CASES) >= 40
    assert len({case.name for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_clawback_case_worked_by_hand(app, case):
    incentive = _build(case)
    exposure = clawback_exposure(incentive, case.as_of)
    assert exposure.amount == D(case.expected), exposure.steps
    # The figure is in the currency's minor unit: no more decimals than it has.
    places = {"JPY": 0, "KWD": 3}.get(case.currency, 2)
    assert exposure.amount == exposure.amount.quantize(D(1).scaleb(-places))


def test_ten_to_the_fifteenth_and_37_cents_round_trips_exactly(app):
    amount = D("1000000000000000.37")
    incentive = make_incentive(amount_offered=amount, amount_awarded=amount)
    db.session.commit()
    db.session.expire_all()
    kept = db.session.get(Incentive, incentive.id)
    assert kept.amount_awarded == amount
    # And an SQL sum of two stays exact (a float gives …0.75 or …0.74 back).
    make_incentive(amount_offered=amount)
    db.session.commit()
    from sqlalchemy import func, select

    total = db.session.scalar(select(func.sum(Incentive.amount_offered)))
    assert total == D("2000000000000000.74")
