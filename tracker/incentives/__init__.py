"""Incentives, their obligations, compliance reports and agency promises."""

from tracker.incentives import items, states  # noqa: F401 (keep their rows stored)
from tracker.incentives.views import bp  # noqa: F401

__all__ = ["bp"]
