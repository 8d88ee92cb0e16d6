"""The demo's people: one login per role, all with the same password."""

from tracker.auth import operations
from tracker.auth.models import Role, User

DEMO_PASSWORD = "demo-password-2026"

# (email, name, role); the other tables refer to a user by the part before the @.
DEMO_USERS: list[tuple[str, str, str]] = [
    ("admin@example.com", "Alex Novak", Role.ADMIN),
    ("manager@example.com", "Katalin Varga", Role.MANAGER),
    ("manager2@example.com", "Diego Ramírez", Role.MANAGER),
    ("owner@example.com", "Jan Dvořák", Role.OWNER),
    ("owner2@example.com", "Mariana Treviño", Role.OWNER),
    ("viewer@example.com", "Helen Brandt", Role.VIEWER),
]


def load_users() -> dict[str, User]:
    """Create the demo users, keyed by the part of their e-mail before the @. The first (the
    admin) is created by the system, the others by the admin."""
    users: dict[str, User] = {}
    for email, name, role in DEMO_USERS:
        actor = users.get("admin")  # None for the admin, the first of them
        users[email.partition("@")[0]] = operations.create_user(
            email, name, role, DEMO_PASSWORD, actor=actor
        )
    return users
