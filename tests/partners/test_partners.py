"""Partner pages: create, edit, validate, archive, delete, audit."""

from datetime import timedelta

from sqlalchemy import func, select

from tests.conftest import post_form
from tests.factories import make_engagement, make_partner, make_region, make_user
from tracker.core.models import AuditEvent
from tracker.core.types import today
from tracker.extensions import db
from tracker.partners.models import Contact, Partner


def _partner_data(**overrides):
    data = {
        "name": "Slovak Battery Alliance",
        "kind": "cluster_alliance",
        "status": "active",
        "country_code": "SK",
        "region_id": "",
        "owner_id": "",
        "website": "https://battery.example",
        "cadence_days": "45",
        "next_engagement_on": "",
        "description": "Cell makers and recyclers around Bratislava.",
    }
    return {**data, **overrides}


def test_manager_creates_partner_and_it_is_audited(manager_client):
    region = make_region("Bratislava", "SK")
    db.session.commit()
    response = post_form(manager_client, "/partners/new", _partner_data(region_id=str(region.id)))
    assert response.status_code == 302
    partner = db.session.scalar(select(Partner))
    assert response.headers["Location"] == f"/partners/{partner.id}"
    assert (partner.name, partner.region_id, partner.cadence_days) == (
        "Slovak Battery Alliance",
        region.id,
        45,
    )
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.entity_type == "partners"))
    assert event.action == "create" and event.user_id == manager_client.user.id
    page = manager_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Created partner Slovak Battery Alliance" in page


def test_edit_records_old_and_new_values(manager_client):
    partner = make_partner("CzechInvest", country_code="CZ", kind="economic_agency")
    db.session.commit()
    response = post_form(
        manager_client,
        f"/partners/{partner.id}/edit",
        _partner_data(
            name="CzechInvest", country_code="CZ", kind="economic_agency", status="dormant"
        ),
    )
    assert response.status_code == 302
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "update")).one()
    assert event.user_id == manager_client.user.id
    assert event.changes["status"] == {
        "label": "Status",
        "old": "active",
        "new": "dormant",
        "old_text": "Active",
        "new_text": "Dormant",
    }
    cadence = event.changes["cadence_days"]
    assert (cadence["label"], cadence["old"], cadence["new"]) == (
        "Engagement cadence (days)",
        None,
        45,
    )
    notes = event.changes["description"]
    assert (notes["label"], notes["old_text"]) == ("Notes", "—")
    assert "name" not in event.changes  # unchanged fields are not listed
    html = manager_client.get(f"/partners/{partner.id}").get_data(as_text=True)
    assert '<span class="field-label">Status</span>: Active → Dormant' in html
    assert '<span class="field-label">Engagement cadence (days)</span>: — → 45' in html


def test_missing_fields_too_long_name_and_bad_url_keep_input(manager_client):
    response = post_form(
        manager_client,
        "/partners/new",
        _partner_data(name="x" * 201, kind="", website="not a url", description="kept text"),
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Field cannot be longer than 200 characters." in html
    assert "Enter a full address" in html
    assert "kept text" in html
    assert db.session.scalar(select(func.count()).select_from(Partner)) == 0


def test_html_in_text_fields_is_shown_escaped(manager_client):
    script = "<script>alert('x')</script>"
    post_form(
        manager_client, "/partners/new", _partner_data(name=f"Evil {script}", description=script)
    )
    partner = db.session.scalar(select(Partner))
    html = manager_client.get(f"/partners/{partner.id}").get_data(as_text=True)
    assert script not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html


def test_region_in_another_country_is_refused(manager_client):
    region = make_region("Győr", "HU")
    db.session.commit()
    response = post_form(manager_client, "/partners/new", _partner_data(region_id=str(region.id)))
    assert response.status_code == 200
    assert "Győr is in HU, but the partner&#39;s country is SK" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Partner)) == 0


