"""Status pages, dashboards, the list of everything due, the audit trail, the monthly report,
and the registries of exports and imports."""

from tracker.reports.views import bp  # noqa: F401

__all__ = ["bp"]
