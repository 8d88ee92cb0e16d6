"""Alerts, reminder rules, job history and the calendar feed."""

from datetime import timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from icalendar import Calendar, Event
from sqlalchemy import select

from tracker.auth.models import User, new_session_token
from tracker.auth.permissions import MANAGE_SETTINGS, READ, requires
from tracker.core import audit
from tracker.core.errors import DomainError
from tracker.core.forms import ConfirmForm, apply_domain_error
from tracker.core.listing import paginate
from tracker.core.types import today, utcnow
from tracker.extensions import db, limiter
from tracker.monitoring import jobs, services
from tracker.monitoring.forms import ReminderRuleForm
from tracker.monitoring.models import ItemKind, JobRun
from tracker.reports.lists import export_list

bp = Blueprint("monitoring", __name__)

RULE_FIELDS = [
    "days_before",
    "days_after",
    "notify_owner",
    "notify_partner_owner",
    "notify_managers",
    "enabled",
]


@bp.get("/alerts")
@requires(READ)
def alerts():
    scope = request.args.get("scope", "mine")
    state = request.args.get("state", "open")
    kind = request.args.get("kind", "")
    scope = scope if scope in ("mine", "everyone") else "mine"
    state = state if state in ("open", "acknowledged", "resolved", "all") else "open"
    kind = kind if kind in ItemKind.values() else ""
    query = services.alerts_query(current_user.id if scope == "mine" else None, state, kind)
    if request.args.get("format"):
        return export_list("alerts", query)
    return render_template(
        "monitoring/alerts.html",
        page=paginate(query),
        scope=scope,
        state=state,
        kind=kind,
        kinds=ItemKind.choices(),
        today=today(),
    )


@bp.post("/alerts/acknowledge")
@requires(READ)
def acknowledge():
    form = ConfirmForm()
    if form.validate_on_submit():
        ids = [int(value) for value in request.form.getlist("alert_id") if value.isdigit()]
        if not ids:
            flash("Tick the alerts to acknowledge first.", "warning")
        else:
            count = services.acknowledge(ids, current_user.id)
            db.session.commit()
            flash(f"{count} alert{'s' if count != 1 else ''} acknowledged.", "success")
    args = {k: v for k, v in request.args.items() if k in ("scope", "state", "kind", "page")}
    return redirect(url_for("monitoring.alerts", **args))


@bp.route("/admin/reminders", methods=["GET", "POST"])
@requires(MANAGE_SETTINGS)
def reminders():
    rules = services.reminder_rules()
    db.session.commit()  # the defaults, the first time
    forms = {
        kind: ReminderRuleForm(prefix=kind, obj=rules[kind], formdata=None)
        for kind in ItemKind.values()
    }
    if request.method == "POST":
        kind = request.form.get("kind", "")
        if kind not in forms:
            abort(400)
        form = forms[kind] = ReminderRuleForm(prefix=kind)
        if form.validate_on_submit():
            rule = rules[kind]
            try:
                before = services.parse_offsets(form.days_before.data, "days_before")
                after = services.parse_offsets(form.days_after.data, "days_after")
            except DomainError as error:
                apply_domain_error(form, error)
            else:
                old = audit.snapshot(rule, RULE_FIELDS)
                form.populate_obj(rule)
                rule.days_before = ",".join(map(str, before))
                rule.days_after = ",".join(map(str, after))
                audit.record(
                    "update",
                    rule,
                    f"Changed reminders for {ItemKind(kind).label}",
                    audit.diff(old, audit.snapshot(rule, RULE_FIELDS)),
                )
                db.session.commit()
                flash(f"Reminders for {ItemKind(kind).label.lower()} saved.", "success")
                return redirect(url_for("monitoring.reminders"))
    return render_template("monitoring/reminders.html", forms=forms, kinds=ItemKind)


@bp.get("/admin/jobs")
@requires(MANAGE_SETTINGS)
def job_runs():
    query = select(JobRun).order_by(JobRun.started_at.desc(), JobRun.id.desc())
    if request.args.get("format"):
        return export_list("jobs", query)
    return render_template("monitoring/jobs.html", page=paginate(query), health=jobs.job_health())


# --- Calendar ----------------------------------------------------------------------


@bp.get("/account")
@requires(READ)
def account():
    feed = url_for("monitoring.calendar", token=current_user.calendar_token, _external=True)
    return render_template("monitoring/account.html", feed=feed)


@bp.post("/account/calendar-token")
@requires(READ)
def regenerate_calendar_token():
    if ConfirmForm().validate_on_submit():
        current_user.calendar_token = new_session_token()
        audit.record("update", current_user, "Regenerated calendar link")
        db.session.commit()
        flash("New calendar link made; the old one no longer works.", "success")
    return redirect(url_for("monitoring.account"))


@bp.get("/calendar.ics")
@limiter.limit("60 per minute")
def calendar():
    """The user's deadlines as iCalendar, for Outlook and Google Calendar.

    Authenticated by the secret token in the URL (calendar clients cannot sign in);
    a wrong token gets the same 404 as a missing page.
    """
    token = request.args.get("token", "")
    user = db.session.scalar(select(User).where(User.calendar_token == token)) if token else None
    if user is None or not user.active:
        abort(404)
    calendar = Calendar()
    calendar.add("prodid", "-//Ecosystem Tracker//Deadlines//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"Ecosystem Tracker – {user.name}")
    base = current_app.config["APP_BASE_URL"].rstrip("/")
    stamp = utcnow()
    for item in services.items_for_user(user):
        event = Event()
        event.add("uid", f"{item.subject_type}-{item.subject_id}-{item.kind}@ecosystem-tracker")
        event.add("dtstamp", stamp)
        event.add("dtstart", item.due_on)
        event.add("dtend", item.due_on + timedelta(days=1))
        event.add("summary", f"{ItemKind(item.kind).label}: {item.title}")
        event.add("url", f"{base}{item.path}")
        event.add("description", f"{base}{item.path}")
        calendar.add_component(event)
    response = current_app.response_class(calendar.to_ical(), mimetype="text/calendar")
    response.headers["Content-Disposition"] = "inline; filename=deadlines.ics"
    response.headers["Cache-Control"] = "private, max-age=300"
    return response
