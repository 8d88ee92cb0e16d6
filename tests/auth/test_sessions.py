"""A sign-in starts a new session, which ends when idle too long or too old."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from config import Config
from tests.conftest import csrf_token, login, post_form
from tests.factories import PASSWORD, make_user
from tracker.auth.models import User
from tracker.extensions import db

SIGNED_IN = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def real_timeouts(app, monkeypatch):
    """The defaults every installation gets (the suite's own config relaxes them)."""
    for name in ("SESSION_IDLE_TIMEOUT", "SESSION_LIFETIME"):
        monkeypatch.setitem(app.config, name, getattr(Config, name))


def test_the_csrf_token_from_before_sign_in_is_worthless_after(client):
    user = make_user("viewer")
    db.session.commit()
    before = csrf_token(client, "/login")
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": before}
    )
    assert response.status_code == 302
    # The token a page read (or planted) before sign-in signs nothing afterwards.
    assert client.post("/logout", data={"csrf_token": before}).status_code == 400
    assert client.get("/partners").status_code == 200
    # The new one works.
    assert post_form(client, "/logout", {}, form_url="/account/password").status_code == 302
    assert client.get("/partners").status_code == 302


def _signed_in_client(app):
    user = make_user("viewer")
    db.session.commit()
    client = app.test_client()
    with time_machine.travel(SIGNED_IN, tick=False):
        assert login(client, user.email).status_code == 302
    client.user = user
    return client


def _get_at(client, moment: datetime, url: str = "/partners"):
    with time_machine.travel(moment, tick=False):
        return client.get(url)


def test_an_idle_session_is_signed_out_with_a_message(app):
    client = _signed_in_client(app)
    assert _get_at(client, SIGNED_IN + timedelta(hours=7, minutes=59)).status_code == 200
    late = SIGNED_IN + timedelta(hours=7, minutes=59) + timedelta(hours=8, minutes=1)
    response = _get_at(client, late)
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=%2Fpartners"
    page = _get_at(client, late, "/login").get_data(as_text=True)
    assert "You were signed out after 8 hours without activity." in page
    assert _get_at(client, late, "/partners").status_code == 302


def test_activity_keeps_a_session_until_its_lifetime_ends(app):
    client = _signed_in_client(app)
    for hours in (6, 12, 18, 23):
        assert _get_at(client, SIGNED_IN + timedelta(hours=hours)).status_code == 200, hours
    response = _get_at(client, SIGNED_IN + timedelta(hours=24, minutes=1))
    assert response.status_code == 302
    page = _get_at(client, SIGNED_IN + timedelta(hours=24, minutes=1), "/login")
    assert "You were signed out 24 hours after signing in." in page.get_data(as_text=True)


def test_the_idle_timeout_is_a_setting(app, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_IDLE_TIMEOUT", 30)
    client = _signed_in_client(app)
    assert _get_at(client, SIGNED_IN + timedelta(minutes=29)).status_code == 200
    response = _get_at(client, SIGNED_IN + timedelta(minutes=60))
    assert response.status_code == 302
    assert "after 30 minutes without activity" in _get_at(
        client, SIGNED_IN + timedelta(minutes=60), "/login"
    ).get_data(as_text=True)


def test_a_post_after_the_idle_timeout_changes_nothing(app):
    client = _signed_in_client(app)
    with time_machine.travel(SIGNED_IN, tick=False):
        token = csrf_token(client, "/account/password")
    with time_machine.travel(SIGNED_IN + timedelta(hours=9), tick=False):
        response = client.post(
            "/account/password",
            data={
                "current_password": PASSWORD,
                "password": "a-brand-new-pass",
                "confirm": "a-brand-new-pass",
                "csrf_token": token,
            },
        )
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    db.session.expire_all()
    assert db.session.get(User, client.user.id).password_hash == client.user.password_hash
