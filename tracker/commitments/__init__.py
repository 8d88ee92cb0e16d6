"""Anchor commitments, co-investments, training programmes and milestones."""

from tracker.commitments import items  # noqa: F401 (keeps its dated items stored)
from tracker.commitments.views import bp  # noqa: F401

__all__ = ["bp"]
