"""Configuration classes. Environment variables override every default.

`create_app()` without an argument picks the class named by `TRACKER_ENV`
(`development`, `testing` or `production`; production when unset, so a
deployment that forgot its settings refuses to start rather than run unsafe).
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return default if value in (None, "") else int(value)


def database_url(value: str | None, default: str) -> str:
    """Normalise a database URL: plain `postgresql://` URLs use the psycopg 3 driver we ship."""
    if not value:
        return default
    for prefix in ("postgres://", "postgresql://"):
        if value.startswith(prefix):
            return "postgresql+psycopg://" + value[len(prefix) :]
    return value


# Trade blocs by ISO country code: a supply link whose supplier shares no bloc with its
# buyer's country is offshore (`tracker.clusters`). TRADE_BLOCS replaces the list, as
# "EU:AT,BE,…;USMCA:CA,MX,US".
DEFAULT_TRADE_BLOCS = {
    "EU": "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE",
    "EFTA": "CH IS LI NO",
    "USMCA": "CA MX US",
}


def trade_blocs(value: str | None) -> dict[str, frozenset[str]]:
    """`TRADE_BLOCS` read: "NAME:CC,CC;NAME:CC" → {name: country codes}. A bloc without a
    name or a code that is not two letters stops the start."""
    if not value or not value.strip():
        return {name: frozenset(codes.split()) for name, codes in DEFAULT_TRADE_BLOCS.items()}
    blocs = {}
    for part in value.split(";"):
        if not part.strip():
            continue
        name, _, codes = part.partition(":")
        countries = {code.strip().upper() for code in codes.split(",") if code.strip()}
        if (
            not name.strip()
            or not countries
            or any(len(code) != 2 or not code.isalpha() for code in countries)
        ):
            raise RuntimeError(
                f"TRADE_BLOCS: {part.strip()!r} is not NAME:CC,CC (two-letter country codes)."
            )
        blocs[name.strip()] = frozenset(countries)
    return blocs


# Logistics emission estimates (`tracker.clusters.routes`): per transport mode, kg CO2e per
# tonne-km and the detour factor from the great-circle distance to the real route.
# EMISSION_FACTORS="road:0.107:1.2;rail:0.03:1.3;…" replaces them; say where yours come
# from in EMISSION_FACTORS_SOURCE, which the pages quote.
DEFAULT_EMISSION_FACTORS = "road:0.107:1.2;rail:0.03:1.3;sea:0.016:1.8;air:0.57:1.05"
DEFAULT_EMISSION_FACTORS_SOURCE = (
    "Defra/DECC GHG Conversion Factors for Company Reporting (2012), Annex 7, freight: "
    "articulated HGV, UK average load, 0.107 kg CO2e per tonne-km; rail freight 0.03; "
    "container ship 0.016; long-haul air freight 0.57. Detour factors are rules of thumb: "
    "road 1.2, rail 1.3, sea 1.8 (canals and coasts), air 1.05."
)


def emission_factors(value: str | None) -> dict[str, tuple[float, float]]:
    """`EMISSION_FACTORS` read: "mode:kg_per_tonne_km:detour;…" for road, rail, sea and air.
    An unknown mode or a factor that is not a positive number stops the start."""
    factors = {}
    for part in (value or DEFAULT_EMISSION_FACTORS).split(";"):
        if not part.strip():
            continue
        bits = [bit.strip() for bit in part.split(":")]
        try:
            mode, per_tonne_km, detour = bits[0].lower(), float(bits[1]), float(bits[2])
        except (IndexError, ValueError):
            mode, per_tonne_km, detour = "", 0.0, 0.0
        if (
            len(bits) != 3
            or mode not in ("road", "rail", "sea", "air")
            or not 0 < per_tonne_km < 100
            or not 1 <= detour < 10
        ):
            raise RuntimeError(
                f"EMISSION_FACTORS: {part.strip()!r} is not mode:kg_per_tonne_km:detour, "
                "e.g. road:0.107:1.2 (modes: road, rail, sea, air; a detour of at least 1)."
            )
        factors[mode] = (per_tonne_km, detour)
    return factors


class Config:
    """Settings shared by every environment."""

    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = database_url(
        os.environ.get("DATABASE_URL"), f"sqlite:///{INSTANCE_DIR / 'tracker.db'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    SCHEDULER_ENABLED = env_bool("SCHEDULER_ENABLED", False)
    REPORTING_CURRENCY = os.environ.get("REPORTING_CURRENCY", "EUR").upper()
    # The IANA time zone whose calendar says which day it is (due today, overdue, as of).
    TRACKER_TIMEZONE = os.environ.get("TRACKER_TIMEZONE", "UTC").strip() or "UTC"
    # An obligation is "at risk" when its progress lags the time elapsed by more than
    # this many percentage points.
    OBLIGATION_AT_RISK_TOLERANCE = env_int("OBLIGATION_AT_RISK_TOLERANCE", 10)
    # EU de minimis ceiling per single undertaking over three rolling years (Reg. 2023/2831).
    DE_MINIMIS_CEILING_EUR = env_int("DE_MINIMIS_CEILING_EUR", 300_000)
    SMTP_HOST = os.environ.get("SMTP_HOST", "localhost")
    MAIL_ENABLED = env_bool("MAIL_ENABLED", True)
    SMTP_PORT = env_int("SMTP_PORT", 25)
    MAIL_FROM = os.environ.get("MAIL_FROM", "ecosystem-tracker@localhost")
    SMTP_USERNAME = os.environ.get("SMTP_USERNAME")
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD")
    SMTP_STARTTLS = env_bool("SMTP_STARTTLS", False)
    # Links in e-mails and webhook payloads point here (the scheduler sends them outside any
    # request); pages and the calendar feed use the address the request came to.
    APP_BASE_URL = os.environ.get("APP_BASE_URL", "http://127.0.0.1:5000")
    # How many reverse proxies in front of the app to believe (X-Forwarded-For, -Proto,
    # -Host, -Port, -Prefix): 1 behind one nginx or load balancer. 0 trusts none, so a
    # client cannot pick its own address; set it to what sits in front, no more.
    TRUSTED_PROXIES = env_int("TRUSTED_PROXIES", 0)
    # Logs: one line per request and per job run, as text or one JSON object a line.
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text").strip().lower()
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO").strip().upper()
    # /metrics (Prometheus) answers these networks, or a request bearing METRICS_TOKEN.
    METRICS_ALLOWED_NETWORKS = os.environ.get("METRICS_ALLOWED_NETWORKS", "127.0.0.0/8,::1/128")
    METRICS_TOKEN = os.environ.get("METRICS_TOKEN")
    # An incoming-webhook URL (Teams, Slack, …) that also receives every alert.
    ALERT_WEBHOOK_URL = os.environ.get("ALERT_WEBHOOK_URL")
    ALERT_MAX_ATTEMPTS = env_int("ALERT_MAX_ATTEMPTS", 10)
    SCAN_INTERVAL_MINUTES = env_int("SCAN_INTERVAL_MINUTES", 5)
    # How often outgoing webhook deliveries that are due are sent (admin page /admin/webhooks).
    WEBHOOK_INTERVAL_SECONDS = env_int("WEBHOOK_INTERVAL_SECONDS", 60)
    DIGEST_HOUR = env_int("DIGEST_HOUR", 7)  # UTC
    DIGEST_LIMIT = env_int("DIGEST_LIMIT", 100)  # alerts listed in one user's digest

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    WTF_CSRF_TIME_LIMIT = None  # tied to the session instead of a wall-clock hour

    # A signed-in session ends after this many minutes without a request, and this many
    # minutes after signing in whatever the activity.
    SESSION_IDLE_TIMEOUT = env_int("SESSION_IDLE_TIMEOUT", 8 * 60)
    SESSION_LIFETIME = env_int("SESSION_LIFETIME", 24 * 60)

    # Throttling (Flask-Limiter; tracker/auth/throttling.py, the API's per-token budget).
    # memory:// counts in each process: with several web processes or hosts, name a shared
    # store, redis://host:6379/0, so every budget is counted once across them.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "tracker")
    RATELIMIT_ENABLED = env_bool("RATELIMIT_ENABLED", True)
    # Sign-in attempts from one address, whichever accounts they name.
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "20 per minute;100 per hour")
    # Wrong passwords for one account (by e-mail, existing or not), from any address.
    LOGIN_ACCOUNT_RATE_LIMIT = os.environ.get(
        "LOGIN_ACCOUNT_RATE_LIMIT", "5 per minute;20 per hour"
    )
    # Wrong current passwords on the password page, per signed-in user.
    PASSWORD_CHECK_RATE_LIMIT = os.environ.get(
        "PASSWORD_CHECK_RATE_LIMIT", "5 per minute;20 per hour"
    )
    RATELIMIT_HEADERS_ENABLED = True
    # Requests per API token (an unauthenticated request: per address), across /api/v1.
    API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "120 per minute;3000 per hour")

    PAGE_SIZE = env_int("PAGE_SIZE", 50)
    # Imports: the largest file accepted, and the request size (the file plus the form).
    IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 10 * 1024 * 1024)
    MAX_CONTENT_LENGTH = IMPORT_MAX_BYTES + 256 * 1024
    # Commitment health: amber when a milestone that has not started is due within this many
    # days, or when progress lags the time elapsed by more than this many percentage points.
    COMMITMENT_AMBER_DAYS = env_int("COMMITMENT_AMBER_DAYS", 14)
    COMMITMENT_LAG_TOLERANCE = env_int("COMMITMENT_LAG_TOLERANCE", 10)
    TRADE_BLOCS = trade_blocs(os.environ.get("TRADE_BLOCS"))
    # The layers of suppliers buying from each other a cluster aims for (the scorecard's depth).
    CLUSTER_LAYERS_TARGET = max(1, env_int("CLUSTER_LAYERS_TARGET", 3))
    EMISSION_FACTORS = emission_factors(os.environ.get("EMISSION_FACTORS"))
    EMISSION_FACTORS_SOURCE = (
        os.environ.get("EMISSION_FACTORS_SOURCE") or DEFAULT_EMISSION_FACTORS_SOURCE
    )


class DevelopmentConfig(Config):
    """`make run`: embedded SQLite, demo data, scheduler in the same process."""

    DEBUG = False
    SECRET_KEY = os.environ.get("SECRET_KEY") or "dev-only-not-secret-change-me"
    SCHEDULER_ENABLED = env_bool("SCHEDULER_ENABLED", True)
    # A laptop has no mail relay: send only when one is configured.
    MAIL_ENABLED = env_bool("MAIL_ENABLED", "SMTP_HOST" in os.environ)


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret-key"
    # tests/conftest.py points SQLite runs at a temporary file.
    SQLALCHEMY_DATABASE_URI = database_url(os.environ.get("TEST_DATABASE_URL"), "sqlite://")
    SCHEDULER_ENABLED = False
    # The limiter is on, as in production, with room for the whole suite's sign-ins;
    # tests/auth/test_rate_limit.py tightens it.
    LOGIN_RATE_LIMIT = LOGIN_ACCOUNT_RATE_LIMIT = PASSWORD_CHECK_RATE_LIMIT = "100000 per minute"
    API_RATE_LIMIT = "100000 per minute"
    # Many tests travel weeks ahead with a signed-in client; tests/auth/test_sessions.py
    # puts the real timeouts back.
    SESSION_IDLE_TIMEOUT = SESSION_LIFETIME = 10 * 365 * 24 * 60
    WTF_CSRF_ENABLED = True
    # Fast hashing in tests only; production uses the strong defaults below.
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 1024


LOG_FORMATS = ("text", "json")

# A session cookie is only as hard to forge as its signing key is to guess.
MIN_SECRET_KEY_BYTES = 32


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE

    @classmethod
    def check(cls) -> None:
        """Refuse to start on settings that would be unsafe in production."""
        make_one = "`python -c 'import secrets; print(secrets.token_hex(32))'`"
        secret_key = os.environ.get("SECRET_KEY")
        if not secret_key:
            raise RuntimeError(
                "SECRET_KEY is not set. Production refuses to start without one: "
                f"set SECRET_KEY to a long random value, e.g. {make_one}."
            )
        if len(secret_key.encode()) < MIN_SECRET_KEY_BYTES:
            raise RuntimeError(
                f"SECRET_KEY is too short ({len(secret_key.encode())} bytes): production needs "
                f"at least {MIN_SECRET_KEY_BYTES}, or sessions can be forged by guessing it. "
                f"Set it to a long random value, e.g. {make_one}."
            )
        check_base_url(os.environ.get("APP_BASE_URL"))


def check_base_url(value: str | None) -> None:
    """APP_BASE_URL must be the address users open: e-mails and webhooks link there."""
    if not value:
        raise RuntimeError(
            "APP_BASE_URL is not set. Production refuses to start without it: links in e-mails "
            "and webhooks point there. Set it to the address users open, e.g. "
            "https://tracker.example.com."
        )
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise RuntimeError(
            f"APP_BASE_URL {value!r} is not an http(s) address: set it to the address users "
            "open, e.g. https://tracker.example.com."
        )
    if parts.query or parts.fragment:
        raise RuntimeError(
            f"APP_BASE_URL {value!r} has a query or fragment: give the address alone, e.g. "
            "https://tracker.example.com (a path such as /tracker is allowed)."
        )


def check_log_format(value: str) -> None:
    if value.strip().lower() not in LOG_FORMATS:
        raise RuntimeError(f"LOG_FORMAT {value!r}: use one of {', '.join(LOG_FORMATS)}.")


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestConfig,
    "production": ProductionConfig,
}
