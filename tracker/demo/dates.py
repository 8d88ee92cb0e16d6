"""Day offsets from `today()` as dates, so the demo tells the same story whenever it is loaded.

The demo's tables give every date as a number of days from today (negative: in the past).
"""

from datetime import date, timedelta
from typing import Any

from tracker.core.types import today


def on(offset: int | None) -> date | None:
    """The day `offset` days from today; None (no date) stays None."""
    return None if offset is None else today() + timedelta(days=offset)


def dated(spec: dict[str, Any]) -> dict[str, Any]:
    """`spec` with the day offsets of its date fields (`*_on`, `*_deadline`) as dates."""
    return {
        field: on(value) if field.endswith(("_on", "_deadline")) else value
        for field, value in spec.items()
    }
