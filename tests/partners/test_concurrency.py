"""Two people editing the same record, and a create form posted twice."""

from sqlalchemy import func, select

from tests.factories import make_engagement, make_partner, make_user
from tests.helpers import STALE, conflict_rows, hidden_fields, opened
from tracker.core.models import AuditEvent
from tracker.core.types import today
from tracker.extensions import db
from tracker.partners.models import Contact, Engagement, FollowUp, Partner


def _partner_form(**overrides):
    data = {
        "name": "CzechInvest",
        "kind": "economic_agency",
        "status": "active",
        "country_code": "CZ",
        "region_id": "",
        "owner_id": "",
        "website": "https://old.example",
        "cadence_days": "",
        "next_engagement_on": "",
        "description": "",
    }
    return {**data, **overrides}


def test_stale_partner_save_is_refused_with_stored_beside_typed(manager_client, admin_client):
    partner = make_partner(
        "CzechInvest", country_code="CZ", kind="economic_agency", website="https://old.example"
    )
    db.session.commit()
    url = f"/partners/{partner.id}/edit"
    mine, theirs = opened(manager_client, url), opened(admin_client, url)
    assert mine["version"] == theirs["version"] == "1"

    first = manager_client.post(url, data={**_partner_form(status="dormant"), **mine})
    assert first.status_code == 302

    typed = _partner_form(website="https://typed.example", description="Typed by the second")
    second = admin_client.post(url, data={**typed, **theirs})
    assert second.status_code == 409
    page = second.get_data(as_text=True)
    assert STALE + " partner after you opened it, so nothing was saved." in page
    assert conflict_rows(page) == {
        "Status": ("Dormant", "Active"),
        "Website": ("https://old.example", "https://typed.example"),
        "Notes": ("—", "Typed by the second"),
    }
    assert 'value="https://typed.example"' in page  # what they typed stays in the form
    stored = db.session.get(Partner, partner.id)
    assert (stored.status, stored.website, stored.description, stored.version) == (
        "dormant",
        "https://old.example",
        None,
        2,
    )
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 1

    # The refused form now carries the stored version: sending it again applies it knowingly.
    assert hidden_fields(page)["version"] == "2"
    again = admin_client.post(url, data={**typed, **hidden_fields(page)})
    assert again.status_code == 302
    assert db.session.get(Partner, partner.id).website == "https://typed.example"


def test_stale_contact_save_is_refused(manager_client, admin_client):
    partner = make_partner("HIPA")
    contact = Contact(partner=partner, name="Gábor Szabó", phone="+36 1 872 6502")
    db.session.add(contact)
    db.session.commit()
    url = f"/contacts/{contact.id}/edit"
    mine, theirs = opened(manager_client, url), opened(admin_client, url)
    data = {"name": "Gábor Szabó", "job_title": "", "email": "", "notes": ""}
    assert (
        manager_client.post(url, data={**data, "phone": "+36 1 872 6500", **mine}).status_code
        == 302
    )
    second = admin_client.post(
        url, data={**data, "phone": "+36 1 872 6502", "job_title": "Director", **theirs}
    )
    assert second.status_code == 409
    assert conflict_rows(second.get_data(as_text=True)) == {
        "Job title": ("—", "Director"),
        "Phone": ("+36 1 872 6500", "+36 1 872 6502"),
    }
    stored = db.session.get(Contact, contact.id)
    assert (stored.phone, stored.job_title) == ("+36 1 872 6500", None)


def test_stale_engagement_save_shows_partners_by_name(manager_client, admin_client):
    first, second = make_partner("First"), make_partner("Second")
    engagement = make_engagement([first], subject="Call", kind="call")
    db.session.commit()
    url = f"/engagements/{engagement.id}/edit"
    mine, theirs = opened(manager_client, url), opened(admin_client, url)
    data = {
        "kind": "call",
        "occurred_on": today().isoformat(),
        "subject": "Call",
        "summary": "",
        "outcome": "",
    }
    response = manager_client.post(url, data={**data, "partner_ids": [first.id, second.id], **mine})
    assert response.status_code == 302
    response = admin_client.post(
        url, data={**data, "partner_ids": [first.id], "outcome": "Agreed", **theirs}
    )
    assert response.status_code == 409
    assert conflict_rows(response.get_data(as_text=True)) == {
        "Partners": ("First; Second", "First"),
        "Outcome": ("—", "Agreed"),
    }
    assert {p.name for p in db.session.get(Engagement, engagement.id).partners} == {
        "First",
        "Second",
    }


def test_partner_form_posted_twice_creates_one_partner(manager_client):
    form = opened(manager_client, "/partners/new")
    assert form["form_token"] and form["version"] == ""
    data = {**_partner_form(), **form}
    first = manager_client.post("/partners/new", data=data)
    second = manager_client.post("/partners/new", data=data)
    partner = db.session.scalar(select(Partner))
    assert first.headers["Location"] == second.headers["Location"] == f"/partners/{partner.id}"
    assert db.session.scalar(select(func.count()).select_from(Partner)) == 1
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 1
    page = manager_client.get(second.headers["Location"]).get_data(as_text=True)
    assert "This form was already sent; here is what it saved." in page
    # A new form is a new token: the same values now meet the uniqueness rule.
    again = manager_client.post(
        "/partners/new", data={**data, **opened(manager_client, "/partners/new")}
    )
    assert "already exists in CZ" in again.get_data(as_text=True)


def test_contact_and_follow_up_forms_posted_twice_create_one_each(manager_client):
    partner = make_partner("HIPA")
    engagement = make_engagement([partner])
    owner = make_user("owner")
    db.session.commit()
    url = f"/partners/{partner.id}/contacts/new"
    data = {
        "name": "Ana",
        "job_title": "",
        "email": "",
        "phone": "",
        "notes": "",
        **opened(manager_client, url),
    }
    assert manager_client.post(url, data=data).status_code == 302
    assert manager_client.post(url, data=data).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Contact)) == 1

    form = opened(manager_client, f"/engagements/{engagement.id}")
    url = f"/engagements/{engagement.id}/followups/new"
    data = {"title": "Send plan", "owner_id": owner.id, "due_on": today().isoformat(), **form}
    assert manager_client.post(url, data=data).status_code == 302
    assert manager_client.post(url, data=data).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(FollowUp)) == 1
