"""The calendar feed's iCalendar text: whatever a title holds, the lines keep to RFC 5545
(CRLF, at most 75 octets, whole characters, TEXT escaped) and a real parser (the `icalendar`
package) reads back exactly the stored text; and whose items the feed carries."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from tests.factories import make_engagement, make_follow_up, make_partner, make_user
from tracker.core.types import today
from tracker.extensions import db
from tracker.monitoring import ical, services
from tracker.partners.models import FollowUp

HOSTILE = [
    "Commas, semicolons; and both,;",
    "Back\\slash, \\n is no line break, \\, no comma, \\; no semicolon",
    "Line\nbreak, Windows\r\nbreak and old Mac\rbreak",
    "BEGIN:VEVENT\r\nSUMMARY:injected\r\nEND:VEVENT",
    "🚀" * 80,  # four octets each
    "é" * 150,  # two octets each
    "x" * 500,
    "Z̷̢͎a̶l̵g̸o̴ 🇭🇺👩‍👩‍👧 עברית \u202eRTL mark",
    "A tab\tstays; controls \x00\x07\x1b and DEL \x7f go",
    "A lone surrogate \ud800 becomes a replacement character, \ufffe and \uffff go",
    "Ends in a backslash \\",
    "\\" * 200,
    ",;" * 100,
]
# A TEXT value: no bare comma or semicolon, a backslash only before \ ; , n or N.
ESCAPED_TEXT = re.compile(r"(?:[^\\,;]|\\[\\;,nN])*")


def stored_as(title: str) -> str:
    """What the feed should give back: what UTF-8 and XML cannot hold gone (a lone surrogate
    as U+FFFD), any line break as a newline."""
    title = re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]", "", title)
    title = re.sub("[\ud800-\udfff]", "\ufffd", title)
    return title.replace("\r\n", "\n").replace("\r", "\n")


def content_lines(feed: bytes) -> list[str]:
    """The feed's logical lines, checked physical line by physical line on the way."""
    assert feed.endswith(b"\r\n")
    logical: list[str] = []
    for physical in feed[:-2].split(b"\r\n"):
        assert len(physical) <= 75, physical
        assert b"\r" not in physical and b"\n" not in physical, physical
        piece = physical.decode()  # a fold inside a character's bytes would fail here
        if piece.startswith(" "):
            before = logical[-1]
            # a fold between a backslash and the character it escapes
            assert (len(before) - len(before.rstrip("\\"))) % 2 == 0, before
            logical[-1] = before + piece[1:]
        else:
            logical.append(piece)
    return logical


def feed_of(*summaries: str, day: date = date(2026, 11, 28)) -> bytes:
    events = [
        (f"item-{n}@test", day, summary, f"https://t.example/items/{n}?a=1,b=2")
        for n, summary in enumerate(summaries)
    ]
    stamp = datetime(2026, 11, 28, 9, 30, 5, tzinfo=UTC)
    return ical.calendar("Feed – Ünïcode, name; with\nbreak", "-//Test//EN", stamp, events)


def test_hostile_text_keeps_to_the_line_rules_and_parses_back_as_stored():
    feed = feed_of(*HOSTILE)

    lines = content_lines(feed)
    for line in lines:
        name, _, value = line.partition(":")
        if name in ("SUMMARY", "DESCRIPTION", "UID"):
            assert ESCAPED_TEXT.fullmatch(value), line
    assert lines[:4] == [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Test//EN",
        "X-WR-CALNAME:Feed – Ünïcode, name; with break",  # an extension: not escaped
    ]
    assert lines[-1] == "END:VCALENDAR"
    assert sum(line == "BEGIN:VEVENT" for line in lines) == len(HOSTILE)

    calendar = Calendar.from_ical(feed)
    assert str(calendar["x-wr-calname"]) == "Feed – Ünïcode, name; with break"
    events = calendar.walk("VEVENT")
    assert [str(event["summary"]) for event in events] == [stored_as(t) for t in HOSTILE]
    for n, event in enumerate(events):
        assert str(event["uid"]) == f"item-{n}@test"
        assert str(event["url"]) == f"https://t.example/items/{n}?a=1,b=2"
        assert str(event["description"]) == f"https://t.example/items/{n}?a=1,b=2"
        assert event.decoded("dtstart") == date(2026, 11, 28)
        assert event.decoded("dtend") == date(2026, 11, 29)
        assert event.decoded("dtstamp") == datetime(2026, 11, 28, 9, 30, 5, tzinfo=UTC)


