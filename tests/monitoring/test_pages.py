"""Alerts, reminder rules and the calendar feed, through the web."""

from datetime import date, timedelta

from icalendar import Calendar
from sqlalchemy import select, update

from tests.conftest import csrf_token, post_form
from tests.factories import make_engagement, make_follow_up, make_partner, make_user
from tracker.core.types import today
from tracker.extensions import db
from tracker.monitoring import services
from tracker.monitoring.models import Alert, ReminderRule
from tracker.partners.models import FollowUp


def _alert_for(owner, title, days):
    make_follow_up(
        make_engagement([make_partner()]),
        owner=owner,
        due_on=today() + timedelta(days=days),
        title=title,
    )
    db.session.commit()


def test_alerts_mine_by_default_with_count_in_the_navigation(owner_client):
    me = owner_client.user
    _alert_for(me, "Mine soon", 3)
    _alert_for(me, "Mine late", -2)
    _alert_for(make_user("owner"), "Someone else's", 3)
    services.scan()
    html = owner_client.get("/alerts").get_data(as_text=True)
    assert "Mine soon" in html and "Mine late" in html
    assert "Someone else" not in html
    assert '<span class="alert-count" aria-label="2 open">2</span>' in html
    everyone = owner_client.get("/alerts?scope=everyone").get_data(as_text=True)
    assert "Someone else" in everyone
    assert "Mine late" not in owner_client.get("/alerts?kind=milestone_due").get_data(as_text=True)


def test_acknowledge_many_at_once(owner_client):
    me = owner_client.user
    _alert_for(me, "First", 3)
    _alert_for(me, "Second", 5)
    _alert_for(me, "Third", 20)
    services.scan()
    ids = [a.id for a in db.session.scalars(select(Alert).order_by(Alert.id))][:2]
    token = csrf_token(owner_client, "/alerts")
    response = owner_client.post(
        "/alerts/acknowledge", data={"csrf_token": token, "alert_id": [str(i) for i in ids]}
    )
    assert response.status_code == 302
    acknowledged = {a.id: a.acknowledged_by_id for a in db.session.scalars(select(Alert))}
    assert [acknowledged[i] for i in ids] == [me.id, me.id]
    assert list(acknowledged.values()).count(None) == 1
    html = owner_client.get("/alerts").get_data(as_text=True)
    assert "Third" in html and "First" not in html
    assert '<span class="alert-count" aria-label="1 open">1</span>' in html


def _acknowledge(client, ids):
    token = csrf_token(client, "/alerts")
    response = client.post(
        "/alerts/acknowledge?scope=everyone",
        data={"csrf_token": token, "alert_id": [str(i) for i in ids]},
        follow_redirects=True,
    )
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_someone_elses_alert_is_left_open_for_viewers_and_managers(
    viewer_client, manager_client, admin_client
):
    owner = make_user("owner")
    _alert_for(owner, "Owner alert", 3)
    _alert_for(manager_client.user, "Manager alert", 3)
    services.scan()
    owners, managers = db.session.scalars(select(Alert).order_by(Alert.id))

    html = _acknowledge(viewer_client, [owners.id])
    assert "0 alerts acknowledged" in html
    assert "1 of them is not yours and was left open" in html
    html = _acknowledge(manager_client, [owners.id, managers.id])
    assert "1 alert acknowledged" in html and "1 of them is not yours" in html
    db.session.expire_all()
    assert db.session.get(Alert, owners.id).acknowledged_at is None
    assert db.session.get(Alert, managers.id).acknowledged_by_id == manager_client.user.id

    # Only alerts one may acknowledge get a tick box.
    page = viewer_client.get("/alerts?scope=everyone").get_data(as_text=True)
    assert "Owner alert" in page and 'name="alert_id"' not in page
    page = admin_client.get("/alerts?scope=everyone").get_data(as_text=True)
    assert f'name="alert_id" value="{owners.id}"' in page

    html = _acknowledge(admin_client, [owners.id])
    assert "1 alert acknowledged." in html and "not yours" not in html
    db.session.expire_all()
    assert db.session.get(Alert, owners.id).acknowledged_by_id == admin_client.user.id


def test_acknowledge_takes_any_posted_ids_without_an_error(owner_client):
    hostile = ["²", "-1", "", "1e3", "99999999999999999999999", "\u0661", "1" * 5000]
    html = _acknowledge(owner_client, hostile)
    assert "Tick the alerts to acknowledge first." in html
    html = _acknowledge(owner_client, [str(i) for i in range(1, 5002)])
    assert "at most 1000 alerts at a time" in html


