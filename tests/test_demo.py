"""`flask seed-demo`: a realistic data set, loaded once."""

from datetime import timedelta

from sqlalchemy import func, select

from tracker.auth.models import Role, User
from tracker.commitments.models import Commitment, CommitmentKind, Milestone, MilestoneStatus
from tracker.core.models import FxRate
from tracker.core.types import today
from tracker.demo import DEMO_PASSWORD, DEMO_USERS
from tracker.extensions import db
from tracker.incentives.models import Incentive
from tracker.partners.models import Engagement, Partner, PartnerKind


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_seed_demo_loads_once_and_says_so_the_second_time(runner):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "Demo data loaded." in first.output
    counts = {model: _count(model) for model in (User, Partner, Engagement, Incentive, Commitment)}
    assert all(counts.values()), counts

    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0
    assert "already loaded; nothing changed" in second.output
    assert {model: _count(model) for model in counts} == counts
    # Both runs print the logins.
    for email, _name, _role in DEMO_USERS:
        assert email in first.output and email in second.output


def test_demo_covers_the_users_world(runner, client):
    runner.invoke(args=["seed-demo"])
    roles = set(db.session.scalars(select(User.role)))
    assert roles == set(Role.values())
    kinds = set(db.session.scalars(select(Partner.kind)))
    assert kinds == set(PartnerKind.values())
    currencies = set(db.session.scalars(select(Incentive.currency)))
    assert {"EUR", "HUF", "CZK", "PLN", "MXN", "USD"} <= currencies
    assert set(db.session.scalars(select(Commitment.kind))) == set(CommitmentKind.values())
    overdue = db.session.scalar(
        select(func.count())
        .select_from(Milestone)
        .where(Milestone.due_on < today(), Milestone.status != MilestoneStatus.DONE)
    )
    assert overdue > 0
    rated = set(db.session.scalars(select(FxRate.currency)))
    assert {"HUF", "CZK", "PLN", "MXN", "USD"} <= rated
    assert db.session.scalar(select(func.max(Engagement.occurred_on))) > today() - timedelta(
        days=60
    )


def test_demo_logins_work(runner, client):
    runner.invoke(args=["seed-demo"])
    from tests.conftest import login

    for email, name, _ in DEMO_USERS:
        fresh = client.application.test_client()
        assert login(fresh, email, DEMO_PASSWORD).status_code == 302, email
        assert name in fresh.get("/", follow_redirects=True).get_data(as_text=True)
