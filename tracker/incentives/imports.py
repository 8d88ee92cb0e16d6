"""Importing incentives from CSV or XLSX (`tracker.core.imports` reads the files).

Each row is written through `tracker.incentives.operations`, so a row breaking a rule is
refused with the form's message, led by its column.
"""

from collections import defaultdict
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from tracker.auth.imports import user_by_email, user_email
from tracker.auth.permissions import WRITE_INCENTIVES, may_write_incentives
from tracker.core.errors import DomainError
from tracker.core.imports import (
    Context,
    Field,
    ImportKind,
    Row,
    RowPlan,
    choice_label,
    settle,
)
from tracker.extensions import db
from tracker.incentives import operations, services
from tracker.incentives.models import (
    ClawbackInterest,
    ClawbackRule,
    Incentive,
    IncentiveKind,
    IncentiveStatus,
)
from tracker.partners.imports import partner_lookup, region_in, region_name
from tracker.partners.models import Partner

NEGATIVE = operations.NEGATIVE_AMOUNT  # the form's words, checked before the row is written


class IncentiveImport(ImportKind):
    model = Incentive
    name = "incentives"
    noun = "incentives"
    permission = WRITE_INCENTIVES
    list_endpoint = "incentives.index"
    key_help = (
        "An incentive is matched by its title (any case) and granting partner: a match is "
        "updated. A status change must be the next step of the pipeline."
    )
    fields = [
        Field("Title", "title", required=True),
        Field("Granting partner", "granting_partner", required=True, max_length=200),
        Field(
            "Granting partner country",
            "granting_partner_country",
            "country",
            help="Needed only when partners in several countries share the name.",
        ),
        Field("Kind", "kind", "choice", required=True, choices=IncentiveKind),
        Field("Status", "status", "choice", choices=IncentiveStatus, help="Empty: Identified."),
        Field("Currency", "currency", "currency", required=True),
        Field("Offered", "amount_offered", "decimal", minimum=0, places=3, range_message=NEGATIVE),
        Field("Awarded", "amount_awarded", "decimal", minimum=0, places=3, range_message=NEGATIVE),
        Field(
            "Received", "amount_received", "decimal", minimum=0, places=3, range_message=NEGATIVE
        ),
        Field(
            "Identified on",
            "identified_on",
            "date",
            help="With the other step dates, the pipeline history a new incentive starts "
            "with (empty: today).",
        ),
        Field("Submitted on", "submitted_on", "date"),
        Field("Awarded on", "awarded_on", "date", aliases=("Award date", "Date of award")),
        Field(
            "Closed on",
            "closed_on",
            "date",
            aliases=("Ended on",),
            help="When it ended: closed, rejected, clawed back or withdrawn.",
        ),
        Field("Application deadline", "application_deadline", "date"),
        Field("Decision expected", "decision_expected_on", "date"),
        Field("Term start", "term_start_on", "date"),
        Field("Term end", "term_end_on", "date"),
        Field("Region", "region_id", help="The name of a region."),
        Field("Owner", "owner_id", "email", help="The e-mail of the user who runs it."),
        Field("Clawback rule", "clawback_rule", "choice", choices=ClawbackRule),
        Field(
            "Clawback floor (%)", "clawback_floor_pct", "decimal", minimum=0, maximum=100, places=2
        ),
        Field(
            "Clawback interest (% a year)",
            "clawback_interest_pct",
            "decimal",
            minimum=0,
            maximum=100,
            places=3,
        ),
        Field(
            "Clawback interest",
            "clawback_interest",
            "choice",
            choices=ClawbackInterest,
            help="None, simple or compound; empty: simple when a rate is given.",
        ),
        Field(
            "Clawback rate table",
            "clawback_rate_series",
            help="The name of an interest rate table, instead of a fixed rate.",
        ),
        Field(
            "Recapture schedule",
            "clawback_schedule",
            help="Percentages by year held, e.g. 100, 80, 60, 40, 20.",
        ),
        Field(
            "Penalty cap", "clawback_cap", "decimal", minimum=0, places=3, range_message=NEGATIVE
        ),
        Field("Clawback terms", "clawback_terms"),
        Field("State aid", "is_state_aid", "boolean", help="EU state aid."),
        Field("Aid scheme number", "aid_scheme_number", help="e.g. SA.58314."),
        Field("Aid instrument", "aid_type", aliases=("Aid type",)),
        Field("Objective", "aid_objective", aliases=("Aid objective",)),
        Field("Beneficiary", "beneficiary"),
        Field(
            "Beneficiary's national ID",
            "beneficiary_national_id",
            aliases=("National ID", "Beneficiary ID"),
        ),
        Field(
            "Project or contract number",
            "project_number",
            aliases=("Project number", "Contract number"),
        ),
        Field(
            "Total eligible cost",
            "eligible_cost",
            "decimal",
            minimum=0,
            places=3,
            range_message=NEGATIVE,
            aliases=("Eligible cost",),
        ),
        Field(
            "Aid intensity (%)",
            "aid_intensity_pct",
            "decimal",
            minimum=0,
            maximum=100,
            places=2,
            aliases=("Aid intensity",),
        ),
        Field("NACE sector code", "nace_code", aliases=("NACE code", "NACE")),
        Field("De minimis", "is_de_minimis", "boolean"),
        Field("Aid granted on", "aid_granted_on", "date"),
        Field(
            "Gross grant equivalent",
            "gross_grant_equivalent",
            "decimal",
            minimum=0,
            places=3,
            range_message=NEGATIVE,
            aliases=("GGE",),
        ),
        Field(
            "Payment tranches",
            "tranches",
            max_length=4000,
            aliases=("Tranches", "Disbursements"),
            help="Money received, each as YYYY-MM-DD amount, separated by semicolons "
            "(2025-03-01 600000; 2025-09-15 400000): their sum is what was received.",
        ),
        Field("Description", "description", aliases=("notes",)),
    ]
    # Money is read to three places, the finest minor unit; the operation holds each amount
    # to its currency's own (whole yen, cents of a euro).
    # Columns that find the granting partner rather than set a field.
    REFERENCES = ("granting_partner", "granting_partner_country")
    DEFAULTS = {
        "status": IncentiveStatus.IDENTIFIED.value,
        "clawback_rule": ClawbackRule.NONE.value,
        "is_state_aid": False,
        "is_de_minimis": False,
    }
    _shown = {
        "kind": choice_label(IncentiveKind),
        "status": choice_label(IncentiveStatus),
        "clawback_rule": choice_label(ClawbackRule),
        "clawback_interest": choice_label(ClawbackInterest),
        "region_id": region_name,
        "owner_id": user_email,
        "tranches": lambda tranches: services.tranches_text(tranches),
    }

    def may_import(self, user) -> bool:
        return user is None or may_write_incentives(user)

    def prepare(self, context: Context) -> None:
        by_key: dict[tuple[str, int], list[Incentive]] = defaultdict(list)
        for incentive in db.session.scalars(select(Incentive)):
            by_key[(incentive.title.lower(), incentive.granting_partner_id)].append(incentive)
        context.lookups["incentives"] = by_key
        by_name: dict[str, list[Partner]] = defaultdict(list)
        for partner in partner_lookup(context).values():
            by_name[partner.name.lower()].append(partner)
        context.lookups["partners_by_name"] = by_name

    def key(self, row: Row) -> tuple:
        return (
            row.get("title", "").lower(),
            row.get("granting_partner", "").lower(),
            row.get("granting_partner_country"),
        )

    def label(self, row: Row) -> str:
        return f"{row.get('title', '?')} ({row.get('granting_partner', '?')})"

    def _partner(self, row: Row, context: Context) -> Partner | None:
        name, country = row.get("granting_partner", ""), row.get("granting_partner_country")
        partners = context.lookups["partners_by_name"].get(name.lower(), [])
        if country:
            partners = [p for p in partners if p.country_code == country]
        if not partners:
            where = f" in {country}" if country else ""
            row.reasons.append(f"Granting partner: there is no partner called {name}{where}")
            return None
        if len(partners) > 1:
            countries = ", ".join(sorted(p.country_code for p in partners))
            row.reasons.append(
                f"Granting partner: partners called {name} exist in {countries}; "
                "fill in the granting partner country"
            )
            return None
        return partners[0]

    def plan(self, row: Row, context: Context) -> RowPlan | None:
        partner = self._partner(row, context)
        values = {
            spec.attr: row.values.get(spec.attr)
            for spec in self.fields
            if row.has(spec.attr) and spec.attr not in self.REFERENCES
        }
        if row.has("region_id"):
            values["region_id"] = region_in(
                row.values.get("region_id"),
                partner.country_code if partner else None,
                row,
                context,
                "Region",
            )
        if row.has("owner_id"):
            values["owner_id"] = user_by_email(row.values.get("owner_id"), row, context, "Owner")
        if partner is None:
            return None
        matches = context.lookups["incentives"].get((row.get("title", "").lower(), partner.id), [])
        if len(matches) > 1:
            row.reasons.append(
                f"{len(matches)} incentives from {partner.name} are titled {row.get('title')}: "
                "rename one in the app first"
            )
            return None
        existing = matches[0] if matches else None
        tranches = _tranches(values, existing, row)
        if existing is not None:
            _keep_history(existing, values, row)
        elif tranches:
            values["tranches"] = tranches
        settle(values, existing, self.DEFAULTS)
        if row.reasons:
            return None
        values["granting_partner_id"] = partner.id
        return self.planned(row, values, existing, matched_by="title")

    def write(self, plan: RowPlan, context: Context) -> None:
        if plan.action == "create":
            values = dict(plan.values)
            tranches = values.pop("tranches", None) or []
            incentive = operations.create_incentive(values, actor=context.user, note="Imported")
            for paid_on, amount in tranches:
                try:
                    operations.add_disbursement(
                        incentive, {"paid_on": paid_on, "amount": amount}, actor=context.user
                    )
                except DomainError as error:  # the tranche's rule, on the column that gave it
                    raise DomainError(error.message, "tranches") from None
        else:
            incentive = db.session.get(Incentive, plan.record_id)
            operations.update_incentive(incentive, plan.values, actor=context.user, note="Imported")


