"""Reading the clusters: the portfolio the scorecard scores (a fixed number of aggregate
queries, whatever its size), the offshore dependencies with the chains they sit on, and a
supplier's onboarding checklist."""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from flask import current_app
from sqlalchemy import case, func, select
from sqlalchemy.orm import aliased, contains_eager

from tracker.clusters import routes, scores
from tracker.clusters.models import (
    Capability,
    PartnerCapability,
    ScoreWeight,
    SupplyLink,
    capability_inputs,
    sector_capabilities,
)
from tracker.commitments.models import (
    AnchorVolumeCommitment,
    CommitmentKind,
    CommitmentStatus,
    TrainingProgramme,
    VolumePeriod,
)
from tracker.core.money import RateBook, rounded
from tracker.core.states import judged
from tracker.core.types import TransportMode, today
from tracker.extensions import db
from tracker.incentives.models import Incentive, IncentiveStatus, Obligation, ObligationKind
from tracker.partners.models import Partner, PartnerStatus, Region, Sector


def weights() -> dict[str, int]:
    """The scorecard's weights as admins set them; the defaults until they do."""
    stored = dict(db.session.execute(select(ScoreWeight.measure, ScoreWeight.weight)).all())
    return {key: stored.get(key, default) for key, default in scores.DEFAULT_WEIGHTS.items()}


def blocs() -> dict[str, frozenset[str]]:
    """Country → the trade blocs (`TRADE_BLOCS`) it belongs to."""
    found: dict[str, set[str]] = defaultdict(set)
    for bloc, countries in current_app.config["TRADE_BLOCS"].items():
        for country in countries:
            found[country].add(bloc)
    return {country: frozenset(names) for country, names in found.items()}


# The relationship health states in which a partner's engagement cadence counts as kept.
CADENCE_KEPT = ("on_cadence", "due")


def _places() -> dict[int, scores.Place]:
    required: dict[int, set[int]] = defaultdict(set)
    for sector_id, capability_id in db.session.execute(select(sector_capabilities)):
        required[sector_id].add(capability_id)
    # Public partners, and those whose cadence is kept, from their stored relationship
    # health (as the partner list shows it), added up in the database.
    health, on = judged("partners", Partner.id, "relationship_health")
    public_count, on_cadence = {}, {}
    for region_id, count, kept in db.session.execute(
        select(
            Partner.region_id,
            func.count(),
            func.sum(case((health.state.in_(CADENCE_KEPT), 1), else_=0)),
        )
        .outerjoin(health, on)
        .where(
            Partner.kind.in_(scores.PUBLIC_KINDS),
            Partner.status == PartnerStatus.ACTIVE,
            Partner.region_id.is_not(None),
        )
        .group_by(Partner.region_id)
    ):
        public_count[region_id], on_cadence[region_id] = count, int(kept or 0)
    secured, pipeline = defaultdict(int), defaultdict(int)
    for region_id, status, count in db.session.execute(
        select(Incentive.region_id, Incentive.status, func.count())
        .where(Incentive.region_id.is_not(None))
        .group_by(Incentive.region_id, Incentive.status)
    ):
        if status in IncentiveStatus.secured():
            secured[region_id] += count
        elif status in IncentiveStatus.pipeline():
            pipeline[region_id] += count
    places = dict(
        db.session.execute(
            select(TrainingProgramme.region_id, func.sum(TrainingProgramme.target_participants))
            .where(TrainingProgramme.status.in_(CommitmentStatus.live()))
            .group_by(TrainingProgramme.region_id)
        ).all()
    )
    jobs = dict(
        db.session.execute(
            select(Incentive.region_id, func.sum(Obligation.target_value))
            .join(Obligation, Obligation.incentive_id == Incentive.id)
            .where(
                Obligation.kind == ObligationKind.JOBS,
                Incentive.status.in_(IncentiveStatus.awarded()),
            )
            .group_by(Incentive.region_id)
        ).all()
    )
    regions = db.session.execute(
        select(Region, Sector).outerjoin(Sector, Region.sector_id == Sector.id)
    ).all()
    return {
        region.id: scores.Place(
            id=region.id,
            name=region.name,
            country=region.country_code,
            sector=sector.name if sector else None,
            required=frozenset(required.get(region.sector_id, ())),
            latitude=region.latitude,
            longitude=region.longitude,
            public_partners=public_count.get(region.id, 0),
            public_on_cadence=on_cadence.get(region.id, 0),
            incentives_secured=secured[region.id],
            incentives_open=pipeline[region.id],
            training_places=int(places.get(region.id) or 0),
            jobs_committed=Decimal(jobs.get(region.id) or 0),
        )
        for region, sector in regions
    }


