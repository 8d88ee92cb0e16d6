"""The cluster pages: the scorecard with its what-if, the offshore dependencies, the
capability catalogue with sectors and weights (admins), and what a partner provides and
buys (its onboarding checklist, on the partner's page)."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from tracker.auth.permissions import MANAGE_SETTINGS, READ, WRITE_PARTNERS, requires
from tracker.clusters import exports, maps, operations, scores, services
from tracker.clusters.forms import (
    CapabilityForm,
    ProvidedForm,
    SectorForm,
    SupplyLinkForm,
    WhatIfForm,
    weights_form,
)
from tracker.clusters.models import Capability, PartnerCapability, SupplyLink
from tracker.core.errors import DomainError
from tracker.core.forms import apply_domain_error, confirm_then, save_edit
from tracker.core.listing import Sorting, paginate_list
from tracker.core.money import reporting_currency
from tracker.core.tables import export_list
from tracker.extensions import db
from tracker.partners.models import Partner, PartnerStatus, Region, Sector

bp = Blueprint("clusters", __name__)


def _me():
    return current_user._get_current_object()


def _capabilities() -> list[Capability]:
    return list(db.session.scalars(select(Capability).order_by(Capability.name)))


def _regions() -> list[Region]:
    return list(db.session.scalars(select(Region).order_by(Region.name)))


@bp.app_context_processor
def _partner_panel():
    """The partner page's supply panel, drawn by this layer (partners know nothing of it)."""
    return {"supply_panel": services.supply_panel}


# --- The scorecard -------------------------------------------------------------------------

SORTABLE = ("region", "overall", *scores.MEASURES)


def _sorting() -> Sorting:
    key = request.args.get("sort", "")
    if key not in SORTABLE:
        return Sorting("overall", True)
    return Sorting(key, request.args.get("dir") == "desc")


def _sorted(rows: list[scores.RegionScore], sorting: Sorting) -> list[scores.RegionScore]:
    """By region name, or by a score (a measure that does not apply sorts below 0)."""

    def key(row: scores.RegionScore) -> tuple:
        name = (row.place.name.lower(), row.place.id)
        return name if sorting.key == "region" else (row.sort_value(sorting.key), *name)

    return sorted(rows, key=key, reverse=sorting.descending)


def _what_if(form: WhatIfForm) -> scores.WhatIf:
    return scores.WhatIf(
        add_region_id=form.add_region_id.data,
        add_name=(form.add_name.data or "").strip(),
        add_capabilities=frozenset(form.add_capability_ids.data or ()),
        remove_partners=frozenset(form.remove_partner_ids.data or ()),
        remove_regions=frozenset(form.remove_region_ids.data or ()),
    )


@bp.get("/clusters/scorecard")
@requires(READ)
def scorecard():
    # The anchors themselves only for a what-if (which names those losing supply).
    portfolio = services.portfolio(anchors=bool(request.args.get("what_if")))
    sorting = _sorting()
    rows = _sorted(scores.scorecard(portfolio), sorting)
    if request.args.get("format"):
        return export_list(exports.SCORECARD, rows)
    regions = _regions()
    suppliers = sorted(
        (c for c in portfolio.companies.values() if c.capabilities),
        key=lambda c: c.name.lower(),
    )
    form = WhatIfForm(
        request.args,
        regions=regions,
        capabilities=_capabilities(),
        suppliers=suppliers,
    )
    comparison = None
    if request.args.get("what_if") and form.validate():
        change = _what_if(form)
        if change.empty:
            form.form_errors.append(
                "Choose capabilities for a new supplier, or suppliers or regions to take out."
            )
        else:
            comparison = scores.what_if(portfolio, change)
    return render_template(
        "clusters/scorecard.html",
        rows=rows,
        sorting=sorting,
        measures=scores.MEASURE_LIST,
        weights=portfolio.weights,
        form=form,
        comparison=comparison,
        flagged=scores.flagged(portfolio),
    )


@bp.get("/clusters/dependencies")
@requires(READ)
def dependencies():
    portfolio = services.portfolio(places=False)
    rows = services.dependencies(portfolio)
    if request.args.get("format"):
        return export_list(exports.DEPENDENCIES, (portfolio, rows))
    return render_template(
        "clusters/dependencies.html",
        page=paginate_list(rows),
        portfolio=portfolio,
        reaches=scores.REACH_LABELS,
        reporting=reporting_currency(),
    )


@bp.get("/clusters/map", endpoint="map")
@requires(READ)
def cluster_map():
    rows = scores.scorecard(services.portfolio())
    drawn, unplaced = maps.panels(rows)
    return render_template("clusters/map.html", panels=drawn, unplaced=unplaced)


