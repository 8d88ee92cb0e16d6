"""User administration: only admins, and every change audited."""

import pytest
from sqlalchemy import select

from tests.conftest import post_form
from tests.factories import make_user
from tracker.auth import operations
from tracker.auth.models import User
from tracker.core.errors import DomainError
from tracker.core.models import AuditEvent
from tracker.extensions import db


@pytest.mark.parametrize("role", ["manager", "owner", "viewer"])
def test_non_admins_get_403_on_every_admin_url(app, role, request):
    client = request.getfixturevalue(f"{role}_client")
    other = make_user("viewer")
    db.session.commit()
    for url in ("/admin/users", "/admin/users/new", f"/admin/users/{other.id}/edit"):
        assert client.get(url).status_code == 403, url
    # A crafted POST with a valid CSRF token is still refused by role.
    response = post_form(
        client,
        "/admin/users/new",
        {"email": "x@example.com", "name": "X", "role": "admin", "password": "long-enough-pw"},
        form_url="/account/password",
    )
    assert response.status_code == 403
    assert db.session.scalar(select(User).where(User.email == "x@example.com")) is None
    response = post_form(
        client,
        f"/admin/users/{other.id}/edit",
        {"name": "X", "role": "admin"},
        form_url="/account/password",
    )
    assert response.status_code == 403
    assert db.session.get(User, other.id).role == "viewer"


def test_non_admins_see_no_admin_link(viewer_client):
    assert 'href="/admin/users"' not in viewer_client.get("/").get_data(as_text=True)


def test_admin_lists_users(admin_client):
    make_user("owner", name="Tomás Herrera")
    db.session.commit()
    response = admin_client.get("/admin/users")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Tomás Herrera" in html
    assert admin_client.user.email in html


def test_admin_creates_user_and_event_is_audited(admin_client):
    response = post_form(
        admin_client,
        "/admin/users/new",
        {
            "email": "New.Person@Example.com",
            "name": "New Person",
            "role": "owner",
            "password": "long-enough-pw",
        },
    )
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "new.person@example.com"))
    assert user is not None and user.role == "owner"
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.entity_type == "users", AuditEvent.entity_id == user.id)
    )
    assert event.action == "create" and event.user_id == admin_client.user.id
    assert event.summary == "Created user new.person@example.com (Owner)"
    assert event.changes["email"]["new"] == "new.person@example.com"
    assert "password" not in event.changes and "password_hash" not in event.changes


def test_admin_create_with_bad_input_keeps_what_was_typed(admin_client):
    make_user("viewer", email="taken@example.com")
    db.session.commit()
    response = post_form(
        admin_client,
        "/admin/users/new",
        {
            "email": "taken@example.com",
            "name": "<b>Dup</b>",
            "role": "viewer",
            "password": "long-enough-pw",
        },
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "already exists" in html
    assert 'value="&lt;b&gt;Dup&lt;/b&gt;"' in html  # kept, and escaped
    assert db.session.scalar(select(db.func.count()).select_from(User)) == 2


def test_admin_create_refuses_unknown_role_and_short_password(admin_client):
    response = post_form(
        admin_client,
        "/admin/users/new",
        {"email": "a@example.com", "name": "A", "role": "superuser", "password": "short"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Not a valid choice" in html
    assert "at least 10" in html


def test_admin_edits_role_and_change_is_audited(admin_client):
    user = make_user("viewer")
    db.session.commit()
    response = post_form(
        admin_client,
        f"/admin/users/{user.id}/edit",
        {"name": user.name, "role": "manager", "active": "y"},
    )
    assert response.status_code == 302
    assert db.session.get(User, user.id).role == "manager"
    event = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.entity_type == "users",
            AuditEvent.entity_id == user.id,
            AuditEvent.action == "update",
        )
    ).one()
    assert event.user_id == admin_client.user.id
    assert event.changes == {
        "role": {
            "label": "Role",
            "old": "viewer",
            "new": "manager",
            "old_text": "Viewer",
            "new_text": "Manager",
        }
    }


def test_admin_cannot_lock_themselves_out(admin_client):
    me = admin_client.user
    response = post_form(
        admin_client, f"/admin/users/{me.id}/edit", {"name": me.name, "role": "viewer"}
    )
    assert response.status_code == 200
    assert "cannot deactivate yourself" in response.get_data(as_text=True)
    user = db.session.get(User, me.id)
    assert user.role == "admin" and user.active


def test_unknown_user_id_is_404(admin_client):
    assert admin_client.get("/admin/users/999999/edit").status_code == 404


@pytest.mark.parametrize(
    ("role", "page", "shown"),
    [
        ("manager", "/", True),  # in the top bar
        ("admin", "/admin/users", True),  # among the Admin tabs
        ("viewer", "/", False),
    ],
)
def test_audit_link_for_those_who_may_read_the_trail(request, role, page, shown):
    client = request.getfixturevalue(f"{role}_client")
    assert ('href="/admin/audit"' in client.get(page).get_data(as_text=True)) is shown


def test_a_role_change_is_undone_through_update_user_and_a_password_change_is_not(admin_client):
    from tracker.reports import audit as trail

    me, user = admin_client.user, make_user("viewer")
    operations.update_user(user, {"role": "manager"}, actor=me)
    operations.set_password(user, "a-brand-new-pass", actor=me)
    db.session.commit()
    role_change, password_change = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.entity_type == "users", AuditEvent.entity_id == user.id)
        .order_by(AuditEvent.id)
    )
    assert trail.why_not_undo(password_change) is not None
    undo = trail.undo(role_change, actor=me)
    assert user.role == "viewer" and undo.action == "undo" and undo.user_id == me.id


def test_undoing_ones_own_promotion_is_refused_by_the_same_rule(admin_client):
    from tracker.reports import audit as trail

    me = admin_client.user
    promoter = make_user("admin")
    operations.update_user(me, {"role": "viewer"}, actor=promoter)
    operations.update_user(me, {"role": "admin"}, actor=promoter)
    db.session.commit()
    promotion = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.entity_type == "users", AuditEvent.entity_id == me.id)
        .order_by(AuditEvent.id.desc())
    ).first()
    with pytest.raises(DomainError, match="cannot deactivate yourself"):
        trail.undo(promotion, actor=me)
