"""gunicorn.conf.py on its own, on any database: what `make serve` and the Procfile's web
run. (test_multiprocess.py runs the whole Procfile on PostgreSQL.)"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.monitoring.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def test_the_procfile_names_release_web_and_scheduler():
    processes = dict(
        line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line
    )
    assert processes == {
        "release": "flask --app tracker db upgrade",
        "web": "gunicorn -c gunicorn.conf.py",
        "scheduler": "flask --app tracker scheduler",
    }
    checked = subprocess.run(  # noqa: S603 (our own venv's honcho)
        [str(BIN / "honcho"), "check", "-f", "Procfile"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr


@pytest.fixture
def gunicorn(tmp_path):
    port = free_port()
    env = {
        "PATH": f"{BIN}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "TRACKER_ENV": "development",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
    }
    subprocess.run(  # noqa: S603
        [str(BIN / "flask"), "--app", "tracker", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        check=True,
    )
    # Someone else's file in the metrics directory, and a stale count from an earlier run.
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics" / "notes.txt").write_text("not prometheus-client's")
    (tmp_path / "metrics" / "counter_999999.db").write_bytes(b"")
    log = (tmp_path / "gunicorn.log").open("w")
    server = subprocess.Popen(  # noqa: S603
        [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "/healthz", timeout=5).status_code == 200:
                break
        except requests.RequestException:
            time.sleep(0.25)
    else:
        pytest.fail("gunicorn did not answer:\n" + (tmp_path / "gunicorn.log").read_text())
    yield url, tmp_path / "gunicorn.log"
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=40)
    log.close()


def test_gunicorn_serves_the_app_and_counts_requests_in_the_metrics_directory(gunicorn):
    url, log = gunicorn
    response = requests.get(url + "/readyz", timeout=10)
    assert response.status_code == 503  # no scheduler has scanned yet
    assert response.json()["checks"]["migrations"]["ok"] is True
    assert response.headers["Server"] == "Ecosystem Tracker"  # no software named
    assert len(response.headers["X-Request-ID"]) == 32

    # Every request is counted, whichever worker took it (test_multiprocess.py checks the
    # exact sum across workers under load).
    for _ in range(20):
        requests.get(url + "/healthz", headers={"Connection": "close"}, timeout=10)
    scrape = requests.get(url + "/metrics", timeout=10).text
    samples = dict(
        line.rsplit(" ", 1) for line in scrape.splitlines() if line and not line.startswith("#")
    )
    healthz = 'tracker_http_requests_total{endpoint="main.healthz",method="GET",status="200"}'
    assert float(samples[healthz]) >= 20  # and the start-up probes
    metrics = log.parent / "metrics"
    assert list(metrics.glob("counter_*.db"))  # counted in files, not in memory
    assert not (metrics / "counter_999999.db").exists()  # the stale count was cleared
    assert (metrics / "notes.txt").read_text() == "not prometheus-client's"  # nothing else
    assert "GET /healthz 200" in log.read_text()  # the app's own line per request
