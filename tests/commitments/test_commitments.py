"""Creating, editing and deleting commitments: forms by kind, bad input, ownership, audit."""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from sqlalchemy import func, select

from tests.conftest import csrf_token, post_form
from tests.factories import (
    make_commitment,
    make_contribution,
    make_incentive,
    make_milestone,
    make_obligation,
    make_partner,
    make_region,
    make_user,
)
from tests.helpers import coinvest_form
from tracker.commitments.models import (
    AnchorVolumeCommitment,
    CoInvestment,
    Commitment,
    CommitmentKind,
    TrainingProgramme,
)
from tracker.core.models import AuditEvent
from tracker.core.types import today
from tracker.extensions import db


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(Commitment))


def _events(commitment) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.entity_type == "commitments", AuditEvent.entity_id == commitment.id)
            .order_by(AuditEvent.id)
        )
    )


# --- Choosing the kind -----------------------------------------------------------


def test_new_without_kind_lists_the_five_kinds(owner_client):
    html = owner_client.get("/commitments/new").get_data(as_text=True)
    for kind in CommitmentKind:
        assert f"/commitments/new?kind={kind.value}" in html
        assert kind.label in html


def test_unknown_kind_in_the_url_goes_back_to_the_choice(owner_client):
    response = owner_client.get("/commitments/new?kind=spaceship")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Unknown kind of commitment" in html
    assert "/commitments/new?kind=co_investment" in html


@pytest.mark.parametrize(
    ("kind", "present", "absent"),
    [
        ("anchor_volume", ["committed_volume", "volume_unit", "volume_period", "volume_taken"],
         ["budget", "site_name", "target_participants"]),
        ("capacity_expansion", ["target_capacity", "capacity_unit"], ["budget", "volume_unit"]),
        ("co_location", ["site_name"], ["budget", "committed_volume"]),
        ("co_investment", ["budget", "spend_to_date"], ["committed_volume", "value"]),
        ("training_programme",
         ["cohorts", "target_participants", "enrolled_participants", "completed_participants",
          "obligation_id"],
         ["budget", "site_name"]),
    ],
)  # fmt: skip
def test_form_fields_follow_the_kind(owner_client, kind, present, absent):
    html = owner_client.get(f"/commitments/new?kind={kind}").get_data(as_text=True)
    for name in present + ["title", "counterparty_id", "start_on", "end_on", "currency"]:
        assert f'name="{name}"' in html, name
    for name in absent:
        assert f'name="{name}"' not in html, name
    assert f'name="kind" type="hidden" value="{kind}"' in html


def test_counterparty_choices_follow_the_kind(owner_client):
    tier1 = make_partner("Voltmodul Kft.", kind="tier1_supplier")
    school = make_partner("Széchenyi István University", kind="education_provider")
    agency = make_partner("HIPA", kind="economic_agency")
    db.session.commit()
    anchor = owner_client.get("/commitments/new?kind=anchor_volume").get_data(as_text=True)
    assert tier1.name in anchor and school.name not in anchor and agency.name not in anchor
    assert "Tier-1 supplier" in anchor
    training = owner_client.get("/commitments/new?kind=training_programme").get_data(as_text=True)
    assert school.name in training and tier1.name not in training
    assert "Education partner" in training
    co = owner_client.get("/commitments/new?kind=co_investment").get_data(as_text=True)
    assert all(p.name in co for p in (tier1, school, agency))


def test_training_form_offers_incentive_obligations(owner_client):
    incentive = make_incentive(title="VIP cash grant")
    make_obligation(incentive, target="24000", kind="training_hours", unit="hours",
                    description="Accredited training hours")  # fmt: skip
    db.session.commit()
    html = owner_client.get("/commitments/new?kind=training_programme").get_data(as_text=True)
    assert "VIP cash grant — Accredited training hours" in html


# --- Creating ------------------------------------------------------------------


