"""Regions, partners, contacts, engagements and follow-ups: the ecosystem manager's log.

Every write goes through `tracker.partners.operations`; these views read the forms,
call an operation, commit, and render or redirect.
"""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from tracker.auth.permissions import READ, WRITE_PARTNERS, requires
from tracker.core import audit
from tracker.core.errors import DomainError
from tracker.core.forms import ConfirmForm, save_edit
from tracker.core.listing import apply_sorting, paginate, read_sorting
from tracker.core.tables import export_list
from tracker.core.types import today
from tracker.core.urls import safe_next
from tracker.extensions import db
from tracker.partners import operations, services
from tracker.partners.exports import ENGAGEMENTS, FOLLOW_UPS, PARTNERS, REGIONS
from tracker.partners.forms import (
    ContactForm,
    EngagementFilterForm,
    EngagementForm,
    FollowUpFilterForm,
    FollowUpForm,
    PartnerFilterForm,
    PartnerForm,
    RegionForm,
)
from tracker.partners.models import (
    Contact,
    Engagement,
    FollowUp,
    Partner,
    PartnerStatus,
    Region,
)

bp = Blueprint("partners", __name__)

FOLLOW_UP_FORM_FIELDS = ["title", "owner_id", "due_on"]


def _me():
    return current_user._get_current_object()


def _all_regions() -> list[Region]:
    return list(db.session.scalars(select(Region).order_by(Region.name)))


def _all_partners(keep=()) -> list[Partner]:
    """Partners to choose from: all but the archived, and those in `keep` (already chosen)."""
    partners = list(
        db.session.scalars(
            select(Partner).where(Partner.status != PartnerStatus.ARCHIVED).order_by(Partner.name)
        )
    )
    return partners + [partner for partner in keep if partner not in partners]


def _users(keep=()) -> list:
    """Active users to choose from, and those in `keep` (chosen before they left)."""
    users = services.active_users()
    return users + [user for user in keep if user is not None and user not in users]


# --- Regions -------------------------------------------------------------------


@bp.get("/regions")
@requires(READ)
def regions():
    rows = services.regions_with_counts()
    if request.args.get("format"):
        return export_list(REGIONS, rows)
    return render_template("partners/regions.html", rows=rows)


@bp.route("/regions/new", methods=["GET", "POST"])
@bp.route("/regions/<int:region_id>/edit", methods=["GET", "POST"])
@requires(WRITE_PARTNERS)
def edit_region(region_id: int | None = None):
    region = db.get_or_404(Region, region_id) if region_id else None
    form = RegionForm(obj=region, sectors=services.sectors())
    me = _me()
    result = save_edit(
        form,
        region,
        Region,
        operations.REGION_FIELDS,
        create=lambda values: operations.create_region(values, actor=me),
        update=operations.update_region,
        user=me,
    )
    return result.answer(
        lambda record: f"Region {record.name} saved.",
        lambda _record: url_for("partners.regions"),
        "partners/region_form.html",
        form=form,
        region=region,
    )


# --- Partners ------------------------------------------------------------------


def _partner_filters(form: PartnerFilterForm) -> services.PartnerFilters:
    return services.PartnerFilters(
        q=(form.q.data or "").strip(),
        kind=form.kind.data or "",
        region_id=form.region_id.data,
        country_code=form.country_code.data or "",
        status=form.status.data or "",
        owner_id=form.owner_id.data,
    )


@bp.get("/partners")
@requires(READ)
def index():
    form = PartnerFilterForm(request.args, regions=_all_regions(), users=services.active_users())
    form.validate()
    as_of = today()
    filters = _partner_filters(form) if not form.errors else services.PartnerFilters()
    query, sortable = services.partner_rows_query(filters, as_of)
    sorting = read_sorting(sortable, default="name")
    query = apply_sorting(query, sortable, sorting, Partner.id)
    if request.args.get("format"):
        return export_list(PARTNERS, query)
    page = paginate(query, rows=True)
    rows = [
        (row[0], services.relationship_health(row[0], row[1], row[2], row[3], row[4], as_of))
        for row in page.items
    ]
    return render_template("partners/index.html", form=form, page=page, rows=rows, sorting=sorting)


