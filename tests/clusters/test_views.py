"""The cluster pages: the scorecard (sorting, export, what-if), the dependencies, the
catalogue and weights (admins), and a partner's supply (managers)."""

import csv
import io
import re

from sqlalchemy import select

from tests.conftest import post_form
from tracker.clusters.models import Capability, SupplyLink
from tracker.extensions import db


def _regions_in_order(html: str) -> list[str]:
    table = html.split('id="scorecard"')[1].split("</table>")[0]
    return re.findall(r'/regions/\d+">([^<]+)</a>', table)


def test_the_scorecard_is_a_heat_map_sortable_and_exportable(cluster, weights, viewer_client):
    db.session.commit()
    html = viewer_client.get("/clusters/scorecard").get_data(as_text=True)
    assert _regions_in_order(html) == ["Győr", "Bratislava"]  # overall, best first
    assert 'class="heat heat-2"' in html  # Győr's 58 overall
    assert "2 of 4" in html and "Missing: Battery testing lab, Mold-making." in html
    assert "Completeness (30%)" in html
    html = viewer_client.get("/clusters/scorecard?sort=region&dir=asc").get_data(as_text=True)
    assert _regions_in_order(html) == ["Bratislava", "Győr"]
    response = viewer_client.get("/clusters/scorecard?sort=overall&dir=desc&format=csv")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert [(r["Region"], r["Overall"], r["Completeness"]) for r in rows] == [
        ("Győr", "58", "50"),
        ("Bratislava", "0", "0"),
    ]
    assert rows[1]["Workforce"] == "" and rows[1]["Workforce: figure"] == "no jobs committed"


def test_a_what_if_shows_the_anchors_that_lose_supply_and_saves_nothing(cluster, viewer_client):
    db.session.commit()
    html = viewer_client.get(
        f"/clusters/scorecard?what_if=1&remove_partner_ids={cluster.t2.id}"
    ).get_data(as_text=True)
    assert "1 anchor commitment would lose supply" in html
    assert "Module Maker loses Cell manufacturing: Cell Maker is taken out" in html
    assert 'class="delta down">-25</span>' in html
    html = viewer_client.get("/clusters/scorecard?what_if=1").get_data(as_text=True)
    assert "Choose capabilities for a new supplier, or suppliers or regions to take out." in html
    response = viewer_client.get("/clusters/scorecard?what_if=1&remove_region_ids=abc")
    assert response.status_code == 200
    assert "could not be coerced" in response.get_data(as_text=True)


def test_the_dependencies_list_and_export(cluster, viewer_client):
    db.session.commit()
    html = viewer_client.get("/clusters/dependencies").get_data(as_text=True)
    assert "Outside the trade bloc" in html
    assert "Anchor – modules → Module Maker → Dongguan Mould" in html
    response = viewer_client.get("/clusters/dependencies?format=csv")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert [(r["Flag"], r["Buyer"], r["Supplier"], r["Supplier country"]) for r in rows] == [
        ("Outside the trade bloc", "Module Maker", "Dongguan Mould", "CN")
    ]
    assert rows[0]["Committed value (reporting currency)"] == "1000000.00"


def test_admins_keep_the_catalogue_and_a_bad_form_keeps_what_was_typed(cluster, admin_client):
    db.session.commit()
    response = post_form(
        admin_client,
        "/admin/capabilities/new",
        {"name": "Mold-MAKING", "kind": "tooling", "description": "typed text"},
    )
    html = response.get_data(as_text=True)
    assert "A capability named Mold-MAKING already exists." in html
    assert 'value="Mold-MAKING"' in html and "typed text" in html
    response = post_form(
        admin_client,
        "/admin/capabilities/new",
        {"name": "Anodising", "kind": "process", "input_ids": [cluster.capabilities["molds"].id]},
    )
    assert response.status_code == 302
    anodising = db.session.scalar(select(Capability).where(Capability.name == "Anodising"))
    assert [c.name for c in anodising.inputs] == ["Mold-making"]
    assert "Anodising" in admin_client.get("/admin/capabilities").get_data(as_text=True)


def test_weights_that_do_not_add_up_are_refused_with_the_typed_values(cluster, admin_client):
    data = dict.fromkeys(
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
        "10",
    )
    response = post_form(admin_client, "/admin/scorecard-weights", {**data, "depth": "15"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "The weights must add up to 100; these add up to 85." in html
    assert 'value="15"' in html
    response = post_form(admin_client, "/admin/scorecard-weights", {**data, "depth": "30"})
    assert response.status_code == 302
    assert "Supplier layers (30%)" in admin_client.get("/clusters/scorecard").get_data(as_text=True)


def test_managers_declare_a_supplier_and_a_cycle_comes_back_on_the_form(cluster, manager_client):
    db.session.commit()
    caps = cluster.capabilities
    blank = {"transport_mode": "", "replaced_country": "", "replaced_mode": ""}  # as browsers do
    page = manager_client.get(f"/partners/{cluster.t1.id}").get_data(as_text=True)
    assert 'id="supply"' in page and "Outside the trade bloc" in page
    response = post_form(
        manager_client,
        f"/partners/{cluster.t1.id}/capabilities/new",
        {"capability_id": caps["tooling"].id},
    )
    assert response.status_code == 302
    response = post_form(
        manager_client,
        f"/partners/{cluster.t3.id}/supply-links/new",
        {
            **blank,
            "capability_id": caps["tooling"].id,
            "supplier_id": cluster.t1.id,
            "site": "Line 4",
            "annual_tonnage": "12.5",
        },
    )
    html = response.get_data(as_text=True)
    assert (
        "This link would make a cycle: Tool Shop → Module Maker → Cell Maker → Tool Shop." in html
    )
    assert 'value="Line 4"' in html and 'value="12.5"' in html
    response = post_form(
        manager_client,
        f"/partners/{cluster.hub.id}/supply-links/new",
        {"capability_id": caps["tooling"].id, "supplier_id": cluster.t3.id, "annual_tonnage": "-3"},
    )
    assert "Enter zero or more tonnes." in response.get_data(as_text=True)
    response = post_form(
        manager_client,
        f"/partners/{cluster.hub.id}/supply-links/new",
        {
            **blank,
            "capability_id": caps["tooling"].id,
            "supplier_id": cluster.t3.id,
            "annual_tonnage": "3",
            "transport_mode": "rail",
        },
    )
    assert response.status_code == 302
    created = db.session.scalar(select(SupplyLink).where(SupplyLink.buyer_id == cluster.hub.id))
    assert (created.supplier_id, created.transport_mode) == (cluster.t3.id, "rail")


def test_the_region_page_shows_its_cluster_score(cluster, weights, viewer_client):
    db.session.commit()
    html = viewer_client.get(f"/regions/{cluster.region.id}").get_data(as_text=True)
    stat = html.split("Cluster score")[1].split("</div>")[0]
    assert ">58</a>" in stat and "EV batteries: 2 of 4 capabilities" in stat


def test_the_map_draws_placed_regions_and_names_the_others(cluster, viewer_client):
    from decimal import Decimal

    from tracker.partners import operations as partner_operations

    partner_operations.update_region(
        cluster.region, {"latitude": Decimal("47.68"), "longitude": Decimal("17.65")}, actor=None
    )
    db.session.commit()
    html = viewer_client.get("/clusters/map").get_data(as_text=True)
    assert html.count('<circle class="region') == 1
    assert "<h2>Europe</h2>" in html and "<title>Hungary</title>" in html
    assert "Not on the map (no latitude and longitude):" in html and ">Bratislava</a>" in html