def test_duplicate_name_in_same_country_is_refused(manager_client):
    make_partner("Slovak Battery Alliance", country_code="SK")
    db.session.commit()
    response = post_form(
        manager_client, "/partners/new", _partner_data(name="slovak battery alliance")
    )
    assert "already exists in SK" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Partner)) == 1


def test_unknown_region_id_in_crafted_post_is_refused(manager_client):
    response = post_form(manager_client, "/partners/new", _partner_data(region_id="99999"))
    assert response.status_code == 200
    assert "Not a valid choice" in response.get_data(as_text=True)


def test_unknown_partner_is_404(manager_client):
    for url in (
        "/partners/424242",
        "/partners/424242/edit",
        "/partners/424242/delete",
        "/partners/424242/contacts/new",
    ):
        assert manager_client.get(url).status_code == 404, url


def test_archive_keeps_history_and_hides_from_default_list(manager_client):
    partner = make_partner("Old Council")
    db.session.commit()
    response = post_form(
        manager_client, f"/partners/{partner.id}/archive", {}, form_url=f"/partners/{partner.id}"
    )
    assert response.status_code == 302
    assert db.session.get(Partner, partner.id).status == "archived"
    manager_client.get("/")  # consume the flash message, which names the partner
    assert ">Old Council</a>" not in manager_client.get("/partners").get_data(as_text=True)
    archived = manager_client.get("/partners?status=archived").get_data(as_text=True)
    assert ">Old Council</a>" in archived


def test_delete_asks_first_and_is_refused_when_history_hangs_on_it(manager_client):
    kept = make_partner("Has History")
    make_engagement([kept])
    empty = make_partner("Empty One")
    db.session.add(Contact(partner=empty, name="Someone"))
    db.session.commit()
    empty_id, kept_id = empty.id, kept.id

    confirm = manager_client.get(f"/partners/{empty_id}/delete").get_data(as_text=True)
    assert "An admin can restore it" in confirm and "1 contact(s)" in confirm
    assert db.session.get(Partner, empty_id) is not None  # GET deletes nothing

    response = post_form(manager_client, f"/partners/{empty_id}/delete", {})
    assert response.status_code == 302
    assert db.session.get(Partner, empty_id) is None
    assert db.session.scalar(select(func.count()).select_from(Contact)) == 0

    blocked = manager_client.get(f"/partners/{kept_id}/delete").get_data(as_text=True)
    assert "1 engagement hang on it" in blocked
    post_form(manager_client, f"/partners/{kept_id}/delete", {}, form_url="/partners")
    assert db.session.get(Partner, kept_id) is not None


def test_partner_page_shows_health_contacts_timeline_and_follow_ups(manager_client):
    partner = make_partner("HIPA", cadence_days=30)
    other = make_partner("Voltmodul", kind="tier1_supplier")
    owner = make_user("owner", name="Jan Dvořák")
    old = make_engagement([partner], occurred_on=today() - timedelta(days=50), subject="Old talk")
    new = make_engagement(
        [partner, other], occurred_on=today() - timedelta(days=10), subject="Kick-off"
    )
    from tests.factories import make_follow_up

    make_follow_up(new, owner=owner, due_on=today() - timedelta(days=2), title="Send capex plan")
    make_follow_up(old, owner=owner, done_on=today(), title="Finished thing")
    db.session.add(Contact(partner=partner, name="Gábor Szabó", email="g@hipa.example"))
    db.session.commit()

    html = manager_client.get(f"/partners/{partner.id}").get_data(as_text=True)
    assert "Gábor Szabó" in html
    assert html.index("Kick-off") < html.index("Old talk")  # newest first
    assert "with Voltmodul" in html
    assert "Send capex plan" in html and "2 days overdue" in html
    assert "Finished thing" not in html  # only open follow-ups
    assert "Last engagement 10 days ago, within the 30-day cadence; 1 overdue follow-up" in html
