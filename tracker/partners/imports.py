"""Importing partners and contacts from CSV or XLSX (`tracker.core.imports` reads the files).

Each row is written through `tracker.partners.operations`, so a row breaking a rule is
refused with the form's message. `region_in` and `partner_lookup` are the lookups other
domains' imports use to name a region or a partner.
"""

from collections import defaultdict

from sqlalchemy import select

from tracker.auth.imports import user_by_email, user_email
from tracker.auth.permissions import WRITE_PARTNERS, may_write_partners
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
from tracker.core.text import name_key
from tracker.extensions import db
from tracker.partners import operations
from tracker.partners.models import Contact, Partner, PartnerKind, PartnerStatus, Region


def region_name(region_id: int | None) -> str | None:
    """How a region reference reads in a preview: its name (the id when it is gone)."""
    if region_id is None:
        return None
    region = db.session.get(Region, region_id)
    return region.name if region else str(region_id)


def region_in(
    name: str | None, country: str | None, row: Row, context: Context, header: str
) -> int | None:
    """The id of the region called `name` in `country` (or of the only region of that
    name, which must then be in `country`); otherwise None, with the reason on the row."""
    if name is None:
        return None
    if "regions" not in context.lookups:
        by_name: dict[str, list[Region]] = defaultdict(list)
        for region in db.session.scalars(select(Region)):
            by_name[region.name_key].append(region)
        context.lookups["regions"] = by_name
    regions = context.lookups["regions"].get(name_key(name), [])
    if not regions:
        row.reasons.append(f"{header}: there is no region called {name}")
        return None
    in_country = [region for region in regions if region.country_code == country]
    if in_country:
        return in_country[0].id
    if len(regions) > 1:
        row.reasons.append(f"{header}: several regions are called {name}; none in {country}")
        return None
    try:
        operations.check_region_matches_country(regions[0].id, country)
    except DomainError as error:
        row.reasons.append(f"{header}: {error.message}")
        return None
    return regions[0].id


def partner_lookup(context: Context) -> dict[tuple[str, str], Partner]:
    """Every partner by (name key, country code), loaded once per file."""
    if "partners" not in context.lookups:
        context.lookups["partners"] = {
            (partner.name_key, partner.country_code): partner
            for partner in db.session.scalars(select(Partner))
        }
    return context.lookups["partners"]


class PartnerImport(ImportKind):
    model = Partner
    name = "partners"
    noun = "partners"
    permission = WRITE_PARTNERS
    list_endpoint = "partners.index"
    key_help = "A partner is matched by its name (any case) and country: a match is updated."
    fields = [
        Field("Name", "name", required=True),
        Field("Country", "country_code", "country", required=True, aliases=("country code",)),
        Field("Kind", "kind", "choice", required=True, choices=PartnerKind),
        Field("Status", "status", "choice", choices=PartnerStatus, help="Empty: Active."),
        Field("Region", "region_id", help="The name of a region in the partner's country."),
        Field("Owner", "owner_id", "email", help="The e-mail of the relationship owner."),
        Field("Website", "website", "url"),
        Field("Cadence (days)", "cadence_days", "integer"),
        Field("Next planned engagement", "next_engagement_on", "date"),
        Field("Latitude", "latitude", "decimal", help="Its site, in decimal degrees."),
        Field("Longitude", "longitude", "decimal"),
        Field("Notes", "description", aliases=("description",)),
    ]
    _shown = {
        "kind": choice_label(PartnerKind),
        "status": choice_label(PartnerStatus),
        "region_id": region_name,
        "owner_id": user_email,
    }

    def may_import(self, user) -> bool:
        return user is None or may_write_partners(user)

    def key(self, row: Row) -> tuple:
        return (name_key(row.get("name")), row.get("country_code"))

    def label(self, row: Row) -> str:
        return f"{row.get('name', '?')} ({row.get('country_code', '?')})"

    def plan(self, row: Row, context: Context) -> RowPlan | None:
        country = row.get("country_code")
        values = {
            spec.attr: row.values.get(spec.attr) for spec in self.fields if row.has(spec.attr)
        }
        if row.has("region_id"):
            values["region_id"] = region_in(
                row.values.get("region_id"), country, row, context, "Region"
            )
        if row.has("owner_id"):
            values["owner_id"] = user_by_email(row.values.get("owner_id"), row, context, "Owner")
        existing = partner_lookup(context).get(self.key(row))
        settle(values, existing, {"status": PartnerStatus.ACTIVE.value})
        if row.reasons:
            return None
        return self.planned(row, values, existing, matched_by="name")

    def write(self, plan: RowPlan, context: Context) -> None:
        if plan.action == "create":
            operations.create_partner(plan.values, actor=context.user)
        else:
            partner = db.session.get(Partner, plan.record_id)
            operations.update_partner(partner, plan.values, actor=context.user)


class ContactImport(ImportKind):
    model = Contact
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
        Field("Name", "name", required=True, aliases=("contact name",)),
        Field("Job title", "job_title"),
        Field("E-mail", "email", "email", aliases=("email",)),
        # Checked by the operation, so a bad number reads as the form words it.
        Field(
            "Phone",
            "phone",
            help="Digits, spaces and + ( ) - . / only, e.g. +36 96 555 0100.",
        ),
        Field("Notes", "notes"),
    ]

    def may_import(self, user) -> bool:
        return user is None or may_write_partners(user)

    def prepare(self, context: Context) -> None:
        contacts: dict[int, list[Contact]] = defaultdict(list)
        for contact in db.session.scalars(select(Contact)):
            contacts[contact.partner_id].append(contact)
        context.lookups["contacts"] = contacts

    def key(self, row: Row) -> tuple:
        email = row.get("email")
        who = ("email", email.lower()) if email else ("name", row.get("name", "").lower())
        return (name_key(row.get("partner")), row.get("partner_country"), who)

    def label(self, row: Row) -> str:
        return f"{row.get('name', '?')} at {row.get('partner', '?')}"

    def plan(self, row: Row, context: Context) -> RowPlan | None:
        partner_name, country = row.get("partner", ""), row.get("partner_country")
        partner = partner_lookup(context).get((name_key(partner_name), country))
        if partner is None:
            row.reasons.append(
                f"Partner: there is no partner called {partner_name} in {country}; "
                "import or add the partner first"
            )
            return None
        values = {attr: row.values.get(attr) for attr in operations.CONTACT_FIELDS if row.has(attr)}
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
        return self.planned(row, values, existing, parent_id=partner.id)

    def write(self, plan: RowPlan, context: Context) -> None:
        if plan.action == "create":
            partner = db.session.get(Partner, plan.parent_id)
            operations.create_contact(partner, plan.values, actor=context.user)
        else:
            contact = db.session.get(Contact, plan.record_id)
            operations.update_contact(contact, plan.values, actor=context.user)
