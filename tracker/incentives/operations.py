"""Every write to incentives, their obligations, compliance reports and agency promises, and
to FX rates.

Views, imports, commands and the demo data call these functions and nothing else to write.
Each takes plain, already-typed values and the acting user (`actor`; None for the system),
enforces every rule of the domain as `DomainError(message, field)` (the field named as in
the forms and the import columns' `attr`), records the audit event and flushes. The caller
commits.

Updates take a partial dict of field → value (fields left out keep their stored value)
and the version the edit was made on (`expected_version`, from the form's hidden field;
None from imports and commands skips the check): a stale edit raises `StaleRecord` and
writes nothing.

An obligation's, a report's or a promise's event is recorded on it with its incentive as
parent, so the incentive's history shows it. A deletion keeps the record's state, so
`RESTORERS` can bring it back.
"""

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from sqlalchemy import select

from tracker.auth.models import User
from tracker.auth.services import active_user
from tracker.core import audit, readings
from tracker.core.codes import country_name, in_eea, is_currency
from tracker.core.errors import DomainError
from tracker.core.models import AuditEvent, FxRate
from tracker.core.money import money, plain_number, reporting_currency
from tracker.core.records import (
    check_version,
    delete_record,
    deletion_state,
    flush,
    record_create,
    record_update,
)
from tracker.core.types import today as today_
from tracker.core.values import (
    NOT_A_CHOICE,
    REQUIRED,
    assign,
    changed,
    date_in_range,
    existing,
    happened,
    number_fitting,
    one_of,
    plain,
    require,
    stored,
    within_lengths,
    within_minor_units,
)
from tracker.extensions import db
from tracker.incentives import services
from tracker.incentives.models import (
    AgencyPromise,
    ClawbackInterest,
    ClawbackRule,
    ComplianceReport,
    Disbursement,
    Incentive,
    IncentiveKind,
    IncentiveStatus,
    IncentiveStatusChange,
    InterestRate,
    Obligation,
    ObligationKind,
    PromiseKind,
    PromiseStatus,
)
from tracker.partners.models import Partner, Region

S = IncentiveStatus

INCENTIVE_FIELDS = [
    "title",
    "kind",
    "granting_partner_id",
    "region_id",
    "owner_id",
    "currency",
    "amount_offered",
    "amount_awarded",
    "amount_received",
    "application_deadline",
    "decision_expected_on",
    "term_start_on",
    "term_end_on",
    "clawback_rule",
    "clawback_floor_pct",
    "clawback_interest",
    "clawback_interest_pct",
    "clawback_rate_series",
    "clawback_schedule",
    "clawback_cap",
    "clawback_terms",
    "is_state_aid",
    "aid_scheme_number",
    "aid_type",
    "aid_objective",
    "nace_code",
    "aid_granted_on",
    "is_de_minimis",
    "gross_grant_equivalent",
    "beneficiary",
    "beneficiary_national_id",
    "project_number",
    "eligible_cost",
    "aid_intensity_pct",
    "description",
]
# An update may name a status too: it must be the pipeline's next step (see `transition`).
INCENTIVE_UPDATE_FIELDS = [*INCENTIVE_FIELDS, "status"]
OBLIGATION_FIELDS = [
    "kind",
    "description",
    "target_value",
    "unit",
    "actual_value",
    "actual_as_of",
    "due_on",
    "owner_id",
    "clawback_weight",
    "penalty_per_unit",
]
REPORT_FIELDS = ["title", "due_on", "submitted_on", "note"]
PROMISE_FIELDS = ["kind", "description", "due_on", "amount", "status", "delivered_on", "note"]
FX_RATE_FIELDS = ["currency", "reporting_currency", "rate", "effective_on"]
DISBURSEMENT_FIELDS = ["paid_on", "amount", "promise_id", "note"]
INTEREST_RATE_FIELDS = ["series", "effective_on", "rate_pct"]

# The messages the forms show: a form and an import row read the same.
NEGATIVE_AMOUNT = "Amounts cannot be negative."
PERCENT_RANGE = "Number must be between 0 and 100."
TERM_ORDER = "The term ends before it starts."
RECEIVED_ABOVE_AWARDED = "More received than awarded: check both amounts."
CLIFF_NEEDS_FLOOR = "A cliff needs its floor: the share of target below which all of it is repaid."
SCHEDULE_FORMAT = (
    "Write the schedule as the percentages recaptured by year held, from the first, e.g. "
    "100, 80, 60, 40, 20."
)
INTEREST_NEEDS_RATE = "Give the fixed rate, or choose a rate table."
INTEREST_RATE_OR_TABLE = "Give a fixed rate or a rate table, not both."
INTEREST_NOT_CHARGED = "Interest is set to none: choose simple or compound, or clear the rate."
RECEIVED_FROM_DISBURSEMENTS = (
    "Received so far is the sum of the disbursements recorded below: add or delete a "
    "disbursement instead."
)
SCHEME_FORMAT = "Use the Commission's form SA.12345."
NACE_FORMAT = "Use a NACE code such as 27.20 or C."
DE_MINIMIS_IS_STATE_AID = "De minimis aid is EU state aid: tick that too."
DE_MINIMIS_NEEDS_GRANT_DATE = "Give the date the aid was granted: the ceiling counts from it."
# Kinds whose nominal amount is not the aid: de minimis counts their gross grant equivalent.
HOLDING_AID = (IncentiveKind.LOAN, IncentiveKind.GUARANTEE)
GGE_NEEDED = (
    "A loan or guarantee counts towards de minimis by its gross grant equivalent (the aid it "
    "holds, as the granting body states it), not its amount: enter it."
)
CONFIRM_CEILING = " Tick the box to award it anyway."
REPORT_IN_FUTURE = "A report cannot be submitted in the future."
DELIVERY_DATE_NEEDED = "Give the delivery date."
DELIVERY_DATE_ONLY_IF_DELIVERED = "Only a delivered promise has a delivery date."
DELIVERY_IN_FUTURE = "A delivery date cannot be in the future."
RATE_NOT_POSITIVE = "A rate must be above zero."

SCHEME_RE = re.compile(r"^SA\.\d{5,6}$")
NACE_RE = re.compile(r"^[A-U](\d{2}(\.\d{1,2})?)?$|^\d{2}(\.\d{1,2})?$")
HUNDRED = Decimal(100)


