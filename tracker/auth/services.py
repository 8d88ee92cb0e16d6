"""Finding and authenticating users; the writes are in `tracker.auth.operations`."""

import hashlib
import hmac

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select

from tracker.auth.models import ApiToken, User
from tracker.auth.passwords import (
    burn_verification,
    hash_password,
    needs_rehash,
    verify_password,
)
from tracker.core.errors import DomainError
from tracker.core.types import today, utcnow
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


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None; no hint which part was wrong. A hash
    made with other parameters than today's is replaced while the password is at hand."""
    user = find_user_by_email(email)
    if user is None:
        burn_verification(password)
        return None
    if not verify_password(user.password_hash, password) or not user.active:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    return user


def load_user_from_cookie(user_id: str) -> User | None:
    """Resolve Flask-Login's stored id `"<id>:<session token>"`; stale tokens load nobody."""
    raw_id, _, token = user_id.partition(":")
    if not raw_id.isdigit() or not token:
        return None
    user = db.session.get(User, int(raw_id))
    if user is None or not user.active or not hmac.compare_digest(user.session_token, token):
        return None
    return user


def active_user(user_id: int | None, field: str) -> User | None:
    """The user chosen by id for `field` (an owner, an attendee), who must exist and be
    active; None for no choice."""
    if user_id is None:
        return None
    user = db.session.get(User, user_id)
    if user is None:
        raise DomainError("Choose a user from the list.", field)
    if not user.active:
        raise DomainError(f"{user.name} is no longer active: choose an active user.", field)
    return user


# --- API tokens ------------------------------------------------------------------------------


def token_digest(secret: str) -> str:
    """What is stored of a token: its SHA-256, in hex."""
    return hashlib.sha256(secret.encode()).hexdigest()


def usable_token(secret: str) -> ApiToken | None:
    """The token with this secret when it still works (not revoked, not expired, its user
    active), else None: the caller gives no hint which."""
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(secret)))
    if token is None or not token.usable_on(today()) or not token.user.active:
        return None
    return token


def tokens_of(user: User) -> list[ApiToken]:
    """A user's tokens, live ones first, newest first."""
    return list(
        db.session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id)
            .order_by(
                ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc(), ApiToken.id.desc()
            )
        )
    )
