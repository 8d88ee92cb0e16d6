"""The clusters through the API: the scorecard and a what-if read as on the page, and the
writes refused with the form's words (a cycle, a tonnage below zero, weights not adding up)."""

import pytest

from tests.api.conftest import api_client_for
from tracker.extensions import db

API = "/api/v1"


@pytest.fixture
def clients(app, cluster, weights):
    db.session.commit()
    return {role: api_client_for(app, role) for role in ("viewer", "manager", "admin")}


def test_the_scorecard_and_a_what_if(clients, cluster):
    body = clients["viewer"].get(f"{API}/clusters/scorecard").get_json()
    assert body["weights"]["completeness"] == 30
    gyor = next(r for r in body["regions"] if r["region_id"] == cluster.region.id)
    assert gyor["overall"] == pytest.approx(58.1667, abs=1e-4)
    assert gyor["cells"]["completeness"] == {
        "score": 50.0,
        "figure": "2 of 4",
        "why": gyor["cells"]["completeness"]["why"],
    }
    assert gyor["cells"]["workforce"]["score"] == 40.0
    response = clients["viewer"].get(f"{API}/clusters/what-if?remove_partner_ids={cluster.t2.id}")
    assert response.status_code == 200
    assert response.get_json()["anchors_losing_supply"] == [
        {
            "commitment_id": cluster.anchor.id,
            "title": "Anchor – modules",
            "reason": "Module Maker loses Cell manufacturing: Cell Maker is taken out",
        }
    ]
    assert clients["viewer"].get(f"{API}/clusters/what-if?remove_partner_ids=x").status_code == 422


def test_dependencies_and_links_name_how_far_they_reach(clients, cluster):
    dependencies = clients["viewer"].get(f"{API}/clusters/dependencies").get_json()
    assert [(d["supplier_id"], d["reach"], d["committed_value"]) for d in dependencies] == [
        (cluster.mould.id, "offshore", "1000000.00")
    ]
    links = clients["viewer"].get(f"{API}/supply-links?buyer_id={cluster.t1.id}").get_json()
    assert sorted(link["reach"] for link in links["items"]) == ["local", "offshore"]


def test_writes_keep_the_rules_and_the_roles(clients, cluster):
    caps = cluster.capabilities
    cycle = {
        "buyer_id": cluster.t3.id,
        "supplier_id": cluster.t1.id,
        "capability_id": caps["modules"].id,
    }
    assert clients["viewer"].post(f"{API}/supply-links", json=cycle).status_code == 403
    response = clients["manager"].post(f"{API}/supply-links", json=cycle)
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"]["supplier_id"][0].startswith(
        "This link would make a cycle: Tool Shop → Module Maker → Cell Maker → Tool Shop."
    )
    response = clients["manager"].post(
        f"{API}/supply-links",
        json={
            "buyer_id": cluster.hub.id,
            "supplier_id": cluster.t3.id,
            "capability_id": caps["tooling"].id,
            "annual_tonnage": "-2",
        },
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {
        "annual_tonnage": ["Number must be between 0 and 1E+13."]
    }
    weights = clients["viewer"].get(f"{API}/clusters/weights").get_json()
    assert clients["manager"].put(f"{API}/clusters/weights", json=weights).status_code == 403
    response = clients["admin"].put(f"{API}/clusters/weights", json={**weights, "depth": 0})
    assert response.status_code == 422
    assert "add up to 90" in response.get_json()["error"]["message"]
    moved = {**weights, "depth": 0, "anchors": weights["anchors"] + 10}
    response = clients["admin"].put(f"{API}/clusters/weights", json=moved)
    assert response.status_code == 200 and response.get_json() == moved