# --- Checking values ------------------------------------------------------------------------


def _not_negative(merged: dict[str, Any], message: str, *fields: str) -> None:
    for name in fields:
        value = merged.get(name)
        if value is not None and value < 0:
            raise DomainError(message, name)


def _percent(merged: dict[str, Any], *fields: str) -> None:
    for name in fields:
        value = merged.get(name)
        if value is not None and not 0 <= value <= HUNDRED:
            raise DomainError(PERCENT_RANGE, name)


def check_within_term(incentive: Incentive, day: date, field: str) -> None:
    """An obligation's or a report's date must fall within the incentive's term."""
    start, end = incentive.term_start_on, incentive.term_end_on
    if (start and day < start) or (end and day > end):
        term = f"{start.isoformat() if start else '…'} to {end.isoformat() if end else '…'}"
        raise DomainError(f"{day.isoformat()} is outside the incentive's term ({term}).", field)


# --- Incentives ---------------------------------------------------------------------------


def _checked_incentive(values: dict[str, Any], incentive: Incentive | None) -> dict[str, Any]:
    """The values, normalised, once every rule of an incentive holds for them together with
    what is stored (a partial update is checked as the whole record it makes)."""
    values = plain(values, INCENTIVE_UPDATE_FIELDS, Incentive)
    if isinstance(values.get("currency"), str):
        values["currency"] = values["currency"].upper()
    for flag in ("is_state_aid", "is_de_minimis"):
        if flag in values:
            values[flag] = bool(values[flag])
    if incentive is None:
        values.setdefault("status", None)
        values["status"] = values["status"] or S.IDENTIFIED.value
        values["clawback_rule"] = values.get("clawback_rule") or ClawbackRule.NONE.value
        values.setdefault("is_state_aid", False)
        values.setdefault("is_de_minimis", False)
    elif "clawback_rule" in values and values["clawback_rule"] is None:
        values["clawback_rule"] = ClawbackRule.NONE.value
    merged = {**stored(incentive, INCENTIVE_UPDATE_FIELDS), **values}
    if merged.get("clawback_interest") is None:
        # Not said: a rate given means simple interest (as before there was a choice).
        charged = merged.get("clawback_interest_pct") or merged.get("clawback_rate_series")
        interest = ClawbackInterest.SIMPLE if charged else ClawbackInterest.NONE
        values["clawback_interest"] = merged["clawback_interest"] = interest.value

    require(merged, "title", "kind")
    if merged.get("granting_partner_id") is None:
        raise DomainError("Choose the body.", "granting_partner_id")
    require(merged, "currency")
    one_of(merged, "kind", IncentiveKind)
    one_of(merged, "status", IncentiveStatus)
    one_of(merged, "clawback_rule", ClawbackRule)
    if not is_currency(merged["currency"]):
        raise DomainError(
            f"{merged['currency']} is not an ISO 4217 currency code (e.g. EUR, HUF).", "currency"
        )
    within_minor_units(Incentive, merged, merged["currency"])
    within_lengths(Incentive, values)
    if changed(values, incentive, "granting_partner_id"):
        existing(Partner, values["granting_partner_id"], "granting_partner_id", "Choose the body.")
    if changed(values, incentive, "region_id"):
        existing(Region, values["region_id"], "region_id", "Choose a region from the list.")
    if changed(values, incentive, "owner_id"):
        active_user(values["owner_id"], "owner_id")

    _not_negative(
        merged,
        NEGATIVE_AMOUNT,
        "amount_offered",
        "amount_awarded",
        "amount_received",
        "gross_grant_equivalent",
        "eligible_cost",
        "clawback_cap",
    )
    _percent(merged, "clawback_floor_pct", "clawback_interest_pct", "aid_intensity_pct")
    start, end = merged.get("term_start_on"), merged.get("term_end_on")
    if start and end and end < start:
        raise DomainError(TERM_ORDER, "term_end_on")
    received, awarded = merged.get("amount_received"), merged.get("amount_awarded")
    if received and awarded is not None and received > awarded:
        raise DomainError(RECEIVED_ABOVE_AWARDED, "amount_received")
    _check_clawback_terms(values, merged, incentive)
    if merged.get("aid_scheme_number") and not SCHEME_RE.match(merged["aid_scheme_number"]):
        raise DomainError(SCHEME_FORMAT, "aid_scheme_number")
    if merged.get("nace_code") and not NACE_RE.match(merged["nace_code"]):
        raise DomainError(NACE_FORMAT, "nace_code")
    if merged.get("is_state_aid"):
        grantor = db.session.get(Partner, merged["granting_partner_id"])
        if grantor is not None and not in_eea(grantor.country_code):
            raise DomainError(
                f"EU state aid, de minimis included, is granted by an EU or EEA state: "
                f"{grantor.name} is in {country_name(grantor.country_code)}. Untick it.",
                "is_state_aid",
            )
    if merged.get("is_de_minimis"):
        if not merged.get("is_state_aid"):
            raise DomainError(DE_MINIMIS_IS_STATE_AID, "is_de_minimis")
        if not merged.get("aid_granted_on"):
            raise DomainError(DE_MINIMIS_NEEDS_GRANT_DATE, "is_de_minimis")
        if merged["kind"] in HOLDING_AID and merged.get("gross_grant_equivalent") is None:
            raise DomainError(GGE_NEEDED, "gross_grant_equivalent")
    equivalent = merged.get("gross_grant_equivalent")
    nominal = merged.get("amount_awarded") or merged.get("amount_offered")
    if equivalent is not None and nominal is not None and equivalent > nominal:
        raise DomainError(
            f"The gross grant equivalent is the aid within the amount: it cannot be more than "
            f"{merged['currency']} {nominal:,.2f}.",
            "gross_grant_equivalent",
        )
    if incentive is not None and (start, end) != (incentive.term_start_on, incentive.term_end_on):
        for obligation in incentive.obligations:
            day = obligation.due_on
            if (start and day < start) or (end and day > end):
                raise DomainError(
                    f"An obligation is due {day.isoformat()}, outside this term: move it first.",
                    "term_start_on" if start and day < start else "term_end_on",
                )
    return values


