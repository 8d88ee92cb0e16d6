"""The home page and the application's own health check."""

from flask import Blueprint, render_template
from sqlalchemy import func, select, table, text

from tracker.auth.permissions import READ, requires
from tracker.extensions import db
from tracker.main.navigation import AREAS

bp = Blueprint("main", __name__)


@bp.get("/")
@requires(READ)
def home():
    # One query for every area's row count.
    counts_query = select(
        *(
            select(func.count()).select_from(table(area.table)).scalar_subquery().label(area.table)
            for area in AREAS
        )
    )
    counts = db.session.execute(counts_query).one()._asdict()
    return render_template("main/home.html", areas=AREAS, counts=counts)


@bp.get("/healthz")
def healthz():
    """For load balancers: 200 when the database answers. Reveals nothing else."""
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}
