"""E-mail over a real loopback SMTP server, the chat webhook, the digest, and retries."""

from datetime import timedelta

from sqlalchemy import select

from tests.factories import make_engagement, make_follow_up, make_partner, make_user
from tracker.core.types import today
from tracker.extensions import db
from tracker.monitoring import jobs
from tracker.monitoring.models import AlertRecipient, JobRun


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