def _check_clawback_terms(
    values: dict[str, Any], merged: dict[str, Any], incentive: Incentive | None
) -> None:
    """The terms hold together: a cliff has its floor, a schedule reads as percentages by
    year, interest has its rate (fixed or a rate table that exists) and only when charged;
    received money comes from the disbursements once there are any."""
    one_of(merged, "clawback_interest", ClawbackInterest)
    if merged["clawback_rule"] == ClawbackRule.CLIFF and merged.get("clawback_floor_pct") is None:
        raise DomainError(CLIFF_NEEDS_FLOOR, "clawback_rule")
    if values.get("clawback_schedule") is not None:
        try:
            schedule = services.parse_schedule(values["clawback_schedule"])
        except (ValueError, ArithmeticError):
            raise DomainError(SCHEDULE_FORMAT, "clawback_schedule") from None
        if len(schedule) > 50:
            raise DomainError(SCHEDULE_FORMAT, "clawback_schedule")
        values["clawback_schedule"] = ", ".join(plain_number(p) for p in schedule) or None
    rate, series = merged.get("clawback_interest_pct"), merged.get("clawback_rate_series")
    if merged["clawback_interest"] == ClawbackInterest.NONE:
        if rate or series:
            field = "clawback_interest_pct" if rate else "clawback_rate_series"
            raise DomainError(INTEREST_NOT_CHARGED, field)
    elif rate is None and not series:
        raise DomainError(INTEREST_NEEDS_RATE, "clawback_interest_pct")
    elif rate is not None and series:
        raise DomainError(INTEREST_RATE_OR_TABLE, "clawback_rate_series")
    if series and changed(values, incentive, "clawback_rate_series"):
        known = db.session.scalar(
            select(InterestRate.id).where(InterestRate.series == series).limit(1)
        )
        if known is None:
            raise DomainError(
                f"There is no rate table named {series}: an admin adds its rates on the "
                "Interest rates page.",
                "clawback_rate_series",
            )
    if (
        incentive is not None
        and incentive.disbursements
        and changed(values, incentive, "amount_received")
    ):
        raise DomainError(RECEIVED_FROM_DISBURSEMENTS, "amount_received")


# The dates a record's pipeline can be given when it is created or imported, entered after
# the fact: each dates the step it names. `closed_on` dates the end, whichever it was
# (closed, rejected, clawed back or withdrawn).
STEP_DATES = {
    "identified_on": S.IDENTIFIED,
    "submitted_on": S.SUBMITTED,
    "awarded_on": S.AWARDED,
    "closed_on": None,
}
# Each status, by how far along the pipeline it is.
REACHED = {
    S.IDENTIFIED: 0, S.PREPARING: 1, S.SUBMITTED: 2, S.REJECTED: 3, S.AWARDED: 3,
    S.IN_COMPLIANCE: 4, S.CLOSED: 5, S.CLAWED_BACK: 5, S.WITHDRAWN: 5,
}  # fmt: skip
ENDED = (S.CLOSED, S.REJECTED, S.CLAWED_BACK, S.WITHDRAWN)
STEP_LABELS = {
    "identified_on": "Identified on",
    "submitted_on": "Submitted on",
    "awarded_on": "Awarded on",
    "closed_on": "Ended on",
}


def _dated_steps(
    status: str, dates: dict[str, date | None], on: date | None
) -> list[tuple[str, date]]:
    """The pipeline history a new record starts with: a line for each step dated in `dates`
    (in pipeline order, each on or after the one before, none after today, none past the
    record's `status`), ending at `status`, dated its own step's date or the last date
    given. Without any date, one line to `status` dated `on` (today by default)."""
    now = today_()
    given = [(name, dates[name]) for name in STEP_DATES if dates.get(name) is not None]
    for name, day in given:
        date_in_range(day, name)
        if day > now:
            raise DomainError(
                f"{STEP_LABELS[name]} {day.isoformat()} is still to come: a step is dated "
                "on the day it happened.",
                name,
            )
    for (before, earlier), (name, later) in zip(given, given[1:], strict=False):
        if later < earlier:
            raise DomainError(
                f"{STEP_LABELS[name]} {later.isoformat()} comes before "
                f"{STEP_LABELS[before].lower()} {earlier.isoformat()}.",
                name,
            )
    reached = REACHED[status]
    for name, _day in given:
        step = STEP_DATES[name]
        too_far = status not in ENDED if step is None else REACHED[step] > reached
        if too_far or (step == S.AWARDED and status == S.REJECTED):
            raise DomainError(
                f"{STEP_LABELS[name]} is given, but the incentive is "
                f"{S(status).label.lower()}: it has not got that far.",
                name,
            )
    if not given:
        return [(status, on or now)]
    steps = [(step or status, day) for name, day in given for step in [STEP_DATES[name]]]
    if steps[-1][0] != status:
        steps.append((status, steps[-1][1]))
    return steps


def create_incentive(
    values: dict[str, Any],
    *,
    actor: User | None,
    on: date | None = None,
    note: str | None = None,
) -> Incentive:
    """Record an incentive (fields of `INCENTIVE_FIELDS`, and optionally `status`, by
    default Identified) and its pipeline history: dated by the `STEP_DATES` among `values`
    (an award made in 2025 entered today keeps its 2025 dates; see `_dated_steps`), else
    one line dated `on` (today by default). The first line's note is `note` (by default
    "Recorded")."""
    values = dict(values)
    dates = {name: values.pop(name, None) for name in STEP_DATES}
    values = _checked_incentive(values, None)
    steps = _dated_steps(values["status"], dates, on)
    incentive = Incentive(**values)
    db.session.add(incentive)
    before = None
    for index, (status, day) in enumerate(steps):
        incentive.status_changes.append(
            IncentiveStatusChange(
                from_status=before,
                to_status=status,
                changed_on=day,
                user_id=getattr(actor, "id", None),
                note=(note or "Recorded") if index == 0 else None,
            )
        )
        before = status
    if dates["awarded_on"] is not None:
        incentive.awarded_on = dates["awarded_on"]
    flush(incentive)
    audit.record(
        "create",
        incentive,
        f"Created incentive {incentive.title}",
        audit.track(incentive, [*INCENTIVE_UPDATE_FIELDS, "awarded_on"]).created(),
        actor=actor,
    )
    return incentive


