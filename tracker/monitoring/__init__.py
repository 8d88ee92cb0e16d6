"""Scheduled scans, alerts and notifications."""

from tracker.monitoring.views import bp  # noqa: F401

__all__ = ["bp"]
