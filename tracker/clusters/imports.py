"""Importing what partners provide and the supply links between them, from CSV or XLSX
(`tracker.core.imports` reads the files). Each row goes through
`tracker.clusters.operations`: a cycle, a capability not in the catalogue or a tonnage
below zero is refused with the form's words, and a file with a bad row writes nothing."""

from sqlalchemy import select

from tracker.auth.permissions import WRITE_PARTNERS, may_write_partners
from tracker.clusters import operations
from tracker.clusters.models import Capability, PartnerCapability, SupplyLink
from tracker.core.imports import Context, Field, ImportKind, Row, RowPlan, choice_label, settle
from tracker.core.text import name_key
from tracker.core.types import TransportMode
from tracker.extensions import db
from tracker.partners.imports import partner_lookup
from tracker.partners.models import Partner


def capability_in(name: str | None, row: Row, context: Context, header: str) -> Capability | None:
    """The catalogue's capability called `name` (any case); otherwise None, with the reason
    on the row."""
    if "capabilities" not in context.lookups:
        context.lookups["capabilities"] = {
            capability.name_key: capability for capability in db.session.scalars(select(Capability))
        }
    capability = context.lookups["capabilities"].get(name_key(name or ""))
    if capability is None:
        row.reasons.append(
            f"{header}: {name} is not in the capability catalogue; an admin adds it on "
            "Admin → Capabilities"
        )
    return capability


def _partner(row: Row, context: Context, name_attr: str, country_attr: str, header: str):
    name, country = row.get(name_attr, ""), row.get(country_attr)
    partner = partner_lookup(context).get((name_key(name), country))
    if partner is None:
        row.reasons.append(
            f"{header}: there is no partner called {name} in {country}; "
            "import or add the partner first"
        )
    return partner


# The capability a row names, by its name in the catalogue (`capability_in`).
CAPABILITY_COLUMN = Field(
    "Capability",
    "capability",
    required=True,
    max_length=120,
    help="The name of a capability in the catalogue.",
)


class CapabilityImport(ImportKind):
    model = PartnerCapability
    name = "partner-capabilities"
    noun = "capability tags"
    permission = WRITE_PARTNERS
    list_endpoint = "clusters.scorecard"
    key_help = (
        "A row is matched by its partner (name and country) and capability: a match is updated."
    )
    fields = [
        Field("Partner", "partner", required=True, max_length=200),
        Field("Partner country", "partner_country", "country", required=True),
        CAPABILITY_COLUMN,
        Field("Capacity", "capacity", "decimal"),
        Field("Counted in", "capacity_unit", aliases=("unit", "capacity unit")),
    ]
    refers = {"capability_id": "capability"}

    def may_import(self, user) -> bool:
        return user is None or may_write_partners(user)

    def key(self, row: Row) -> tuple:
        return (
            name_key(row.get("partner")),
            row.get("partner_country"),
            name_key(row.get("capability")),
        )

    def label(self, row: Row) -> str:
        return f"{row.get('capability', '?')} at {row.get('partner', '?')}"

    def plan(self, row: Row, context: Context) -> RowPlan | None:
        partner = _partner(row, context, "partner", "partner_country", "Partner")
        capability = capability_in(row.get("capability"), row, context, "Capability")
        if row.reasons:
            return None
        values = {
            attr: row.values.get(attr) for attr in ("capacity", "capacity_unit") if row.has(attr)
        }
        values["capability_id"] = capability.id
        existing = db.session.scalar(
            select(PartnerCapability).where(
                PartnerCapability.partner_id == partner.id,
                PartnerCapability.capability_id == capability.id,
            )
        )
        settle(values, existing, {})
        return self.planned(row, values, existing, parent_id=partner.id)

    def write(self, plan: RowPlan, context: Context) -> None:
        if plan.action == "create":
            partner = db.session.get(Partner, plan.parent_id)
            operations.add_capability(partner, plan.values, actor=context.user)
        else:
            provided = db.session.get(PartnerCapability, plan.record_id)
            operations.update_provided(provided, plan.values, actor=context.user)


class SupplyLinkImport(ImportKind):
    model = SupplyLink
    name = "supply-links"
    noun = "supply links"
    permission = WRITE_PARTNERS
    list_endpoint = "clusters.dependencies"
    key_help = (
        "A link is matched by its buyer, supplier (each by name and country) and capability: "
        "a match is updated."
    )
    fields = [
        Field("Buyer", "buyer", required=True, max_length=200),
        Field("Buyer country", "buyer_country", "country", required=True),
        CAPABILITY_COLUMN,
        Field("Supplier", "supplier", required=True, max_length=200),
        Field("Supplier country", "supplier_country", "country", required=True),
        Field("Delivered to (site)", "site", aliases=("site",)),
        Field("Tonnes a year", "annual_tonnage", "decimal", aliases=("tonnes", "annual tonnage")),
        Field(
            "Transport mode", "transport_mode", "choice", choices=TransportMode, aliases=("mode",)
        ),
        Field(
            "Replaced supply from",
            "replaced_country",
            "country",
            help="The country this supply came from before it was nearshored.",
        ),
        Field(
            "Replaced route's mode",
            "replaced_mode",
            "choice",
            choices=TransportMode,
            help="Empty: sea.",
        ),
    ]
    refers = {"buyer_id": "buyer", "supplier_id": "supplier", "capability_id": "capability"}
    _shown = {
        "transport_mode": choice_label(TransportMode),
        "replaced_mode": choice_label(TransportMode),
    }
    ROUTE = ("site", "annual_tonnage", "transport_mode", "replaced_country", "replaced_mode")

    def may_import(self, user) -> bool:
        return user is None or may_write_partners(user)

    def key(self, row: Row) -> tuple:
        return (
            name_key(row.get("buyer")),
            row.get("buyer_country"),
            name_key(row.get("supplier")),
            row.get("supplier_country"),
            name_key(row.get("capability")),
        )

    def label(self, row: Row) -> str:
        return (
            f"{row.get('buyer', '?')} buys {row.get('capability', '?')} "
            f"from {row.get('supplier', '?')}"
        )

    def plan(self, row: Row, context: Context) -> RowPlan | None:
        buyer = _partner(row, context, "buyer", "buyer_country", "Buyer")
        supplier = _partner(row, context, "supplier", "supplier_country", "Supplier")
        capability = capability_in(row.get("capability"), row, context, "Capability")
        if row.reasons:
            return None
        values = {attr: row.values.get(attr) for attr in self.ROUTE if row.has(attr)}
        values.update(buyer_id=buyer.id, supplier_id=supplier.id, capability_id=capability.id)
        existing = db.session.scalar(
            select(SupplyLink).where(
                SupplyLink.buyer_id == buyer.id,
                SupplyLink.supplier_id == supplier.id,
                SupplyLink.capability_id == capability.id,
            )
        )
        settle(values, existing, {})
        return self.planned(row, values, existing)

    def write(self, plan: RowPlan, context: Context) -> None:
        if plan.action == "create":
            operations.create_supply_link(plan.values, actor=context.user)
        else:
            link = db.session.get(SupplyLink, plan.record_id)
            operations.update_supply_link(link, plan.values, actor=context.user)
