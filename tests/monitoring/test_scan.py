"""The scan: one alert per threshold crossed, never twice, catching up after downtime."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select, update

from tests.factories import make_engagement, make_follow_up, make_partner, make_user
from tracker.core.types import today
from tracker.extensions import db
from tracker.monitoring import services
from tracker.monitoring.models import Alert, AlertRecipient, ReminderRule
from tracker.partners.models import FollowUp

DUE = date(2026, 6, 30)


def at(day: date):
    return time_machine.travel(datetime(day.year, day.month, day.day, 6, tzinfo=UTC), tick=False)


def _follow_up(owner=None, due_on=DUE, partner_owner=None):
    partner = make_partner(owner_id=partner_owner.id if partner_owner else None)
    follow_up = make_follow_up(
        make_engagement([partner]),
        owner=owner or make_user("owner"),
        due_on=due_on,
        title="Send capex plan",
    )
    db.session.commit()
    return follow_up


def _alerts() -> list[tuple[int, str]]:
    return [
        (a.threshold_days, a.message) for a in db.session.scalars(select(Alert).order_by(Alert.id))
    ]


def test_thresholds_crossed_one_by_one_raise_one_alert_each():
    _follow_up()
    raised_per_day = {}
    for offset in range(40, -35, -1):
        day = DUE - timedelta(days=offset)
        with at(day):
            raised_per_day[offset] = [a.threshold_days for a in services.scan().raised]
    raised_days = {offset: r for offset, r in raised_per_day.items() if r}
    assert raised_days == {30: [30], 14: [14], 7: [7], 1: [1], -1: [-1], -7: [-7], -30: [-30]}
    assert len(_alerts()) == 7
    assert _alerts()[0][1] == f"Due in 30 days: Send capex plan ({_subject()}), on 2026-06-30"
    assert _alerts()[3][1].startswith("Due tomorrow")
    assert _alerts()[4][1].startswith("Overdue by 1 day: Send capex plan")


def _subject():
    return db.session.scalar(select(FollowUp)).engagement.subject


def test_a_second_scan_raises_nothing():
    _follow_up()
    with at(DUE - timedelta(days=5)):
        assert len(services.scan().raised) == 1
        assert services.scan().raised == []
    assert db.session.scalar(select(func.count()).select_from(Alert)) == 1


def test_scan_after_a_week_of_downtime_catches_up_with_the_alert_that_matters_now():
    _follow_up()
    with at(DUE - timedelta(days=20)):
        assert [a.threshold_days for a in services.scan().raised] == [30]
    # Down from 20 days before to 3 days before: the 14- and 7-day thresholds passed unseen.
    with at(DUE - timedelta(days=3)):
        assert [a.threshold_days for a in services.scan().raised] == [7]
    with at(DUE + timedelta(days=10)):
        assert [a.threshold_days for a in services.scan().raised] == [-7]


def test_done_items_raise_nothing_and_their_open_alerts_resolve():
    follow_up = _follow_up()
    with at(DUE - timedelta(days=6)):
        services.scan()
    follow_up.done_on = DUE - timedelta(days=2)
    db.session.commit()
    with at(DUE + timedelta(days=2)):
        result = services.scan()
    assert result.raised == [] and result.resolved == 1
    alert = db.session.scalar(select(Alert))
    assert alert.resolved_at is not None


def test_recipients_follow_the_reminder_rule():
    owner, partner_owner = make_user("owner"), make_user("manager")
    other_manager = make_user("manager")
    make_user("viewer")
    _follow_up(owner=owner, partner_owner=partner_owner)
    with at(DUE - timedelta(days=1)):
        services.scan()
    recipients = set(db.session.scalars(select(AlertRecipient.user_id)))
    assert recipients == {owner.id, partner_owner.id}

    rule = db.session.scalar(select(ReminderRule).where(ReminderRule.item_kind == "follow_up_due"))
    rule.notify_partner_owner = False
    rule.notify_managers = True
    db.session.commit()
    with at(DUE + timedelta(days=1)):
        services.scan()
    overdue = db.session.scalar(select(Alert).where(Alert.threshold_days == -1))
    assert {r.user_id for r in overdue.recipients} == {
        owner.id,
        partner_owner.id,
        other_manager.id,
    } - {partner_owner.id} | {
        partner_owner.id
    }  # partner owner is a manager too, so all managers include them


def test_a_disabled_rule_raises_nothing():
    _follow_up()
    services.reminder_rules()["follow_up_due"].enabled = False
    db.session.commit()
    with at(DUE):
        assert services.scan().raised == []


def test_a_failing_item_is_recorded_and_the_rest_are_scanned(runner):
    runner.invoke(args=["seed-demo"])
    rules = services.reminder_rules()
    # A broken rule (written past the form's checks): every follow-up fails.
    rules["follow_up_due"].days_before = "soon"
    rules["follow_up_due"].days_after = "late"
    db.session.commit()
    result = services.scan()
    assert result.errors and all("follow_up_due" in error for error in result.errors)
    assert "not a number of days" in result.errors[0]
    kinds = set(db.session.scalars(select(Alert.kind)))
    assert "follow_up_due" not in kinds
    assert {"milestone_due", "report_due"} <= kinds


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30,14,7,1", [30, 14, 7, 1]),
        (" 7 ; 30,7 ", [30, 7]),
        ("", []),
    ],
)
def test_offsets_parse(text, expected):
    assert services.parse_offsets(text, "days_before") == expected


def test_scan_on_demo_data_raises_then_raises_nothing(runner):
    runner.invoke(args=["seed-demo"])
    first = runner.invoke(args=["scan"])
    assert first.exit_code == 0, first.output
    count = db.session.scalar(select(func.count()).select_from(Alert))
    assert count > 0
    assert f"Raised {count} alerts" in first.output
    second = runner.invoke(args=["scan"])
    assert "Raised 0 alerts (nothing new)" in second.output
    assert db.session.scalar(select(func.count()).select_from(Alert)) == count


def test_every_kind_of_incentive_date_is_one_the_monitors_know(runner):
    from tracker.incentives.services import live_incentives, open_deadlines
    from tracker.monitoring.models import ItemKind

    runner.invoke(args=["seed-demo"])
    kinds = {d.kind for i in live_incentives() for d in open_deadlines(i)}
    assert kinds == {
        "application_deadline",
        "decision",
        "obligation_due",
        "report_due",
        "promise_due",
        "term_end",
    }
    assert kinds <= set(ItemKind.values())


# --- Hostile stored text --------------------------------------------------------------------

HOSTILE = [
    "Call back\r\nBcc: x@y.example",
    "‮ txet tfel-ot-thgir עברית العربية",
    "Emoji 🚀🇭🇺👩‍👩‍👧 done",
    "<script>alert(1)</script> & =1+2",
    "L" * 300,
    '\x01=HYPERLINK("http://x")\x07\x1b[31m',
]


def test_the_scan_the_alerts_list_and_its_exports_take_any_stored_text(
    admin_client, smtp_server, webhook
):
    from tracker.monitoring import jobs

    nul = [] if db.engine.dialect.name == "postgresql" else ["NUL\x00inside"]
    owner = make_user("owner")
    db.session.commit()
    for n, title in enumerate(HOSTILE + nul):
        follow_up = make_follow_up(
            make_engagement([make_partner()], subject=("S" * 200 if n == 4 else title[:200])),
            owner=owner,
            due_on=today() + timedelta(days=3),
        )
        db.session.commit()
        # Straight into the row: data stored before the input checks, or by an import.
        db.session.execute(update(FollowUp).where(FollowUp.id == follow_up.id).values(title=title))
    db.session.commit()

    run = jobs.run_scan()

    raised = len(HOSTILE) + len(nul)
    assert (run.outcome, run.raised, run.failed) == ("success", raised, 0)
    assert run.sent == 2 * raised  # an e-mail and a webhook post each
    assert smtp_server.to("x@y.example") == []
    assert len(jobs.run_digest().error or "") == 0
    page = admin_client.get("/alerts?scope=everyone&state=all")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
    assert "🚀🇭🇺👩‍👩‍👧" in html and "עברית" in html
    for export in ("csv", "xlsx"):
        response = admin_client.get(f"/alerts?scope=everyone&state=all&format={export}")
        assert response.status_code == 200, export
    assert admin_client.get("/admin/jobs").status_code == 200
    assert client_feed(owner).status_code == 200


def client_feed(user):
    from flask import current_app

    return current_app.test_client().get(f"/calendar.ics?token={user.calendar_token}")


def _threshold_by_days(days_left: int, before: list[int], after: list[int]) -> int | None:
    """The threshold rule as the README states it, item by item: the oracle for the windows."""
    if days_left >= 0:
        reached = [d for d in before if d >= days_left]
        return min(reached) if reached else None
    reached = [d for d in after if d <= -days_left]
    return -max(reached) if reached else None


@pytest.mark.parametrize(
    ("before", "after"),
    [("30,14,7,1", "1,7,30"), ("7", ""), ("", "3"), ("0,2", "0,5,6"), ("60,3", "10,11")],
)
def test_threshold_windows_give_each_due_date_its_one_threshold(before, after):
    as_of = date(2026, 11, 28)
    rule = ReminderRule(item_kind="follow_up_due", days_before=before, days_after=after)
    windows = services.threshold_windows(rule, as_of)
    for days_left in range(-400, 400):
        due_on = as_of + timedelta(days=days_left)
        holding = [w.threshold for w in windows if w.holds(due_on)]
        expected = _threshold_by_days(
            days_left,
            services.parse_offsets(before, "days_before"),
            services.parse_offsets(after, "days_after"),
        )
        assert holding == ([] if expected is None else [expected]), (days_left, holding)


def test_a_first_scan_lets_the_planner_count_its_alerts_as_they_double(
    runner, monkeypatch, count_queries
):
    """A first scan fills the alerts table in one transaction; the planner is told how many
    there are at each doubling (`ANALYZE`), so its plans do not assume an empty table. A
    repeated scan raises nothing and analyses nothing."""
    runner.invoke(args=["seed-demo"])
    monkeypatch.setattr(services, "RAISE_BATCH", 4)
    monkeypatch.setattr(services, "RECOUNT_FROM", 5)
    with count_queries() as first:
        raised = len(services.scan().raised)
    with count_queries() as repeated:
        assert services.scan().raised == []

    def analysed(counter) -> list[str]:
        return [s for s in counter.statements if s.startswith("ANALYZE")]

    assert raised >= 30
    times = len(analysed(first)) // 2  # the alerts, then their recipients
    assert analysed(first) == ["ANALYZE alerts", "ANALYZE alert_recipients"] * times
    # at 8 (the first batch's end past 5), 16, 32…: the last at half the alerts or more
    assert 2 <= times <= raised.bit_length()
    assert 2 ** (times + 3) >= raised
    assert analysed(repeated) == []
