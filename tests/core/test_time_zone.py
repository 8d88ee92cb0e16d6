"""`TRACKER_TIMEZONE`: the team's calendar, not UTC's, says which day it is."""

from datetime import UTC, date, datetime

import pytest
import time_machine

from config import TestConfig
from tests.factories import make_engagement, make_follow_up, make_partner, make_user
from tracker import create_app
from tracker.core.types import day_of, today
from tracker.extensions import db
from tracker.monitoring import services

# 23:35 UTC on 10 March 2026 is 00:35 on the 11th in Budapest and 17:35 on the 10th in
# Mexico City.
LATE_EVENING_UTC = datetime(2026, 3, 10, 23, 35, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "day"),
    [("UTC", date(2026, 3, 10)), ("Europe/Budapest", date(2026, 3, 11)),
     ("America/Mexico_City", date(2026, 3, 10))],
)  # fmt: skip
def test_today_is_the_date_where_the_team_works(app, monkeypatch, zone, day):
    monkeypatch.setitem(app.config, "TRACKER_TIMEZONE", zone)
    with time_machine.travel(LATE_EVENING_UTC, tick=False):
        assert today() == day
    assert day_of(LATE_EVENING_UTC.replace(tzinfo=None)) == day  # stored naive: UTC


def test_yesterdays_deadline_is_overdue_after_midnight_in_budapest(app, monkeypatch):
    make_follow_up(
        make_engagement([make_partner()]),
        owner=make_user("owner"),
        due_on=date(2026, 3, 10),
        title="Send HIPA the site plan",
    )
    db.session.commit()
    monkeypatch.setitem(app.config, "TRACKER_TIMEZONE", "Europe/Budapest")
    with time_machine.travel(LATE_EVENING_UTC, tick=False):
        [alert] = services.scan().raised
    assert alert.message.startswith("Overdue by 1 day: Send HIPA the site plan")


def test_an_unknown_time_zone_stops_the_app_with_a_clear_message():
    class Misconfigured(TestConfig):
        TRACKER_TIMEZONE = "Europe/Budapst"

    with pytest.raises(RuntimeError, match="TRACKER_TIMEZONE: 'Europe/Budapst' is not a time"):
        create_app(Misconfigured)
