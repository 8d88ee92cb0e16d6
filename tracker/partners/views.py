"""Regions, partners, contacts, engagements and follow-ups: the ecosystem manager's log."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from tracker.auth.permissions import READ, WRITE_PARTNERS, can, requires
from tracker.core import audit
from tracker.core.errors import DomainError
from tracker.core.forms import ConfirmForm, apply_domain_error, copy_fields
from tracker.core.listing import apply_sorting, paginate, read_sorting
from tracker.core.types import today
from tracker.core.urls import safe_next
from tracker.extensions import db
from tracker.partners import services
from tracker.partners.forms import (
    ContactForm,
    EngagementFilterForm,
    EngagementForm,
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
from tracker.reports.lists import export_list

bp = Blueprint("partners", __name__)

REGION_FIELDS = ["name", "country_code", "sector_focus"]
PARTNER_FIELDS = [
    "name",
    "kind",
    "status",
    "country_code",
    "region_id",
    "owner_id",
    "website",
    "cadence_days",
    "next_engagement_on",
    "description",
]
CONTACT_FIELDS = ["name", "job_title", "email", "phone", "notes"]
ENGAGEMENT_FIELDS = ["kind", "occurred_on", "subject", "summary", "outcome"]


def _all_regions() -> list[Region]:
    return list(db.session.scalars(select(Region).order_by(Region.name)))


def _all_partners() -> list[Partner]:
    return list(
        db.session.scalars(
            select(Partner).where(Partner.status != PartnerStatus.ARCHIVED).order_by(Partner.name)
        )
    )


# --- Regions -------------------------------------------------------------------


@bp.get("/regions")
@requires(READ)
def regions():
    rows = services.regions_with_counts()
    if request.args.get("format"):
        return export_list("regions", rows)
    return render_template("partners/regions.html", rows=rows)


@bp.route("/regions/new", methods=["GET", "POST"])
@bp.route("/regions/<int:region_id>/edit", methods=["GET", "POST"])
@requires(WRITE_PARTNERS)
def edit_region(region_id: int | None = None):
    region = db.get_or_404(Region, region_id) if region_id else None
    form = RegionForm(obj=region)
    if form.validate_on_submit():
        try:
            services.check_region_unique(form.name.data, form.country_code.data, region_id)
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            is_new = region is None
            region = region or Region()
            audit.save_form(
                region,
                form,
                REGION_FIELDS,
                is_new=is_new,
                summary=f"{'Created' if is_new else 'Updated'} region {form.name.data.strip()}",
            )
            db.session.commit()
            flash(f"Region {region.name} saved.", "success")
            return redirect(url_for("partners.regions"))
    return render_template("partners/region_form.html", form=form, region=region)


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
        return export_list("partners", query)
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
    form = PartnerForm(obj=partner, regions=_all_regions(), users=services.active_users())
    if form.validate_on_submit():
        try:
            services.check_partner_unique(form.name.data, form.country_code.data, partner_id)
            services.check_region_matches_country(form.region_id.data, form.country_code.data)
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            is_new = partner is None
            partner = partner or Partner()
            audit.save_form(
                partner,
                form,
                PARTNER_FIELDS,
                is_new=is_new,
                summary=f"{'Created' if is_new else 'Updated'} partner {form.name.data.strip()}",
            )
            db.session.commit()
            flash(f"Partner {partner.name} saved.", "success")
            return redirect(url_for("partners.show", partner_id=partner.id))
    return render_template("partners/partner_form.html", form=form, partner=partner)


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
        before = audit.snapshot(partner, ["status"])
        partner.status = PartnerStatus.ARCHIVED
        audit.record(
            "archive",
            partner,
            f"Archived partner {partner.name}",
            audit.diff(before, audit.snapshot(partner, ["status"])),
        )
        db.session.commit()
        flash(f"{partner.name} is archived. Its history stays; edit it to reactivate.", "success")
    return redirect(url_for("partners.show", partner_id=partner.id))


@bp.route("/partners/<int:partner_id>/delete", methods=["GET", "POST"])
@requires(WRITE_PARTNERS)
def delete_partner(partner_id: int):
    partner = db.get_or_404(Partner, partner_id)
    blockers = services.what_blocks_deletion(partner)
    form = ConfirmForm()
    if form.validate_on_submit() and not blockers:
        name = partner.name
        audit.record("delete", partner, f"Deleted partner {name}")
        db.session.delete(partner)
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
        blockers=blockers,
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
    if form.validate_on_submit():
        before = audit.snapshot(contact, CONTACT_FIELDS) if contact else {}
        is_new = contact is None
        contact = contact or Contact(partner=partner)
        copy_fields(contact, form, CONTACT_FIELDS)
        db.session.add(contact)
        # Contact changes are part of the partner's history.
        if is_new:
            audit.record("update", partner, f"Added contact {services.contact_summary(contact)}")
        else:
            changes = audit.diff(before, audit.snapshot(contact, CONTACT_FIELDS))
            audit.record("update", partner, f"Edited contact {contact.name}", changes)
        db.session.commit()
        flash(f"Contact {contact.name} saved.", "success")
        return redirect(url_for("partners.show", partner_id=partner.id, _anchor="contacts"))
    return render_template(
        "partners/contact_form.html", form=form, partner=partner, contact=contact
    )


@bp.route("/contacts/<int:contact_id>/delete", methods=["GET", "POST"])
@requires(WRITE_PARTNERS)
def delete_contact(contact_id: int):
    contact = db.get_or_404(Contact, contact_id)
    partner = contact.partner
    form = ConfirmForm()
    if form.validate_on_submit():
        audit.record("update", partner, f"Removed contact {services.contact_summary(contact)}")
        db.session.delete(contact)
        db.session.commit()
        flash(f"Contact {contact.name} removed.", "success")
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
        partners=_all_partners(),
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
        return export_list("engagements", query)
    page = paginate(query)
    return render_template(
        "partners/engagements.html", form=form, page=page, sorting=sorting, today=today()
    )


@bp.route("/engagements/new", methods=["GET", "POST"])
@bp.route("/engagements/<int:engagement_id>/edit", methods=["GET", "POST"])
@requires(WRITE_PARTNERS)
def edit_engagement(engagement_id: int | None = None):
    engagement = db.get_or_404(Engagement, engagement_id) if engagement_id else None
    users = services.active_users()
    form = EngagementForm(obj=engagement, partners=_all_partners(), users=users)
    if request.method == "GET":
        if engagement:
            form.partner_ids.data = [p.id for p in engagement.partners]
            form.attendee_ids.data = [u.id for u in engagement.attendees]
        else:
            preset = request.args.get("partner_id", type=int)
            form.partner_ids.data = [preset] if preset else []
            form.attendee_ids.data = [current_user.id]
            form.occurred_on.data = today()
    if form.validate_on_submit():
        fields = ENGAGEMENT_FIELDS + ["partners", "attendees"]
        before = _engagement_snapshot(engagement) if engagement else {}
        is_new = engagement is None
        engagement = engagement or Engagement(created_by=current_user._get_current_object())
        try:
            services.set_engagement_people(
                engagement, form.partner_ids.data, form.attendee_ids.data or []
            )
        except DomainError as error:
            db.session.rollback()
            apply_domain_error(form, error)
        else:
            copy_fields(engagement, form, ENGAGEMENT_FIELDS)
            if is_new:
                audit.record(
                    "create",
                    engagement,
                    f"Logged {engagement.kind_label.lower()}: {engagement.subject}",
                )
            else:
                changes = audit.diff(before, _engagement_snapshot(engagement))
                audit.record(
                    "update",
                    engagement,
                    f"Edited engagement {engagement.subject}",
                    {k: v for k, v in changes.items() if k in fields},
                )
            db.session.commit()
            flash("Engagement saved.", "success")
            return redirect(url_for("partners.engagement", engagement_id=engagement.id))
    return render_template("partners/engagement_form.html", form=form, engagement=engagement)


def _engagement_snapshot(engagement: Engagement) -> dict:
    values = audit.snapshot(engagement, ENGAGEMENT_FIELDS)
    values["partners"] = ", ".join(sorted(p.name for p in engagement.partners))
    values["attendees"] = ", ".join(sorted(u.name for u in engagement.attendees))
    return values


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
        history=services.entity_history("engagements", engagement.id),
        today=today(),
    )


# --- Follow-ups -----------------------------------------------------------------


@bp.route("/engagements/<int:engagement_id>/followups/new", methods=["GET", "POST"])
@requires(WRITE_PARTNERS)
def new_follow_up(engagement_id: int):
    engagement = db.get_or_404(Engagement, engagement_id)
    form = FollowUpForm(users=services.active_users())
    if form.validate_on_submit():
        follow_up = FollowUp(
            engagement=engagement,
            title=form.title.data.strip(),
            owner_id=form.owner_id.data,
            due_on=form.due_on.data,
        )
        db.session.add(follow_up)
        audit.record(
            "update",
            engagement,
            f"Added follow-up “{follow_up.title}” due {follow_up.due_on.isoformat()}",
        )
        db.session.commit()
        flash("Follow-up added.", "success")
        return redirect(url_for("partners.engagement", engagement_id=engagement.id))
    return render_template("partners/follow_up_form.html", form=form, engagement=engagement)


@bp.post("/followups/<int:follow_up_id>/toggle")
@requires(READ)
def toggle_follow_up(follow_up_id: int):
    """Mark done or not done: managers, admins, and the follow-up's own owner."""
    follow_up = db.get_or_404(FollowUp, follow_up_id)
    if not (can(current_user, WRITE_PARTNERS) or follow_up.owner_id == current_user.id):
        abort(403)
    if ConfirmForm().validate_on_submit():
        follow_up.done_on = None if follow_up.done_on else today()
        state = "done" if follow_up.done_on else "not done"
        audit.record(
            "update",
            follow_up.engagement,
            f"Marked follow-up “{follow_up.title}” {state}",
        )
        db.session.commit()
        flash(f"Follow-up marked {state}.", "success")
    return redirect(safe_next(request.form.get("back")) or url_for("partners.follow_ups"))


@bp.get("/followups")
@requires(READ)
def follow_ups():
    scope = request.args.get("scope", "mine")
    show = request.args.get("show", "open")
    if scope not in ("mine", "everyone"):
        scope = "mine"
    if show not in ("open", "done", "all"):
        show = "open"
    as_of = today()
    query = services.follow_up_list_query(current_user.id if scope == "mine" else None, show, as_of)
    if request.args.get("format"):
        return export_list("followups", query)
    page = paginate(query)
    return render_template(
        "partners/follow_ups.html", page=page, scope=scope, show=show, today=as_of
    )
