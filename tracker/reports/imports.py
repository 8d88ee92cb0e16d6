"""The import registry: every kind of record a file can create or update.

Each domain declares its kinds beside its models; `flask import` and the import pages
find them here. The machinery (reading, checking, previewing, applying) is
`tracker.core.imports`.
"""

from collections import defaultdict
from types import SimpleNamespace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from tracker.auth.models import User
from tracker.auth.permissions import CREATE_COMMITMENTS, WRITE_INCENTIVES, WRITE_PARTNERS, can
from tracker.commitments import services as commitment_services
from tracker.commitments.models import Commitment, Milestone, MilestoneStatus
from tracker.core import audit
from tracker.core import imports as core_imports
from tracker.core.errors import DomainError
from tracker.core.imports import (  # noqa: F401 (the registry hands the machinery on)
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_ROWS,
    Context,
    Field,
    ImportFailed,
    ImportKind,
    Preview,
    Row,
    RowPlan,
    apply,
    choice_label,
    diff,
    discard_pending,
    load_pending,
    save_pending,
    settle,
    update_pending_digest,
)
from tracker.core.types import today
from tracker.extensions import db
from tracker.incentives import services as incentive_services
from tracker.incentives.models import ClawbackRule, Incentive, IncentiveKind, IncentiveStatus
from tracker.partners import services as partner_services
from tracker.partners.models import Contact, Partner, PartnerKind, PartnerStatus, Region


def _update_audited(record, values: dict[str, Any], fields: list[str], on, summary) -> None:
    before = audit.snapshot(record, fields)
    for attr, value in values.items():
        setattr(record, attr, value)
    audit.record("update", on, summary(record), audit.diff(before, audit.snapshot(record, fields)))


def _user_lookup(context: Context) -> dict[str, User]:
    if "users" not in context.lookups:
        users = db.session.scalars(select(User))
        context.lookups["users"] = {user.email.lower(): user for user in users}
    return context.lookups["users"]


def _user_by_email(email: str | None, row: Row, context: Context, header: str) -> int | None:
    if email is None:
        return None
    user = _user_lookup(context).get(email.lower())
    if user is None or not user.active:
        row.reasons.append(f"{header}: no active user has the e-mail {email}")
        return None
    return user.id


def _user_email(user_id: int | None) -> str | None:
    if user_id is None:
        return None
    user = db.session.get(User, user_id)
    return user.email if user else str(user_id)


def _region_name(region_id: int | None) -> str | None:
    if region_id is None:
        return None
    region = db.session.get(Region, region_id)
    return region.name if region else str(region_id)


def _region_in(name: str | None, country: str | None, row: Row, context: Context, header: str):
    """The region called `name` in `country` (or the only one of that name), as an id."""
    if name is None:
        return None
    if "regions" not in context.lookups:
        by_name: dict[str, list[Region]] = defaultdict(list)
        for region in db.session.scalars(select(Region)):
            by_name[region.name.lower()].append(region)
        context.lookups["regions"] = by_name
    regions = context.lookups["regions"].get(name.lower(), [])
    if not regions:
        row.reasons.append(f"{header}: there is no region called {name}")
        return None
    in_country = [r for r in regions if r.country_code == country]
    if in_country:
        return in_country[0].id
    if len(regions) > 1:
        row.reasons.append(f"{header}: several regions are called {name}; none in {country}")
        return None
    try:
        partner_services.check_region_matches_country(regions[0].id, country)
    except DomainError as error:
        row.reasons.append(f"{header}: {error.message}")
        return None
    return regions[0].id


def _partner_lookup(context: Context) -> dict[tuple[str, str], Partner]:
    if "partners" not in context.lookups:
        context.lookups["partners"] = {
            (p.name.lower(), p.country_code): p for p in db.session.scalars(select(Partner))
        }
    return context.lookups["partners"]


