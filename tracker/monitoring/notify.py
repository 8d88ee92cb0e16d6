"""Sending alerts: e-mail over SMTP, an optional chat webhook, and the daily digest.

A failed send leaves the alert unsent and counts the attempt; the next run
retries it, up to `ALERT_MAX_ATTEMPTS`. Nothing is lost when a server is down.
"""

import json
import logging
import smtplib
import urllib.request
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import select

from tracker.core.types import today, utcnow
from tracker.extensions import db
from tracker.monitoring import services
from tracker.monitoring.models import Alert

log = logging.getLogger(__name__)


def send_email(to: str, subject: str, body: str) -> None:
    """Send one plain-text message; raises `OSError`/`smtplib.SMTPException` on failure."""
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=10) as smtp:
        if config.get("SMTP_STARTTLS"):
            smtp.starttls()
        if config.get("SMTP_USERNAME"):
            smtp.login(config["SMTP_USERNAME"], config.get("SMTP_PASSWORD") or "")
        smtp.send_message(message)


def _link(alert: Alert) -> str:
    base = current_app.config["APP_BASE_URL"].rstrip("/")
    return f"{base}/alerts"


def alert_email(alert: Alert) -> tuple[str, str]:
    subject = f"[Ecosystem Tracker] {alert.message}"[:200]
    base = current_app.config["APP_BASE_URL"].rstrip("/")
    body = (
        f"{alert.message}\n\n"
        f"Item: {alert.title}\nDue: {alert.due_on.isoformat()}\nOpen it: {base}{alert.path}\n\n"
        f"Acknowledge it: {_link(alert)}\n"
    )
    return subject, body


def deliver_emails() -> tuple[int, int]:
    """Send every pending alert e-mail; returns (sent, failed). Commits after each."""
    sent = failed = 0
    if not current_app.config["MAIL_ENABLED"]:
        return sent, failed  # they wait, unsent, until e-mail is configured
    for recipient in services.pending_deliveries(current_app.config["ALERT_MAX_ATTEMPTS"]):
        subject, body = alert_email(recipient.alert)
        try:
            send_email(recipient.user.email, subject, body)
        except (OSError, smtplib.SMTPException) as error:
            recipient.attempts += 1
            recipient.last_error = f"{type(error).__name__}: {error}"[:2000]
            failed += 1
            log.warning(
                "alert %s to %s not sent: %s", recipient.alert_id, recipient.user.email, error
            )
        else:
            recipient.attempts += 1
            recipient.emailed_at = utcnow()
            recipient.last_error = None
            sent += 1
        db.session.commit()
    return sent, failed


def deliver_webhooks() -> tuple[int, int]:
    """POST each unsent open alert to `ALERT_WEBHOOK_URL` as JSON; returns (sent, failed)."""
    url = current_app.config.get("ALERT_WEBHOOK_URL")
    if not url:
        return 0, 0
    sent = failed = 0
    alerts = db.session.scalars(
        select(Alert)
        .where(
            Alert.webhook_sent_at.is_(None),
            Alert.webhook_attempts < current_app.config["ALERT_MAX_ATTEMPTS"],
            Alert.resolved_at.is_(None),
        )
        .order_by(Alert.id)
    ).all()
    for alert in alerts:
        payload = {
            "text": f"{alert.message} — {_link(alert)}",
            "alert": {
                "id": alert.id,
                "kind": alert.kind,
                "title": alert.title,
                "due_on": alert.due_on.isoformat(),
                "threshold_days": alert.threshold_days,
                "url": _link(alert),
            },
        }
        request = urllib.request.Request(  # noqa: S310 (an admin-configured http(s) URL)
            url,
            data=json.dumps(payload).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        alert.webhook_attempts += 1
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                if response.status >= 300:
                    raise OSError(f"HTTP {response.status}")
        except OSError as error:
            alert.webhook_error = str(error)[:2000]
            failed += 1
        else:
            alert.webhook_sent_at = utcnow()
            alert.webhook_error = None
            sent += 1
        db.session.commit()
    return sent, failed


def send_digest() -> tuple[int, int]:
    """One message per user gathering their open alerts; returns (sent, failed)."""
    sent = failed = 0
    if not current_app.config["MAIL_ENABLED"]:
        return sent, failed
    for user, alerts in services.digest_recipients().items():
        lines = [
            f"Good morning {user.name},",
            "",
            f"You have {len(alerts)} open alert{'s' if len(alerts) != 1 else ''} "
            f"on {today().isoformat()}:",
            "",
        ]
        lines += [f"* {alert.message}" for alert in alerts]
        base = current_app.config["APP_BASE_URL"].rstrip("/")
        lines += ["", f"Review and acknowledge them: {base}/alerts"]
        try:
            send_email(
                user.email, f"[Ecosystem Tracker] Your {len(alerts)} open alerts", "\n".join(lines)
            )
        except (OSError, smtplib.SMTPException) as error:
            log.warning("digest to %s not sent: %s", user.email, error)
            failed += 1
        else:
            sent += 1
    return sent, failed
