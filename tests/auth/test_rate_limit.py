"""Login attempts are rate-limited per client address."""

import pytest

from tests.conftest import csrf_token
from tracker.extensions import limiter


@pytest.fixture
def tight_limit(app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "3 per minute")
    limiter.reset()
    yield
    limiter.reset()


def test_too_many_login_attempts_get_429(client, tight_limit):
    token = csrf_token(client, "/login")
    statuses = [
        client.post(
            "/login",
            data={"email": "x@example.com", "password": "wrong-guess", "csrf_token": token},
        ).status_code
        for _ in range(5)
    ]
    assert statuses == [200, 200, 200, 429, 429]
    limited = client.post("/login", data={"csrf_token": token})
    assert "Too many attempts" in limited.get_data(as_text=True)
    # Reading the form is never limited.
    assert client.get("/login").status_code == 200
