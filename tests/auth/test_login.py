"""Signing in and out, session invalidation and cookie settings."""

from http.cookies import SimpleCookie

from sqlalchemy import select

from tests.conftest import csrf_token, login, post_form
from tests.factories import PASSWORD, make_user
from tracker.auth.models import User
from tracker.extensions import db


def _session_cookie(client) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def test_anonymous_user_is_sent_to_login_with_next(client):
    response = client.get("/admin/users")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=%2Fadmin%2Fusers")


def test_login_page_has_csrf_protected_form(client):
    response = client.get("/login")
    html = response.get_data(as_text=True)
    assert 'name="email"' in html and 'name="password"' in html
    assert 'name="csrf_token"' in html


def test_login_without_csrf_token_is_refused(client):
    user = make_user("viewer")
    db.session.commit()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/").status_code == 302


def test_login_then_home_shows_name_and_role(client):
    user = make_user("manager", name="Eva Kovács")
    db.session.commit()
    response = login(client, user.email.upper())  # e-mail matching ignores case
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    html = client.get("/").get_data(as_text=True)
    assert "Eva Kovács" in html
    assert "Manager" in html
    assert db.session.get(User, user.id).last_login_at is not None


def test_wrong_password_and_unknown_email_get_the_same_message(client):
    user = make_user("viewer")
    db.session.commit()
    wrong_password = login(client, user.email, "not-the-password").get_data(as_text=True)
    unknown_email = login(client, "nobody@example.com", PASSWORD).get_data(as_text=True)
    message = "Invalid e-mail or password."
    assert message in wrong_password and message in unknown_email
    # The form keeps what was typed (except the password).
    assert 'value="nobody@example.com"' in unknown_email


def test_disabled_user_cannot_log_in(client):
    user = make_user("manager", active=False)
    db.session.commit()
    response = login(client, user.email)
    assert response.status_code == 200
    assert "Invalid e-mail or password." in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_next_redirect_goes_to_local_paths_only(app):
    user = make_user("admin")
    db.session.commit()
    for target, expected in [
        ("/admin/users", "/admin/users"),
        ("https://evil.example.com/", "/"),
        ("//evil.example.com/", "/"),
        ("/\\evil.example.com", "/"),
        ("javascript:alert(1)", "/"),
    ]:
        client = app.test_client()
        token = csrf_token(client, "/login")
        response = client.post(
            "/login",
            query_string={"next": target},
            data={"email": user.email, "password": PASSWORD, "csrf_token": token},
        )
        assert response.headers["Location"] == expected, target


def test_logout_ends_the_session_on_the_server(app, client):
    user = make_user("manager")
    db.session.commit()
    login(client, user.email)
    stolen = _session_cookie(client)
    assert client.get("/").status_code == 200

    response = post_form(client, "/logout", {}, form_url="/account/password")
    assert response.status_code == 302
    assert client.get("/").status_code == 302

    # A copy of the cookie taken before logout no longer works anywhere.
    replay = app.test_client()
    replay.set_cookie("session", stolen)
    response = replay.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_logout_requires_post_with_csrf(client):
    user = make_user("manager")
    db.session.commit()
    login(client, user.email)
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200


def test_password_change_ends_other_sessions_but_keeps_this_one(app, client):
    user = make_user("owner")
    db.session.commit()
    other = app.test_client()
    login(other, user.email)
    login(client, user.email)

    response = post_form(
        client,
        "/account/password",
        {
            "current_password": PASSWORD,
            "password": "a-brand-new-pass",
            "confirm": "a-brand-new-pass",
        },
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert other.get("/").status_code == 302
    assert login(app.test_client(), user.email, "a-brand-new-pass").status_code == 302


def test_password_change_with_wrong_current_password_keeps_everything(client):
    user = make_user("owner")
    db.session.commit()
    login(client, user.email)
    old_hash = user.password_hash
    response = post_form(
        client,
        "/account/password",
        {
            "current_password": "wrong-wrong",
            "password": "a-brand-new-pass",
            "confirm": "a-brand-new-pass",
        },
    )
    assert response.status_code == 200
    assert "That is not your current password." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, user.id).password_hash == old_hash


def test_deactivation_ends_that_users_sessions(app, admin_client):
    user = make_user("viewer")
    db.session.commit()
    victim = app.test_client()
    login(victim, user.email)
    assert victim.get("/partners").status_code == 200

    response = post_form(
        admin_client,
        f"/admin/users/{user.id}/edit",
        {"name": user.name, "role": "viewer"},  # unchecked box: active off
    )
    assert response.status_code == 302
    assert victim.get("/partners").status_code == 302


def test_session_cookie_is_httponly_and_samesite_lax(client):
    user = make_user("viewer")
    db.session.commit()
    response = login(client, user.email)
    set_cookie = response.headers["Set-Cookie"]
    cookie = SimpleCookie()
    cookie.load(set_cookie)
    morsel = cookie["session"]
    assert morsel["httponly"]
    assert morsel["samesite"] == "Lax"


def test_passwords_are_stored_as_argon2id_hashes():
    user = make_user("viewer")
    db.session.commit()
    stored = db.session.scalar(select(User.password_hash).where(User.id == user.id))
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


def test_security_headers_on_every_page(client):
    response = client.get("/login")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
