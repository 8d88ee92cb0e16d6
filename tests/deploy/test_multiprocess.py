"""The production shape, for real: the Procfile under honcho runs two gunicorn servers (two
workers each) on two loopback ports and two schedulers, one started by mistake, on one
PostgreSQL database, with throttling counted in Redis. The schedulers live 20 days ahead
(tests/deploy/clock), past a set of the demo's deadlines.

A bounded burst of reads and writes goes to both servers; then: no 5xx, every write read back
from the other server, every due alert raised and e-mailed exactly once, every job run
recorded by exactly one of the two schedulers, every webhook delivered once, a sign-in budget
spent across both servers, /metrics adding up each server's workers, /readyz ready on both,
and JSON log lines carrying the request id a client sent.

PostgreSQL only (TEST_DATABASE_URL, CI's second run): SQLite is the one-process shape.
"""

import itertools
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
import requests
from aiosmtpd.controller import Controller
from sqlalchemy.engine import make_url

from tests.monitoring.conftest import Inbox, free_port
from tracker.demo import DEMO_PASSWORD

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DATABASE = "tracker_multiprocess"
SKEW = timedelta(days=20)  # how far ahead the schedulers live
ACCOUNT_BUDGET = 3  # wrong passwords per account per minute, across every server

pytestmark = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="the multi-process deployment runs on PostgreSQL (TEST_DATABASE_URL); "
    "CI's second run has it",
)


def _redis_url() -> str:
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    host, port = make_url(url).host, make_url(url).port or 6379
    try:
        socket.create_connection((host, port), timeout=2).close()
    except OSError:
        pytest.fail(
            f"Redis does not answer at {host}:{port}: the deployment test counts throttling "
            "there. Start it (`.ci/run` does) or set TEST_REDIS_URL."
        )
    return url


def _admin_dsn(database: str) -> str:
    url = make_url(os.environ["TEST_DATABASE_URL"]).set(drivername="postgresql", database=database)
    return url.render_as_string(hide_password=False)