def update_incentive(
    incentive: Incentive,
    values: dict[str, Any],
    *,
    actor: User | None,
    expected_version: int | None = None,
    note: str | None = None,
) -> Incentive:
    """Change any fields of `INCENTIVE_FIELDS`; a `status` other than the stored one must be
    the pipeline's next step and moves the incentive there today (through `transition`,
    with `note`; an award past the de minimis ceiling is refused here: award it on its
    page, where the ceiling can be confirmed)."""
    check_version(incentive, expected_version)
    values = _checked_incentive(values, incentive)
    to_status = values.pop("status", None)
    moving = to_status is not None and to_status != incentive.status
    if moving:
        _check_step(incentive, to_status, "status")
    tracked = audit.track(incentive, INCENTIVE_FIELDS)
    assign(incentive, values)
    flush(incentive)
    record_update(incentive, tracked, f"Updated incentive {incentive.title}", actor=actor)
    if moving:
        _move(incentive, to_status, today_(), note, actor, today_(), status_field="status")
    return incentive


def _check_step(incentive: Incentive, to_status: str, field: str) -> None:
    if to_status not in S.values():
        raise DomainError(NOT_A_CHOICE, field)
    allowed = services.allowed_transitions(incentive.status)
    if to_status not in allowed:
        names = ", ".join(S(status).label for status in allowed) or "none"
        raise DomainError(
            f"An incentive that is {S(incentive.status).label.lower()} cannot move to "
            f"“{to_status.replace('_', ' ')}”. Allowed next: {names}.",
            field,
        )


def transition(
    incentive: Incentive,
    to_status: str,
    *,
    on: date,
    note: str | None,
    actor: User | None,
    confirm_over_ceiling: bool = False,
    today: date | None = None,
) -> IncentiveStatusChange:
    """Move the incentive to the pipeline's next step `to_status`, dated `on` (not in the
    future, not before the previous step). Awarding de minimis aid that would pass the
    ceiling needs `confirm_over_ceiling` (DomainError on that field otherwise). The first
    award sets `awarded_on`."""
    return _move(
        incentive,
        to_status,
        on,
        note,
        actor,
        today or today_(),
        confirm_over_ceiling=confirm_over_ceiling,
    )


def _move(
    incentive: Incentive,
    to_status: str,
    on: date,
    note: str | None,
    actor: User | None,
    today: date,
    *,
    confirm_over_ceiling: bool = False,
    status_field: str = "to_status",
) -> IncentiveStatusChange:
    _check_move(incentive, to_status, on, today, confirm_over_ceiling, status_field)
    before = incentive.status
    tracked = audit.track(incentive, ["status", "awarded_on"])
    change = IncentiveStatusChange(
        from_status=before,
        to_status=to_status,
        changed_on=on,
        user_id=getattr(actor, "id", None),
        note=note or None,
    )
    incentive.status_changes.append(change)
    incentive.status = to_status
    if to_status == S.AWARDED and incentive.awarded_on is None:
        incentive.awarded_on = on
    flush(incentive)
    audit.record(
        "transition",
        incentive,
        f"Moved from {S(before).label.lower()} to {S(to_status).label.lower()} on {on.isoformat()}",
        tracked.changes(),
        actor=actor,
    )
    return change


def _check_move(
    incentive: Incentive,
    to_status: str,
    on: date,
    today: date,
    confirm_over_ceiling: bool,
    status_field: str,
) -> None:
    _check_step(incentive, to_status, status_field)
    date_in_range(on, "changed_on")
    if on > today:
        raise DomainError("A status change cannot be dated in the future.", "changed_on")
    last = incentive.status_changes[-1].changed_on if incentive.status_changes else None
    if last and on < last:
        raise DomainError(
            f"The change must be dated on or after the previous one ({last.isoformat()}).",
            "changed_on",
        )
    if to_status == S.AWARDED and not confirm_over_ceiling:
        warning = services.de_minimis_warning(incentive, on)
        if warning and status_field == "to_status":
            raise DomainError(warning + CONFIRM_CEILING, "confirm_over_ceiling")
        if warning:
            raise DomainError(
                f"{warning} Award it on its page, where passing the ceiling can be confirmed.",
                status_field,
            )


# --- Obligations --------------------------------------------------------------------------


def _checked_obligation(
    values: dict[str, Any], obligation: Obligation | None, incentive: Incentive
) -> dict[str, Any]:
    values = plain(values, OBLIGATION_FIELDS, Obligation)
    merged = {**stored(obligation, OBLIGATION_FIELDS), **values}
    require(merged, "kind", "target_value", "unit", "due_on")
    one_of(merged, "kind", ObligationKind)
    within_lengths(Obligation, values)
    _not_negative(merged, "The target cannot be negative.", "target_value")
    _not_negative(merged, "The actual cannot be negative.", "actual_value")
    _not_negative(merged, "A weight cannot be negative.", "clawback_weight")
    _not_negative(merged, NEGATIVE_AMOUNT, "penalty_per_unit")
    within_minor_units(Obligation, merged, incentive.currency)
    happened(values, obligation, "actual_as_of", "The actual")
    if changed(values, obligation, "due_on"):
        check_within_term(incentive, values["due_on"], "due_on")
    if changed(values, obligation, "owner_id"):
        active_user(values["owner_id"], "owner_id")
    return values


def create_obligation(
    incentive: Incentive, values: dict[str, Any], *, actor: User | None
) -> Obligation:
    """Add what the award obliges the company to (fields of `OBLIGATION_FIELDS`), due
    within the incentive's term."""
    values = _checked_obligation(values, None, incentive)
    obligation = Obligation(incentive=incentive, **values)
    record_create(
        obligation,
        OBLIGATION_FIELDS,
        f"Added obligation {obligation}",
        actor=actor,
        parent=incentive,
    )
    if obligation.actual_value is not None:
        _read_actual(obligation, None, None, actor)
    return obligation


def update_obligation(
    obligation: Obligation,
    values: dict[str, Any],
    *,
    actor: User | None,
    expected_version: int | None = None,
) -> Obligation:
    """Change any fields of `OBLIGATION_FIELDS`; a new due date must be within the term."""
    return _update_obligation(
        obligation, values, actor, expected_version, lambda o: f"Edited obligation {o}"
    )


