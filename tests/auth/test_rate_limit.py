"""Login attempts are rate-limited per client address."""

from config import TestConfig
from tests.conftest import IsolatedClient, csrf_token
from tracker import create_app


class LimitedConfig(TestConfig):
    RATELIMIT_ENABLED = True
    LOGIN_RATE_LIMIT = "3 per minute"


def test_too_many_login_attempts_get_429(app):
    LimitedConfig.SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
    limited = create_app(LimitedConfig)
    limited.test_client_class = IsolatedClient
    client = limited.test_client()
    token = csrf_token(client, "/login")
    statuses = [
        client.post(
            "/login",
            data={"email": "x@example.com", "password": "wrong-guess", "csrf_token": token},
        ).status_code
        for _ in range(5)
    ]
    assert statuses == [200, 200, 200, 429, 429]
    # Reading the form is never limited.
    assert client.get("/login").status_code == 200
