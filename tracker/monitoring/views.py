"""Alerts, reminder rules, job history and the calendar feed."""

import re
from contextlib import suppress
from datetime import timedelta

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select

from tracker.auth import operations as auth_operations
from tracker.auth import services as auth_services
from tracker.auth.models import User
from tracker.auth.permissions import MANAGE_SETTINGS, READ, requires
from tracker.core import audit
from tracker.core.errors import DomainError, StaleRecord
from tracker.core.forms import (
    ConfirmForm,
    apply_domain_error,
    confirm_then,
    form_values,
    show_conflict,
)
from tracker.core.listing import paginate
from tracker.core.tables import export_list
from tracker.core.types import today, utcnow
from tracker.extensions import db, limiter
from tracker.monitoring import ical, jobs, operations, services
from tracker.monitoring.exports import ALERTS, JOB_RUNS, job_runs_query
from tracker.monitoring.forms import AlertFilterForm, ReminderRuleForm, WebhookForm
from tracker.monitoring.models import (
    ItemKind,
    ReminderRule,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)

bp = Blueprint("monitoring", __name__)


@bp.get("/alerts")
@requires(READ)
def alerts():
    form = AlertFilterForm(request.args)
    form.validate()
    scope, state, kind = form.value("scope"), form.value("state"), form.value("kind")
    query = services.alerts_query(current_user.id if scope == "mine" else None, state, kind)
    if request.args.get("format"):
        return export_list(ALERTS, query)
    return render_template(
        "monitoring/alerts.html",
        form=form,
        may_acknowledge=operations.may_acknowledge,
        page=paginate(query),
        scope=scope,
        state=state,
        kind=kind,
        today=today(),
    )


# An id is a plain number an Integer column can hold; anything else names no alert.
ALERT_ID = re.compile(r"[0-9]{1,9}")
MAX_ACKNOWLEDGED = 1000


@bp.post("/alerts/acknowledge")
@requires(READ)
def acknowledge():
    form = ConfirmForm()
    if form.validate_on_submit():
        ids = {
            int(value) for value in request.form.getlist("alert_id") if ALERT_ID.fullmatch(value)
        }
        if not ids:
            flash("Tick the alerts to acknowledge first.", "warning")
        elif len(ids) > MAX_ACKNOWLEDGED:
            flash(f"Acknowledge at most {MAX_ACKNOWLEDGED} alerts at a time.", "warning")
        else:
            me = current_user._get_current_object()
            done = operations.acknowledge_alerts(sorted(ids), actor=me)
            db.session.commit()
            message = (
                f"{done.acknowledged} alert{'s' if done.acknowledged != 1 else ''} acknowledged."
            )
            if done.not_yours:
                message += (
                    f" {done.not_yours} of them {'is' if done.not_yours == 1 else 'are'} not yours "
                    f"and {'was' if done.not_yours == 1 else 'were'} left open: only an alert's "
                    "recipients or an admin may acknowledge it."
                )
            flash(message, "warning" if done.not_yours else "success")
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
    conflicts: dict[str, list] = {}
    if request.method == "POST":
        kind = request.form.get("kind", "")
        if kind not in forms:
            abort(400)
        form = forms[kind] = ReminderRuleForm(prefix=kind)
        if form.validate_on_submit():
            rule = rules[kind]
            try:
                operations.update_reminder_rule(
                    rule,
                    form_values(form, operations.RULE_FIELDS),
                    actor=current_user._get_current_object(),
                    expected_version=form.expected_version,
                )
                db.session.commit()
            except StaleRecord as error:
                show_conflict(form, error)
                conflicts[kind] = _rule_conflict(form, error.record)
                return render_template(
                    "monitoring/reminders.html", forms=forms, kinds=ItemKind, conflicts=conflicts
                ), 409
            except DomainError as error:
                db.session.rollback()
                apply_domain_error(form, error)
            else:
                flash(f"Reminders for {ItemKind(kind).label.lower()} saved.", "success")
                return redirect(url_for("monitoring.reminders"))
    return render_template(
        "monitoring/reminders.html", forms=forms, kinds=ItemKind, conflicts=conflicts
    )


