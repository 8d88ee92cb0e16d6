"""What a client of /api/v1 relies on: every error is JSON of one shape, never a page; a
record's version is its ETag, and a stale If-Match writes nothing (412); lists page with
totals and filter, search and sort as the pages do; the README's session (partners of a
region, an engagement logged, an incentive awarded) works end to end; a programme owner
changes only their own commitments; money keeps every digit; refused writes change nothing.
"""

from decimal import Decimal

import pytest

from tests.factories import make_commitment, make_partner, make_region
from tracker.commitments.models import Commitment
from tracker.core.types import today
from tracker.extensions import db
from tracker.incentives.models import Incentive
from tracker.partners.models import Contact, Partner

# --- Errors: one JSON shape -------------------------------------------------------------------


def _error(response, status: int, code: str) -> dict:
    """The error of `response`, checked to be the API's JSON shape with `status`."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.content_type == "application/json"
    assert "<html" not in response.get_data(as_text=True).lower()
    body = response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code and body["error"]["message"]
    assert isinstance(body["error"]["fields"], dict)
    return body["error"]


@pytest.mark.parametrize("path", ["/api/v1/nothing-here", "/api/v1/partners/1/nothing"])
def test_an_unknown_path_is_a_json_404(manager_api, path):
    _error(manager_api.get(path), 404, "not_found")


def test_a_missing_record_is_a_json_404(manager_api):
    error = _error(manager_api.get("/api/v1/partners/999"), 404, "not_found")
    assert "999" in error["message"]


def test_a_wrong_method_is_a_json_405_naming_the_allowed_ones(manager_api, portfolio):
    response = manager_api.open("PUT", "/api/v1/partners/1", json={"name": "X"})
    _error(response, 405, "method_not_allowed")
    assert "PATCH" in response.headers["Allow"]


def test_a_body_that_is_not_json_is_a_400(manager_api):
    response = manager_api.post(
        "/api/v1/regions", data='{"name": "Pest",', content_type="application/json"
    )
    _error(response, 400, "bad_request")


def test_a_field_of_the_wrong_type_is_a_422_naming_it(manager_api):
    response = manager_api.post("/api/v1/regions", json={"name": 5, "country_code": "HU"})
    assert set(_error(response, 422, "invalid")["fields"]) == {"name"}


def test_an_unknown_field_is_a_422_naming_it(manager_api):
    body = {"name": "Pest", "country_code": "HU", "colour": "red"}
    error = _error(manager_api.post("/api/v1/regions", json=body), 422, "invalid")
    assert set(error["fields"]) == {"colour"}
    assert manager_api.get("/api/v1/regions").get_json()["total"] == 0


@pytest.mark.parametrize("query", ["per_page=0", "per_page=201", "page=0", "dir=up", "sort=x"])
def test_a_bad_query_value_is_a_422_naming_it(manager_api, query):
    error = _error(manager_api.get(f"/api/v1/regions?{query}"), 422, "invalid")
    assert set(error["fields"]) == {query.partition("=")[0]}


def test_a_rule_of_the_operation_is_a_422_naming_the_field(manager_api, portfolio):
    body = {"name": "győr agency", "kind": "economic_agency", "country_code": "HU"}
    error = _error(manager_api.post("/api/v1/partners", json=body), 422, "invalid")
    assert set(error["fields"]) == {"name"}
    assert "already exists" in error["message"]
    assert db.session.query(Partner).count() == 2


# --- Versions: ETag and If-Match --------------------------------------------------------------


def test_a_record_carries_its_version_as_etag(manager_api, portfolio):
    response = manager_api.get("/api/v1/partners/1")
    assert response.headers["ETag"] == '"1"'
    assert response.get_json()["version"] == 1


def test_a_patch_with_the_current_version_succeeds_and_returns_the_next(manager_api, portfolio):
    response = manager_api.patch(
        "/api/v1/partners/1", json={"description": "Agency"}, headers={"If-Match": '"1"'}
    )
    assert response.status_code == 200, response.get_json()
    assert response.headers["ETag"] == '"2"'
    assert response.get_json()["version"] == 2
    assert db.session.get(Partner, 1).description == "Agency"


def test_a_patch_with_a_stale_version_is_a_412_and_writes_nothing(manager_api, portfolio):
    first = manager_api.patch("/api/v1/partners/1", json={"description": "First"})
    assert first.status_code == 200 and first.headers["ETag"] == '"2"'
    stale = manager_api.patch(
        "/api/v1/partners/1", json={"description": "Second"}, headers={"If-Match": '"1"'}
    )
    error = _error(stale, 412, "precondition_failed")
    assert "version 2" in error["message"]
    assert stale.headers["ETag"] == '"2"'
    partner = db.session.get(Partner, 1)
    assert (partner.description, partner.version) == ("First", 2)


def test_a_patch_without_if_match_is_applied(manager_api, portfolio):
    response = manager_api.patch("/api/v1/partners/1", json={"cadence_days": 45})
    assert response.status_code == 200, response.get_json()
    assert db.session.get(Partner, 1).cadence_days == 45


def test_a_delete_with_a_stale_version_is_a_412_and_the_contact_stays(manager_api, portfolio):
    assert (
        manager_api.patch("/api/v1/contacts/1", json={"phone": "+36 1 555 0100"}).status_code == 200
    )
    response = manager_api.delete("/api/v1/contacts/1", headers={"If-Match": '"1"'})
    _error(response, 412, "precondition_failed")
    assert db.session.get(Contact, 1) is not None
    assert manager_api.delete("/api/v1/contacts/1", headers={"If-Match": '"2"'}).status_code == 204
    assert db.session.get(Contact, 1) is None


def test_a_transition_with_a_stale_version_is_a_412_and_the_status_stays(manager_api, portfolio):
    version = manager_api.get("/api/v1/incentives/1").get_json()["version"]
    body = {"to_status": "in_compliance"}
    stale = {"If-Match": f'"{version - 1}"'}
    _error(
        manager_api.post("/api/v1/incentives/1/transitions", json=body, headers=stale),
        412,
        "precondition_failed",
    )
    incentive = db.session.get(Incentive, 1)
    assert (incentive.status, incentive.version) == ("awarded", version)
    fresh = {"If-Match": f'"{version}"'}
    moved = manager_api.post("/api/v1/incentives/1/transitions", json=body, headers=fresh)
    assert moved.status_code == 200, moved.get_json()
    assert moved.get_json()["status"] == "in_compliance"


# --- Lists ------------------------------------------------------------------------------------


def test_a_list_pages_with_totals(viewer_api):
    for n in range(7):
        make_region(f"Region {n}")
    db.session.commit()
    body = viewer_api.get("/api/v1/regions?per_page=3&page=3&sort=name").get_json()
    assert (body["total"], body["pages"], body["page"], body["per_page"]) == (7, 3, 3, 3)
    assert [region["name"] for region in body["items"]] == ["Region 6"]


def _names(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [item["name"] for item in response.get_json()["items"]]


def _other_region_partner():
    region = make_region("Baranya", "HU")
    make_partner("Pécs Chamber", region=region)
    db.session.commit()
    return region


def test_the_kind_filter_lists_the_partners_the_page_lists(viewer_api, viewer_client, portfolio):
    _other_region_partner()
    assert _names(viewer_api.get("/api/v1/partners?kind=tier1_supplier")) == ["Cell Supplier Kft."]
    page = viewer_client.get("/partners?kind=tier1_supplier").get_data(as_text=True)
    assert "Cell Supplier Kft." in page and "Győr Agency" not in page


@pytest.mark.parametrize("q", ["gyor", "GYŐR", "agency"])
def test_search_ignores_case_and_accents(viewer_api, viewer_client, portfolio, q):
    _other_region_partner()
    assert _names(viewer_api.get(f"/api/v1/partners?q={q}")) == ["Győr Agency"]
    page = viewer_client.get(f"/partners?q={q}").get_data(as_text=True)
    assert "Győr Agency" in page and "Pécs Chamber" not in page


def test_a_list_sorts_as_asked(viewer_api, portfolio):
    _other_region_partner()
    expected = ["Cell Supplier Kft.", "Győr Agency", "Pécs Chamber"]
    assert _names(viewer_api.get("/api/v1/partners?sort=name")) == expected
    assert _names(viewer_api.get("/api/v1/partners?sort=name&dir=desc")) == expected[::-1]


# --- The README's session ---------------------------------------------------------------------


def test_an_engagement_made_through_the_api_shows_on_its_page(
    manager_api, viewer_client, portfolio
):
    body = {
        "kind": "meeting",
        "occurred_on": today().isoformat(),
        "subject": "Site visit at the battery plant",
        "partner_ids": [1],
    }
    response = manager_api.post("/api/v1/engagements", json=body)
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["partner_ids"] == [1] and created["created_by_id"] == manager_api.user.id
    read = manager_api.get(f"/api/v1/engagements/{created['id']}").get_json()
    assert read["subject"] == "Site visit at the battery plant"
    page = viewer_client.get(f"/engagements/{created['id']}")
    assert page.status_code == 200
    assert "Site visit at the battery plant" in page.get_data(as_text=True)


def test_an_incentive_moves_from_submitted_to_awarded(manager_api, portfolio):
    body = {
        "title": "Training fund",
        "kind": "grant",
        "granting_partner_id": 1,
        "currency": "EUR",
        "amount_offered": "250000",
        "status": "submitted",
    }
    created = manager_api.post("/api/v1/incentives", json=body)
    assert created.status_code == 201, created.get_json()
    incentive = created.get_json()
    assert incentive["status"] == "submitted" and incentive["awarded_on"] is None
    history = len(incentive["status_history"])

    url = f"/api/v1/incentives/{incentive['id']}/transitions"
    moved = manager_api.post(url, json={"to_status": "awarded"})
    assert moved.status_code == 200, moved.get_json()
    awarded = moved.get_json()
    assert awarded["status"] == "awarded"
    assert awarded["awarded_on"] == today().isoformat()
    assert len(awarded["status_history"]) == history + 1
    last = awarded["status_history"][-1]
    assert (last["from_status"], last["to_status"]) == ("submitted", "awarded")
    assert db.session.get(Incentive, incentive["id"]).status == "awarded"


# --- Who may change what, and money -----------------------------------------------------------


def test_an_owner_changes_their_own_commitment_only(owner_api, portfolio):
    mine = make_commitment("co_investment", owner=owner_api.user, title="Mine")
    db.session.commit()
    response = owner_api.patch(f"/api/v1/commitments/{mine.id}", json={"description": "On track"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["description"] == "On track"

    other = db.session.get(Commitment, 1)
    assert other.owner_id != owner_api.user.id
    refused = owner_api.patch("/api/v1/commitments/1", json={"description": "Mine now"})
    _error(refused, 403, "forbidden")
    db.session.expire_all()
    assert (other.description, other.version) == (None, 1)


def test_money_keeps_every_digit(manager_api, portfolio):
    amount = "1000000000000000.37"
    body = {
        "title": "Big grant",
        "kind": "grant",
        "granting_partner_id": 1,
        "currency": "EUR",
        "amount_offered": amount,
    }
    response = manager_api.post("/api/v1/incentives", json=body)
    assert response.status_code == 201, response.get_json()
    sent_back = response.get_json()["amount_offered"]
    assert isinstance(sent_back, str)
    assert Decimal(sent_back) == Decimal(amount)
    read = manager_api.get(f"/api/v1/incentives/{response.get_json()['id']}").get_json()
    assert Decimal(read["amount_offered"]) == Decimal(amount)
    assert db.session.get(Incentive, read["id"]).amount_offered == Decimal(amount)


# --- Refused writes change nothing ------------------------------------------------------------


@pytest.mark.parametrize("who", ["viewer_api", "read_only_api"])
def test_a_refused_write_leaves_the_database_unchanged(request, portfolio, who):
    api = request.getfixturevalue(who)
    _error(api.patch("/api/v1/partners/1", json={"name": "Renamed"}), 403, "forbidden")
    _error(api.delete("/api/v1/contacts/1"), 403, "forbidden")
    partner = db.session.get(Partner, 1)
    assert (partner.name, partner.version) == ("Győr Agency", 1)
    assert db.session.get(Contact, 1) is not None


def test_the_region_filter_lists_the_partners_the_page_lists(viewer_api, viewer_client, portfolio):
    other = _other_region_partner()
    assert set(_names(viewer_api.get("/api/v1/partners?region_id=1"))) == {
        "Győr Agency",
        "Cell Supplier Kft.",
    }
    assert _names(viewer_api.get(f"/api/v1/partners?region_id={other.id}")) == ["Pécs Chamber"]
    page = viewer_client.get(f"/partners?region_id={other.id}").get_data(as_text=True)
    assert "Pécs Chamber" in page and "Győr Agency" not in page
