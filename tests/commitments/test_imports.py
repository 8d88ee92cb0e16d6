"""Milestone imports keep every rule the milestone form keeps, with the form's message."""

import html as html_lib
import re
from datetime import timedelta

import pandas as pd
import pytest
from sqlalchemy import func, select

from tests.conftest import post_form
from tests.factories import make_commitment, make_milestone, make_user
from tracker.commitments import operations
from tracker.commitments.imports import MILESTONES
from tracker.commitments.models import Milestone
from tracker.core import imports
from tracker.core.errors import DomainError
from tracker.core.models import AuditEvent
from tracker.core.types import today
from tracker.extensions import db

HEADER = ["Commitment", "Milestone", "Due", "Status", "Completed on", "Evidence"]
FORM_ERROR = re.compile(
    r'<div class="field has-error">\s*<label for="(\w+)".*?<p class="error">([^<]+)</p>', re.S
)
HEADERS = {"due_on": "Due", "completed_on": "Completed on", "status": "Status"}


def _csv(rows: list[list]) -> bytes:
    return pd.DataFrame(rows, columns=HEADER, dtype=object).to_csv(index=False).encode()


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(Milestone))


@pytest.fixture
def commitment(owner_client):
    commitment = make_commitment(
        "co_investment",
        owner=owner_client.user,
        title="Joint lab",
        end_on=today() + timedelta(days=100),
    )
    make_milestone(commitment, title="Design", due_on=today() + timedelta(days=10))
    db.session.commit()
    return commitment


def _form_error(client, url: str, data: dict) -> tuple[str, str]:
    """(field, message) of the one error the milestone form shows."""
    response = post_form(client, url, data, form_url=url)
    assert response.status_code == 200
    [(field, message)] = FORM_ERROR.findall(response.get_data(as_text=True))
    return field, html_lib.unescape(message)


def _import_reasons(user, rows: list[list]) -> list[str]:
    preview = imports.parse_upload(MILESTONES, "m.csv", _csv(rows), user)
    assert not preview.file_errors
    [error] = preview.errors
    return error.reasons


TOMORROW = today() + timedelta(days=1)
CASES = {
    # rule: (form values, the same values as an import row)
    "due after the commitment ends": (
        {"due_on": (today() + timedelta(days=101)).isoformat(), "status": "planned"},
        [(today() + timedelta(days=101)).isoformat(), "Planned", ""],
    ),
    "completed in the future": (
        {"status": "done", "completed_on": TOMORROW.isoformat()},
        [None, "Done", TOMORROW.isoformat()],
    ),
    "completed but not done": (
        {"status": "in_progress", "completed_on": today().isoformat()},
        [None, "In progress", today().isoformat()],
    ),
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("action", ["create", "update"])
def test_an_import_row_breaking_a_milestone_rule_gets_the_forms_message(
    owner_client, commitment, case, action
):
    form_values, (due, status, completed) = CASES[case]
    due = due or (today() + timedelta(days=20)).isoformat()
    title = "Design" if action == "update" else "Permit"
    if action == "update":
        design = commitment.milestones[0]
        url = f"/milestones/{design.id}/edit"
    else:
        url = f"/commitments/{commitment.id}/milestones/new"
    data = {"title": title, "due_on": due, "completed_on": "", "evidence_note": ""}
    field, message = _form_error(owner_client, url, {**data, **form_values})
    reasons = _import_reasons(owner_client.user, [["Joint lab", title, due, status, completed, ""]])
    assert reasons == [f"{HEADERS[field]}: {message}"]
    db.session.rollback()
    assert _count() == 1  # neither the form nor the preview wrote anything
    assert commitment.milestones[0].status == "planned"


def test_an_import_row_for_someone_elses_commitment_gets_the_operations_message(
    owner_client, commitment
):
    theirs = make_commitment("co_investment", title="Theirs", owner=make_user("owner", name="Jo"))
    db.session.commit()
    due = (today() + timedelta(days=20)).isoformat()
    reasons = _import_reasons(owner_client.user, [["Theirs", "Kick-off", due, "", "", ""]])
    assert reasons == ["Commitment: You may not edit Theirs, which Jo owns."]
    with pytest.raises(DomainError) as refused:  # the API's answer
        operations.create_milestone(theirs, {"title": "Kick-off"}, actor=owner_client.user)
    assert refused.value.message == "You may not edit Theirs, which Jo owns."
    # The form's answer is a 403, before any value is read.
    assert owner_client.get(f"/commitments/{theirs.id}/milestones/new").status_code == 403
    assert _count() == 1


def test_a_good_file_creates_and_updates_through_the_operations(owner_client, commitment):
    soon = (today() + timedelta(days=20)).isoformat()
    rows = [
        ["joint lab", "design", soon, "Done", None, "Signed off"],
        ["Joint lab", "Build", soon, None, None, None],
        ["Joint lab", "Test", soon, None, None, None],
    ]
    preview = imports.parse_upload(MILESTONES, "m.csv", _csv(rows), owner_client.user)
    assert preview.ok, preview.errors
    assert (len(preview.creates), len(preview.updates)) == (2, 1)
    assert _count() == 1  # the preview wrote nothing
    imports.apply(preview, owner_client.user)
    milestones = {m.title: m for m in db.session.scalars(select(Milestone))}
    design = milestones["Design"]  # the stored spelling stays
    assert (design.status, design.completed_on, design.evidence_note) == (
        "done",
        today(),
        "Signed off",
    )
    assert (milestones["Build"].position, milestones["Test"].position) == (1, 2)
    events = list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)))
    assert [(e.action, e.entity_type, e.parent_id, e.user_id) for e in events] == [
        ("update", "milestones", commitment.id, owner_client.user.id),
        ("create", "milestones", commitment.id, owner_client.user.id),
        ("create", "milestones", commitment.id, owner_client.user.id),
    ]
    # Reopening by import clears the completion date, as the form does.
    reopen = [["Joint lab", "Design", soon, "Planned", None, None]]
    imports.apply(imports.parse_upload(MILESTONES, "m.csv", _csv(reopen)), None)
    db.session.expire_all()
    assert db.session.get(Milestone, design.id).completed_on is None