def record_actual(
    obligation: Obligation,
    actual_value: Decimal | None,
    as_of: date | None,
    *,
    actor: User | None,
    expected_version: int | None = None,
) -> Obligation:
    """Record how far the obligation has got (`actual_value`, in its unit) as of a date."""
    if actual_value is None:
        raise DomainError("Enter the actual as a number.", "actual_value")
    return _update_obligation(
        obligation,
        {"actual_value": actual_value, "actual_as_of": as_of},
        actor,
        expected_version,
        lambda o: f"Updated actual of {o}",
    )


def _update_obligation(
    obligation: Obligation,
    values: dict[str, Any],
    actor: User | None,
    expected_version: int | None,
    summary: Callable[[Obligation], str],
) -> Obligation:
    check_version(obligation, expected_version)
    values = _checked_obligation(values, obligation, obligation.incentive)
    tracked = audit.track(obligation, OBLIGATION_FIELDS)
    before = obligation.actual_value, obligation.actual_as_of
    measured = changed(values, obligation, "actual_value") or changed(
        values, obligation, "actual_as_of"
    )
    assign(obligation, values)
    if measured:
        _read_actual(obligation, *before, actor)
    flush(obligation)
    record_update(
        obligation, tracked, summary(obligation), actor=actor, parent=obligation.incentive
    )
    return obligation


def _read_actual(
    obligation: Obligation, before: Decimal | None, before_as_of: date | None, actor
) -> None:
    """Keep the actual as a reading of its day (today when undated); the obligation shows
    the latest day's, so an actual entered late for an earlier day goes into the history
    and leaves the latest standing."""
    day = obligation.actual_as_of or today_()
    readings.record(
        obligation,
        "actual_value",
        obligation.actual_value,
        day,
        before=before,
        before_as_of=before_as_of,
        actor=actor,
    )
    newest = readings.latest(obligation, "actual_value")
    if newest is not None and newest.as_of > day:
        obligation.actual_value, obligation.actual_as_of = newest.value, newest.as_of


def delete_obligation(obligation: Obligation, *, actor: User | None) -> None:
    """Delete an obligation (commitments counting towards it lose that link); restorable."""
    delete_record(
        obligation,
        f"Deleted obligation {obligation}",
        actor=actor,
        parent=obligation.incentive,
        collection="obligations",
    )


def restore_obligation(event: AuditEvent, *, actor: User | None) -> Obligation:
    """Re-create a deleted obligation (same id) if today's rules allow: its incentive still
    there, its due date within the term, its owner still active."""
    state = deletion_state(event, "obligation")
    obligation = audit.rebuild(Obligation, state)
    if db.session.get(Obligation, obligation.id) is not None:
        raise DomainError("This obligation exists already: it was restored before.")
    incentive = db.session.get(Incentive, obligation.incentive_id)
    if incentive is None:
        raise DomainError("Its incentive was deleted since: there is nothing to restore it to.")
    _checked_obligation(stored(obligation, OBLIGATION_FIELDS), None, incentive)
    obligation.incentive = incentive
    db.session.add(obligation)
    flush(obligation)
    audit.record(
        "restore",
        obligation,
        f"Restored obligation {obligation}",
        audit.track(obligation, OBLIGATION_FIELDS).created(),
        actor=actor,
        parent=incentive,
    )
    return obligation


# --- Compliance reports -------------------------------------------------------------------


def schedule_reports(
    incentive: Incentive,
    title: str,
    first_due_on: date | None,
    frequency: str,
    until: date | None,
    *,
    actor: User | None,
) -> list[ComplianceReport]:
    """Create one report (`frequency` "once"), or a recurring series (quarterly,
    half_yearly, yearly) from `first_due_on` to `until`, by default the term's end. Every
    due date lies within the term. A series' reports are titled "<title> (n of N)"."""
    title = (title or "").strip()
    if not title:
        raise DomainError(REQUIRED, "title")
    if first_due_on is None:
        raise DomainError("Enter the date.", "first_due_on")
    date_in_range(first_due_on, "first_due_on")
    date_in_range(until, "until")
    months = services.FREQUENCY_MONTHS.get(frequency)
    if months is None:
        raise DomainError("Choose how often the report is due.", "frequency")
    check_within_term(incentive, first_due_on, "first_due_on")
    dates = [first_due_on]
    if months:
        until = until or incentive.term_end_on
        if until is None:
            raise DomainError(
                "A recurring report needs an end: give one, or set the incentive's term end.",
                "until",
            )
        if until < first_due_on:
            raise DomainError("The series ends before its first due date.", "until")
        check_within_term(incentive, until, "until")
        n = 1
        while (next_due := services.add_months(first_due_on, months * n)) <= until:
            dates.append(next_due)
            n += 1
    titles = (
        [title]
        if len(dates) == 1
        else [f"{title} ({n} of {len(dates)})" for n in range(1, len(dates) + 1)]
    )
    within_lengths(ComplianceReport, {"title": titles[-1]})
    reports = []
    for label, due in zip(titles, dates, strict=True):
        report = ComplianceReport(incentive=incentive, title=label, due_on=due)
        db.session.add(report)
        reports.append(report)
    flush()
    for report in reports:
        audit.record(
            "create",
            report,
            f"Scheduled compliance report {report.title}, due {report.due_on.isoformat()}",
            audit.track(report, REPORT_FIELDS).created(),
            actor=actor,
            parent=incentive,
        )
    return reports


def _checked_report(values: dict[str, Any], report: ComplianceReport) -> dict[str, Any]:
    values = plain(values, REPORT_FIELDS, ComplianceReport)
    merged = {**stored(report, REPORT_FIELDS), **values}
    require(merged, "title", "due_on")
    within_lengths(ComplianceReport, values)
    if changed(values, report, "due_on"):
        check_within_term(report.incentive, values["due_on"], "due_on")
    submitted_on = values.get("submitted_on")
    if submitted_on is not None and submitted_on > today_():
        raise DomainError(REPORT_IN_FUTURE, "submitted_on")
    return values


def update_report(
    report: ComplianceReport,
    values: dict[str, Any],
    *,
    actor: User | None,
    expected_version: int | None = None,
) -> ComplianceReport:
    """Change any fields of `REPORT_FIELDS` (an empty `submitted_on` marks it not
    submitted); it cannot be submitted in the future, nor fall due outside the term."""
    return _update_report(
        report, values, actor, expected_version, f"Edited compliance report {report.title}"
    )


