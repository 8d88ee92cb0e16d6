"""The regional scorecard, computed from a `Portfolio`: plain figures read from the
database (`tracker.clusters.services.portfolio`), or changed by a what-if first. Nothing
here reads or writes the database, so a what-if scores exactly as the real thing does.

Each measure scores a region from 0 to 100 and says in words how it got there; a measure
that does not apply (no jobs committed, no supply links) is left out of the overall score,
whose weights are then shared among the others.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import cached_property

from tracker.clusters.models import CapabilityKind


@dataclass(frozen=True)
class Measure:
    key: str
    label: str
    default_weight: int
    question: str


MEASURE_LIST = (
    Measure(
        "completeness",
        "Completeness",
        25,
        "Share of the sector's required capabilities that active partners in the region provide.",
    ),
    Measure(
        "depth",
        "Supplier layers",
        10,
        "Tiers of suppliers buying from each other inside "
        "the region, against the layers a cluster aims for.",
    ),
    Measure(
        "nodes",
        "Logistics & testing",
        10,
        "Logistics hubs and testing labs in the region (two of each count in full).",
    ),
    Measure(
        "engagement",
        "Public partners",
        10,
        "Agencies, alliances, councils and government "
        "bodies in the region whose engagement cadence is kept.",
    ),
    Measure(
        "incentives",
        "Incentives",
        10,
        "Incentives secured (awarded, in compliance, "
        "closed) of those secured or still in the pipeline.",
    ),
    Measure(
        "anchors",
        "Anchor commitments",
        15,
        "Tier-1 suppliers in the region holding a live anchor volume commitment.",
    ),
    Measure(
        "workforce",
        "Workforce",
        10,
        "Training places against the jobs committed in awarded incentives.",
    ),
    Measure(
        "offshore",
        "Offshore exposure",
        10,
        "Supply links of the region's buyers that stay "
        "in the region: one outside the trade bloc counts in full, one outside the region "
        "but inside the bloc counts half.",
    ),
)
MEASURES = {measure.key: measure for measure in MEASURE_LIST}
DEFAULT_WEIGHTS = {measure.key: measure.default_weight for measure in MEASURE_LIST}
NODES_WANTED = 2  # of each kind, for full marks
PUBLIC_KINDS = ("economic_agency", "cluster_alliance", "trade_council", "government_body")
TIER1 = "tier1_supplier"

# How far a supply link reaches from its buyer.
LOCAL, OUT_OF_REGION, OFFSHORE = "local", "out_of_region", "offshore"
REACH_LABELS = {
    LOCAL: "In the region",
    OUT_OF_REGION: "Outside the region",
    OFFSHORE: "Outside the trade bloc",
}


@dataclass(frozen=True)
class Company:
    """A partner as the scorecard sees it."""

    id: int
    name: str
    kind: str
    region_id: int | None
    country: str
    active: bool
    capabilities: frozenset[int]
    hypothetical: bool = False


@dataclass(frozen=True)
class Link:
    id: int
    buyer_id: int
    supplier_id: int
    capability_id: int


@dataclass(frozen=True)
class Anchor:
    """A live anchor volume commitment: whose supply it buys, and what rides on it."""

    id: int
    title: str
    counterparty_id: int
    region_id: int | None
    value: Decimal | None  # in the reporting currency; None when it could not be converted
    volume: Decimal | None
    volume_unit: str | None


@dataclass(frozen=True)
class Place:
    """A region and the figures of it that are not its partners' (engagement, incentives,
    workforce), read once."""

    id: int
    name: str
    country: str
    sector: str | None
    required: frozenset[int]  # capability ids the sector needs
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    public_partners: int = 0
    public_on_cadence: int = 0
    incentives_secured: int = 0
    incentives_open: int = 0
    training_places: int = 0
    jobs_committed: Decimal = Decimal(0)


@dataclass(frozen=True)
class Portfolio:
    regions: dict[int, Place]
    companies: dict[int, Company]
    links: tuple[Link, ...]
    anchors: tuple[Anchor, ...]
    capabilities: dict[int, tuple[str, str]]  # id → (name, kind)
    blocs: dict[str, frozenset[str]]  # country → the blocs it is in
    weights: dict[str, int]
    layers_target: int = 3
    # Partners holding a live anchor commitment: all the scorecard needs of the anchors
    # (`anchors` may then be left empty; the dependencies and a what-if read them).
    anchored: frozenset[int] = frozenset()

    @cached_property
    def members(self) -> dict[int | None, list[Company]]:
        """The companies of each region (None: of none), read once per portfolio."""
        found: dict[int | None, list[Company]] = {}
        for company in self.companies.values():
            found.setdefault(company.region_id, []).append(company)
        return found

    def providers(self, region_id: int) -> list[Company]:
        """The region's active partners that provide something."""
        return [c for c in self.members.get(region_id, ()) if c.active and c.capabilities]