def _companies() -> dict[int, scores.Company]:
    provided: dict[int, set[int]] = defaultdict(set)
    for partner_id, capability_id in db.session.execute(
        select(PartnerCapability.partner_id, PartnerCapability.capability_id)
    ):
        provided[partner_id].add(capability_id)
    rows = db.session.execute(
        select(
            Partner.id,
            Partner.name,
            Partner.kind,
            Partner.region_id,
            Partner.country_code,
            Partner.status,
        ).where(Partner.status != PartnerStatus.ARCHIVED)
    )
    return {
        row.id: scores.Company(
            row.id,
            row.name,
            row.kind,
            row.region_id,
            row.country_code,
            row.status == PartnerStatus.ACTIVE,
            frozenset(provided.get(row.id, ())),
        )
        for row in rows
    }


def _converted(book: RateBook, amount: Decimal | None, currency: str) -> Decimal | None:
    converted = book.convert(amount, currency, today()) if amount is not None else None
    return rounded(converted) if converted is not None else None


def _per(unit: str | None, period: str | None) -> str | None:
    """ "modules" and "year" → "modules a year" (a total stays the unit alone)."""
    if period in (None, VolumePeriod.TOTAL):
        return unit
    return f"{unit or 'units'} a {period}"


def _live_anchor() -> tuple:
    """The anchor volume commitments still running (or about to)."""
    return (
        AnchorVolumeCommitment.kind == CommitmentKind.ANCHOR_VOLUME,
        AnchorVolumeCommitment.status.in_(CommitmentStatus.live()),
    )


def _anchors() -> tuple[scores.Anchor, ...]:
    book = RateBook()
    anchor = AnchorVolumeCommitment
    rows = db.session.execute(
        select(
            anchor.id,
            anchor.title,
            anchor.counterparty_id,
            anchor.region_id,
            anchor.value,
            anchor.currency,
            anchor.committed_volume,
            anchor.volume_unit,
            anchor.volume_period,
        )
        .where(*_live_anchor())
        .order_by(anchor.title, anchor.id)
    )
    return tuple(
        scores.Anchor(
            row.id,
            row.title,
            row.counterparty_id,
            row.region_id,
            _converted(book, row.value, row.currency),
            row.committed_volume,
            _per(row.volume_unit, row.volume_period),
        )
        for row in rows
    )


def portfolio(*, places: bool = True, anchors: bool = True) -> scores.Portfolio:
    """Everything the scorecard, the dependencies and a what-if read, in a few queries.
    Without `places`, only the supply side (companies, links, anchors), for the
    dependencies; without `anchors`, only which partners hold one, for the scorecard."""
    companies = _companies()
    links = tuple(
        scores.Link(*row)
        for row in db.session.execute(
            select(
                SupplyLink.id, SupplyLink.buyer_id, SupplyLink.supplier_id, SupplyLink.capability_id
            ).order_by(SupplyLink.id)
        )
        if row.buyer_id in companies and row.supplier_id in companies
    )
    capabilities = {
        row.id: (row.name, row.kind)
        for row in db.session.execute(select(Capability.id, Capability.name, Capability.kind))
    }
    return scores.Portfolio(
        regions=_places() if places else {},
        companies=companies,
        links=links,
        anchors=_anchors() if anchors else (),
        anchored=frozenset(
            db.session.scalars(
                select(AnchorVolumeCommitment.counterparty_id).where(*_live_anchor()).distinct()
            )
        ),
        capabilities=capabilities,
        blocs=blocs(),
        weights=weights(),
        layers_target=current_app.config["CLUSTER_LAYERS_TARGET"],
    )


