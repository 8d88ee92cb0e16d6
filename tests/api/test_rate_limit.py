"""API requests are throttled per token: one client's burst does not spend another's
budget, and the 429 is the API's JSON error."""

import pytest

from tests.api.conftest import api_client_for
from tracker.extensions import limiter


@pytest.fixture
def tight(app, monkeypatch):
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "3 per minute")
    limiter.reset()
    yield
    limiter.reset()


def test_a_token_past_its_budget_gets_429_and_another_token_does_not(app, tight):
    busy, quiet = api_client_for(app, "viewer"), api_client_for(app, "viewer")
    statuses = [busy.get("/api/v1/regions").status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    refused = busy.get("/api/v1/partners")  # the budget spans the whole API
    assert refused.status_code == 429
    assert refused.get_json()["error"]["code"] == "rate_limited"
    assert "Retry-After" in refused.headers
    assert quiet.get("/api/v1/regions").status_code == 200


def test_requests_without_a_token_share_their_address_budget(client, tight):
    statuses = [client.get("/api/v1/regions").status_code for _ in range(5)]
    assert statuses == [401, 401, 401, 429, 429]
