"""Cluster intelligence through the API: the capability catalogue and sectors, what partners
provide, supply links, the scorecard (and a what-if), the offshore dependencies, the route
estimates and the scorecard's weights."""

from marshmallow import Schema, fields, validate
from sqlalchemy import select

from tracker.api.base import (
    ID,
    api_requires,
    api_user,
    body_schema,
    id_filter,
    id_list,
    list_args,
)
from tracker.api.records import GUARDED, Crud, blueprint, crud, documented, record_schema
from tracker.auth.permissions import MANAGE_SETTINGS, READ, WRITE_PARTNERS
from tracker.clusters import operations, scores, services
from tracker.clusters.models import Capability, PartnerCapability, SupplyLink
from tracker.core.inputs import LARGEST_INTEGER
from tracker.extensions import db
from tracker.partners.models import Partner, Sector

# --- The catalogue ---------------------------------------------------------------------------

catalogue = blueprint(
    "Capabilities", "The capability catalogue and each sector's required set (admins keep them)."
)
CapabilityOut = record_schema(
    "Capability",
    Capability,
    operations.CAPABILITY_FIELDS,
    input_ids=fields.Method("_input_ids", required=True),
)
CapabilityOut._input_ids = lambda self, record: [c.id for c in record.inputs]
INPUT_IDS = {"input_ids": id_list(metadata={"description": "What its providers buy in turn."})}


def _capabilities(args):
    return select(Capability), {"name": Capability.name_key, "kind": Capability.kind}


crud(
    catalogue,
    "/capabilities",
    Crud(
        model=Capability,
        noun="capability",
        item=CapabilityOut,
        read=READ,
        write=MANAGE_SETTINGS,
        list_args=list_args("CapabilityArgs", ["name", "kind"], "name"),
        list_query=_capabilities,
        tiebreak=Capability.id,
        create_body=body_schema(
            "CapabilityCreate",
            Capability,
            operations.CAPABILITY_FIELDS,
            required=["name", "kind"],
            **INPUT_IDS,
        ),
        create=operations.create_capability,
        update_body=body_schema(
            "CapabilityUpdate", Capability, operations.CAPABILITY_FIELDS, **INPUT_IDS
        ),
        update=operations.update_capability,
        delete=operations.delete_capability,
    ),
)

sectors = blueprint("Sectors", "Sectors and the capabilities a cluster of each needs.")
SectorOut = record_schema(
    "Sector",
    Sector,
    operations.SECTOR_FIELDS,
    capability_ids=fields.Method("_capability_ids", required=True),
)
SectorOut._capability_ids = lambda self, record: [c.id for c in record.capabilities]
REQUIRED_IDS = {"capability_ids": id_list(metadata={"description": "The required set."})}

crud(
    sectors,
    "/sectors",
    Crud(
        model=Sector,
        noun="sector",
        item=SectorOut,
        read=READ,
        write=MANAGE_SETTINGS,
        list_args=list_args("SectorArgs", ["name"], "name"),
        list_query=lambda args: (select(Sector), {"name": Sector.name_key}),
        tiebreak=Sector.id,
        create_body=body_schema(
            "SectorCreate", Sector, operations.SECTOR_FIELDS, required=["name"], **REQUIRED_IDS
        ),
        create=operations.create_sector,
        update_body=body_schema("SectorUpdate", Sector, operations.SECTOR_FIELDS, **REQUIRED_IDS),
        update=operations.update_sector,
    ),
)

# --- What partners provide, and supply links -------------------------------------------------

provided = blueprint("Partner capabilities", "The capabilities partners provide, with capacity.")
ProvidedOut = record_schema(
    "PartnerCapability",
    PartnerCapability,
    operations.PARTNER_CAPABILITY_FIELDS,
    partner_id=fields.Integer(required=True),
)


def _provided(args):
    query = select(PartnerCapability)
    if args["partner_id"]:
        query = query.where(PartnerCapability.partner_id == args["partner_id"])
    if args["capability_id"]:
        query = query.where(PartnerCapability.capability_id == args["capability_id"])
    return query, {"id": PartnerCapability.id}


crud(
    provided,
    "/partner-capabilities",
    Crud(
        model=PartnerCapability,
        noun="partner capability",
        item=ProvidedOut,
        read=READ,
        write=WRITE_PARTNERS,
        list_args=list_args(
            "PartnerCapabilityArgs",
            ["id"],
            "id",
            partner_id=id_filter("The partner's id."),
            capability_id=id_filter("The capability's id."),
        ),
        list_query=_provided,
        tiebreak=PartnerCapability.id,
        create_body=body_schema(
            "PartnerCapabilityCreate",
            PartnerCapability,
            operations.PARTNER_CAPABILITY_FIELDS,
            required=["capability_id"],
            partner_id=fields.Integer(required=True, **ID),
        ),
        create=operations.add_capability,
        parent=(Partner, "partner_id", "There is no such partner."),
        update_body=body_schema(
            "PartnerCapabilityUpdate", PartnerCapability, operations.PARTNER_CAPABILITY_FIELDS
        ),
        update=operations.update_provided,
        delete=operations.remove_provided,
    ),
)

