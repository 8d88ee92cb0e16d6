"""The commitment operations called directly, as imports, commands and the API call them:
the rules hold without a form, and the history reads in words."""

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
from tracker.commitments.models import (
    AnchorVolumeCommitment,
    Commitment,
    CommitmentStatus,
    MilestoneStatus,
)
from tracker.core.errors import DomainError
from tracker.core.models import AuditEvent
from tracker.core.types import today
from tracker.extensions import db
from tracker.partners.services import what_blocks_deletion


def _values(partner, **overrides) -> dict:
    values = {
        "title": "Anchor volume – modules",
        "status": "active",
        "counterparty_id": partner.id,
        "start_on": today(),
        "end_on": today() + timedelta(days=365),
        "currency": "EUR",
        "committed_volume": Decimal(1200),
        "volume_unit": "modules",
        "volume_period": "quarter",
        "volume_taken": Decimal(0),
    }
    return {**values, **overrides}


@pytest.fixture
def supplier():
    partner = make_partner("Voltmodul Kft.", kind="tier1_supplier")
    db.session.commit()
    return partner


def test_status_sets_are_named_once_on_their_enums():
    assert CommitmentStatus.live() == ("planned", "active", "on_hold")
    assert CommitmentStatus.closed() == ("completed", "cancelled")
    assert set(CommitmentStatus.live()) | set(CommitmentStatus.closed()) == set(
        CommitmentStatus.values()
    )
    assert MilestoneStatus.open() == ("planned", "in_progress")


def test_the_owner_defaults_to_the_actor_and_only_managers_name_another(supplier):
    owner, other = make_user("owner"), make_user("owner")
    commitment = operations.create_commitment("anchor_volume", _values(supplier), actor=owner)
    assert isinstance(commitment, AnchorVolumeCommitment) and commitment.owner_id == owner.id
    with pytest.raises(DomainError) as refused:
        operations.create_commitment(
            "anchor_volume", _values(supplier, owner_id=other.id), actor=owner
        )
    assert refused.value.field == "owner_id"
    manager = make_user("manager")
    given = operations.create_commitment(
        "anchor_volume", _values(supplier, owner_id=other.id), actor=manager
    )
    assert given.owner_id == other.id
    with pytest.raises(DomainError, match="Only a manager or an admin"):
        operations.update_commitment(commitment, {"owner_id": other.id}, actor=owner)


@pytest.mark.parametrize(
    ("who", "message"),
    [
        ({"role": "viewer", "name": "Vera"}, "Vera is a viewer and cannot own a commitment"),
        ({"role": "owner", "name": "Olga", "active": False}, "Olga is no longer an active user"),
    ],
)
def test_the_owner_must_be_an_active_user_who_may_own(supplier, who, message):
    owner = make_user(who.pop("role"), **who)
    with pytest.raises(DomainError, match=message):
        operations.create_commitment(
            "anchor_volume", _values(supplier, owner_id=owner.id), actor=None
        )


def test_the_system_must_name_an_owner(supplier):
    with pytest.raises(DomainError, match="Choose who owns the commitment."):
        operations.create_commitment("anchor_volume", _values(supplier), actor=None)


def test_who_may_edit_is_the_operations_rule_too(supplier):
    commitment = make_commitment("co_investment", owner=make_user("owner", name="Jo"))
    milestone = make_milestone(commitment)
    contribution = make_contribution(commitment)
    db.session.commit()
    stranger = make_user("owner")
    for write in (
        lambda: operations.update_commitment(commitment, {"title": "Mine"}, actor=stranger),
        lambda: operations.delete_commitment(commitment, actor=stranger),
        lambda: operations.create_milestone(commitment, {"title": "X"}, actor=stranger),
        lambda: operations.update_milestone(milestone, {"title": "X"}, actor=stranger),
        lambda: operations.move_milestone(milestone, "up", actor=stranger),
        lambda: operations.delete_milestone(milestone, actor=stranger),
        lambda: operations.update_contribution(
            contribution, {"amount": Decimal(1)}, actor=stranger
        ),
        lambda: operations.delete_contribution(contribution, actor=stranger),
    ):
        with pytest.raises(DomainError, match=f"You may not edit {commitment.title}, which Jo"):
            write()
    with pytest.raises(DomainError, match="Your role may not create commitments."):
        operations.create_commitment("anchor_volume", _values(supplier), actor=make_user("viewer"))


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"currency": "XYZ"}, "currency", "“XYZ” is not an ISO 4217 currency code"),
        ({"end_on": today() - timedelta(days=1)}, "end_on", "is before the start date"),
        ({"title": None}, "title", "Enter a title."),
        ({"region_id": 999}, "region_id", "Choose a region from the list."),
    ],
)
def test_rules_the_form_used_to_hold_are_the_operations(supplier, overrides, field, message):
    with pytest.raises(DomainError) as refused:
        operations.create_commitment(
            "anchor_volume", _values(supplier, **overrides), actor=make_user("manager")
        )
    assert refused.value.field == field and message in refused.value.message