@dataclass(frozen=True)
class Cell:
    score: float | None  # 0–100, None when the measure does not apply
    figure: str  # what the cell prints beside its score
    why: str  # how the score was reached, in words


@dataclass(frozen=True)
class RegionScore:
    place: Place
    cells: dict[str, Cell]
    overall: float | None
    why: str
    removed: bool = False

    def sort_value(self, key: str) -> float:
        value = self.overall if key == "overall" else self.cells[key].score
        return -1 if value is None else value


def flagged(portfolio: Portfolio) -> int:
    """How many supply links reach outside their buyer's region or trade bloc."""
    return sum(1 for link in portfolio.links if reach(portfolio, link) != LOCAL)


def percent(part: float, whole: float) -> float:
    return 100 * part / whole if whole else 0.0


def reach(portfolio: Portfolio, link: Link) -> str:
    """How far `link` reaches from its buyer (`reach_between`)."""
    buyer = portfolio.companies[link.buyer_id]
    supplier = portfolio.companies[link.supplier_id]
    return reach_between(
        (buyer.country, buyer.region_id), (supplier.country, supplier.region_id), portfolio.blocs
    )


def reach_between(
    buyer: tuple[str, int | None],
    supplier: tuple[str, int | None],
    blocs: dict[str, frozenset[str]],
) -> str:
    """Whether a supplier (country, region id) sits in its buyer's region, outside it but in
    a trade bloc with the buyer's country (or in the same country), or outside every bloc
    the buyer's country is in: offshore."""
    (buyer_country, buyer_region), (supplier_country, supplier_region) = buyer, supplier
    if buyer_country != supplier_country:
        shared = blocs.get(buyer_country, frozenset()) & blocs.get(supplier_country, frozenset())
        if not shared:
            return OFFSHORE
    if buyer_region is None or supplier_region != buyer_region:
        return OUT_OF_REGION
    return LOCAL


def _names(portfolio: Portfolio, ids: Iterable[int]) -> str:
    names = sorted(portfolio.capabilities[i][0] for i in ids)
    return ", ".join(names) if names else "none"


def completeness(portfolio: Portfolio, place: Place) -> Cell:
    if not place.sector:
        return Cell(None, "no sector", "No sector is chosen for this region: edit the region.")
    if not place.required:
        return Cell(None, "—", f"The {place.sector} sector has no required capabilities yet.")
    present = set().union(*(c.capabilities for c in portfolio.providers(place.id)))
    have = place.required & present
    missing = place.required - present
    score = percent(len(have), len(place.required))
    return Cell(
        score,
        f"{len(have)} of {len(place.required)}",
        f"{len(have)} of the {len(place.required)} capabilities {place.sector} needs are "
        f"provided in the region: {len(have)} ÷ {len(place.required)} = {score:.0f}. "
        f"Missing: {_names(portfolio, missing)}.",
    )


def layers(portfolio: Portfolio, region_id: int) -> int:
    """The most tiers of the region's providers buying from each other inside it: a Tier-1
    buying from a Tier-2 buying from a Tier-3, all in the region, is 3."""
    inside = {c.id for c in portfolio.providers(region_id)}
    below: dict[int, list[int]] = {}
    for link in portfolio.links:
        if link.buyer_id in inside and link.supplier_id in inside:
            below.setdefault(link.buyer_id, []).append(link.supplier_id)
    depth: dict[int, int] = {}

    def tiers(company_id: int, seen: frozenset[int]) -> int:
        if company_id not in depth:
            deeper = [
                tiers(s, seen | {company_id}) for s in below.get(company_id, ()) if s not in seen
            ]
            depth[company_id] = 1 + max(deeper, default=0)
        return depth[company_id]

    return max((tiers(c, frozenset()) for c in inside), default=0)


def depth(portfolio: Portfolio, place: Place) -> Cell:
    found = layers(portfolio, place.id)
    target = portfolio.layers_target
    score = percent(min(found, target), target)
    noun = "layer" if found == 1 else "layers"
    return Cell(
        score,
        f"{found} {noun}",
        f"{found} {noun} of suppliers buying from each other in the region, of the {target} "
        f"aimed for: {min(found, target)} ÷ {target} = {score:.0f}.",
    )