def test_owner_creates_a_co_investment_and_owns_it(owner_client):
    partner = make_partner("VoltCert", kind="testing_certification")
    db.session.commit()
    response = post_form(
        owner_client,
        "/commitments/new?kind=co_investment",
        coinvest_form(partner, owner_id="999"),  # a crafted owner is ignored
    )
    assert response.status_code == 302
    commitment = db.session.scalar(select(Commitment))
    assert isinstance(commitment, CoInvestment)
    assert response.headers["Location"] == f"/commitments/{commitment.id}"
    assert commitment.owner_id == owner_client.user.id
    assert commitment.currency == "EUR"
    assert commitment.budget == commitment.value == Decimal("1000000")
    [event] = _events(commitment)
    assert event.action == "create" and event.user_id == owner_client.user.id
    assert event.summary == "Created co-investment Shared battery test centre"
    assert event.changes["budget"]["new"] == "1000000.00"
    assert event.changes["budget"]["label"] == "Budget"
    assert event.changes["budget"]["new_text"] == "EUR 1,000,000"
    assert event.changes["counterparty_id"]["new_text"] == "VoltCert"
    page = owner_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Shared battery test centre" in page and "EUR 1,000,000" in page


def test_manager_chooses_the_owner(manager_client):
    partner = make_partner(kind="tier1_supplier")
    owner = make_user("owner", name="Jan Dvořák")
    db.session.commit()
    data = {
        "kind": "anchor_volume",
        "title": "Anchor volume – modules",
        "status": "active",
        "counterparty_id": str(partner.id),
        "owner_id": str(owner.id),
        "start_on": "2026-01-01",
        "end_on": "2028-12-31",
        "currency": "EUR",
        "value": "36000000",
        "committed_volume": "120000",
        "volume_unit": "modules",
        "volume_period": "year",
        "volume_taken": "0",
    }
    response = post_form(manager_client, "/commitments/new?kind=anchor_volume", data)
    assert response.status_code == 302
    commitment = db.session.scalar(select(AnchorVolumeCommitment))
    assert commitment.owner_id == owner.id
    assert commitment.committed_volume == 120000 and commitment.volume_period == "year"


def test_owner_has_no_owner_field(owner_client):
    html = owner_client.get("/commitments/new?kind=co_location").get_data(as_text=True)
    assert 'name="owner_id"' not in html


def test_crafted_unknown_kind_is_refused_and_nothing_saved(owner_client):
    partner = make_partner()
    db.session.commit()
    response = post_form(
        owner_client,
        "/commitments/new?kind=co_investment",
        coinvest_form(partner, kind="spaceship"),
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Unknown kind of commitment" in html
    assert _count() == 0


def test_negative_volume_is_refused_and_what_was_typed_stays(owner_client):
    partner = make_partner(kind="tier1_supplier")
    db.session.commit()
    data = {
        "kind": "anchor_volume",
        "title": "Anchor <b>volume</b>",
        "status": "active",
        "counterparty_id": str(partner.id),
        "start_on": "2026-01-01",
        "end_on": "2028-12-31",
        "currency": "EUR",
        "committed_volume": "-5",
        "volume_unit": "modules",
        "volume_period": "year",
        "volume_taken": "0",
    }
    response = post_form(owner_client, "/commitments/new?kind=anchor_volume", data)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "cannot be negative" in html
    assert 'value="-5"' in html
    assert 'value="Anchor &lt;b&gt;volume&lt;/b&gt;"' in html
    assert _count() == 0


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"end_on": "2025-01-01", "start_on": "2026-01-01"}, "is before the start date"),
        ({"currency": "XYZ"}, "is not an ISO 4217 currency code"),
        ({"budget": "-1"}, "no negative amounts"),
        ({"budget": "1,5"}, "without commas"),
        ({"budget": "NaN"}, "Enter a number"),
        ({"budget": "12.345"}, "at most 2 decimal places"),
        ({"budget": "1e20"}, "Enter an amount below 9,000,000,000,000,000."),
        ({"budget": ""}, "Enter an amount."),
        ({"spend_to_date": "-0.01"}, "no negative amounts"),
        ({"title": ""}, "This field is required."),
        ({"counterparty_id": "99999"}, "Not a valid choice"),
    ],
)
def test_bad_input_gets_a_message_and_saves_nothing(owner_client, overrides, message):
    partner = make_partner()
    db.session.commit()
    response = post_form(
        owner_client, "/commitments/new?kind=co_investment", coinvest_form(partner, **overrides)
    )
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert _count() == 0


