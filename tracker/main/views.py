"""The home page and the application's own health check."""

from flask import Blueprint, current_app, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import func, select, table, text
from sqlalchemy.exc import SQLAlchemyError

from tracker.auth.models import Role
from tracker.auth.permissions import READ, requires
from tracker.core.types import today
from tracker.extensions import db
from tracker.main.navigation import AREAS

bp = Blueprint("main", __name__)


@bp.get("/")
@requires(READ)
def home():
    """Leadership lands on the dashboard; everyone else on their own work and the areas."""
    if current_user.role == Role.VIEWER:
        return redirect(url_for("reports.dashboard"))
    from tracker.reports.services import my_work

    areas = [area for area in AREAS if area.table]
    # One query for every area's row count.
    counts_query = select(
        *(
            select(func.count()).select_from(table(area.table)).scalar_subquery().label(area.table)
            for area in areas
        )
    )
    counts = db.session.execute(counts_query).one()._asdict()
    return render_template(
        "main/home.html",
        areas=areas,
        counts=counts,
        work=my_work(current_user, today()),
        as_of=today(),
    )


@bp.get("/healthz")
def healthz():
    """Liveness: the process answers. Nothing else is checked (see /readyz)."""
    return {"status": "ok"}


@bp.get("/readyz")
def readyz():
    """Readiness, for load balancers and monitoring: the database answers, its schema is at
    the migrations' head, and the scheduler's scan succeeded recently. JSON either way;
    503 when any check fails. Errors go to the log, not to the caller."""
    checks = {"database": _database_check()}
    if checks["database"]["ok"]:
        checks["migrations"] = _migrations_check()
    if checks.get("migrations", {}).get("ok"):
        checks["scheduler"] = _scheduler_check()
    ready = all(check["ok"] for check in checks.values())
    body = {"status": "ready" if ready else "not ready", "checks": checks}
    return body, 200 if ready else 503, {"Cache-Control": "no-store"}


def _database_check() -> dict:
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        current_app.logger.exception("readiness: the database does not answer")
        return {"ok": False}
    return {"ok": True}


def _migrations_check() -> dict:
    from alembic.migration import MigrationContext

    heads = _migration_heads()
    current = set(MigrationContext.configure(db.session.connection()).get_current_heads())
    return {"ok": current == heads, "current": sorted(current), "head": sorted(heads)}


def _migration_heads() -> set[str]:
    """The migrations' heads, read from their files on the first readiness check (reading
    them costs ~0.2 s: not something every process start should pay)."""
    heads = current_app.extensions.get("migration_heads")
    if heads is None:
        from alembic.script import ScriptDirectory

        directory = current_app.extensions["migrate"].directory
        heads = current_app.extensions["migration_heads"] = set(
            ScriptDirectory(directory).get_heads()
        )
    return heads


def _scheduler_check() -> dict:
    from tracker.monitoring.jobs import job_health

    health = job_health()
    last = health["last_success"]["scan"]
    return {
        "ok": not health["scan_stale"],
        "last_scan": last.isoformat() if last else None,
        "max_age_seconds": 2 * 60 * health["interval"],
    }
