"""Every API route asks for a token, refuses a role without the right, and refuses every
write to a viewer and to a read-only token; revoked and expired tokens are refused."""

import re
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from tests.api.conftest import ApiClient, api_client_for, token_for
from tests.factories import make_user
from tests.test_permissions import _routes
from tracker.auth import operations
from tracker.auth.models import ApiToken
from tracker.auth.permissions import ROLE_PERMISSIONS
from tracker.core.types import today
from tracker.extensions import db

WRITES = {"POST", "PATCH", "PUT", "DELETE"}


def _url(rule) -> str:
    # Any id will do: the token and the right are checked before the record is looked up.
    return re.sub(r"<(?:int:)?\w+>", "1", rule.rule)


def _calls(app):
    for rule, view in _routes(app, api=True):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, _url(rule), view.required_permission


def _assert_error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.content_type == "application/json"
    error = response.get_json()["error"]
    assert error["code"] == code and error["message"]


def test_every_api_route_wants_a_token(app, client):
    calls = list(_calls(app))
    assert len(calls) > 10
    for method, url, _permission in calls:
        response = client.open(url, method=method, json={})
        _assert_error(response, 401, "unauthorized")
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_signed_in_browser_cannot_use_the_api(app, admin_client):
    """The session cookie signs nobody in here: no page can make a browser write through
    the API, which takes no CSRF token."""
    response = admin_client.post("/api/v1/regions", json={"name": "X", "country_code": "HU"})
    _assert_error(response, 401, "unauthorized")


@pytest.mark.parametrize("role", ["viewer", "owner", "manager"])
def test_roles_get_403_where_their_role_lacks_the_permission(app, role):
    api = api_client_for(app, role)
    granted = ROLE_PERMISSIONS[role]
    refused = [call for call in _calls(app) if call[2] not in granted]
    if role == "viewer":
        assert {method for method, _url, _p in refused} >= WRITES - {"PUT"}
    for method, url, _permission in refused:
        _assert_error(api.open(method, url, json={}), 403, "forbidden")


# Acknowledging the alerts sent to you is open to every role, as on the alerts page: it
# changes no record, only stops the alert's e-mails (and only yours: see test_alerts).
ALL_ROLES = {"/api/v1/alerts/acknowledge"}


def test_a_viewer_is_refused_every_write(app):
    api = api_client_for(app, "viewer")
    writes = [(m, u) for m, u, _p in _calls(app) if m in WRITES and u not in ALL_ROLES]
    assert len(writes) > 20
    for method, url in writes:
        _assert_error(api.open(method, url, json={}), 403, "forbidden")


def test_a_read_only_token_reads_and_is_refused_every_write(app, portfolio):
    api = api_client_for(app, "admin", read_only=True)
    assert api.get("/api/v1/partners").status_code == 200
    for method, url, _permission in _calls(app):
        if method in WRITES:
            response = api.open(method, url, json={})
            _assert_error(response, 403, "forbidden")
            assert "read-only" in response.get_json()["error"]["message"]
    assert api.get("/api/v1/partners/1").get_json()["name"] == "Győr Agency"


def test_a_revoked_token_is_refused_from_its_next_request(app):
    api = api_client_for(app, "admin")
    assert api.get("/api/v1/regions").status_code == 200
    token = db.session.scalars(select(ApiToken)).one()
    operations.revoke_token(token, actor=api.user)
    db.session.commit()
    _assert_error(api.get("/api/v1/regions"), 401, "unauthorized")


def test_an_expired_token_is_refused_on_its_expiry_day(app):
    user = make_user("admin")
    api = ApiClient(app, token_for(user, expires_on=today() + timedelta(days=2)), user)
    assert api.get("/api/v1/regions").status_code == 200
    with time_machine.travel(today() + timedelta(days=1, hours=12), tick=False):
        assert api.get("/api/v1/regions").status_code == 200
    with time_machine.travel(today() + timedelta(days=2, hours=12), tick=False):
        _assert_error(api.get("/api/v1/regions"), 401, "unauthorized")


def test_a_deactivated_users_token_is_refused(app):
    api = api_client_for(app, "manager")
    api.user.active = False
    db.session.commit()
    _assert_error(api.get("/api/v1/regions"), 401, "unauthorized")


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer ", "Basic abc", "Bearer et_nope"])
def test_a_missing_or_unknown_token_is_refused(client, header):
    headers = {"Authorization": header} if header else {}
    _assert_error(client.get("/api/v1/partners", headers=headers), 401, "unauthorized")


def test_a_token_records_when_it_was_last_used(app):
    api = api_client_for(app, "viewer")
    token = db.session.scalars(select(ApiToken)).one()
    assert token.last_used_at is None
    api.get("/api/v1/regions")
    db.session.expire_all()
    assert token.last_used_at is not None
