"""Two people editing the same commitment or milestone, and create forms posted twice."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.factories import make_commitment, make_milestone, make_partner, make_user
from tests.helpers import STALE, conflict_rows, count_rows, hidden_fields, opened
from tracker.commitments import operations
from tracker.commitments.models import Commitment, Contribution, Milestone
from tracker.core.errors import StaleRecord
from tracker.core.models import AuditEvent
from tracker.core.types import today
from tracker.extensions import db


def _co_location_form(commitment, **overrides) -> dict:
    data = {
        "title": commitment.title,
        "status": commitment.status,
        "counterparty_id": str(commitment.counterparty_id),
        "region_id": "",
        "owner_id": str(commitment.owner_id),
        "start_on": commitment.start_on.isoformat(),
        "end_on": commitment.end_on.isoformat(),
        "currency": commitment.currency,
        "value": "",
        "site_name": commitment.site_name or "",
        "description": "",
    }
    return {**data, **overrides}


# --- Commitments -------------------------------------------------------------------------


def test_stale_commitment_save_is_refused_with_stored_beside_typed(manager_client, admin_client):
    commitment = make_commitment(
        "co_location", owner=make_user("owner"), title="Hall C", site_name="Győr, hall C"
    )
    db.session.commit()
    url = f"/commitments/{commitment.id}/edit"
    mine, theirs = opened(manager_client, url), opened(admin_client, url)
    assert mine["version"] == theirs["version"] == "1"
    loaded = _co_location_form(commitment)  # what both forms show

    first = manager_client.post(
        url, data={**loaded, "status": "on_hold", "value": "2500000", **mine}
    )
    assert first.status_code == 302

    typed = {**loaded, "site_name": "Győr, halls C and D"}
    second = admin_client.post(url, data={**typed, **theirs})
    assert second.status_code == 409
    page = second.get_data(as_text=True)
    assert STALE + " commitment after you opened it, so nothing was saved." in page
    assert conflict_rows(page) == {
        "Status": ("On hold", "Active"),
        "Value": ("EUR 2,500,000", "—"),
        "Site": ("Győr, hall C", "Győr, halls C and D"),
    }
    assert 'value="Győr, halls C and D"' in page  # what they typed stays in the form
    db.session.expire_all()
    stored = db.session.get(Commitment, commitment.id)
    assert (stored.status, stored.value, stored.site_name, stored.version) == (
        "on_hold",
        Decimal("2500000"),
        "Győr, hall C",
        2,
    )
    # The form now carries the stored version: saving again applies theirs, knowingly.
    again = hidden_fields(page)
    assert again["version"] == "2"
    assert admin_client.post(url, data={**typed, **again}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Commitment, commitment.id).site_name == "Győr, halls C and D"


def test_stale_save_names_an_obligation_not_its_number(manager_client, admin_client):
    from tests.factories import make_incentive, make_obligation

    incentive = make_incentive(title="VIP cash grant")
    hours = make_obligation(incentive, target="100", kind="training_hours", unit="hours",
                            description="Training hours")  # fmt: skip
    jobs = make_obligation(incentive, target="50", description="New jobs")
    programme = make_commitment("training_programme", obligation_id=hours.id)
    db.session.commit()
    url = f"/commitments/{programme.id}/edit"
    mine, theirs = opened(manager_client, url), opened(admin_client, url)
    data = {
        "title": programme.title,
        "status": "active",
        "counterparty_id": str(programme.counterparty_id),
        "region_id": "",
        "owner_id": str(programme.owner_id),
        "start_on": programme.start_on.isoformat(),
        "end_on": programme.end_on.isoformat(),
        "currency": "EUR",
        "value": "",
        "cohorts": "",
        "target_participants": "100",
        "enrolled_participants": "0",
        "completed_participants": "0",
        "description": "",
    }
    assert (
        manager_client.post(url, data={**data, "obligation_id": str(jobs.id), **mine}).status_code
        == 302
    )
    second = admin_client.post(url, data={**data, "obligation_id": "", **theirs})
    assert second.status_code == 409
    assert conflict_rows(second.get_data(as_text=True)) == {
        "Counts towards": ("VIP cash grant — New jobs", "—"),
    }
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "update"))
    assert event.changes["obligation_id"]["old_text"] == "VIP cash grant — Training hours"
    assert event.changes["obligation_id"]["new_text"] == "VIP cash grant — New jobs"


def test_an_edit_racing_past_the_version_check_is_refused_at_the_database(app):
    """Both saves read version 1; the second's UPDATE finds version 2 and writes nothing."""
    commitment = make_commitment("co_location", title="Hall C")
    db.session.commit()
    assert commitment.version == 1  # read now: this session will not see their change
    with app.app_context():  # someone else, in their own session
        theirs = db.session.get(Commitment, commitment.id)
        operations.update_commitment(theirs, {"title": "Hall D"}, actor=None, expected_version=1)
        db.session.commit()
    with pytest.raises(StaleRecord):
        operations.update_commitment(
            commitment, {"site_name": "Mine"}, actor=None, expected_version=1
        )
    db.session.expire_all()
    stored = db.session.get(Commitment, commitment.id)
    assert (stored.title, stored.site_name, stored.version) == ("Hall D", None, 2)


def test_a_stale_version_is_refused_before_anything_is_written():
    commitment = make_commitment("co_location", title="Hall C")
    db.session.commit()
    operations.update_commitment(commitment, {"title": "Hall D"}, actor=None)
    db.session.commit()
    with pytest.raises(StaleRecord):
        operations.update_commitment(
            commitment, {"title": "Hall E"}, actor=None, expected_version=1
        )
    db.session.rollback()
    assert db.session.get(Commitment, commitment.id).title == "Hall D"


