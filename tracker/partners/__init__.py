"""Regions, partners, contacts, engagements and follow-ups."""

from tracker.partners import items  # noqa: F401 (keeps its dated items stored)
from tracker.partners.views import bp  # noqa: F401

__all__ = ["bp"]
