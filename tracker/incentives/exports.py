"""The incentive lists a page exports (`?format=csv|xlsx`) and `flask export` writes."""

from sqlalchemy import Select

from tracker.core.listing import Sorting, apply_sorting
from tracker.core.tables import Column, ExportList, entities, label_of, name_of, yes_no
from tracker.core.types import today
from tracker.incentives import services
from tracker.incentives.models import (
    ClawbackInterest,
    ClawbackRule,
    Incentive,
    IncentiveKind,
    IncentiveStatus,
)


def _incentive_rows(source) -> list:
    as_of = today()
    return [
        (incentive, services.clawback_exposure(incentive, as_of)) for incentive in entities(source)
    ]


def _incentives_default() -> Select:
    query, sortable = services.incentive_list_query(services.IncentiveFilters())
    return apply_sorting(query, sortable, Sorting("deadline", False), Incentive.id)


def _clawback_rule(rule: str | None) -> str | None:
    # "None" would read back as an empty cell in pandas and some spreadsheets.
    return "No clawback" if rule == ClawbackRule.NONE else label_of(ClawbackRule, rule)


INCENTIVES = ExportList(
    name="incentives",
    title="Incentives",
    columns=[
        Column("Title", lambda r: r[0].title),
        Column("Kind", lambda r: label_of(IncentiveKind, r[0].kind)),
        Column("Status", lambda r: label_of(IncentiveStatus, r[0].status)),
        Column("Granted by", lambda r: r[0].granting_partner.name),
        Column("Region", lambda r: name_of(r[0].region)),
        Column("Currency", lambda r: r[0].currency),
        Column("Offered", lambda r: r[0].amount_offered, "money"),
        Column("Awarded", lambda r: r[0].amount_awarded, "money"),
        Column("Received", lambda r: r[0].amount_received, "money"),
        Column("Clawback exposure", lambda r: r[1].amount or None, "money"),
        Column("Application deadline", lambda r: r[0].application_deadline, "date"),
        Column("Decision expected", lambda r: r[0].decision_expected_on, "date"),
        Column("Awarded on", lambda r: r[0].awarded_on, "date"),
        Column("Term start", lambda r: r[0].term_start_on, "date"),
        Column("Term end", lambda r: r[0].term_end_on, "date"),
        Column("Clawback rule", lambda r: _clawback_rule(r[0].clawback_rule)),
        Column("Clawback interest", lambda r: label_of(ClawbackInterest, r[0].clawback_interest)),
        Column("State aid", lambda r: yes_no(r[0].is_state_aid)),
        Column("De minimis", lambda r: yes_no(r[0].is_de_minimis)),
        Column("Aid granted on", lambda r: r[0].aid_granted_on, "date"),
        Column("Gross grant equivalent", lambda r: r[0].gross_grant_equivalent, "money"),
        Column("Beneficiary", lambda r: r[0].beneficiary),
        Column("Beneficiary's national ID", lambda r: r[0].beneficiary_national_id),
        Column("Project or contract number", lambda r: r[0].project_number),
        Column("Aid instrument", lambda r: r[0].aid_type),
        Column("Objective", lambda r: r[0].aid_objective),
        Column("Total eligible cost", lambda r: r[0].eligible_cost, "money"),
        Column("Aid intensity (%)", lambda r: r[0].aid_intensity_pct, "number"),
        Column(
            "Payment tranches",
            lambda r: (
                services.tranches_text((d.paid_on, d.amount) for d in r[0].disbursements) or None
            ),
        ),
    ],
    rows=_incentive_rows,
    default_source=_incentives_default,
)

DEADLINES = ExportList(
    name="deadlines",
    title="Incentive deadlines",
    columns=[
        Column("Date", lambda d: d.on, "date"),
        Column("Days left", lambda d: d.days_left(today()), "integer"),
        Column("What", lambda d: d.label),
        Column("Incentive", lambda d: d.incentive.title),
        Column("Granted by", lambda d: d.incentive.granting_partner_name),
        Column("Detail", lambda d: d.detail),
    ],
    rows=services.deadline_rows,
    default_source=lambda: services.deadlines_query(today()),
)
