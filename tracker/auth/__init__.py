"""Users, roles, signing in and out, user administration."""

from tracker.auth.views import bp  # noqa: F401

__all__ = ["bp"]
