"""Importing capability tags and supply links: every bad row reported by line, nothing
written unless every row is good."""

from sqlalchemy import func, select

from tracker.clusters.models import PartnerCapability, SupplyLink
from tracker.extensions import db
from tracker.reports import imports

LINK_HEADER = (
    "Buyer,Buyer country,Capability,Supplier,Supplier country,Tonnes a year,Transport mode\n"
)


def _links() -> int:
    return db.session.scalar(select(func.count()).select_from(SupplyLink))


def test_bad_supply_link_rows_are_each_reported_and_nothing_is_written(cluster):
    before = _links()
    data = (
        LINK_HEADER
        + "Module Maker,HU,Tooling,Tool Shop,HU,12,Road\n"  # good
        + "Module Maker,HU,Cell manufacturng,Cell Maker,HU,,\n"  # not in the catalogue
        + "Tool Shop,HU,Module assembly,Module Maker,HU,,\n"  # a cycle
        + "Hub,HU,Tooling,Tool Shop,HU,-4,Road\n"  # below zero
        + "Hub,HU,Tooling,Tool Shop,HU,4,Teleport\n"  # not a mode
    ).encode()
    preview = imports.parse_upload("supply-links", "links.csv", data)
    reasons = {error.line: error.reasons for error in preview.errors}
    assert set(reasons) == {3, 4, 5, 6}
    assert reasons[3] == [
        "Capability: Cell manufacturng is not in the capability catalogue; an admin adds it "
        "on Admin → Capabilities"
    ]
    assert reasons[4] == [
        # Line 2, checked first, made Module Maker buy from Tool Shop: the loop is short.
        "Supplier: This link would make a cycle: Tool Shop → Module Maker → Tool Shop. "
        "A supplier cannot, through its own suppliers, buy from its buyer."
    ]
    assert reasons[5] == ["Tonnes a year: Number must be between 0 and 1E+13."]
    assert reasons[6][0].startswith("Transport mode:")
    assert not preview.ok
    assert _links() == before


def test_good_rows_import_and_a_second_run_changes_nothing(cluster):
    before = _links()
    tags = (
        b"Partner,Partner country,Capability,Capacity,Counted in\n"
        b"Module Maker,HU,tooling,,\n"
        b"Hub,HU,Logistics hub,5000,pallets a week\n"
    )
    preview = imports.parse_upload("partner-capabilities", "tags.csv", tags)
    assert preview.ok, preview.errors
    assert [plan.action for plan in preview.plans] == ["create", "update"]
    imports.apply(preview)
    hub = db.session.scalar(
        select(PartnerCapability).where(PartnerCapability.partner_id == cluster.hub.id)
    )
    assert (str(hub.capacity), hub.capacity_unit) == ("5000.0000", "pallets a week")
    data = (LINK_HEADER + "Hub,HU,Tooling,Module Maker,HU,3,Rail\n").encode()
    imports.apply(imports.parse_upload("supply-links", "links.csv", data))
    assert _links() == before + 1
    again = imports.parse_upload("supply-links", "links.csv", data)
    assert [plan.action for plan in again.plans] == ["unchanged"]
