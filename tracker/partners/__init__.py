"""Regions, partners, contacts, engagements and follow-ups."""

from tracker.partners.views import bp  # noqa: F401

__all__ = ["bp"]
