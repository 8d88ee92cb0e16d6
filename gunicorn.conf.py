"""gunicorn settings for Ecosystem Tracker: `gunicorn -c gunicorn.conf.py` (`make serve`, and
the Procfile's `web`). Every setting comes from the environment; the defaults suit one small
host. The README's "Deployment" section explains them.

    PORT / HOST           where to listen (127.0.0.1:8000); GUNICORN_BIND overrides both
    WEB_CONCURRENCY       worker processes (2); about one per core
    GUNICORN_THREADS      threads per worker (4): requests mostly wait on the database
    GUNICORN_TIMEOUT      seconds before a silent worker is restarted (60)
    GUNICORN_GRACEFUL_TIMEOUT  seconds a worker gets to finish its requests on stop (30)
    GUNICORN_ACCESS_LOG   gunicorn's own access log ("-" for stderr); off by default because
                          the app already logs one line per request, with its request id
"""

import os
import tempfile
from pathlib import Path

import gunicorn.http.wsgi

# Request metrics are counted per process; prometheus-client adds the workers up from files
# in this directory, which must be set before it is first imported (in the workers).
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="tracker-metrics-")

wsgi_app = "tracker:create_app()"
bind = os.environ.get("GUNICORN_BIND") or (
    f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
)
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = 5
# A worker is replaced after this many requests (with jitter, so not all at once).
max_requests = 2000
max_requests_jitter = 200
proc_name = "ecosystem-tracker"
# gunicorn's control socket (one per user by default) is not used, and two servers on one
# host would fight over it.
control_socket_disable = True
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms id=%({x-request-id}o)s'
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# Forwarded headers are the app's to read (TRUSTED_PROXIES), in one place.
secure_scheme_headers = {}
forwarded_allow_ips = "127.0.0.1"
# The Server header names no software: it tells an attacker which published flaws to try.
gunicorn.http.wsgi.SERVER = "Ecosystem Tracker"
# Workers' heartbeat files on tmpfs, as gunicorn advises (a slow disk can stall them).
if Path("/dev/shm").is_dir():  # noqa: S108 (gunicorn's own heartbeat files, no data)
    worker_tmp_dir = "/dev/shm"  # noqa: S108

if os.environ.get("LOG_FORMAT", "text").strip().lower() == "json":
    # gunicorn's own lines (workers started, stopped, timed out) as JSON too.
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "tracker.core.logs.JsonFormatter"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"level": "INFO", "handlers": []},  # the app adds its own (tracker.core.logs)
        "loggers": {
            "gunicorn.error": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
            # With a logging config gunicorn always logs access lines: only where asked.
            "gunicorn.access": {
                "handlers": ["stderr"] if accesslog else [],
                "level": "INFO" if accesslog else "WARNING",
                "propagate": False,
            },
        },
    }


# The files prometheus-client keeps per process; only these are cleared at start, whatever
# else a PROMETHEUS_MULTIPROC_DIR set by hand may hold (give it a directory of its own).
METRIC_FILES = ("counter_*.db", "gauge_*.db", "histogram_*.db", "summary_*.db")


def on_starting(server):
    """Start with no counts left by an earlier run in the metrics directory."""
    directory = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    directory.mkdir(parents=True, exist_ok=True)
    for pattern in METRIC_FILES:
        for stale in directory.glob(pattern):
            stale.unlink(missing_ok=True)
    storage = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    if storage.startswith("memory://") and workers > 1:
        server.log.warning(
            "RATELIMIT_STORAGE_URI is memory://: each of the %s workers counts sign-in and API "
            "budgets on its own. Set it to a shared store (redis://host:6379/0).",
            workers,
        )


def child_exit(server, worker):
    """A worker that stopped no longer counts towards the live gauges."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