def submit_report(
    report: ComplianceReport,
    submitted_on: date | None,
    note: str | None,
    *,
    actor: User | None,
    expected_version: int | None = None,
) -> ComplianceReport:
    """Mark a report submitted on a day (today or before), with a note."""
    if submitted_on is None:
        raise DomainError("Enter the date.", "submitted_on")
    return _update_report(
        report,
        {"submitted_on": submitted_on, "note": note},
        actor,
        expected_version,
        f"Marked “{report.title}” submitted",
    )


def _update_report(
    report: ComplianceReport,
    values: dict[str, Any],
    actor: User | None,
    expected_version: int | None,
    summary: str,
) -> ComplianceReport:
    check_version(report, expected_version)
    values = _checked_report(values, report)
    tracked = audit.track(report, REPORT_FIELDS)
    assign(report, values)
    flush(report)
    record_update(report, tracked, summary, actor=actor, parent=report.incentive)
    return report


# --- Agency promises ----------------------------------------------------------------------


def _checked_promise(values: dict[str, Any], promise: AgencyPromise | None) -> dict[str, Any]:
    values = plain(values, PROMISE_FIELDS, AgencyPromise)
    if promise is None:
        values["status"] = values.get("status") or PromiseStatus.PENDING.value
    merged = {**stored(promise, PROMISE_FIELDS), **values}
    require(merged, "kind", "description", "due_on", "status")
    one_of(merged, "kind", PromiseKind)
    one_of(merged, "status", PromiseStatus)
    within_lengths(AgencyPromise, values)
    _not_negative(merged, NEGATIVE_AMOUNT, "amount")
    delivered_on = merged.get("delivered_on")
    if merged["status"] == PromiseStatus.DELIVERED and not delivered_on:
        raise DomainError(DELIVERY_DATE_NEEDED, "status")
    if delivered_on and merged["status"] != PromiseStatus.DELIVERED:
        raise DomainError(DELIVERY_DATE_ONLY_IF_DELIVERED, "status")
    if delivered_on and changed(values, promise, "delivered_on") and delivered_on > today_():
        raise DomainError(DELIVERY_IN_FUTURE, "delivered_on")
    return values


def create_promise(
    incentive: Incentive, values: dict[str, Any], *, actor: User | None
) -> AgencyPromise:
    """Record what the agency promised in return (fields of `PROMISE_FIELDS`; status by
    default pending). Only a delivered promise has a delivery date, and it needs one, not
    in the future."""
    values = _checked_promise(values, None)
    promise = AgencyPromise(incentive=incentive, **values)
    record_create(
        promise,
        PROMISE_FIELDS,
        f"Recorded agency promise {promise.description}",
        actor=actor,
        parent=incentive,
    )
    return promise


def update_promise(
    promise: AgencyPromise,
    values: dict[str, Any],
    *,
    actor: User | None,
    expected_version: int | None = None,
) -> AgencyPromise:
    """Change any fields of `PROMISE_FIELDS`, under the same rules as `create_promise`."""
    check_version(promise, expected_version)
    values = _checked_promise(values, promise)
    tracked = audit.track(promise, PROMISE_FIELDS)
    assign(promise, values)
    flush(promise)
    record_update(
        promise,
        tracked,
        f"Edited agency promise {promise.description}",
        actor=actor,
        parent=promise.incentive,
    )
    return promise


# --- Disbursements ---------------------------------------------------------------------------


def _disbursement_text(disbursement: Disbursement) -> str:
    amount = money(disbursement.amount, disbursement.incentive.currency)
    return f"{amount} received {disbursement.paid_on.isoformat()}"


def _received(incentive: Incentive) -> Decimal:
    return sum((d.amount for d in incentive.disbursements), Decimal(0))


def _checked_disbursement(incentive: Incentive, values: dict[str, Any]) -> dict[str, Any]:
    values = plain(values, DISBURSEMENT_FIELDS, Disbursement)
    require(values, "paid_on", "amount")
    if values["amount"] <= 0:
        raise DomainError("A disbursement is an amount above zero.", "amount")
    within_minor_units(Disbursement, values, incentive.currency)
    happened(
        values,
        None,
        "paid_on",
        "A disbursement",
        "Record a tranche still to come as an agency promise of a disbursement.",
    )
    if incentive.status not in services.AFTER_AWARD:
        raise DomainError("Money is received on an award: record the award first.", "amount")
    if incentive.awarded_on and values["paid_on"] < incentive.awarded_on:
        raise DomainError(
            f"The award was made on {incentive.awarded_on.isoformat()}: a disbursement "
            "cannot come before it.",
            "paid_on",
        )
    total = _received(incentive) + values["amount"]
    if incentive.amount_awarded is not None and total > incentive.amount_awarded:
        raise DomainError(
            f"The disbursements would come to {money(total, incentive.currency)}, more than "
            f"the {money(incentive.amount_awarded, incentive.currency)} awarded.",
            "amount",
        )
    return values


def add_disbursement(
    incentive: Incentive, values: dict[str, Any], *, actor: User | None
) -> Disbursement:
    """Record a tranche the agency paid (fields of `DISBURSEMENT_FIELDS`): above zero, in
    the incentive's minor units, on a day that has come, once the award is made and not
    before it, the tranches together no more than awarded. The incentive's amount received
    becomes their sum; the promised tranche it names (a pending disbursement promise of
    this incentive) is marked delivered that day."""
    values = _checked_disbursement(incentive, values)
    promise = None
    if values.get("promise_id") is not None:
        promise = db.session.get(AgencyPromise, values["promise_id"])
        if (
            promise is None
            or promise.incentive_id != incentive.id
            or promise.kind != PromiseKind.DISBURSEMENT
            or promise.status != PromiseStatus.PENDING
        ):
            raise DomainError("Choose a pending promised tranche of this incentive.", "promise_id")
    disbursement = Disbursement(incentive=incentive, **values)
    record_create(
        disbursement,
        DISBURSEMENT_FIELDS,
        f"Recorded disbursement {_disbursement_text(disbursement)}",
        actor=actor,
        parent=incentive,
    )
    _set_received(incentive, actor)
    if promise is not None:
        update_promise(
            promise,
            {"status": PromiseStatus.DELIVERED.value, "delivered_on": values["paid_on"]},
            actor=actor,
        )
    return disbursement


