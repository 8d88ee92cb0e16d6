"""Cluster intelligence: capabilities, supplier tiers, offshore flags, the scorecard."""

from tracker.clusters.views import bp  # noqa: F401

__all__ = ["bp"]
