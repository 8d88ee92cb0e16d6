"""Engagements, contacts and follow-ups through the web forms."""

from datetime import timedelta

from sqlalchemy import func, select

from tests.conftest import post_form
from tests.factories import make_engagement, make_follow_up, make_partner, make_user
from tracker.core.models import AuditEvent
from tracker.core.types import today
from tracker.extensions import db
from tracker.partners.models import Contact, Engagement, FollowUp


def _engagement_data(partners, **overrides):
    data = {
        "kind": "site_visit",
        "occurred_on": today().isoformat(),
        "subject": "Plant tour in Győr",
        "partner_ids": [str(p.id) for p in partners],
        "attendee_ids": [],
        "summary": "Walked the module line.",
        "outcome": "Second line confirmed.",
    }
    return {**data, **overrides}


def test_log_engagement_with_two_partners_and_attendees(manager_client):
    hipa, supplier = make_partner("HIPA"), make_partner("Voltmodul", kind="tier1_supplier")
    colleague = make_user("owner", name="Jan Dvořák")
    db.session.commit()
    response = post_form(
        manager_client,
        "/engagements/new",
        _engagement_data([hipa, supplier], attendee_ids=[str(colleague.id)]),
    )
    assert response.status_code == 302
    engagement = db.session.scalar(select(Engagement))
    assert {p.name for p in engagement.partners} == {"HIPA", "Voltmodul"}
    assert [u.name for u in engagement.attendees] == ["Jan Dvořák"]
    assert engagement.created_by_id == manager_client.user.id
    for partner in (hipa, supplier):
        html = manager_client.get(f"/partners/{partner.id}").get_data(as_text=True)
        assert "Plant tour in Győr" in html
        assert "Logged site visit: Plant tour in Győr" in html  # audit on the partner page


def test_new_engagement_form_prefills_partner_today_and_me(manager_client):
    partner = make_partner("CzechInvest")
    db.session.commit()
    html = manager_client.get(f"/engagements/new?partner_id={partner.id}").get_data(as_text=True)
    assert f'<option selected value="{partner.id}">CzechInvest</option>' in html
    assert f'value="{today().isoformat()}"' in html


def test_engagement_without_partner_or_date_keeps_input(manager_client):
    response = post_form(
        manager_client,
        "/engagements/new",
        _engagement_data([], occurred_on="", subject="Kept <subject>"),
    )
    html = response.get_data(as_text=True)
    assert "Choose at least one partner." in html
    assert "Enter the date (YYYY-MM-DD)." in html
    assert 'value="Kept &lt;subject&gt;"' in html
    assert db.session.scalar(select(func.count()).select_from(Engagement)) == 0


def test_an_engagement_to_come_is_refused_and_the_input_kept(manager_client):
    partner = make_partner("CzechInvest")
    db.session.commit()
    tomorrow = (today() + timedelta(days=1)).isoformat()
    response = post_form(
        manager_client, "/engagements/new", _engagement_data([partner], occurred_on=tomorrow)
    )
    html = response.get_data(as_text=True)
    assert (
        f"An engagement cannot be dated after today ({today().isoformat()}): {tomorrow} is "
        "still to come. Plan one as a follow-up."
    ) in html
    assert f'value="{tomorrow}"' in html and 'value="Plant tour in Győr"' in html
    assert db.session.scalar(select(func.count()).select_from(Engagement)) == 0
    on_the_day = _engagement_data([partner])
    assert post_form(manager_client, "/engagements/new", on_the_day).status_code == 302


def test_unknown_partner_id_in_crafted_post_is_refused(manager_client):
    partner = make_partner()
    db.session.commit()
    response = post_form(
        manager_client,
        "/engagements/new",
        _engagement_data([partner], partner_ids=[str(partner.id), "987654"]),
    )
    assert response.status_code == 200
    assert "not a valid choice" in response.get_data(as_text=True).lower()
    assert db.session.scalar(select(func.count()).select_from(Engagement)) == 0


def test_edit_engagement_records_partner_change(manager_client):
    first, second = make_partner("First"), make_partner("Second")
    engagement = make_engagement([first], subject="Call")
    db.session.commit()
    response = post_form(
        manager_client,
        f"/engagements/{engagement.id}/edit",
        _engagement_data([first, second], subject="Call", kind="call"),
    )
    assert response.status_code == 302
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "update"))
    assert event.changes["partners"] == {
        "label": "Partners",
        "old": [first.id],
        "new": sorted([first.id, second.id]),
        "old_text": "First",
        "new_text": "First; Second",
    }
    assert event.changes["kind"]["old_text"] == "Meeting"
    assert event.changes["kind"]["new_text"] == "Call"
    html = manager_client.get(f"/engagements/{engagement.id}").get_data(as_text=True)
    assert '<span class="field-label">Partners</span>: First → First; Second' in html


def test_unknown_engagement_is_404(manager_client):
    assert manager_client.get("/engagements/5555").status_code == 404
    assert manager_client.get("/engagements/5555/edit").status_code == 404


