"""`flask seed-demo` in production and the development server's `Server` header."""

import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from config import DevelopmentConfig, ProductionConfig
from tracker import create_app
from tracker.auth.models import User
from tracker.extensions import db

ROOT = Path(__file__).resolve().parent.parent


def _app_on_file(config, tmp_path):
    class FileConfig(config):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'commands.db'}"
        SCHEDULER_ENABLED = False
        MAIL_ENABLED = False

    app = create_app(FileConfig)
    with app.app_context():
        db.create_all()
    return app


def _users(app) -> int:
    with app.app_context():
        count = db.session.query(User).count()
        db.session.remove()
        return count


@pytest.mark.parametrize("tracker_env", [None, "production"])
def test_seed_demo_refuses_to_run_in_production(tmp_path, monkeypatch, tracker_env):
    monkeypatch.setenv("SECRET_KEY", "a-long-random-production-secret-" + "x" * 32)
    monkeypatch.setenv("APP_BASE_URL", "https://tracker.example.com")
    if tracker_env is None:
        monkeypatch.delenv("TRACKER_ENV", raising=False)
    else:
        monkeypatch.setenv("TRACKER_ENV", tracker_env)
    app = _app_on_file(ProductionConfig, tmp_path)

    with app.app_context():  # the command runs on this app, not the suite's
        result = app.test_cli_runner().invoke(args=["seed-demo"])

    assert result.exit_code == 1
    assert "seed-demo refuses to run in production" in result.output
    assert "TRACKER_ENV=development" in result.output
    assert _users(app) == 0
    with app.app_context():
        db.engine.dispose()


def test_seed_demo_runs_in_development(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_ENV", "development")
    app = _app_on_file(DevelopmentConfig, tmp_path)

    with app.app_context():  # the command runs on this app, not the suite's
        result = app.test_cli_runner().invoke(args=["seed-demo"])

    assert result.exit_code == 0, result.output
    assert "Demo data loaded." in result.output
    assert _users(app) > 0
    with app.app_context():
        db.engine.dispose()


def test_refresh_derives_the_stored_state_lost_or_never_written(app, runner):
    from tracker.core import derived
    from tracker.core.items import StoredItem
    from tracker.core.states import StoredState
    from tracker.demo import seed_demo

    seed_demo()
    db.session.commit()
    db.session.execute(StoredItem.__table__.delete())
    db.session.execute(StoredState.__table__.delete())
    db.session.commit()
    assert derived.differences() != []

    result = runner.invoke(args=["refresh"])

    assert result.exit_code == 0, result.output
    assert "Stored state derived again" in result.output
    assert "derived_states" in result.output and "dated_items" in result.output
    db.session.rollback()
    assert derived.differences() == []


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_serve_names_no_server_software_or_python_version(tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "TRACKER_ENV": "development",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
        "SCHEDULER_ENABLED": "0",
        "MAIL_ENABLED": "0",
    }
    env.pop("TEST_DATABASE_URL", None)
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
        [sys.executable, "-m", "flask", "--app", "tracker", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("GET", "/login")
                response = connection.getresponse()
                break
            except OSError:
                assert server.poll() is None, (tmp_path / "serve.log").read_text()
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        response.read()
        connection.close()
        assert response.status == 200
        banner = response.getheader("Server") or ""
        assert "Werkzeug" not in banner
        assert "Python" not in banner
        assert banner == "Ecosystem Tracker"
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()
