"""Acknowledging alerts and editing reminder rules: the operations, and the pages that call them."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.conftest import csrf_token, post_form
from tests.factories import make_engagement, make_follow_up, make_partner, make_user
from tracker.core.errors import DomainError, StaleRecord
from tracker.core.models import AuditEvent
from tracker.core.types import today
from tracker.extensions import db
from tracker.monitoring import operations, services
from tracker.monitoring.models import Alert, ReminderRule

VERSION_RE = re.compile(r'name="milestone_due-version" type="hidden" value="(\d+)"')


def _alert_for(owner, title, days):
    make_follow_up(
        make_engagement([make_partner()]),
        owner=owner,
        due_on=today() + timedelta(days=days),
        title=title,
    )
    db.session.commit()


def _rule(kind="milestone_due") -> ReminderRule:
    return db.session.scalar(select(ReminderRule).where(ReminderRule.item_kind == kind))


def _rule_events(rule) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.entity_type == "reminder_rules", AuditEvent.entity_id == rule.id
            )
        )
    )


# --- Acknowledging ---------------------------------------------------------------------------


def test_acknowledge_counts_only_open_alerts_and_names_who():
    me = make_user("owner")
    _alert_for(me, "First", 3)
    _alert_for(me, "Second", 5)
    services.scan()
    first, second = db.session.scalars(select(Alert).order_by(Alert.id))
    assert operations.acknowledge_alerts([first.id], actor=me) == (1, 0)
    # Already acknowledged and unknown ids change nothing.
    assert operations.acknowledge_alerts([first.id, second.id, 999_999], actor=me) == (1, 0)
    assert operations.acknowledge_alerts([], actor=me) == (0, 0)
    db.session.commit()
    assert {a.acknowledged_by_id for a in db.session.scalars(select(Alert))} == {me.id}


def test_only_the_recipients_or_an_admin_acknowledge_an_alert():
    mine_owner, other_owner = make_user("owner"), make_user("owner")
    viewer, manager, admin = make_user("viewer"), make_user("manager"), make_user("admin")
    _alert_for(mine_owner, "Mine", 3)
    _alert_for(other_owner, "Theirs", 3)
    services.scan()
    mine, theirs = db.session.scalars(select(Alert).order_by(Alert.id))

    for outsider in (viewer, manager):
        assert operations.acknowledge_alerts([mine.id, theirs.id], actor=outsider) == (0, 2)
    assert operations.acknowledge_alerts([mine.id, theirs.id], actor=mine_owner) == (1, 1)
    assert operations.acknowledge_alerts([theirs.id], actor=None) == (0, 1)
    db.session.commit()
    assert (mine.acknowledged_by_id, theirs.acknowledged_at) == (mine_owner.id, None)
    assert operations.acknowledge_alerts([theirs.id], actor=admin) == (1, 0)
    assert theirs.acknowledged_by_id == admin.id
    assert [operations.may_acknowledge(u, theirs) for u in (other_owner, admin, viewer)] == [
        True,
        True,
        False,
    ]


def test_acknowledged_alerts_leave_the_open_count():
    me = make_user("owner")
    _alert_for(me, "Soon", 3)
    services.scan()
    assert services.open_alert_count(me.id) == 1
    operations.acknowledge_alerts([a.id for a in db.session.scalars(select(Alert))], actor=me)
    assert services.open_alert_count(me.id) == 0


# --- Reminder rules --------------------------------------------------------------------------


def test_rule_offsets_are_normalised_and_the_change_audited():
    admin = make_user("admin")
    rule = services.reminder_rules()["milestone_due"]
    operations.update_reminder_rule(
        rule, {"days_before": "7; 21, 7", "notify_managers": True}, actor=admin
    )
    assert (rule.days_before, rule.notify_managers) == ("21,7", True)
    (event,) = _rule_events(rule)
    assert event.user_id == admin.id and event.summary == "Changed reminders for Milestone due"
    assert event.changes["days_before"]["old"] == "30,14,7,1"
    assert event.changes["days_before"]["new"] == "21,7"
    assert event.changes["notify_managers"]["new_text"] == "Yes"


@pytest.mark.parametrize("text", ["a week", "-3", "3651", "1.5"])
def test_rule_offsets_must_be_whole_days(text):
    rule = services.reminder_rules()["milestone_due"]
    with pytest.raises(DomainError, match="is not a number of days") as refused:
        operations.update_reminder_rule(rule, {"days_after": text}, actor=None)
    assert refused.value.field == "days_after"
    assert rule.days_after == "1,7,30" and _rule_events(rule) == []


def test_rule_refuses_fields_it_does_not_own():
    rule = services.reminder_rules()["milestone_due"]
    with pytest.raises(DomainError, match="cannot be changed here"):
        operations.update_reminder_rule(rule, {"item_kind": "decision"}, actor=None)


def test_rule_edit_on_an_old_version_is_refused():
    rule = services.reminder_rules()["milestone_due"]
    loaded = rule.version
    operations.update_reminder_rule(rule, {"enabled": False}, actor=None)
    db.session.commit()
    with pytest.raises(StaleRecord):
        operations.update_reminder_rule(
            rule, {"days_before": "5"}, actor=None, expected_version=loaded
        )
    assert rule.days_before == "30,14,7,1"


def test_undo_contract():
    assert operations.UPDATERS["reminder_rules"] is operations.update_reminder_rule
    assert operations.UPDATERS["webhook_subscriptions"] is operations.update_subscription
    assert list(operations.UPDATERS) == ["reminder_rules", "webhook_subscriptions"]
    assert operations.RESTORERS == {}


def test_stale_rule_form_is_refused_with_409_on_that_rule(admin_client):
    page = admin_client.get("/admin/reminders").get_data(as_text=True)
    loaded = VERSION_RE.search(page).group(1)
    # A colleague saves the same rule meanwhile.
    operations.update_reminder_rule(_rule(), {"days_before": "60, 30"}, actor=None)
    db.session.commit()

    data = {
        "kind": "milestone_due",
        "milestone_due-version": loaded,
        "milestone_due-days_before": "21, 7",
        "milestone_due-days_after": "1,7,30",
        "milestone_due-notify_owner": "y",
        "milestone_due-notify_partner_owner": "y",
        "milestone_due-enabled": "y",
    }
    response = post_form(admin_client, "/admin/reminders", data)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Someone else changed this reminder rule after you opened it" in html
    # Stored beside typed, on that rule's form, which now carries the stored version.
    assert "60,30" in html and "21,7" in html and "Days before" in html
    assert html.count("Changed since you opened it") == 1
    assert _rule().days_before == "60,30"
    current = VERSION_RE.search(html).group(1)
    assert int(current) == _rule().version

    # Saving again, knowingly, applies what was typed.
    again = post_form(admin_client, "/admin/reminders", {**data, "milestone_due-version": current})
    assert again.status_code == 302
    assert _rule().days_before == "21,7"


def test_other_rules_forms_carry_their_own_versions_after_a_post(admin_client):
    operations.update_reminder_rule(
        services.reminder_rules()["decision"], {"enabled": False}, actor=None
    )
    db.session.commit()
    data = {"kind": "milestone_due", "milestone_due-days_before": "a week"}
    html = post_form(admin_client, "/admin/reminders", data).get_data(as_text=True)
    assert f'name="decision-version" type="hidden" value="{_rule("decision").version}"' in html


# --- The alerts list's filters -----------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    ["scope=nobody", "state=bogus", "kind=not_a_kind", "scope=everyone&state=%00&kind=%FF"],
)
def test_a_bad_filter_value_does_not_500(owner_client, query):
    _alert_for(owner_client.user, "Mine soon", 3)
    services.scan()
    response = owner_client.get(f"/alerts?{query}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Not a valid choice" in html
    assert "Mine soon" in html  # the bad value fell back to its default


def test_filters_are_a_form(owner_client):
    me = owner_client.user
    _alert_for(me, "Mine soon", 3)
    _alert_for(make_user("owner"), "Someone else's", 3)
    services.scan()
    html = owner_client.get("/alerts?scope=everyone&state=all").get_data(as_text=True)
    assert 'role="search"' in html
    assert '<option selected value="everyone">' in html
    assert "Someone else" in html and "Mine soon" in html
    resolved = owner_client.get("/alerts?state=resolved").get_data(as_text=True)
    assert "Mine soon" not in resolved


def test_acknowledge_from_the_page_keeps_the_filters(owner_client):
    me = owner_client.user
    _alert_for(me, "First", 3)
    services.scan()
    ids = [str(a.id) for a in db.session.scalars(select(Alert))]
    token = csrf_token(owner_client, "/alerts")
    response = owner_client.post(
        "/alerts/acknowledge?scope=everyone&state=all",
        data={"csrf_token": token, "alert_id": ids},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/alerts?scope=everyone&state=all"


def test_a_rule_change_is_undone_through_update_reminder_rule():
    from tracker.reports import audit as trail

    admin = make_user("admin")
    rule = services.reminder_rules()["milestone_due"]
    operations.update_reminder_rule(rule, {"days_before": "21, 7", "enabled": False}, actor=admin)
    db.session.commit()
    (change,) = _rule_events(rule)
    trail.undo(change, actor=admin)
    db.session.commit()
    assert (rule.days_before, rule.enabled) == ("30,14,7,1", True)
