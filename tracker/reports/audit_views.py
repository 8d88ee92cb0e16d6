"""/admin/audit: every change, filterable and exportable; undo and restore for admins."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from tracker.auth.permissions import READ_AUDIT, UNDO_CHANGES, requires
from tracker.core.errors import DomainError
from tracker.core.forms import ConfirmForm
from tracker.core.listing import paginate
from tracker.core.models import AuditEvent
from tracker.core.tables import export_list
from tracker.core.urls import safe_next
from tracker.extensions import db
from tracker.partners.services import active_users
from tracker.reports import audit
from tracker.reports.forms import AuditFilterForm

bp = Blueprint("audit", __name__)


@bp.get("/admin/audit")
@requires(READ_AUDIT)
def index():
    form = AuditFilterForm(
        request.args,
        entity_types=audit.entity_types(),
        users=active_users(),
        label=audit.record_label,
    )
    valid = form.validate()
    filters = (
        audit.AuditFilters(
            entity_type=form.entity_type.data or "",
            user_id=form.user_id.data,
            action=form.action.data or "",
            date_from=form.date_from.data,
            date_to=form.date_to.data,
        )
        if valid
        else audit.AuditFilters()
    )
    query = audit.events_query(filters)
    if request.args.get("format"):
        return export_list(audit.AUDIT_LIST, query)
    return render_template(
        "audit/index.html",
        form=form,
        page=paginate(query),
        why_not_undo=audit.why_not_undo,
        why_not_restore=audit.why_not_restore,
        record_label=audit.record_label,
    )


def _back() -> str:
    return safe_next(request.form.get("back")) or url_for("audit.index")


def _confirmed(event_id: int, why_not, act, *, verb: str, title: str, explanation: str, done):
    """The confirm-then-act page of an undo or a restore: refused with the reason (409 on a
    post) when it cannot be done, or done through the domain's operations and committed."""
    event = db.get_or_404(AuditEvent, event_id)
    form = ConfirmForm()
    reason = why_not(event)
    if form.validate_on_submit() and reason is None:
        try:
            act(event, actor=current_user._get_current_object())
        except DomainError as error:
            db.session.rollback()
            reason = error.message
        else:
            db.session.commit()
            flash(done(event), "success")
            return redirect(_back())
    page = render_template(
        "audit/confirm.html",
        form=form,
        event=event,
        verb=verb,
        title=title.format(summary=event.summary),
        explanation=explanation,
        reason=reason,
        back=request.values.get("back"),
    )
    return page, (409 if reason and request.method == "POST" else 200)


@bp.route("/admin/audit/<int:event_id>/undo", methods=["GET", "POST"])
@requires(UNDO_CHANGES)
def undo(event_id: int):
    return _confirmed(
        event_id,
        audit.why_not_undo,
        audit.undo,
        verb="Undo",
        title="Undo “{summary}”?",
        explanation="The values this change replaced are put back; the undo is recorded too.",
        done=lambda event: f"Undone: {event.summary}",
    )


@bp.route("/admin/audit/<int:event_id>/restore", methods=["GET", "POST"])
@requires(UNDO_CHANGES)
def restore(event_id: int):
    return _confirmed(
        event_id,
        audit.why_not_restore,
        audit.restore,
        verb="Restore",
        title="Restore what “{summary}” removed?",
        explanation="The record comes back as it was when deleted, with what was deleted "
        "with it; the restore is recorded too.",
        done=lambda event: f"Restored: {event.summary.replace('Deleted', '').strip()}",
    )
