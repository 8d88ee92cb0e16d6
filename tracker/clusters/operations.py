"""Every write to the cluster catalogue and the supplier tiers: sectors with their required
capabilities, capabilities with their inputs, the capabilities partners provide, supply
links, and the scorecard's weights.

As in every domain: plain values and an explicit `actor` in, the rules of the domain as
`DomainError(message, field)`, the audit event, a flush, no commit. Sectors are partners'
records (a region names its sector) kept here, with what a cluster of them needs.
"""

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select, true

from tracker.auth.models import User
from tracker.clusters.models import (
    Capability,
    CapabilityKind,
    PartnerCapability,
    ScoreWeight,
    SupplyLink,
)
from tracker.clusters.scores import MEASURES
from tracker.core import audit, text
from tracker.core.errors import DomainError
from tracker.core.models import AuditEvent
from tracker.core.records import (
    check_version,
    delete_record,
    deletion_state,
    flush,
    numbers_free,
    record_create,
    record_update,
)
from tracker.core.types import utcnow
from tracker.core.values import assign, check_route, one_of, plain, require, stored
from tracker.extensions import db
from tracker.partners.models import Partner, PartnerStatus, Sector

SECTOR_FIELDS = ["name", "description"]
SECTOR_TRACKED = [*SECTOR_FIELDS, "capabilities"]
CAPABILITY_FIELDS = ["name", "kind", "description"]
CAPABILITY_TRACKED = [*CAPABILITY_FIELDS, "inputs"]
PARTNER_CAPABILITY_FIELDS = ["capability_id", "capacity", "capacity_unit"]
LINK_FIELDS = [
    "buyer_id",
    "supplier_id",
    "capability_id",
    "site",
    "annual_tonnage",
    "transport_mode",
    "replaced_country",
    "replaced_mode",
]

WEIGHTS_ADD_UP = "The weights must add up to 100; these add up to {total}."


def _by_ids(model: type, ids: Iterable[int], field: str, noun: str) -> list:
    wanted = {int(i) for i in ids}
    found = list(db.session.scalars(select(model).where(model.id.in_(wanted)))) if wanted else []
    if len(found) != len(wanted):
        raise DomainError(f"One of the chosen {noun} is not in the catalogue.", field)
    return sorted(found, key=lambda record: record.name_key)


def _name_exists(noun: str, name: str) -> DomainError:
    return DomainError(f"A {noun} named {name} already exists.", "name")


def _checked_named(model: type, noun: str, values: dict, record, fields: list[str]) -> dict:
    values = plain(values, fields, model)
    merged = {**stored(record, [f for f in fields if hasattr(model, f)]), **values}
    require(merged, "name")
    if text.name_taken(model, merged["name"], exclude_id=getattr(record, "id", None)):
        raise _name_exists(noun, merged["name"])
    return values


def _save_set(record, tracked: audit.Tracker, values: dict, summary: str, actor, noun: str):
    """Flush an edit whose only change may be a collection (bumping the version by hand, so
    a stale form is still refused), and record what changed."""
    changes = tracked.changes()
    if changes and not any(name in values for name in changes):
        record.version = record.version + 1
    with text.unique_name(record, _name_exists(noun, record.name)):
        flush(record)
    if changes:
        audit.record("update", record, summary, changes, actor=actor)


# --- Sectors ---------------------------------------------------------------------------------


def _checked_sector(values: dict[str, Any], sector: Sector | None):
    values = _checked_named(Sector, "sector", values, sector, [*SECTOR_FIELDS, "capability_ids"])
    ids = values.pop("capability_ids", None)
    required = None if ids is None else _by_ids(Capability, ids, "capability_ids", "capabilities")
    return values, required


def create_sector(values: dict[str, Any], *, actor: User | None) -> Sector:
    """A new sector; `capability_ids` are what a cluster of it needs (its required set)."""
    values, required = _checked_sector(values, None)
    sector = Sector(**values)
    sector.capabilities = required or []
    with text.unique_name(sector, _name_exists("sector", sector.name)):
        record_create(sector, SECTOR_TRACKED, f"Created sector {sector.name}", actor=actor)
    return sector


def update_sector(
    sector: Sector,
    values: dict[str, Any],
    *,
    actor: User | None,
    expected_version: int | None = None,
) -> Sector:
    """Change a sector; `capability_ids`, when given, replace its required set."""
    check_version(sector, expected_version)
    values, required = _checked_sector(values, sector)
    tracked = audit.track(sector, SECTOR_TRACKED)
    assign(sector, values)
    if required is not None:
        sector.capabilities = required
    _save_set(sector, tracked, values, f"Updated sector {sector.name}", actor, "sector")
    return sector


