"""Users and their roles."""

import secrets
from datetime import date, datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, Date, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.core.types import Choice, one_of, utcnow
from tracker.extensions import db


class Role(Choice):
    ADMIN = "admin"
    MANAGER = "manager"
    OWNER = "owner"
    VIEWER = "viewer"


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (one_of("role", Role.values()),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True, info={"label": "E-mail"})
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16), index=True, info={"choices": Role})
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Part of the login cookie's identity: rotating it ends every session of
    # this user on the server side (logout, password change, deactivation).
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    # The secret in the user's calendar feed URL; regenerating it revokes old links.
    calendar_token: Mapped[str] = mapped_column(String(64), default=new_session_token, unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    def end_sessions(self) -> None:
        """Invalidate every cookie issued so far for this user."""
        self.session_token = new_session_token()

    @property
    def role_label(self) -> str:
        return Role(self.role).label

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"<User {self.email} ({self.role})>"


class ApiToken(db.Model):
    """A personal API token: its user's role, or only reading with `read_only`.

    The secret is shown once, when made; only its SHA-256 is kept (a token is 256 random
    bits, so a fast hash is as safe as a slow one and costs nothing per request). `prefix`,
    the token's first characters, tells a user's tokens apart in lists.
    """

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    read_only: Mapped[bool] = mapped_column(Boolean, default=False)
    # The first day the token no longer works; NULL: until revoked.
    expires_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship()

    def usable_on(self, day: date) -> bool:
        return self.revoked_at is None and (self.expires_on is None or day < self.expires_on)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
