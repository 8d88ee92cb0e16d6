"""Restoring a deleted commitment (with its milestones and contributions), milestone or
contribution from its "delete" event, and undoing a change through the update operations."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.factories import (
    make_commitment,
    make_contribution,
    make_milestone,
    make_partner,
    make_user,
)
from tracker.commitments import operations
from tracker.commitments.models import CoInvestment, Commitment, Contribution, Milestone
from tracker.commitments.operations import RESTORERS, UPDATERS
from tracker.core.errors import DomainError
from tracker.core.models import AuditEvent
from tracker.core.types import today
from tracker.extensions import db


def _event(action: str, entity_type: str) -> AuditEvent:
    return db.session.scalar(
        select(AuditEvent)
        .where(AuditEvent.action == action, AuditEvent.entity_type == entity_type)
        .order_by(AuditEvent.id.desc())
    )


@pytest.fixture
def deleted():
    """A co-investment with two milestones and two contributions, deleted by its owner."""
    owner = make_user("owner", name="Jan Dvořák")
    lead = make_partner("VoltCert", kind="testing_certification")
    cluster = make_partner("MS Automotive Cluster", kind="cluster_alliance")
    commitment = make_commitment(
        "co_investment",
        owner=owner,
        counterparty=lead,
        title="Battery test centre",
        budget=Decimal("1000000"),
        spend_to_date=Decimal("250000"),
        description="Climate chambers",
    )
    first = make_milestone(
        commitment,
        title="Agreement signed",
        status="done",
        due_on=today() - timedelta(days=3),
        completed_on=today() - timedelta(days=2),
    )
    second = make_milestone(
        commitment, title="Bench installed", due_on=today() + timedelta(days=60)
    )
    ours = make_contribution(commitment, "600000", paid_to_date="150000")
    theirs = make_contribution(commitment, "400000", partner=cluster)
    db.session.commit()
    before = {
        "commitment": commitment.id,
        "milestones": [
            (first.id, "Agreement signed", first.due_on, "done", first.completed_on, 0),
            (second.id, "Bench installed", second.due_on, "planned", None, 1),
        ],  # fmt: skip
        "contributions": [
            (ours.id, None, Decimal("600000"), Decimal("150000")),
            (theirs.id, cluster.id, Decimal("400000"), Decimal("0")),
        ],  # fmt: skip
        "lead": lead,
        "owner": owner,
    }
    operations.delete_commitment(commitment, actor=owner)
    db.session.commit()
    assert db.session.get(Commitment, before["commitment"]) is None
    assert db.session.scalars(select(Milestone)).all() == []
    assert db.session.scalars(select(Contribution)).all() == []
    return before


def test_a_deleted_commitment_comes_back_with_its_milestones_and_contributions(deleted):
    admin = make_user("admin")
    event = _event("delete", "commitments")
    assert event.summary == "Deleted co-investment Battery test centre"
    restored = RESTORERS["commitments"](event, actor=admin)
    db.session.commit()
    db.session.expire_all()

    commitment = db.session.get(Commitment, deleted["commitment"])
    assert restored.id == commitment.id == deleted["commitment"]
    assert isinstance(commitment, CoInvestment)
    assert (commitment.title, commitment.description, commitment.owner_id) == (
        "Battery test centre",
        "Climate chambers",
        deleted["owner"].id,
    )
    assert (commitment.budget, commitment.value, commitment.spend_to_date) == (
        Decimal("1000000"),
        Decimal("1000000"),
        Decimal("250000"),
    )
    assert [
        (m.id, m.title, m.due_on, m.status, m.completed_on, m.position)
        for m in commitment.milestones
    ] == deleted["milestones"]
    assert [
        (c.id, c.partner_id, c.amount, c.paid_to_date) for c in commitment.contributions
    ] == deleted["contributions"]

    restore = _event("restore", "commitments")
    assert restore.entity_id == commitment.id and restore.user_id == admin.id
    assert restore.reverts_id == event.id
    assert restore.summary == (
        "Restored co-investment Battery test centre with 2 milestones and 2 contributions"
    )
    assert restore.changes["counterparty_id"]["new_text"] == "VoltCert"
    # It can be edited as before, and deleted (and restored) again.
    operations.update_commitment(commitment, {"title": "Battery centre"}, actor=admin)
    db.session.commit()
    assert commitment.version == 2


def test_a_commitment_whose_counterparty_was_deleted_is_not_restored(deleted):
    db.session.delete(deleted["lead"])
    db.session.commit()
    event = _event("delete", "commitments")
    with pytest.raises(DomainError) as refused:
        RESTORERS["commitments"](event, actor=make_user("admin"))
    assert refused.value.message == (
        f"“Battery test centre” cannot be restored: its counterparty (partner "
        f"#{deleted['lead'].id}) has been deleted since."
    )
    db.session.rollback()
    assert db.session.get(Commitment, deleted["commitment"]) is None
    assert _event("restore", "commitments") is None


def test_a_commitment_whose_counterparty_was_archived_is_not_restored(deleted):
    deleted["lead"].status = "archived"
    db.session.commit()
    with pytest.raises(DomainError, match="VoltCert is archived"):
        RESTORERS["commitments"](_event("delete", "commitments"), actor=make_user("admin"))


def test_a_commitment_whose_owner_left_is_not_restored(deleted):
    deleted["owner"].active = False
    db.session.commit()
    with pytest.raises(DomainError, match="Jan Dvořák is no longer an active user"):
        RESTORERS["commitments"](_event("delete", "commitments"), actor=make_user("admin"))


def test_an_owner_cannot_restore_someone_elses_commitment(deleted):
    with pytest.raises(DomainError, match="Only a manager or an admin"):
        RESTORERS["commitments"](_event("delete", "commitments"), actor=make_user("owner"))


def test_a_deleted_milestone_comes_back_in_its_place():
    commitment = make_commitment("co_location")
    first, second, third = (make_milestone(commitment, title=t) for t in ("A", "B", "C"))
    db.session.commit()
    operations.delete_milestone(second, actor=None)
    db.session.commit()
    assert [m.title for m in commitment.milestones] == ["A", "C"]
    event = _event("delete", "milestones")
    assert (event.parent_type, event.parent_id) == ("commitments", commitment.id)
    restored = RESTORERS["milestones"](event, actor=None)
    db.session.commit()
    db.session.expire_all()
    assert restored.id == second.id
    assert [(m.title, m.position) for m in commitment.milestones] == [("A", 0), ("B", 1), ("C", 2)]
    assert _event("restore", "milestones").reverts_id == event.id


def test_a_milestone_now_after_the_end_is_not_restored():
    commitment = make_commitment("co_location")
    milestone = make_milestone(commitment, due_on=commitment.end_on)
    db.session.commit()
    operations.delete_milestone(milestone, actor=None)
    operations.update_commitment(
        commitment, {"end_on": commitment.end_on - timedelta(days=1)}, actor=None
    )
    db.session.commit()
    with pytest.raises(DomainError, match="a milestone cannot be due after that"):
        RESTORERS["milestones"](_event("delete", "milestones"), actor=None)


def test_a_contribution_that_no_longer_fits_the_budget_is_not_restored():
    commitment = make_commitment("co_investment", budget=Decimal("1000"))
    contribution = make_contribution(commitment, "600")
    other = make_contribution(commitment, "300", partner=make_partner("STU"))
    db.session.commit()
    operations.delete_contribution(contribution, actor=None)
    operations.update_contribution(other, {"amount": Decimal("500")}, actor=None)
    db.session.commit()
    event = _event("delete", "contributions")
    assert event.summary == "Removed contribution: Our company, EUR 600"
    with pytest.raises(DomainError, match="more than the budget of EUR 1,000 by EUR 100"):
        RESTORERS["contributions"](event, actor=None)
    db.session.rollback()
    operations.update_contribution(other, {"amount": Decimal("400")}, actor=None)
    restored = RESTORERS["contributions"](event, actor=None)
    db.session.commit()
    assert restored.id == contribution.id and restored.amount == Decimal("600")


def test_a_record_whose_number_was_taken_again_is_not_restored():
    commitment = make_commitment("co_location")
    milestone = make_milestone(commitment, title="A")
    db.session.commit()
    operations.delete_milestone(milestone, actor=None)
    db.session.commit()
    # SQLite hands a deleted row's number out again.
    make_milestone(commitment, title="B", id=milestone.id)
    db.session.commit()
    with pytest.raises(DomainError, match="exists again"):
        RESTORERS["milestones"](_event("delete", "milestones"), actor=None)


def test_updaters_take_partial_values_as_an_undo_does():
    commitment = make_commitment("co_investment", budget=Decimal("1000"))
    milestone = make_milestone(commitment, title="Permit")
    contribution = make_contribution(commitment, "100")
    db.session.commit()
    UPDATERS["commitments"](commitment, {"budget": Decimal("2000")}, actor=None)
    UPDATERS["milestones"](milestone, {"title": "Building permit"}, actor=None)
    UPDATERS["contributions"](contribution, {"paid_to_date": Decimal("50")}, actor=None)
    db.session.commit()
    assert (commitment.budget, commitment.value) == (Decimal("2000"), Decimal("2000"))
    assert milestone.title == "Building permit" and milestone.due_on is not None
    assert contribution.paid_to_date == Decimal("50") and contribution.amount == Decimal("100")
    with pytest.raises(DomainError, match="more than the budget"):
        UPDATERS["commitments"](commitment, {"budget": Decimal("50")}, actor=None)


def test_a_move_is_undone_by_putting_the_milestone_back_in_its_place():
    commitment = make_commitment("co_location")
    for title in ("A", "B", "C"):
        make_milestone(commitment, title=title)
    db.session.commit()
    c = commitment.milestones[2]
    assert operations.move_milestone(c, "up", actor=None)
    db.session.commit()
    assert [m.title for m in commitment.milestones] == ["A", "C", "B"]
    event = _event("update", "milestones")
    assert event.summary == "Moved milestone “C” up"
    change = event.changes["position"]
    assert (change["old"], change["new"], change["old_text"], change["new_text"]) == (
        2,
        1,
        "3",
        "2",
    )
    UPDATERS["milestones"](c, {"position": change["old"]}, actor=None)
    db.session.commit()
    db.session.expire_all()
    assert [(m.title, m.position) for m in commitment.milestones] == [("A", 0), ("B", 1), ("C", 2)]


def test_a_commitment_whose_contributions_no_longer_fit_today_is_not_restored():
    from tests.factories import make_fx_rate

    make_fx_rate("CZK", "0.04", today() - timedelta(days=30))
    commitment = make_commitment("co_investment", budget=Decimal("1000"))
    make_contribution(commitment, "25000", currency="CZK")  # EUR 1,000 at 0.04
    db.session.commit()
    operations.delete_commitment(commitment, actor=None)
    make_fx_rate("CZK", "0.05", today() - timedelta(days=1))  # now EUR 1,250
    db.session.commit()
    with pytest.raises(DomainError, match="more than the budget of EUR 1,000 by EUR 250"):
        RESTORERS["commitments"](_event("delete", "commitments"), actor=None)


def test_a_commitment_whose_milestone_number_was_taken_again_is_not_restored():
    commitment = make_commitment("co_location")
    milestone = make_milestone(commitment, title="A")
    other = make_commitment("co_location")
    db.session.commit()
    operations.delete_commitment(commitment, actor=None)
    db.session.commit()
    make_milestone(other, title="B", id=milestone.id)  # SQLite hands numbers out again
    db.session.commit()
    with pytest.raises(DomainError, match="“A” cannot come back under its old number"):
        RESTORERS["commitments"](_event("delete", "commitments"), actor=None)
