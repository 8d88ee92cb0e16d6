"""The user operations: every rule in one place, whichever page or command calls them."""

import re

import pytest
from sqlalchemy import func, select

from tests.conftest import csrf_token, login, post_form
from tests.factories import PASSWORD, make_user
from tracker.auth import operations
from tracker.auth.models import User
from tracker.core.errors import DomainError
from tracker.core.models import AuditEvent
from tracker.extensions import db

FORM_TOKEN_RE = re.compile(r'name="form_token" type="hidden" value="([^"]+)"')


def _events(user) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.entity_type == "users", AuditEvent.entity_id == user.id)
            .order_by(AuditEvent.id)
        )
    )


def _user_count() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


# --- Nobody locks themselves out ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "field"), [({"role": "viewer"}, "role"), ({"active": False}, "active")]
)
def test_nobody_demotes_or_deactivates_themselves(values, field):
    me = make_user("admin")
    with pytest.raises(DomainError, match="cannot deactivate yourself") as refused:
        operations.update_user(me, values, actor=me)
    assert refused.value.field == field
    assert (me.role, me.active) == ("admin", True)
    assert _events(me) == []


def test_another_admin_may_demote_and_deactivate():
    me, other = make_user("admin"), make_user("admin")
    operations.update_user(other, {"role": "viewer", "active": False}, actor=me)
    assert (other.role, other.active) == ("viewer", False)
    (event,) = _events(other)
    assert event.user_id == me.id
    assert set(event.changes) == {"role", "active"}
    assert (
        event.changes["active"]["old_text"] == "Yes" and event.changes["active"]["new_text"] == "No"
    )


def test_editing_ones_own_name_is_fine():
    me = make_user("admin")
    operations.update_user(me, {"name": " New Name ", "role": "admin", "active": True}, actor=me)
    assert me.name == "New Name"


def test_deactivating_ends_the_users_sessions():
    me, other = make_user("admin"), make_user("viewer")
    token = other.session_token
    operations.set_active(other, False, actor=me)
    assert not other.active and other.session_token != token


def test_update_refuses_the_password_and_unknown_fields():
    """The undo calls update_user with a field's old value: a password is never one."""
    me, other = make_user("admin"), make_user("viewer")
    with pytest.raises(DomainError, match="cannot be changed here") as refused:
        operations.update_user(other, {"password_hash": "x"}, actor=me)
    assert refused.value.field == "password_hash"


def test_an_unchanged_save_records_nothing():
    me, other = make_user("admin"), make_user("viewer")
    operations.update_user(other, {"name": other.name}, actor=me)
    assert _events(other) == []


def test_undo_contract():
    assert operations.UPDATERS["users"] is operations.update_user
    assert list(operations.UPDATERS) == ["users"]
    assert operations.RESTORERS == {}


# --- Passwords, sessions, calendar link -------------------------------------------------------


def test_password_change_is_audited_without_the_value():
    me, other = make_user("admin"), make_user("viewer")
    old_hash, old_token = other.password_hash, other.session_token
    operations.set_password(other, "a-brand-new-pass", actor=me)
    assert other.password_hash != old_hash and other.session_token != old_token
    (event,) = _events(other)
    assert (event.summary, event.changes, event.user_id) == ("Password changed", {}, me.id)
    assert "a-brand-new-pass" not in repr(event.changes) + event.summary


def test_short_password_is_refused_on_the_password_field():
    me = make_user("admin")
    with pytest.raises(DomainError, match="at least 10") as refused:
        operations.set_password(me, "short", actor=me)
    assert refused.value.field == "password"


def test_own_password_change_needs_the_current_one():
    me = make_user("viewer")
    old_hash = me.password_hash
    with pytest.raises(DomainError, match="not your current password") as refused:
        operations.change_own_password(me, "wrong-wrong", "a-brand-new-pass")
    assert refused.value.field == "current_password" and me.password_hash == old_hash
    operations.change_own_password(me, PASSWORD, "a-brand-new-pass")
    assert _events(me)[0].user_id == me.id


