"""Sending alerts: e-mail over SMTP, an optional chat webhook, and the daily digest.

A failed send leaves the alert unsent and counts the attempt; the next run
retries it, up to `ALERT_MAX_ATTEMPTS`. Nothing is lost when a server is down.
A failure of any kind stays with its own recipient (or alert, for the webhook, or
user, for the digest): the loop records it and goes on to the others.

Whatever text was stored (before the input checks, by an import, by the scan itself),
it cannot break or add a mail header: every header goes through `header_text`, and
a recipient address is checked and handed to SMTP as given, never parsed from a header.
"""

import json
import logging
import re
import smtplib
import unicodedata
import urllib.request
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import select

from tracker.core.types import today, utcnow
from tracker.extensions import db
from tracker.monitoring import services
from tracker.monitoring.models import Alert

log = logging.getLogger(__name__)


# Line and paragraph separators end a line for some readers even though they are not
# control characters; both are folded with them.
_LINE_BREAKING = frozenset({"Cc", "Zl", "Zp"})
_ATOM = r'[^\s@<>,;:"()\[\]\\]+'  # no spaces, no second "@", nothing that lists addresses
_ADDRESS = re.compile(f"{_ATOM}@{_ATOM}")


def header_text(text: str) -> str:
    """`text` on one line, safe for any mail header: CR, LF and every other control
    character (and Unicode line and paragraph separators) become a space, runs of spaces
    one space."""
    folded = "".join(" " if unicodedata.category(char) in _LINE_BREAKING else char for char in text)
    return " ".join(folded.split())


def checked_address(address: str) -> str:
    """`address` if it is one plain address (local@domain, nothing around it); ValueError
    otherwise, so a stored "a@x.com\\r\\nBcc: b@y.com" is refused, never sent to."""
    if not _ADDRESS.fullmatch(address) or header_text(address) != address:
        raise ValueError(f"{address!r} is not an e-mail address one can send to.")
    return address


def send_email(to: str, subject: str, body: str) -> None:
    """Send one plain-text message to the one address `to`.

    Raises ValueError for an address that is not one plain address, and whatever SMTP
    raises (`OSError`, `smtplib.SMTPException`…) when the server cannot take it.
    """
    config = current_app.config
    address = checked_address(to)
    message = EmailMessage()
    message["From"] = header_text(config["MAIL_FROM"])
    message["To"] = address
    message["Subject"] = header_text(subject)
    message.set_content(body)
    with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=10) as smtp:
        if config.get("SMTP_STARTTLS"):
            smtp.starttls()
        if config.get("SMTP_USERNAME"):
            smtp.login(config["SMTP_USERNAME"], config.get("SMTP_PASSWORD") or "")
        smtp.send_message(message, to_addrs=[address])


def _reason(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:2000]


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
    """Send every pending alert e-mail; returns (sent, failed). Commits after each.

    Any exception while building or sending one recipient's message is recorded on that
    recipient (`attempts`, `last_error`) and the others still go out.
    """
    sent = failed = 0
    if not current_app.config["MAIL_ENABLED"]:
        return sent, failed  # they wait, unsent, until e-mail is configured
    for recipient in services.pending_deliveries(current_app.config["ALERT_MAX_ATTEMPTS"]):
        try:
            subject, body = alert_email(recipient.alert)
            send_email(recipient.user.email, subject, body)
        except Exception as error:  # one recipient's failure is theirs alone
            recipient.attempts += 1
            recipient.last_error = _reason(error)
            failed += 1
            log.warning(
                "alert %s to user %s not sent: %r", recipient.alert_id, recipient.user_id, error
            )
        else:
            recipient.attempts += 1
            recipient.emailed_at = utcnow()
            recipient.last_error = None
            sent += 1
            log.info(
                "alert %s e-mailed to user %s",
                recipient.alert_id,
                recipient.user_id,
                extra={"alert_id": recipient.alert_id, "user_id": recipient.user_id},
            )
        db.session.commit()
    return sent, failed


def deliver_webhooks() -> tuple[int, int]:
    """POST each unsent open alert to `ALERT_WEBHOOK_URL` as JSON; returns (sent, failed).

    Any exception while posting one alert is recorded on it and the others still go;
    those that failed least often go first.
    """
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
        .order_by(Alert.webhook_attempts, Alert.id)
    ).all()
    for alert in alerts:
        alert.webhook_attempts += 1
        try:
            _post_alert(url, alert)
        except Exception as error:  # one alert's failure is its own
            alert.webhook_error = _reason(error)
            failed += 1
            log.warning("alert %s not posted to the webhook: %r", alert.id, error)
        else:
            alert.webhook_sent_at = utcnow()
            alert.webhook_error = None
            sent += 1
        db.session.commit()
    return sent, failed


def _post_alert(url: str, alert: Alert) -> None:
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
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        if response.status >= 300:
            raise OSError(f"HTTP {response.status}")


def digest_email(digest: services.Digest) -> tuple[str, str]:
    base = current_app.config["APP_BASE_URL"].rstrip("/")
    count = f"{digest.total:,} open alert{'s' if digest.total != 1 else ''}"
    lines = [f"Good morning {digest.name},", "", f"You have {count} on {today().isoformat()}:", ""]
    lines += [f"* {header_text(message)}" for message in digest.messages]
    if digest.total > len(digest.messages):
        lines.append(f"* … and {digest.total - len(digest.messages):,} more due later")
    lines += ["", f"Review and acknowledge them: {base}/alerts"]
    return f"[Ecosystem Tracker] Your {count}", "\n".join(lines)


def send_digest() -> tuple[int, int]:
    """One message per user gathering their open alerts (the first `DIGEST_LIMIT`, most
    pressing first, and how many more); returns (sent, failed). A user whose message fails
    is logged and counted; the others still get theirs."""
    sent = failed = 0
    if not current_app.config["MAIL_ENABLED"]:
        return sent, failed
    for digest in services.digests(current_app.config["DIGEST_LIMIT"]):
        try:
            send_email(digest.email, *digest_email(digest))
        except Exception as error:  # one user's failure is theirs alone
            log.warning("digest to user %s not sent: %r", digest.user_id, error)
            failed += 1
        else:
            sent += 1
            log.info(
                "digest e-mailed to user %s", digest.user_id, extra={"user_id": digest.user_id}
            )
    return sent, failed