# --- Milestones ----------------------------------------------------------------------------


def test_stale_milestone_save_is_refused_with_stored_beside_typed(owner_client, manager_client):
    commitment = make_commitment("co_investment", owner=owner_client.user)
    milestone = make_milestone(
        commitment, title="Permit", due_on=today() + timedelta(days=20), evidence_note="Filed"
    )
    db.session.commit()
    url = f"/milestones/{milestone.id}/edit"
    mine, theirs = opened(owner_client, url), opened(manager_client, url)
    assert mine["version"] == theirs["version"] == "1"
    loaded = {
        "title": "Permit",
        "due_on": milestone.due_on.isoformat(),
        "status": "planned",
        "completed_on": "",
        "evidence_note": "Filed",
    }
    done = {**loaded, "status": "done", "evidence_note": "Permit no. 4411"}
    assert owner_client.post(url, data={**done, **mine}).status_code == 302

    later = (today() + timedelta(days=40)).isoformat()
    second = manager_client.post(url, data={**loaded, "due_on": later, **theirs})
    assert second.status_code == 409
    page = second.get_data(as_text=True)
    assert STALE + " milestone after you opened it, so nothing was saved." in page
    assert conflict_rows(page) == {
        "Due": (milestone.due_on.isoformat(), later),
        "Status": ("Done", "Planned"),
        "Completed on": (today().isoformat(), "—"),
        "Evidence": ("Permit no. 4411", "Filed"),
    }
    db.session.expire_all()
    stored = db.session.get(Milestone, milestone.id)
    assert (stored.status, stored.completed_on, stored.evidence_note, stored.due_on) == (
        "done",
        today(),
        "Permit no. 4411",
        milestone.due_on,
    )


def test_stale_contribution_save_is_refused(owner_client, manager_client):
    from tests.factories import make_contribution

    commitment = make_commitment("co_investment", owner=owner_client.user)
    contribution = make_contribution(commitment, "1000")
    db.session.commit()
    url = f"/contributions/{contribution.id}/edit"
    mine, theirs = opened(owner_client, url), opened(manager_client, url)
    data = {"partner_id": "", "amount": "1000", "currency": "EUR", "paid_to_date": "0"}
    assert owner_client.post(url, data={**data, "amount": "2000", **mine}).status_code == 302
    second = manager_client.post(url, data={**data, "paid_to_date": "500", **theirs})
    assert second.status_code == 409
    assert conflict_rows(second.get_data(as_text=True)) == {
        "Amount": ("EUR 2,000", "EUR 1,000"),
        "Paid so far": ("EUR 0", "EUR 500"),
    }
    db.session.expire_all()
    stored = db.session.get(Contribution, contribution.id)
    assert (stored.amount, stored.paid_to_date) == (Decimal("2000"), Decimal("0"))


# --- Create forms posted twice --------------------------------------------------------------


def test_a_new_commitment_posted_twice_is_created_once(owner_client):
    partner = make_partner(kind="testing_certification")
    db.session.commit()
    url = "/commitments/new?kind=co_investment"
    hidden = opened(owner_client, url)
    assert hidden["kind"] == "co_investment" and len(hidden["form_token"]) > 20
    data = {
        **hidden,
        "title": "Shared battery test centre",
        "status": "active",
        "counterparty_id": str(partner.id),
        "region_id": "",
        "start_on": today().isoformat(),
        "end_on": (today() + timedelta(days=365)).isoformat(),
        "currency": "EUR",
        "budget": "1000000",
        "spend_to_date": "0",
        "description": "",
    }
    first = owner_client.post(url, data=data)
    second = owner_client.post(url, data=data)  # a double click, or the back button
    assert first.status_code == second.status_code == 302
    assert count_rows(Commitment) == 1
    commitment = db.session.scalar(select(Commitment))
    assert (
        first.headers["Location"] == second.headers["Location"] == (f"/commitments/{commitment.id}")
    )
    page = owner_client.get(second.headers["Location"]).get_data(as_text=True)
    assert "This form was already sent; here is what it saved." in page
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 1
    # A fresh form is a new commitment.
    assert owner_client.post(url, data={**data, **opened(owner_client, url)}).status_code == 302
    assert count_rows(Commitment) == 2


def test_a_new_milestone_posted_twice_is_created_once(owner_client):
    commitment = make_commitment("co_investment", owner=owner_client.user)
    db.session.commit()
    hidden = opened(owner_client, f"/commitments/{commitment.id}")  # the inline form
    assert hidden["form_token"]
    data = {
        **hidden,
        "title": "Building permit",
        "due_on": (today() + timedelta(days=30)).isoformat(),
        "status": "planned",
    }
    url = f"/commitments/{commitment.id}/milestones/new"
    first, second = owner_client.post(url, data=data), owner_client.post(url, data=data)
    assert first.status_code == second.status_code == 302
    assert second.headers["Location"] == f"/commitments/{commitment.id}#milestones"
    assert count_rows(Milestone) == 1
    page = owner_client.get(f"/commitments/{commitment.id}").get_data(as_text=True)
    assert "This form was already sent; here is what it saved." in page


def test_a_new_contribution_posted_twice_is_created_once(owner_client):
    commitment = make_commitment("co_investment", owner=owner_client.user)
    db.session.commit()
    url = f"/commitments/{commitment.id}/contributions/new"
    data = {
        **opened(owner_client, url),
        "partner_id": "",
        "amount": "1000",
        "currency": "EUR",
        "paid_to_date": "0",
    }
    assert owner_client.post(url, data=data).status_code == 302
    assert owner_client.post(url, data=data).status_code == 302
    assert count_rows(Contribution) == 1