def _rule_conflict(form: ReminderRuleForm, rule: ReminderRule | None) -> list:
    """Stored beside typed, field by field, with typed offsets read as the rule reads them
    ("21, 7" is what "21,7" stores)."""
    if rule is None:
        return []
    rows = []
    for name in operations.RULE_FIELDS:
        stored, typed = getattr(rule, name), form[name].data
        if name in operations.OFFSET_FIELDS:
            with suppress(DomainError):  # shown as typed
                typed = ",".join(map(str, services.parse_offsets(typed or "", name)))
        stored_text = audit.value_text(rule, name, stored)
        typed_text = audit.value_text(rule, name, typed)
        if stored_text != typed_text:
            rows.append((audit.field_label(ReminderRule, name), stored_text, typed_text))
    return rows


@bp.get("/admin/jobs")
@requires(MANAGE_SETTINGS)
def job_runs():
    query = job_runs_query()
    if request.args.get("format"):
        return export_list(JOB_RUNS, query)
    return render_template("monitoring/jobs.html", page=paginate(query), health=jobs.job_health())


# --- Calendar ----------------------------------------------------------------------


@bp.get("/account")
@requires(READ)
def account():
    feed = url_for("monitoring.calendar", token=current_user.calendar_token, _external=True)
    tokens = auth_services.tokens_of(current_user)
    return render_template("monitoring/account.html", feed=feed, tokens=tokens, today=today())


@bp.post("/account/calendar-token")
@requires(READ)
def regenerate_calendar_token():
    if ConfirmForm().validate_on_submit():
        me = current_user._get_current_object()
        auth_operations.regenerate_calendar_token(me, actor=me)
        db.session.commit()
        flash("New calendar link made; the old one no longer works.", "success")
    return redirect(url_for("monitoring.account"))


# What `new_session_token` makes (token_urlsafe(32): 43 characters), within the column's 64.
# Anything else is no token: refused before it reaches the database, where a NUL or an
# oversized value would be an error rather than a miss.
CALENDAR_TOKEN = re.compile(r"[A-Za-z0-9_-]{32,64}")
# How far back the feed reaches: an item overdue for longer is still on /due, but no one
# looks for it a year back in a calendar, and every day of the past made the feed longer.
CALENDAR_PAST = timedelta(days=365)


@bp.get("/calendar.ics")
@limiter.limit("60 per minute")
def calendar():
    """The user's deadlines as iCalendar, for Outlook and Google Calendar: every item they
    see (`services.items_for_user`) due from one year ago onwards (`CALENDAR_PAST`).

    Authenticated by the secret token in the URL (calendar clients cannot sign in);
    a wrong token gets the same 404 as a missing page.
    """
    token = request.args.get("token", "")
    if not CALENDAR_TOKEN.fullmatch(token):
        abort(404)
    user = db.session.scalar(select(User).where(User.calendar_token == token))
    if user is None or not user.active:
        abort(404)
    base = request.url_root.rstrip("/")  # the address this feed was fetched from
    labels = {kind.value: kind.label for kind in ItemKind}
    items = services.items_for_user(user, due_from=today() - CALENDAR_PAST)
    events = (
        (f"{table}-{id_}-{kind}@ecosystem-tracker", due_on, f"{labels[kind]}: {title}", base + path)
        for table, id_, kind, due_on, title, path in items
    )
    content = ical.calendar(
        f"Ecosystem Tracker – {user.name}", "-//Ecosystem Tracker//Deadlines//EN", utcnow(), events
    )
    response = current_app.response_class(content, mimetype="text/calendar")
    response.headers["Content-Disposition"] = "inline; filename=deadlines.ics"
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


# --- Outgoing webhooks -------------------------------------------------------------------