class PartnerImport(ImportKind):
    name = "partners"
    noun = "partners"
    permission = WRITE_PARTNERS
    list_endpoint = "partners.index"
    key_help = "A partner is matched by its name (any case) and country: a match is updated."
    fields = [
        Field("Name", "name", required=True, max_length=200),
        Field("Country", "country_code", "country", required=True, aliases=("country code",)),
        Field("Kind", "kind", "choice", required=True, choices=PartnerKind),
        Field("Status", "status", "choice", choices=PartnerStatus, help="Empty: Active."),
        Field("Region", "region_id", help="The name of a region in the partner's country."),
        Field("Owner", "owner_id", "email", help="The e-mail of the relationship owner."),
        Field("Website", "website", "url", max_length=300),
        Field("Cadence (days)", "cadence_days", "integer", minimum=1, maximum=730),
        Field("Next planned engagement", "next_engagement_on", "date"),
        Field("Notes", "description", max_length=5000, aliases=("description",)),
    ]

    def key(self, row: Row) -> tuple:
        return (row.get("name", "").lower(), row.get("country_code"))

    def label(self, row: Row) -> str:
        return f"{row.get('name', '?')} ({row.get('country_code', '?')})"

    def plan(self, row: Row, context: Context) -> RowPlan | None:
        country = row.get("country_code")
        values = {
            spec.attr: row.values.get(spec.attr) for spec in self.fields if row.has(spec.attr)
        }
        if row.has("region_id"):
            values["region_id"] = _region_in(
                row.values.get("region_id"), country, row, context, "Region"
            )
        if row.has("owner_id"):
            values["owner_id"] = _user_by_email(row.values.get("owner_id"), row, context, "Owner")
        existing = _partner_lookup(context).get(self.key(row))
        settle(values, existing, {"status": PartnerStatus.ACTIVE.value})
        if row.reasons:
            return None
        plan = RowPlan(row.line, "create", self.label(row), values)
        if existing is not None:
            values.pop("name")  # matched case-insensitively; keep the stored spelling
            plan.record_id = existing.id
            plan.changes = diff(existing, row, self.fields, values, self._shown)
            plan.action = "update" if plan.changes else "unchanged"
        return plan

    _shown = {
        "kind": choice_label(PartnerKind),
        "status": choice_label(PartnerStatus),
        "region_id": _region_name,
        "owner_id": _user_email,
    }

    def write(self, plan: RowPlan, context: Context) -> None:
        fields = [spec.attr for spec in self.fields]
        if plan.action == "create":
            partner = Partner(**plan.values)
            db.session.add(partner)
            audit.record("create", partner, f"Imported partner {partner.name}")
            return
        partner = db.session.get(Partner, plan.record_id)
        _update_audited(
            partner, plan.values, fields, partner, lambda p: f"Updated partner {p.name} by import"
        )


