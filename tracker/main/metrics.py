"""`/metrics` in the Prometheus text format.

Requests are counted in the process that served them (prometheus-client); under gunicorn,
`gunicorn.conf.py` sets `PROMETHEUS_MULTIPROC_DIR` so a scrape of any worker adds up every
worker of that server. Jobs and alerts are read from the database at each scrape, so every
web process on every host reports the same figures whichever process ran the scheduler.

Readable from `METRICS_ALLOWED_NETWORKS` (loopback by default) or with
`Authorization: Bearer <METRICS_TOKEN>`; anyone else gets a 403.
"""

import hmac
import ipaddress
import os
import time

from flask import Flask, abort, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from sqlalchemy.exc import SQLAlchemyError

from tracker.extensions import db
from tracker.monitoring import jobs

REQUESTS = Counter(
    "tracker_http_requests",
    "HTTP requests served, by method, endpoint and status.",
    ["method", "endpoint", "status"],
)
LATENCY = Histogram(
    "tracker_http_request_duration_seconds",
    "How long requests took to answer, by endpoint.",
    ["endpoint"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


def _family(kind, name: str, documentation: str, labels: list[str], samples):
    """A metric family of `kind` holding each (label values, value) of `samples`."""
    family = kind(name, documentation, labels=labels)
    for values, value in samples:
        family.add_metric(list(values), value)
    return family


class StoredFigures:
    """Jobs and alerts as the database holds them (`jobs.figures`)."""

    def collect(self):
        try:
            figures = jobs.figures()
        except SQLAlchemyError:
            db.session.rollback()
            current_app.logger.exception("metrics: the database does not answer")
            yield GaugeMetricFamily("tracker_database_up", "Whether the database answered.", 0)
            return
        yield GaugeMetricFamily("tracker_database_up", "Whether the database answered.", 1)
        yield _family(
            CounterMetricFamily,
            "tracker_job_runs",
            "Scheduled job runs recorded, by job and outcome.",
            ["job", "outcome"],
            (((job, outcome), count) for job, outcome, count in figures["runs"]),
        )
        yield _family(
            GaugeMetricFamily,
            "tracker_job_last_success_timestamp_seconds",
            "When each job last finished successfully (Unix time).",
            ["job"],
            (((job,), at.timestamp()) for job, at in figures["last_success"].items()),
        )
        yield _family(
            GaugeMetricFamily,
            "tracker_job_last_duration_seconds",
            "How long each job's last run took.",
            ["job"],
            (((job,), seconds) for job, seconds in figures["last_duration"].items()),
        )
        yield _family(
            GaugeMetricFamily,
            "tracker_alerts",
            "Alerts raised, by kind and state.",
            ["kind", "state"],
            (((kind, state), count) for kind, state, count in figures["alerts"]),
        )
        yield GaugeMetricFamily(
            "tracker_webhook_deliveries_pending",
            "Outgoing webhook deliveries waiting to be sent.",
            value=figures["webhooks_pending"],
        )


def _process_registry() -> CollectorRegistry:
    if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


def may_read() -> bool:
    token = current_app.config.get("METRICS_TOKEN")
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(address in network for network in current_app.extensions["metrics_networks"])


def networks(setting: str) -> list:
    try:
        return [ipaddress.ip_network(part.strip()) for part in setting.split(",") if part.strip()]
    except ValueError as error:
        raise RuntimeError(f"METRICS_ALLOWED_NETWORKS: {error}") from None


def scrape():
    if not may_read():
        abort(403)
    stored = CollectorRegistry(auto_describe=False)
    stored.register(StoredFigures())
    body = generate_latest(_process_registry()) + generate_latest(stored)
    return body, 200, {"Content-Type": CONTENT_TYPE_LATEST, "Cache-Control": "no-store"}


def init_app(app: Flask) -> None:
    """Count every request and serve /metrics."""
    app.extensions["metrics_networks"] = networks(app.config["METRICS_ALLOWED_NETWORKS"])

    @app.after_request
    def count(response):
        started = g.get("request_started")  # set first thing by tracker.core.logs
        if started is not None:
            endpoint = request.endpoint or "unmatched"
            REQUESTS.labels(request.method, endpoint, str(response.status_code)).inc()
            LATENCY.labels(endpoint).observe(time.perf_counter() - started)
        return response

    app.add_url_rule("/metrics", "metrics", scrape, methods=["GET"])
