"""The scheduled jobs: each takes the job lock, records its run, and never raises."""

import logging
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, time, timedelta

from flask import current_app
from sqlalchemy import case, func, select

from tracker.core import logs
from tracker.core.types import in_utc, local_zone, today, utcnow
from tracker.extensions import db
from tracker.monitoring import notify, services, webhooks
from tracker.monitoring.locks import HOLDER, job_lock
from tracker.monitoring.models import Alert, JobRun, WebhookDelivery

log = logging.getLogger(__name__)

SCAN, DIGEST, WEBHOOKS = "scan", "digest", "webhooks"


@contextmanager
def _running(job: str) -> Iterator[JobRun]:
    """Record a run of `job` by this process, log its lines under the run's id, and finish
    it: failed (with the error, never raised into the scheduler) if the block raises, else
    the outcome the block set (success when it set none). One log line when it ends."""
    run = JobRun(
        job=job, started_at=utcnow(), outcome="running", host=socket.gethostname(), process=HOLDER
    )
    db.session.add(run)
    db.session.commit()
    with logs.working_for(f"job-{job}-{run.id}"):
        try:
            yield run
        except Exception as error:
            db.session.rollback()
            log.exception("%s failed", job)
            run.outcome, run.error = "failed", f"{type(error).__name__}: {error}"
        if run.outcome == "running":
            run.outcome = "success"
        run.finished_at = utcnow()
        run.error = run.error[:5000] if run.error else None
        db.session.commit()
        seconds = (in_utc(run.finished_at) - in_utc(run.started_at)).total_seconds()
        log.log(
            logging.WARNING if run.outcome == "failed" else logging.INFO,
            "job %s %s in %.1fs: raised %s, resolved %s, sent %s, failed %s",
            job,
            run.outcome,
            seconds,
            run.raised,
            run.resolved,
            run.sent,
            run.failed,
            extra={
                "job": job,
                "job_run_id": run.id,
                "outcome": run.outcome,
                "duration_s": round(seconds, 3),
                "run_by": run.process,
                "raised": run.raised,
                "resolved": run.resolved,
                "sent": run.sent,
                "failed": run.failed,
            },
        )


def _scanned_recently() -> bool:
    """Whether a scan succeeded less than half an interval ago: a second scheduler started
    by mistake then finds its tick already done and records nothing."""
    since = utcnow() - timedelta(minutes=current_app.config["SCAN_INTERVAL_MINUTES"] / 2)
    found = db.session.scalar(
        select(JobRun.id)
        .where(JobRun.job == SCAN, JobRun.outcome == "success", JobRun.started_at >= since)
        .limit(1)
    )
    return found is not None


def run_scan(scheduled: bool = False) -> JobRun | None:
    """Scan, then send what is pending. None when another process holds the lock or, for a
    scheduled run, when another scheduler scanned within the last half interval."""
    with job_lock(SCAN) as got:
        if not got or (scheduled and _scanned_recently()):
            log.info("scan skipped: another scheduler holds the lock or has just scanned")
            return None
        with _running(SCAN) as run:
            result = services.scan()
            sent, failed = notify.deliver_emails()
            hooks_sent, hooks_failed = notify.deliver_webhooks()
            delivered, undelivered = _deliver_webhooks()
            run.raised, run.resolved = len(result.raised), result.resolved
            run.sent = sent + hooks_sent + delivered
            run.failed = failed + hooks_failed + undelivered
            run.raised_alerts = result.raised  # for the CLI; not a column
            if result.errors:
                run.outcome, run.error = "partial", "\n".join(result.errors)
        return run


def _deliver_webhooks() -> tuple[int, int]:
    """Send the webhook deliveries that are due, unless another process or thread is
    sending them: the scan and the webhooks job share this lock, so a delivery they both
    find due goes out once."""
    with job_lock(WEBHOOKS) as got:
        return webhooks.deliver_due() if got else (0, 0)


def run_webhooks() -> JobRun | None:
    """Send the webhook deliveries that are due (every minute, between scans). None when
    another process is sending them; a run with nothing due is not recorded."""
    with job_lock(WEBHOOKS) as got:
        if not got or not webhooks.any_due():
            return None
        with _running(WEBHOOKS) as run:
            run.sent, run.failed = webhooks.deliver_due()
            if run.failed:
                run.outcome = "partial"
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
        with _running(DIGEST) as run:
            run.sent, run.failed = notify.send_digest()
            if run.failed:
                run.outcome = "partial"
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
    last_success = {job: at and in_utc(at) for job, at in last_success.items()}
    scan_success = last_success[SCAN]
    stale = scan_success is None or utcnow() - scan_success > timedelta(minutes=2 * interval)
    return {
        "last_success": last_success,
        "scan_stale": stale,
        "interval": interval,
        "webhook_seconds": current_app.config["WEBHOOK_INTERVAL_SECONDS"],
        "today": today(),
    }


def figures() -> dict:
    """What /metrics reports of the jobs and alerts, read from the database so every web
    process and host reports the same: runs by job and outcome, each job's last success and
    last run's length, alerts by kind and state, webhook deliveries waiting."""
    runs = db.session.execute(
        select(JobRun.job, JobRun.outcome, func.count()).group_by(JobRun.job, JobRun.outcome)
    ).all()
    last_success = db.session.execute(
        select(JobRun.job, func.max(JobRun.finished_at))
        .where(JobRun.outcome == "success")
        .group_by(JobRun.job)
    ).all()
    latest = (
        select(JobRun.job, func.max(JobRun.id).label("id"))
        .where(JobRun.finished_at.is_not(None))
        .group_by(JobRun.job)
        .subquery()
    )
    last_runs = db.session.execute(
        select(JobRun.job, JobRun.started_at, JobRun.finished_at).join(
            latest, JobRun.id == latest.c.id
        )
    ).all()
    state = case(
        (Alert.resolved_at.is_not(None), "resolved"),
        (Alert.acknowledged_at.is_not(None), "acknowledged"),
        else_="open",
    )
    alerts = db.session.execute(
        select(Alert.kind, state, func.count()).group_by(Alert.kind, state)
    ).all()
    pending = db.session.scalar(
        select(func.count()).select_from(WebhookDelivery).where(WebhookDelivery.status == "pending")
    )
    return {
        "runs": [tuple(row) for row in runs],
        "last_success": {job: in_utc(at) for job, at in last_success if at is not None},
        "last_duration": {
            job: (in_utc(finished) - in_utc(started)).total_seconds()
            for job, started, finished in last_runs
        },
        "alerts": [tuple(row) for row in alerts],
        "webhooks_pending": pending,
    }
