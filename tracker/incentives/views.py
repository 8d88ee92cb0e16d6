"""Incentives: the pipeline, obligations, compliance reports, agency promises, FX rates."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from tracker.auth.permissions import MANAGE_SETTINGS, READ, WRITE_INCENTIVES, requires
from tracker.core import audit
from tracker.core.errors import DomainError
from tracker.core.forms import ConfirmForm, apply_domain_error
from tracker.core.listing import apply_sorting, paginate, read_sorting
from tracker.core.models import FxRate
from tracker.core.money import RateBook, reporting_currency
from tracker.core.types import today
from tracker.extensions import db
from tracker.incentives import services
from tracker.incentives.forms import (
    ActualForm,
    FxRateForm,
    IncentiveFilterForm,
    IncentiveForm,
    ObligationForm,
    PromiseForm,
    ReportScheduleForm,
    ReportSubmittedForm,
    TransitionForm,
)
from tracker.incentives.models import (
    AgencyPromise,
    ComplianceReport,
    Incentive,
    IncentiveStatus,
    Obligation,
)
from tracker.partners.models import Partner, PartnerStatus, Region
from tracker.partners.services import active_users
from tracker.reports.lists import export_list

bp = Blueprint("incentives", __name__)

INCENTIVE_FIELDS = [
    "title",
    "kind",
    "granting_partner_id",
    "region_id",
    "owner_id",
    "currency",
    "amount_offered",
    "amount_awarded",
    "amount_received",
    "application_deadline",
    "decision_expected_on",
    "term_start_on",
    "term_end_on",
    "clawback_rule",
    "clawback_floor_pct",
    "clawback_interest_pct",
    "clawback_terms",
    "is_state_aid",
    "aid_scheme_number",
    "aid_type",
    "nace_code",
    "aid_granted_on",
    "is_de_minimis",
    "description",
]
OBLIGATION_FIELDS = [
    "kind",
    "description",
    "target_value",
    "unit",
    "actual_value",
    "actual_as_of",
    "due_on",
]
PROMISE_FIELDS = ["kind", "description", "due_on", "amount", "status", "delivered_on", "note"]


def _choices():
    partners = db.session.scalars(
        select(Partner).where(Partner.status != PartnerStatus.ARCHIVED).order_by(Partner.name)
    )
    regions = db.session.scalars(select(Region).order_by(Region.name))
    return {"partners": list(partners), "regions": list(regions)}


# --- List -------------------------------------------------------------------------


@bp.get("/incentives")
@requires(READ)
def index():
    currencies = sorted(set(db.session.scalars(select(Incentive.currency).distinct())))
    form = IncentiveFilterForm(request.args, currencies=currencies, **_choices())
    valid = form.validate()
    filters = (
        services.IncentiveFilters(
            q=(form.q.data or "").strip(),
            kind=form.kind.data or "",
            status=form.status.data or "",
            partner_id=form.partner_id.data,
            region_id=form.region_id.data,
            currency=form.currency.data or "",
            deadline_from=form.deadline_from.data,
            deadline_to=form.deadline_to.data,
        )
        if valid
        else services.IncentiveFilters()
    )
    query, sortable = services.incentive_list_query(filters)
    sorting = read_sorting(sortable, default="deadline")
    query = apply_sorting(query, sortable, sorting, Incentive.id)
    if request.args.get("format"):
        return export_list("incentives", query)
    page = paginate(query)
    as_of, book = today(), RateBook()
    rows = [(incentive, services.clawback_exposure(incentive, as_of)) for incentive in page.items]
    return render_template(
        "incentives/index.html",
        form=form,
        page=page,
        rows=rows,
        sorting=sorting,
        book=book,
        as_of=as_of,
        totals=services.portfolio_totals(query, as_of, book),
    )


# --- One incentive ----------------------------------------------------------------


def _load(incentive_id: int) -> Incentive:
    return db.get_or_404(
        Incentive,
        incentive_id,
        options=[
            joinedload(Incentive.granting_partner),
            joinedload(Incentive.region),
            joinedload(Incentive.owner),
            selectinload(Incentive.obligations),
            selectinload(Incentive.compliance_reports),
            selectinload(Incentive.promises),
            selectinload(Incentive.status_changes),
        ],
    )


def _render_show(incentive: Incentive, transition_form: TransitionForm | None = None):
    as_of, book = today(), RateBook()
    allowed = services.allowed_transitions(incentive.status)
    if transition_form is None:
        transition_form = TransitionForm(allowed=allowed, formdata=None)
        transition_form.changed_on.data = as_of
    tolerance = _tolerance()
    start = services.period_start(incentive)
    obligations = [
        (o, services.obligation_status(o, start, as_of, tolerance)) for o in incentive.obligations
    ]
    from tracker.partners.services import entity_history

    return render_template(
        "incentives/show.html",
        incentive=incentive,
        exposure=services.clawback_exposure(incentive, as_of),
        obligations=obligations,
        late_promises=services.late_promises(incentive, as_of),
        transition_form=transition_form,
        allowed=allowed,
        book=book,
        as_of=as_of,
        de_minimis_warning=services.de_minimis_warning(incentive, as_of, book)
        if IncentiveStatus.AWARDED in allowed
        else None,
        history=entity_history("incentives", incentive.id),
    )


def _tolerance() -> int:
    from flask import current_app

    return current_app.config["OBLIGATION_AT_RISK_TOLERANCE"]


@bp.get("/incentives/<int:incentive_id>")
@requires(READ)
def show(incentive_id: int):
    return _render_show(_load(incentive_id))


@bp.route("/incentives/new", methods=["GET", "POST"])
@bp.route("/incentives/<int:incentive_id>/edit", methods=["GET", "POST"])
@requires(WRITE_INCENTIVES)
def edit(incentive_id: int | None = None):
    incentive = db.get_or_404(Incentive, incentive_id) if incentive_id else None
    form = IncentiveForm(obj=incentive, users=active_users(), **_choices())
    if request.method == "GET" and incentive is None:
        form.granting_partner_id.data = request.args.get("partner_id", type=int)
        form.currency.data = reporting_currency()
    if form.validate_on_submit():
        try:
            if incentive is not None:
                for obligation in incentive.obligations:
                    _check_term(form, obligation.due_on, "obligation")
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            is_new = incentive is None
            incentive = incentive or Incentive(status=IncentiveStatus.IDENTIFIED)
            audit.save_form(
                incentive,
                form,
                INCENTIVE_FIELDS,
                is_new=is_new,
                summary=f"{'Created' if is_new else 'Updated'} incentive {form.title.data}",
            )
            if is_new:
                services.record_first_status(incentive, current_user.id, today())
            db.session.commit()
            flash(f"Incentive {incentive.title} saved.", "success")
            return redirect(url_for("incentives.show", incentive_id=incentive.id))
    return render_template("incentives/form.html", form=form, incentive=incentive)


def _check_term(form: IncentiveForm, day, what: str) -> None:
    start, end = form.term_start_on.data, form.term_end_on.data
    if (start and day < start) or (end and day > end):
        raise DomainError(
            f"An {what} is due {day.isoformat()}, outside this term: move it first.",
            "term_end_on",
        )


@bp.post("/incentives/<int:incentive_id>/transition")
@requires(WRITE_INCENTIVES)
def transition(incentive_id: int):
    incentive = _load(incentive_id)
    allowed = services.allowed_transitions(incentive.status)
    form = TransitionForm(allowed=allowed)
    if form.validate_on_submit():
        as_of = today()
        warning = None
        if form.to_status.data == IncentiveStatus.AWARDED:
            warning = services.de_minimis_warning(incentive, form.changed_on.data)
        if warning and not form.confirm_over_ceiling.data:
            form.confirm_over_ceiling.errors = [f"{warning} Tick the box to award it anyway."]
        else:
            before = incentive.status
            try:
                services.transition(
                    incentive,
                    form.to_status.data,
                    form.changed_on.data,
                    current_user.id,
                    form.note.data,
                    as_of,
                )
            except DomainError as error:
                db.session.rollback()
                apply_domain_error(form, error)
                incentive = _load(incentive_id)
            else:
                audit.record(
                    "transition",
                    incentive,
                    f"Moved from {IncentiveStatus(before).label.lower()} to "
                    f"{IncentiveStatus(incentive.status).label.lower()} "
                    f"on {form.changed_on.data.isoformat()}",
                    {"status": [before, incentive.status]},
                )
                db.session.commit()
                flash(f"{incentive.title} is now {incentive.status_label.lower()}.", "success")
                return redirect(url_for("incentives.show", incentive_id=incentive.id))
    return _render_show(incentive, form)


# --- Obligations ------------------------------------------------------------------


@bp.route("/incentives/<int:incentive_id>/obligations/new", methods=["GET", "POST"])
@bp.route("/obligations/<int:obligation_id>/edit", methods=["GET", "POST"])
@requires(WRITE_INCENTIVES)
def edit_obligation(incentive_id: int | None = None, obligation_id: int | None = None):
    obligation = db.get_or_404(Obligation, obligation_id) if obligation_id else None
    incentive = obligation.incentive if obligation else db.get_or_404(Incentive, incentive_id)
    form = ObligationForm(obj=obligation)
    if form.validate_on_submit():
        try:
            services.check_within_term(incentive, form.due_on.data, "due_on")
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            is_new = obligation is None
            obligation = obligation or Obligation(incentive=incentive)
            label = form.description.data or form.kind.data.replace("_", " ")
            audit.save_form(
                obligation,
                form,
                OBLIGATION_FIELDS,
                is_new=is_new,
                owner=incentive,
                summary=f"{'Added' if is_new else 'Edited'} obligation {label}",
            )
            db.session.commit()
            flash("Obligation saved.", "success")
            return redirect(
                url_for("incentives.show", incentive_id=incentive.id, _anchor="obligations")
            )
    return render_template(
        "incentives/obligation_form.html", form=form, incentive=incentive, obligation=obligation
    )


@bp.route("/obligations/<int:obligation_id>/actual", methods=["GET", "POST"])
@requires(WRITE_INCENTIVES)
def update_actual(obligation_id: int):
    obligation = db.get_or_404(Obligation, obligation_id)
    form = ActualForm(obj=obligation)
    if request.method == "GET":
        form.actual_as_of.data = today()
    if form.validate_on_submit():
        audit.save_form(
            obligation,
            form,
            ["actual_value", "actual_as_of"],
            is_new=False,
            owner=obligation.incentive,
            summary=f"Updated actual of {obligation.description or obligation.kind}",
        )
        db.session.commit()
        flash("Actual updated; the exposure is recomputed.", "success")
        return redirect(
            url_for("incentives.show", incentive_id=obligation.incentive_id, _anchor="obligations")
        )
    return render_template("incentives/actual_form.html", form=form, obligation=obligation)


# --- Compliance reports -------------------------------------------------------------


@bp.route("/incentives/<int:incentive_id>/reports/new", methods=["GET", "POST"])
@requires(WRITE_INCENTIVES)
def new_reports(incentive_id: int):
    incentive = db.get_or_404(Incentive, incentive_id)
    form = ReportScheduleForm()
    if form.validate_on_submit():
        try:
            reports = services.schedule_reports(
                incentive,
                form.title.data.strip(),
                form.first_due_on.data,
                form.frequency.data,
                form.until.data,
            )
        except DomainError as error:
            db.session.rollback()
            apply_domain_error(form, error)
        else:
            audit.record(
                "update",
                incentive,
                f"Scheduled {len(reports)} compliance report(s): "
                + ", ".join(r.due_on.isoformat() for r in reports),
            )
            db.session.commit()
            flash(f"{len(reports)} compliance report(s) scheduled.", "success")
            return redirect(
                url_for("incentives.show", incentive_id=incentive.id, _anchor="reports")
            )
    return render_template("incentives/report_form.html", form=form, incentive=incentive)


@bp.route("/reports/<int:report_id>/submit", methods=["GET", "POST"])
@requires(WRITE_INCENTIVES)
def submit_report(report_id: int):
    report = db.get_or_404(ComplianceReport, report_id)
    form = ReportSubmittedForm(obj=report)
    if request.method == "GET" and not report.submitted_on:
        form.submitted_on.data = today()
    if form.validate_on_submit():
        if form.submitted_on.data > today():
            form.submitted_on.errors = ["A report cannot be submitted in the future."]
        else:
            audit.save_form(
                report,
                form,
                ["submitted_on", "note"],
                is_new=False,
                owner=report.incentive,
                summary=f"Marked “{report.title}” submitted",
            )
            db.session.commit()
            flash("Report marked submitted.", "success")
            return redirect(
                url_for("incentives.show", incentive_id=report.incentive_id, _anchor="reports")
            )
    return render_template("incentives/submit_form.html", form=form, report=report)


# --- Agency promises ----------------------------------------------------------------


@bp.route("/incentives/<int:incentive_id>/promises/new", methods=["GET", "POST"])
@bp.route("/promises/<int:promise_id>/edit", methods=["GET", "POST"])
@requires(WRITE_INCENTIVES)
def edit_promise(incentive_id: int | None = None, promise_id: int | None = None):
    promise = db.get_or_404(AgencyPromise, promise_id) if promise_id else None
    incentive = promise.incentive if promise else db.get_or_404(Incentive, incentive_id)
    form = PromiseForm(obj=promise)
    if form.validate_on_submit():
        if form.delivered_on.data and form.delivered_on.data > today():
            form.delivered_on.errors = ["A delivery date cannot be in the future."]
        else:
            is_new = promise is None
            promise = promise or AgencyPromise(incentive=incentive)
            audit.save_form(
                promise,
                form,
                PROMISE_FIELDS,
                is_new=is_new,
                owner=incentive,
                summary=f"{'Recorded' if is_new else 'Edited'} agency promise "
                f"{form.description.data.strip()}",
            )
            db.session.commit()
            flash("Agency promise saved.", "success")
            return redirect(
                url_for("incentives.show", incentive_id=incentive.id, _anchor="promises")
            )
    return render_template(
        "incentives/promise_form.html", form=form, incentive=incentive, promise=promise
    )


# --- Deadlines and de minimis ---------------------------------------------------------


@bp.get("/incentives/deadlines")
@requires(READ)
def deadlines():
    as_of = today()
    items = services.deadlines(as_of)
    if request.args.get("format"):
        return export_list("deadlines", items)
    return render_template("incentives/deadlines.html", items=items, as_of=as_of)


@bp.get("/incentives/de-minimis")
@requires(READ)
def de_minimis():
    as_of = today()
    return render_template(
        "incentives/de_minimis.html", position=services.de_minimis_position(as_of), as_of=as_of
    )


# --- FX rates -------------------------------------------------------------------------


@bp.route("/admin/fx-rates", methods=["GET", "POST"])
@requires(MANAGE_SETTINGS)
def fx_rates():
    form = FxRateForm()
    reporting = reporting_currency()
    if form.validate_on_submit():
        currency = form.currency.data
        existing = db.session.scalar(
            select(FxRate).where(
                FxRate.currency == currency,
                FxRate.reporting_currency == reporting,
                FxRate.effective_on == form.effective_on.data,
            )
        )
        if currency == reporting:
            form.currency.errors = [f"{reporting} is the reporting currency: its rate is 1."]
        elif existing:
            form.effective_on.errors = [
                f"A {currency} rate effective {form.effective_on.data.isoformat()} exists "
                f"({existing.rate}). Delete it first to replace it."
            ]
        else:
            rate = FxRate(
                currency=currency,
                reporting_currency=reporting,
                rate=form.rate.data,
                effective_on=form.effective_on.data,
            )
            audit.record(
                "create",
                rate,
                f"Added rate {currency}→{reporting} {rate.rate} "
                f"from {rate.effective_on.isoformat()}",
            )
            db.session.commit()
            flash(f"Rate for {currency} saved.", "success")
            return redirect(url_for("incentives.fx_rates"))
    rates = db.session.scalars(
        select(FxRate)
        .where(FxRate.reporting_currency == reporting)
        .order_by(FxRate.currency, FxRate.effective_on.desc())
    ).all()
    used = sorted(set(db.session.scalars(select(Incentive.currency).distinct())) - {reporting})
    book = RateBook(reporting)
    missing = [c for c in used if book.rate(c, today()) is None]
    return render_template(
        "incentives/fx_rates.html", form=form, rates=rates, reporting=reporting, missing=missing
    )


@bp.route("/admin/fx-rates/<int:rate_id>/delete", methods=["GET", "POST"])
@requires(MANAGE_SETTINGS)
def delete_fx_rate(rate_id: int):
    rate = db.get_or_404(FxRate, rate_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        audit.record(
            "delete",
            rate,
            f"Deleted rate {rate.currency} {rate.rate} from {rate.effective_on.isoformat()}",
        )
        db.session.delete(rate)
        db.session.commit()
        flash("Rate deleted.", "success")
        return redirect(url_for("incentives.fx_rates"))
    return render_template(
        "confirm_delete.html",
        form=form,
        title=f"Delete the {rate.currency} rate from {rate.effective_on.isoformat()}?",
        consequences=["Totals on and after that date use the previous rate, or warn."],
        blockers=[],
        cancel_url=url_for("incentives.fx_rates"),
    )
