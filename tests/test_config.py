"""Configuration: environment overrides and production's refusal to run unsafe."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from config import MIN_SECRET_KEY_BYTES, ProductionConfig, database_url

ROOT = Path(__file__).resolve().parents[1]


def _run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 (our own interpreter and code)
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_production_refuses_to_start_without_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY is not set"):
        ProductionConfig.check()


def test_production_refuses_a_short_secret_key(monkeypatch):
    monkeypatch.setenv("APP_BASE_URL", "https://tracker.example.com")
    monkeypatch.setenv("SECRET_KEY", "x" * (MIN_SECRET_KEY_BYTES - 1))
    with pytest.raises(RuntimeError, match="SECRET_KEY is too short") as refused:
        ProductionConfig.check()
    assert "secrets.token_hex(32)" in str(refused.value)  # says how to make one
    # Bytes are counted, not characters.
    monkeypatch.setenv("SECRET_KEY", "é" * 16)
    ProductionConfig.check()
    monkeypatch.setenv("SECRET_KEY", "x" * MIN_SECRET_KEY_BYTES)
    ProductionConfig.check()


def test_production_start_with_a_short_secret_key_fails_with_clear_message():
    result = _run_python(
        "from tracker import create_app; create_app()",
        {"PATH": "/usr/bin:/bin", "TRACKER_ENV": "production", "SECRET_KEY": "changeme"},
    )
    assert result.returncode != 0
    assert "SECRET_KEY is too short (8 bytes)" in result.stderr


def test_environment_variables_override_defaults(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "TRACKER_ENV": "production",
        "SECRET_KEY": "from-the-environment-and-long-enough",
        "APP_BASE_URL": "https://tracker.example.com",
        "DATABASE_URL": "postgresql://u@db.example:5432/tracker",
        "REPORTING_CURRENCY": "usd",
        "SCHEDULER_ENABLED": "yes",
        "SMTP_HOST": "smtp.example",
        "SMTP_PORT": "2525",
        "MAIL_FROM": "alerts@example.com",
    }
    code = (
        "from tracker import create_app; app = create_app(); c = app.config; "
        "print(c['SECRET_KEY'], c['SQLALCHEMY_DATABASE_URI'], c['REPORTING_CURRENCY'], "
        "c['SCHEDULER_ENABLED'], c['SMTP_HOST'], c['SMTP_PORT'], c['MAIL_FROM'], "
        "c['SESSION_COOKIE_SECURE'])"
    )
    result = _run_python(code, env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "from-the-environment-and-long-enough",
        "postgresql+psycopg://u@db.example:5432/tracker",
        "USD",
        "True",
        "smtp.example",
        "2525",
        "alerts@example.com",
        "True",
    ]


def test_production_start_without_secret_key_fails_with_clear_message():
    result = _run_python(
        "from tracker import create_app; create_app()",
        {"PATH": "/usr/bin:/bin", "TRACKER_ENV": "production"},
    )
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (None, "sqlite:///default.db"),
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
    ],
)
def test_database_url_normalisation(given, expected):
    assert database_url(given, "sqlite:///default.db") == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "APP_BASE_URL is not set"),
        ("", "APP_BASE_URL is not set"),
        ("tracker.example.com", "is not an http(s) address"),
        ("ftp://tracker.example.com", "is not an http(s) address"),
        ("https://", "is not an http(s) address"),
        ("https://tracker.example.com/?x=1", "has a query or fragment"),
    ],
)
def test_production_refuses_a_missing_or_wrong_base_url(monkeypatch, value, message):
    monkeypatch.setenv("SECRET_KEY", "x" * MIN_SECRET_KEY_BYTES)
    if value is None:
        monkeypatch.delenv("APP_BASE_URL", raising=False)
    else:
        monkeypatch.setenv("APP_BASE_URL", value)
    with pytest.raises(RuntimeError, match=re.escape(message)) as refused:
        ProductionConfig.check()
    assert "https://tracker.example.com" in str(refused.value)  # says what to give


@pytest.mark.parametrize("value", ["https://tracker.example.com", "http://10.0.0.5:8000/tracker"])
def test_production_accepts_a_base_url(monkeypatch, value):
    monkeypatch.setenv("SECRET_KEY", "x" * MIN_SECRET_KEY_BYTES)
    monkeypatch.setenv("APP_BASE_URL", value)
    ProductionConfig.check()


def test_an_unknown_log_format_stops_the_start_with_the_choices():
    result = _run_python(
        "from tracker import create_app; create_app()",
        {"PATH": "/usr/bin:/bin", "TRACKER_ENV": "development", "LOG_FORMAT": "xml"},
    )
    assert result.returncode != 0
    assert "LOG_FORMAT 'xml': use one of text, json." in result.stderr
