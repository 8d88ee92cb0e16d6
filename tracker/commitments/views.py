"""Commitments, their contributions and milestones: the programme owner's workspace.

Every write goes through `tracker.commitments.operations`; a view reads the form, calls
the operation, and commits once.
"""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from tracker.auth.permissions import CREATE_COMMITMENTS, READ, may_edit_any_commitment, requires
from tracker.commitments import operations, services
from tracker.commitments.exports import COMMITMENTS, MILESTONES
from tracker.commitments.forms import (
    KIND_DESCRIPTIONS,
    CommitmentFilterForm,
    CommitmentForm,
    ContributionForm,
    MilestoneFilterForm,
    MilestoneForm,
)
from tracker.commitments.models import (
    CoInvestment,
    Commitment,
    CommitmentKind,
    Contribution,
    Milestone,
    fields_for,
)
from tracker.core import audit
from tracker.core.errors import DomainError
from tracker.core.forms import ConfirmForm, save_edit
from tracker.core.listing import apply_sorting, paginate, read_sorting
from tracker.core.money import money, reporting_currency
from tracker.core.tables import export_list
from tracker.core.types import today
from tracker.extensions import db
from tracker.partners import services as partner_services

bp = Blueprint("commitments", __name__)


def _me():
    return current_user._get_current_object()


def _editable_commitment(commitment_id: int) -> Commitment:
    """The commitment, or 404; 403 unless the current user may edit it."""
    commitment = db.get_or_404(Commitment, commitment_id)
    if not services.can_edit(current_user, commitment):
        abort(403)
    return commitment


def _named_obligation(form, commitment: Commitment, rows: list | None) -> list | None:
    """A stale save's conflict rows, with a linked obligation named rather than numbered."""
    if not rows or "obligation_id" not in form:
        return rows
    label = audit.field_label(type(commitment), "obligation_id")
    if label not in (row[0] for row in rows):
        return rows
    stored = services.obligation_text(commitment.obligation_id)
    typed = services.obligation_text(form.obligation_id.data)
    rows = [row for row in rows if row[0] != label]
    return [*rows, (label, stored, typed)] if stored != typed else rows


# --- Commitments ----------------------------------------------------------------


def _commitment_filters(form: CommitmentFilterForm) -> services.CommitmentFilters:
    return services.CommitmentFilters(
        q=(form.q.data or "").strip(),
        kind=form.kind.data or "",
        status=form.status.data or "",
        owner_id=form.owner_id.data,
        counterparty_id=form.counterparty_id.data,
        region_id=form.region_id.data,
    )


@bp.get("/commitments")
@requires(READ)
def index():
    form = CommitmentFilterForm(
        request.args,
        partners=partner_services.partner_names(),
        regions=services.all_regions(),
        users=services.active_users(),
    )
    valid = form.validate()
    filters = _commitment_filters(form) if valid else services.CommitmentFilters()
    query, sortable = services.commitment_list_query(filters)
    sorting = read_sorting(sortable, default="title")
    query = apply_sorting(query, sortable, sorting, services.AnyCommitment.id)
    if request.args.get("format"):
        return export_list(COMMITMENTS, query)
    page = paginate(query, rows=True)
    as_of = today()
    rows = [
        (row[0], row[1], services.StoredHealth(row[2] or "unknown", row[3] or ""))
        for row in page.items
    ]
    return render_template(
        "commitments/index.html",
        form=form,
        page=page,
        rows=rows,
        sorting=sorting,
        total=services.value_total(filters, as_of),
        today=as_of,
    )


def _commitment_form(commitment: Commitment | None, kind: str) -> CommitmentForm:
    owner_id = commitment.owner_id if commitment else None
    users = [u for u in services.active_users(keep_id=owner_id) if services.can_own(u)]
    form = CommitmentForm(
        obj=commitment,
        kind=kind,
        partners=services.partner_choices(
            kind, keep_id=commitment.counterparty_id if commitment else None
        ),
        regions=services.all_regions(),
        users=users,
        obligations=services.obligation_choices()
        if kind == CommitmentKind.TRAINING_PROGRAMME
        else (),
        obligation_label=services.obligation_label,
    )
    form.keep_fields(kind, with_kind=commitment is None)
    if not may_edit_any_commitment(current_user):
        del form["owner_id"]  # programme owners own what they create
    if request.method == "GET" and commitment is None:
        form.kind.data = kind
        if "owner_id" in form:
            form.owner_id.data = current_user.id
        form.currency.data = form.currency.data or reporting_currency()
        if "volume_taken" in form:
            form.volume_taken.data = 0
        if "spend_to_date" in form:
            form.spend_to_date.data = 0
    if request.method == "GET" and "measured_on" in form:
        form.measured_on.data = today()
    return form