@bp.get("/clusters/routes")
@requires(READ)
def routes():
    rows = services.route_rows()
    if request.args.get("format"):
        return export_list(exports.ROUTES, rows)
    by_region, total = services.route_totals(rows)
    return render_template(
        "clusters/routes.html",
        page=paginate_list(rows),
        by_region=by_region,
        total=total,
        source=current_app.config["EMISSION_FACTORS_SOURCE"],
        factors=current_app.config["EMISSION_FACTORS"],
    )


# --- The catalogue (admins) ------------------------------------------------------------------


@bp.get("/admin/capabilities")
@requires(MANAGE_SETTINGS)
def catalogue():
    capabilities = list(
        db.session.scalars(
            select(Capability)
            .options(selectinload(Capability.inputs))
            .order_by(Capability.kind, Capability.name)
        )
    )
    sectors = list(
        db.session.scalars(
            select(Sector).options(selectinload(Sector.capabilities)).order_by(Sector.name)
        )
    )
    in_use = services.providers_by_capability()
    return render_template(
        "clusters/catalogue.html", capabilities=capabilities, sectors=sectors, in_use=in_use
    )


@bp.route("/admin/capabilities/new", methods=["GET", "POST"])
@bp.route("/admin/capabilities/<int:capability_id>/edit", methods=["GET", "POST"])
@requires(MANAGE_SETTINGS)
def edit_capability(capability_id: int | None = None):
    capability = db.get_or_404(Capability, capability_id) if capability_id else None
    choices = [c for c in _capabilities() if c is not capability]
    form = CapabilityForm(obj=capability, capabilities=choices)
    if capability is not None and not form.is_submitted():
        form.input_ids.data = [c.id for c in capability.inputs]
    me = _me()
    result = save_edit(
        form,
        capability,
        Capability,
        [*operations.CAPABILITY_FIELDS, "input_ids"],
        create=lambda values: operations.create_capability(values, actor=me),
        update=operations.update_capability,
        user=me,
    )
    return result.answer(
        lambda record: f"Capability {record.name} saved.",
        lambda _record: url_for("clusters.catalogue"),
        "clusters/form.html",
        form=form,
        title=f"Edit {capability.name}" if capability else "New capability",
        submit="Save capability",
    )


@bp.route("/admin/capabilities/<int:capability_id>/delete", methods=["GET", "POST"])
@requires(MANAGE_SETTINGS)
def delete_capability(capability_id: int):
    capability = db.get_or_404(Capability, capability_id)
    blockers = operations.capability_in_use(capability)
    return confirm_then(
        lambda: operations.delete_capability(capability, actor=_me()),
        done=f"Capability {capability.name} deleted.",
        cancel_url=url_for("clusters.catalogue"),
        title=f"Delete the capability {capability.name}?",
        consequences=[
            "It leaves every sector's required set and every capability's inputs.",
            *(f"It cannot go while {blocker}." for blocker in blockers),
        ],
        submit="Delete capability",
    )


@bp.route("/admin/sectors/new", methods=["GET", "POST"])
@bp.route("/admin/sectors/<int:sector_id>/edit", methods=["GET", "POST"])
@requires(MANAGE_SETTINGS)
def edit_sector(sector_id: int | None = None):
    sector = db.get_or_404(Sector, sector_id) if sector_id else None
    form = SectorForm(obj=sector, capabilities=_capabilities())
    if sector is not None and not form.is_submitted():
        form.capability_ids.data = [c.id for c in sector.capabilities]
    me = _me()
    result = save_edit(
        form,
        sector,
        Sector,
        [*operations.SECTOR_FIELDS, "capability_ids"],
        create=lambda values: operations.create_sector(values, actor=me),
        update=operations.update_sector,
        user=me,
    )
    return result.answer(
        lambda record: f"Sector {record.name} saved.",
        lambda _record: url_for("clusters.catalogue"),
        "clusters/form.html",
        form=form,
        title=f"Edit {sector.name}" if sector else "New sector",
        submit="Save sector",
    )


@bp.route("/admin/scorecard-weights", methods=["GET", "POST"])
@requires(MANAGE_SETTINGS)
def weights():
    current = services.weights()
    form = weights_form(current, request.form if request.method == "POST" else None)
    if request.method == "POST" and form.validate():
        values = {measure.key: form[measure.key].data for measure in scores.MEASURE_LIST}
        try:
            operations.set_weights(values, actor=_me())
        except DomainError as error:
            db.session.rollback()
            apply_domain_error(form, error)
        else:
            db.session.commit()
            flash("Scorecard weights saved.", "success")
            return redirect(url_for("clusters.scorecard"))
    status = 200 if request.method == "GET" else 422
    return render_template("clusters/weights.html", form=form), status