links = blueprint("Supply links", "Who buys which capability from whom: the supplier tiers.")
LinkOut = record_schema(
    "SupplyLink", SupplyLink, operations.LINK_FIELDS, reach=fields.Method("_reach", required=True)
)


def _link_reach(self, record) -> str:
    return scores.reach_between(
        (record.buyer.country_code, record.buyer.region_id),
        (record.supplier.country_code, record.supplier.region_id),
        services.blocs(),
    )


LinkOut._reach = _link_reach


def _links(args):
    query = select(SupplyLink)
    for name in ("buyer_id", "supplier_id", "capability_id"):
        if args[name]:
            query = query.where(getattr(SupplyLink, name) == args[name])
    return query, {"id": SupplyLink.id}


crud(
    links,
    "/supply-links",
    Crud(
        model=SupplyLink,
        noun="supply link",
        item=LinkOut,
        read=READ,
        write=WRITE_PARTNERS,
        list_args=list_args(
            "SupplyLinkArgs",
            ["id"],
            "id",
            buyer_id=id_filter("The buying partner's id."),
            supplier_id=id_filter("The supplying partner's id."),
            capability_id=id_filter("The capability's id."),
        ),
        list_query=_links,
        tiebreak=SupplyLink.id,
        create_body=body_schema(
            "SupplyLinkCreate",
            SupplyLink,
            operations.LINK_FIELDS,
            required=["buyer_id", "supplier_id", "capability_id"],
        ),
        create=operations.create_supply_link,
        update_body=body_schema("SupplyLinkUpdate", SupplyLink, operations.LINK_FIELDS),
        update=operations.update_supply_link,
        delete=operations.delete_supply_link,
    ),
)

# --- The scorecard, what-if, dependencies, routes, weights -----------------------------------

clusters = blueprint(
    "Clusters", "The regional scorecard, what-ifs, offshore dependencies and route emissions."
)


class CellOut(Schema):
    score = fields.Float(allow_none=True, required=True, metadata={"description": "0–100"})
    figure = fields.String(required=True)
    why = fields.String(required=True, metadata={"description": "How the score was reached."})


class RegionScoreOut(Schema):
    region_id = fields.Integer(required=True, attribute="place.id")
    region = fields.String(required=True, attribute="place.name")
    country_code = fields.String(required=True, attribute="place.country")
    sector = fields.String(required=True, allow_none=True, attribute="place.sector")
    overall = fields.Float(required=True, allow_none=True)
    why = fields.String(required=True)
    removed = fields.Boolean(required=True)
    cells = fields.Dict(keys=fields.String(), values=fields.Nested(CellOut), required=True)


class ScorecardOut(Schema):
    weights = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    regions = fields.List(fields.Nested(RegionScoreOut), required=True)


@clusters.route("/clusters/scorecard", methods=["GET"], endpoint="scorecard")
@api_requires(READ)
@clusters.response(200, ScorecardOut)
@documented(clusters, *GUARDED)
def scorecard():
    """A row per region (by name): each measure's score, figure and explanation, and the
    overall score from the admins' weights."""
    portfolio = services.portfolio(anchors=False)
    return {"weights": portfolio.weights, "regions": scores.scorecard(portfolio)}


def _query_ids(description: str) -> fields.List:
    """Ids repeated in the query string (text there, so not strict as in a body)."""
    return fields.List(
        fields.Integer(validate=validate.Range(1, LARGEST_INTEGER)),
        load_default=list,
        validate=validate.Length(max=500),
        metadata={"description": description},
    )


class WhatIfArgs(Schema):
    add_region_id = fields.Integer(
        load_default=None,
        validate=validate.Range(1, LARGEST_INTEGER),
        metadata={"description": "The region a supplier is added to."},
    )
    add_name = fields.String(load_default="", validate=validate.Length(max=120))
    add_capability_ids = _query_ids("Capabilities the new supplier provides.")
    remove_partner_ids = _query_ids("Partners taken out.")
    remove_region_ids = _query_ids("Regions taken out, with every partner in them.")


class LossOut(Schema):
    commitment_id = fields.Integer(required=True, attribute="anchor.id")
    title = fields.String(required=True, attribute="anchor.title")
    reason = fields.String(required=True)


class WhatIfOut(Schema):
    regions = fields.List(fields.Nested(RegionScoreOut), required=True)
    anchors_losing_supply = fields.List(fields.Nested(LossOut), required=True)