def test_an_unknown_kind_is_refused():
    with pytest.raises(DomainError) as refused:
        operations.create_commitment("spaceship", {}, actor=None)
    assert refused.value.field == "kind"
    assert refused.value.message.startswith("Unknown kind of commitment; choose one of:")


def test_the_counterparty_must_be_of_the_right_kind_and_not_archived(supplier):
    agency = make_partner("HIPA", kind="economic_agency")
    manager = make_user("manager")
    message = "The counterparty of an anchor volume commitment must be a tier-1 supplier; HIPA "
    with pytest.raises(DomainError, match=message + "is an economic agency."):
        operations.create_commitment(
            "anchor_volume", _values(supplier, counterparty_id=agency.id), actor=manager
        )
    commitment = operations.create_commitment("anchor_volume", _values(supplier), actor=manager)
    supplier.status = "archived"
    with pytest.raises(DomainError, match="Voltmodul Kft. is archived"):
        operations.create_commitment("anchor_volume", _values(supplier), actor=manager)
    # A commitment already made with it may still be edited.
    operations.update_commitment(
        commitment, {"counterparty_id": supplier.id, "title": "Kept"}, actor=manager
    )
    assert commitment.title == "Kept"


def test_a_contribution_from_an_archived_partner_is_refused():
    commitment = make_commitment("co_investment")
    gone = make_partner("Gone", status="archived")
    with pytest.raises(DomainError) as refused:
        operations.create_contribution(
            commitment, {"partner_id": gone.id, "amount": Decimal(1)}, actor=None
        )
    assert refused.value.field == "partner_id" and "Gone is archived" in refused.value.message


def test_history_lines_read_labels_and_words(supplier):
    manager = make_user("manager")
    commitment = operations.create_commitment("anchor_volume", _values(supplier), actor=manager)
    operations.update_commitment(
        commitment,
        {"volume_period": "year", "volume_taken": Decimal("250.5"), "owner_id": manager.id},
        actor=manager,
    )
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "update"))
    lines = {c["label"]: (c["old_text"], c["new_text"]) for c in event.change_list}
    assert lines == {"Per": ("Quarter", "Year"), "Volume taken": ("0", "250.5")}
    assert event.stored_change("volume_taken") == ("0.0000", "250.5000")  # as read back


def test_an_unchanged_save_records_nothing(supplier):
    commitment = operations.create_commitment(
        "anchor_volume", _values(supplier), actor=make_user("manager")
    )
    operations.update_commitment(commitment, {"title": commitment.title}, actor=None)
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "update")) is None


def test_a_contributions_party_reads_our_company(supplier):
    commitment = make_commitment("co_investment")
    contribution = operations.create_contribution(commitment, {"amount": Decimal(10)}, actor=None)
    partner = make_partner("STU")
    operations.update_contribution(contribution, {"partner_id": partner.id}, actor=None)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "update"))
    assert event.summary == "Edited contribution of STU"
    assert event.changes["partner_id"]["old_text"] == "Our company"
    assert event.changes["partner_id"]["new_text"] == "STU"


def test_a_commitments_history_shows_its_childrens_events(viewer_client):
    commitment = make_commitment("co_investment", title="Bench")
    db.session.commit()
    milestone = operations.create_milestone(
        commitment, {"title": "Permit", "due_on": today()}, actor=None
    )
    operations.create_contribution(commitment, {"amount": Decimal(10)}, actor=None)
    operations.update_milestone(milestone, {"status": "done"}, actor=None)
    db.session.commit()
    page = viewer_client.get(f"/commitments/{commitment.id}").get_data(as_text=True)
    history = page[page.index('id="history"') :]
    assert "Added milestone “Permit”" in history
    assert "Added contribution: Our company, EUR 10" in history
    assert "Edited milestone “Permit”" in history
    assert "Planned" in history and "Done" in history


def test_a_partner_with_commitments_or_contributions_cannot_be_deleted():
    lead, funder, free = make_partner(), make_partner(), make_partner()
    commitment = make_commitment("co_investment", counterparty=lead)
    make_commitment("co_location", counterparty=lead)
    make_contribution(commitment, partner=funder)
    db.session.commit()
    assert what_blocks_deletion(lead) == ["2 commitments"]
    assert what_blocks_deletion(funder) == ["1 contribution"]
    assert what_blocks_deletion(free) == []


def test_deleting_keeps_the_whole_state_for_a_restore():
    commitment = make_commitment("co_investment", title="Bench")
    make_milestone(commitment, title="Permit")
    make_contribution(commitment, "10")
    db.session.commit()
    operations.delete_commitment(commitment, actor=None)
    db.session.commit()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "delete"))
    assert event.state["values"]["title"] == "Bench"
    assert [m["values"]["title"] for m in event.state["children"]["milestones"]] == ["Permit"]
    assert [c["values"]["amount"] for c in event.state["children"]["contributions"]] == ["10.00"]
    assert db.session.scalars(select(Commitment)).all() == []