@bp.route("/commitments/new", methods=["GET", "POST"])
@bp.route("/commitments/<int:commitment_id>/edit", methods=["GET", "POST"])
@requires(CREATE_COMMITMENTS)
def edit_commitment(commitment_id: int | None = None):
    commitment = _editable_commitment(commitment_id) if commitment_id else None
    if commitment:
        kind = commitment.kind
    else:
        kind = request.form.get("kind") if request.method == "POST" else request.args.get("kind")
        if request.method == "GET" and kind not in CommitmentKind.values():
            if kind:
                flash("Unknown kind of commitment: choose one of these.", "warning")
            return render_template("commitments/choose_kind.html", descriptions=KIND_DESCRIPTIONS)
    form = _commitment_form(commitment, kind or "")
    me = _me()
    result = save_edit(
        form,
        commitment,
        Commitment,
        [*fields_for(kind or ""), "measured_on"],
        create=lambda values: operations.create_commitment(kind or "", values, actor=me),
        update=operations.update_commitment,
        user=me,
    )
    if result.saved:
        commitment = result.record
        if not result.repeated:
            flash(f"{commitment.kind_label} “{commitment.title}” saved.", "success")
        return redirect(url_for("commitments.show", commitment_id=commitment.id))
    if "kind" in form and form.kind.errors:
        form.form_errors.extend(form.kind.errors)  # a hidden field cannot show its own
    return (
        render_template(
            "commitments/commitment_form.html",
            form=form,
            commitment=commitment,
            conflict=_named_obligation(form, commitment, result.conflict),
            kind_label=CommitmentKind(kind).label if kind in CommitmentKind.values() else None,
        ),
        result.status,
    )


@bp.get("/commitments/<int:commitment_id>")
@requires(READ)
def show(commitment_id: int):
    commitment = db.get_or_404(
        Commitment,
        commitment_id,
        options=[
            joinedload(Commitment.counterparty),
            joinedload(Commitment.region),
            joinedload(Commitment.owner),
            selectinload(Commitment.milestones),
        ],
    )
    as_of = today()
    milestone_form = MilestoneForm(formdata=None)
    return render_template(
        "commitments/show.html",
        commitment=commitment,
        health=services.health_for(commitment, as_of),
        funding=services.funding(commitment, as_of)
        if isinstance(commitment, CoInvestment)
        else None,
        readings=services.volume_readings(commitment)
        if commitment.kind == CommitmentKind.ANCHOR_VOLUME
        else [],
        anchor=services.anchor_figures(commitment, as_of)
        if commitment.kind == CommitmentKind.ANCHOR_VOLUME
        else None,
        obligation=services.linked_obligation(commitment),
        history=audit.history(commitment),
        milestone_form=milestone_form,
        editable=services.can_edit(current_user, commitment),
        today=as_of,
    )


