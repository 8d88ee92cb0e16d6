"""Incentives: the pipeline, obligations, compliance reports, agency promises, FX rates.

Every write goes through `tracker.incentives.operations`.
"""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from tracker.auth.permissions import MANAGE_SETTINGS, READ, WRITE_INCENTIVES, requires
from tracker.core import audit, readings
from tracker.core.errors import DomainError
from tracker.core.forms import ConfirmForm, apply_domain_error, save_edit
from tracker.core.listing import apply_sorting, paginate, read_sorting
from tracker.core.models import FxRate
from tracker.core.money import RateBook, money, reporting_currency
from tracker.core.tables import export_list
from tracker.core.types import today
from tracker.extensions import db
from tracker.incentives import operations, services
from tracker.incentives.exports import DEADLINES, INCENTIVES
from tracker.incentives.forms import (
    ActualForm,
    DisbursementForm,
    FxRateForm,
    IncentiveFilterForm,
    IncentiveForm,
    InterestRateForm,
    ObligationForm,
    PromiseForm,
    ReportScheduleForm,
    ReportSubmittedForm,
    TransitionForm,
)
from tracker.incentives.models import (
    AgencyPromise,
    ComplianceReport,
    Disbursement,
    Incentive,
    IncentiveStatus,
    InterestRate,
    Obligation,
    PromiseKind,
)
from tracker.partners.models import Partner, PartnerStatus, Region
from tracker.partners.services import active_users, partner_names

bp = Blueprint("incentives", __name__)


def _me():
    return current_user._get_current_object()


def _choices(incentive: Incentive | None = None):
    partners = db.session.scalars(
        select(Partner).where(Partner.status != PartnerStatus.ARCHIVED).order_by(Partner.name)
    )
    regions = db.session.scalars(select(Region).order_by(Region.name))
    return {
        "partners": list(partners),
        "regions": list(regions),
        # The one the incentive names stays a choice even once its table is gone.
        "rate_tables": sorted(
            {
                *services.rate_tables(),
                *filter(None, [getattr(incentive, "clawback_rate_series", None)]),
            }
        ),
    }


def _users(keep=None):
    """Active users to choose from, and the one already chosen even if no longer active."""
    users = active_users()
    if keep is not None and keep not in users:
        users = [*users, keep]
    return users


# --- List -------------------------------------------------------------------------


@bp.get("/incentives")
@requires(READ)
def index():
    currencies = sorted(set(db.session.scalars(select(Incentive.currency).distinct())))
    form = IncentiveFilterForm(
        request.args,
        currencies=currencies,
        partners=partner_names(archived=False),
        regions=db.session.scalars(select(Region).order_by(Region.name)).all(),
    )
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
        return export_list(INCENTIVES, query)
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
            selectinload(Incentive.disbursements).joinedload(Disbursement.promise),
            selectinload(Incentive.status_changes),
        ],
    )


def _render_show(incentive: Incentive, transition_form: TransitionForm | None = None):
    as_of, book = today(), RateBook()
    allowed = services.allowed_transitions(incentive.status)
    if transition_form is None:
        transition_form = TransitionForm(allowed=allowed, formdata=None)
        transition_form.changed_on.data = as_of
    tolerance = current_app.config["OBLIGATION_AT_RISK_TOLERANCE"]
    start = services.period_start(incentive)
    obligations = [
        (o, services.obligation_status(o, start, as_of, tolerance)) for o in incentive.obligations
    ]
    return render_template(
        "incentives/show.html",
        incentive=incentive,
        exposure=services.clawback_exposure(incentive, as_of),
        terms_text=services.terms_text(incentive),
        after_award=services.AFTER_AWARD,
        obligations=obligations,
        late_promises=services.late_promises(incentive, as_of),
        transition_form=transition_form,
        allowed=allowed,
        book=book,
        as_of=as_of,
        de_minimis_warning=services.de_minimis_warning(incentive, as_of, book)
        if IncentiveStatus.AWARDED in allowed
        else None,
        history=audit.history(incentive),
    )


@bp.get("/incentives/<int:incentive_id>")
@requires(READ)
def show(incentive_id: int):
    return _render_show(_load(incentive_id))


