"""Dated items are stored and kept current by every write (`tracker.core.items`): after each
kind of write, what is stored is what a fresh derivation from the records gives."""

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from tracker.commitments import operations as commitment_ops
from tracker.commitments.models import Commitment, CommitmentStatus, Milestone, MilestoneStatus
from tracker.core import derived
from tracker.core.items import StoredItem
from tracker.core.types import today
from tracker.demo import seed_demo
from tracker.extensions import db
from tracker.incentives import operations as incentive_ops
from tracker.incentives.models import ComplianceReport, Incentive, IncentiveStatus, Obligation
from tracker.partners import operations as partner_ops
from tracker.partners.models import Engagement, FollowUp, Partner


@pytest.fixture
def demo(app):
    seed_demo()
    db.session.commit()


def stored(subject_type: str, subject_id: int) -> list[StoredItem]:
    return list(
        db.session.scalars(
            select(StoredItem).where(
                StoredItem.subject_type == subject_type, StoredItem.subject_id == subject_id
            )
        )
    )


def agree() -> None:
    db.session.commit()
    assert derived.differences() == []


def first(query):
    return db.session.scalars(query.limit(1)).one()


def test_the_demo_stores_every_item_it_owes(demo):
    kinds = set(db.session.scalars(select(StoredItem.kind).distinct()))
    assert kinds >= {"application_deadline", "obligation_due", "milestone_due", "follow_up_due"}
    agree()


def test_a_milestone_done_drops_its_item_and_back_again(demo):
    milestone = first(
        select(Milestone)
        .join(Commitment)
        .where(
            Milestone.status != MilestoneStatus.DONE,
            Commitment.status.in_(CommitmentStatus.live()),
        )
    )
    assert len(stored("milestones", milestone.id)) == 1
    commitment_ops.complete_milestone(milestone, actor=None)
    assert stored("milestones", milestone.id) == []  # within the transaction already
    agree()


def test_a_commitment_retitled_retitles_its_items_and_closed_drops_them(demo):
    commitment = first(
        select(Commitment)
        .join(Milestone)
        .where(
            Milestone.status != MilestoneStatus.DONE,
            Commitment.status.in_(CommitmentStatus.live()),
        )
    )
    commitment_ops.update_commitment(commitment, {"title": "Renamed programme"}, actor=None)
    ids = [m.id for m in commitment.milestones if m.status != MilestoneStatus.DONE]
    assert all(
        item.title.endswith("(Renamed programme)") for i in ids for item in stored("milestones", i)
    )
    agree()
    commitment_ops.delete_commitment(commitment, actor=None)
    assert all(stored("milestones", i) == [] for i in ids)
    agree()


def test_obligations_reports_and_transitions_keep_an_incentives_items(demo):
    owed = select(Obligation).where(
        Obligation.id.in_(
            select(StoredItem.subject_id).where(StoredItem.subject_type == "obligations")
        )
    )
    obligation, other = db.session.scalars(owed.limit(2)).all()
    incentive_ops.record_actual(obligation, obligation.target_value, today(), actor=None)
    assert stored("obligations", obligation.id) == []
    agree()

    report = first(select(ComplianceReport).where(ComplianceReport.submitted_on.is_(None)))
    incentive_ops.submit_report(report, today(), None, actor=None)
    assert stored("compliance_reports", report.id) == []
    agree()

    incentive_ops.delete_obligation(other, actor=None)
    assert stored("obligations", other.id) == []
    agree()

    live = first(
        select(Incentive).where(
            Incentive.status == IncentiveStatus.IN_COMPLIANCE,
            Incentive.id.in_(
                select(StoredItem.scope_id).where(StoredItem.scope_type == "incentives")
            ),
        )
    )
    incentive_ops.transition(live, IncentiveStatus.CLOSED, on=today(), note=None, actor=None)
    assert (
        db.session.scalars(
            select(StoredItem).where(StoredItem.path == f"/incentives/{live.id}")
        ).all()
        == []
    )
    agree()


def test_follow_ups_and_engagements_keep_their_items(demo):
    follow_up = first(select(FollowUp).where(FollowUp.done_on.is_(None)))
    later = today() + timedelta(days=40)
    partner_ops.update_follow_up(follow_up, {"due_on": later}, actor=None)
    assert [item.due_on for item in stored("follow_ups", follow_up.id)] == [later]
    agree()

    engagement = follow_up.engagement
    newcomer = db.session.scalars(
        select(Partner).where(Partner.id.not_in([p.id for p in engagement.partners]))
    ).first()
    partner_ops.update_engagement(
        engagement, {"partner_ids": [newcomer.id], "subject": "Site visit"}, actor=None
    )
    [item] = stored("follow_ups", follow_up.id)
    assert (item.partner_id, item.title) == (newcomer.id, f"{follow_up.title} (Site visit)")
    agree()

    partner_ops.set_follow_up_done(follow_up, True, actor=None)
    assert stored("follow_ups", follow_up.id) == []
    agree()


def test_renaming_a_partner_can_change_who_looks_after_an_engagements_follow_ups(demo):
    engagement = first(
        select(Engagement)
        .join(FollowUp)
        .where(FollowUp.done_on.is_(None))
        .where(Engagement.partners.any())
    )
    extra = db.session.scalars(
        select(Partner).where(Partner.id.not_in([p.id for p in engagement.partners]))
    ).first()
    partner_ops.update_engagement(
        engagement, {"partner_ids": [*(p.id for p in engagement.partners), extra.id]}, actor=None
    )
    agree()
    partner_ops.update_partner(extra, {"name": "AAA first by name"}, actor=None)
    follow_up = next(f for f in engagement.follow_ups if f.done_on is None)
    assert [item.partner_id for item in stored("follow_ups", follow_up.id)] == [extra.id]
    agree()


def test_a_statement_past_the_flush_is_caught_up_too(demo):
    follow_up = first(select(FollowUp).where(FollowUp.done_on.is_(None)))
    db.session.execute(
        update(FollowUp).where(FollowUp.id == follow_up.id).values(title="Written by hand")
    )
    assert stored("follow_ups", follow_up.id)[0].title.startswith("Written by hand (")
    agree()


def test_a_rolled_back_write_leaves_the_items_as_they_were(demo):
    follow_up = first(select(FollowUp).where(FollowUp.done_on.is_(None)))
    partner_ops.set_follow_up_done(follow_up, True, actor=None)
    assert stored("follow_ups", follow_up.id) == []
    db.session.rollback()
    assert len(stored("follow_ups", follow_up.id)) == 1
    agree()


def test_refresh_all_rebuilds_what_was_lost(demo):
    count = db.session.query(StoredItem).count()
    db.session.execute(StoredItem.__table__.delete())
    assert derived.differences() != []
    assert derived.refresh_all()["dated_items"] == count
    agree()


def test_a_child_deleted_past_the_operations_drops_its_item(demo):
    """A collection loaded before the delete still holds the child: the derivation reads the
    records afresh."""
    report = first(
        select(ComplianceReport).where(
            ComplianceReport.id.in_(
                select(StoredItem.subject_id).where(StoredItem.subject_type == "compliance_reports")
            )
        )
    )
    assert report in report.incentive.compliance_reports  # loaded
    db.session.delete(report)
    db.session.flush()
    assert stored("compliance_reports", report.id) == []
    agree()
