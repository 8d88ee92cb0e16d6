"""Small builders for test data: each returns a flushed object with sensible defaults."""

import itertools

from tracker.auth import services as auth_services
from tracker.auth.models import User
from tracker.extensions import db

PASSWORD = "correct-horse-battery"
_sequence = itertools.count(1)


def make_user(
    role: str = "manager",
    *,
    email: str | None = None,
    name: str | None = None,
    password: str = PASSWORD,
    active: bool = True,
) -> User:
    n = next(_sequence)
    user = auth_services.create_user(
        email or f"{role}{n}@example.com", name or f"{role.title()} User {n}", role, password
    )
    user.active = active
    db.session.flush()
    return user