def delete_disbursement(disbursement: Disbursement, *, actor: User | None) -> None:
    """Delete a tranche recorded by mistake; the amount received becomes the sum of the
    others (the promise it delivered stays delivered: edit it if it was not)."""
    incentive = disbursement.incentive
    delete_record(
        disbursement,
        f"Deleted disbursement {_disbursement_text(disbursement)}",
        actor=actor,
        parent=incentive,
        collection="disbursements",
    )
    _set_received(incentive, actor)


def restore_disbursement(event: AuditEvent, *, actor: User | None) -> Disbursement:
    """Re-create a deleted disbursement (same id) if today's rules allow: its incentive
    still there, the tranches together no more than awarded."""
    state = deletion_state(event, "disbursement")
    disbursement = audit.rebuild(Disbursement, state)
    if db.session.get(Disbursement, disbursement.id) is not None:
        raise DomainError("This disbursement exists already: it was restored before.")
    incentive = db.session.get(Incentive, disbursement.incentive_id)
    if incentive is None:
        raise DomainError("Its incentive was deleted since: there is nothing to restore it to.")
    _checked_disbursement(incentive, stored(disbursement, DISBURSEMENT_FIELDS))
    if disbursement.promise_id and db.session.get(AgencyPromise, disbursement.promise_id) is None:
        disbursement.promise_id = None
    disbursement.incentive = incentive
    db.session.add(disbursement)
    flush(disbursement)
    audit.record(
        "restore",
        disbursement,
        f"Restored disbursement {_disbursement_text(disbursement)}",
        audit.track(disbursement, DISBURSEMENT_FIELDS).created(),
        actor=actor,
        parent=incentive,
    )
    _set_received(incentive, actor)
    return disbursement


def _set_received(incentive: Incentive, actor: User | None) -> None:
    """The amount received as the sum of the disbursements (None once the last is gone):
    the collection holds a new tranche (its back-reference) and loses a deleted one."""
    total = _received(incentive) if incentive.disbursements else None
    if total != incentive.amount_received:
        tracked = audit.track(incentive, ["amount_received"])
        incentive.amount_received = total
        flush(incentive)
        record_update(incentive, tracked, f"Received so far of {incentive.title}", actor=actor)


# --- Interest rate tables -------------------------------------------------------------------


def _checked_interest_rate(values: dict[str, Any]) -> dict[str, Any]:
    values = plain(values, INTEREST_RATE_FIELDS, InterestRate)
    require(values, "series", "effective_on", "rate_pct")
    within_lengths(InterestRate, values)
    if not -HUNDRED <= values["rate_pct"] <= HUNDRED:
        raise DomainError("A yearly rate is between -100 and 100 %.", "rate_pct")
    clash = db.session.scalar(
        select(InterestRate).where(
            InterestRate.series == values["series"],
            InterestRate.effective_on == values["effective_on"],
        )
    )
    if clash is not None:
        raise DomainError(
            f"{values['series']} has a rate from {values['effective_on'].isoformat()} "
            f"({plain_number(clash.rate_pct)}%). Delete it first to replace it.",
            "effective_on",
        )
    return values


def _interest_rate_text(rate: InterestRate) -> str:
    return f"{rate.series} {plain_number(rate.rate_pct)}% from {rate.effective_on.isoformat()}"


def add_interest_rate(values: dict[str, Any], *, actor: User | None) -> InterestRate:
    """Add a yearly rate to a rate table (`series`, e.g. "EU recovery rate HU") in force from
    `effective_on`: one per table and day, between -100 and 100 % a year."""
    rate = InterestRate(**_checked_interest_rate(values))
    record_create(
        rate,
        INTEREST_RATE_FIELDS,
        f"Added interest rate {_interest_rate_text(rate)}",
        actor=actor,
    )
    return rate


def delete_interest_rate(rate: InterestRate, *, actor: User | None) -> None:
    """Delete a rate; clawback interest falls back to the table's rate before it."""
    delete_record(
        rate,
        f"Deleted interest rate {_interest_rate_text(rate)}",
        actor=actor,
    )


def restore_interest_rate(event: AuditEvent, *, actor: User | None) -> InterestRate:
    """Re-create a deleted rate (same id), unless its table has one for that day now."""
    rate = audit.rebuild(InterestRate, deletion_state(event, "interest rate"))
    if db.session.get(InterestRate, rate.id) is not None:
        raise DomainError("This rate exists already: it was restored before.")
    _checked_interest_rate(stored(rate, INTEREST_RATE_FIELDS))
    db.session.add(rate)
    flush(rate)
    audit.record(
        "restore",
        rate,
        f"Restored interest rate {_interest_rate_text(rate)}",
        audit.track(rate, INTEREST_RATE_FIELDS).created(),
        actor=actor,
    )
    return rate


# --- FX rates -----------------------------------------------------------------------------


def _checked_fx_rate(
    currency: str | None, rate: Decimal | None, effective_on: date | None, reporting: str
) -> str:
    currency = (currency or "").strip().upper()
    if not currency:
        raise DomainError(REQUIRED, "currency")
    if not is_currency(currency):
        raise DomainError(
            f"{currency} is not an ISO 4217 currency code (e.g. EUR, HUF).", "currency"
        )
    if currency == reporting:
        raise DomainError(f"{reporting} is the reporting currency: its rate is 1.", "currency")
    if rate is None:
        raise DomainError(RATE_NOT_POSITIVE, "rate")
    rate_column = FxRate.__table__.c.rate.type
    if number_fitting(Decimal(rate), rate_column.precision, rate_column.scale, "rate") <= 0:
        raise DomainError(RATE_NOT_POSITIVE, "rate")
    if effective_on is None:
        raise DomainError("Enter the date.", "effective_on")
    date_in_range(effective_on, "effective_on")
    existing = db.session.scalar(
        select(FxRate).where(
            FxRate.currency == currency,
            FxRate.reporting_currency == reporting,
            FxRate.effective_on == effective_on,
        )
    )
    if existing is not None:
        raise DomainError(
            f"A {currency} rate effective {effective_on.isoformat()} exists "
            f"({format(existing.rate.normalize(), 'f')}). Delete it first to replace it.",
            "effective_on",
        )
    return currency