def _recreate(database: str) -> None:
    with psycopg.connect(_admin_dsn("postgres"), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{database}"')


def _drop(database: str) -> None:
    with psycopg.connect(_admin_dsn("postgres"), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


class Deployment:
    """Two servers, their logs, and what the test sent each of them."""

    def __init__(self, env: dict, ports: list[int], log: Path):
        self.env, self.log = env, log
        self.urls = [f"http://127.0.0.1:{port}" for port in ports]
        self.answered = Counter()  # requests each server answered
        self._counting = threading.Lock()

    def call(self, session, method: str, server: int, path: str, **kwargs):
        response = session.request(method, self.urls[server] + path, timeout=30, **kwargs)
        with self._counting:
            self.answered[server] += 1
        assert response.status_code < 500, (method, server, path, response.text[:500])
        return response

    def flask(self, *args: str, clock: bool = False) -> str:
        env = dict(self.env)
        if not clock:
            env.pop("TRACKER_TEST_CLOCK")
        result = subprocess.run(  # noqa: S603 (our own venv's flask)
            [str(BIN / "flask"), "--app", "tracker", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def lines(self, process: str) -> list[str]:
        """What one process (web.1, scheduler.2 …) wrote, without honcho's prefix."""
        prefix = re.compile(rf"^\S+ {re.escape(process)}\s+\| (.*)$")
        return [
            match.group(1)
            for match in map(prefix.match, self.log.read_text().splitlines())
            if match
        ]

    def json_lines(self, process: str) -> list[dict]:
        found = []
        for line in self.lines(process):
            if line.startswith("{"):
                found.append(json.loads(line))
        return found


def _wait_for(condition, what: str, seconds: float = 60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.25)
    pytest.fail(f"timed out waiting for {what}")


def _answers(url: str) -> bool:
    try:
        return requests.get(url + "/healthz", timeout=5).status_code == 200
    except requests.RequestException:  # not listening yet, or its workers still loading
        return False


@pytest.fixture
def deployment(tmp_path, receiver):
    redis_url = _redis_url()
    _recreate(DATABASE)
    inbox, smtp_port = Inbox(), free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    base_port = free_port()
    while not all(_free(base_port + n) for n in (1, 100, 101)):
        base_port = free_port()
    env = {
        "PATH": f"{BIN}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "PYTHONPATH": str(ROOT / "tests" / "deploy" / "clock"),
        "PYTHONUNBUFFERED": "1",
        "TRACKER_ENV": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "APP_BASE_URL": f"http://127.0.0.1:{base_port}",
        "DATABASE_URL": make_url(os.environ["TEST_DATABASE_URL"])
        .set(database=DATABASE)
        .render_as_string(hide_password=False),
        "SESSION_COOKIE_SECURE": "0",  # plain http on loopback
        "RATELIMIT_STORAGE_URI": redis_url,
        "RATELIMIT_KEY_PREFIX": f"tracker-test-{uuid.uuid4().hex}",
        "LOGIN_ACCOUNT_RATE_LIMIT": f"{ACCOUNT_BUDGET} per minute",
        "API_RATE_LIMIT": "10000 per minute",
        "LOG_FORMAT": "json",
        "WEB_CONCURRENCY": "2",
        "GUNICORN_THREADS": "4",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "SCAN_INTERVAL_MINUTES": "1",
        "DIGEST_HOUR": str((datetime.now(UTC).hour + 12) % 24),  # no digest during the test
        "WEBHOOK_INTERVAL_SECONDS": "1",
        "TRACKER_TEST_CLOCK": (datetime.now(UTC) + SKEW).isoformat(),
    }
    log = tmp_path / "honcho.log"
    deployment = Deployment(env, [base_port, base_port + 1], log)
    # The Procfile's release step, then the demo (a development-only command) and a token.
    release = subprocess.run(  # noqa: S603
        [str(BIN / "honcho"), "start", "-f", "Procfile", "release"],
        cwd=ROOT,
        env={**env, "TRACKER_TEST_CLOCK": ""},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "release.1 stopped (rc=0)" in release.stdout, release.stdout + release.stderr
    deployment.env["TRACKER_ENV"] = "development"
    deployment.flask("seed-demo")
    deployment.env["TRACKER_ENV"] = "production"
    deployment.token = deployment.flask("create-token", "--email", "manager@example.com")
    deployment.token = deployment.token.strip().splitlines()[-1]
    deployment.inbox, deployment.receiver = inbox, receiver

    with log.open("w") as output:
        honcho = subprocess.Popen(  # noqa: S603
            [
                str(BIN / "honcho"),
                "start",
                "--no-colour",
                "-f",
                "Procfile",
                "-p",
                str(base_port),
                "-c",
                "web=2,scheduler=2",
                "web",
                "scheduler",
            ],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:

        def up() -> bool:
            if honcho.poll() is not None:
                pytest.fail("honcho stopped:\n" + log.read_text()[-3000:])
            return all(_answers(url) for url in deployment.urls)

        _wait_for(up, "both servers")
        yield deployment
    finally:
        os.killpg(honcho.pid, signal.SIGTERM)
        try:
            honcho.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(honcho.pid, signal.SIGKILL)
            honcho.wait()
        smtp.stop()
        _drop(DATABASE)


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _sign_in(deployment, session, server: int, email: str, password: str):
    form = deployment.call(session, "GET", server, "/login")
    token = CSRF.search(form.text).group(1)
    return deployment.call(
        session,
        "POST",
        server,
        "/login",
        data={"email": email, "password": password, "csrf_token": token},
        allow_redirects=False,
    )


def _query(sql: str) -> list[tuple]:
    with psycopg.connect(_admin_dsn(DATABASE)) as connection:
        return connection.execute(sql).fetchall()


PAGES = ["/", "/partners", "/engagements", "/incentives", "/commitments", "/due", "/dashboard"]


def test_two_servers_and_two_schedulers_on_one_database(deployment):
    d = deployment
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {d.token}"

    # An admin subscribes a receiver to record changes, on one server.
    admin = requests.Session()
    assert _sign_in(d, admin, 0, "admin@example.com", DEMO_PASSWORD).status_code == 302
    form = d.call(admin, "GET", 0, "/admin/webhooks/new")
    created = d.call(
        admin,
        "POST",
        0,
        "/admin/webhooks/new",
        data={
            "name": "ERP",
            "url": d.receiver.url,
            "events": ["record.created"],
            "active": "y",
            "csrf_token": CSRF.search(form.text).group(1),
        },
    )
    assert created.status_code == 201

    # A session signed in on one server is signed in on the other: nothing lives in a process.
    manager = requests.Session()
    assert _sign_in(d, manager, 1, "manager@example.com", DEMO_PASSWORD).status_code == 302
    assert d.call(manager, "GET", 0, "/partners").url.endswith("/partners")

    def requests_counted(server: int) -> float:
        scrape = d.call(requests, "GET", server, "/metrics").text
        assert "tracker_job_runs_total{" in scrape or "tracker_database_up 1.0" in scrape
        return sum(
            float(line.rpartition(" ")[2])
            for line in scrape.splitlines()
            if line.startswith("tracker_http_requests_total{")
        )

    answered_before = d.answered[0]
    counted_before = requests_counted(0)

    # The burst: 40 partners written through the API, alternating servers, and 140 page and
    # API reads, eight at a time.
    def write(n: int):
        response = d.call(
            api,
            "POST",
            n % 2,
            "/api/v1/partners",
            json={
                "name": f"Burst Supplier {n:03d}",
                "kind": "tier2_supplier",
                "country_code": "SK",
            },
        )
        assert response.status_code == 201, response.text
        return n, response.json()["id"]

    def read(n: int):
        if n % 2:
            response = d.call(manager, "GET", n % 2, PAGES[n % len(PAGES)])
        else:
            response = d.call(api, "GET", n % 2, "/api/v1/partners?per_page=20")
        assert response.status_code == 200

    with ThreadPoolExecutor(max_workers=8) as pool:
        writes = pool.map(write, range(40))
        reads = pool.map(read, range(140))
        written = dict(writes)
        list(reads)

    # Every write is read back from the other server.
    for n, partner_id in written.items():
        response = d.call(api, "GET", 1 - n % 2, f"/api/v1/partners/{partner_id}")
        assert response.json()["name"] == f"Burst Supplier {n:03d}"

    # The sign-in budget of one account is spent across both servers (Redis), not per worker.
    wrong = requests.Session()
    statuses = [
        _sign_in(d, wrong, n % 2, "viewer@example.com", "not-the-password").status_code
        for n in range(ACCOUNT_BUDGET + 2)
    ]
    assert statuses == [200] * ACCOUNT_BUDGET + [429, 429]

    # The schedulers: both started, one scans each tick; every due alert raised and e-mailed
    # once; every job run recorded by one of the two.
    schedulers = {}
    for process in ("scheduler.1", "scheduler.2"):
        started = [line for line in d.lines(process) if line.startswith("Scheduler ")]
        assert started, d.log.read_text()[-3000:]
        schedulers[process] = started[0].split()[1]
    assert len(set(schedulers.values())) == 2

    _wait_for(lambda: _query("SELECT count(*) FROM job_runs WHERE job = 'scan'")[0][0] >= 1, "scan")
    _wait_for(
        lambda: (
            not _query(
                "SELECT 1 FROM job_runs WHERE outcome = 'running' "
                "UNION ALL SELECT 1 FROM webhook_deliveries WHERE status = 'pending'"
            )
        ),
        "the schedulers to finish their work",
    )
    runs = _query("SELECT job, process, outcome, started_at FROM job_runs ORDER BY started_at")
    assert runs and {process for _job, process, _o, _s in runs} <= set(schedulers.values())
    assert all(outcome == "success" for _job, _p, outcome, _s in runs), runs
    scans = [started for job, _p, _o, started in runs if job == "scan"]
    assert all(b - a >= timedelta(seconds=30) for a, b in itertools.pairwise(scans)), scans
    skipped = [
        process
        for process in schedulers
        if any("scan skipped" in line.get("message", "") for line in d.json_lines(process))
    ]
    assert skipped, "the second scheduler never found the scan taken"

    alerts = _query("SELECT count(*) FROM alerts")[0][0]
    assert alerts > 0
    duplicates = _query(
        "SELECT subject_type, subject_id, kind, threshold_days FROM alerts "
        "GROUP BY 1, 2, 3, 4 HAVING count(*) > 1"
    )
    assert duplicates == []
    # A scan run now, at the schedulers' time, finds nothing left to raise.
    assert "Raised 0 alerts (nothing new)" in d.flask("scan", clock=True)
    emailed = _query("SELECT count(*) FROM alert_recipients WHERE emailed_at IS NOT NULL")[0][0]
    assert emailed > 0
    _wait_for(lambda: len(d.inbox.messages) >= emailed, "the e-mails")
    sent = Counter((tuple(m["to"]), m["subject"]) for m in d.inbox.messages)
    assert len(d.inbox.messages) == emailed and max(sent.values()) == 1

    # Every webhook delivery reached the receiver once, whichever scheduler sent it.
    delivered = Counter(headers["X-Tracker-Delivery"] for headers, _body in d.receiver.requests)
    assert len(delivered) == 40 and max(delivered.values()) == 1

    # Ready on both servers: database, migrations and scheduler.
    for server in (0, 1):
        ready = d.call(requests, "GET", server, "/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json()["status"] == "ready"

    # /metrics adds up both workers of a server: every request it answered since the first
    # scrape is counted (that scrape included, this one not yet).
    answered = d.answered[0] - answered_before
    assert requests_counted(0) - counted_before == answered
    scrape = d.call(requests, "GET", 1, "/metrics").text
    assert 'tracker_job_runs_total{job="scan",outcome="success"}' in scrape

    # JSON log lines, with the request id a client sent, in the server that answered.
    d.call(requests, "GET", 1, "/healthz", headers={"X-Request-ID": "multi-process-0001"})
    _wait_for(
        lambda: any(
            line.get("request_id") == "multi-process-0001" and line.get("path") == "/healthz"
            for line in d.json_lines("web.2")
        ),
        "the request's log line",
        seconds=10,
    )