def nodes(portfolio: Portfolio, place: Place) -> Cell:
    kinds = {i: kind for i, (_, kind) in portfolio.capabilities.items()}
    counts = {}
    for kind in (CapabilityKind.LOGISTICS, CapabilityKind.TESTING):
        counts[kind] = sum(
            1
            for c in portfolio.providers(place.id)
            if any(kinds.get(i) == kind for i in c.capabilities)
        )
    logistics, testing = counts[CapabilityKind.LOGISTICS], counts[CapabilityKind.TESTING]
    score = percent(min(logistics, NODES_WANTED) + min(testing, NODES_WANTED), 2 * NODES_WANTED)
    return Cell(
        score,
        f"{logistics} logistics, {testing} testing",
        f"{logistics} logistics and {testing} testing providers; up to {NODES_WANTED} of each "
        f"count: ({min(logistics, NODES_WANTED)} + {min(testing, NODES_WANTED)}) ÷ "
        f"{2 * NODES_WANTED} = {score:.0f}.",
    )


def engagement(portfolio: Portfolio, place: Place) -> Cell:
    if not place.public_partners:
        return Cell(
            0.0, "none", "No active agency, alliance, council or government body in the region."
        )
    score = percent(place.public_on_cadence, place.public_partners)
    return Cell(
        score,
        f"{place.public_on_cadence} of {place.public_partners} on cadence",
        f"{place.public_on_cadence} of the {place.public_partners} public partners are engaged "
        f"within their cadence: {score:.0f}.",
    )


def incentives(portfolio: Portfolio, place: Place) -> Cell:
    pursued = place.incentives_secured + place.incentives_open
    if not pursued:
        return Cell(0.0, "none", "No incentive pursued in the region.")
    score = percent(place.incentives_secured, pursued)
    return Cell(
        score,
        f"{place.incentives_secured} secured, {place.incentives_open} open",
        f"{place.incentives_secured} secured of {pursued} secured or in the pipeline: {score:.0f}.",
    )


def anchors(portfolio: Portfolio, place: Place) -> Cell:
    tier1 = [c for c in portfolio.members.get(place.id, ()) if c.active and c.kind == TIER1]
    if not tier1:
        return Cell(0.0, "no Tier-1", "No active Tier-1 supplier in the region.")
    held = [c for c in tier1 if c.id in portfolio.anchored]
    score = percent(len(held), len(tier1))
    return Cell(
        score,
        f"{len(held)} of {len(tier1)} Tier-1s",
        f"{len(held)} of the {len(tier1)} Tier-1 suppliers in the region hold a live anchor "
        f"commitment: {score:.0f}.",
    )


def workforce(portfolio: Portfolio, place: Place) -> Cell:
    jobs = place.jobs_committed
    if not jobs:
        return Cell(None, "no jobs committed", "No jobs committed in awarded incentives here.")
    score = min(100.0, percent(place.training_places, float(jobs)))
    return Cell(
        score,
        f"{place.training_places} places / {jobs:,.0f} jobs",
        f"{place.training_places} training places for {jobs:,.0f} jobs committed: "
        f"{score:.0f} (at most 100).",
    )


def offshore(portfolio: Portfolio, place: Place) -> Cell:
    buyers = {c.id for c in portfolio.members.get(place.id, ())}
    links = [link for link in portfolio.links if link.buyer_id in buyers]
    if not links:
        return Cell(None, "no links", "No supply links declared by the region's buyers.")
    reaches = [reach(portfolio, link) for link in links]
    far, near = reaches.count(OFFSHORE), reaches.count(OUT_OF_REGION)
    score = 100 * (1 - (far + near / 2) / len(links))
    return Cell(
        score,
        f"{far} offshore, {near} out of region",
        f"{len(links)} supply links: {far} outside the trade bloc, {near} outside the region "
        f"only: 100 × (1 − ({far} + {near} ÷ 2) ÷ {len(links)}) = {score:.0f}.",
    )


SCORERS = {
    "completeness": completeness,
    "depth": depth,
    "nodes": nodes,
    "engagement": engagement,
    "incentives": incentives,
    "anchors": anchors,
    "workforce": workforce,
    "offshore": offshore,
}


def overall(cells: dict[str, Cell], weights: dict[str, int]) -> tuple[float | None, str]:
    """The weighted mean of the measures that apply; the weights of those that do not are
    shared among the rest."""
    counted = {k: weights.get(k, 0) for k, cell in cells.items() if cell.score is not None}
    total = sum(counted.values())
    if not total:
        return None, "No measure applies to this region yet."
    score = sum(cells[k].score * w for k, w in counted.items()) / total
    terms = " + ".join(f"{cells[k].score:.0f} × {w}" for k, w in counted.items() if w)
    return score, f"({terms}) ÷ {total} = {score:.0f}"