@bp.route("/incentives/new", methods=["GET", "POST"])
@bp.route("/incentives/<int:incentive_id>/edit", methods=["GET", "POST"])
@requires(WRITE_INCENTIVES)
def edit(incentive_id: int | None = None):
    incentive = db.get_or_404(Incentive, incentive_id) if incentive_id else None
    form = IncentiveForm(
        obj=incentive, users=_users(incentive.owner if incentive else None), **_choices(incentive)
    )
    if request.method == "GET" and incentive is None:
        form.granting_partner_id.data = request.args.get("partner_id", type=int)
        form.currency.data = reporting_currency()
        form.identified_on.data = today()
    if incentive is not None:
        del form.identified_on  # the history is dated step by step on the page
    me = _me()
    result = save_edit(
        form,
        incentive,
        Incentive,
        [*operations.INCENTIVE_FIELDS, "identified_on"],
        create=lambda values: operations.create_incentive(values, actor=me),
        update=operations.update_incentive,
        user=me,
    )
    return result.answer(
        lambda record: f"Incentive {record.title} saved.",
        lambda record: url_for("incentives.show", incentive_id=record.id),
        "incentives/form.html",
        form=form,
        incentive=incentive,
    )


@bp.post("/incentives/<int:incentive_id>/transition")
@requires(WRITE_INCENTIVES)
def transition(incentive_id: int):
    incentive = _load(incentive_id)
    form = TransitionForm(allowed=services.allowed_transitions(incentive.status))
    if form.validate_on_submit():
        try:
            operations.transition(
                incentive,
                form.to_status.data,
                on=form.changed_on.data,
                note=(form.note.data or "").strip() or None,
                actor=_me(),
                confirm_over_ceiling=form.confirm_over_ceiling.data,
            )
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            apply_domain_error(form, error)
            incentive = _load(incentive_id)
        else:
            flash(f"{incentive.title} is now {incentive.status_label.lower()}.", "success")
            return redirect(url_for("incentives.show", incentive_id=incentive.id))
    return _render_show(incentive, form)


# --- Obligations ------------------------------------------------------------------


def _to_obligations(incentive_id: int):
    return redirect(url_for("incentives.show", incentive_id=incentive_id, _anchor="obligations"))


@bp.route("/incentives/<int:incentive_id>/obligations/new", methods=["GET", "POST"])
@bp.route("/obligations/<int:obligation_id>/edit", methods=["GET", "POST"])
@requires(WRITE_INCENTIVES)
def edit_obligation(incentive_id: int | None = None, obligation_id: int | None = None):
    obligation = db.get_or_404(Obligation, obligation_id) if obligation_id else None
    incentive = obligation.incentive if obligation else db.get_or_404(Incentive, incentive_id)
    form = ObligationForm(obj=obligation)
    me = _me()
    result = save_edit(
        form,
        obligation,
        Obligation,
        operations.OBLIGATION_FIELDS,
        create=lambda values: operations.create_obligation(incentive, values, actor=me),
        update=operations.update_obligation,
        user=me,
    )
    return result.answer(
        "Obligation saved.",
        lambda record: _to_obligations(record.incentive_id),
        "incentives/obligation_form.html",
        form=form,
        incentive=incentive,
        obligation=obligation,
    )


@bp.route("/obligations/<int:obligation_id>/actual", methods=["GET", "POST"])
@requires(WRITE_INCENTIVES)
def update_actual(obligation_id: int):
    obligation = db.get_or_404(Obligation, obligation_id)
    form = ActualForm(obj=obligation)
    if request.method == "GET":
        form.actual_as_of.data = today()
    me = _me()
    result = save_edit(
        form,
        obligation,
        Obligation,
        ["actual_value", "actual_as_of"],
        create=None,  # this form only edits
        update=lambda record, values, **who: operations.record_actual(
            record, values["actual_value"], values["actual_as_of"], **who
        ),
        user=me,
    )
    return result.answer(
        "Actual updated; the exposure is recomputed.",
        lambda record: _to_obligations(record.incentive_id),
        "incentives/actual_form.html",
        form=form,
        obligation=obligation,
        history=readings.history(obligation, "actual_value"),
    )


@bp.route("/obligations/<int:obligation_id>/delete", methods=["GET", "POST"])
@requires(WRITE_INCENTIVES)
def delete_obligation(obligation_id: int):
    obligation = db.get_or_404(Obligation, obligation_id)
    incentive_id = obligation.incentive_id
    form = ConfirmForm()
    if form.validate_on_submit():
        operations.delete_obligation(obligation, actor=_me())
        db.session.commit()
        flash("Obligation deleted.", "success")
        return _to_obligations(incentive_id)
    return render_template(
        "confirm_delete.html",
        form=form,
        title=f"Delete the obligation “{obligation}” of {obligation.incentive.title}?",
        consequences=[
            "The clawback exposure is measured without it.",
            "Training programmes counting towards it lose that link.",
        ],
        blockers=[],
        cancel_url=url_for("incentives.show", incentive_id=incentive_id, _anchor="obligations"),
    )


# --- Disbursements ------------------------------------------------------------------


def _to_disbursements(incentive_id: int):
    return redirect(url_for("incentives.show", incentive_id=incentive_id, _anchor="disbursements"))


