"""E-mail over a real loopback SMTP server, the chat webhook, the digest, and retries."""

import logging
from datetime import timedelta

from sqlalchemy import select, update

from tests.factories import make_engagement, make_follow_up, make_partner, make_user
from tracker.auth.models import User
from tracker.core.types import today
from tracker.extensions import db
from tracker.monitoring import jobs, services
from tracker.monitoring.models import Alert, AlertRecipient, JobRun
from tracker.partners.models import FollowUp


def _due_follow_up(owner, days=3):
    make_follow_up(
        make_engagement([make_partner()]),
        owner=owner,
        due_on=today() + timedelta(days=days),
        title="Call HIPA back",
    )
    db.session.commit()


def test_each_new_alert_reaches_its_owner_by_email(smtp_server):
    owner = make_user("owner", email="jan@example.com")
    _due_follow_up(owner)
    run = jobs.run_scan()
    assert (run.outcome, run.raised, run.sent, run.failed) == ("success", 1, 1, 0)
    [message] = smtp_server.to("jan@example.com")
    assert message["subject"].startswith("[Ecosystem Tracker] Due in 3 days: Call HIPA back")
    assert "Open it: http://127.0.0.1:5000/engagements/" in message["body"]
    assert "Acknowledge it: http://127.0.0.1:5000/alerts" in message["body"]
    jobs.run_scan()
    assert len(smtp_server.messages) == 1  # never sent twice


def test_smtp_down_leaves_the_alert_unsent_and_the_next_run_sends_it(app, smtp_down, monkeypatch):
    owner = make_user("owner", email="jan@example.com")
    _due_follow_up(owner)
    run = jobs.run_scan()
    assert (run.raised, run.sent, run.failed) == (1, 0, 1)
    recipient = db.session.scalar(select(AlertRecipient))
    assert recipient.emailed_at is None and recipient.attempts == 1
    assert "ConnectionRefusedError" in recipient.last_error

    from aiosmtpd.controller import Controller

    from tests.monitoring.conftest import Inbox, free_port

    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        monkeypatch.setitem(app.config, "SMTP_PORT", port)
        run = jobs.run_scan()
        assert (run.raised, run.sent) == (0, 1)
    finally:
        controller.stop()
    assert [m["to"] for m in inbox.messages] == [["jan@example.com"]]
    db.session.expire_all()
    assert db.session.scalar(select(AlertRecipient)).emailed_at is not None


def test_webhook_receives_alerts_and_a_failing_one_is_retried(webhook, smtp_server):
    _due_follow_up(make_user("owner"))
    webhook.status = 500
    run = jobs.run_scan()
    assert run.failed == 1 and webhook.posts == []
    webhook.status = 200
    jobs.run_scan()
    [post] = webhook.posts
    assert post["text"].startswith("Due in 3 days: Call HIPA back")
    assert post["alert"]["kind"] == "follow_up_due"
    jobs.run_scan()
    assert len(webhook.posts) == 1


def test_daily_digest_gathers_each_users_open_alerts_once_a_day(smtp_server):
    jan, eva = make_user("owner", email="jan@example.com"), make_user("owner", email="eva@x.com")
    _due_follow_up(jan, days=3)
    _due_follow_up(jan, days=-2)
    _due_follow_up(eva, days=10)
    jobs.run_scan()
    smtp_server.messages.clear()

    run = jobs.run_digest()
    assert (run.sent, run.failed) == (2, 0)
    [digest] = smtp_server.to("jan@example.com")
    assert "You have 2 open alerts" in digest["body"]
    assert "Overdue by 2 days" in digest["body"] and "Due in 3 days" in digest["body"]
    assert len(smtp_server.to("eva@x.com")) == 1
    assert jobs.run_digest() is None  # once a day
    assert len(smtp_server.messages) == 2