def _stored_step(incentive: Incentive, name: str):
    """The date the incentive's history gives the step `name` dates (`STEP_DATES`)."""
    if name == "awarded_on":
        return incentive.awarded_on
    step = operations.STEP_DATES[name]
    ends = operations.ENDED if step is None else (step,)
    return next((c.changed_on for c in incentive.status_changes if c.to_status in ends), None)


def _keep_history(incentive: Incentive, values: dict, row: Row) -> None:
    """An existing incentive keeps its pipeline history: a step date the row gives must be
    the one it has (an exported file comes back unchanged); a different one is a bad row."""
    for name in operations.STEP_DATES:
        day = values.pop(name, None)
        stored = _stored_step(incentive, name)
        if day is not None and day != stored:
            row.reasons.append(
                f"{operations.STEP_LABELS[name]}: {incentive.title} has its history already "
                f"({stored.isoformat() if stored else 'no such step'}); date its steps on its "
                "page"
            )


TRANCHES_FORMAT = (
    "write each as YYYY-MM-DD amount, separated by semicolons (2025-03-01 600000; "
    "2025-09-15 400000)"
)


def _parse_tranches(text: str) -> list[tuple[date, Decimal]]:
    tranches = []
    for part in text.replace("\n", ";").split(";"):
        if not part.strip():
            continue
        day, amount = part.split()
        number = Decimal(amount.replace(",", ""))
        if not number.is_finite():
            raise ValueError(part)
        tranches.append((date.fromisoformat(day), number))
    return sorted(tranches)


def _tranches(values: dict, existing: Incentive | None, row: Row):
    """The row's payment tranches, read (a bad one is a bad row). A new incentive gets them
    as its disbursements, and what it received is their sum; one already recorded keeps its
    own (the same ones are accepted, so an export comes back unchanged)."""
    text = values.pop("tranches", None)
    if not text:
        return None
    try:
        tranches = _parse_tranches(text)
    except (ValueError, ArithmeticError):
        row.reasons.append(f"Payment tranches: {TRANCHES_FORMAT}")
        return None
    if existing is not None:
        stored = [(d.paid_on, d.amount) for d in existing.disbursements]
        if tranches != stored:
            row.reasons.append(
                f"Payment tranches: {existing.title} has its disbursements already "
                f"({services.tranches_text(stored) or 'none'}); record them on its page"
            )
        return None
    total = sum((amount for _day, amount in tranches), Decimal(0))
    received = values.get("amount_received")
    if received is not None and received != total:
        row.reasons.append(
            f"Received: {format(received.normalize(), 'f')} is not the sum of the payment "
            f"tranches ({format(total.normalize(), 'f')})"
        )
    values.pop("amount_received", None)
    return tranches