def test_training_cannot_complete_more_than_enrolled(owner_client):
    school = make_partner(kind="education_provider")
    db.session.commit()
    data = {
        "kind": "training_programme",
        "title": "Technicians",
        "status": "active",
        "counterparty_id": str(school.id),
        "start_on": "2026-01-01",
        "end_on": "2027-12-31",
        "currency": "HUF",
        "target_participants": "90",
        "enrolled_participants": "20",
        "completed_participants": "21",
        "obligation_id": "",
    }
    response = post_form(owner_client, "/commitments/new?kind=training_programme", data)
    assert "21 participants completed, but only 20 enrolled." in response.get_data(as_text=True)
    assert _count() == 0
    data["completed_participants"] = "20"
    assert (
        post_form(owner_client, "/commitments/new?kind=training_programme", data).status_code == 302
    )
    programme = db.session.scalar(select(TrainingProgramme))
    assert programme.completed_participants == 20 and programme.obligation_id is None


def test_training_links_an_obligation(owner_client):
    school = make_partner(kind="education_provider")
    incentive = make_incentive(title="VIP cash grant")
    obligation = make_obligation(incentive, target="24000", kind="training_hours", unit="hours")
    db.session.commit()
    data = {
        "kind": "training_programme",
        "title": "Technicians",
        "status": "active",
        "counterparty_id": str(school.id),
        "start_on": "2026-01-01",
        "end_on": "2027-12-31",
        "currency": "HUF",
        "target_participants": "90",
        "obligation_id": str(obligation.id),
    }
    response = post_form(owner_client, "/commitments/new?kind=training_programme", data)
    assert response.status_code == 302
    html = owner_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "VIP cash grant" in html and "target 24,000 hours" in html


def test_anchor_counterparty_must_be_a_tier1_supplier_even_when_crafted(owner_client):
    agency = make_partner(kind="economic_agency")
    db.session.commit()
    data = {
        "kind": "anchor_volume",
        "title": "Volume",
        "status": "active",
        "counterparty_id": str(agency.id),
        "start_on": "2026-01-01",
        "end_on": "2026-12-31",
        "currency": "EUR",
        "committed_volume": "10",
        "volume_unit": "units",
        "volume_period": "year",
    }
    response = post_form(owner_client, "/commitments/new?kind=anchor_volume", data)
    assert "Not a valid choice" in response.get_data(as_text=True)
    assert _count() == 0


# --- Editing and ownership ---------------------------------------------------------


def test_owner_edits_their_own_and_the_change_is_audited(owner_client):
    commitment = make_commitment("co_investment", owner=owner_client.user, title="Bench")
    db.session.commit()
    url = f"/commitments/{commitment.id}/edit"
    html = owner_client.get(url).get_data(as_text=True)
    assert 'name="kind"' not in html and 'value="Bench"' in html
    data = coinvest_form(commitment.counterparty, title="NVH bench", spend_to_date="2500")
    data["kind"] = "anchor_volume"  # the kind cannot change
    response = post_form(owner_client, url, data)
    assert response.status_code == 302
    db.session.expire_all()
    commitment = db.session.get(Commitment, commitment.id)
    assert isinstance(commitment, CoInvestment) and commitment.kind == "co_investment"
    assert commitment.title == "NVH bench" and commitment.spend_to_date == Decimal("2500")
    event = _events(commitment)[-1]
    assert event.action == "update"
    assert event.stored_change("title") == ("Bench", "NVH bench")
    assert event.stored_change("spend_to_date") == ("0.00", "2500.00")
    spend = event.changes["spend_to_date"]
    assert (spend["label"], spend["old_text"], spend["new_text"]) == (
        "Spend to date",
        "EUR 0",
        "EUR 2,500",
    )


