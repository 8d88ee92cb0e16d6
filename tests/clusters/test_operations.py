"""The rules of the cluster writes: cycles, the catalogue, tonnage, weights; and the audit."""

from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.clusters.conftest import link, provide
from tests.factories import make_partner
from tracker.clusters import operations, services
from tracker.clusters.models import ScoreWeight, SupplyLink
from tracker.core.errors import DomainError
from tracker.core.models import AuditEvent
from tracker.extensions import db
from tracker.partners.models import PartnerKind
from tracker.reports import audit as audit_trail


def _refusal(call, *args, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call(*args, **kwargs)
    return caught.value


def test_a_link_that_would_make_a_cycle_is_refused(cluster):
    # Module Maker buys cells from Cell Maker, which buys tooling from Tool Shop: Tool Shop
    # cannot then buy modules from Module Maker.
    provide(cluster.t1, cluster.capabilities["tooling"])  # so only the cycle is wrong
    error = _refusal(link, cluster.t3, cluster.t1, cluster.capabilities["modules"])
    assert error.field == "supplier_id"
    assert error.message == (
        "This link would make a cycle: Tool Shop → Module Maker → Cell Maker → Tool Shop. "
        "A supplier cannot, through its own suppliers, buy from its buyer."
    )
    assert db.session.scalar(select(SupplyLink).where(SupplyLink.buyer_id == cluster.t3.id)) is None


def test_an_edit_that_would_make_a_cycle_is_refused_too(cluster):
    other = make_partner("Other", kind=PartnerKind.TIER2_SUPPLIER)
    provide(other, cluster.capabilities["tooling"])
    provide(cluster.t1, cluster.capabilities["tooling"])
    tooling = link(cluster.t3, other, cluster.capabilities["tooling"])
    error = _refusal(
        operations.update_supply_link, tooling, {"supplier_id": cluster.t1.id}, actor=None
    )
    assert "would make a cycle: Tool Shop → Module Maker" in error.message
    # Moving the link's own end is not a cycle with itself.
    operations.update_supply_link(tooling, {"site": "Plant 2"}, actor=None)


def test_a_partner_cannot_supply_itself(cluster):
    error = _refusal(link, cluster.t2, cluster.t2, cluster.capabilities["cells"])
    assert error.message == "Cell Maker cannot supply itself."


def test_the_supplier_must_provide_the_capability(cluster):
    error = _refusal(link, cluster.t1, cluster.t3, cluster.capabilities["cells"])
    assert error.field == "capability_id"
    assert error.message.startswith("Tool Shop is not tagged as providing Cell manufacturing")


def test_a_tonnage_below_zero_is_refused(cluster):
    error = _refusal(
        link, cluster.t1, cluster.hub, cluster.capabilities["hub"], annual_tonnage=Decimal("-1")
    )
    assert (error.field, error.message) == ("annual_tonnage", "Number must be between 0 and 1E+13.")
    error = _refusal(
        link, cluster.t1, cluster.hub, cluster.capabilities["hub"], transport_mode="teleport"
    )
    assert (error.field, error.message) == ("transport_mode", "Not a valid choice.")


def test_a_capacity_needs_its_unit(cluster):
    error = _refusal(
        operations.add_capability,
        cluster.t1,
        {"capability_id": cluster.capabilities["cells"].id, "capacity": Decimal(5)},
        actor=None,
    )
    assert error.field == "capacity_unit"
    error = _refusal(
        operations.add_capability,
        cluster.t2,
        {"capability_id": cluster.capabilities["cells"].id},
        actor=None,
    )
    assert error.message == "Cell Maker already provides Cell manufacturing."


def test_weights_must_add_up_to_100(app):
    values = dict.fromkeys(
        [
            "completeness",
            "depth",
            "nodes",
            "engagement",
            "incentives",
            "anchors",
            "workforce",
            "offshore",
        ],
        10,
    )
    error = _refusal(operations.set_weights, values, actor=None)
    assert error.message == "The weights must add up to 100; these add up to 80."
    assert db.session.scalars(select(ScoreWeight)).all() == []
    error = _refusal(operations.set_weights, {**values, "depth": -5}, actor=None)
    assert (error.field, error.message) == ("depth", "Enter a whole number from 0 to 100.")
    operations.set_weights({**values, "completeness": 30}, actor=None)
    assert services.weights()["completeness"] == 30


def test_catalogue_names_are_unique_and_inputs_not_circular_to_themselves(cluster):
    error = _refusal(
        operations.create_capability,
        {"name": "cell MANUFACTURING", "kind": "production"},
        actor=None,
    )
    assert error.message == "A capability named cell MANUFACTURING already exists."
    cells = cluster.capabilities["cells"]
    error = _refusal(operations.update_capability, cells, {"input_ids": [cells.id]}, actor=None)
    assert error.message == "Cell manufacturing cannot be an input of itself."


def test_a_capability_in_use_cannot_be_deleted(cluster):
    error = _refusal(operations.delete_capability, cluster.capabilities["cells"], actor=None)
    assert error.message == (
        "Cell manufacturing cannot be deleted: 1 partner provide it and 1 supply link buy it."
    )
    unused = operations.create_capability({"name": "Anodising", "kind": "process"}, actor=None)
    operations.delete_capability(unused, actor=None)


def test_untagging_a_capability_a_partner_still_supplies_is_refused(cluster):
    provided = services.onboarding(cluster.t2)[0][0]
    error = _refusal(operations.remove_provided, provided, actor=None)
    assert error.message == (
        "Cell Maker supplies Cell manufacturing to 1 buyer: remove those supply links first."
    )


def test_a_deleted_link_is_restored_from_the_trail_if_the_rules_still_hold(cluster):
    tooling = db.session.scalar(select(SupplyLink).where(SupplyLink.buyer_id == cluster.t2.id))
    operations.delete_supply_link(tooling, actor=None)
    event = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "delete", AuditEvent.entity_type == "supply_links"
        )
    )
    assert event.summary == "Removed supply link: Cell Maker buys Tooling from Tool Shop"
    restorer = audit_trail.registries()[1]["supply_links"]
    restored = restorer(event, actor=None)
    assert (restored.buyer_id, restored.supplier_id) == (cluster.t2.id, cluster.t3.id)


def test_the_onboarding_checklist_shows_what_is_undeclared(cluster):
    caps = cluster.capabilities
    operations.update_capability(
        caps["modules"],
        {"input_ids": [caps["cells"].id, caps["molds"].id, caps["lab"].id]},
        actor=None,
    )
    _provided, checklist = services.onboarding(cluster.t1)
    assert [(item.capability.name, item.declared) for item in checklist] == [
        ("Battery testing lab", False),
        ("Cell manufacturing", True),
        ("Mold-making", True),
    ]
