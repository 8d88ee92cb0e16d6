"""`flask seed-demo`: a realistic data set, loaded once."""

from datetime import timedelta

from sqlalchemy import func, select

from tests.helpers import count_rows
from tracker.auth.models import Role, User
from tracker.commitments.models import Commitment, CommitmentKind, Milestone, MilestoneStatus
from tracker.core.models import AuditEvent, FxRate
from tracker.core.types import today
from tracker.demo import DEMO_PASSWORD, DEMO_USERS
from tracker.extensions import db
from tracker.incentives.models import (
    AgencyPromise,
    ComplianceReport,
    Disbursement,
    Incentive,
    IncentiveStatus,
    Obligation,
)
from tracker.partners.models import Engagement, Partner, PartnerKind, PartnerStatus


def test_seed_demo_loads_once_and_says_so_the_second_time(runner):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "Demo data loaded." in first.output
    counts = {
        model: count_rows(model) for model in (User, Partner, Engagement, Incentive, Commitment)
    }
    assert all(counts.values()), counts

    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0
    assert "already loaded; nothing changed" in second.output
    assert {model: count_rows(model) for model in counts} == counts
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


def _history(record) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.entity_type == record.__tablename__, AuditEvent.entity_id == record.id
            )
            .order_by(AuditEvent.id)
        )
    )


def test_demo_history_shows_who_did_what_through_the_operations(runner):
    runner.invoke(args=["seed-demo"])
    grant = db.session.scalar(select(Incentive).where(Incentive.title.startswith("VIP cash")))
    manager = db.session.scalar(select(User).where(User.email == "manager@example.com"))
    assert grant.owner == manager

    # The grant's pipeline: created by its owner on the story's first day, then moved on.
    events = _history(grant)
    # The two disbursements recorded after it each update what was received.
    assert [event.action for event in events] == ["create"] + ["transition"] * 4 + ["update"] * 2
    assert {event.user for event in events} == {manager}
    steps = [
        (change.to_status, (today() - change.changed_on).days) for change in grant.status_changes
    ]
    assert steps == [
        (IncentiveStatus.IDENTIFIED, 610),
        (IncentiveStatus.PREPARING, 575),
        (IncentiveStatus.SUBMITTED, 530),
        (IncentiveStatus.AWARDED, 425),
        (IncentiveStatus.IN_COMPLIANCE, 400),
    ]
    assert {change.user for change in grant.status_changes} == {manager}
    assert grant.awarded_on == today() - timedelta(days=425)  # dated by the award step

    # Its obligations, reports and promises show in its history, written by the owner.
    children = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.parent_type == Incentive.__tablename__, AuditEvent.parent_id == grant.id
        )
    ).all()
    assert {event.entity_type for event in children} == {
        Obligation.__tablename__,
        ComplianceReport.__tablename__,
        AgencyPromise.__tablename__,
        Disbursement.__tablename__,
    }
    assert {event.user for event in children} == {manager}
    assert grant.amount_received == sum(d.amount for d in grant.disbursements) > 0

    # A commitment's milestones are added by the programme owner who owns it.
    harness = db.session.scalar(select(Commitment).where(Commitment.title.endswith("harness sets")))
    assert harness.owner.email == "owner2@example.com"
    milestone_events = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.entity_type == Milestone.__tablename__,
            AuditEvent.parent_id == harness.id,
        )
    ).all()
    assert len(milestone_events) == len(harness.milestones)
    assert {event.user for event in milestone_events} == {harness.owner}

    # The withdrawn supplier was archived by its owner after the commitment made with it.
    withdrawn = db.session.scalar(select(Partner).where(Partner.name.startswith("Silesia Die")))
    assert withdrawn.status == PartnerStatus.ARCHIVED
    assert [event.action for event in _history(withdrawn)] == ["create", "archive"]
    assert _history(withdrawn)[-1].user == withdrawn.owner

    # Someone did everything, but the first admin, whom the system created.
    unattributed = db.session.scalars(select(AuditEvent).where(AuditEvent.user_id.is_(None)))
    assert [(event.action, event.entity_type) for event in unattributed] == [
        ("create", User.__tablename__)
    ]