def test_calendar_link_regenerated_and_audited_without_the_secret():
    me = make_user("viewer")
    old = me.calendar_token
    operations.regenerate_calendar_token(me, actor=me)
    assert me.calendar_token != old
    (event,) = _events(me)
    assert event.summary == "Regenerated calendar link" and event.changes == {}


def test_signing_oneself_out_is_not_an_edit():
    me = make_user("viewer")
    token = me.session_token
    operations.end_sessions(me, actor=me)
    assert me.session_token != token and _events(me) == []


def test_regenerating_the_calendar_link_through_the_page_is_audited(owner_client):
    me = owner_client.user
    post_form(owner_client, "/account/calendar-token", {}, form_url="/account")
    (event,) = _events(me)
    assert event.user_id == me.id and event.summary == "Regenerated calendar link"


def test_password_page_records_the_change(client):
    user = make_user("owner")
    db.session.commit()
    login(client, user.email)
    post_form(
        client,
        "/account/password",
        {
            "current_password": PASSWORD,
            "password": "a-brand-new-pass",
            "confirm": "a-brand-new-pass",
        },
    )
    (event,) = _events(user)
    assert event.summary == "Password changed" and event.user_id == user.id


def test_admin_setting_a_password_records_an_update_and_a_password_change(admin_client):
    user = make_user("viewer")
    db.session.commit()
    response = post_form(
        admin_client,
        f"/admin/users/{user.id}/edit",
        {"name": "Renamed", "role": "viewer", "active": "y", "password": "a-brand-new-pass"},
    )
    assert response.status_code == 302
    assert [(e.summary, sorted(e.changes)) for e in _events(user)] == [
        (f"Updated user {user.email}", ["name"]),
        ("Password changed", []),
    ]


def test_admin_setting_own_password_stays_signed_in(admin_client):
    me = admin_client.user
    response = post_form(
        admin_client,
        f"/admin/users/{me.id}/edit",
        {"name": me.name, "role": "admin", "active": "y", "password": "a-brand-new-pass"},
    )
    assert response.status_code == 302
    assert admin_client.get("/admin/users").status_code == 200


# --- Creating a user: the page and the command say the same --------------------------------


def test_duplicate_email_gets_the_same_message_from_the_page_and_the_command(admin_client, runner):
    make_user("viewer", email="taken@example.com")
    db.session.commit()
    message = "A user with e-mail taken@example.com already exists."
    page = post_form(
        admin_client,
        "/admin/users/new",
        {
            "email": "Taken@Example.com",
            "name": "Dup",
            "role": "viewer",
            "password": "long-enough-pw",
        },
    )
    assert page.status_code == 200 and message in page.get_data(as_text=True)
    command = runner.invoke(
        args=[
            "create-user",
            "--email",
            "Taken@Example.com",
            "--name",
            "Dup",
            "--role",
            "viewer",
            "--password",
            "long-enough-pw",
        ]
    )
    assert command.exit_code == 1 and message in command.output
    assert _user_count() == 2  # the admin and the one taken


def test_command_create_is_audited_as_the_system(runner):
    result = runner.invoke(
        args=[
            "create-user",
            "--email",
            "ana@example.com",
            "--name",
            "Ana",
            "--role",
            "admin",
            "--password",
            "long-enough-pw",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "ana@example.com"))
    (event,) = _events(user)
    assert (event.action, event.user_id) == ("create", None)
    assert event.summary == "Created user ana@example.com (Admin)"


def test_new_user_form_posted_twice_creates_one_user(admin_client):
    html = admin_client.get("/admin/users/new").get_data(as_text=True)
    data = {
        "csrf_token": csrf_token(admin_client, "/admin/users/new"),
        "form_token": FORM_TOKEN_RE.search(html).group(1),
        "email": "twice@example.com",
        "name": "Twice",
        "role": "viewer",
        "password": "long-enough-pw",
    }
    first = admin_client.post("/admin/users/new", data=data)
    second = admin_client.post("/admin/users/new", data=data)
    assert first.status_code == second.status_code == 302
    assert _user_count() == 2
    assert "already exists" not in second.get_data(as_text=True)