# --- Capabilities ----------------------------------------------------------------------------


def _checked_capability(values: dict[str, Any], capability: Capability | None):
    fields = [*CAPABILITY_FIELDS, "input_ids"]
    values = _checked_named(Capability, "capability", values, capability, fields)
    merged = {**stored(capability, CAPABILITY_FIELDS), **values}
    require(merged, "kind")
    one_of(merged, "kind", CapabilityKind)
    ids = values.pop("input_ids", None)
    inputs = None if ids is None else _by_ids(Capability, ids, "input_ids", "inputs")
    if capability is not None and inputs and capability in inputs:
        raise DomainError(f"{capability.name} cannot be an input of itself.", "input_ids")
    return values, inputs


def create_capability(values: dict[str, Any], *, actor: User | None) -> Capability:
    """A new capability of the catalogue; `input_ids` are what its providers buy in turn."""
    values, inputs = _checked_capability(values, None)
    capability = Capability(**values)
    capability.inputs = inputs or []
    with text.unique_name(capability, _name_exists("capability", capability.name)):
        record_create(
            capability, CAPABILITY_TRACKED, f"Added capability {capability.name}", actor=actor
        )
    return capability


def update_capability(
    capability: Capability,
    values: dict[str, Any],
    *,
    actor: User | None,
    expected_version: int | None = None,
) -> Capability:
    """Change a capability; `input_ids`, when given, replace its inputs."""
    check_version(capability, expected_version)
    values, inputs = _checked_capability(values, capability)
    tracked = audit.track(capability, CAPABILITY_TRACKED)
    assign(capability, values)
    if inputs is not None:
        capability.inputs = inputs
    _save_set(
        capability, tracked, values, f"Updated capability {capability.name}", actor, "capability"
    )
    return capability


def capability_in_use(capability: Capability) -> list[str]:
    """What keeps a capability in the catalogue: partners providing it, links buying it."""
    providers = db.session.scalar(
        select(func.count()).where(PartnerCapability.capability_id == capability.id)
    )
    links = db.session.scalar(select(func.count()).where(SupplyLink.capability_id == capability.id))
    return [
        phrase
        for count, phrase in (
            (providers, f"{providers} partner{'s' if providers != 1 else ''} provide it"),
            (links, f"{links} supply link{'s' if links != 1 else ''} buy it"),
        )
        if count
    ]


def delete_capability(capability: Capability, *, actor: User | None) -> None:
    """Take a capability out of the catalogue (and out of every required set and input
    list); refused while partners provide it or supply links buy it."""
    blockers = capability_in_use(capability)
    if blockers:
        raise DomainError(f"{capability.name} cannot be deleted: {' and '.join(blockers)}.")
    delete_record(capability, f"Deleted capability {capability.name}", actor=actor)


# --- What partners provide -------------------------------------------------------------------


def _checked_provided(values: dict[str, Any], provided: PartnerCapability | None, partner):
    values = plain(values, PARTNER_CAPABILITY_FIELDS, PartnerCapability)
    merged = {**stored(provided, PARTNER_CAPABILITY_FIELDS), **values}
    require(merged, "capability_id")
    capability = db.session.get(Capability, merged["capability_id"])
    if capability is None:
        raise DomainError("Choose a capability from the catalogue.", "capability_id")
    taken = db.session.scalar(
        select(PartnerCapability.id).where(
            PartnerCapability.partner_id == partner.id,
            PartnerCapability.capability_id == capability.id,
            PartnerCapability.id != getattr(provided, "id", None),
        )
    )
    if taken is not None:
        raise DomainError(f"{partner.name} already provides {capability.name}.", "capability_id")
    if merged.get("capacity") is not None and not merged.get("capacity_unit"):
        raise DomainError(
            "Say what the capacity is counted in, e.g. modules a year.", "capacity_unit"
        )
    return values, capability


def add_capability(
    partner: Partner, values: dict[str, Any], *, actor: User | None
) -> PartnerCapability:
    """Tag `partner` with a capability it provides, with its capacity (and the unit that
    counts it) when known."""
    values, capability = _checked_provided(values, None, partner)
    provided = PartnerCapability(partner=partner, **values)
    record_create(
        provided,
        PARTNER_CAPABILITY_FIELDS,
        f"{partner.name} provides {capability.name}",
        actor=actor,
        parent=partner,
    )
    return provided


def update_provided(
    provided: PartnerCapability,
    values: dict[str, Any],
    *,
    actor: User | None,
    expected_version: int | None = None,
) -> PartnerCapability:
    check_version(provided, expected_version)
    values, capability = _checked_provided(values, provided, provided.partner)
    tracked = audit.track(provided, PARTNER_CAPABILITY_FIELDS)
    assign(provided, values)
    flush(provided)
    record_update(
        provided,
        tracked,
        f"Updated {capability.name} at {provided.partner.name}",
        actor=actor,
        parent=provided.partner,
    )
    return provided


