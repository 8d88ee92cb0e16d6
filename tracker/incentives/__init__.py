"""Incentives, their obligations, compliance reports and agency promises."""

from tracker.incentives import items  # noqa: F401 (keeps its dated items stored)
from tracker.incentives.views import bp  # noqa: F401

__all__ = ["bp"]
