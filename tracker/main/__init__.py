"""The home page and health check."""

from tracker.main.views import bp  # noqa: F401

__all__ = ["bp"]