class ContactImport(ImportKind):
    name = "contacts"
    noun = "contacts"
    permission = WRITE_PARTNERS
    list_endpoint = "partners.index"
    key_help = (
        "A contact is matched within its partner (by partner name and country) by e-mail "
        "when one is given, otherwise by name: a match is updated."
    )
    fields = [
        Field("Partner", "partner", required=True, max_length=200, aliases=("partner name",)),
        Field("Partner country", "partner_country", "country", required=True),
        Field("Name", "name", required=True, max_length=120, aliases=("contact name",)),
        Field("Job title", "job_title", max_length=120),
        Field("E-mail", "email", "email", max_length=254, aliases=("email",)),
        Field("Phone", "phone", "phone", max_length=40),
        Field("Notes", "notes", max_length=5000),
    ]
    CONTACT_FIELDS = ["name", "job_title", "email", "phone", "notes"]

    def prepare(self, context: Context) -> None:
        contacts: dict[int, list[Contact]] = defaultdict(list)
        for contact in db.session.scalars(select(Contact)):
            contacts[contact.partner_id].append(contact)
        context.lookups["contacts"] = contacts

    def key(self, row: Row) -> tuple:
        email = row.get("email")
        who = ("email", email.lower()) if email else ("name", row.get("name", "").lower())
        return (row.get("partner", "").lower(), row.get("partner_country"), who)

    def label(self, row: Row) -> str:
        return f"{row.get('name', '?')} at {row.get('partner', '?')}"

    def plan(self, row: Row, context: Context) -> RowPlan | None:
        partner_name, country = row.get("partner", ""), row.get("partner_country")
        partner = _partner_lookup(context).get((partner_name.lower(), country))
        if partner is None:
            row.reasons.append(
                f"Partner: there is no partner called {partner_name} in {country}; "
                "import or add the partner first"
            )
            return None
        values = {attr: row.values.get(attr) for attr in self.CONTACT_FIELDS if row.has(attr)}
        existing = None
        candidates = context.lookups["contacts"].get(partner.id, [])
        email = row.get("email")
        if email:
            existing = next(
                (c for c in candidates if (c.email or "").lower() == email.lower()), None
            )
        if existing is None:
            name = row.get("name", "").lower()
            same_name = [c for c in candidates if c.name.lower() == name]
            if len(same_name) > 1:
                row.reasons.append(
                    f"{partner.name} has {len(same_name)} contacts called {row.get('name')}: "
                    "give their e-mail to say which"
                )
                return None
            existing = same_name[0] if same_name else None
        settle(values, existing, {})
        plan = RowPlan(row.line, "create", self.label(row), values, parent_id=partner.id)
        if existing is not None:
            plan.record_id = existing.id
            plan.changes = diff(existing, row, self.fields, values)
            plan.action = "update" if plan.changes else "unchanged"
        return plan

    def write(self, plan: RowPlan, context: Context) -> None:
        partner = db.session.get(Partner, plan.parent_id)
        if plan.action == "create":
            contact = Contact(partner=partner, **plan.values)
            db.session.add(contact)
            audit.record(
                "update",
                partner,
                f"Imported contact {partner_services.contact_summary(contact)}",
            )
            return
        contact = db.session.get(Contact, plan.record_id)
        _update_audited(
            contact,
            plan.values,
            self.CONTACT_FIELDS,
            partner,
            lambda c: f"Updated contact {c.name} by import",
        )