@bp.route("/partners/new", methods=["GET", "POST"])
@bp.route("/partners/<int:partner_id>/edit", methods=["GET", "POST"])
@requires(WRITE_PARTNERS)
def edit_partner(partner_id: int | None = None):
    partner = db.get_or_404(Partner, partner_id) if partner_id else None
    form = PartnerForm(
        obj=partner,
        regions=_all_regions(),
        users=_users([partner.owner] if partner else []),
    )
    me = _me()
    result = save_edit(
        form,
        partner,
        Partner,
        operations.PARTNER_FIELDS,
        create=lambda values: operations.create_partner(values, actor=me),
        update=operations.update_partner,
        user=me,
    )
    return result.answer(
        lambda record: f"Partner {record.name} saved.",
        lambda record: url_for("partners.show", partner_id=record.id),
        "partners/partner_form.html",
        form=form,
        partner=partner,
    )


@bp.get("/partners/<int:partner_id>")
@requires(READ)
def show(partner_id: int):
    partner = db.get_or_404(
        Partner,
        partner_id,
        options=[
            joinedload(Partner.region),
            joinedload(Partner.owner),
            selectinload(Partner.contacts),
        ],
    )
    return render_template(
        "partners/show.html",
        partner=partner,
        health=services.partner_health(partner),
        timeline=services.partner_timeline(partner),
        open_follow_ups=services.open_follow_ups_for(partner),
        history=services.partner_history(partner),
        today=today(),
    )


@bp.post("/partners/<int:partner_id>/archive")
@requires(WRITE_PARTNERS)
def archive_partner(partner_id: int):
    partner = db.get_or_404(Partner, partner_id)
    if ConfirmForm().validate_on_submit() and partner.status != PartnerStatus.ARCHIVED:
        operations.archive_partner(partner, actor=_me())
        db.session.commit()
        flash(f"{partner.name} is archived. Its history stays; edit it to reactivate.", "success")
    return redirect(url_for("partners.show", partner_id=partner.id))