def test_contacts_add_edit_remove_with_validation(manager_client):
    partner = make_partner("HIPA")
    db.session.commit()
    url = f"/partners/{partner.id}/contacts/new"
    bad = post_form(
        manager_client,
        url,
        {
            "name": "Gábor",
            "email": "not-an-email",
            "phone": "call me maybe",
            "job_title": "",
            "notes": "",
        },
    )
    html = bad.get_data(as_text=True)
    assert "Enter a valid e-mail address." in html
    assert 'value="call me maybe"' in html
    # The phone rule is the operation's: it speaks once the form's shape is right.
    bad_phone = post_form(
        manager_client,
        url,
        {"name": "Gábor", "email": "", "phone": "call me maybe", "job_title": "", "notes": ""},
    )
    html = bad_phone.get_data(as_text=True)
    assert "Enter a phone number of digits" in html
    assert 'value="call me maybe"' in html
    assert db.session.scalar(select(func.count()).select_from(Contact)) == 0

    good = post_form(
        manager_client,
        url,
        {
            "name": "Gábor Szabó",
            "email": "gabor@hipa.example",
            "phone": "+36 1 872 6502",
            "job_title": "Director",
            "notes": "",
        },
    )
    assert good.status_code == 302
    contact = db.session.scalar(select(Contact))
    assert contact.phone == "+36 1 872 6502"

    post_form(
        manager_client,
        f"/contacts/{contact.id}/edit",
        {
            "name": "Gábor Szabó",
            "email": "gabor@hipa.example",
            "phone": "+36 1 872 6500",
            "job_title": "Director",
            "notes": "",
        },
    )
    contact_id = contact.id
    assert db.session.get(Contact, contact_id).phone == "+36 1 872 6500"

    confirm = manager_client.get(f"/contacts/{contact_id}/delete").get_data(as_text=True)
    assert "Remove Gábor Szabó from HIPA?" in confirm
    post_form(manager_client, f"/contacts/{contact_id}/delete", {})
    assert db.session.get(Contact, contact_id) is None
    events = list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)))
    assert [e.summary for e in events] == [
        "Added contact Gábor Szabó (Director)",
        "Edited contact Gábor Szabó",
        "Removed contact Gábor Szabó (Director)",
    ]
    # Recorded on the contact, shown in the partner's history.
    assert {(e.entity_type, e.entity_id, e.parent_type, e.parent_id) for e in events} == {
        ("contacts", contact_id, "partners", partner.id)
    }
    assert events[1].changes["phone"]["old_text"] == "+36 1 872 6502"
    assert events[2].state["values"]["email"] == "gabor@hipa.example"
    html = manager_client.get(f"/partners/{partner.id}").get_data(as_text=True)
    assert "Removed contact Gábor Szabó (Director)" in html
    assert '<span class="field-label">Phone</span>: +36 1 872 6502 → +36 1 872 6500' in html


def test_add_follow_up_and_mark_done(manager_client):
    engagement = make_engagement([make_partner()])
    owner = make_user("owner")
    db.session.commit()
    due = (today() + timedelta(days=5)).isoformat()
    response = post_form(
        manager_client,
        f"/engagements/{engagement.id}/followups/new",
        {"title": "Send capex phasing", "owner_id": str(owner.id), "due_on": due},
        form_url=f"/engagements/{engagement.id}",
    )
    assert response.status_code == 302
    follow_up = db.session.scalar(select(FollowUp))
    assert (follow_up.title, follow_up.owner_id, follow_up.due_on.isoformat()) == (
        "Send capex phasing",
        owner.id,
        due,
    )
    post_form(
        manager_client,
        f"/followups/{follow_up.id}/toggle",
        {"back": "/followups"},
        form_url="/followups",
    )
    assert db.session.get(FollowUp, follow_up.id).done_on == today()


def test_follow_up_without_owner_or_date_is_refused(manager_client):
    engagement = make_engagement([make_partner()])
    db.session.commit()
    response = post_form(
        manager_client,
        f"/engagements/{engagement.id}/followups/new",
        {"title": "Kept title", "owner_id": "", "due_on": ""},
        form_url=f"/engagements/{engagement.id}",
    )
    html = response.get_data(as_text=True)
    assert "Choose an owner." in html and "Enter the due date" in html
    assert 'value="Kept title"' in html
    assert db.session.scalar(select(func.count()).select_from(FollowUp)) == 0


def test_follow_up_owner_may_mark_own_but_not_others(owner_client):
    engagement = make_engagement([make_partner()])
    mine = make_follow_up(engagement, owner=owner_client.user)
    theirs = make_follow_up(engagement, owner=make_user("manager"))
    db.session.commit()
    assert (
        post_form(
            owner_client, f"/followups/{mine.id}/toggle", {}, form_url="/followups"
        ).status_code
        == 302
    )
    assert (
        post_form(
            owner_client, f"/followups/{theirs.id}/toggle", {}, form_url="/followups"
        ).status_code
        == 403
    )
    assert db.session.get(FollowUp, mine.id).done_on is not None
    assert db.session.get(FollowUp, theirs.id).done_on is None


def test_follow_ups_mine_by_default_overdue_first(owner_client):
    me = owner_client.user
    engagement = make_engagement([make_partner()])
    make_follow_up(engagement, owner=me, due_on=today() + timedelta(days=1), title="Soon")
    make_follow_up(engagement, owner=me, due_on=today() - timedelta(days=3), title="Late")
    make_follow_up(
        engagement, owner=me, due_on=today() - timedelta(days=9), title="Finished", done_on=today()
    )
    make_follow_up(engagement, owner=make_user("manager"), title="Someone else's")
    db.session.commit()

    html = owner_client.get("/followups").get_data(as_text=True)
    assert "Someone else&#39;s" not in html and "Finished" not in html
    assert html.index("Late") < html.index("Soon")
    assert "3 days overdue" in html

    everyone = owner_client.get("/followups?scope=everyone").get_data(as_text=True)
    assert "Someone else&#39;s" in everyone
    done = owner_client.get("/followups?show=done").get_data(as_text=True)
    assert "Finished" in done and "Soon" not in done
