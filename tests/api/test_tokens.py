"""Personal API tokens as a user makes them: on /account/tokens/new (the secret shown once,
not cached, kept only as its SHA-256, listed on /account by name and prefix), refused when
the form is wrong, read-only when asked, revoked on their confirmation page (another user's
token is no token of yours: 404), recorded in the user's history without the secret; and
through `flask create-token`, whose last line is the working token."""

import hashlib
import re
from datetime import timedelta

from sqlalchemy import inspect, select

from tests.api.conftest import ApiClient
from tests.conftest import post_form
from tests.factories import make_user
from tracker.auth.models import ApiToken
from tracker.core.models import AuditEvent
from tracker.core.types import today
from tracker.extensions import db

NEW = "/account/tokens/new"
SECRET_RE = re.compile(r'value="(et_[A-Za-z0-9_-]+)"')


def _make(client, **fields):
    """Post the new-token form; the response and the secret it shows (None if none)."""
    response = post_form(client, NEW, {"name": "Power BI refresh", **fields})
    match = SECRET_RE.search(response.get_data(as_text=True))
    return response, match.group(1) if match else None


def _tokens():
    return db.session.scalars(select(ApiToken).order_by(ApiToken.id)).all()


def _api(app, secret, user=None) -> ApiClient:
    return ApiClient(app, secret, user)


def _history(user) -> list[AuditEvent]:
    return db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.entity_type == "users", AuditEvent.entity_id == user.id)
        .order_by(AuditEvent.id)
    ).all()


def _revoke(client, token_id: int):
    url = f"/account/tokens/{token_id}/revoke"
    return post_form(client, url, {}, form_url=url)


# --- Making a token on the page ---------------------------------------------------------------


def test_the_page_shows_a_new_secret_once_uncached_and_it_works(app, manager_client):
    response, secret = _make(manager_client)
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    assert secret and secret.startswith("et_")
    assert _api(app, secret).get("/api/v1/partners").status_code == 200


def test_the_account_page_lists_the_token_by_name_and_prefix_never_the_secret(
    manager_client,
):
    _response, secret = _make(manager_client, name="ERP sync")
    token = _tokens()[0]
    page = manager_client.get("/account").get_data(as_text=True)
    assert "ERP sync" in page
    assert f"{token.prefix}…" in page
    assert secret.startswith(token.prefix) and len(secret) > len(token.prefix) + 20
    assert secret not in page
    assert secret[len(token.prefix) :] not in page


def test_only_the_sha256_of_the_secret_is_stored(manager_client):
    _response, secret = _make(manager_client)
    token = _tokens()[0]
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    stored = [getattr(token, c.key) for c in inspect(ApiToken).mapper.column_attrs]
    assert not any(secret in str(value) for value in stored)


def test_a_token_without_a_name_is_refused_and_none_is_made(manager_client):
    response, secret = _make(manager_client, name="")
    assert response.status_code == 200
    assert secret is None
    assert "This field is required." in response.get_data(as_text=True)
    assert _tokens() == []


def test_an_expiry_today_or_before_is_refused_and_none_is_made(manager_client):
    for day in (today(), today() - timedelta(days=3)):
        response, secret = _make(manager_client, expires_on=day.isoformat())
        assert response.status_code == 200
        assert secret is None
        assert "The expiry must be after today." in response.get_data(as_text=True)
    assert _tokens() == []


def test_a_future_expiry_is_kept(manager_client):
    day = today() + timedelta(days=30)
    response, _secret = _make(manager_client, expires_on=day.isoformat())
    assert response.status_code == 201
    assert _tokens()[0].expires_on == day


def test_a_read_only_token_made_on_the_page_reads_and_is_refused_a_write(app, admin_client):
    _response, secret = _make(admin_client, read_only="y")
    api = _api(app, secret)
    assert _tokens()[0].read_only is True
    assert api.get("/api/v1/regions").status_code == 200
    response = api.post("/api/v1/regions", json={"name": "Somewhere", "country_code": "HU"})
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"
    assert api.get("/api/v1/regions").get_json()["total"] == 0


# --- Revoking ---------------------------------------------------------------------------------


