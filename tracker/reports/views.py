"""The dashboard, everything due, and the partner and region status pages."""

import json

from flask import Blueprint, render_template, request
from flask_login import current_user
from markupsafe import Markup

from tracker.auth.permissions import READ, requires
from tracker.clusters import scores as cluster_scores
from tracker.clusters import services as cluster_services
from tracker.commitments.models import Commitment
from tracker.core.listing import paginate
from tracker.core.money import RateBook
from tracker.core.tables import export_list
from tracker.core.types import today
from tracker.extensions import db
from tracker.incentives.models import Incentive
from tracker.partners import services as partner_services
from tracker.partners.models import Partner, Region
from tracker.reports import services
from tracker.reports.forms import DueFilterForm
from tracker.reports.lists import DUE

bp = Blueprint("reports", __name__)


def chart_data(payload: dict) -> Markup:
    """Data for a chart, as JSON safe inside a `<script type="application/json">` block."""
    text = json.dumps(payload, default=str).replace("<", "\\u003c").replace(">", "\\u003e")
    return Markup(text.replace("&", "\\u0026"))  # noqa: S704 (escaped above)


@bp.get("/dashboard")
@requires(READ)
def dashboard():
    figures = services.dashboard()
    charts = {
        "health": {
            "labels": ["Red", "Amber", "Green"],
            "values": [figures.health[s].count for s in ("red", "amber", "green")],
        },
        "engagements": {
            "labels": [month for month, _ in figures.engagements_by_month],
            "values": [count for _, count in figures.engagements_by_month],
        },
        "due": {
            "labels": sorted(set(figures.overdue_by_kind) | set(figures.next30_by_kind)),
        },
    }
    charts["due"]["overdue"] = [figures.overdue_by_kind.get(k, 0) for k in charts["due"]["labels"]]
    charts["due"]["next30"] = [figures.next30_by_kind.get(k, 0) for k in charts["due"]["labels"]]
    return render_template("reports/dashboard.html", d=figures, charts=chart_data(charts))


@bp.get("/due")
@requires(READ)
def due():
    as_of = today()
    form = DueFilterForm(request.args, users=partner_services.active_users())
    valid = form.validate()
    sort = request.args.get("sort", "date")
    sort = sort if sort in services.DUE_SORTS else "date"
    descending = request.args.get("dir") == "desc"
    query = services.due_query(
        as_of,
        kind=form.kind.data if valid else "",
        owner_id=form.owner_id.data if valid else None,
        # mine=1: what the user owns, and what the partners they look after owe.
        responsible_id=current_user.id if valid and form.mine.data else None,
        window=form.window.data if valid else "all",
        sort=sort,
        descending=descending,
    )
    if request.args.get("format"):
        return export_list(DUE, query)
    page = paginate(query, rows=True)
    page.items = [services.due_row(row, as_of) for row in page.items]
    return render_template(
        "reports/due.html",
        form=form,
        page=page,
        aging=services.aging(query, as_of),
        sort=sort,
        descending=descending,
        as_of=as_of,
    )


@bp.get("/partners/<int:partner_id>/status")
@requires(READ)
def partner_status(partner_id: int):
    partner = db.get_or_404(Partner, partner_id)
    as_of = today()
    last, upcoming = services.last_and_next_engagements(partner, as_of)
    return render_template(
        "reports/partner_status.html",
        partner=partner,
        as_of=as_of,
        book=RateBook(),
        health=partner_services.partner_health(partner, as_of),
        last=last,
        upcoming=upcoming,
        incentives=services.incentives_with_exposure(Incentive.granting_partner_id == partner.id),
        commitments=services.commitments_with_health(Commitment.counterparty_id == partner.id),
        follow_ups=partner_services.open_follow_ups_for(partner),
        history=partner_services.partner_history(partner, limit=10),
    )


@bp.get("/regions/<int:region_id>")
@requires(READ)
def region_status(region_id: int):
    region = db.get_or_404(Region, region_id)
    as_of = today()
    book = RateBook()
    partners = services.region_partners(region.id, as_of)
    incentives = services.incentives_with_exposure(Incentive.region_id == region.id)
    commitments = services.commitments_with_health(Commitment.region_id == region.id)
    # The headline figures are the dashboard's, from the same query.
    (figures,) = services.region_breakdown(book, as_of, region_id=region.id)
    exposure = services.exposure_total(Incentive.region_id == region.id, book, as_of)
    portfolio = cluster_services.portfolio(anchors=False)
    cluster = cluster_scores.score_region(portfolio, portfolio.regions[region.id])
    return render_template(
        "reports/region.html",
        cluster=cluster,
        region=region,
        partners=partners,
        incentives=incentives,
        commitments=commitments,
        figures=figures,
        exposure=exposure,
        book=book,
        as_of=as_of,
    )