# --- Offshore dependencies -------------------------------------------------------------------


@dataclass(frozen=True)
class Dependency:
    """A supply link reaching outside its buyer's region or trade bloc, the chains from
    anchor commitments down to it, and what they commit."""

    link: scores.Link
    reach: str
    chains: list[list[str]]  # each: anchor title, then partner names down to the supplier
    anchors: list[scores.Anchor]

    @property
    def value(self) -> Decimal:
        return sum((a.value for a in self.anchors if a.value is not None), Decimal(0))

    @property
    def volumes(self) -> str:
        totals: dict[str, Decimal] = defaultdict(Decimal)
        for anchor in self.anchors:
            if anchor.volume is not None:
                totals[anchor.volume_unit or ""] += anchor.volume
        return "; ".join(f"{amount:,.0f} {unit}".strip() for unit, amount in sorted(totals.items()))


def _paths_up(buyers: dict[int, set[int]], start: int) -> dict[int, list[int]]:
    """For `start` and each partner buying from it however many tiers up (`buyers`: supplier
    → its buyers): the shortest path of partner ids from that buyer down to `start`."""
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for partner_id in frontier:
            for buyer_id in sorted(buyers.get(partner_id, ())):
                if buyer_id not in paths:
                    paths[buyer_id] = [buyer_id, *paths[partner_id]]
                    following.append(buyer_id)
        frontier = following
    return paths


def dependencies(data: scores.Portfolio | None = None) -> list[Dependency]:
    """Every supply link flagged offshore or out of region, offshore first, the most
    committed value first within each."""
    data = data or portfolio(places=False)
    buyers: dict[int, set[int]] = defaultdict(set)
    for link in data.links:
        buyers[link.supplier_id].add(link.buyer_id)
    anchored: dict[int, list[scores.Anchor]] = defaultdict(list)
    for anchor in data.anchors:
        anchored[anchor.counterparty_id].append(anchor)
    upward: dict[int, dict[int, list[int]]] = {}
    found = []
    for link in data.links:
        reach = scores.reach(data, link)
        if reach == scores.LOCAL:
            continue
        if link.buyer_id not in upward:
            upward[link.buyer_id] = _paths_up(buyers, link.buyer_id)
        paths = upward[link.buyer_id]
        held = sorted(
            (a for partner_id in paths for a in anchored.get(partner_id, ())),
            key=lambda a: (a.title, a.id),
        )
        supplier = data.companies[link.supplier_id].name
        chains = [
            [a.title, *(data.companies[i].name for i in paths[a.counterparty_id]), supplier]
            for a in held
        ]
        found.append(Dependency(link, reach, chains, held))
    order = {scores.OFFSHORE: 0, scores.OUT_OF_REGION: 1}
    return sorted(found, key=lambda d: (order[d.reach], -d.value, d.link.id))


# --- Onboarding ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChecklistItem:
    capability: Capability
    in_house: bool
    links: list[SupplyLink]

    @property
    def declared(self) -> bool:
        return self.in_house or bool(self.links)


def onboarding(
    partner: Partner, links_bought: list[SupplyLink] | None = None
) -> tuple[list[PartnerCapability], list[ChecklistItem]]:
    """What `partner` provides, and what its providers buy in turn (each capability's
    inputs): declared when it makes the input itself or names who supplies it
    (`links_bought`, read when not given)."""
    provided = list(
        db.session.scalars(
            select(PartnerCapability)
            .join(PartnerCapability.capability)
            .options(contains_eager(PartnerCapability.capability))
            .where(PartnerCapability.partner_id == partner.id)
            .order_by(Capability.name)
        )
    )
    own = {p.capability_id for p in provided}
    inputs = list(
        db.session.scalars(
            select(Capability)
            .join(capability_inputs, capability_inputs.c.input_id == Capability.id)
            .where(capability_inputs.c.capability_id.in_(own))
            .distinct()
            .order_by(Capability.name)
        )
    )
    links = defaultdict(list)
    for link in bought(partner) if links_bought is None else links_bought:
        links[link.capability_id].append(link)
    items = [ChecklistItem(c, c.id in own, links.pop(c.id, [])) for c in inputs]
    return provided, items