@bp.get("/admin/webhooks")
@requires(MANAGE_SETTINGS)
def webhooks():
    return render_template(
        "monitoring/webhooks.html", subscriptions=services.webhook_subscriptions()
    )


def _webhook_values(form: WebhookForm) -> dict:
    return {
        "name": form.name.data,
        "url": form.url.data,
        "events": " ".join(form.events.data or []),
        "active": form.active.data,
    }


@bp.route("/admin/webhooks/new", methods=["GET", "POST"])
@bp.route("/admin/webhooks/<int:subscription_id>/edit", methods=["GET", "POST"])
@requires(MANAGE_SETTINGS)
def edit_webhook(subscription_id: int | None = None):
    """Make or change a subscription; a new one's signing secret is shown once."""
    subscription = db.get_or_404(WebhookSubscription, subscription_id) if subscription_id else None
    form = WebhookForm(obj=subscription)
    if request.method == "GET":
        form.events.data = subscription.event_list if subscription else WebhookEvent.values()
    conflict, status = None, 200
    if form.validate_on_submit():
        me = current_user._get_current_object()
        try:
            if subscription is None:
                subscription, secret = operations.create_subscription(
                    _webhook_values(form), actor=me
                )
            else:
                operations.update_subscription(
                    subscription,
                    _webhook_values(form),
                    actor=me,
                    expected_version=form.expected_version,
                )
                secret = None
        except StaleRecord as error:
            conflict, status = show_conflict(form, error), 409
        except DomainError as error:
            db.session.rollback()
            apply_domain_error(form, error)
        else:
            db.session.commit()
            if secret is None:
                flash(f"Webhook {subscription.name} saved.", "success")
                return redirect(url_for("monitoring.webhook", subscription_id=subscription.id))
            response = make_response(
                render_template(
                    "monitoring/webhook_created.html", subscription=subscription, secret=secret
                ),
                201,
            )
            response.headers["Cache-Control"] = "no-store"
            return response
    return (
        render_template(
            "monitoring/webhook_form.html", form=form, subscription=subscription, conflict=conflict
        ),
        status,
    )


@bp.get("/admin/webhooks/<int:subscription_id>")
@requires(MANAGE_SETTINGS)
def webhook(subscription_id: int):
    """A subscription and its deliveries, newest first, each with its outcome."""
    subscription = db.get_or_404(WebhookSubscription, subscription_id)
    page = paginate(services.deliveries_query(subscription.id))
    return render_template("monitoring/webhook.html", subscription=subscription, page=page)


@bp.route("/admin/webhooks/<int:subscription_id>/delete", methods=["GET", "POST"])
@requires(MANAGE_SETTINGS)
def delete_webhook(subscription_id: int):
    subscription = db.get_or_404(WebhookSubscription, subscription_id)
    me = current_user._get_current_object()
    return confirm_then(
        lambda: operations.delete_subscription(subscription, actor=me),
        done=f"Webhook {subscription.name} deleted.",
        cancel_url=url_for("monitoring.webhook", subscription_id=subscription.id),
        then=url_for("monitoring.webhooks"),
        title=f"Delete the webhook “{subscription.name}”?",
        consequences=[
            f"Nothing more is sent to {subscription.url}, and the deliveries still waiting "
            "are dropped with the list of past ones."
        ],
        submit="Delete the webhook",
    )


@bp.post("/admin/webhook-deliveries/<int:delivery_id>/redeliver")
@requires(MANAGE_SETTINGS)
def redeliver_webhook(delivery_id: int):
    delivery = db.get_or_404(WebhookDelivery, delivery_id)
    if ConfirmForm().validate_on_submit():
        operations.redeliver(delivery, actor=current_user._get_current_object())
        db.session.commit()
        flash(f"Delivery {delivery.id} is sent again within a minute.", "success")
    return redirect(url_for("monitoring.webhook", subscription_id=delivery.subscription_id))
