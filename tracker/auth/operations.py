"""Every write to a user: creating one, editing name, role and status, passwords,
sessions, the calendar link and personal API tokens. The admin pages, the account pages,
sign-out, `flask create-user`, `flask create-token` and the undo on /admin/audit call only
these.

Users carry no version on purpose: every sign-in stamps `last_login_at`, so a version would
make every admin edit look stale. `expected_version` is accepted for the undo contract and
ignored.
"""

import secrets
from datetime import date

from sqlalchemy import select, update

from tracker.auth.models import ApiToken, Role, User, new_session_token
from tracker.auth.passwords import (
    MIN_PASSWORD_LENGTH,
    hash_password,
    is_common_password,
    verify_password,
)
from tracker.auth.services import find_user_by_email, normalise_email, token_digest
from tracker.core import audit
from tracker.core.errors import DomainError
from tracker.core.records import flush
from tracker.core.types import today, utcnow
from tracker.extensions import db

# What a user's history shows on a create; what an edit (and an undo) may change. Never the
# password: its change is recorded without a value, and cannot be undone.
USER_FIELDS = ["email", "name", "role", "active"]
EDITABLE_FIELDS = ("name", "role", "active")

SELF_LOCKOUT = (
    "You cannot deactivate yourself or change your own role: "
    "ask another admin, so the installation always keeps one."
)
LAST_ADMIN = (
    "At least one active admin must remain: make another user an admin before you "
    "change this one's role or deactivate them."
)


# --- Rules -----------------------------------------------------------------------------------


def _checked_name(name: str | None) -> str:
    name = (name or "").strip()
    if not name:
        raise DomainError("Name is required.", "name")
    if len(name) > User.name.type.length:
        raise DomainError(f"Name must be at most {User.name.type.length} characters.", "name")
    return name


def _checked_role(role: str | None) -> str:
    if role not in Role.values():
        raise DomainError(
            f"Unknown role {role!r}: choose one of {', '.join(Role.values())}.", "role"
        )
    return role


def check_password_rules(password: str | None, email: str) -> None:
    """Every rule a new password meets, wherever it is set (a create, an admin's edit, the
    password page, `flask create-user`): long enough, not one of the commonest passwords, not
    the account's own e-mail or the part before its @."""
    password = password or ""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(
            f"Password must be at least {MIN_PASSWORD_LENGTH} characters long.", "password"
        )
    if is_common_password(password):
        raise DomainError(
            "This password is one of the most common ones and is guessed first: "
            "choose a less predictable one, such as a few unrelated words.",
            "password",
        )
    folded = password.strip().lower()
    if folded in {email.lower(), email.lower().partition("@")[0]}:
        raise DomainError("The password must not be the e-mail address.", "password")


def _checked_user_values(user: User, values: dict, actor: User | None) -> dict:
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        field = sorted(unknown)[0]
        raise DomainError(
            f"{audit.field_label(User, field)} cannot be changed here.",
            field,
        )
    checked = {}
    if "name" in values:
        checked["name"] = _checked_name(values["name"])
    if "role" in values:
        checked["role"] = _checked_role(values["role"])
    if "active" in values:
        checked["active"] = bool(values["active"])
    if actor is not None and actor.id == user.id:
        if checked.get("role", user.role) != user.role:
            raise DomainError(SELF_LOCKOUT, "role")
        if not checked.get("active", user.active):
            raise DomainError(SELF_LOCKOUT, "active")
    return checked


def _keeps_an_admin(user: User, checked: dict) -> None:
    """Refuse (DomainError) a change that would leave no active admin.

    The active admins are counted under a lock held until the transaction ends, so two admins
    demoting each other at the same moment are taken one after the other and the second is
    refused: on PostgreSQL their rows are locked (`SELECT … FOR UPDATE`, which also skips a row
    another transaction has just demoted); SQLite has no row locks, so a write that changes
    nothing takes its one write lock first, and the count then reads the latest commit."""
    role, active = checked.get("role", user.role), checked.get("active", user.active)
    if user.role != Role.ADMIN or not user.active or (role == Role.ADMIN and active):
        return
    admins = (User.role == Role.ADMIN, User.active.is_(True))
    query = select(User.id).where(*admins)
    if db.session.get_bind().dialect.name == "sqlite":
        users = User.__table__
        db.session.execute(update(users).where(*admins).values(role=users.c.role))
    else:
        query = query.with_for_update()
    if not [admin_id for admin_id in db.session.scalars(query) if admin_id != user.id]:
        raise DomainError(LAST_ADMIN, "role" if role != Role.ADMIN else "active")


# --- Operations ------------------------------------------------------------------------------


def new_user(email: str, name: str, role: str, password: str) -> User:
    """A user checked against every rule of a create, added to the session but neither
    flushed nor audited: `create_user`'s first half."""
    email = normalise_email(email or "")
    name = _checked_name(name)
    role = _checked_role(role)
    if find_user_by_email(email) is not None:
        raise DomainError(f"A user with e-mail {email} already exists.", "email")
    check_password_rules(password, email)
    user = User(email=email, name=name, role=role, password_hash=hash_password(password))
    db.session.add(user)
    return user


def create_user(email: str, name: str, role: str, password: str, *, actor: User | None) -> User:
    """Add a user (e-mail normalised to lower case). DomainError on a bad or taken e-mail, a
    missing name, an unknown role or a short password."""
    user = new_user(email, name, role, password)
    flush(user)
    audit.record(
        "create",
        user,
        f"Created user {user.email} ({user.role_label})",
        actor=actor,
        changes=audit.track(user, USER_FIELDS).created(),
    )
    return user