def bought(partner: Partner) -> list[SupplyLink]:
    """The supply links `partner` buys through, by capability and supplier."""
    return _links_of(partner, SupplyLink.buyer_id, SupplyLink.supplier, by_capability=True)


def sold(partner: Partner) -> list[SupplyLink]:
    """The supply links through which others buy from `partner`, by buyer."""
    return _links_of(partner, SupplyLink.supplier_id, SupplyLink.buyer, by_capability=False)


def _links_of(partner: Partner, side, other, *, by_capability: bool) -> list[SupplyLink]:
    """`partner`'s links on `side`, each with its capability and the partner on the `other`
    end loaded with it."""
    order = (Capability.name, Partner.name) if by_capability else (Partner.name, Capability.name)
    return list(
        db.session.scalars(
            select(SupplyLink)
            .join(SupplyLink.capability)
            .join(other)
            .options(contains_eager(SupplyLink.capability), contains_eager(other))
            .where(side == partner.id)
            .order_by(*order)
        )
    )


@dataclass(frozen=True)
class SupplyPanel:
    """What the partner page shows of a partner's supply."""

    provided: list[PartnerCapability]
    checklist: list[ChecklistItem]
    bought: list[SupplyLink]
    sold: list[SupplyLink]
    reaches: dict[int, str]  # link id → how far it reaches (`scores.reach`)

    @property
    def undeclared(self) -> list[ChecklistItem]:
        return [item for item in self.checklist if not item.declared]


def supply_panel(partner: Partner) -> SupplyPanel:
    bought_links, sold_links = bought(partner), sold(partner)
    provided, checklist = onboarding(partner, bought_links)
    country_blocs = blocs()
    reaches = {
        link.id: scores.reach_between(
            (partner.country_code, partner.region_id),
            (link.supplier.country_code, link.supplier.region_id),
            country_blocs,
        )
        for link in bought_links
    }
    return SupplyPanel(provided, checklist, bought_links, sold_links, reaches)


def providers_by_capability() -> dict[int, int]:
    """How many partners provide each capability."""
    return dict(
        db.session.execute(
            select(PartnerCapability.capability_id, func.count()).group_by(
                PartnerCapability.capability_id
            )
        ).all()
    )


# --- Routes and emissions --------------------------------------------------------------------


@dataclass(frozen=True)
class RouteRow:
    """A supply route the emission estimates weigh: a supply link, or the volume of an
    anchor commitment from its Tier-1 to the region it is placed in."""

    kind: str  # "link" | "anchor"
    record_id: int
    what: str
    origin: str
    destination: str
    region_id: int | None
    region: str | None  # the name of the region the goods go to
    replaced_country: str | None
    estimate: routes.Estimate

    @property
    def missing(self) -> str | None:
        return self.estimate.now.missing()


def _point(latitude, longitude) -> routes.Point | None:
    if latitude is None or longitude is None:
        return None
    return (float(latitude), float(longitude))


def _site(partner, region):
    """A partner's site in SQL: its own place, else its region's centre."""
    return (
        func.coalesce(partner.latitude, region.latitude),
        func.coalesce(partner.longitude, region.longitude),
    )


def _estimate(origin, destination, row, table) -> routes.Estimate:
    now = routes.Leg(origin, destination, row.transport_mode, row.annual_tonnage)
    before = None
    if row.replaced_country:
        before = routes.Leg(
            routes.country_point(row.replaced_country),
            destination,
            row.replaced_mode or TransportMode.SEA.value,
            row.annual_tonnage,
        )
    return routes.Estimate(now, before, table)