@bp.route("/commitments/<int:commitment_id>/delete", methods=["GET", "POST"])
@requires(CREATE_COMMITMENTS)
def delete_commitment(commitment_id: int):
    commitment = _editable_commitment(commitment_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        title = commitment.title
        operations.delete_commitment(commitment, actor=_me())
        db.session.commit()
        flash(f"“{title}” deleted.", "success")
        return redirect(url_for("commitments.index"))
    consequences = []
    if commitment.milestones:
        consequences.append(f"Its {len(commitment.milestones)} milestone(s) are deleted with it.")
    if isinstance(commitment, CoInvestment) and commitment.contributions:
        consequences.append(
            f"Its {len(commitment.contributions)} contribution(s) are deleted with it."
        )
    return render_template(
        "confirm_delete.html",
        form=form,
        title=f"Delete “{commitment.title}”?",
        consequences=consequences
        + ["To keep the record, edit it and set the status to Cancelled instead."],
        blockers=[],
        cancel_url=url_for("commitments.show", commitment_id=commitment.id),
    )


# --- Contributions ----------------------------------------------------------------


@bp.route("/commitments/<int:commitment_id>/contributions/new", methods=["GET", "POST"])
@bp.route("/contributions/<int:contribution_id>/edit", methods=["GET", "POST"])
@requires(CREATE_COMMITMENTS)
def edit_contribution(commitment_id: int | None = None, contribution_id: int | None = None):
    contribution = db.get_or_404(Contribution, contribution_id) if contribution_id else None
    commitment = (
        contribution.commitment if contribution else db.get_or_404(Commitment, commitment_id)
    )
    if not isinstance(commitment, CoInvestment):
        abort(404)
    if not services.can_edit(current_user, commitment):
        abort(403)
    form = ContributionForm(
        obj=contribution,
        partners=services.partner_choices(
            keep_id=contribution.partner_id if contribution else None
        ),
    )
    if request.method == "GET" and contribution is None:
        form.currency.data = commitment.currency
        form.paid_to_date.data = 0
    funding_url = url_for("commitments.show", commitment_id=commitment.id, _anchor="funding")
    me = _me()
    result = save_edit(
        form,
        contribution,
        Contribution,
        operations.CONTRIBUTION_FIELDS,
        create=lambda values: operations.create_contribution(commitment, values, actor=me),
        update=operations.update_contribution,
        user=me,
    )
    return result.answer(
        lambda record: f"Contribution of {record.party_name} saved.",
        lambda _record: funding_url,
        "commitments/contribution_form.html",
        form=form,
        commitment=commitment,
        contribution=contribution,
    )


@bp.route("/contributions/<int:contribution_id>/delete", methods=["GET", "POST"])
@requires(CREATE_COMMITMENTS)
def delete_contribution(contribution_id: int):
    contribution = db.get_or_404(Contribution, contribution_id)
    commitment = contribution.commitment
    if not services.can_edit(current_user, commitment):
        abort(403)
    name = contribution.party_name
    amount = money(contribution.amount, contribution.currency)
    form = ConfirmForm()
    if form.validate_on_submit():
        operations.delete_contribution(contribution, actor=_me())
        db.session.commit()
        flash(f"Contribution of {name} removed.", "success")
        return redirect(url_for("commitments.show", commitment_id=commitment.id, _anchor="funding"))
    return render_template(
        "confirm_delete.html",
        form=form,
        title=f"Remove the contribution of {name} ({amount})?",
        consequences=[f"It no longer counts towards “{commitment.title}”."],
        blockers=[],
        cancel_url=url_for("commitments.show", commitment_id=commitment.id),
    )


# --- Milestones -----------------------------------------------------------------


@bp.route("/commitments/<int:commitment_id>/milestones/new", methods=["GET", "POST"])
@bp.route("/milestones/<int:milestone_id>/edit", methods=["GET", "POST"])
@requires(CREATE_COMMITMENTS)
def edit_milestone(commitment_id: int | None = None, milestone_id: int | None = None):
    milestone = db.get_or_404(Milestone, milestone_id) if milestone_id else None
    commitment = milestone.commitment if milestone else db.get_or_404(Commitment, commitment_id)
    if not services.can_edit(current_user, commitment):
        abort(403)
    form = MilestoneForm(obj=milestone)
    milestones_url = url_for("commitments.show", commitment_id=commitment.id, _anchor="milestones")
    me = _me()
    result = save_edit(
        form,
        milestone,
        Milestone,
        operations.MILESTONE_FIELDS,
        create=lambda values: operations.create_milestone(commitment, values, actor=me),
        update=operations.update_milestone,
        user=me,
    )
    return result.answer(
        lambda record: f"Milestone “{record.title}” saved.",
        lambda _record: milestones_url,
        "commitments/milestone_form.html",
        form=form,
        commitment=commitment,
        milestone=milestone,
    )


@bp.route("/milestones/<int:milestone_id>/delete", methods=["GET", "POST"])
@requires(CREATE_COMMITMENTS)
def delete_milestone(milestone_id: int):
    milestone = db.get_or_404(Milestone, milestone_id)
    commitment = milestone.commitment
    if not services.can_edit(current_user, commitment):
        abort(403)
    form = ConfirmForm()
    if form.validate_on_submit():
        title = milestone.title
        operations.delete_milestone(milestone, actor=_me())
        db.session.commit()
        flash(f"Milestone “{title}” deleted.", "success")
        return redirect(
            url_for("commitments.show", commitment_id=commitment.id, _anchor="milestones")
        )
    return render_template(
        "confirm_delete.html",
        form=form,
        title=f"Delete the milestone “{milestone.title}”?",
        consequences=[f"It is removed from “{commitment.title}”."],
        blockers=[],
        cancel_url=url_for("commitments.show", commitment_id=commitment.id),
    )


@bp.post("/milestones/<int:milestone_id>/move")
@requires(CREATE_COMMITMENTS)
def move_milestone(milestone_id: int):
    milestone = db.get_or_404(Milestone, milestone_id)
    commitment = milestone.commitment
    if not services.can_edit(current_user, commitment):
        abort(403)
    direction = request.form.get("direction")
    if direction not in ("up", "down"):
        abort(400)
    if ConfirmForm().validate_on_submit():
        try:
            if operations.move_milestone(milestone, direction, actor=_me()):
                db.session.commit()
        except DomainError as error:  # a move racing another one: StaleRecord
            db.session.rollback()
            flash(error.message, "warning")
    return redirect(url_for("commitments.show", commitment_id=commitment.id, _anchor="milestones"))


@bp.get("/milestones")
@requires(READ)
def milestones():
    form = MilestoneFilterForm(request.args)
    if "scope" not in request.args:
        form.scope.data = "mine" if services.owns_commitments(current_user) else "everyone"
    valid = form.validate()
    as_of = today()
    filters = services.MilestoneFilters(
        owner_id=current_user.id if form.scope.data == "mine" else None,
        status=form.status.data if valid else "open",
        due_from=form.due_from.data if valid else None,
        due_to=form.due_to.data if valid else None,
        kind=form.kind.data if valid else "",
    )
    query = services.milestone_list_query(filters, as_of)
    if request.args.get("format"):
        return export_list(MILESTONES, query)
    page = paginate(query, late=True)
    return render_template(
        "commitments/milestones.html",
        form=form,
        page=page,
        today=as_of,
        amber_days=current_app.config["COMMITMENT_AMBER_DAYS"],
    )
