"""The production shape inside one process: health and readiness, /metrics and who may read
it, request ids and the log lines that carry them, the app behind a proxy, and the scheduler
run that a second scheduler finds already done. tests/deploy/ runs the real processes."""

import json
import logging
import re
from datetime import timedelta

import pytest
import time_machine
from flask_migrate import stamp
from sqlalchemy import func, select, text

from config import TestConfig
from tests.conftest import csrf_token
from tests.factories import make_engagement, make_follow_up, make_partner, make_user
from tracker import create_app
from tracker.core import logs
from tracker.core.types import today, utcnow
from tracker.extensions import db, limiter
from tracker.monitoring import jobs
from tracker.monitoring.locks import HOLDER
from tracker.monitoring.models import JobRun

HEX_ID = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def at_head(app):
    """The database stamped at the migrations' head, as `flask db upgrade` leaves it (the
    suite builds its schema with create_all, which stamps nothing)."""
    stamp()
    yield
    db.session.execute(text("DROP TABLE alembic_version"))
    db.session.commit()


def _scrape(client, **kwargs) -> dict[str, float]:
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    samples = {}
    for line in response.get_data(as_text=True).splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            samples[name] = float(value)
    return samples


# --- /healthz and /readyz -----------------------------------------------------------------


def test_healthz_says_the_process_answers_and_asks_nothing_of_the_database(client, count_queries):
    with count_queries() as queries:
        response = client.get("/healthz")
    assert (response.status_code, response.get_json()) == (200, {"status": "ok"})
    assert queries.count == 0


def test_readyz_waits_for_the_scheduler_then_reports_ready(client, at_head):
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "not ready"
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["migrations"]["ok"] is True
    assert body["checks"]["migrations"]["current"] == body["checks"]["migrations"]["head"]
    assert body["checks"]["scheduler"] == {"ok": False, "last_scan": None, "max_age_seconds": 600}

    jobs.run_scan()
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert body["status"] == "ready"
    assert body["checks"]["scheduler"]["ok"] is True
    assert body["checks"]["scheduler"]["last_scan"].startswith(today().isoformat())


def test_readyz_fails_when_the_last_scan_is_older_than_two_intervals(client, at_head):
    jobs.run_scan()
    with time_machine.travel(utcnow() + timedelta(minutes=11)):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["scheduler"]["ok"] is False


def test_readyz_fails_when_the_schema_is_behind_the_migrations(client, at_head):
    jobs.run_scan()
    stamp(revision="0017_webhooks")
    response = client.get("/readyz")
    assert response.status_code == 503
    migrations = response.get_json()["checks"]["migrations"]
    assert migrations["ok"] is False
    assert migrations["current"] == ["0017_webhooks"]
    assert migrations["head"] == ["0019_clusters"]
    assert "scheduler" not in response.get_json()["checks"]  # not asked of an old schema


@pytest.mark.parametrize(
    "unreachable",
    ["sqlite:///{tmp}/missing/no.db", "postgresql+psycopg://nobody@127.0.0.1:1/none"],
)
def test_readyz_fails_without_a_database_and_says_no_more(tmp_path, caplog, unreachable):
    class Unreachable(TestConfig):
        SQLALCHEMY_DATABASE_URI = unreachable.format(tmp=tmp_path)

    app = create_app(Unreachable)
    down = app.test_client()
    response = down.get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "not ready", "checks": {"database": {"ok": False}}}
    assert "the database does not answer" in caplog.text  # the reason goes to the log
    assert down.get("/healthz").status_code == 200  # the process itself is alive
    with app.app_context():
        db.engine.dispose()


# --- /metrics -------------------------------------------------------------------------------


