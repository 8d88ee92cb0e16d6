"""Every write the reports make: closing a board month, and reopening it.

The views render the report (its page section, PDF and workbook) and hand the renderings
here; the rules live here: only a month that has ended is closed, once; only a closed one
is reopened.
"""

from dataclasses import dataclass

from sqlalchemy import select

from tracker.auth.models import User
from tracker.core import audit
from tracker.core.errors import DomainError
from tracker.core.records import flush
from tracker.core.types import today
from tracker.extensions import db
from tracker.reports.models import ClosedMonth
from tracker.reports.monthly import Month


@dataclass(frozen=True)
class Renderings:
    """The report of a month as each reader gets it."""

    html: str
    pdf: bytes
    xlsx: bytes


def closed_month(month: Month) -> ClosedMonth | None:
    return db.session.scalar(select(ClosedMonth).where(ClosedMonth.month == month.key))


def close_month(month: Month, renderings: Renderings, *, actor: User | None) -> ClosedMonth:
    """Keep the month's report as `renderings` give it today: from now on the page, the
    PDF and the workbook of the month are these, whatever is edited later. Only a month
    that has ended can be closed, and only once."""
    now = today()
    if month.last >= now:
        raise DomainError(
            f"{month.label} has not ended yet: it can be closed from "
            f"{month.following.first.isoformat()} on.",
            "month",
        )
    if closed_month(month) is not None:
        raise DomainError(f"{month.label} is closed already.", "month")
    closed = ClosedMonth(
        month=month.key,
        prepared_on=now,
        closed_by_id=getattr(actor, "id", None),
        html=renderings.html,
        pdf=renderings.pdf,
        xlsx=renderings.xlsx,
    )
    db.session.add(closed)
    flush(closed)
    audit.record("create", closed, f"Closed the board report of {month.label}", {}, actor=actor)
    return closed


def reopen_month(month: Month, *, actor: User | None) -> None:
    """Drop the kept report: the month's report is worked out from the records again."""
    closed = closed_month(month)
    if closed is None:
        raise DomainError(f"{month.label} is not closed.", "month")
    audit.record("delete", closed, f"Reopened the board report of {month.label}", {}, actor=actor)
    db.session.delete(closed)
    db.session.flush()


UPDATERS: dict = {}
RESTORERS: dict = {}
