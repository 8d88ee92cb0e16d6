"""The fuzz test's world: the demo portfolio, loaded once for the module, and one signed-in
client per role plus an anonymous one, kept usable however the fuzzing changes the data."""

import pytest
from sqlalchemy import func, select

from tests.conftest import empty_tables, login
from tests.fuzz.pages import ID_MODELS
from tracker.demo import DEMO_PASSWORD, seed_demo
from tracker.extensions import db

# The demo users the role clients sign in as. The fuzz test never posts a form that edits
# them or signs them out, so each client keeps its role; the demo's other users are fair game.
ROLE_USERS = {
    "admin": "admin@example.com",
    "manager": "manager@example.com",
    "owner": "owner@example.com",
    "viewer": "viewer@example.com",
}
ROLES = ("anonymous", *ROLE_USERS)


class Portfolio:
    """The demo data and the clients that fuzz it.

    `ready()` runs before each example: it loads the demo again when the fuzzing deleted
    every record of a kind the demo has, or changed a role client's user, and signs in any
    client whose sessions were ended, so every example starts from a world with ids to hit.
    """

    def __init__(self, app):
        self.app = app
        self.clients = {role: app.test_client() for role in ROLES}
        self.user_ids: dict[str, int] = {}
        self.session_tokens: dict[str, str] = {}
        self.reseeded = 0

    def load(self) -> None:
        empty_tables()
        assert seed_demo()
        db.session.commit()
        self.seeded_kinds = {name for name in ID_MODELS if self._count(name)}
        self.user_ids = {
            role: db.session.scalar(select(ID_MODELS["user_id"].id).filter_by(email=email))
            for role, email in ROLE_USERS.items()
        }
        for role in ROLE_USERS:
            self.sign_in(role)

    def sign_in(self, role: str) -> None:
        client = self.app.test_client()
        response = login(client, ROLE_USERS[role], DEMO_PASSWORD)
        assert response.status_code == 302, (role, response.status_code)
        self.clients[role] = client
        self.session_tokens[role] = self._user(role).session_token

    def ready(self) -> None:
        db.session.rollback()
        if self._changed():
            self.reseed()
        for role in ROLE_USERS:
            if self._user(role).session_token != self.session_tokens[role]:
                self.sign_in(role)  # the fuzzing ended this user's sessions

    def reseed(self) -> None:
        self.reseeded += 1
        self.load()

    def protected_ids(self) -> set[int]:
        return set(self.user_ids.values())

    def _changed(self) -> bool:
        if any(not self._count(name) for name in self.seeded_kinds):
            return True
        for role in ROLE_USERS:
            user = self._user(role)
            if user is None or not user.active or user.role != role:
                return True
        return False

    def _user(self, role: str):
        return db.session.get(ID_MODELS["user_id"], self.user_ids[role])

    def _count(self, name: str) -> int:
        model = ID_MODELS[name]
        return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture(autouse=True)
def _clean_database(app):
    """Replaces the suite's per-test cleaning: the portfolio lives for the whole module and
    is emptied when it ends."""
    with app.app_context():
        yield


@pytest.fixture(scope="module")
def portfolio(app):
    with app.app_context():
        world = Portfolio(app)
        world.load()
        yield world
        db.session.remove()
        empty_tables()