def test_metrics_count_requests_and_report_jobs_and_alerts_from_the_database(client):
    owner = make_user("owner")
    engagement = make_engagement([make_partner()])
    make_follow_up(engagement, owner=owner, due_on=today() - timedelta(days=1))
    db.session.commit()
    jobs.run_scan()
    before = _scrape(client)
    healthz = 'tracker_http_requests_total{endpoint="main.healthz",method="GET",status="200"}'
    for _ in range(3):
        client.get("/healthz")
    after = _scrape(client)

    assert after[healthz] - before.get(healthz, 0) == 3
    assert after['tracker_job_runs_total{job="scan",outcome="success"}'] == 1
    assert after['tracker_job_last_success_timestamp_seconds{job="scan"}'] > 0
    assert after['tracker_alerts{kind="follow_up_due",state="open"}'] == 1
    assert after["tracker_webhook_deliveries_pending"] == 0
    assert after["tracker_database_up"] == 1
    assert 'tracker_http_request_duration_seconds_count{endpoint="main.healthz"}' in after


def test_metrics_answer_the_allowed_networks_or_the_token_only(app, client, monkeypatch):
    outside = {"environ_base": {"REMOTE_ADDR": "203.0.113.9"}}
    assert client.get("/metrics", **outside).status_code == 403
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "scrape-me-please-0123456789")
    wrong = {"Authorization": "Bearer scrape-me-please-0123456788"}
    assert client.get("/metrics", headers=wrong, **outside).status_code == 403
    right = {"Authorization": "Bearer scrape-me-please-0123456789"}
    assert "tracker_database_up 1.0" in client.get("/metrics", headers=right, **outside).get_data(
        as_text=True
    )
    assert client.get("/metrics").status_code == 200  # loopback is allowed by default


def test_a_bad_metrics_network_stops_the_start():
    class Wrong(TestConfig):
        METRICS_ALLOWED_NETWORKS = "10.0.0.0/33"

    with pytest.raises(RuntimeError, match="METRICS_ALLOWED_NETWORKS"):
        create_app(Wrong)


# --- Request ids and log lines --------------------------------------------------------------


def test_every_response_carries_a_request_id_and_the_request_logs_one_line(client, caplog):
    caplog.set_level(logging.INFO, logger="tracker.request")
    response = client.get("/healthz")
    request_id = response.headers["X-Request-ID"]
    assert HEX_ID.fullmatch(request_id)
    [line] = [r for r in caplog.records if r.name == "tracker.request"]
    assert line.request_id == request_id
    assert (line.method, line.path, line.status, line.endpoint) == (
        "GET",
        "/healthz",
        200,
        "main.healthz",
    )
    assert line.duration_ms >= 0
    assert client.get("/healthz").headers["X-Request-ID"] != request_id  # one per request


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("lb-7f3a9c21-0001", True),
        ("short", False),
        ("bad id with spaces", False),
        ("x" * 129, False),
    ],
)
def test_a_request_id_from_the_proxy_is_kept_when_it_is_a_plain_token(client, given, kept):
    returned = client.get("/healthz", headers={"X-Request-ID": given}).headers["X-Request-ID"]
    assert (returned == given) is kept
    if not kept:
        assert HEX_ID.fullmatch(returned)


def test_json_logs_are_one_object_a_line_with_the_request_id(client, capsys):
    logs.configure("json", "INFO")
    try:
        client.get("/login", headers={"X-Request-ID": "trace-json-0001"})
    finally:
        logging.getLogger().handlers[:] = [
            h for h in logging.getLogger().handlers if not getattr(h, "tracker", False)
        ]
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    [entry] = [line for line in lines if line["logger"] == "tracker.request"]
    assert entry["request_id"] == "trace-json-0001"
    assert entry["message"].startswith("GET /login 200 ")
    assert (entry["path"], entry["status"], entry["level"]) == ("/login", 200, "INFO")
    assert entry["time"].endswith("+00:00")


def test_a_job_run_logs_one_line_under_its_own_id(app, caplog):
    caplog.set_level(logging.INFO, logger="tracker.monitoring")
    run = jobs.run_scan()
    [line] = [r for r in caplog.records if r.name == "tracker.monitoring.jobs"]
    assert line.request_id == f"job-scan-{run.id}"
    assert (line.job, line.outcome, line.run_by) == ("scan", "success", HOLDER)
    assert logs.current_id() is None  # nothing leaks past the run


# --- One scheduler's work, recorded once ----------------------------------------------------