def test_reminder_rules_are_edited_by_admins_only(admin_client, manager_client):
    assert manager_client.get("/admin/reminders").status_code == 403
    page = admin_client.get("/admin/reminders").get_data(as_text=True)
    assert "Milestone due" in page and 'value="30,14,7,1"' in page
    data = {
        "kind": "milestone_due",
        "milestone_due-days_before": "21, 7",
        "milestone_due-days_after": "1,3",
        "milestone_due-notify_owner": "y",
        "milestone_due-notify_managers": "y",
        "milestone_due-enabled": "y",
    }
    assert post_form(admin_client, "/admin/reminders", data).status_code == 302
    rule = db.session.scalar(select(ReminderRule).where(ReminderRule.item_kind == "milestone_due"))
    assert (rule.days_before, rule.days_after, rule.notify_partner_owner, rule.notify_managers) == (
        "21,7",
        "3,1",
        False,
        True,
    )
    bad = post_form(
        admin_client, "/admin/reminders", {**data, "milestone_due-days_before": "a week"}
    )
    html = bad.get_data(as_text=True)
    assert "“a week” is not a number of days" in html and 'value="a week"' in html
    assert db.session.get(ReminderRule, rule.id).days_before == "21,7"


def test_calendar_feed_is_valid_icalendar_for_the_users_items(owner_client, client):
    me = owner_client.user
    _alert_for(me, "Send capex phasing", 4)
    _alert_for(make_user("owner"), "Not mine", 4)
    token = db.session.get(type(me), me.id).calendar_token
    account = owner_client.get("/account").get_data(as_text=True)
    assert f"/calendar.ics?token={token}" in account

    response = client.get(f"/calendar.ics?token={token}")  # no session: the token is enough
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.data)
    events = [c for c in calendar.walk() if c.name == "VEVENT"]
    assert len(events) == 1
    assert str(events[0]["summary"]).startswith("Follow up due: Send capex phasing (")
    assert events[0].decoded("dtstart") == today() + timedelta(days=4)


def test_wrong_or_old_calendar_token_gets_404(owner_client, client):
    me = owner_client.user
    old = db.session.get(type(me), me.id).calendar_token
    assert client.get("/calendar.ics?token=not-the-token").status_code == 404
    assert client.get("/calendar.ics").status_code == 404
    post_form(owner_client, "/account/calendar-token", {}, form_url="/account")
    assert client.get(f"/calendar.ics?token={old}").status_code == 404
    new = db.session.get(type(me), me.id).calendar_token
    assert new != old and client.get(f"/calendar.ics?token={new}").status_code == 200


def _stored_follow_up(owner, **values):
    """A follow-up with `values` written straight into its row, past the input checks, as
    data stored before them or by an import may be."""
    follow_up = make_follow_up(make_engagement([make_partner()]), owner=owner)
    db.session.commit()
    db.session.execute(update(FollowUp).where(FollowUp.id == follow_up.id).values(**values))
    db.session.commit()
    return follow_up


def test_calendar_feed_renders_any_stored_date_and_title(client):
    owner = make_user("owner")
    _stored_follow_up(owner, due_on=date.max, title="The end of time")
    _stored_follow_up(owner, due_on=date.min, title="The start of time")
    _stored_follow_up(owner, title="Line\r\nBREAK:1 ‮ RTL עברית 🚀 " + "x" * 200)

    result = services.scan()  # the scan takes them too: one is long overdue
    assert (len(result.raised), result.errors) == (2, [])
    response = client.get(f"/calendar.ics?token={owner.calendar_token}")

    assert response.status_code == 200
    events = {
        str(event["summary"]).split(" (")[0]: event
        for event in Calendar.from_ical(response.data).walk("VEVENT")
    }
    last = events["Follow up due: The end of time"]
    assert last.decoded("dtstart") == date.max and "dtend" not in last
    # The feed reaches one year back; the writer's own test renders date.min.
    assert "Follow up due: The start of time" not in events
    [hostile] = [name for name in events if name.startswith("Follow up due: Line")]
    assert "\nBREAK:1 ‮ RTL עברית 🚀 x" in hostile  # escaped as text, not a new property
    assert b"\r\nBREAK:" not in response.data


def test_a_calendar_token_of_the_wrong_shape_is_refused_before_any_query(client, count_queries):
    owner = make_user("owner")
    db.session.commit()
    for token in (
        "\x00",
        owner.calendar_token[:-1] + "\u0661",
        owner.calendar_token + " ",
        "a" * 100_000,
        "ab'; --",
    ):
        with count_queries() as counter:
            assert client.get("/calendar.ics", query_string={"token": token}).status_code == 404
        assert not [s for s in counter.statements if "calendar_token" in s], repr(token)