@bp.route("/partners/<int:partner_id>/delete", methods=["GET", "POST"])
@requires(WRITE_PARTNERS)
def delete_partner(partner_id: int):
    partner = db.get_or_404(Partner, partner_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        name = partner.name
        try:
            operations.delete_partner(partner, actor=_me())
        except DomainError:
            db.session.rollback()  # the page below names what hangs on it
        else:
            db.session.commit()
            flash(f"Partner {name} deleted.", "success")
            return redirect(url_for("partners.index"))
    return render_template(
        "confirm_delete.html",
        form=form,
        title=f"Delete {partner.name}?",
        consequences=[f"{len(partner.contacts)} contact(s) are deleted with it."]
        if partner.contacts
        else [],
        blockers=services.what_blocks_deletion(partner),
        blocked_hint="Archive it instead: the history stays and it leaves the lists.",
        cancel_url=url_for("partners.show", partner_id=partner.id),
    )


# --- Contacts ------------------------------------------------------------------


@bp.route("/partners/<int:partner_id>/contacts/new", methods=["GET", "POST"])
@bp.route("/contacts/<int:contact_id>/edit", methods=["GET", "POST"])
@requires(WRITE_PARTNERS)
def edit_contact(partner_id: int | None = None, contact_id: int | None = None):
    contact = db.get_or_404(Contact, contact_id) if contact_id else None
    partner = contact.partner if contact else db.get_or_404(Partner, partner_id)
    form = ContactForm(obj=contact)
    me = _me()
    result = save_edit(
        form,
        contact,
        Contact,
        operations.CONTACT_FIELDS,
        create=lambda values: operations.create_contact(partner, values, actor=me),
        update=operations.update_contact,
        user=me,
    )
    return result.answer(
        lambda record: f"Contact {record.name} saved.",
        lambda record: url_for("partners.show", partner_id=record.partner.id, _anchor="contacts"),
        "partners/contact_form.html",
        form=form,
        partner=partner,
        contact=contact,
    )


@bp.route("/contacts/<int:contact_id>/delete", methods=["GET", "POST"])
@requires(WRITE_PARTNERS)
def delete_contact(contact_id: int):
    contact = db.get_or_404(Contact, contact_id)
    partner = contact.partner
    form = ConfirmForm()
    if form.validate_on_submit():
        name = contact.name
        operations.delete_contact(contact, actor=_me())
        db.session.commit()
        flash(f"Contact {name} removed.", "success")
        return redirect(url_for("partners.show", partner_id=partner.id, _anchor="contacts"))
    return render_template(
        "confirm_delete.html",
        form=form,
        title=f"Remove {contact.name} from {partner.name}?",
        consequences=[],
        blockers=[],
        cancel_url=url_for("partners.show", partner_id=partner.id),
    )


# --- Engagements ----------------------------------------------------------------


@bp.get("/engagements")
@requires(READ)
def engagements():
    form = EngagementFilterForm(
        request.args,
        partners=services.partner_names(archived=False),
        regions=_all_regions(),
        users=services.active_users(),
    )
    valid = form.validate()
    filters = (
        services.EngagementFilters(
            partner_id=form.partner_id.data,
            kind=form.kind.data or "",
            region_id=form.region_id.data,
            date_from=form.date_from.data,
            date_to=form.date_to.data,
            attendee_id=form.attendee_id.data,
            q=(form.q.data or "").strip(),
        )
        if valid
        else services.EngagementFilters()
    )
    query, sortable = services.engagement_list_query(filters)
    sorting = read_sorting(sortable, default="-date")
    query = apply_sorting(query, sortable, sorting, Engagement.id.desc())
    if request.args.get("format"):
        return export_list(ENGAGEMENTS, query)
    page = paginate(query)
    return render_template(
        "partners/engagements.html", form=form, page=page, sorting=sorting, today=today()
    )


@bp.route("/engagements/new", methods=["GET", "POST"])
@bp.route("/engagements/<int:engagement_id>/edit", methods=["GET", "POST"])
@requires(WRITE_PARTNERS)
def edit_engagement(engagement_id: int | None = None):
    engagement = db.get_or_404(Engagement, engagement_id) if engagement_id else None
    form = EngagementForm(
        obj=engagement,
        partners=_all_partners(engagement.partners if engagement else []),
        users=_users(engagement.attendees if engagement else []),
    )
    if request.method == "GET":
        if engagement:
            form.partner_ids.data = [p.id for p in engagement.partners]
            form.attendee_ids.data = [u.id for u in engagement.attendees]
        else:
            preset = request.args.get("partner_id", type=int)
            form.partner_ids.data = [preset] if preset else []
            form.attendee_ids.data = [current_user.id]
            form.occurred_on.data = today()
    me = _me()
    result = save_edit(
        form,
        engagement,
        Engagement,
        [*operations.ENGAGEMENT_FIELDS, *operations.ENGAGEMENT_PEOPLE],
        create=lambda values: operations.create_engagement(_with_attendees(values), actor=me),
        update=lambda record, values, **who: operations.update_engagement(
            record, _with_attendees(values), **who
        ),
        user=me,
    )
    return result.answer(
        "Engagement saved.",
        lambda record: url_for("partners.engagement", engagement_id=record.id),
        "partners/engagement_form.html",
        form=form,
        engagement=engagement,
    )


def _with_attendees(values: dict) -> dict:
    """An engagement form left with no attendee ticked means none, not "leave as is"."""
    return {**values, "attendee_ids": values.get("attendee_ids") or []}


@bp.get("/engagements/<int:engagement_id>")
@requires(READ)
def engagement(engagement_id: int):
    engagement = db.get_or_404(
        Engagement,
        engagement_id,
        options=[
            selectinload(Engagement.partners),
            selectinload(Engagement.attendees),
            selectinload(Engagement.follow_ups).joinedload(FollowUp.owner),
            joinedload(Engagement.created_by),
        ],
    )
    follow_up_form = FollowUpForm(users=services.active_users(), formdata=None)
    follow_up_form.owner_id.data = current_user.id
    return render_template(
        "partners/engagement.html",
        engagement=engagement,
        follow_up_form=follow_up_form,
        history=audit.history(engagement),
        today=today(),
    )


# --- Follow-ups -----------------------------------------------------------------


@bp.route("/engagements/<int:engagement_id>/followups/new", methods=["GET", "POST"])
@requires(WRITE_PARTNERS)
def new_follow_up(engagement_id: int):
    return _follow_up_form(db.get_or_404(Engagement, engagement_id), None)


@bp.route("/followups/<int:follow_up_id>/edit", methods=["GET", "POST"])
@requires(WRITE_PARTNERS)
def edit_follow_up(follow_up_id: int):
    follow_up = db.get_or_404(FollowUp, follow_up_id)
    return _follow_up_form(follow_up.engagement, follow_up)


def _follow_up_form(engagement: Engagement, follow_up: FollowUp | None):
    form = FollowUpForm(obj=follow_up, users=_users([follow_up.owner] if follow_up else []))
    me = _me()
    result = save_edit(
        form,
        follow_up,
        FollowUp,
        FOLLOW_UP_FORM_FIELDS,
        create=lambda values: operations.create_follow_up(engagement, values, actor=me),
        update=operations.update_follow_up,
        user=me,
    )
    return result.answer(
        "Follow-up added." if follow_up is None else "Follow-up saved.",
        lambda _record: url_for("partners.engagement", engagement_id=engagement.id),
        "partners/follow_up_form.html",
        form=form,
        engagement=engagement,
        follow_up=follow_up,
    )


@bp.route("/followups/<int:follow_up_id>/delete", methods=["GET", "POST"])
@requires(WRITE_PARTNERS)
def delete_follow_up(follow_up_id: int):
    follow_up = db.get_or_404(FollowUp, follow_up_id)
    engagement = follow_up.engagement
    form = ConfirmForm()
    if form.validate_on_submit():
        operations.delete_follow_up(follow_up, actor=_me())
        db.session.commit()
        flash("Follow-up removed.", "success")
        return redirect(url_for("partners.engagement", engagement_id=engagement.id))
    return render_template(
        "confirm_delete.html",
        form=form,
        title=f"Remove the follow-up “{follow_up.title}”?",
        consequences=[],
        blockers=[],
        cancel_url=url_for("partners.engagement", engagement_id=engagement.id),
    )


@bp.post("/followups/<int:follow_up_id>/toggle")
@requires(READ)
def toggle_follow_up(follow_up_id: int):
    """Mark done or open again: managers, admins, and the follow-up's own owner.

    The form says which state it asks for (`done` 1 or 0), so two people pressing
    "Mark done" at once leave it done; without it, the state flips.
    """
    follow_up = db.get_or_404(FollowUp, follow_up_id)
    if not services.can_toggle_follow_up(current_user, follow_up):
        abort(403)
    if ConfirmForm().validate_on_submit():
        wanted = request.form.get("done")
        done = wanted == "1" if wanted in ("0", "1") else not follow_up.is_done
        try:
            operations.set_follow_up_done(follow_up, done, actor=_me())
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(f"Follow-up marked {'done' if done else 'not done'}.", "success")
    return redirect(safe_next(request.form.get("back")) or url_for("partners.follow_ups"))


@bp.get("/followups")
@requires(READ)
def follow_ups():
    form = FollowUpFilterForm(request.args)
    form.validate()
    scope, show = form.value("scope"), form.value("show")
    as_of = today()
    query = services.follow_up_list_query(current_user.id if scope == "mine" else None, show, as_of)
    if request.args.get("format"):
        return export_list(FOLLOW_UPS, query)
    page = paginate(query)
    return render_template(
        "partners/follow_ups.html", form=form, page=page, scope=scope, show=show, today=as_of
    )
