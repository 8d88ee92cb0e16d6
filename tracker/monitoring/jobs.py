"""The scheduled jobs: each takes the job lock, records its run, and never raises."""

import logging
import socket
from datetime import UTC, datetime, time, timedelta

from flask import current_app
from sqlalchemy import func, select

from tracker.core.types import in_utc, local_zone, today, utcnow
from tracker.extensions import db
from tracker.monitoring import notify, services, webhooks
from tracker.monitoring.locks import job_lock
from tracker.monitoring.models import JobRun

log = logging.getLogger(__name__)

SCAN, DIGEST, WEBHOOKS = "scan", "digest", "webhooks"


def _record(job: str) -> JobRun:
    run = JobRun(job=job, started_at=utcnow(), outcome="running", host=socket.gethostname())
    db.session.add(run)
    db.session.commit()
    return run


def _finish(run: JobRun, outcome: str, error: str | None = None) -> None:
    run.outcome = outcome
    run.finished_at = utcnow()
    run.error = error[:5000] if error else None
    db.session.commit()


def run_scan() -> JobRun | None:
    """Scan, then send what is pending. None when another process holds the lock."""
    with job_lock(SCAN) as got:
        if not got:
            log.info("scan skipped: another scheduler holds the lock")
            return None
        run = _record(SCAN)
        try:
            result = services.scan()
            sent, failed = notify.deliver_emails()
            hooks_sent, hooks_failed = notify.deliver_webhooks()
            delivered, undelivered = webhooks.deliver_due()
        except Exception as error:  # recorded, never raised into the scheduler
            db.session.rollback()
            log.exception("scan failed")
            _finish(run, "failed", f"{type(error).__name__}: {error}")
            return run
        run.raised, run.resolved = len(result.raised), result.resolved
        run.sent = sent + hooks_sent + delivered
        run.failed = failed + hooks_failed + undelivered
        run.raised_alerts = result.raised  # for the CLI; not a column
        _finish(
            run,
            "partial" if result.errors else "success",
            "\n".join(result.errors) if result.errors else None,
        )
        return run


def run_webhooks() -> JobRun | None:
    """Send the webhook deliveries that are due (every minute, between scans). None when
    another process is sending them; a run with nothing due is not recorded."""
    with job_lock(WEBHOOKS) as got:
        if not got or not webhooks.any_due():
            return None
        run = _record(WEBHOOKS)
        try:
            run.sent, run.failed = webhooks.deliver_due()
        except Exception as error:  # recorded, never raised into the scheduler
            db.session.rollback()
            log.exception("webhook deliveries failed")
            _finish(run, "failed", f"{type(error).__name__}: {error}")
            return run
        _finish(run, "success" if not run.failed else "partial")
        return run


def run_digest(force: bool = False) -> JobRun | None:
    """Send the daily digest once a day (a second run the same day does nothing)."""
    with job_lock(DIGEST) as got:
        if not got:
            return None
        start_of_day = datetime.combine(today(), time.min, tzinfo=local_zone()).astimezone(UTC)
        already = db.session.scalar(
            select(func.count())
            .select_from(JobRun)
            .where(
                JobRun.job == DIGEST,
                JobRun.outcome == "success",
                JobRun.started_at >= start_of_day,
            )
        )
        if already and not force:
            return None
        run = _record(DIGEST)
        try:
            run.sent, run.failed = notify.send_digest()
        except Exception as error:
            db.session.rollback()
            _finish(run, "failed", f"{type(error).__name__}: {error}")
            return run
        _finish(run, "success" if not run.failed else "partial")
        return run


def job_health() -> dict:
    """The last run and last success of each job, and whether the scan is stale."""
    interval = current_app.config["SCAN_INTERVAL_MINUTES"]
    last_success = {
        job: db.session.scalar(
            select(func.max(JobRun.finished_at)).where(
                JobRun.job == job, JobRun.outcome == "success"
            )
        )
        for job in (SCAN, DIGEST)
    }
    scan_success = last_success[SCAN]
    if scan_success is not None:
        scan_success = in_utc(scan_success)
    stale = scan_success is None or utcnow() - scan_success > timedelta(minutes=2 * interval)
    return {
        "last_success": last_success,
        "scan_stale": stale,
        "interval": interval,
        "webhook_seconds": current_app.config["WEBHOOK_INTERVAL_SECONDS"],
        "today": today(),
    }
