"""Regions, partners, contacts, engagements and follow-ups."""

from tracker.partners.views import bp

__all__ = ["bp"]