@pytest.mark.parametrize("offset", range(60, 80))
def test_a_fold_never_cuts_an_escape_or_a_character_at_any_position(offset):
    # Slide escapes and multi-octet characters across the 75-octet boundary.
    for filler in ("\\", ",", ";", "\n", "é", "€", "🚀"):
        summary = "s" * offset + filler * 3 + "t" * 80
        feed = feed_of(summary)
        content_lines(feed)
        [event] = Calendar.from_ical(feed).walk("VEVENT")
        assert str(event["summary"]) == summary


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_any_text_parses_back_as_stored(title):
    feed = feed_of(title)
    lines = content_lines(feed)
    summary = next(line for line in lines if line.startswith("SUMMARY:"))
    assert ESCAPED_TEXT.fullmatch(summary.removeprefix("SUMMARY:"))
    [event] = Calendar.from_ical(feed).walk("VEVENT")
    assert str(event["summary"]) == stored_as(title)


def test_the_first_and_last_days_a_date_can_hold():
    feed = feed_of("first", day=date.min) + feed_of("last", day=date.max)
    lines = b"\n".join(feed.split(b"\r\n"))
    assert b"DTSTART;VALUE=DATE:00010101\nDTEND;VALUE=DATE:00010102\n" in lines
    assert b"DTSTART;VALUE=DATE:99991231\nDTSTAMP:" in lines  # no day after it to end on


def test_the_feed_through_the_web_carries_the_title_as_stored(client):
    owner = make_user("owner", name="Zoë O'Neil, Jr.; PhD")
    engagement = make_engagement([make_partner()], subject="Kick-off; phase 1, 2")
    title = "Send the capex plan, the phasing; and the \\ notes\n" + "🚀é" * 60
    follow_up = make_follow_up(
        engagement, owner=owner, due_on=today() + timedelta(days=3), title=title
    )
    db.session.commit()

    response = client.get(f"/calendar.ics?token={owner.calendar_token}")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Content-Disposition"] == "inline; filename=deadlines.ics"
    assert response.headers["Cache-Control"] == "private, max-age=300"
    content_lines(response.data)
    calendar = Calendar.from_ical(response.data)
    assert str(calendar["x-wr-calname"]) == "Ecosystem Tracker – Zoë O'Neil, Jr.; PhD"
    [event] = calendar.walk("VEVENT")
    assert str(event["summary"]) == f"Follow up due: {title} (Kick-off; phase 1, 2)"
    assert str(event["uid"]) == f"follow_ups-{follow_up.id}-follow_up_due@ecosystem-tracker"
    assert str(event["url"]).endswith(f"/engagements/{engagement.id}")
    assert str(event["description"]) == str(event["url"])
    assert event.decoded("dtstart") == today() + timedelta(days=3)
    assert event.decoded("dtend") == today() + timedelta(days=4)


def test_a_user_sees_their_own_items_and_their_partners_items_only():
    me, colleague = make_user("owner"), make_user("owner")
    mine, theirs = make_partner(owner=me), make_partner(owner=colleague)
    make_follow_up(make_engagement([theirs]), owner=me, title="Mine on their partner")
    make_follow_up(make_engagement([mine]), owner=colleague, title="Theirs on my partner")
    make_follow_up(make_engagement([mine]), owner=None, title="Nobody's on my partner")
    make_follow_up(make_engagement([theirs]), owner=colleague, title="Theirs on their partner")
    make_follow_up(make_engagement([]), owner=colleague, title="Theirs on no partner")
    make_follow_up(make_engagement([]), owner=me, title="Mine on no partner")
    db.session.commit()

    titles = {item.title.split(" (")[0] for item in services.items_for_user(me)}

    assert titles == {
        "Mine on their partner",
        "Theirs on my partner",
        "Nobody's on my partner",
        "Mine on no partner",
    }


def test_the_feed_reaches_one_year_back_and_any_way_forward(client):
    owner = make_user("owner")
    engagement = make_engagement([make_partner()])
    with time_machine.travel(datetime(2026, 11, 28, 23, 30, tzinfo=UTC), tick=False):
        for title, due_on in [
            ("A year and a day ago", date(2025, 11, 27)),
            ("A year ago", date(2025, 11, 28)),
            ("Today", date(2026, 11, 28)),
            ("The end of time", date.max),
        ]:
            make_follow_up(engagement, owner=owner, due_on=due_on, title=title)
        db.session.commit()

        response = client.get(f"/calendar.ics?token={owner.calendar_token}")

    summaries = [
        str(event["summary"]).removeprefix("Follow up due: ").split(" (")[0]
        for event in Calendar.from_ical(response.data).walk("VEVENT")
    ]
    assert summaries == ["A year ago", "Today", "The end of time"]
    assert len(services.items_for_user(owner)) == 4  # the rule itself has no window


def test_a_users_items_take_in_what_the_session_has_not_written_yet():
    owner = make_user("owner")
    engagement = make_engagement([make_partner()])
    db.session.add(FollowUp(engagement=engagement, owner=owner, due_on=today(), title="Pending"))

    assert [item.title for item in services.items_for_user(owner)] == [
        f"Pending ({engagement.subject})"
    ]
