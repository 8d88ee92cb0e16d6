"""What each role may do, and the decorator every view declares its need with."""

from functools import wraps

from flask import abort
from flask_login import current_user

from tracker.auth.models import Role
from tracker.extensions import login_manager

READ = "read"
WRITE_PARTNERS = "partners.write"
WRITE_INCENTIVES = "incentives.write"
CREATE_COMMITMENTS = "commitments.create"
EDIT_ANY_COMMITMENT = "commitments.edit_any"
MANAGE_USERS = "users.manage"
MANAGE_SETTINGS = "settings.manage"
READ_AUDIT = "audit.read"
UNDO_CHANGES = "audit.undo"
CLOSE_MONTHS = "reports.close_month"

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.ADMIN: frozenset(
        {
            READ,
            WRITE_PARTNERS,
            WRITE_INCENTIVES,
            CREATE_COMMITMENTS,
            EDIT_ANY_COMMITMENT,
            MANAGE_USERS,
            MANAGE_SETTINGS,
            READ_AUDIT,
            UNDO_CHANGES,
            CLOSE_MONTHS,
        }
    ),
    Role.MANAGER: frozenset(
        {
            READ,
            WRITE_PARTNERS,
            WRITE_INCENTIVES,
            CREATE_COMMITMENTS,
            EDIT_ANY_COMMITMENT,
            READ_AUDIT,
            CLOSE_MONTHS,
        }
    ),
    Role.OWNER: frozenset({READ, CREATE_COMMITMENTS}),
    Role.VIEWER: frozenset({READ}),
}


def can(user, permission: str) -> bool:
    """True when `user` is signed in and their role grants `permission`."""
    if not getattr(user, "is_authenticated", False):
        return False
    return permission in ROLE_PERMISSIONS.get(user.role, frozenset())


def requires(permission: str):
    """Guard a view: anonymous users go to the login page, others without the right get 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not can(current_user, permission):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_permission = permission
        return wrapped

    return decorator


# --- Named predicates: what templates and views ask, never a permission string ------------


def may_read(user) -> bool:
    return can(user, READ)


def may_write_partners(user) -> bool:
    """Create and edit regions, partners, contacts, engagements and follow-ups."""
    return can(user, WRITE_PARTNERS)


def may_write_incentives(user) -> bool:
    return can(user, WRITE_INCENTIVES)


def may_create_commitments(user) -> bool:
    return can(user, CREATE_COMMITMENTS)


def may_edit_any_commitment(user) -> bool:
    return can(user, EDIT_ANY_COMMITMENT)


def may_manage_users(user) -> bool:
    return can(user, MANAGE_USERS)


def may_manage_settings(user) -> bool:
    return can(user, MANAGE_SETTINGS)


def may_close_months(user) -> bool:
    return can(user, CLOSE_MONTHS)


def may_read_audit(user) -> bool:
    """The audit trail across the installation: admins and managers."""
    return can(user, READ_AUDIT)


def may_undo(user) -> bool:
    """Undo a change or restore a deleted record from its history: admins."""
    return can(user, UNDO_CHANGES)
