"""An incentive's clawback exposure and its obligations' status, stored
(`tracker.core.states`): re-derived whenever the incentive or one of its obligations is
written, and by the scan on the next day the calendar alone changes them (the days left
count down, interest accrues, an obligation falls due short); and the exposure as it stood
at each kept month end."""

from datetime import date, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from tracker.core.derived import Source, register_source
from tracker.core.states import (
    Judgement,
    MonthEndSource,
    State,
    StoredState,
    register_month_end_source,
)
from tracker.core.types import today
from tracker.extensions import db
from tracker.incentives.models import (
    Disbursement,
    Incentive,
    IncentiveStatusChange,
    InterestRate,
    Obligation,
)
from tracker.incentives.services import (
    EXPOSURE_STATES,
    OBLIGATION_STATES,
    Exposure,
    InterestRates,
    clawback_exposure,
    exposure_at,
    obligation_status,
    period_start,
)

CLAWBACK_EXPOSURE = "clawback_exposure"
OBLIGATION_STATUS = "obligation_status"


def next_exposure_change(exposure: Exposure, as_of: date) -> date | None:
    """The first day after `as_of` on which the calendar alone may change the exposure:
    tomorrow while interest accrues, else the day after a short obligation falls due."""
    if exposure.accruing:
        return as_of + timedelta(days=1)
    return min(
        (
            s.obligation.due_on + timedelta(days=1)
            for s in exposure.shortfalls
            if s.short and s.obligation.due_on >= as_of
        ),
        default=None,
    )


def derive(ids: list[int]) -> dict[int, list[State]]:
    as_of = today()
    tomorrow = as_of + timedelta(days=1)
    tolerance = current_app.config["OBLIGATION_AT_RISK_TOLERANCE"]
    incentives = db.session.scalars(
        select(Incentive)
        .where(Incentive.id.in_(ids))
        .options(selectinload(Incentive.obligations), selectinload(Incentive.disbursements))
        .execution_options(populate_existing=True)
    )
    derived, rates = {}, InterestRates()
    for incentive in incentives:
        exposure = clawback_exposure(incentive, as_of, rates)
        state = exposure.state
        rows = [
            State(
                "incentives",
                incentive.id,
                CLAWBACK_EXPOSURE,
                state,
                EXPOSURE_STATES.index(state),
                " ".join(exposure.steps),
                next_exposure_change(exposure, as_of),
                exposure.amount,
                incentive.currency,
            )
        ]
        start = period_start(incentive)
        for obligation in incentive.obligations:
            status = obligation_status(obligation, start, as_of, tolerance)
            rows.append(
                State(
                    "obligations",
                    obligation.id,
                    OBLIGATION_STATUS,
                    status.state,
                    OBLIGATION_STATES.index(status.state),
                    status.reason,
                    tomorrow if status.state in ("on_track", "at_risk") else None,
                )
            )
        derived[incentive.id] = rows
    return derived


def judge_at(ids: list[int] | None, day: date) -> dict[int, list[Judgement]]:
    """The exposure at the end of `day` of each incentive then holding an award: `state`
    the status it had, `reason` the rule, `share` the share of the basis repaid, `flagged`
    an obligation past due and short."""
    return {
        incentive_id: [
            Judgement(
                day,
                "incentives",
                incentive_id,
                CLAWBACK_EXPOSURE,
                status,
                EXPOSURE_STATES.index(exposure.state),
                exposure.rule,
                incentive.title,
                exposure.amount,
                incentive.currency,
                exposure.share_pct,
                exposure.missed,
            )
        ]
        for incentive_id, (incentive, status, exposure) in exposure_at(ids, day).items()
    }


def _charging(rate: InterestRate) -> list[int]:
    """The incentives whose interest reads `rate`'s table (read on the flush's connection:
    no autoflush inside a flush)."""
    query = select(Incentive.id).where(Incentive.clawback_rate_series == rate.series)
    return list(db.session.connection().scalars(query))


TOUCHES = {
    Incentive: lambda incentive: [incentive.id],
    Obligation: lambda obligation: [obligation.incentive_id],
    Disbursement: lambda disbursement: [disbursement.incentive_id],
    InterestRate: _charging,
}


def every_incentive():
    return db.session.scalars(select(Incentive.id))


register_source(Source(StoredState.__table__, "incentives", TOUCHES, derive, every_incentive))
register_month_end_source(
    MonthEndSource(
        "incentives",
        {**TOUCHES, IncentiveStatusChange: lambda change: [change.incentive_id]},
        judge_at,
        every_incentive,
    )
)