def remove_provided(provided: PartnerCapability, *, actor: User | None) -> None:
    """Untag a capability; refused while the partner supplies it through a link."""
    buyers = db.session.scalar(
        select(func.count()).where(
            SupplyLink.supplier_id == provided.partner_id,
            SupplyLink.capability_id == provided.capability_id,
        )
    )
    if buyers:
        raise DomainError(
            f"{provided.partner.name} supplies {provided.capability.name} to "
            f"{buyers} buyer{'s' if buyers != 1 else ''}: remove those supply links first."
        )
    delete_record(
        provided,
        f"{provided.partner.name} no longer provides {provided.capability.name}",
        actor=actor,
        parent=provided.partner,
    )


# --- Supply links ----------------------------------------------------------------------------


def chain_between(start_id: int, goal_id: int, without: int | None = None) -> list[int] | None:
    """The partner ids from `start_id` down its supply links to `goal_id` (both included),
    or None when `start_id` does not buy from `goal_id`, however many tiers down. The link
    `without` (one being edited) is left out. The database walks down from `start_id` (a
    recursive query, so only the tiers below it are read); the path is traced only when
    there is one."""
    links = select(SupplyLink).where(SupplyLink.id != without if without is not None else true())
    links = links.subquery()
    down = select(links.c.supplier_id.label("partner_id")).where(links.c.buyer_id == start_id)
    down = down.cte("down", recursive=True)
    down = down.union(select(links.c.supplier_id).join(down, links.c.buyer_id == down.c.partner_id))
    below = set(db.session.scalars(select(down.c.partner_id)))
    if goal_id not in below:
        return None
    edges: dict[int, list[int]] = {}
    for buyer_id, supplier_id in db.session.execute(
        select(links.c.buyer_id, links.c.supplier_id)
        .where(links.c.buyer_id.in_(below | {start_id}))
        .order_by(links.c.supplier_id)
    ):
        edges.setdefault(buyer_id, []).append(supplier_id)
    came_from: dict[int, int | None] = {start_id: None}
    frontier = [start_id]
    while goal_id not in came_from:  # breadth first: the shortest path
        following = []
        for partner_id in frontier:
            for supplier_id in edges.get(partner_id, ()):
                if supplier_id not in came_from:
                    came_from[supplier_id] = partner_id
                    following.append(supplier_id)
        frontier = following
    path = [goal_id]
    while came_from[path[-1]] is not None:
        path.append(came_from[path[-1]])
    return path[::-1]


def _partner(partner_id: int | None, field: str) -> Partner:
    partner = db.session.get(Partner, partner_id) if partner_id else None
    if partner is None:
        raise DomainError("Choose a partner from the list.", field)
    return partner


def _checked_link(values: dict[str, Any], link: SupplyLink | None) -> dict[str, Any]:
    values = plain(values, LINK_FIELDS, SupplyLink)
    merged = {**stored(link, LINK_FIELDS), **values}
    require(merged, "buyer_id", "supplier_id", "capability_id")
    check_route(merged)
    buyer = _partner(merged["buyer_id"], "buyer_id")
    supplier = _partner(merged["supplier_id"], "supplier_id")
    if buyer.id == supplier.id:
        raise DomainError(f"{buyer.name} cannot supply itself.", "supplier_id")
    for partner, field in ((buyer, "buyer_id"), (supplier, "supplier_id")):
        if partner.status == PartnerStatus.ARCHIVED and (link is None or field in values):
            raise DomainError(f"{partner.name} is archived: restore it first.", field)
    capability = db.session.get(Capability, merged["capability_id"])
    if capability is None:
        raise DomainError("Choose a capability from the catalogue.", "capability_id")
    provides = db.session.scalar(
        select(PartnerCapability.id).where(
            PartnerCapability.partner_id == supplier.id,
            PartnerCapability.capability_id == capability.id,
        )
    )
    if provides is None:
        raise DomainError(
            f"{supplier.name} is not tagged as providing {capability.name}: add the "
            "capability to its page first.",
            "capability_id",
        )
    same = select(SupplyLink.id).where(
        SupplyLink.buyer_id == buyer.id,
        SupplyLink.supplier_id == supplier.id,
        SupplyLink.capability_id == capability.id,
    )
    if link is not None:
        same = same.where(SupplyLink.id != link.id)
    if db.session.scalar(same) is not None:
        raise DomainError(
            f"{buyer.name} already buys {capability.name} from {supplier.name}.", "supplier_id"
        )
    if link is None or {"buyer_id", "supplier_id"} & set(values):
        _refuse_cycle(buyer, supplier, link)
    return values


