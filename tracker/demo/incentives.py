"""The demo's FX rates and incentives, with their pipeline history, obligations, compliance
reports and agency promises, written through `tracker.incentives.operations`."""

from decimal import Decimal
from typing import Any

from tracker.auth.models import User
from tracker.demo.dates import dated, on
from tracker.incentives import operations
from tracker.incentives.models import (
    ClawbackInterest,
    ClawbackRule,
    IncentiveKind,
    IncentiveStatus,
    Obligation,
    ObligationKind,
    PromiseKind,
    PromiseStatus,
)
from tracker.partners.models import Partner, Region

# fmt: off
# (currency, EUR per unit, effective on): a quarter-old rate for each, a recent one for some.
FX_RATES = [
    ("HUF", Decimal("0.002540"), -120),
    ("CZK", Decimal("0.039800"), -120),
    ("PLN", Decimal("0.231000"), -120),
    ("MXN", Decimal("0.047500"), -120),
    ("USD", Decimal("0.921000"), -120),
    ("HUF", Decimal("0.002492"), -10),
    ("MXN", Decimal("0.046200"), -10),
    ("USD", Decimal("0.879000"), -10),
]
# Interest rate tables for clawback interest (illustrative figures): (table, rate %, from).
INTEREST_RATES = [
    ("MNB base rate + 2 points", Decimal("15.00"), -900),
    ("MNB base rate + 2 points", Decimal("12.75"), -500),
    ("MNB base rate + 2 points", Decimal("8.50"), -150),
    ("EU recovery rate SK", Decimal("4.90"), -800),
    ("EU recovery rate SK", Decimal("4.35"), -250),
]

