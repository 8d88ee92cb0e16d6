"""The installation always keeps an active admin, also when two admins demote each other at the
same moment."""

import threading

import pytest
from sqlalchemy import func, select

from tests.factories import make_user
from tracker.auth import operations
from tracker.auth.models import User
from tracker.core.errors import DomainError
from tracker.extensions import db

ROUNDS = 10


def _active_admins() -> int:
    return db.session.scalar(
        select(func.count()).where(User.role == "admin", User.active.is_(True))
    )


@pytest.mark.parametrize(
    ("values", "field"), [({"role": "owner"}, "role"), ({"active": False}, "active")]
)
def test_the_last_active_admin_stays_one(values, field):
    admin = make_user("admin")
    make_user("admin", active=False)  # an inactive admin does not count
    with pytest.raises(DomainError, match="At least one active admin must remain") as refused:
        operations.update_user(admin, values, actor=None)
    assert refused.value.field == field
    assert (admin.role, admin.active) == ("admin", True)


def test_an_admin_may_go_while_another_remains():
    first, second = make_user("admin"), make_user("admin")
    operations.update_user(second, {"role": "viewer"}, actor=first)
    operations.update_user(make_user("manager"), {"active": False}, actor=first)
    assert _active_admins() == 1


def _demote(app, actor_id: int, target_id: int, barrier, outcomes: list) -> None:
    """One admin's request in its own app context, session and connection."""
    with app.app_context():
        try:
            actor, target = db.session.get(User, actor_id), db.session.get(User, target_id)
            barrier.wait(timeout=30)
            operations.update_user(target, {"role": "manager"}, actor=actor)
            db.session.commit()
            outcomes.append("demoted")
        except DomainError:
            db.session.rollback()
            outcomes.append("refused")
        finally:
            db.session.remove()


def test_two_admins_demoting_each_other_at_once_leave_one_admin(app):
    for _ in range(ROUNDS):
        first, second = make_user("admin"), make_user("admin")
        db.session.commit()
        barrier, outcomes = threading.Barrier(2), []
        threads = [
            threading.Thread(target=_demote, args=(app, a.id, b.id, barrier, outcomes))
            for a, b in ((first, second), (second, first))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        db.session.expire_all()
        assert sorted(outcomes) == ["demoted", "refused"]
        assert _active_admins() == 1
        # The next round starts from no admin at all.
        for user in (first, second):
            user.role = "manager"
        db.session.commit()