# A rate more than this many times, or less than this share of, its neighbour is most often
# typed upside down (JPY 162.5 for 0.0062) or a digit out: it is saved only when confirmed.
RATE_JUMP = 2


def _check_rate_jump(currency: str, rate: Decimal, effective_on: date, reporting: str) -> None:
    """Refuse a rate that moves more than `RATE_JUMP` times from the rate before it (or,
    for the first, the one after), on `confirm_rate_jump`."""
    rates = select(FxRate).where(
        FxRate.currency == currency, FxRate.reporting_currency == reporting
    )
    neighbour = db.session.scalar(
        rates.where(FxRate.effective_on < effective_on).order_by(FxRate.effective_on.desc())
    ) or db.session.scalar(
        rates.where(FxRate.effective_on > effective_on).order_by(FxRate.effective_on)
    )
    if neighbour is None or not neighbour.rate or neighbour.rate < 0:
        return  # none, or one that cannot be read (stored by hand): nothing to compare with
    rate, other = Decimal(rate), neighbour.rate
    if other / RATE_JUMP <= rate <= other * RATE_JUMP:
        return
    factor, side = (rate / other, "above") if rate > other else (other / rate, "below")
    times = f"{factor:,.{1 if factor < 10 else 0}f}×"
    raise DomainError(
        f"{format(rate.normalize(), 'f')} is {times} {side} the {currency} rate from "
        f"{neighbour.effective_on.isoformat()} ({format(other.normalize(), 'f')}). "
        f"A rate is how many {reporting} one {currency} buys: check it is not upside down, "
        "then tick the box to save it.",
        "confirm_rate_jump",
    )


def add_fx_rate(
    currency: str,
    rate: Decimal,
    effective_on: date,
    *,
    actor: User | None,
    confirm_rate_jump: bool = False,
) -> FxRate:
    """Add how many units of the reporting currency one unit of `currency` buys from
    `effective_on`: one rate per currency and date, above zero, never for the reporting
    currency itself; more than twice or less than half its neighbour only when confirmed
    (`confirm_rate_jump`)."""
    reporting = reporting_currency()
    currency = _checked_fx_rate(currency, rate, effective_on, reporting)
    if not confirm_rate_jump:
        _check_rate_jump(currency, rate, effective_on, reporting)
    fx_rate = FxRate(
        currency=currency, reporting_currency=reporting, rate=rate, effective_on=effective_on
    )
    db.session.add(fx_rate)
    flush(fx_rate)
    audit.record(
        "create",
        fx_rate,
        f"Added rate {currency}→{reporting} {format(Decimal(rate).normalize(), 'f')} "
        f"from {effective_on.isoformat()}",
        audit.track(fx_rate, FX_RATE_FIELDS).created(),
        actor=actor,
    )
    return fx_rate


def delete_fx_rate(fx_rate: FxRate, *, actor: User | None) -> None:
    """Delete a rate (totals fall back to the previous one, or warn); restorable."""
    delete_record(
        fx_rate,
        f"Deleted rate {fx_rate.currency} {format(fx_rate.rate.normalize(), 'f')} "
        f"from {fx_rate.effective_on.isoformat()}",
        actor=actor,
    )


def restore_fx_rate(event: AuditEvent, *, actor: User | None) -> FxRate:
    """Re-create a deleted rate (same id), unless one now exists for its currency and date."""
    state = deletion_state(event, "FX rate")
    fx_rate = audit.rebuild(FxRate, state)
    if db.session.get(FxRate, fx_rate.id) is not None:
        raise DomainError("This rate exists already: it was restored before.")
    _checked_fx_rate(
        fx_rate.currency, fx_rate.rate, fx_rate.effective_on, fx_rate.reporting_currency
    )
    db.session.add(fx_rate)
    flush(fx_rate)
    audit.record(
        "restore",
        fx_rate,
        f"Restored rate {fx_rate.currency} {format(fx_rate.rate.normalize(), 'f')} "
        f"from {fx_rate.effective_on.isoformat()}",
        audit.track(fx_rate, FX_RATE_FIELDS).created(),
        actor=actor,
    )
    return fx_rate


# --- For writers that insert in bulk --------------------------------------------------------
# The scale generator inserts thousands of incentives and their children in bulk, too many to
# write one by one through the operations above. It runs every row through these first: a
# create's own rules, nothing written, the values as they are stored.


def check_new_incentive(values: dict[str, Any]) -> dict[str, Any]:
    """`create_incentive`'s rules (`status` may be given); DomainError on the first broken."""
    return _checked_incentive(values, None)


def check_step(incentive: Incentive, to_status: str, on: date, *, today: date) -> None:
    """`transition`'s rules for the step from `incentive.status` to `to_status` dated `on`
    (after its last `status_changes`), without taking it; DomainError on the first broken."""
    _check_move(incentive, to_status, on, today, False, "to_status")


def check_new_obligation(incentive: Incentive, values: dict[str, Any]) -> dict[str, Any]:
    """`create_obligation`'s rules (due within `incentive`'s term); DomainError if broken."""
    return _checked_obligation(values, None, incentive)


def check_new_report(incentive: Incentive, values: dict[str, Any]) -> dict[str, Any]:
    """The rules a compliance report of `incentive` keeps (`REPORT_FIELDS`: due within the
    term, not submitted in the future); DomainError on the first broken."""
    nothing_stored = SimpleNamespace(incentive=incentive, **dict.fromkeys(REPORT_FIELDS))
    return _checked_report(values, nothing_stored)


def check_new_promise(values: dict[str, Any]) -> dict[str, Any]:
    """`create_promise`'s rules; DomainError on the first broken."""
    return _checked_promise(values, None)


# --- Undo and restore (the audit trail calls these by table name) ---------------------------

UPDATERS: dict[str, Callable[..., Any]] = {
    "incentives": update_incentive,
    "obligations": update_obligation,
    "compliance_reports": update_report,
    "agency_promises": update_promise,
}

RESTORERS: dict[str, Callable[..., Any]] = {
    "obligations": restore_obligation,
    "disbursements": restore_disbursement,
    "interest_rates": restore_interest_rate,
    "fx_rates": restore_fx_rate,
}