@bp.route("/incentives/<int:incentive_id>/disbursements/new", methods=["GET", "POST"])
@requires(WRITE_INCENTIVES)
def new_disbursement(incentive_id: int):
    incentive = db.get_or_404(Incentive, incentive_id)
    expected = [
        p
        for p in incentive.promises
        if p.kind == PromiseKind.DISBURSEMENT and p.status == "pending"
    ]
    form = DisbursementForm(promises=expected)
    if request.method == "GET":
        form.paid_on.data = today()
    me = _me()
    result = save_edit(
        form,
        None,
        Disbursement,
        operations.DISBURSEMENT_FIELDS,
        create=lambda values: operations.add_disbursement(incentive, values, actor=me),
        update=None,  # a tranche recorded wrongly is deleted and recorded again
        user=me,
    )
    return result.answer(
        "Disbursement recorded.",
        lambda _record: _to_disbursements(incentive.id),
        "incentives/disbursement_form.html",
        form=form,
        incentive=incentive,
    )


@bp.route("/disbursements/<int:disbursement_id>/delete", methods=["GET", "POST"])
@requires(WRITE_INCENTIVES)
def delete_disbursement(disbursement_id: int):
    disbursement = db.get_or_404(Disbursement, disbursement_id)
    incentive = disbursement.incentive
    form = ConfirmForm()
    if form.validate_on_submit():
        operations.delete_disbursement(disbursement, actor=_me())
        db.session.commit()
        flash("Disbursement deleted.", "success")
        return _to_disbursements(incentive.id)
    return render_template(
        "confirm_delete.html",
        form=form,
        title=f"Delete the disbursement of {money(disbursement.amount, incentive.currency)} "
        f"received {disbursement.paid_on.isoformat()} on {incentive.title}?",
        consequences=[
            "Received so far becomes the sum of the other disbursements.",
            "The clawback exposure and its interest are worked out without it.",
        ],
        blockers=[],
        cancel_url=url_for("incentives.show", incentive_id=incentive.id, _anchor="disbursements"),
    )


# --- Compliance reports -------------------------------------------------------------


@bp.route("/incentives/<int:incentive_id>/reports/new", methods=["GET", "POST"])
@requires(WRITE_INCENTIVES)
def new_reports(incentive_id: int):
    incentive = db.get_or_404(Incentive, incentive_id)
    form = ReportScheduleForm()
    me = _me()
    scheduled = []

    def schedule(values):
        scheduled.extend(operations.schedule_reports(incentive, **values, actor=me))
        return scheduled[0]  # the form token remembers the first of the series

    result = save_edit(
        form,
        None,
        ComplianceReport,
        ["title", "first_due_on", "frequency", "until"],
        create=schedule,
        update=None,  # this form only creates
        user=me,
    )
    return result.answer(
        lambda _record: f"{len(scheduled)} compliance report(s) scheduled.",
        lambda _record: url_for("incentives.show", incentive_id=incentive.id, _anchor="reports"),
        "incentives/report_form.html",
        form=form,
        incentive=incentive,
    )


@bp.route("/reports/<int:report_id>/submit", methods=["GET", "POST"])
@requires(WRITE_INCENTIVES)
def submit_report(report_id: int):
    report = db.get_or_404(ComplianceReport, report_id)
    form = ReportSubmittedForm(obj=report)
    if request.method == "GET" and not report.submitted_on:
        form.submitted_on.data = today()
    me = _me()
    result = save_edit(
        form,
        report,
        ComplianceReport,
        ["submitted_on", "note"],
        create=None,  # this form only edits
        update=lambda record, values, **who: operations.submit_report(record, **values, **who),
        user=me,
    )
    return result.answer(
        "Report marked submitted.",
        lambda record: url_for(
            "incentives.show", incentive_id=record.incentive_id, _anchor="reports"
        ),
        "incentives/submit_form.html",
        form=form,
        report=report,
    )


# --- Agency promises ----------------------------------------------------------------


@bp.route("/incentives/<int:incentive_id>/promises/new", methods=["GET", "POST"])
@bp.route("/promises/<int:promise_id>/edit", methods=["GET", "POST"])
@requires(WRITE_INCENTIVES)
def edit_promise(incentive_id: int | None = None, promise_id: int | None = None):
    promise = db.get_or_404(AgencyPromise, promise_id) if promise_id else None
    incentive = promise.incentive if promise else db.get_or_404(Incentive, incentive_id)
    form = PromiseForm(obj=promise)
    me = _me()
    result = save_edit(
        form,
        promise,
        AgencyPromise,
        operations.PROMISE_FIELDS,
        create=lambda values: operations.create_promise(incentive, values, actor=me),
        update=operations.update_promise,
        user=me,
    )
    return result.answer(
        "Agency promise saved.",
        lambda record: url_for(
            "incentives.show", incentive_id=record.incentive_id, _anchor="promises"
        ),
        "incentives/promise_form.html",
        form=form,
        incentive=incentive,
        promise=promise,
    )


