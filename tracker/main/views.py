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
    """For load balancers: 200 when the database answers, 503 when it does not, JSON both
    ways. Reveals nothing else (the error goes to the log)."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        current_app.logger.exception("health check: the database does not answer")
        return {"status": "unavailable"}, 503
    return {"status": "ok"}
