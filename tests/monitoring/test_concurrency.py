"""Two scans at the same moment in two processes raise each alert exactly once."""

import multiprocessing
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import make_engagement, make_follow_up, make_partner, make_user
from tracker.extensions import db
from tracker.monitoring.locks import job_lock
from tracker.monitoring.models import Alert, AlertRecipient

AS_OF = date(2026, 6, 1)


def _scan_in_another_process(database_url: str, barrier, results, recount_from: int) -> None:
    from config import TestConfig
    from tracker import create_app
    from tracker.monitoring import services

    # Small batches, and the planner told of the alerts after each (ANALYZE), while the
    # other process raises the same alerts: neither may wait on the other for good.
    services.RAISE_BATCH, services.RECOUNT_FROM = 4, recount_from

    class ProcessConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = database_url

    app = create_app(ProcessConfig)
    with app.app_context():
        barrier.wait(timeout=30)
        results.put(len(services.scan(AS_OF).raised))
        db.engine.dispose()


@pytest.mark.parametrize("recount_from", [1, 2_000], ids=["recounting", "not-recounting"])
def test_two_processes_scanning_at_once_raise_each_alert_once(app, recount_from):
    owner = make_user("owner")
    for days in range(-40, 40, 3):
        make_follow_up(
            make_engagement([make_partner()]), owner=owner, due_on=AS_OF + timedelta(days=days)
        )
    db.session.commit()

    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(2), context.Queue()
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    processes = [
        context.Process(target=_scan_in_another_process, args=(url, barrier, results, recount_from))
        for _ in range(2)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
        assert process.exitcode == 0
    raised = sorted(results.get(timeout=5) for _ in processes)

    total = db.session.scalar(select(func.count()).select_from(Alert))
    distinct = db.session.scalar(
        select(func.count()).select_from(
            select(Alert.subject_type, Alert.subject_id, Alert.kind, Alert.threshold_days)
            .distinct()
            .subquery()
        )
    )
    assert total == distinct == sum(raised) > 0  # each alert raised by exactly one process
    # Every alert has its recipient exactly once.
    assert db.session.scalar(select(func.count()).select_from(AlertRecipient)) == total


def test_job_lock_lets_one_holder_work_at_a_time():
    with job_lock("scan") as first:
        assert first is True
        with job_lock("scan") as second:
            assert second is False
    with job_lock("scan") as again:
        assert again is True