@clusters.route("/clusters/what-if", methods=["GET"], endpoint="what_if")
@api_requires(READ)
@clusters.arguments(WhatIfArgs, location="query", as_kwargs=False)
@clusters.response(200, WhatIfOut)
@documented(clusters, *GUARDED, 422)
def what_if(args):
    """The scorecard as it would be with a supplier added to a region (with capabilities),
    or suppliers or whole regions taken out, and the anchor commitments that would lose
    supply. Nothing is saved."""
    change = scores.WhatIf(
        add_region_id=args["add_region_id"],
        add_name=args["add_name"].strip(),
        add_capabilities=frozenset(args["add_capability_ids"]),
        remove_partners=frozenset(args["remove_partner_ids"]),
        remove_regions=frozenset(args["remove_region_ids"]),
    )
    comparison = scores.what_if(services.portfolio(), change)
    regions = [comparison.after[row.place.id] for row in comparison.before]
    return {"regions": regions, "anchors_losing_supply": comparison.lost}


class DependencyOut(Schema):
    supply_link_id = fields.Integer(required=True, attribute="link.id")
    buyer_id = fields.Integer(required=True, attribute="link.buyer_id")
    supplier_id = fields.Integer(required=True, attribute="link.supplier_id")
    capability_id = fields.Integer(required=True, attribute="link.capability_id")
    reach = fields.String(required=True, metadata={"description": "offshore | out_of_region"})
    chains = fields.List(fields.List(fields.String()), required=True)
    anchor_commitment_ids = fields.Method("_anchors", required=True)
    committed_value = fields.Decimal(as_string=True, required=True, attribute="value")
    committed_volume = fields.String(required=True, attribute="volumes")

    def _anchors(self, dependency) -> list[int]:
        return [anchor.id for anchor in dependency.anchors]


@clusters.route("/clusters/dependencies", methods=["GET"], endpoint="dependencies")
@api_requires(READ)
@clusters.response(200, DependencyOut(many=True))
@documented(clusters, *GUARDED)
def dependencies():
    """Every supply link outside its buyer's trade bloc (offshore) or region, with the chains
    from anchor commitments down to it and the value they commit (reporting currency)."""
    return services.dependencies()


WeightsBody = Schema.from_dict(
    {
        measure.key: fields.Integer(
            required=True, strict=True, metadata={"description": measure.question}
        )
        for measure in scores.MEASURE_LIST
    },
    name="ScorecardWeights",
)


@clusters.route("/clusters/weights", methods=["GET"], endpoint="weights")
@api_requires(READ)
@clusters.response(200, WeightsBody)
@documented(clusters, *GUARDED)
def weights():
    """How much each measure counts in the overall score, in percent."""
    return services.weights()


@clusters.route("/clusters/weights", methods=["PUT"], endpoint="set_weights")
@api_requires(MANAGE_SETTINGS)
@clusters.arguments(WeightsBody)
@clusters.response(200, WeightsBody)
@documented(clusters, *GUARDED, 400, 422)
def set_weights(values: dict):
    """Set every weight at once: whole percentages adding up to 100."""
    saved = operations.set_weights(values, actor=api_user())
    db.session.commit()
    return saved


class RouteOut(Schema):
    kind = fields.String(required=True, metadata={"description": "link | anchor"})
    record_id = fields.Integer(required=True)
    what = fields.String(required=True)
    origin = fields.String(required=True)
    destination = fields.String(required=True)
    region_id = fields.Integer(required=True, allow_none=True)
    transport_mode = fields.String(required=True, allow_none=True, attribute="estimate.now.mode")
    annual_tonnage = fields.Decimal(
        as_string=True, required=True, allow_none=True, attribute="estimate.now.tonnes"
    )
    distance_km = fields.Float(required=True, allow_none=True, attribute="estimate.now.distance_km")
    emissions_t = fields.Float(required=True, allow_none=True, attribute="estimate.emissions")
    replaced_country = fields.String(required=True, allow_none=True)
    replaced_emissions_t = fields.Float(
        required=True, allow_none=True, attribute="estimate.replaced_emissions"
    )
    saving_t = fields.Float(required=True, allow_none=True, attribute="estimate.saving")
    not_estimated_because = fields.String(required=True, allow_none=True, attribute="missing")


@clusters.route("/clusters/routes", methods=["GET"], endpoint="routes")
@api_requires(READ)
@clusters.response(200, RouteOut(many=True))
@documented(clusters, *GUARDED)
def routes():
    """Each supply link's and live anchor commitment's route: tonnes CO2e a year, and the
    saving against the route it replaced (`EMISSION_FACTORS`)."""
    return services.route_rows()


BLUEPRINTS = (catalogue, sectors, provided, links, clusters)