# --- A partner's supply: what it provides and buys -------------------------------------------


def _partner_page(partner: Partner) -> str:
    return url_for("partners.show", partner_id=partner.id) + "#supply"


@bp.route("/partners/<int:partner_id>/capabilities/new", methods=["GET", "POST"])
@bp.route("/provided/<int:provided_id>/edit", methods=["GET", "POST"])
@requires(WRITE_PARTNERS)
def edit_provided(partner_id: int | None = None, provided_id: int | None = None):
    provided = db.get_or_404(PartnerCapability, provided_id) if provided_id else None
    partner = provided.partner if provided else db.get_or_404(Partner, partner_id)
    form = ProvidedForm(obj=provided, capabilities=_capabilities())
    me = _me()
    result = save_edit(
        form,
        provided,
        PartnerCapability,
        operations.PARTNER_CAPABILITY_FIELDS,
        create=lambda values: operations.add_capability(partner, values, actor=me),
        update=operations.update_provided,
        user=me,
    )
    return result.answer(
        lambda record: f"{partner.name} provides {record.capability.name}.",
        lambda _record: _partner_page(partner),
        "clusters/form.html",
        form=form,
        title=f"{'Edit a' if provided else 'A'} capability {partner.name} provides",
        submit="Save",
        cancel_url=_partner_page(partner),
    )


@bp.route("/provided/<int:provided_id>/delete", methods=["GET", "POST"])
@requires(WRITE_PARTNERS)
def delete_provided(provided_id: int):
    provided = db.get_or_404(PartnerCapability, provided_id)
    partner = provided.partner
    return confirm_then(
        lambda: operations.remove_provided(provided, actor=_me()),
        done=f"{partner.name} no longer provides {provided.capability.name}.",
        cancel_url=_partner_page(partner),
        title=f"Remove {provided.capability.name} from {partner.name}?",
        consequences=["The scorecard no longer counts it in the partner's region."],
        submit="Remove",
    )


def _suppliers(keep: Partner | None = None) -> list[Partner]:
    partners = list(
        db.session.scalars(
            select(Partner)
            .where(
                Partner.status != PartnerStatus.ARCHIVED,
                Partner.id.in_(select(PartnerCapability.partner_id)),
            )
            .order_by(Partner.name)
        )
    )
    return partners + [keep] if keep is not None and keep not in partners else partners


@bp.route("/partners/<int:partner_id>/supply-links/new", methods=["GET", "POST"])
@bp.route("/supply-links/<int:link_id>/edit", methods=["GET", "POST"])
@requires(WRITE_PARTNERS)
def edit_link(partner_id: int | None = None, link_id: int | None = None):
    link = db.get_or_404(SupplyLink, link_id) if link_id else None
    buyer = link.buyer if link else db.get_or_404(Partner, partner_id)
    form = SupplyLinkForm(
        obj=link,
        capabilities=_capabilities(),
        suppliers=[p for p in _suppliers(link.supplier if link else None) if p.id != buyer.id],
    )
    if link is None and not form.is_submitted() and request.args.get("capability_id"):
        form.capability_id.data = _int_arg("capability_id")
    me = _me()
    result = save_edit(
        form,
        link,
        SupplyLink,
        [field for field in operations.LINK_FIELDS if field != "buyer_id"],
        create=lambda values: operations.create_supply_link(
            {**values, "buyer_id": buyer.id}, actor=me
        ),
        update=operations.update_supply_link,
        user=me,
    )
    return result.answer(
        lambda record: f"{buyer.name} buys {record.capability.name} from {record.supplier.name}.",
        lambda _record: _partner_page(buyer),
        "clusters/form.html",
        form=form,
        title=f"Edit a supply link of {buyer.name}" if link else f"What {buyer.name} buys",
        submit="Save supply link",
        cancel_url=_partner_page(buyer),
    )


def _int_arg(name: str) -> int | None:
    try:
        return int(request.args.get(name, ""))
    except ValueError:
        return None


@bp.route("/supply-links/<int:link_id>/delete", methods=["GET", "POST"])
@requires(WRITE_PARTNERS)
def delete_link(link_id: int):
    link = db.get_or_404(SupplyLink, link_id)
    buyer = link.buyer
    return confirm_then(
        lambda: operations.delete_supply_link(link, actor=_me()),
        done="Supply link removed.",
        cancel_url=_partner_page(buyer),
        title=f"Remove: {buyer.name} buys {link.capability.name} from {link.supplier.name}?",
        consequences=["Its tier leaves the chains, the scorecard and the dependencies."],
        submit="Remove supply link",
    )
