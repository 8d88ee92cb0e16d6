"""Creating, authenticating and changing users: shared by the web, the CLI and tests."""

import hmac

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select

from tracker.auth.models import Role, User
from tracker.auth.passwords import (
    MIN_PASSWORD_LENGTH,
    burn_verification,
    hash_password,
    verify_password,
)
from tracker.core.errors import DomainError
from tracker.core.types import utcnow
from tracker.extensions import db


def normalise_email(email: str) -> str:
    """Return the e-mail in canonical lower-case form or raise `DomainError`."""
    try:
        result = validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError as error:
        raise DomainError(f"Invalid e-mail address: {error}", field="email") from error
    return result.normalized.lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(
            f"Password must be at least {MIN_PASSWORD_LENGTH} characters long.", field="password"
        )


def create_user(email: str, name: str, role: str, password: str) -> User:
    """Validate and add a user to the session (the caller commits)."""
    email = normalise_email(email)
    name = name.strip()
    if not name:
        raise DomainError("Name is required.", field="name")
    if role not in Role.values():
        raise DomainError(
            f"Unknown role {role!r}: choose one of {', '.join(Role.values())}.", field="role"
        )
    if find_user_by_email(email) is not None:
        raise DomainError(f"A user with e-mail {email} already exists.", field="email")
    check_password_rules(password)
    user = User(email=email, name=name, role=role, password_hash=hash_password(password))
    db.session.add(user)
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None; no hint which part was wrong."""
    user = find_user_by_email(email)
    if user is None:
        burn_verification(password)
        return None
    if not verify_password(user.password_hash, password) or not user.active:
        return None
    user.last_login_at = utcnow()
    return user


def set_password(user: User, password: str) -> None:
    check_password_rules(password)
    user.password_hash = hash_password(password)
    user.end_sessions()


def set_active(user: User, active: bool) -> None:
    user.active = active
    if not active:
        user.end_sessions()


def load_user_from_cookie(user_id: str) -> User | None:
    """Resolve Flask-Login's stored id `"<id>:<session token>"`; stale tokens load nobody."""
    raw_id, _, token = user_id.partition(":")
    if not raw_id.isdigit() or not token:
        return None
    user = db.session.get(User, int(raw_id))
    if user is None or not user.active or not hmac.compare_digest(user.session_token, token):
        return None
    return user