def score_region(portfolio: Portfolio, place: Place) -> RegionScore:
    cells = {key: scorer(portfolio, place) for key, scorer in SCORERS.items()}
    score, why = overall(cells, portfolio.weights)
    return RegionScore(place, cells, score, why)


def scorecard(portfolio: Portfolio) -> list[RegionScore]:
    """A row per region, by name."""
    places = sorted(portfolio.regions.values(), key=lambda p: (p.name.lower(), p.id))
    return [score_region(portfolio, place) for place in places]


# --- What-if ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class WhatIf:
    """A change to try: a supplier added to a region (with capabilities), suppliers or whole
    regions taken out."""

    add_region_id: int | None = None
    add_name: str = ""
    add_capabilities: frozenset[int] = frozenset()
    remove_partners: frozenset[int] = frozenset()
    remove_regions: frozenset[int] = frozenset()

    @property
    def empty(self) -> bool:
        return not (self.add_capabilities or self.remove_partners or self.remove_regions)


HYPOTHETICAL_ID = -1


def apply(portfolio: Portfolio, change: WhatIf) -> Portfolio:
    """The portfolio as it would be after `change`: removed partners (and every partner of a
    removed region) are gone with their links, an added supplier is there."""
    gone = set(change.remove_partners) | {
        c.id for c in portfolio.companies.values() if c.region_id in change.remove_regions
    }
    companies = {i: c for i, c in portfolio.companies.items() if i not in gone}
    if change.add_capabilities and change.add_region_id in portfolio.regions:
        place = portfolio.regions[change.add_region_id]
        companies[HYPOTHETICAL_ID] = Company(
            HYPOTHETICAL_ID,
            change.add_name or "A new supplier",
            "tier2_supplier",
            place.id,
            place.country,
            True,
            frozenset(change.add_capabilities),
            hypothetical=True,
        )
    links = tuple(
        link
        for link in portfolio.links
        if link.buyer_id in companies and link.supplier_id in companies
    )
    return replace(portfolio, companies=companies, links=links)


@dataclass
class Loss:
    """An anchor commitment that would lose supply, and why."""

    anchor: Anchor
    reason: str


def losses(before: Portfolio, after: Portfolio) -> list[Loss]:
    """The anchor commitments whose supply breaks in `after`: the counterparty is gone, or it
    buys a capability (however many tiers down) that no remaining supplier still provides.
    A capability bought from several suppliers breaks only when all of them are gone."""
    buys: dict[int, dict[int, list[int]]] = {}
    for link in before.links:
        buys.setdefault(link.buyer_id, {}).setdefault(link.capability_id, []).append(
            link.supplier_id
        )
    broken: dict[int, str | None] = {}

    def why_broken(company_id: int, path: tuple[int, ...]) -> str | None:
        if company_id in broken:
            return broken[company_id]
        name = before.companies[company_id].name
        if company_id not in after.companies:
            return f"{name} is taken out"
        reason = None
        for capability_id, suppliers in sorted(buys.get(company_id, {}).items()):
            reasons = [why_broken(s, (*path, company_id)) for s in suppliers if s not in path]
            if reasons and all(reasons):
                capability = before.capabilities[capability_id][0]
                reason = f"{name} loses {capability}: {'; '.join(sorted(set(reasons)))}"
                break
        broken[company_id] = reason
        return reason

    found = []
    for anchor in before.anchors:
        if anchor.counterparty_id not in before.companies:
            continue
        reason = why_broken(anchor.counterparty_id, ())
        if reason:
            found.append(Loss(anchor, reason))
    return found


@dataclass
class Comparison:
    before: list[RegionScore]
    after: dict[int, RegionScore]
    lost: list[Loss] = field(default_factory=list)

    def delta(self, region_id: int, key: str) -> float | None:
        now = self.after.get(region_id)
        was = next(r for r in self.before if r.place.id == region_id)
        if now is None or now.removed:
            return None
        a = now.overall if key == "overall" else now.cells[key].score
        b = was.overall if key == "overall" else was.cells[key].score
        return None if a is None or b is None else a - b


def what_if(portfolio: Portfolio, change: WhatIf) -> Comparison:
    """The scorecard now and after `change`, and the anchors that would lose supply."""
    changed = apply(portfolio, change)
    after = {}
    for place in portfolio.regions.values():
        row = score_region(changed, place)
        if place.id in change.remove_regions:
            row = replace(row, removed=True)
        after[place.id] = row
    return Comparison(scorecard(portfolio), after, losses(portfolio, changed))