def update_user(
    user: User, values: dict, *, actor: User | None, expected_version: int | None = None
) -> User:
    """Change any of name, role and active (a partial dict). Deactivating ends the user's
    sessions. Nobody may deactivate themselves or change their own role, and the last active
    admin stays one (DomainError)."""
    del expected_version  # users carry no version: see the module's docstring
    values = _checked_user_values(user, values, actor)
    _keeps_an_admin(user, values)
    tracked = audit.track(user, EDITABLE_FIELDS)
    was_active = user.active
    for name, value in values.items():
        setattr(user, name, value)
    if was_active and not user.active:
        user.end_sessions()
    flush(user)
    changes = tracked.changes()
    if changes:
        audit.record("update", user, f"Updated user {user.email}", actor=actor, changes=changes)
    return user


def set_active(user: User, active: bool, *, actor: User | None) -> User:
    """Activate or deactivate a user (deactivating signs them out everywhere)."""
    return update_user(user, {"active": active}, actor=actor)


def set_password(user: User, password: str, *, actor: User | None) -> None:
    """Set a new password and end every session of the user. Audited as "Password changed",
    never with the value, and not undoable."""
    check_password_rules(password, user.email)
    user.password_hash = hash_password(password)
    user.end_sessions()
    flush(user)
    audit.record("update", user, "Password changed", actor=actor)


def change_own_password(user: User, current_password: str, new_password: str) -> None:
    """A user changing their own password: the current one must be given (DomainError on
    `current_password` otherwise)."""
    if not verify_password(user.password_hash, current_password or ""):
        raise DomainError("That is not your current password.", "current_password")
    set_password(user, new_password, actor=user)


def end_sessions(user: User, *, actor: User | None) -> None:
    """Make every cookie issued so far for `user` worthless (signing out everywhere). Signing
    oneself out is not an edit and is not audited; someone else doing it is."""
    user.end_sessions()
    flush(user)
    if actor is None or actor.id != user.id:
        audit.record("update", user, f"Signed {user.email} out of every session", actor=actor)


def regenerate_calendar_token(user: User, *, actor: User | None) -> None:
    """Give the user a new calendar feed link; the old one stops working. The token is a
    secret: the event names the change, never the value."""
    user.calendar_token = new_session_token()
    flush(user)
    audit.record("update", user, "Regenerated calendar link", actor=actor)


# --- Personal API tokens ---------------------------------------------------------------------

# Messages, and the prefix that makes a token recognisable (secret scanners, logs).
TOKEN_PREFIX = "et_"  # noqa: S105
TOKEN_NAME_NEEDED = "Name the token after what will use it, e.g. “Power BI refresh”."  # noqa: S105
TOKEN_EXPIRY_PAST = "The expiry must be after today."  # noqa: S105
TOKEN_LIMIT = 50


def create_token(
    user: User,
    name: str | None,
    *,
    read_only: bool = False,
    expires_on: date | None = None,
    actor: User | None,
) -> tuple[ApiToken, str]:
    """A new API token for `user` and its secret, which is not kept anywhere: show it once.
    DomainError without a name, with an expiry not after today, for an inactive user, or
    past `TOKEN_LIMIT` live tokens."""
    name = (name or "").strip()
    if not name:
        raise DomainError(TOKEN_NAME_NEEDED, "name")
    if len(name) > 80:
        raise DomainError("Keep the name under 80 characters.", "name")
    if expires_on is not None and expires_on <= today():
        raise DomainError(TOKEN_EXPIRY_PAST, "expires_on")
    if not user.active:
        raise DomainError(f"{user.email} is deactivated and cannot have API tokens.", "email")
    live = select(ApiToken.id).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    if len(db.session.scalars(live).all()) >= TOKEN_LIMIT:
        raise DomainError(
            f"Revoke an unused token first: {TOKEN_LIMIT} is the most one user keeps."
        )
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=name,
        token_hash=token_digest(secret),
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        read_only=bool(read_only),
        expires_on=expires_on,
    )
    db.session.add(token)
    flush(token)
    access = "read-only" if token.read_only else "read and write"
    until = f", until {expires_on.isoformat()}" if expires_on else ""
    # The secret is never in the history; the prefix tells the tokens apart.
    audit.record("update", user, f"API token “{token}” created ({access}{until})", actor=actor)
    return token, secret


def revoke_token(token: ApiToken, *, actor: User | None) -> None:
    """Stop `token` working at once; revoking one already revoked changes nothing."""
    if token.revoked_at is not None:
        return
    token.revoked_at = utcnow()
    flush(token)
    audit.record("update", token.user, f"API token “{token}” revoked", actor=actor)


def mark_token_used(token: ApiToken) -> bool:
    """Stamp when `token` was last used, at most once a minute (not a write per request);
    True when it did, for the caller to commit."""
    now = utcnow()
    last = token.last_used_at
    if last is not None and last.tzinfo is None:
        last = last.replace(tzinfo=now.tzinfo)
    if last is None or (now - last).total_seconds() >= 60:
        token.last_used_at = now
        flush(token)
        return True
    return False


# The undo on /admin/audit: how each table's fields are set back.
UPDATERS = {"users": update_user}
RESTORERS = {}
