"""App, client, runner and database fixtures; logged-in clients per role."""

import contextvars
import os
import re
from contextlib import contextmanager

import pytest
from flask import has_app_context
from flask.testing import FlaskClient
from sqlalchemy import event, text

from config import TestConfig
from tests.factories import PASSWORD, make_user
from tracker import create_app
from tracker.extensions import db

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


class IsolatedClient(FlaskClient):
    """A test client whose every request runs in its own app context, as in production.

    Tests hold an app context for their own database work; without this, Flask
    would reuse it for requests and share `g` (the logged-in user) and the
    database session between the test and every request it makes.
    """

    def open(self, *args, **kwargs):
        response = contextvars.Context().run(super().open, *args, **kwargs)
        if has_app_context():
            db.session.expire_all()  # the test sees what the request committed
        return response


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    """PostgreSQL from TEST_DATABASE_URL, or a SQLite file (shared safely across threads)."""
    if os.environ.get("TEST_DATABASE_URL"):
        return TestConfig.SQLALCHEMY_DATABASE_URI
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def app(database_url):
    class SessionConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = database_url

    app = create_app(SessionConfig)
    app.test_client_class = IsolatedClient
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean_database(app):
    """Run each test inside an app context and leave every table empty afterwards."""
    with app.app_context():
        yield
        db.session.rollback()
        db.session.remove()
        empty_tables()


def empty_tables() -> None:
    """Delete every row of every table (ids start again at 1 on PostgreSQL)."""
    db.session.rollback()
    tables = [table.name for table in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        # TRUNCATE costs per table named (all 38: 137 ms a test), so only those a test
        # used: holding a row, or with an id sequence handed out (1.7 ms to ask).
        used = _used_tables(tables)
        if used:
            db.session.execute(text(f"TRUNCATE {', '.join(used)} RESTART IDENTITY CASCADE"))
    else:
        for name in tables:
            db.session.execute(text(f"DELETE FROM {name}"))  # noqa: S608 (our table names)
    db.session.commit()


def _used_tables(tables: list[str]) -> list[str]:
    """The tables holding a row or whose id sequence has handed one out (PostgreSQL)."""
    probe = " UNION ALL ".join(
        f"SELECT '{name}' FROM (SELECT 1 FROM {name} LIMIT 1) AS t{i}"  # noqa: S608
        for i, name in enumerate(tables)
    )
    holding = set(db.session.scalars(text(probe)))
    handed_out = set(
        db.session.scalars(
            text(
                "SELECT sequencename FROM pg_sequences "
                "WHERE schemaname = current_schema() AND last_value IS NOT NULL"
            )
        )
    )
    return [name for name in tables if name in holding or f"{name}_id_seq" in handed_out]


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def csrf_token(client, url: str) -> str:
    """Fetch a page with a form and return the CSRF token it carries."""
    html = client.get(url).get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def login(client, email: str, password: str = PASSWORD):
    token = csrf_token(client, "/login")
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def post_form(client, url: str, data: dict, *, form_url: str | None = None, **kwargs):
    """POST `data` to `url` with the CSRF token of the form page (default: `url` itself)."""
    token = csrf_token(client, form_url or url)
    return client.post(url, data={**data, "csrf_token": token}, **kwargs)


def _client_for(app, role: str):
    user = make_user(role)
    db.session.commit()
    client = app.test_client()
    response = login(client, user.email)
    assert response.status_code == 302, response.get_data(as_text=True)
    client.user = user
    return client


@pytest.fixture
def admin_client(app):
    return _client_for(app, "admin")


@pytest.fixture
def manager_client(app):
    return _client_for(app, "manager")


@pytest.fixture
def owner_client(app):
    return _client_for(app, "owner")


@pytest.fixture
def viewer_client(app):
    return _client_for(app, "viewer")


class QueryCounter:
    def __init__(self):
        self.statements: list[str] = []

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append(statement)

    @property
    def count(self) -> int:
        return len(self.statements)


@contextmanager
def counting_queries():
    """`with counting_queries() as counter:` records every SQL statement the engine runs."""
    counter = QueryCounter()
    engine = db.engine
    event.listen(engine, "before_cursor_execute", counter)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", counter)


@pytest.fixture
def count_queries():
    """`with count_queries() as counter:` records every SQL statement the engine runs."""
    return counting_queries


class LoadCounter:
    def __init__(self):
        self.loaded: list[str] = []  # the class name of each object loaded

    def __call__(self, target, context):
        self.loaded.append(type(target).__name__)

    @property
    def count(self) -> int:
        return len(self.loaded)


@contextmanager
def counting_loads():
    """`with counting_loads() as counter:` records every ORM object built from a row (the
    `load` event of every mapper in `db.Model`'s registry), in this process's requests and the
    caller's."""
    counter = LoadCounter()
    mappers = list(db.Model.registry.mappers)
    for mapper in mappers:
        event.listen(mapper, "load", counter)
    try:
        yield counter
    finally:
        for mapper in mappers:
            event.remove(mapper, "load", counter)


@pytest.fixture
def count_loads():
    """`with count_loads() as counter:` records every ORM object built from a row (the `load`
    event of every mapper in `db.Model`'s registry), in this process's requests and the test's."""
    return counting_loads
