"""/admin/audit: the whole trail, filtered and exported; undo and restore for admins."""

import csv
import io
import re

from sqlalchemy import select

from tests.conftest import post_form
from tests.factories import make_partner, make_user
from tracker.core.models import AuditEvent
from tracker.extensions import db
from tracker.partners import operations
from tracker.partners.models import Contact, Partner


def _partner_values(**overrides):
    values = {
        "name": "HIPA",
        "kind": "economic_agency",
        "status": "active",
        "country_code": "HU",
        "website": "https://hipa.example",
    }
    return {**values, **overrides}


def text(page: str) -> str:
    """The page's words, without tags."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", page))


def _event(action: str, entity_type: str = "partners") -> AuditEvent:
    return db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == action, AuditEvent.entity_type == entity_type)
        .order_by(AuditEvent.id.desc())
    ).first()


def test_managers_read_the_trail_filtered_and_exported(manager_client):
    alice = make_user("manager", name="Alice Auditor")
    partner = operations.create_partner(_partner_values(), actor=alice)
    operations.update_partner(partner, {"website": "https://new.example"}, actor=None)
    operations.create_contact(partner, {"name": "Zoltán Kiss"}, actor=alice)
    db.session.commit()

    page = text(manager_client.get("/admin/audit").get_data(as_text=True))
    assert "Created partner HIPA" in page and "Updated partner HIPA" in page
    assert "Website: https://hipa.example → https://new.example" in page

    mine = manager_client.get(f"/admin/audit?user_id={alice.id}").get_data(as_text=True)
    assert "Created partner HIPA" in mine and "Updated partner HIPA" not in mine
    contacts = manager_client.get("/admin/audit?entity_type=contacts").get_data(as_text=True)
    assert "Zoltán Kiss" in contacts and "Created partner HIPA" not in contacts

    response = manager_client.get("/admin/audit?entity_type=partners&format=csv")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert [row["Summary"] for row in rows] == ["Updated partner HIPA", "Created partner HIPA"]
    assert rows[0]["By"] == "system" and rows[1]["By"] == "Alice Auditor"
    assert "Website: https://hipa.example → https://new.example" in rows[0]["Changes"]


def test_a_bad_filter_is_refused_with_a_message_not_an_error(manager_client):
    response = manager_client.get("/admin/audit?date_from=2026-05-01&date_to=2026-04-01")
    assert response.status_code == 200
    assert "The end date is before the start date." in response.get_data(as_text=True)


def test_managers_may_not_undo(manager_client):
    partner = operations.create_partner(_partner_values(), actor=None)
    operations.update_partner(partner, {"website": "https://new.example"}, actor=None)
    db.session.commit()
    event = _event("update")
    assert "Undo</a>" not in manager_client.get("/admin/audit").get_data(as_text=True)
    assert manager_client.get(f"/admin/audit/{event.id}/undo").status_code == 403


def test_an_admin_undoes_a_change_and_the_undo_is_audited(admin_client):
    partner = operations.create_partner(_partner_values(), actor=None)
    operations.update_partner(
        partner, {"website": "https://new.example", "status": "dormant"}, actor=None
    )
    db.session.commit()
    event = _event("update")
    url = f"/admin/audit/{event.id}/undo"
    confirm = text(admin_client.get(url).get_data(as_text=True))
    assert "Status: Active → Dormant" in confirm

    response = post_form(admin_client, url, {"back": f"/partners/{partner.id}"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/partners/{partner.id}")
    stored = db.session.get(Partner, partner.id)
    assert (stored.website, stored.status) == ("https://hipa.example", "active")
    undo = _event("undo")
    assert undo.reverts_id == event.id and undo.user_id == admin_client.user.id
    assert undo.summary.startswith("Undid “Updated partner HIPA”")

    again = post_form(admin_client, url, {}, form_url=url)
    assert again.status_code == 409  # the page says why; nothing happens
    assert "This change was undone already." in again.get_data(as_text=True)
    assert db.session.get(Partner, partner.id).version == stored.version


def test_undo_is_refused_when_the_field_changed_again(admin_client):
    partner = operations.create_partner(_partner_values(), actor=None)
    operations.update_partner(partner, {"website": "https://second.example"}, actor=None)
    db.session.commit()
    event = _event("update")
    operations.update_partner(partner, {"website": "https://third.example"}, actor=None)
    db.session.commit()
    url = f"/admin/audit/{event.id}/undo"
    response = post_form(admin_client, url, {})
    assert response.status_code == 409
    assert "Website has changed since (it is now https://third.example)" in response.get_data(
        as_text=True
    )
    assert db.session.get(Partner, partner.id).website == "https://third.example"


def test_undo_is_refused_when_it_would_break_a_rule_today(admin_client):
    partner = operations.create_partner(_partner_values(name="Old Name"), actor=None)
    operations.update_partner(partner, {"name": "New Name"}, actor=None)
    db.session.commit()
    event = _event("update")
    operations.create_partner(_partner_values(name="Old Name"), actor=None)  # takes the name
    db.session.commit()
    response = post_form(admin_client, f"/admin/audit/{event.id}/undo", {})
    assert response.status_code == 409
    assert "A partner named Old Name already exists in HU." in response.get_data(as_text=True)
    assert db.session.get(Partner, partner.id).name == "New Name"


def test_an_admin_restores_a_deleted_contact_from_the_partner_history(admin_client):
    partner = make_partner("CzechInvest", country_code="CZ")
    contact = operations.create_contact(
        partner, {"name": "Jana Dvořáková", "email": "jana@czechinvest.example"}, actor=None
    )
    db.session.commit()
    contact_id = contact.id
    operations.delete_contact(contact, actor=None)
    db.session.commit()
    assert db.session.get(Contact, contact_id) is None

    history = admin_client.get(f"/partners/{partner.id}").get_data(as_text=True)
    event = _event("delete", "contacts")
    assert f"/admin/audit/{event.id}/restore" in history

    response = post_form(admin_client, f"/admin/audit/{event.id}/restore", {})
    assert response.status_code == 302
    restored = db.session.get(Contact, contact_id)
    assert (restored.name, restored.email, restored.partner_id) == (
        "Jana Dvořáková",
        "jana@czechinvest.example",
        partner.id,
    )
    assert _event("restore", "contacts").reverts_id == event.id
    assert "Restored" in admin_client.get("/admin/audit").get_data(as_text=True)


def test_an_admin_restores_a_deleted_commitment_with_its_milestones(admin_client):
    from tests.factories import make_commitment, make_milestone
    from tracker.commitments import operations as commitment_operations
    from tracker.commitments.models import Commitment, Milestone

    commitment = make_commitment("co_location", title="Joint test lab")
    first = make_milestone(commitment, title="Lease signed", position=0)
    second = make_milestone(commitment, title="Lab opens", position=1)
    db.session.commit()
    ids = (commitment.id, first.id, second.id)
    commitment_operations.delete_commitment(commitment, actor=admin_client.user)
    db.session.commit()
    assert db.session.get(Commitment, ids[0]) is None

    event = _event("delete", "commitments")
    trail = text(admin_client.get("/admin/audit?entity_type=commitments").get_data(as_text=True))
    assert "Deleted co-location Joint test lab" in trail or "Joint test lab" in trail
    response = post_form(admin_client, f"/admin/audit/{event.id}/restore", {})
    assert response.status_code == 302
    restored = db.session.get(Commitment, ids[0])
    assert restored.title == "Joint test lab"
    milestones = db.session.scalars(
        select(Milestone).where(Milestone.commitment_id == ids[0]).order_by(Milestone.position)
    ).all()
    assert [(m.id, m.title) for m in milestones] == [
        (ids[1], "Lease signed"),
        (ids[2], "Lab opens"),
    ]
    assert _event("restore", "commitments").reverts_id == event.id
    # A second restore of the same deletion is refused with the reason.
    again = post_form(admin_client, f"/admin/audit/{event.id}/restore", {}, form_url="/admin/audit")
    assert again.status_code == 409
    assert "This record was restored already." in again.get_data(as_text=True)
