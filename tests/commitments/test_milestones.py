"""Milestones: dates that make sense, completion, reordering, deletion, and the /milestones list."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.conftest import csrf_token, post_form
from tests.factories import make_commitment, make_milestone, make_user
from tracker.commitments.models import Milestone
from tracker.core.models import AuditEvent
from tracker.core.types import today
from tracker.extensions import db

ROW_TITLE = re.compile(r'<tr class="[^"]*">\s*<td>([^<]+)</td>')


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(Milestone))


@pytest.fixture
def commitment(owner_client):
    commitment = make_commitment("co_investment", owner=owner_client.user, title="Test bench")
    db.session.commit()
    return commitment


def _data(**overrides) -> dict:
    data = {
        "title": "Building permit",
        "due_on": (today() + timedelta(days=30)).isoformat(),
        "status": "planned",
        "completed_on": "",
        "evidence_note": "",
    }
    data.update(overrides)
    return data


def test_add_milestone_from_the_commitment_page(owner_client, commitment):
    page = f"/commitments/{commitment.id}"
    response = post_form(
        owner_client, f"/commitments/{commitment.id}/milestones/new", _data(), form_url=page
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/commitments/{commitment.id}#milestones"
    milestone = db.session.scalar(select(Milestone))
    assert milestone.title == "Building permit" and milestone.position == 0
    event = db.session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()))
    assert (event.entity_type, event.entity_id) == ("milestones", milestone.id)
    assert (event.parent_type, event.parent_id) == ("commitments", commitment.id)
    assert event.summary.startswith("Added milestone “Building permit” due ")
    assert "Building permit" in owner_client.get(page).get_data(as_text=True)


def test_milestone_due_after_the_commitment_ends_is_refused(owner_client, commitment):
    late = commitment.end_on + timedelta(days=1)
    response = post_form(
        owner_client,
        f"/commitments/{commitment.id}/milestones/new",
        _data(due_on=late.isoformat(), title="Too late"),
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f"The commitment ends on {commitment.end_on.isoformat()}" in html
    assert 'value="Too late"' in html and f'value="{late.isoformat()}"' in html
    assert _count() == 0
    on_the_day = _data(due_on=commitment.end_on.isoformat())
    url = f"/commitments/{commitment.id}/milestones/new"
    assert post_form(owner_client, url, on_the_day).status_code == 302


def test_a_milestone_before_the_start_is_labelled_as_preparation(owner_client, commitment):
    make_milestone(
        commitment, title="Board decision", due_on=commitment.start_on - timedelta(days=1)
    )
    make_milestone(commitment, title="Permit", due_on=commitment.start_on)
    db.session.commit()
    html = owner_client.get(f"/commitments/{commitment.id}").get_data(as_text=True)
    label = f"before the start ({commitment.start_on.isoformat()}): preparation"
    assert html.count(label) == 1
    assert html.index("Board decision") < html.index(label) < html.index("Permit")


def test_completion_date_in_the_future_is_refused(owner_client, commitment):
    tomorrow = today() + timedelta(days=1)
    response = post_form(
        owner_client,
        f"/commitments/{commitment.id}/milestones/new",
        _data(status="done", completed_on=tomorrow.isoformat()),
    )
    html = response.get_data(as_text=True)
    assert f"The completion date {tomorrow.isoformat()} is in the future" in html
    assert _count() == 0


def test_completion_date_needs_status_done(owner_client, commitment):
    response = post_form(
        owner_client,
        f"/commitments/{commitment.id}/milestones/new",
        _data(status="in_progress", completed_on=today().isoformat()),
    )
    assert "Only a done milestone has a completion date" in response.get_data(as_text=True)
    assert _count() == 0


def test_completing_without_a_date_means_today_and_is_audited(owner_client, commitment):
    milestone = make_milestone(commitment, title="Permit", due_on=today() + timedelta(days=3))
    db.session.commit()
    url = f"/milestones/{milestone.id}/edit"
    assert 'value="Permit"' in owner_client.get(url).get_data(as_text=True)
    data = _data(
        title="Permit",
        due_on=milestone.due_on.isoformat(),
        status="done",
        evidence_note="Permit no. 4411/2026",
    )
    assert post_form(owner_client, url, data).status_code == 302
    db.session.expire_all()
    milestone = db.session.get(Milestone, milestone.id)
    assert milestone.status == "done" and milestone.completed_on == today()
    event = db.session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()))
    assert event.summary == "Edited milestone “Permit”"
    assert event.stored_change("status") == ("planned", "done")
    assert event.changes["status"]["new_text"] == "Done"
    assert event.stored_change("completed_on") == (None, today().isoformat())


def test_reopening_a_milestone_clears_nothing_silently(owner_client, commitment):
    milestone = make_milestone(commitment, status="done", completed_on=today())
    db.session.commit()
    data = _data(title=milestone.title, due_on=milestone.due_on.isoformat(), status="planned")
    assert post_form(owner_client, f"/milestones/{milestone.id}/edit", data).status_code == 302
    db.session.expire_all()
    assert db.session.get(Milestone, milestone.id).completed_on is None


def _titles(client, commitment) -> list[str]:
    html = client.get(f"/commitments/{commitment.id}").get_data(as_text=True)
    section = html[html.index('id="milestones"') :]
    return re.findall(r'<td class="num">\d+</td>\s*<td>([^<]+)</td>', section)


def test_milestones_move_up_and_down(owner_client, commitment):
    first, second, third = (
        make_milestone(commitment, title=title, position=0) for title in ("A", "B", "C")
    )
    db.session.commit()
    assert _titles(owner_client, commitment) == ["A", "B", "C"]
    token = csrf_token(owner_client, f"/commitments/{commitment.id}")

    def move(milestone, direction):
        return owner_client.post(
            f"/milestones/{milestone.id}/move",
            data={"csrf_token": token, "direction": direction},
        )

    assert move(third, "up").status_code == 302
    assert _titles(owner_client, commitment) == ["A", "C", "B"]
    move(first, "down")
    assert _titles(owner_client, commitment) == ["C", "A", "B"]
    move(third, "up")  # already first: nothing changes
    assert _titles(owner_client, commitment) == ["C", "A", "B"]
    move(second, "down")  # already last
    assert _titles(owner_client, commitment) == ["C", "A", "B"]
    assert move(first, "sideways").status_code == 400
    summaries = list(
        db.session.scalars(
            select(AuditEvent.summary).where(AuditEvent.summary.like("Moved milestone%"))
        )
    )
    assert summaries == ["Moved milestone “C” up", "Moved milestone “A” down"]


def test_delete_milestone_asks_first(owner_client, commitment):
    milestone = make_milestone(commitment, title="Permit")
    db.session.commit()
    url = f"/milestones/{milestone.id}/delete"
    page = owner_client.get(url).get_data(as_text=True)
    assert "Delete the milestone “Permit”?" in page and "An admin can restore it" in page
    assert _count() == 1
    assert post_form(owner_client, url, {}).status_code == 302
    assert _count() == 0
    event = db.session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()))
    assert event.summary == "Deleted milestone “Permit”"


def test_milestone_form_errors_keep_the_input(owner_client, commitment):
    response = post_form(
        owner_client,
        f"/commitments/{commitment.id}/milestones/new",
        _data(due_on="31/12/2026", title="Handover", evidence_note="<i>note</i>"),
    )
    html = response.get_data(as_text=True)
    assert "Enter the due date (YYYY-MM-DD)." in html
    assert 'value="Handover"' in html and "&lt;i&gt;note&lt;/i&gt;" in html


# --- The /milestones list ------------------------------------------------------------


@pytest.fixture
def two_owners(owner_client):
    mine = make_commitment("co_location", owner=owner_client.user, title="Mine")
    theirs = make_commitment("co_investment", owner=make_user("owner"), title="Theirs")
    make_milestone(mine, title="Mine later", due_on=today() + timedelta(days=20))
    make_milestone(mine, title="Mine overdue", due_on=today() - timedelta(days=2))
    make_milestone(mine, title="Mine done", due_on=today() - timedelta(days=9), status="done",
                   completed_on=today() - timedelta(days=9))  # fmt: skip
    make_milestone(theirs, title="Theirs soon", due_on=today() + timedelta(days=3))
    make_milestone(theirs, title="Theirs very overdue", due_on=today() - timedelta(days=30))
    make_milestone(theirs, title="Theirs missed", due_on=today() + timedelta(days=5),
                   status="missed")  # fmt: skip
    db.session.commit()


def _listed(client, query="") -> list[str]:
    html = client.get(f"/milestones{query}").get_data(as_text=True)
    return ROW_TITLE.findall(html)


def test_mine_is_the_default_for_an_owner_with_commitments(owner_client, two_owners):
    assert _listed(owner_client) == ["Mine overdue", "Mine later"]


def test_everyone_lists_overdue_first_then_by_due_date(owner_client, two_owners):
    assert _listed(owner_client, "?scope=everyone") == [
        "Theirs very overdue",
        "Mine overdue",
        "Theirs missed",
        "Theirs soon",
        "Mine later",
    ]
    html = owner_client.get("/milestones?scope=everyone").get_data(as_text=True)
    assert "30 days overdue" in html and "in 3 days" in html


def test_viewer_without_commitments_sees_everyones(viewer_client, two_owners):
    assert len(_listed(viewer_client)) == 5  # all but the done one


def test_status_and_due_date_filters(owner_client, two_owners):
    assert _listed(owner_client, "?scope=everyone&status=done") == ["Mine done"]
    assert _listed(owner_client, "?scope=everyone&status=missed") == ["Theirs missed"]
    assert len(_listed(owner_client, "?scope=everyone&status=all")) == 6
    start = (today() - timedelta(days=5)).isoformat()
    end = (today() + timedelta(days=10)).isoformat()
    assert _listed(owner_client, f"?scope=everyone&due_from={start}&due_to={end}") == [
        "Mine overdue",
        "Theirs missed",
        "Theirs soon",
    ]
    assert _listed(owner_client, "?scope=everyone&kind=co_location") == [
        "Mine overdue",
        "Mine later",
    ]


def test_due_range_backwards_gets_a_message(owner_client, two_owners):
    response = owner_client.get("/milestones?scope=everyone&due_from=2026-06-01&due_to=2026-05-01")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "The end date is before the start date." in html
    assert 'value="2026-06-01"' in html


def test_list_paginates_50_a_page(viewer_client):
    commitment = make_commitment("co_location", end_on=today() + timedelta(days=400))
    for n in range(60):
        make_milestone(commitment, title=f"Step {n:02d}", due_on=today() + timedelta(days=n))
    db.session.commit()
    first = viewer_client.get("/milestones?scope=everyone").get_data(as_text=True)
    assert "1–50 of 60 milestones" in first and "page=2" in first
    assert len(ROW_TITLE.findall(first)) == 50
    second = viewer_client.get("/milestones?scope=everyone&page=2").get_data(as_text=True)
    assert ROW_TITLE.findall(second) == [f"Step {n}" for n in range(50, 60)]
    beyond = viewer_client.get("/milestones?scope=everyone&page=3")
    assert beyond.status_code == 200 and ROW_TITLE.findall(beyond.get_data(as_text=True)) == []


def test_not_done_leaves_out_finished_commitments(owner_client):
    cancelled = make_commitment("co_location", owner=owner_client.user, status="cancelled")
    make_milestone(cancelled, title="Press relocation", status="missed",
                   due_on=today() - timedelta(days=40))  # fmt: skip
    db.session.commit()
    assert _listed(owner_client, "?scope=everyone") == []
    assert _listed(owner_client, "?scope=everyone&status=missed") == ["Press relocation"]