def route_rows() -> list[RouteRow]:
    """Every supply link and live anchor commitment with its route estimate, by region:
    two queries of plain columns, whatever the portfolio's size."""
    table = routes.factors(current_app.config["EMISSION_FACTORS"])
    buyer, supplier = aliased(Partner), aliased(Partner)
    to, source = aliased(Region), aliased(Region)
    links = db.session.execute(
        select(
            SupplyLink.id,
            Capability.name.label("what"),
            supplier.name.label("origin"),
            buyer.name.label("destination"),
            to.id.label("region_id"),
            to.name.label("region"),
            *_site(supplier, source),
            *_site(buyer, to),
            SupplyLink.annual_tonnage,
            SupplyLink.transport_mode,
            SupplyLink.replaced_country,
            SupplyLink.replaced_mode,
        )
        .join(Capability, Capability.id == SupplyLink.capability_id)
        .join(buyer, SupplyLink.buyer_id == buyer.id)
        .join(supplier, SupplyLink.supplier_id == supplier.id)
        .outerjoin(to, to.id == buyer.region_id)
        .outerjoin(source, source.id == supplier.region_id)
        .where(buyer.status != PartnerStatus.ARCHIVED, supplier.status != PartnerStatus.ARCHIVED)
        .order_by(SupplyLink.id)
    )
    rows = []
    for row in links:
        origin, destination = _point(row[6], row[7]), _point(row[8], row[9])
        rows.append(
            RouteRow(
                "link",
                row.id,
                row.what,
                row.origin,
                row.destination,
                row.region_id,
                row.region,
                row.replaced_country,
                _estimate(origin, destination, row, table),
            )
        )
    anchor, tier1, home = AnchorVolumeCommitment, aliased(Partner), aliased(Region)
    anchors = db.session.execute(
        select(
            anchor.id,
            anchor.title,
            tier1.name,
            Region.id,
            Region.name,
            *_site(tier1, home),
            Region.latitude,
            Region.longitude,
            anchor.annual_tonnage,
            anchor.transport_mode,
            anchor.replaced_country,
            anchor.replaced_mode,
        )
        .join(tier1, tier1.id == anchor.counterparty_id)
        .outerjoin(home, home.id == tier1.region_id)
        .outerjoin(Region, Region.id == anchor.region_id)
        .where(*_live_anchor())
        .order_by(anchor.id)
    )
    for row in anchors:
        origin, plant = _point(row[5], row[6]), _point(row[7], row[8])
        rows.append(
            RouteRow(
                "anchor",
                row[0],
                row[1],
                row[2],
                f"our plant in {row[4]}" if row[4] else "our plant",
                row[3],
                row[4],
                row.replaced_country,
                _estimate(origin, plant, row, table),
            )
        )
    return sorted(rows, key=lambda r: (r.region or "~", r.kind, r.what))


@dataclass
class RouteTotals:
    """Tonnes CO2e a year of the routes estimated, what the replaced routes emitted, and
    how many routes could not be estimated."""

    emissions: float = 0.0
    replaced: float = 0.0
    saving: float = 0.0
    estimated: int = 0
    not_estimated: int = 0

    def add(self, row: RouteRow) -> None:
        if row.estimate.emissions is None:
            self.not_estimated += 1
            return
        self.estimated += 1
        self.emissions += row.estimate.emissions
        if row.estimate.saving is not None:
            self.replaced += row.estimate.replaced_emissions
            self.saving += row.estimate.saving


def route_totals(rows: list[RouteRow]) -> tuple[dict[str, RouteTotals], RouteTotals]:
    """Totals per region (by name; "No region" for routes into none) and for the portfolio."""
    by_region: dict[str, RouteTotals] = defaultdict(RouteTotals)
    portfolio_total = RouteTotals()
    for row in rows:
        by_region[row.region or "No region"].add(row)
        portfolio_total.add(row)
    return dict(by_region), portfolio_total
