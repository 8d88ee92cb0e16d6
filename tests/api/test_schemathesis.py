"""Schemathesis over /api/v1/openapi.json, with an admin token and with a viewer token:
no 5xx, and no response that breaks the schema the document gives, on whichever database
the suite runs on (SQLite, or PostgreSQL with TEST_DATABASE_URL).

Each operation of the document is its own test (its examples share one small portfolio).
The operations are listed from the document of an app built for collection only; the
examples run against the suite's app. (Schemathesis' own pytest loader reads a node
attribute pytest 9 no longer has.)
"""

import contextvars

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi import checks as openapi_checks

from config import TestConfig
from tests.api.conftest import api_client_for
from tracker import create_app

CHECKS = [
    schemathesis.checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
]
# Enough examples per operation to reach its fields and statuses; kept small, as the suite
# runs twice (SQLite and PostgreSQL) and each operation runs for two roles.
EXAMPLES = int(__import__("os").environ.get("API_EXAMPLES", 25))


def _operations() -> list[tuple[str, str]]:
    document = create_app(TestConfig).test_client().get("/api/v1/openapi.json").get_json()
    return [
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in {"get", "post", "patch", "put", "delete"}
    ]


OPERATIONS = _operations()


@pytest.mark.parametrize("role", ["admin", "viewer"])
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_api_keeps_its_schema(app, portfolio, role, method, path):
    operation = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", _isolated(app))[path][method]
    headers = {"Authorization": f"Bearer {api_client_for(app, role).secret}"}

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def examples(case):
        _towards_records(case)
        case.call_and_validate(headers=headers, checks=CHECKS)

    examples()


def _isolated(app):
    """The app as a server runs it: each request in its own context, so its own app context
    and database session (the test's own is held open around it), as `IsolatedClient`."""

    def wsgi(environ, start_response):
        return contextvars.Context().run(app, environ, start_response)

    return wsgi


def _near(value):
    """Most generated ids name no record; fold them onto the portfolio's (1 to 3), 0 kept
    so "no such record" is still tried."""
    return value % 4 if isinstance(value, int) and not isinstance(value, bool) else value


def _towards_records(case) -> None:
    """Point the ids in the path and body at records that exist, so the examples reach the
    rules and the writes, not only the 404s."""
    if case.path_parameters and "record_id" in case.path_parameters:
        case.path_parameters["record_id"] = _near(case.path_parameters["record_id"]) or 1
    if isinstance(case.body, dict):
        for key, value in case.body.items():
            if key.endswith("_id"):
                case.body[key] = _near(value)
            elif key.endswith("_ids") and isinstance(value, list):
                case.body[key] = [_near(item) for item in value]
