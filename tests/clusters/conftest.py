"""A small cluster built by hand, whose scores the tests work out on paper."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest

from tests.factories import (
    make_commitment,
    make_engagement,
    make_incentive,
    make_obligation,
    make_partner,
    make_region,
)
from tracker.clusters import operations
from tracker.core.types import today
from tracker.extensions import db
from tracker.partners import operations as partner_operations
from tracker.partners.models import Partner, PartnerKind, Region

TIER1, TIER2 = PartnerKind.TIER1_SUPPLIER, PartnerKind.TIER2_SUPPLIER


@dataclass
class Cluster:
    region: Region
    other: Region  # a second region of the same sector, with less in it
    capabilities: dict
    t1: Partner  # Tier-1 in the region: buys cells (local) and molds (offshore)
    t2: Partner  # Tier-2 in the region: cells; buys tooling from t3
    t3: Partner  # Tier-3 in the region: tooling
    hub: Partner  # logistics hub in the region
    mould: Partner  # a mold-maker in China
    anchor: object  # the live anchor commitment with t1


def provide(partner, capability, actor=None):
    return operations.add_capability(partner, {"capability_id": capability.id}, actor=actor)


def link(buyer, supplier, capability, **values):
    return operations.create_supply_link(
        {
            "buyer_id": buyer.id,
            "supplier_id": supplier.id,
            "capability_id": capability.id,
            **values,
        },
        actor=None,
    )


@pytest.fixture
def cluster(app) -> Cluster:
    caps = {
        key: operations.create_capability({"name": name, "kind": kind}, actor=None)
        for key, name, kind in [
            ("cells", "Cell manufacturing", "production"),
            ("molds", "Mold-making", "tooling"),
            ("tooling", "Tooling", "tooling"),
            ("hub", "Logistics hub", "logistics"),
            ("lab", "Battery testing lab", "testing"),
            ("modules", "Module assembly", "production"),
        ]
    }
    # The sector needs four capabilities; modules (what t1 makes) is not one of them.
    sector = operations.create_sector(
        {
            "name": "EV batteries",
            "capability_ids": [caps[k].id for k in ("cells", "molds", "hub", "lab")],
        },
        actor=None,
    )
    region = make_region("Győr", "HU", sector_id=sector.id)
    other = make_region("Bratislava", "SK", sector_id=sector.id)
    t1 = make_partner("Module Maker", kind=TIER1, region_id=region.id)
    t2 = make_partner("Cell Maker", kind=TIER2, region_id=region.id)
    t3 = make_partner("Tool Shop", kind=TIER2, region_id=region.id)
    hub = make_partner("Hub", kind=PartnerKind.LOGISTICS_PROVIDER, region_id=region.id)
    mould = make_partner("Dongguan Mould", kind=TIER2, country_code="CN")
    for partner, key in [
        (t1, "modules"),
        (t2, "cells"),
        (t3, "tooling"),
        (hub, "hub"),
        (mould, "molds"),
    ]:
        provide(partner, caps[key])
    link(t1, t2, caps["cells"])
    link(t1, mould, caps["molds"])
    link(t2, t3, caps["tooling"])
    # Public partners: an agency engaged 10 days ago (30-day cadence kept), an alliance
    # never engaged (dormant).
    agency = make_partner("Agency", region_id=region.id, cadence_days=30)
    make_partner("Alliance", kind=PartnerKind.CLUSTER_ALLIANCE, region_id=region.id)
    make_engagement([agency], occurred_on=today() - timedelta(days=10))
    # Incentives: one awarded (with 100 jobs committed), one identified.
    awarded = make_incentive(agency, status="awarded", region_id=region.id)
    make_obligation(awarded, target="100")
    make_incentive(agency, status="identified", region_id=region.id)
    # Training: 40 places; the anchor with t1.
    make_commitment("training_programme", region_id=region.id, target_participants=40)
    anchor = make_commitment(
        "anchor_volume",
        counterparty=t1,
        region_id=region.id,
        title="Anchor – modules",
        value=Decimal("1000000"),
    )
    db.session.flush()
    return Cluster(region, other, caps, t1, t2, t3, hub, mould, anchor)


@pytest.fixture
def weights(app):
    """Completeness counts 30, every other measure 10."""
    values = {
        "completeness": 30,
        "depth": 10,
        "nodes": 10,
        "engagement": 10,
        "incentives": 10,
        "anchors": 10,
        "workforce": 10,
        "offshore": 10,
    }
    operations.set_weights(values, actor=None)
    return values


__all__ = ["Cluster", "link", "partner_operations", "provide"]
