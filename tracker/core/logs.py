"""Logs: one line per request and per job run, as text or as one JSON object a line
(`LOG_FORMAT`), each line carrying the id of the request or job run it belongs to.

A request's id comes from the proxy's `X-Request-ID` when it is a plain token, or is made
here; it goes back in the response's `X-Request-ID`, into every line logged while the
request runs, and onto the work it leaves for later (a webhook delivery keeps it). A job run
has its own id, `job-<name>-<run id>`, in every line it logs, e-mails included.
"""

import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from flask import Flask, g, request

log = logging.getLogger("tracker.request")

REQUEST_ID_HEADER = "X-Request-ID"
# What a request id may be when it arrives from outside: a token, not a log-injection line.
GIVEN_ID = re.compile(r"[A-Za-z0-9._:-]{8,128}")
TEXT_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"

_current_id: ContextVar[str | None] = ContextVar("request_id", default=None)

# The attributes every LogRecord has; anything else was passed in `extra` and is logged.
_RECORD_FIELDS = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "request_id",
}


def current_id() -> str | None:
    """The id of the request or job run this code works for, if any."""
    return _current_id.get()


@contextmanager
def working_for(id_: str) -> Iterator[None]:
    """Log every line inside the block with `id_` (a job run's id)."""
    token = _current_id.set(id_)
    try:
        yield
    finally:
        _current_id.reset(token)


_plain_record = logging.getLogRecordFactory()


def _record_with_id(*args, **kwargs) -> logging.LogRecord:
    """Every log record made in this process carries the id of the work it was made for."""
    record = _plain_record(*args, **kwargs)
    record.request_id = current_id() or "-"
    return record


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, request id, the `extra` fields
    given to the call, and the traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        request_id = getattr(record, "request_id", "-")
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": None if request_id == "-" else request_id,
        }
        entry.update(
            (key, value) for key, value in vars(record).items() if key not in _RECORD_FIELDS
        )
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def formatter(log_format: str) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)


def configure(log_format: str, level: str) -> None:
    """Send this process's logs to stderr in `log_format`, once (a second call replaces the
    first handler rather than doubling every line)."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "tracker", False)]:
        root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.tracker = True
    handler.setFormatter(formatter(log_format))
    root.addHandler(handler)
    root.setLevel(level)
    # Werkzeug's development server logs its own line per request; ours says more.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # APScheduler's own line per job would double ours (tracker.monitoring.jobs).
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def init_app(app: Flask) -> None:
    """Give every request an id, return it, and log one line when it ends."""
    logging.setLogRecordFactory(_record_with_id)
    if not app.testing:  # under pytest, its capture keeps the lines
        configure(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])

    @app.before_request
    def start_request():
        given = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = given if GIVEN_ID.fullmatch(given) else uuid.uuid4().hex
        g.request_started = time.perf_counter()
        g.request_id_token = _current_id.set(g.request_id)

    @app.after_request
    def end_request(response):
        request_id = g.get("request_id")
        if request_id is None:  # refused before our hook ran (a 413 on reading, say)
            return response
        response.headers[REQUEST_ID_HEADER] = request_id
        duration = round((time.perf_counter() - g.request_started) * 1000, 1)
        user = g.get("_login_user")  # as Flask-Login loaded it; not loaded just to log
        log.info(
            "%s %s %s %.1fms",
            request.method,
            request.path,
            response.status_code,
            duration,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": duration,
                "endpoint": request.endpoint,
                "user_id": getattr(user, "id", None),
                "remote_addr": request.remote_addr,
            },
        )
        return response

    @app.teardown_request
    def forget_request(_error=None):
        token = g.pop("request_id_token", None)
        if token is not None:
            _current_id.reset(token)