# Incentives. `path` is the pipeline history, (status, on, note): the last step is the
# current status, and the award step dates `awarded_on`. Obligations: (kind, description,
# target, unit, actual, actual as of, due on); compliance reports: (title, due on,
# submitted on, note); promises: (kind, description, due on, status, delivered on, amount,
# note).
INCENTIVES: list[dict[str, Any]] = [
    {
        "key": "hipa_grant",
        "title": "VIP cash grant – Győr battery module plant",
        "kind": IncentiveKind.GRANT,
        "partner": "hipa",
        "region": "gyor",
        "owner": "manager",
        "description": "Government-decision cash grant towards two module lines, end-of-line "
        "testing and a logistics hall in Győr.",
        "currency": "HUF",
        "amount_offered": Decimal("4_500_000_000"),
        "amount_awarded": Decimal("4_200_000_000"),
        "application_deadline": -530,
        "decision_expected_on": -440,
        "term_start_on": -400,
        "term_end_on": 1425,
        "clawback_terms": "Jobs and capex must be reached by the end of the term and held for "
        "five years. Each commitment's shortfall is repaid pro rata (jobs and capex 40% each, "
        "wages and training 10% each), with interest at the central bank base rate plus 2 "
        "points from each disbursement.",
        "clawback_rule": ClawbackRule.PROPORTIONAL,
        "clawback_interest": ClawbackInterest.SIMPLE,
        "clawback_rate_series": "MNB base rate + 2 points",
        "is_state_aid": True,
        "aid_scheme_number": "SA.58314",
        "aid_type": "Regional investment aid",
        "nace_code": "27.20",
        "aid_granted_on": -425,
        "path": [
            (IncentiveStatus.IDENTIFIED, -610, "Raised by HIPA during site scouting."),
            (IncentiveStatus.PREPARING, -575, "Feasibility study and capex plan commissioned."),
            (IncentiveStatus.SUBMITTED, -530, "Filed with the capex and jobs schedule."),
            (IncentiveStatus.AWARDED, -425, "Government decision published; agreement signed."),
            (IncentiveStatus.IN_COMPLIANCE, -400, "Term started; first instalment received."),
        ],
        "weights": {ObligationKind.JOBS: 40, ObligationKind.CAPEX: 40,
                    ObligationKind.WAGES: 10, ObligationKind.TRAINING_HOURS: 10},
        "disbursements": [(-395, Decimal("1_680_000_000"), "First instalment"),
                          (-35, Decimal("840_000_000"), "Second instalment")],
        "obligations": [
            (ObligationKind.JOBS, "Net new FTE at the Győr plant, held five years",
             Decimal("350"), "FTE", Decimal("212"), -30, 700),
            (ObligationKind.CAPEX, "Eligible capital investment",
             Decimal("42000"), "HUF m", Decimal("27450"), -30, 365),
            (ObligationKind.WAGES, "Average gross wage against the county average",
             Decimal("120"), "% of county avg", Decimal("124"), -60, 700),
            (ObligationKind.TRAINING_HOURS, "Accredited technician training hours",
             Decimal("24000"), "hours", Decimal("9850"), -30, 540),
        ],
        "reports": [
            ("Annual project report – year 1", -30, -34, "Accepted by HIPA without queries."),
            ("Half-year headcount statement", 9, None, None),
            ("Annual project report – year 2", 335, None, None),
        ],
        "promises": [
            (PromiseKind.PERMIT_FAST_TRACK, "Building permit for module hall B within 60 days",
             -330, PromiseStatus.DELIVERED, -338, None, "Issued eight days early."),
            (PromiseKind.INFRASTRUCTURE, "20 kV grid upgrade to 40 MVA at the plant boundary",
             -21, PromiseStatus.PENDING, None, None,
             "Utility now quotes three more months; escalated to HIPA."),
            (PromiseKind.DISBURSEMENT, "Third grant instalment", 45, PromiseStatus.PENDING,
             None, Decimal("840_000_000"), None),
        ],
    },
    {
        "key": "sario_tax",
        "title": "Income tax relief – Bratislava e-drive plant",
        "kind": IncentiveKind.TAX_CREDIT,
        "partner": "sario",
        "region": "bratislava",
        "owner": "manager",
        "currency": "EUR",
        "amount_offered": Decimal("12_000_000"),
        "amount_awarded": Decimal("9_600_000"),
        "application_deadline": -190,
        "decision_expected_on": -75,
        "term_start_on": -10,
        "term_end_on": 3640,
        "clawback_terms": "If eligible costs or jobs fall below 80% of plan, all relief "
        "claimed is repayable with recovery interest, compounded yearly.",
        "clawback_rule": ClawbackRule.CLIFF,
        "clawback_floor_pct": Decimal("80"),
        "clawback_interest": ClawbackInterest.COMPOUND,
        "clawback_rate_series": "EU recovery rate SK",
        "is_state_aid": True,
        "aid_scheme_number": "SA.61240",
        "aid_type": "Regional investment aid – income tax relief",
        "nace_code": "27.11",
        "aid_granted_on": -62,
        "path": [
            (IncentiveStatus.IDENTIFIED, -300, None),
            (IncentiveStatus.PREPARING, -262, "Investment plan drafted with Danube E-Drive."),
            (IncentiveStatus.SUBMITTED, -190, "Filed through SARIO."),
            (IncentiveStatus.AWARDED, -62, "Ministry decision: EUR 9.6m of relief."),
        ],
        "obligations": [
            (ObligationKind.JOBS, "New jobs at the Bratislava e-drive plant",
             Decimal("180"), "FTE", Decimal("22"), -15, 1080),
            (ObligationKind.CAPEX, "Eligible costs in tangible and intangible assets",
             Decimal("45"), "EUR m", Decimal("6.2"), -15, 1080),
            (ObligationKind.LOCAL_CONTENT, "Components bought from Slovak suppliers",
             Decimal("30"), "%", None, None, 1440),
        ],
        "reports": [("First annual report to the Ministry of Economy", 300, None, None)],
        "promises": [
            (PromiseKind.PERMIT_FAST_TRACK, "EIA screening decision within 45 days", 19,
             PromiseStatus.PENDING, None, None, None),
        ],
    },
    {
        "key": "czech_training",
        "title": "Training grant – Brno test centre technicians",
        "kind": IncentiveKind.TRAINING_SUBSIDY,
        "partner": "czechinvest",
        "region": "brno",
        "owner": "manager",
        "currency": "CZK",
        "amount_offered": Decimal("14_500_000"),
        "application_deadline": -42,
        "decision_expected_on": 25,
        "clawback_terms": "Repay pro rata for trainees who leave within 12 months.",
        "clawback_rule": ClawbackRule.PRO_RATA,
        "is_state_aid": True,
        "aid_scheme_number": "SA.58120",
        "aid_type": "Training aid",
        "nace_code": "71.20",
        "path": [
            (IncentiveStatus.IDENTIFIED, -150, "Split out of the test centre co-funding."),
            (IncentiveStatus.PREPARING, -112, None),
            (IncentiveStatus.SUBMITTED, -42, "Submitted on the last day of the call."),
        ],
        "obligations": [
            (ObligationKind.TRAINING_HOURS, "Certified training hours for test-centre staff",
             Decimal("8000"), "hours", None, None, 500),
        ],
        "promises": [
            (PromiseKind.TRAINING_FUNDS, "30% advance of the training grant on award", 60,
             PromiseStatus.PENDING, None, Decimal("4_350_000"), None),
        ],
    },
    {
        "key": "paih_zone",
        "title": "Polish Investment Zone CIT exemption – Odra Cell line 2",
        "kind": IncentiveKind.TAX_ABATEMENT,
        "partner": "paih",
        "region": "wroclaw",
        "owner": "manager",
        "currency": "PLN",
        "amount_offered": Decimal("85_000_000"),
        "application_deadline": 12,
        "decision_expected_on": 75,
        "clawback_terms": "The exemption is withdrawn in full if investment or jobs stay "
        "below 90% of the support decision.",
        "clawback_rule": ClawbackRule.CLIFF,
        "clawback_floor_pct": Decimal("90"),
        "is_state_aid": True,
        "aid_scheme_number": "SA.102468",
        "aid_type": "Regional investment aid – CIT exemption",
        "nace_code": "27.20",
        "path": [
            (IncentiveStatus.IDENTIFIED, -95, None),
            (IncentiveStatus.PREPARING, -48, "Waiting for Odra Cell's cost plan."),
        ],
        "obligations": [
            (ObligationKind.JOBS, "New jobs under the support decision",
             Decimal("120"), "FTE", None, None, 1100),
        ],
        "promises": [
            (PromiseKind.PERMIT_FAST_TRACK, "Support decision 30 days after a full application",
             45, PromiseStatus.PENDING, None, None, None),
        ],
    },
    {
        "key": "nl_land",
        "title": "Discounted land – Apodaca supplier park (12 ha)",
        "kind": IncentiveKind.LAND,
        "partner": "nl_economia",
        "region": "nuevo_leon",
        "owner": "manager2",
        "currency": "MXN",
        "amount_offered": Decimal("96_000_000"),
        "amount_awarded": Decimal("96_000_000"),
        "amount_received": Decimal("96_000_000"),
        "application_deadline": -380,
        "decision_expected_on": -310,
        "term_start_on": -255,
        "term_end_on": 845,
        "clawback_terms": "Below 70% of committed jobs at the end of the term the state may "
        "buy the land back at the discounted price or charge the full discount.",
        "clawback_rule": ClawbackRule.CLIFF,
        "clawback_floor_pct": Decimal("70"),
        "path": [
            (IncentiveStatus.IDENTIFIED, -430, None),
            (IncentiveStatus.PREPARING, -400, None),
            (IncentiveStatus.SUBMITTED, -380, None),
            (IncentiveStatus.AWARDED, -300, "Land transfer agreement signed."),
            (IncentiveStatus.IN_COMPLIANCE, -255, "Title registered."),
        ],
        "obligations": [
            (ObligationKind.JOBS, "Direct jobs on the Apodaca site",
             Decimal("600"), "jobs", Decimal("415"), -20, 300),
            (ObligationKind.CAPEX, "Investment in plant and equipment",
             Decimal("60"), "USD m", Decimal("38.5"), -20, 480),
            (ObligationKind.LOCAL_CONTENT, "Purchases from Nuevo León suppliers",
             Decimal("35"), "%", Decimal("28"), -40, 480),
        ],
        "reports": [
            ("Quarterly employment report (IMSS records) – Q1", -105, -108, None),
            ("Quarterly employment report (IMSS records) – Q2", -12, None,
             "Waiting for payroll extract from the Apodaca plant."),
            ("Quarterly employment report (IMSS records) – Q3", 79, None, None),
        ],
        "promises": [
            (PromiseKind.PERMIT_FAST_TRACK, "Land-use and construction licence within 30 days",
             -270, PromiseStatus.DELIVERED, -275, None, None),
            (PromiseKind.INFRASTRUCTURE, "Paved road access and 40 l/s water connection", -45,
             PromiseStatus.PENDING, None, None, "Contractor changed; no new date confirmed."),
        ],
    },
    {
        "key": "tam_rail",
        "title": "Rail spur and pre-clearance yard – Nuevo Laredo",
        "kind": IncentiveKind.INFRASTRUCTURE,
        "partner": "invest_tam",
        "region": "tamaulipas",
        "owner": "manager2",
        "currency": "USD",
        "amount_offered": Decimal("8_500_000"),
        "application_deadline": -172,
        "decision_expected_on": -95,
        "path": [
            (IncentiveStatus.IDENTIFIED, -265, None),
            (IncentiveStatus.PREPARING, -225, "Traffic data from Frontera Norte."),
            (IncentiveStatus.SUBMITTED, -172, None),
            (IncentiveStatus.REJECTED, -95,
             "Funds moved to the Altamira port corridor; may reopen next fiscal year."),
        ],
    },
    {
        "key": "bc_fast_track",
        "title": "Fast-track environmental and IMMEX permits – Tijuana electronics site",
        "kind": IncentiveKind.REGULATORY_FAST_TRACK,
        "partner": "bc_ministry",
        "region": "baja",
        "owner": "manager2",
        "currency": "MXN",
        "application_deadline": 27,
        "decision_expected_on": 90,
        "path": [(IncentiveStatus.IDENTIFIED, -14, "Window confirmed at the cluster workshop.")],
    },
    {
        "key": "czech_loan",
        "title": "OP TAK soft loan – Brno electronics line",
        "kind": IncentiveKind.LOAN,
        "partner": "czechinvest",
        "region": "brno",
        "owner": "manager",
        "currency": "CZK",
        "amount_offered": Decimal("40_000_000"),
        "amount_awarded": Decimal("40_000_000"),
        "amount_received": Decimal("40_000_000"),
        "application_deadline": -880,
        "decision_expected_on": -800,
        "term_start_on": -760,
        "term_end_on": -20,
        "clawback_terms": "Early repayment if the financed assets are sold within five years.",
        "clawback_rule": ClawbackRule.NONE,
        "is_state_aid": True,
        "aid_scheme_number": "SA.47855",
        "aid_type": "Soft loan – regional aid",
        "nace_code": "26.11",
        "aid_granted_on": -790,
        "path": [
            (IncentiveStatus.IDENTIFIED, -930, None),
            (IncentiveStatus.PREPARING, -900, None),
            (IncentiveStatus.SUBMITTED, -880, None),
            (IncentiveStatus.AWARDED, -790, None),
            (IncentiveStatus.IN_COMPLIANCE, -760, None),
            (IncentiveStatus.CLOSED, -15, "Final report accepted."),
        ],
        "obligations": [
            (ObligationKind.CAPEX, "Financed equipment installed",
             Decimal("120"), "CZK m", Decimal("126.4"), -60, -60),
        ],
        "reports": [("Final project report", -25, -31, None)],
        "promises": [
            (PromiseKind.DISBURSEMENT, "Loan drawdown", -770, PromiseStatus.DELIVERED, -772,
             Decimal("40_000_000"), None),
        ],
    },
    {
        "key": "sario_voucher",
        "title": "Consultancy voucher – Slovak supplier readiness audits",
        "kind": IncentiveKind.OTHER,
        "partner": "sario",
        "region": "bratislava",
        "owner": "manager",
        "currency": "EUR",
        "amount_offered": Decimal("45_000"),
        "amount_awarded": Decimal("45_000"),
        "amount_received": Decimal("45_000"),
        "application_deadline": -240,
        "decision_expected_on": -210,
        "term_start_on": -200,
        "term_end_on": -20,
        "clawback_rule": ClawbackRule.NONE,
        "is_state_aid": True,
        "is_de_minimis": True,
        "aid_type": "De minimis aid",
        "nace_code": "27.11",
        "aid_granted_on": -205,
        "path": [
            (IncentiveStatus.IDENTIFIED, -260, None),
            (IncentiveStatus.PREPARING, -250, None),
            (IncentiveStatus.SUBMITTED, -240, None),
            (IncentiveStatus.AWARDED, -205, None),
            (IncentiveStatus.IN_COMPLIANCE, -200, None),
            (IncentiveStatus.CLOSED, -18, "Voucher settled."),
        ],
        "obligations": [
            (ObligationKind.OTHER, "Readiness audits of Slovak Battery Alliance members",
             Decimal("12"), "audits", Decimal("12"), -25, -25),
        ],
        "reports": [("Voucher settlement report", -20, -22, None)],
    },
    {
        "key": "tam_training",
        "title": "State training subsidy – Reynosa harness technicians",
        "kind": IncentiveKind.TRAINING_SUBSIDY,
        "partner": "invest_tam",
        "region": "tamaulipas",
        "owner": "manager2",
        "currency": "MXN",
        "amount_offered": Decimal("6_500_000"),
        "amount_awarded": Decimal("6_000_000"),
        "amount_received": Decimal("6_000_000"),
        "application_deadline": -690,
        "decision_expected_on": -610,
        "term_start_on": -580,
        "term_end_on": -60,
        "clawback_terms": "Repay in proportion to unmet training hours and jobs, plus "
        "surcharges at the state rate.",
        "clawback_rule": ClawbackRule.PRO_RATA,
        "clawback_interest_pct": Decimal("4.000"),
        "path": [
            (IncentiveStatus.IDENTIFIED, -720, None),
            (IncentiveStatus.PREPARING, -700, None),
            (IncentiveStatus.SUBMITTED, -690, None),
            (IncentiveStatus.AWARDED, -600, None),
            (IncentiveStatus.IN_COMPLIANCE, -580, None),
            (IncentiveStatus.CLAWED_BACK, -30,
             "Harness cutting moved to Apodaca; MXN 2.4m reclaimed pro rata."),
        ],
        "obligations": [
            (ObligationKind.TRAINING_HOURS, "Technician training hours delivered",
             Decimal("30000"), "hours", Decimal("17500"), -60, -60),
            (ObligationKind.JOBS, "Trained technicians employed at Reynosa",
             Decimal("250"), "jobs", Decimal("140"), -60, -60),
        ],
        "reports": [
            ("Annual training report – year 1", -240, -245, None),
            ("Final training report", -60, -55, "Submitted five days late."),
        ],
        "promises": [
            (PromiseKind.TRAINING_FUNDS, "State training fund transfer", -560,
             PromiseStatus.DELIVERED, -565, Decimal("6_000_000"), None),
        ],
    },
    {
        "key": "paih_de_minimis",
        "title": "De minimis grant – Wrocław supplier development workshops",
        "kind": IncentiveKind.GRANT,
        "partner": "paih",
        "region": "wroclaw",
        "owner": "manager",
        "currency": "PLN",
        "amount_offered": Decimal("420_000"),
        "amount_awarded": Decimal("420_000"),
        "amount_received": Decimal("210_000"),
        "application_deadline": -70,
        "decision_expected_on": -35,
        "term_start_on": -20,
        "term_end_on": 345,
        "clawback_rule": ClawbackRule.PRO_RATA,
        "clawback_terms": "Unspent or unevidenced costs are returned.",
        "is_state_aid": True,
        "is_de_minimis": True,
        "aid_type": "De minimis aid",
        "nace_code": "27.20",
        "aid_granted_on": -22,
        "path": [
            (IncentiveStatus.IDENTIFIED, -110, None),
            (IncentiveStatus.PREPARING, -85, None),
            (IncentiveStatus.SUBMITTED, -70, None),
            (IncentiveStatus.AWARDED, -22, None),
            (IncentiveStatus.IN_COMPLIANCE, -20, "Advance of 50% received."),
        ],
        "obligations": [
            (ObligationKind.OTHER, "Supplier development workshops held in Lower Silesia",
             Decimal("6"), "workshops", Decimal("1"), -5, 300),
        ],
        "reports": [("Interim report on workshops held", 150, None, None)],
        "promises": [
            (PromiseKind.DISBURSEMENT, "Balance payment after the interim report", 180,
             PromiseStatus.PENDING, None, Decimal("210_000"), None),
        ],
    },
    {
        "key": "nl_payroll",
        "title": "Payroll tax (ISN) reduction – Apodaca plant expansion",
        "kind": IncentiveKind.TAX_ABATEMENT,
        "partner": "nl_economia",
        "region": "nuevo_leon",
        "owner": "manager2",
        "currency": "MXN",
        "amount_offered": Decimal("18_000_000"),
        "application_deadline": 5,
        "decision_expected_on": 60,
        "clawback_terms": "Reduction lost for the whole term if headcount drops below 80% of "
        "the committed level.",
        "clawback_rule": ClawbackRule.CLIFF,
        "clawback_floor_pct": Decimal("80"),
        "path": [
            (IncentiveStatus.IDENTIFIED, -40, None),
            (IncentiveStatus.PREPARING, -21, "Headcount plan needed from HR."),
        ],
    },
]
# fmt: on


