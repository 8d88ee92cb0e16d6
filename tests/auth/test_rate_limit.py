"""Sign-in is throttled per client address and per account; the password page per user."""

import pytest

from tests.conftest import csrf_token, login, post_form
from tests.factories import PASSWORD, make_user
from tracker.extensions import db, limiter


@pytest.fixture
def limits(app, monkeypatch):
    """Tight limits for one test: `limits(address=…, account=…, password_check=…)`."""

    def tighten(address="1000 per minute", account="1000 per minute", password_check=None):
        monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", address)
        monkeypatch.setitem(app.config, "LOGIN_ACCOUNT_RATE_LIMIT", account)
        monkeypatch.setitem(app.config, "PASSWORD_CHECK_RATE_LIMIT", password_check or account)
        limiter.reset()

    yield tighten
    limiter.reset()


WRONG = "wrong-guess"


def _attempt(client, email: str, password: str = WRONG, address: str = "10.0.0.1"):
    token = csrf_token(client, "/login")
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token},
        environ_base={"REMOTE_ADDR": address},
    ).status_code


def test_too_many_login_attempts_from_one_address_get_429(client, limits):
    limits(address="3 per minute")
    statuses = [_attempt(client, f"x{n}@example.com") for n in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    limited = client.post(
        "/login",
        data={"csrf_token": csrf_token(client, "/login")},
        environ_base={"REMOTE_ADDR": "10.0.0.1"},
    )
    assert "Too many attempts" in limited.get_data(as_text=True)
    # Reading the form is never limited; another address is not affected.
    assert client.get("/login").status_code == 200
    assert _attempt(client, "x@example.com", address="10.0.0.2") == 200


def test_wrong_passwords_for_one_account_lock_that_account_only(app, client, limits):
    limits(account="3 per minute")
    target, colleague = make_user("viewer"), make_user("viewer")
    db.session.commit()
    assert [_attempt(client, target.email) for _ in range(3)] == [200, 200, 200]
    # Even the right password waits now: the attacker learns nothing from it.
    assert _attempt(app.test_client(), target.email, PASSWORD) == 429
    # A colleague behind the same address signs in as usual.
    assert _attempt(app.test_client(), colleague.email, PASSWORD) == 302


def test_one_account_tried_from_many_addresses_is_throttled(client, limits):
    limits(account="3 per minute")
    user = make_user("viewer")
    db.session.commit()
    statuses = [_attempt(client, user.email, address=f"10.0.1.{n}") for n in range(5)]
    assert statuses == [200, 200, 200, 429, 429]


def test_the_account_budget_ignores_how_the_email_is_written(client, limits):
    limits(account="3 per minute")
    make_user("viewer", email="lena@example.com")
    db.session.commit()
    for email in ("lena@example.com", " Lena@Example.com", "LENA@EXAMPLE.COM"):
        assert _attempt(client, email) == 200
    assert _attempt(client, "lena@example.COM ") == 429


def test_an_unknown_email_is_throttled_like_an_existing_one(client, limits):
    limits(account="3 per minute")
    statuses = [_attempt(client, "nobody@example.com", address=f"10.0.2.{n}") for n in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_successful_sign_ins_do_not_spend_the_account_budget(app, limits):
    limits(account="2 per minute")
    user = make_user("viewer")
    db.session.commit()
    assert [_attempt(app.test_client(), user.email, PASSWORD) for _ in range(4)] == [302] * 4


def _wrong_current_password(client) -> int:
    return post_form(
        client,
        "/account/password",
        {
            "current_password": "wrong-wrong",
            "password": "a-brand-new-pass",
            "confirm": "a-brand-new-pass",
        },
    ).status_code


def test_the_current_password_check_is_throttled_per_user(app, client, limits):
    limits(password_check="3 per minute")
    user, other = make_user("owner"), make_user("owner")
    db.session.commit()
    login(client, user.email)
    assert [_wrong_current_password(client) for _ in range(4)] == [200, 200, 200, 429]
    # Another user's budget is their own.
    other_client = app.test_client()
    login(other_client, other.email)
    assert _wrong_current_password(other_client) == 200


def test_a_refused_new_password_does_not_spend_the_budget(client, limits):
    limits(password_check="1 per minute")
    user = make_user("owner")
    db.session.commit()
    login(client, user.email)
    data = {"current_password": PASSWORD, "password": "Password123", "confirm": "Password123"}
    statuses = [post_form(client, "/account/password", data).status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