def test_a_long_digest_lists_the_most_pressing_alerts_and_counts_the_rest(app, smtp_server):
    app.config["DIGEST_LIMIT"] = 2
    jan = make_user("owner", email="jan@example.com")
    for days in (20, -2, 3):
        _due_follow_up(jan, days=days)
    jobs.run_scan()
    smtp_server.messages.clear()

    jobs.run_digest()

    [digest] = smtp_server.to("jan@example.com")
    assert "Your 3 open alerts" in digest["subject"]
    listed = [line for line in digest["body"].splitlines() if line.startswith("* ")]
    assert len(listed) == 3
    assert "Overdue by 2 days" in listed[0] and "Due in 3 days" in listed[1]
    assert listed[2] == "* … and 1 more due later"


def test_job_runs_are_recorded_and_shown_to_admins(admin_client, smtp_server):
    _due_follow_up(make_user("owner"))
    jobs.run_scan()
    run = db.session.scalar(select(JobRun))
    assert (run.job, run.outcome, run.raised) == ("scan", "success", 1)
    assert run.finished_at >= run.started_at
    html = admin_client.get("/admin/jobs").get_data(as_text=True)
    assert "Last successful scan" in html and "has not succeeded" not in html


def test_jobs_page_warns_when_the_scan_has_not_succeeded_lately(admin_client):
    import time_machine

    from tracker.core.types import utcnow

    jobs.run_scan()
    with time_machine.travel(utcnow() + timedelta(minutes=11), tick=False):
        html = admin_client.get("/admin/jobs").get_data(as_text=True)
    assert "The scan has not succeeded for more than 10 minutes" in html


# --- Hostile stored text and failing recipients ---------------------------------------------

POISON = "Call back\r\nBcc: x@y.example"


def _store(model, row_id, **values):
    """Write straight into the table, past every operation's checks (data stored before them,
    an import, a hand edit): delivery must be safe on its own."""
    db.session.execute(update(model).where(model.id == row_id).values(**values))
    db.session.commit()


def test_a_newline_in_a_title_is_folded_and_injects_no_header(smtp_server, webhook):
    owner = make_user("owner", email="jan@example.com")
    _due_follow_up(owner, days=3)
    poisoned = make_follow_up(
        make_engagement([make_partner()]), owner=owner, due_on=today() + timedelta(days=5)
    )
    db.session.commit()
    _store(FollowUp, poisoned.id, title=POISON)

    run = jobs.run_scan()

    assert (run.outcome, run.raised, run.sent, run.failed) == ("success", 2, 4, 0)
    assert smtp_server.to("x@y.example") == []
    subjects = sorted(m["subject"] for m in smtp_server.to("jan@example.com"))
    assert subjects[1].startswith("[Ecosystem Tracker] Due in 5 days: Call back Bcc: x@y.example")
    for message in smtp_server.messages:
        assert [name for name, _ in message["headers"] if name.lower() == "bcc"] == []
        assert message["to"] == ["jan@example.com"]
    assert len(webhook.posts) == 2


def test_one_failing_recipient_never_stops_the_others_or_the_webhook(app, smtp_server, webhook):
    jan = make_user("owner", email="jan@example.com")
    gone = make_user("owner", email="gone@example.com")
    broken = make_user("owner", email="broken@example.com")
    _due_follow_up(broken, days=1)  # the lowest ids: tried first
    _due_follow_up(gone, days=2)
    _due_follow_up(jan, days=3)
    _store(User, broken.id, email="broken@example.com\r\nBcc: x@y.example")
    smtp_server.refused.add("gone@example.com")

    run = jobs.run_scan()

    assert (run.outcome, run.raised, run.sent, run.failed) == ("success", 3, 4, 2)
    assert [m["to"] for m in smtp_server.messages] == [["jan@example.com"]]
    assert len(webhook.posts) == 3
    errors = {r.user_id: r for r in db.session.scalars(select(AlertRecipient))}
    assert errors[jan.id].emailed_at is not None and errors[jan.id].last_error is None
    assert errors[gone.id].attempts == 1 and "SMTPRecipientsRefused" in errors[gone.id].last_error
    assert errors[broken.id].attempts == 1
    assert "is not an e-mail address one can send to" in errors[broken.id].last_error

    # Retried on each run until ALERT_MAX_ATTEMPTS, then left alone.
    app.config["ALERT_MAX_ATTEMPTS"], attempts = 3, None
    for _ in range(4):
        jobs.run_scan()
    db.session.expire_all()
    attempts = {r.user_id: r.attempts for r in db.session.scalars(select(AlertRecipient))}
    assert (attempts[gone.id], attempts[broken.id], attempts[jan.id]) == (3, 3, 1)
    assert len(smtp_server.messages) == 1