class IncentiveImport(ImportKind):
    name = "incentives"
    noun = "incentives"
    permission = WRITE_INCENTIVES
    list_endpoint = "incentives.index"
    key_help = (
        "An incentive is matched by its title (any case) and granting partner: a match is "
        "updated. A status change must be the next step of the pipeline."
    )
    fields = [
        Field("Title", "title", required=True, max_length=200),
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
        Field("Offered", "amount_offered", "decimal", minimum=0, places=2),
        Field("Awarded", "amount_awarded", "decimal", minimum=0, places=2),
        Field("Received", "amount_received", "decimal", minimum=0, places=2),
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
        Field("Clawback terms", "clawback_terms", max_length=5000),
        Field("De minimis", "is_de_minimis", "boolean"),
        Field("Aid granted on", "aid_granted_on", "date"),
        Field("Description", "description", max_length=5000),
    ]
    REFERENCES = ("granting_partner", "granting_partner_country")
    DEFAULTS = {
        "status": IncentiveStatus.IDENTIFIED.value,
        "clawback_rule": ClawbackRule.NONE.value,
        "is_de_minimis": False,
    }

    def prepare(self, context: Context) -> None:
        incentives = db.session.scalars(
            select(Incentive).options(selectinload(Incentive.obligations))
        )
        by_key: dict[tuple[str, int], list[Incentive]] = defaultdict(list)
        for incentive in incentives:
            by_key[(incentive.title.lower(), incentive.granting_partner_id)].append(incentive)
        context.lookups["incentives"] = by_key
        by_name: dict[str, list[Partner]] = defaultdict(list)
        for partner in _partner_lookup(context).values():
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
            values["region_id"] = _region_in(
                row.values.get("region_id"),
                partner.country_code if partner else None,
                row,
                context,
                "Region",
            )
        if row.has("owner_id"):
            values["owner_id"] = _user_by_email(row.values.get("owner_id"), row, context, "Owner")
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
        settle(values, existing, self.DEFAULTS)
        self._check(row, existing, values)
        if row.reasons:
            return None
        values["granting_partner_id"] = partner.id
        plan = RowPlan(row.line, "create", self.label(row), values)
        if existing is not None:
            values.pop("title")
            plan.record_id = existing.id
            plan.changes = diff(existing, row, self.fields, values, self._shown)
            plan.action = "update" if plan.changes else "unchanged"
        return plan

    _shown = {
        "kind": choice_label(IncentiveKind),
        "status": choice_label(IncentiveStatus),
        "clawback_rule": choice_label(ClawbackRule),
        "region_id": _region_name,
        "owner_id": _user_email,
    }

    def _check(self, row: Row, existing: Incentive | None, values: dict) -> None:
        def current(attr):
            return values[attr] if attr in values else getattr(existing, attr, None)

        start, end = current("term_start_on"), current("term_end_on")
        if start and end and end < start:
            row.reasons.append(
                f"Term end: {end.isoformat()} is before the term start {start.isoformat()}"
            )
        if existing is None:
            return
        term = SimpleNamespace(term_start_on=start, term_end_on=end)
        for obligation in existing.obligations:
            try:
                incentive_services.check_within_term(term, obligation.due_on, "term_end_on")
            except DomainError as error:
                row.reasons.append(f"Term: an obligation is due {error.message}")
                break
        to_status = values.get("status")
        if to_status and to_status != existing.status:
            allowed = incentive_services.allowed_transitions(existing.status)
            if to_status not in allowed:
                names = ", ".join(IncentiveStatus(s).label for s in allowed) or "none"
                row.reasons.append(
                    f"Status: an incentive that is "
                    f"{IncentiveStatus(existing.status).label.lower()} cannot move to "
                    f"{IncentiveStatus(to_status).label.lower()} (allowed next: {names})"
                )

    def write(self, plan: RowPlan, context: Context) -> None:
        fields = [spec.attr for spec in self.fields if spec.attr not in self.REFERENCES]
        user_id = context.user.id if context.user is not None else None
        as_of = today()
        if plan.action == "create":
            incentive = Incentive(**plan.values)
            db.session.add(incentive)
            audit.record("create", incentive, f"Imported incentive {incentive.title}")
            incentive_services.record_first_status(incentive, user_id, as_of)
            return
        incentive = db.session.get(Incentive, plan.record_id)
        before = audit.snapshot(incentive, fields)
        values = dict(plan.values)
        to_status = values.pop("status", incentive.status)
        for attr, value in values.items():
            setattr(incentive, attr, value)
        if to_status != incentive.status:
            incentive_services.transition(incentive, to_status, as_of, user_id, "Imported", as_of)
        changes = audit.diff(before, audit.snapshot(incentive, fields))
        audit.record("update", incentive, f"Updated incentive {incentive.title} by import", changes)


