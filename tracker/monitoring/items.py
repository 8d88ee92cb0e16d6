"""Every dated item the monitors watch, read from the stored rows (`tracker.core.items`).

An item is live while something is still owed: an application not yet filed, a
decision not yet made, an obligation not yet met, a report not yet submitted, a
promise not yet delivered, a milestone not yet done, a follow-up not yet done. The
domains keep the rows current on every write (`tracker.<domain>.items`); here they are
read with the owner of the partner each belongs to.
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, select

from tracker.core.items import StoredItem
from tracker.extensions import db
from tracker.partners.models import Partner


@dataclass(frozen=True)
class DatedItem:
    subject_type: str  # a table name
    subject_id: int
    kind: str  # an ItemKind
    due_on: date
    title: str
    owner_id: int | None
    partner_owner_id: int | None
    path: str  # where in the app to look

    @property
    def key(self) -> tuple[str, int, str]:
        return (self.subject_type, self.subject_id, self.kind)


def items_query() -> Select:
    """The stored items as rows shaped like `DatedItem`, for a caller to filter and order."""
    return select(
        StoredItem.subject_type,
        StoredItem.subject_id,
        StoredItem.kind,
        StoredItem.due_on,
        StoredItem.title,
        StoredItem.owner_id,
        Partner.owner_id.label("partner_owner_id"),
        StoredItem.path,
    ).outerjoin(Partner, Partner.id == StoredItem.partner_id)


def dated_items(query: Select | None = None) -> list[DatedItem]:
    """Every live dated item (or those `query`, from `items_query()`, selects), in one query."""
    query = items_query() if query is None else query
    return [DatedItem(*row) for row in db.session.execute(query)]
