"""Every route declares what it needs, and the server enforces it for every role."""

import re

import pytest

from tests.conftest import csrf_token
from tracker.auth.permissions import READ, ROLE_PERMISSIONS

# Routes open to anyone: signing in, the health checks, static files, the calendar feed,
# which calendar clients reach with the secret token in its URL, and the API's description
# (its document and reference page, which hold no records). /metrics is for the monitoring
# system, by address or its own token (tests/test_operations_shape.py).
PUBLIC = {
    "auth.login",
    "main.healthz",
    "main.readyz",
    "metrics",
    "static",
    "monitoring.calendar",
    "api-docs.openapi_json",
    "api_reference.docs",
}


def is_api_rule(rule) -> bool:
    return rule.rule.startswith("/api/v1/")


def _routes(app, *, api: bool = False):
    """The pages (signed in by cookie), or with `api` the API's routes (by token)."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC or is_api_rule(rule) != api:
            continue
        view = app.view_functions[rule.endpoint]
        yield rule, view


def _url(rule) -> str:
    # Any id will do: the permission check runs before the record is looked up.
    return re.sub(r"<(?:int:)?\w+>", "1", rule.rule)


def test_every_route_declares_a_permission(app):
    routes = [*_routes(app), *_routes(app, api=True)]
    undeclared = [rule.rule for rule, view in routes if not hasattr(view, "required_permission")]
    assert undeclared == []
    assert any(is_api_rule(rule) for rule, _view in routes)


def test_anonymous_visitors_are_sent_to_login_everywhere(app, client):
    for rule, _view in _routes(app):
        method = "GET" if "GET" in rule.methods else "POST"
        response = client.open(_url(rule), method=method)
        if method == "POST" and response.status_code == 400:
            continue  # CSRF refused it even before the login check
        assert response.status_code == 302, rule.rule
        assert response.headers["Location"].startswith("/login"), rule.rule


@pytest.mark.parametrize("role", ["viewer", "owner", "manager"])
def test_roles_get_403_where_their_role_lacks_the_permission(app, request, role):
    client = request.getfixturevalue(f"{role}_client")
    token = csrf_token(client, "/account/password")
    granted = ROLE_PERMISSIONS[role]
    checked = 0
    for rule, view in _routes(app):
        if view.required_permission in granted:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            data = {"csrf_token": token} if method == "POST" else None
            response = client.open(_url(rule), method=method, data=data)
            assert response.status_code == 403, (role, method, rule.rule)
            checked += 1
    assert checked > 0
    assert READ in granted


def test_viewer_sees_no_edit_buttons(runner, viewer_client):
    runner.invoke(args=["seed-demo"])
    for path in (
        "/partners",
        "/partners/1",
        "/engagements",
        "/engagements/1",
        "/regions",
        "/followups?scope=everyone",
    ):
        html = viewer_client.get(path).get_data(as_text=True)
        for label in (
            ">New partner<",
            ">Log engagement<",
            ">Add contact<",
            ">Edit<",
            ">Archive<",
            ">Delete…<",
            ">New region<",
            "Add a follow-up",
            ">Mark done<",
            ">Reopen<",
        ):
            assert label not in html, (path, label)


def test_manager_sees_the_buttons_the_viewer_does_not(runner, manager_client):
    runner.invoke(args=["seed-demo"])
    html = manager_client.get("/partners/1").get_data(as_text=True)
    for label in (">Log engagement<", ">Add contact<", ">Edit<", ">Delete…<"):
        assert label in html, label