# --- Deadlines and de minimis ---------------------------------------------------------


@bp.get("/incentives/deadlines")
@requires(READ)
def deadlines():
    as_of = today()
    query = services.deadlines_query(as_of)
    if request.args.get("format"):
        return export_list(DEADLINES, query)
    page = paginate(query, rows=True)
    page.items = [services.DeadlineRow.of(row) for row in page.items]
    return render_template("incentives/deadlines.html", page=page, as_of=as_of)


@bp.get("/incentives/de-minimis")
@requires(READ)
def de_minimis():
    as_of = today()
    return render_template(
        "incentives/de_minimis.html", position=services.de_minimis_position(as_of), as_of=as_of
    )


# --- Interest rate tables -------------------------------------------------------------


@bp.route("/admin/interest-rates", methods=["GET", "POST"])
@requires(MANAGE_SETTINGS)
def interest_rates():
    form = InterestRateForm()
    me = _me()
    result = save_edit(
        form,
        None,
        InterestRate,
        operations.INTEREST_RATE_FIELDS,
        create=lambda values: operations.add_interest_rate(values, actor=me),
        update=None,  # rates are added and deleted, never edited
        user=me,
    )
    if result.saved:
        if not result.repeated:
            flash(f"Rate for {result.record.series} saved.", "success")
        return redirect(url_for("incentives.interest_rates"))
    rates = db.session.scalars(
        select(InterestRate).order_by(InterestRate.series, InterestRate.effective_on.desc())
    ).all()
    used = dict(
        db.session.execute(
            select(Incentive.clawback_rate_series, func.count())
            .where(Incentive.clawback_rate_series.is_not(None))
            .group_by(Incentive.clawback_rate_series)
        ).all()
    )
    return (
        render_template("incentives/interest_rates.html", form=form, rates=rates, used=used),
        result.status,
    )


@bp.route("/admin/interest-rates/<int:interest_rate_id>/delete", methods=["GET", "POST"])
@requires(MANAGE_SETTINGS)
def delete_interest_rate(interest_rate_id: int):
    rate = db.get_or_404(InterestRate, interest_rate_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        operations.delete_interest_rate(rate, actor=_me())
        db.session.commit()
        flash("Rate deleted.", "success")
        return redirect(url_for("incentives.interest_rates"))
    return render_template(
        "confirm_delete.html",
        form=form,
        title=f"Delete the {rate.series} rate from {rate.effective_on.isoformat()}?",
        consequences=[
            "Clawback interest for the years it covered uses the table's rate before it, or "
            "none (the working says so)."
        ],
        blockers=[],
        cancel_url=url_for("incentives.interest_rates"),
    )


# --- FX rates -------------------------------------------------------------------------


@bp.route("/admin/fx-rates", methods=["GET", "POST"])
@requires(MANAGE_SETTINGS)
def fx_rates():
    form = FxRateForm()
    reporting = reporting_currency()
    me = _me()
    result = save_edit(
        form,
        None,
        FxRate,
        ["currency", "rate", "effective_on", "confirm_rate_jump"],
        create=lambda values: operations.add_fx_rate(**values, actor=me),
        update=None,  # rates are added and deleted, never edited
        user=me,
    )
    if result.saved:
        if not result.repeated:
            flash(f"Rate for {result.record.currency} saved.", "success")
        return redirect(url_for("incentives.fx_rates"))
    rates = db.session.scalars(
        select(FxRate)
        .where(FxRate.reporting_currency == reporting)
        .order_by(FxRate.currency, FxRate.effective_on.desc())
    ).all()
    used = sorted(set(db.session.scalars(select(Incentive.currency).distinct())) - {reporting})
    book = RateBook(reporting)
    missing = [c for c in used if book.rate(c, today()) is None]
    if not form.confirm_rate_jump.errors and not form.confirm_rate_jump.data:
        del form.confirm_rate_jump  # asked only of a rate far from its neighbour
    return render_template(
        "incentives/fx_rates.html", form=form, rates=rates, reporting=reporting, missing=missing
    )


@bp.route("/admin/fx-rates/<int:rate_id>/delete", methods=["GET", "POST"])
@requires(MANAGE_SETTINGS)
def delete_fx_rate(rate_id: int):
    rate = db.get_or_404(FxRate, rate_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        operations.delete_fx_rate(rate, actor=_me())
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
