"""Anchor commitments, co-investments, training programmes and milestones."""

from tracker.commitments import items, states  # noqa: F401 (keep their rows stored)
from tracker.commitments.views import bp  # noqa: F401

__all__ = ["bp"]