def test_a_webhook_failure_of_any_kind_stays_with_its_alert(smtp_server, webhook):
    owner = make_user("owner")
    _due_follow_up(owner, days=1)
    make_follow_up(
        make_engagement([make_partner()]),
        owner=owner,
        due_on=today() + timedelta(days=2),
        title="Not HTTP back",
    )
    _due_follow_up(owner, days=3)
    webhook.garbage_for = "Not HTTP back"

    run = jobs.run_scan()

    assert run.outcome == "success" and (run.sent, run.failed) == (3 + 2, 1)
    assert sorted(p["alert"]["title"][:4] for p in webhook.posts) == ["Call", "Call"]
    failed = db.session.scalar(select(Alert).where(Alert.title.startswith("Not HTTP back")))
    assert failed.webhook_sent_at is None and failed.webhook_attempts == 1
    assert "BadStatusLine" in failed.webhook_error


def test_fresh_alerts_are_tried_before_ones_that_keep_failing(smtp_server):
    first, second = make_user("owner"), make_user("owner")
    _due_follow_up(first, days=1)
    _due_follow_up(second, days=2)
    services.scan()
    failing = db.session.scalar(select(AlertRecipient).where(AlertRecipient.user_id == first.id))
    failing.attempts = 4
    db.session.commit()
    pending = services.pending_deliveries(max_attempts=10)
    assert [r.user_id for r in pending] == [second.id, first.id]


def test_a_digest_that_cannot_go_to_one_user_still_goes_to_the_others(smtp_server):
    jan = make_user("owner", email="jan@example.com")
    broken = make_user("owner", email="broken@example.com")
    _due_follow_up(broken, days=3)
    _due_follow_up(jan, days=3)
    services.scan()
    _store(User, broken.id, email="broken@example.com\nBcc: x@y.example")

    run = jobs.run_digest()

    assert (run.outcome, run.sent, run.failed) == ("partial", 1, 1)
    assert [m["to"] for m in smtp_server.messages] == [["jan@example.com"]]


def test_mail_headers_fold_every_control_character():
    from tracker.monitoring.notify import header_text

    assert header_text("a\r\nBcc: b\x00c\x1b\x7f\x85d\u2028e\tf") == "a Bcc: b c d e f"
    assert header_text("  Ünïcode 🚀 עברית  ") == "Ünïcode 🚀 עברית"


def test_the_e_mails_a_scan_sends_are_logged_under_the_scan_run(smtp_server, caplog):
    owner = make_user("owner", email="jan@example.com")
    _due_follow_up(owner)
    caplog.set_level(logging.INFO, logger="tracker.monitoring")
    run = jobs.run_scan()
    [sent] = [r for r in caplog.records if r.name == "tracker.monitoring.notify"]
    assert sent.getMessage() == f"alert {run.raised_alerts[0].id} e-mailed to user {owner.id}"
    assert sent.request_id == f"job-scan-{run.id}"
    [ended] = [r for r in caplog.records if r.name == "tracker.monitoring.jobs"]
    assert ended.request_id == sent.request_id and (ended.raised, ended.sent) == (1, 1)
