"""The calendar feed's iCalendar text (RFC 5545), written directly.

A manager's feed holds tens of thousands of events; building an object per event and
serialising it took seconds, writing the lines takes a few dozen milliseconds. The feed
carries all-day events only, so this module knows only what they need: TEXT values
escaped, dates, a UTC timestamp, and lines folded at 75 octets with CRLF line ends.
"""

import re
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from tracker.core.tables import holdable

LINE_OCTETS = 75  # RFC 5545 3.1: a line SHOULD NOT be longer than 75 octets, CRLF excluded
BACKSLASH = 0x5C
LINE_BREAK = re.compile("\r\n|[\r\n]")
ONE_DAY = timedelta(days=1)

# An event: its UID, the day it is due (and lasts), its summary and the URL to look at.
AllDayEvent = tuple[str, date, str, str]


def text(value: str) -> str:
    """A TEXT value (RFC 5545 3.3.11): what UTF-8 cannot hold and control characters other
    than tab gone (see `holdable`), any line break as `\\n`, backslashes, semicolons and
    commas escaped."""
    if not value.isprintable():  # the rare title with a line break, a control or a surrogate
        value = holdable(value)
        if "\r" in value:
            value = value.replace("\r\n", "\n").replace("\r", "\n")
    # Most values hold none of them, and looking costs a quarter of four replaces.
    if "\\" in value or ";" in value or "," in value or "\n" in value:
        value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
        value = value.replace("\n", "\\n")
    return value


def unescaped(value: str) -> str:
    """A value of a type that has no escapes (a URI, the calendar's name) as it is, but for
    what UTF-8 cannot hold and control characters, which go (a line break becomes a space):
    a line break would start a property of its own."""
    return value if value.isprintable() else LINE_BREAK.sub(" ", holdable(value))


def fold(line: str) -> bytes:
    """A content line as UTF-8, folded so that no physical line passes 75 octets, CRLF
    excluded (a continuation line starts with a space, which counts).

    A fold never splits a character's UTF-8 bytes, nor a backslash from the character it
    escapes (some clients misread an escape cut in two).
    """
    data = line.encode()
    if len(data) <= LINE_OCTETS:
        return data
    pieces, start, room = [], 0, LINE_OCTETS
    while len(data) - start > room:
        cut = start + room
        while data[cut] & 0xC0 == 0x80:  # a UTF-8 continuation byte: back to its first byte
            cut -= 1
        cut -= _escape_at(data, cut)
        pieces.append(data[start:cut])
        start, room = cut, LINE_OCTETS - 1
    pieces.append(data[start:])
    return b"\r\n ".join(pieces)


def _escape_at(data: bytes, cut: int) -> int:
    """1 if the backslash before `cut` starts an escape whose character is at `cut` (an odd
    run of backslashes ends there), else 0."""
    run = 0
    while data[cut - 1 - run] == BACKSLASH:
        run += 1
    return run % 2


def _date(day: date) -> str:
    return day.isoformat().replace("-", "")  # isoformat pads the year to four digits


def calendar(name: str, product: str, stamp: datetime, events: Iterable[AllDayEvent]) -> bytes:
    """A VCALENDAR named `name` of all-day events, as UTF-8; `stamp` (UTC) is every event's
    DTSTAMP. The name (X-WR-CALNAME, an extension) is written unescaped, as it always was.

    Without DTEND an all-day event lasts its one day, so an event on `date.max` has none.
    """
    dtstamp = f"DTSTAMP:{stamp:%Y%m%dT%H%M%SZ}".encode()
    days: dict[date, bytes] = {}  # the DTSTART and DTEND lines of each day, made once
    lines = [
        b"BEGIN:VCALENDAR",
        b"VERSION:2.0",
        fold(f"PRODID:{text(product)}"),
        fold(f"X-WR-CALNAME:{unescaped(name)}"),
    ]
    append = lines.append
    for uid, day, summary, url in events:
        span = days.get(day)
        if span is None:
            span = days[day] = f"DTSTART;VALUE=DATE:{_date(day)}".encode() + (
                f"\r\nDTEND;VALUE=DATE:{_date(day + ONE_DAY)}".encode() if day < date.max else b""
            )
        append(b"BEGIN:VEVENT")
        append(fold(f"SUMMARY:{text(summary)}"))
        append(span)
        append(dtstamp)
        append(fold(f"UID:{text(uid)}"))
        append(fold(f"DESCRIPTION:{text(url)}"))
        append(fold(f"URL:{unescaped(url)}"))
        append(b"END:VEVENT")
    append(b"END:VCALENDAR\r\n")
    return b"\r\n".join(lines)