def test_revoking_asks_first_then_the_token_is_refused(app, manager_client):
    _response, secret = _make(manager_client)
    token = _tokens()[0]
    api = _api(app, secret)
    assert api.get("/api/v1/partners").status_code == 200

    confirm = manager_client.get(f"/account/tokens/{token.id}/revoke")
    assert confirm.status_code == 200
    assert "Revoke the API token “Power BI refresh”?" in confirm.get_data(as_text=True)
    assert token.revoked_at is None
    assert api.get("/api/v1/partners").status_code == 200

    response = _revoke(manager_client, token.id)
    assert response.status_code == 302
    db.session.expire_all()
    assert token.revoked_at is not None
    refused = api.get("/api/v1/partners")
    assert refused.status_code == 401
    assert refused.get_json()["error"]["code"] == "unauthorized"


def test_another_users_token_cannot_be_revoked_and_keeps_working(
    app, manager_client, viewer_client
):
    _response, secret = _make(viewer_client)
    token = _tokens()[0]
    url = f"/account/tokens/{token.id}/revoke"
    assert manager_client.get(url).status_code == 404
    # The manager's CSRF token from a form of theirs: the refusal is the token's owner.
    assert post_form(manager_client, url, {}, form_url=NEW).status_code == 404
    db.session.expire_all()
    assert token.revoked_at is None
    assert _api(app, secret).get("/api/v1/partners").status_code == 200


# --- The user's history -----------------------------------------------------------------------


def test_making_and_revoking_are_in_the_users_history_without_the_secret(manager_client):
    _response, secret = _make(manager_client, read_only="y")
    token = _tokens()[0]
    _revoke(manager_client, token.id)
    events = _history(manager_client.user)
    summaries = [event.summary for event in events]
    assert f"API token “Power BI refresh ({token.prefix}…)” created (read-only)" in summaries
    assert f"API token “Power BI refresh ({token.prefix}…)” revoked" in summaries
    assert all(event.user_id == manager_client.user.id for event in events[-2:])
    text = " ".join(f"{e.summary} {e.changes} {e.state}" for e in events)
    assert secret not in text
    assert secret[len(token.prefix) :] not in text


# --- flask create-token -----------------------------------------------------------------------


def _cli(runner, *args):
    return runner.invoke(args=["create-token", *args])


def test_the_command_prints_a_working_token_on_its_last_line(app, runner):
    user = make_user("manager")
    db.session.commit()
    result = _cli(runner, "--email", user.email, "--name", "Nightly export")
    assert result.exit_code == 0, result.output
    secret = result.output.strip().splitlines()[-1]
    assert secret.startswith("et_") and " " not in secret
    api = _api(app, secret)
    assert api.get("/api/v1/partners").status_code == 200
    created = api.post("/api/v1/regions", json={"name": "Pest", "country_code": "HU"})
    assert created.status_code == 201
    token = _tokens()[0]
    assert (token.name, token.read_only, token.user_id) == ("Nightly export", False, user.id)
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()


def test_the_command_makes_a_read_only_token(app, runner):
    user = make_user("admin")
    db.session.commit()
    result = _cli(runner, "--email", user.email, "--read-only")
    assert result.exit_code == 0, result.output
    api = _api(app, result.output.strip().splitlines()[-1])
    assert api.get("/api/v1/regions").status_code == 200
    response = api.post("/api/v1/regions", json={"name": "Pest", "country_code": "HU"})
    assert response.status_code == 403
    assert _tokens()[0].read_only is True


def test_the_command_refuses_an_unknown_email_and_writes_nothing(runner):
    events_before = db.session.scalars(select(AuditEvent)).all()
    result = _cli(runner, "--email", "nobody@example.com")
    assert result.exit_code == 1
    assert "Error:" in result.output
    assert "et_" not in result.output
    assert _tokens() == []
    assert db.session.scalars(select(AuditEvent)).all() == events_before


def test_the_command_refuses_an_expiry_in_the_past(runner):
    user = make_user("manager")
    db.session.commit()
    yesterday = (today() - timedelta(days=1)).isoformat()
    result = _cli(runner, "--email", user.email, "--expires-on", yesterday)
    assert result.exit_code == 1
    assert "Error: The expiry must be after today." in result.output
    assert _tokens() == []
