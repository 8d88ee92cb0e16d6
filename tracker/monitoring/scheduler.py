"""APScheduler wiring: the scan every few minutes, webhook deliveries every minute, and the
digest once a day.

In production the scheduler runs as its own process (`flask --app tracker
scheduler`); under `make run`, where one development server is the whole
installation, it runs inside that process. The job lock keeps a second
scheduler from working at the same time.
"""

import logging
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from tracker.monitoring import jobs

log = logging.getLogger(__name__)


def _in_app(app: Flask, job, **kwargs):
    def run():
        with app.app_context():
            job(**kwargs)

    run.__name__ = run.__qualname__ = job.__name__
    return run


def build(app: Flask, *, blocking: bool):
    scheduler = (BlockingScheduler if blocking else BackgroundScheduler)(timezone="UTC")
    scheduler.add_job(
        _in_app(app, jobs.run_scan, scheduled=True),
        "interval",
        minutes=app.config["SCAN_INTERVAL_MINUTES"],
        id="scan",
        coalesce=True,
        max_instances=1,
        next_run_time=datetime.now(UTC),  # scan at start: catch up after downtime
    )
    scheduler.add_job(
        _in_app(app, jobs.run_webhooks),
        "interval",
        seconds=app.config["WEBHOOK_INTERVAL_SECONDS"],
        id="webhooks",
        coalesce=True,
        max_instances=1,
    )
    scheduler.add_job(
        _in_app(app, jobs.run_digest),
        "cron",
        hour=app.config["DIGEST_HOUR"],
        minute=0,
        id="digest",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=3600,
    )
    return scheduler


def start_in_process(app: Flask) -> BackgroundScheduler:
    scheduler = build(app, blocking=False)
    scheduler.start()
    log.info("scheduler started in this process")
    return scheduler