def test_owner_gets_403_on_someone_elses_commitment_by_url(owner_client):
    other = make_commitment("co_investment", owner=make_user("owner"))
    milestone = make_milestone(other)
    contribution = make_contribution(other)
    db.session.commit()
    token = csrf_token(owner_client, "/commitments/new?kind=co_investment")
    for url in (
        f"/commitments/{other.id}/edit",
        f"/commitments/{other.id}/delete",
        f"/commitments/{other.id}/milestones/new",
        f"/commitments/{other.id}/contributions/new",
        f"/milestones/{milestone.id}/edit",
        f"/milestones/{milestone.id}/delete",
        f"/contributions/{contribution.id}/edit",
        f"/contributions/{contribution.id}/delete",
    ):
        assert owner_client.get(url).status_code == 403, url
        assert owner_client.post(url, data={"csrf_token": token}).status_code == 403, url
    response = owner_client.post(
        f"/milestones/{milestone.id}/move", data={"csrf_token": token, "direction": "up"}
    )
    assert response.status_code == 403
    # They can still read it, without edit buttons.
    html = owner_client.get(f"/commitments/{other.id}").get_data(as_text=True)
    assert ">Edit<" not in html and "Add a milestone" not in html
    assert ">Add contribution<" not in html


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_managers_and_admins_edit_every_commitment(request, role):
    client = request.getfixturevalue(f"{role}_client")
    commitment = make_commitment("co_location", owner=make_user("owner"), site_name="Hall C")
    db.session.commit()
    url = f"/commitments/{commitment.id}/edit"
    html = client.get(url).get_data(as_text=True)
    assert 'name="owner_id"' in html
    data = {
        "title": "Co-location, halls C and D",
        "status": "active",
        "counterparty_id": str(commitment.counterparty_id),
        "owner_id": str(commitment.owner_id),
        "start_on": commitment.start_on.isoformat(),
        "end_on": commitment.end_on.isoformat(),
        "currency": "HUF",
        "site_name": "Halls C and D",
    }
    assert post_form(client, url, data).status_code == 302
    db.session.expire_all()
    assert db.session.get(Commitment, commitment.id).site_name == "Halls C and D"


def test_viewer_reads_but_changes_nothing(viewer_client):
    commitment = make_commitment("co_investment")
    make_milestone(commitment)
    make_contribution(commitment)
    db.session.commit()
    for path in ("/commitments", f"/commitments/{commitment.id}", "/milestones?scope=everyone"):
        html = viewer_client.get(path).get_data(as_text=True)
        for label in (">New commitment<", ">Edit<", ">Delete…<", "Add a milestone",
                      ">Add contribution<", ">Remove<", "Move up"):  # fmt: skip
            assert label not in html, (path, label)
    assert viewer_client.get("/commitments/new").status_code == 403
    assert viewer_client.get(f"/commitments/{commitment.id}/edit").status_code == 403


def test_end_date_cannot_move_before_a_milestone(owner_client):
    commitment = make_commitment("co_investment", owner=owner_client.user)
    make_milestone(commitment, title="Bench installed", due_on=commitment.end_on)
    db.session.commit()
    earlier = commitment.end_on - timedelta(days=1)
    data = coinvest_form(
        commitment.counterparty,
        start_on=commitment.start_on.isoformat(),
        end_on=earlier.isoformat(),
    )
    response = post_form(owner_client, f"/commitments/{commitment.id}/edit", data)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f"Milestones are due after {earlier.isoformat()}" in html
    assert "“Bench installed”" in html
    db.session.expire_all()
    assert db.session.get(Commitment, commitment.id).end_on == earlier + timedelta(days=1)


def test_budget_cannot_drop_below_the_contributions(owner_client):
    commitment = make_commitment("co_investment", owner=owner_client.user)
    make_contribution(commitment, "600000")
    make_contribution(commitment, "300000", partner=make_partner("VoltCert"))
    db.session.commit()
    data = coinvest_form(
        commitment.counterparty,
        start_on=commitment.start_on.isoformat(),
        end_on=commitment.end_on.isoformat(),
        budget="850000",
    )
    response = post_form(owner_client, f"/commitments/{commitment.id}/edit", data)
    html = response.get_data(as_text=True)
    assert "Contributions would add up to EUR 900,000" in html
    assert "more than the budget of EUR 850,000 by EUR 50,000" in html
    db.session.expire_all()
    assert db.session.get(Commitment, commitment.id).budget == Decimal("1000000")


def test_unknown_ids_are_404(manager_client):
    for url in (
        "/commitments/999",
        "/commitments/999/edit",
        "/commitments/999/delete",
        "/commitments/999/milestones/new",
        "/commitments/999/contributions/new",
        "/milestones/999/edit",
        "/milestones/999/delete",
        "/contributions/999/edit",
        "/contributions/999/delete",
    ):
        assert manager_client.get(url).status_code == 404, url
    token = csrf_token(manager_client, "/commitments/new?kind=co_investment")
    response = manager_client.post("/milestones/999/move", data={"csrf_token": token})
    assert response.status_code == 404


