"""The status pipeline: every allowed and every refused transition."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from tests.conftest import post_form
from tests.factories import make_incentive
from tracker.core.errors import DomainError
from tracker.core.models import AuditEvent
from tracker.core.types import today
from tracker.extensions import db
from tracker.incentives.models import Incentive, IncentiveStatus, IncentiveStatusChange
from tracker.incentives.operations import transition
from tracker.incentives.services import TRANSITIONS

ALL = IncentiveStatus.values()
ALLOWED = [(a, b) for a, targets in TRANSITIONS.items() for b in targets]
REFUSED = [(a, b) for a in ALL for b in ALL if (a, b) not in ALLOWED]


def test_the_pipeline_is_the_one_users_know():
    assert ALLOWED == [
        ("identified", "preparing"),
        ("preparing", "submitted"),
        ("submitted", "awarded"),
        ("submitted", "rejected"),
        ("awarded", "in_compliance"),
        ("awarded", "clawed_back"),
        ("awarded", "withdrawn"),
        ("in_compliance", "closed"),
        ("in_compliance", "clawed_back"),
        ("in_compliance", "withdrawn"),
    ]


@pytest.mark.parametrize(("start", "target"), ALLOWED)
def test_allowed_transition_is_dated_and_recorded(start, target):
    incentive = make_incentive(status=start)
    on = date(2026, 3, 2)
    change = transition(incentive, target, on=on, note="note", actor=None, today=date(2026, 3, 5))
    assert incentive.status == target
    assert (change.from_status, change.to_status, change.changed_on) == (start, target, on)
    if target == "awarded":
        assert incentive.awarded_on == on


@pytest.mark.parametrize(("start", "target"), REFUSED)
def test_refused_transition_changes_nothing(start, target):
    incentive = make_incentive(status=start)
    with pytest.raises(DomainError, match="cannot move to"):
        transition(
            incentive, target, on=date(2026, 3, 2), note=None, actor=None, today=date(2026, 3, 5)
        )
    assert incentive.status == start
    assert db.session.scalars(select(IncentiveStatusChange)).all() == []


def _move(incentive, to_status, on):
    return transition(incentive, to_status, on=on, note=None, actor=None, today=date(2026, 3, 5))


def test_transition_cannot_be_dated_in_the_future_or_before_the_last_one():
    incentive = make_incentive(status="identified")
    with pytest.raises(DomainError, match="future"):
        _move(incentive, "preparing", date(2026, 3, 6))
    _move(incentive, "preparing", date(2026, 3, 4))
    with pytest.raises(DomainError, match="on or after the previous one"):
        _move(incentive, "submitted", date(2026, 3, 1))


def test_page_offers_only_allowed_transitions(manager_client):
    incentive = make_incentive(status="submitted")
    db.session.commit()
    html = manager_client.get(f"/incentives/{incentive.id}").get_data(as_text=True)
    offered = html[
        html.index('id="to_status"') : html.index("</select>", html.index('id="to_status"'))
    ]
    assert 'value="awarded"' in offered and 'value="rejected"' in offered
    assert 'value="closed"' not in offered and 'value="preparing"' not in offered


def test_crafted_post_of_a_refused_transition_gets_a_message_and_saves_nothing(manager_client):
    incentive = make_incentive(status="identified")
    db.session.commit()
    response = post_form(
        manager_client,
        f"/incentives/{incentive.id}/transition",
        {"to_status": "awarded", "changed_on": today().isoformat(), "note": ""},
        form_url=f"/incentives/{incentive.id}",
    )
    assert response.status_code == 200
    assert "cannot move to “awarded”" in response.get_data(as_text=True)
    assert db.session.get(Incentive, incentive.id).status == "identified"
    nonsense = post_form(
        manager_client,
        f"/incentives/{incentive.id}/transition",
        {"to_status": "teleported", "changed_on": today().isoformat()},
        form_url=f"/incentives/{incentive.id}",
    )
    assert "Not a valid choice" in nonsense.get_data(as_text=True)


def test_transition_through_the_web_is_audited_and_shown(manager_client):
    incentive = make_incentive(status="submitted")
    db.session.commit()
    day = today() - timedelta(days=1)
    response = post_form(
        manager_client,
        f"/incentives/{incentive.id}/transition",
        {"to_status": "awarded", "changed_on": day.isoformat(), "note": "Decision published"},
        form_url=f"/incentives/{incentive.id}",
    )
    assert response.status_code == 302
    saved = db.session.get(Incentive, incentive.id)
    assert saved.status == "awarded" and saved.awarded_on == day
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "transition"))
    assert event.user_id == manager_client.user.id
    assert [(c["label"], c["old_text"], c["new_text"]) for c in event.change_list] == [
        ("Status", "Submitted", "Awarded"),
        ("Awarded on", "—", day.isoformat()),
    ]
    assert event.summary == f"Moved from submitted to awarded on {day.isoformat()}"
    html = manager_client.get(f"/incentives/{incentive.id}").get_data(as_text=True)
    assert "Decision published" in html


def test_viewer_cannot_transition(viewer_client):
    incentive = make_incentive(status="identified")
    db.session.commit()
    response = post_form(
        viewer_client,
        f"/incentives/{incentive.id}/transition",
        {"to_status": "preparing", "changed_on": today().isoformat()},
        form_url="/incentives",
    )
    assert response.status_code == 403
    assert db.session.get(Incentive, incentive.id).status == "identified"
