"""Regions, partners, contacts, engagements and follow-ups."""

from tracker.partners import items, states  # noqa: F401 (keep their rows stored)
from tracker.partners.views import bp  # noqa: F401

__all__ = ["bp"]