def test_contributions_only_exist_on_co_investments(manager_client):
    anchor = make_commitment("anchor_volume")
    db.session.commit()
    assert manager_client.get(f"/commitments/{anchor.id}/contributions/new").status_code == 404


def test_delete_asks_first_then_deletes_with_milestones(owner_client):
    commitment = make_commitment("co_investment", owner=owner_client.user, title="Bench")
    make_milestone(commitment)
    make_contribution(commitment)
    db.session.commit()
    url = f"/commitments/{commitment.id}/delete"
    page = owner_client.get(url).get_data(as_text=True)
    assert "Delete “Bench”?" in page and "1 milestone(s) are deleted with it." in page
    assert _count() == 1
    response = post_form(owner_client, url, {})
    assert response.status_code == 302 and response.headers["Location"] == "/commitments"
    assert _count() == 0
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "delete"))
    assert event.summary == "Deleted co-investment Bench"


def test_html_in_user_input_is_escaped(viewer_client):
    commitment = make_commitment(
        "co_investment", title="<script>alert(1)</script>", description="<b>bold</b>"
    )
    make_milestone(commitment, title="<img src=x onerror=alert(1)>")
    db.session.commit()
    for path in (f"/commitments/{commitment.id}", "/commitments", "/milestones?scope=everyone"):
        html = viewer_client.get(path).get_data(as_text=True)
        assert "<script>alert(1)</script>" not in html
        assert "<img src=x" not in html
    html = viewer_client.get(f"/commitments/{commitment.id}").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&lt;b&gt;bold&lt;/b&gt;" in html


@pytest.mark.parametrize("kind", [kind.value for kind in CommitmentKind])
def test_every_kind_has_a_page(viewer_client, kind):
    commitment = make_commitment(kind, region=make_region("Győr–Moson–Sopron"))
    make_milestone(commitment, due_on=today() - timedelta(days=2), title="Late one")
    db.session.commit()
    html = viewer_client.get(f"/commitments/{commitment.id}").get_data(as_text=True)
    assert commitment.title in html and "Győr–Moson–Sopron" in html
    assert re.search(r'class="badge red"[^>]*>Red<', html)
    assert "“Late one” is 2 days overdue." in html


def test_anchor_page_shows_volume_progress_over_time(owner_client):
    # Time only moves forward here: the signed-in session would not survive going back.
    start = today() - timedelta(days=100)
    commitment = make_commitment(
        "anchor_volume",
        owner=owner_client.user,
        start_on=start,
        end_on=start + timedelta(days=400),
        committed_volume=Decimal(1000),
        volume_period="total",
        volume_taken=Decimal(100),
    )
    db.session.commit()
    data = {
        "title": commitment.title,
        "status": "active",
        "counterparty_id": str(commitment.counterparty_id),
        "start_on": start.isoformat(),
        "end_on": (start + timedelta(days=400)).isoformat(),
        "currency": "EUR",
        "committed_volume": "1000",
        "volume_unit": "modules",
        "volume_period": "total",
        "volume_taken": "250",
    }
    later = datetime.now(UTC) + timedelta(days=20)
    with time_machine.travel(later, tick=False):
        url = f"/commitments/{commitment.id}/edit"
        assert post_form(owner_client, url, data).status_code == 302
        html = owner_client.get(f"/commitments/{commitment.id}").get_data(as_text=True)
    assert "Progress over time" in html
    readings = re.findall(
        r"<td>(\d{4}-\d\d-\d\d)</td>\s*<td class=\"num\">([\d,]+)</td>\s*"
        r"<td class=\"num\">([\d,]+)</td>\s*<td class=\"num\">(\d+%)</td>",
        html,
    )
    # Before the change and after it, each against the volume expected by that date
    # (1,000 over 400 days: 250 after 100 days, 300 after 120).
    assert readings == [
        (today().isoformat(), "100", "250", "40%"),
        (later.date().isoformat(), "250", "300", "83%"),
    ]