def test_a_scheduled_scan_is_skipped_when_another_scheduler_has_just_scanned(app):
    first = jobs.run_scan(scheduled=True)
    assert first.outcome == "success" and first.process == HOLDER
    assert jobs.run_scan(scheduled=True) is None  # the second scheduler's tick
    assert db.session.scalar(select(func.count()).select_from(JobRun)) == 1
    assert jobs.run_scan() is not None  # `flask scan` always scans
    # Half an interval later the next tick scans again.
    with time_machine.travel(utcnow() + timedelta(minutes=3)):
        assert jobs.run_scan(scheduled=True) is not None
    assert db.session.scalar(select(func.count()).select_from(JobRun)) == 3


def test_the_jobs_page_names_the_process_of_each_run(admin_client):
    jobs.run_scan()
    page = admin_client.get("/admin/jobs").get_data(as_text=True)
    assert "<th>Process</th>" in page and HOLDER in page


# --- Behind a proxy -----------------------------------------------------------------------


@pytest.fixture
def behind_one_proxy(database_url):
    class BehindOneProxy(TestConfig):
        SQLALCHEMY_DATABASE_URI = database_url
        TRUSTED_PROXIES = 1
        LOGIN_RATE_LIMIT = "2 per minute"

    app = create_app(BehindOneProxy)
    yield app
    with app.app_context():
        limiter.reset()
        db.session.remove()
        db.engine.dispose()


def _sign_in_attempt(client, forwarded_for: str) -> int:
    token = csrf_token(client, "/login")
    return client.post(
        "/login",
        data={"email": "someone@example.com", "password": "wrong", "csrf_token": token},
        headers={"X-Forwarded-For": forwarded_for},
    ).status_code


def test_behind_a_trusted_proxy_each_client_address_has_its_own_sign_in_budget(
    behind_one_proxy,
):
    client = behind_one_proxy.test_client()
    with behind_one_proxy.app_context():
        limiter.reset()
        statuses = [_sign_in_attempt(client, "198.51.100.1") for _ in range(3)]
        other = _sign_in_attempt(client, "198.51.100.2")
    assert statuses == [200, 200, 429]
    assert other == 200  # another user behind the same proxy signs in as usual


def test_without_trusted_proxies_a_forwarded_address_is_not_believed(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "2 per minute")
    limiter.reset()
    statuses = [_sign_in_attempt(client, f"198.51.100.{n}") for n in range(1, 4)]
    limiter.reset()
    assert statuses == [200, 200, 429]  # a client cannot buy a new budget with a header


def test_behind_a_trusted_proxy_links_use_the_scheme_and_host_the_user_opened(behind_one_proxy):
    with behind_one_proxy.app_context():
        owner = make_user("owner")
        engagement = make_engagement([make_partner()])
        make_follow_up(engagement, owner=owner, due_on=today() + timedelta(days=2))
        db.session.commit()
        engagement_id = engagement.id
        response = behind_one_proxy.test_client().get(
            f"/calendar.ics?token={owner.calendar_token}",
            headers={
                "X-Forwarded-For": "198.51.100.1",
                "X-Forwarded-Proto": "https",
                "X-Forwarded-Host": "tracker.example.com",
            },
        )
    assert response.status_code == 200
    feed = response.get_data(as_text=True)
    assert f"URL:https://tracker.example.com/engagements/{engagement_id}" in feed


def test_a_failure_page_quotes_the_request_id_the_log_holds(tmp_path, caplog):
    class Failing(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'failing.db'}"
        PROPAGATE_EXCEPTIONS = False  # answer with the 500 page, as production does

    app = create_app(Failing)

    @app.get("/boom")
    def boom():
        raise RuntimeError("the disk is full")

    response = app.test_client().get("/boom", headers={"X-Request-ID": "support-case-4711"})
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "quote this reference: <code>support-case-4711</code>" in page
    assert "the disk is full" not in page  # the cause goes to the log only
    [failure] = [r for r in caplog.records if r.levelname == "ERROR"]
    assert failure.request_id == "support-case-4711" and "the disk is full" in caplog.text
    with app.app_context():
        db.engine.dispose()
