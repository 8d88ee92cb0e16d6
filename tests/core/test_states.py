"""Judgements are stored and kept current (`tracker.core.states`): relationship health,
commitment health, obligation status and clawback exposure agree with a fresh computation
from the records after every write, and after the calendar moves and the scan catches up."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.factories import make_partner
from tracker.commitments import operations as commitment_ops
from tracker.commitments.models import Commitment, CommitmentStatus, Milestone, MilestoneStatus
from tracker.commitments.services import health_for
from tracker.core import derived
from tracker.core.errors import DomainError
from tracker.core.states import StoredState
from tracker.core.types import today
from tracker.demo import seed_demo
from tracker.extensions import db
from tracker.incentives import operations as incentive_ops
from tracker.incentives.models import Incentive, IncentiveStatus, Obligation
from tracker.incentives.services import clawback_exposure
from tracker.monitoring import services as monitoring
from tracker.partners import operations as partner_ops
from tracker.partners.models import FollowUp, Partner
from tracker.partners.services import partner_health

START = date(2026, 11, 28)


def at(day: date):
    return time_machine.travel(datetime(day.year, day.month, day.day, 6, tzinfo=UTC), tick=False)


@pytest.fixture
def demo(app):
    clock[0] = START
    with at(START):
        seed_demo()
        db.session.commit()
        yield


def stored(subject_type: str, subject_id: int, aspect: str) -> StoredState:
    return db.session.scalars(
        select(StoredState).where(
            StoredState.subject_type == subject_type,
            StoredState.subject_id == subject_id,
            StoredState.aspect == aspect,
        )
    ).one()


def agree() -> None:
    db.session.commit()
    assert derived.differences() == []


def first(query):
    return db.session.scalars(query.order_by(None).limit(1)).one()


def test_the_demo_stores_a_judgement_of_every_record(demo):
    counts = dict(
        db.session.execute(
            select(StoredState.aspect, func.count()).group_by(StoredState.aspect)
        ).all()
    )
    count = lambda model: db.session.scalar(select(func.count()).select_from(model))  # noqa: E731
    assert counts == {
        "relationship_health": count(Partner),
        "commitment_health": count(Commitment),
        "clawback_exposure": count(Incentive),
        "obligation_status": count(Obligation),
    }
    agree()


def test_each_judgement_is_the_domains_own(demo):
    partner = first(select(Partner).where(Partner.name.like("%")))
    health = partner_health(partner)
    row = stored("partners", partner.id, "relationship_health")
    assert (row.state, row.reason) == (health.state, health.reason)

    commitment = first(select(Commitment).where(Commitment.status.in_(CommitmentStatus.live())))
    health = health_for(commitment)
    row = stored("commitments", commitment.id, "commitment_health")
    assert (row.state, row.rank, row.reason) == (health.state, health.rank, health.reason)

    incentive = first(
        select(Incentive)
        .where(Incentive.status.in_(IncentiveStatus.awarded()))
        .where(Incentive.obligations.any())
    )
    exposure = clawback_exposure(incentive, today())
    row = stored("incentives", incentive.id, "clawback_exposure")
    assert (row.amount, row.currency, row.state) == (
        exposure.amount,
        incentive.currency,
        exposure.state,
    )


def test_writes_change_the_judgements_at_once(demo):
    partner = make_partner()
    assert stored("partners", partner.id, "relationship_health").state == "dormant"
    partner_ops.update_partner(partner, {"cadence_days": 30}, actor=None)
    partner_ops.create_engagement(
        {
            "kind": "meeting",
            "subject": "Quarterly review",
            "occurred_on": today() - timedelta(days=45),
            "partner_ids": [partner.id],
        },
        actor=None,
    )
    db.session.flush()
    assert stored("partners", partner.id, "relationship_health").state == "overdue"
    partner_ops.update_partner(partner, {"cadence_days": 60}, actor=None)
    db.session.flush()
    assert stored("partners", partner.id, "relationship_health").state == "on_cadence"
    agree()

    milestone = first(
        select(Milestone)
        .join(Commitment)
        .where(
            Milestone.status.in_(MilestoneStatus.open()),
            Milestone.due_on < today(),
            Commitment.status.in_(CommitmentStatus.live()),
        )
    )
    commitment_id = milestone.commitment_id
    assert stored("commitments", commitment_id, "commitment_health").state == "red"
    for late in db.session.scalars(
        select(Milestone).where(
            Milestone.commitment_id == commitment_id,
            Milestone.status.in_(MilestoneStatus.open()),
            Milestone.due_on < today(),
        )
    ):
        commitment_ops.complete_milestone(late, actor=None)
    db.session.flush()
    assert stored("commitments", commitment_id, "commitment_health").state != "red"
    agree()

    obligation = first(
        select(Obligation)
        .join(Incentive)
        .where(Incentive.status.in_(IncentiveStatus.awarded()))
        .where(Incentive.clawback_rule != "none")
    )
    incentive_ops.record_actual(obligation, Decimal(0), today(), actor=None)
    db.session.flush()
    assert stored("incentives", obligation.incentive_id, "clawback_exposure").amount > 0
    incentive_ops.delete_obligation(obligation, actor=None)
    db.session.flush()
    assert (
        db.session.scalar(
            select(func.count()).where(
                StoredState.subject_type == "obligations", StoredState.subject_id == obligation.id
            )
        )
        == 0
    )
    agree()


@pytest.mark.parametrize("days", [1, 6, 31, 200, 900])
def test_the_scan_catches_up_with_the_calendar_and_a_repeat_touches_nothing(demo, days):
    with at(START + timedelta(days=days)):
        assert derived.differences() != []  # the calendar moved past what is stored
        assert monitoring.scan().refreshed > 0
        assert derived.differences() == []
        assert monitoring.scan().refreshed == 0


def test_rows_derived_past_the_flush_are_rebuilt_by_refresh(demo):
    db.session.execute(StoredState.__table__.delete())
    assert derived.differences() != []
    counts = derived.refresh_all()
    db.session.commit()
    assert counts["derived_states"] == db.session.scalar(
        select(func.count()).select_from(StoredState)
    )
    agree()


# --- The proof: any sequence of writes and days, and the stored judgements still agree ---

STEPS = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "engage",
                "follow_up_done",
                "follow_up_reopen",
                "cadence",
                "actual",
                "milestone",
                "spend",
                "close_commitment",
                "award",
                "delete_follow_up",
                "delete_milestone",
                "days",
            ]
        ),
        st.integers(min_value=0, max_value=10_000),
    ),
    min_size=1,
    max_size=12,
)


def _pick(query, n: int):
    rows = db.session.scalars(query.order_by(None)).all()
    return rows[n % len(rows)] if rows else None


def _apply(step: str, n: int, day: date) -> None:
    """Apply one write on `day` (a write the rules refuse is rolled back)."""
    if step == "engage" and (partner := _pick(select(Partner), n)):
        partner_ops.create_engagement(
            {
                "kind": "call",
                "subject": f"Call {n}",
                "occurred_on": day - timedelta(days=n % 400),
                "partner_ids": [partner.id],
            },
            actor=None,
        )
    elif step == "follow_up_done" and (
        f := _pick(select(FollowUp).where(FollowUp.done_on.is_(None)), n)
    ):
        partner_ops.set_follow_up_done(f, True, actor=None)
    elif step == "follow_up_reopen" and (
        f := _pick(select(FollowUp).where(FollowUp.done_on.is_not(None)), n)
    ):
        partner_ops.set_follow_up_done(f, False, actor=None)
    elif step == "cadence" and (partner := _pick(select(Partner), n)):
        partner_ops.update_partner(partner, {"cadence_days": 7 + n % 200}, actor=None)
    elif step == "actual" and (o := _pick(select(Obligation), n)):
        target = o.target_value or Decimal(1)
        actual = (target * Decimal(n % 130) / 100).quantize(Decimal("0.01"))
        incentive_ops.record_actual(o, actual, day, actor=None)
    elif step == "milestone" and (
        m := _pick(
            select(Milestone)
            .join(Commitment)
            .where(Commitment.status.in_(CommitmentStatus.live())),
            n,
        )
    ):
        status = list(MilestoneStatus)[n % len(MilestoneStatus)]
        values = {"status": status.value}
        if status == MilestoneStatus.DONE:
            values["completed_on"] = day
        commitment_ops.update_milestone(m, values, actor=None)
    elif step == "spend" and (
        c := _pick(
            select(Commitment).where(
                Commitment.kind == "co_investment", Commitment.status.in_(CommitmentStatus.live())
            ),
            n,
        )
    ):
        budget = c.budget or Decimal(1000)
        commitment_ops.update_commitment(
            c, {"spend_to_date": budget * Decimal(n % 150) / 100}, actor=None
        )
    elif step == "close_commitment" and (
        c := _pick(select(Commitment).where(Commitment.status.in_(CommitmentStatus.live())), n)
    ):
        commitment_ops.update_commitment(
            c, {"status": CommitmentStatus.COMPLETED.value}, actor=None
        )
    elif step == "award" and (
        i := _pick(select(Incentive).where(Incentive.status == IncentiveStatus.AWARDED), n)
    ):
        incentive_ops.transition(i, IncentiveStatus.IN_COMPLIANCE, on=day, note=None, actor=None)
    elif step == "delete_follow_up" and (f := _pick(select(FollowUp), n)):
        partner_ops.delete_follow_up(f, actor=None)
    elif step == "delete_milestone" and (m := _pick(select(Milestone), n)):
        commitment_ops.delete_milestone(m, actor=None)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=STEPS)
def test_any_sequence_of_writes_and_days_keeps_every_judgement_true(demo, steps):
    """After each step (a write through the operations, or days passing and the scan
    running), every stored health, status, exposure and dated item equals a fresh
    computation from the records. The writes accumulate across examples: the property
    holds from any state the operations can reach."""
    for step, n in steps:
        if step == "days":
            clock[0] += timedelta(days=n % 120)
        with at(clock[0]):
            if step == "days":
                monitoring.scan()
            else:
                try:
                    _apply(step, n, clock[0])
                except DomainError:
                    db.session.rollback()
            db.session.commit()
            assert derived.differences() == [], (step, n, clock[0])


clock = [START]  # the day the sequence has reached: it only moves on, across examples


def test_a_deferred_block_derives_once_at_its_end_and_a_discarded_one_not_at_all(demo):
    def judged(partner) -> int:
        return db.session.scalar(
            select(func.count()).where(
                StoredState.subject_type == "partners", StoredState.subject_id == partner.id
            )
        )

    with derived.deferred():
        partners = [make_partner() for _ in range(3)]  # each flushes
        assert [judged(p) for p in partners] == [0, 0, 0]
    assert [judged(p) for p in partners] == [1, 1, 1]
    agree()

    savepoint = db.session.begin_nested()
    with derived.deferred(discard=True):
        undone = make_partner()
    assert judged(undone) == 0
    savepoint.rollback()
    agree()

    with pytest.raises(RuntimeError), derived.deferred():
        make_partner()
        raise RuntimeError("the caller rolls back")
    db.session.rollback()
    agree()