def _refuse_cycle(buyer: Partner, supplier: Partner, link: SupplyLink | None) -> None:
    """A supplier cannot, through its own suppliers, buy from its buyer: the tiers would
    loop and no chain would have an end."""
    path = chain_between(supplier.id, buyer.id, without=getattr(link, "id", None))
    if path is None:
        return
    names = dict(
        db.session.execute(select(Partner.id, Partner.name).where(Partner.id.in_(path))).all()
    )
    loop = " → ".join([buyer.name, *(names[partner_id] for partner_id in path)])
    raise DomainError(
        f"This link would make a cycle: {loop}. A supplier cannot, through its own suppliers, "
        "buy from its buyer.",
        "supplier_id",
    )


def _link_summary(link: SupplyLink, verb: str) -> str:
    return f"{verb}: {link.buyer.name} buys {link.capability.name} from {link.supplier.name}"


def create_supply_link(values: dict[str, Any], *, actor: User | None) -> SupplyLink:
    """Record that `buyer_id` buys `capability_id` from `supplier_id` (who must be tagged
    as providing it), with the site, yearly tonnage, transport mode and the country the
    supply came from before. Refused when it would close a cycle of tiers."""
    values = _checked_link(values, None)
    link = SupplyLink(created_by_id=getattr(actor, "id", None), **values)
    db.session.add(link)
    flush(link)
    record_create(
        link, LINK_FIELDS, _link_summary(link, "Supply link"), actor=actor, parent=link.buyer
    )
    return link


def update_supply_link(
    link: SupplyLink,
    values: dict[str, Any],
    *,
    actor: User | None,
    expected_version: int | None = None,
) -> SupplyLink:
    check_version(link, expected_version)
    values = _checked_link(values, link)
    tracked = audit.track(link, LINK_FIELDS)
    assign(link, values)
    flush(link)
    record_update(
        link, tracked, _link_summary(link, "Edited supply link"), actor=actor, parent=link.buyer
    )
    return link


def delete_supply_link(link: SupplyLink, *, actor: User | None) -> None:
    delete_record(link, _link_summary(link, "Removed supply link"), actor=actor, parent=link.buyer)


def restore_supply_link(event: AuditEvent, *, actor: User | None) -> SupplyLink:
    """Re-create a deleted supply link, if today's rules allow it (no cycle, the supplier
    still providing the capability)."""
    state = deletion_state(event, "supply link")
    link = audit.rebuild(SupplyLink, state)
    numbers_free([link])
    _checked_link(stored(link, LINK_FIELDS), None)
    db.session.add(link)
    flush(link)
    changes = audit.track(link, LINK_FIELDS).created()
    audit.record(
        "restore",
        link,
        _link_summary(link, "Restored supply link"),
        changes,
        actor=actor,
        parent=link.buyer,
    )
    return link


# --- The scorecard's weights -----------------------------------------------------------------


def _whole_percent(value: Any, measure: str) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if value is None or value == "":
        raise DomainError("This field is required.", measure)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        raise DomainError("Enter a whole number from 0 to 100.", measure)
    return value


def set_weights(weights: dict[str, Any], *, actor: User | None) -> dict[str, int]:
    """How much each measure counts in a region's overall score: whole percentages, every
    measure given, adding up to 100. Each weight that changes is audited."""
    unknown = set(weights) - set(MEASURES)
    if unknown:
        raise ValueError(f"Not measures of the scorecard: {', '.join(sorted(unknown))}")
    clean = {measure: _whole_percent(weights.get(measure), measure) for measure in MEASURES}
    total = sum(clean.values())
    if total != 100:
        raise DomainError(WEIGHTS_ADD_UP.format(total=total))
    rows = {row.measure: row for row in db.session.scalars(select(ScoreWeight))}
    for measure, weight in clean.items():
        label = MEASURES[measure].label
        row = rows.get(measure)
        if row is None:
            row = ScoreWeight(measure=measure, weight=weight, updated_at=utcnow())
            record_create(row, ["weight"], f"Scorecard weight of {label}: {weight}", actor=actor)
        elif row.weight != weight:
            tracked = audit.track(row, ["weight"])
            row.weight = weight
            flush(row)
            record_update(row, tracked, f"Scorecard weight of {label}: {weight}", actor=actor)
    return clean


UPDATERS = {
    "sectors": update_sector,
    "capabilities": update_capability,
    "partner_capabilities": update_provided,
    "supply_links": update_supply_link,
}
RESTORERS = {"supply_links": restore_supply_link}