def load_fx_rates(users: dict[str, User]) -> None:
    """Add the FX rates and the interest rate tables, as the admin: before the incentives,
    whose de minimis ceiling and clawback terms need them."""
    for currency, rate, effective_on in FX_RATES:
        operations.add_fx_rate(currency, rate, on(effective_on), actor=users["admin"])
    for series, rate, effective_on in INTEREST_RATES:
        operations.add_interest_rate(
            {"series": series, "rate_pct": rate, "effective_on": on(effective_on)},
            actor=users["admin"],
        )


def load_incentives(
    users: dict[str, User], regions: dict[str, Region], partners: dict[str, Partner]
) -> dict[str, Obligation]:
    """Create the incentives, each written by its owner; return the obligations by
    "<incentive key>/<kind>", for the commitments that count towards one."""
    obligations: dict[str, Obligation] = {}
    for spec in INCENTIVES:
        obligations |= _load_incentive(spec, users, regions, partners)
    return obligations


def _load_incentive(
    spec: dict[str, Any],
    users: dict[str, User],
    regions: dict[str, Region],
    partners: dict[str, Partner],
) -> dict[str, Obligation]:
    fields = dict(spec)
    key = fields.pop("key")
    (first_status, first_on, first_note), *steps = fields.pop("path")
    obligations = fields.pop("obligations", [])
    weights = fields.pop("weights", {})
    disbursements = fields.pop("disbursements", [])
    reports = fields.pop("reports", [])
    promises = fields.pop("promises", [])
    owner = users[fields.pop("owner")]
    fields["granting_partner_id"] = partners[fields.pop("partner")].id
    fields["region_id"] = regions[fields.pop("region")].id
    incentive = operations.create_incentive(
        {**dated(fields), "owner_id": owner.id, "status": first_status},
        actor=owner,
        on=on(first_on),
        note=first_note,
    )
    for status, step_on, note in steps:
        operations.transition(incentive, status, on=on(step_on), note=note, actor=owner)

    loaded = {}
    for kind, description, target, unit, actual, as_of, due_on in obligations:
        obligation = operations.create_obligation(
            incentive,
            {
                "kind": kind,
                "description": description,
                "target_value": target,
                "unit": unit,
                "due_on": on(due_on),
                "owner_id": owner.id,
                "clawback_weight": weights.get(kind),
            },
            actor=owner,
        )
        if actual is not None:
            operations.record_actual(obligation, actual, on(as_of), actor=owner)
        loaded[f"{key}/{kind}"] = obligation
    for title, due_on, submitted_on, note in reports:
        (report,) = operations.schedule_reports(
            incentive, title, on(due_on), "once", None, actor=owner
        )
        if submitted_on is not None:
            operations.submit_report(report, on(submitted_on), note, actor=owner)
        elif note:
            operations.update_report(report, {"note": note}, actor=owner)
    for kind, description, due_on, status, delivered_on, amount, note in promises:
        promise = operations.create_promise(
            incentive,
            {
                "kind": kind,
                "description": description,
                "due_on": on(due_on),
                "amount": amount,
                "note": note,
            },
            actor=owner,
        )
        if status != PromiseStatus.PENDING:
            operations.update_promise(
                promise, {"status": status, "delivered_on": on(delivered_on)}, actor=owner
            )
    for paid_on, amount, note in disbursements:
        operations.add_disbursement(
            incentive, {"paid_on": on(paid_on), "amount": amount, "note": note}, actor=owner
        )
    return loaded