class MilestoneImport(ImportKind):
    name = "milestones"
    noun = "milestones"
    permission = CREATE_COMMITMENTS
    list_endpoint = "commitments.milestones"
    key_help = (
        "A milestone is matched by its commitment's title and its own title (any case): a "
        "match is updated. Programme owners may import milestones of their own commitments."
    )
    fields = [
        Field("Commitment", "commitment", required=True, max_length=200),
        Field("Milestone", "title", required=True, max_length=200, aliases=("title",)),
        Field("Due", "due_on", "date", required=True, aliases=("due date", "due on")),
        Field("Status", "status", "choice", choices=MilestoneStatus, help="Empty: Planned."),
        Field(
            "Completed on",
            "completed_on",
            "date",
            help="Only for a done milestone; empty: the date stored, or today.",
        ),
        Field("Evidence", "evidence_note", max_length=5000, aliases=("evidence note",)),
    ]
    MILESTONE_FIELDS = ["title", "due_on", "status", "completed_on", "evidence_note"]

    def prepare(self, context: Context) -> None:
        commitments = db.session.scalars(
            select(Commitment).options(selectinload(Commitment.milestones))
        )
        by_title: dict[str, list[Commitment]] = defaultdict(list)
        for commitment in commitments:
            by_title[commitment.title.lower()].append(commitment)
        context.lookups["commitments"] = by_title
        _user_lookup(context)  # owner names for the refusal messages

    def key(self, row: Row) -> tuple:
        return (row.get("commitment", "").lower(), row.get("title", "").lower())

    def label(self, row: Row) -> str:
        return f"{row.get('title', '?')} ({row.get('commitment', '?')})"

    def plan(self, row: Row, context: Context) -> RowPlan | None:
        title = row.get("commitment", "")
        commitments = context.lookups["commitments"].get(title.lower(), [])
        if not commitments:
            row.reasons.append(f"Commitment: there is no commitment titled {title}")
            return None
        if len(commitments) > 1:
            row.reasons.append(
                f"Commitment: {len(commitments)} commitments are titled {title}; "
                "rename one in the app first"
            )
            return None
        commitment = commitments[0]
        if context.user is not None and not commitment_services.can_edit(context.user, commitment):
            owner = db.session.get(User, commitment.owner_id)
            row.reasons.append(
                f"Commitment: you may not edit {commitment.title}, which "
                f"{owner.name if owner else 'another user'} owns"
            )
            return None
        matches = [m for m in commitment.milestones if m.title.lower() == row.get("title").lower()]
        if len(matches) > 1:
            row.reasons.append(
                f"{commitment.title} has {len(matches)} milestones titled {row.get('title')}: "
                "rename one in the app first"
            )
            return None
        existing = matches[0] if matches else None
        status = row.get("status") or (existing.status if existing else MilestoneStatus.PLANNED)
        completed_on = row.get("completed_on")
        if completed_on is None and existing is not None and status == MilestoneStatus.DONE:
            completed_on = existing.completed_on  # done already: keep the day it was done
        try:
            completed_on = commitment_services.check_milestone(
                commitment, row.get("due_on"), status, completed_on
            )
        except DomainError as error:
            header = {"due_on": "Due", "completed_on": "Completed on"}.get(error.field, "")
            row.reasons.append(f"{header}: {error.message}" if header else error.message)
            return None
        values = {"due_on": row.get("due_on"), "status": str(status)}
        values["completed_on"] = completed_on
        if row.get("evidence_note") is not None:
            values["evidence_note"] = row.get("evidence_note")
        plan = RowPlan(row.line, "create", self.label(row), values, parent_id=commitment.id)
        if existing is None:
            values["title"] = row.get("title")
            values["position"] = (
                commitment_services.next_position(commitment) + (context.positions[commitment.id])
            )
            context.positions[commitment.id] += 1
        else:
            plan.record_id = existing.id
            plan.changes = diff(existing, row, self.fields, values, self._shown)
            plan.action = "update" if plan.changes else "unchanged"
        return plan

    _shown = {"status": choice_label(MilestoneStatus)}

    def write(self, plan: RowPlan, context: Context) -> None:
        commitment = db.session.get(Commitment, plan.parent_id)
        if plan.action == "create":
            milestone = Milestone(commitment=commitment, **plan.values)
            db.session.add(milestone)
            audit.record(
                "update",
                commitment,
                f"Imported milestone “{milestone.title}” due {milestone.due_on.isoformat()}",
            )
            return
        milestone = db.session.get(Milestone, plan.record_id)
        _update_audited(
            milestone,
            plan.values,
            self.MILESTONE_FIELDS,
            commitment,
            lambda m: f"Updated milestone “{m.title}” by import",
        )


KINDS: dict[str, ImportKind] = {
    kind.name: kind
    for kind in (PartnerImport(), ContactImport(), IncentiveImport(), MilestoneImport())
}


def may_import(user, kind: str) -> bool:
    """Whether `user`'s role may import `kind` at all (owners: milestones of their own)."""
    return kind in KINDS and can(user, KINDS[kind].permission)


def parse_upload(kind: str, filename: str, data: bytes, user=None) -> Preview:
    """Read and check a file of `kind` (see `tracker.core.imports.parse_upload`)."""
    return core_imports.parse_upload(KINDS[kind], filename, data, user)


def template_bytes(kind: str, fmt: str) -> bytes:
    return core_imports.template_bytes(KINDS[kind], fmt)
