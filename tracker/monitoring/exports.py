"""Monitoring's lists as spreadsheets: alerts (/alerts) and scheduled job runs (/admin/jobs)."""

from sqlalchemy import select

from tracker.core.tables import Column, ExportList, entities, label_of
from tracker.monitoring import services
from tracker.monitoring.models import Alert, AlertKind, JobRun


def _alert_state(alert: Alert) -> str:
    if alert.resolved_at:
        return "Resolved"
    if alert.acknowledged_at:
        return "Acknowledged"
    return "Overdue" if alert.threshold_days < 0 else "Upcoming"


ALERT_COLUMNS = [
    Column("Alert", lambda a: a.message),
    Column("Item", lambda a: a.title),
    Column("Kind of item", lambda a: label_of(AlertKind, a.kind)),
    Column("Due", lambda a: a.due_on, "date"),
    Column("Days before due (negative: after)", lambda a: a.threshold_days, "integer"),
    Column("For", lambda a: "; ".join(sorted(r.user.name for r in a.recipients))),
    Column("State", _alert_state),
    Column("Raised (UTC)", lambda a: a.raised_at, "datetime"),
    Column("Acknowledged (UTC)", lambda a: a.acknowledged_at, "datetime"),
    Column("Resolved (UTC)", lambda a: a.resolved_at, "datetime"),
]

JOB_COLUMNS = [
    Column("Job", lambda j: j.job),
    Column("Started (UTC)", lambda j: j.started_at, "datetime"),
    Column("Finished (UTC)", lambda j: j.finished_at, "datetime"),
    Column("Outcome", lambda j: j.outcome),
    Column("Raised", lambda j: j.raised, "integer"),
    Column("Resolved", lambda j: j.resolved, "integer"),
    Column("Sent", lambda j: j.sent, "integer"),
    Column("Failed", lambda j: j.failed, "integer"),
    Column("Error", lambda j: j.error),
    Column("Host", lambda j: j.host),
    Column("Process", lambda j: j.process),
]


def job_runs_query():
    """Every job run, newest first: the page's order."""
    return select(JobRun).order_by(JobRun.started_at.desc(), JobRun.id.desc())


ALERTS = ExportList(
    "alerts", "Alerts", ALERT_COLUMNS, entities, lambda: services.alerts_query(None, "all")
)
JOB_RUNS = ExportList("jobs", "Scheduled jobs", JOB_COLUMNS, entities, job_runs_query)
