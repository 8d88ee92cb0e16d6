"""One normalisation of text for every search and every name that must be unique.

`fold` makes "Łódź", "LODZ" and "lodz" one key, "Győr" and "gyor", "МОСВ" and "мосв". The
database never folds (SQLite's `lower()` knows ASCII only, PostgreSQL's depends on its
collation): a model keeps the folded text in a column on every write, and searches and
unique constraints compare with that column, so both databases answer the same.

* `NameKeyed`: `name_key` holds `fold(name)`; a model puts it in its unique constraint.
* `Searchable`: `search_key` holds its `__searched__` fields folded; `matches(Model, q)` is
  the `?q=` filter.

Both columns are kept by ORM events, so every write path (operations, imports, restores,
undo, the demo data, factories) keeps them current.
"""

import re
import unicodedata
from contextlib import contextmanager
from typing import ClassVar

from sqlalchemy import ColumnElement, String, Text, event, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from tracker.core.errors import DomainError
from tracker.extensions import db

# Letters with no decomposition in Unicode: NFKD leaves them whole, so they map by hand.
_UNDECOMPOSED = str.maketrans(
    {
        "ł": "l",
        "ø": "o",
        "đ": "d",
        "ð": "d",
        "ħ": "h",
        "ı": "i",
        "ŧ": "t",
        "ŀ": "l",
        "æ": "ae",
        "œ": "oe",
        "þ": "th",
    }
)
_SPACE = re.compile(r"\s+")
# A key never holds more than this: long enough for any name, short enough for an index.
KEY_LENGTH = 500


def fold(text: str | None) -> str:
    """`text` without case, accents or extra spaces: the key searches and unique names compare.

    Unicode compatibility decomposition with combining marks dropped ("Ústí" → "usti"),
    full case folding ("ß" → "ss"), letters that do not decompose mapped by hand
    ("Ł" → "l", "Ø" → "o", "Đ" → "d") and runs of whitespace made one space.
    """
    if not text:
        return ""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    text = "".join(char for char in text if not unicodedata.combining(char))
    return _SPACE.sub(" ", text.translate(_UNDECOMPOSED)).strip()


def name_key(name: str | None) -> str:
    """The stored unique key of a name."""
    return fold(name)[:KEY_LENGTH]


# --- Unique names ---------------------------------------------------------------------------


class NameKeyed:
    """A model whose `name` is unique in any case and with or without accents.

    The model's table declares the unique constraint on `name_key` (with the columns that
    scope it, e.g. the country), so two saves at the same moment cannot both win.
    """

    name_key: Mapped[str] = mapped_column(String(KEY_LENGTH))


@event.listens_for(NameKeyed, "before_insert", propagate=True)
@event.listens_for(NameKeyed, "before_update", propagate=True)
def _keep_name_key(mapper, connection, record) -> None:
    record.name_key = name_key(record.name)


def name_taken(model: type, name: str, *, exclude_id: int | None = None, **scope) -> bool:
    """Whether another `model` record has `name` (folded) with the same `scope` values."""
    return db.session.scalar(_same_name(model, name, exclude_id, scope)) is not None


def _same_name(model: type, name: str, exclude_id: int | None, scope: dict):
    query = select(model.id).where(
        model.name_key == name_key(name),
        *(getattr(model, column) == value for column, value in scope.items()),
    )
    if exclude_id is not None:
        query = query.where(model.id != exclude_id)
    return query.limit(1)


@contextmanager
def unique_name(record, error: DomainError, *scope: str):
    """Around the flush that saves `record`: when another save of the same name (and the
    same `scope` columns) won a race at the same moment, the unique constraint refuses this
    one and the caller gets `error`, what the check before the save says, not a server
    error; any other integrity error goes on. The caller rolls back, as after any
    DomainError (an import's savepoint, a form's request)."""
    model, name, record_id = type(record), record.name, record.id
    values = {column: getattr(record, column) for column in scope}
    try:
        yield
    except IntegrityError:
        # The session's transaction is broken now: ask on a connection of its own, which
        # sees the save that won (committed before the database refused this one).
        with db.engine.connect() as connection:
            taken = connection.scalar(_same_name(model, name, record_id, values))
        if taken is not None:
            raise error from None
        raise


# --- Search ---------------------------------------------------------------------------------


class Searchable:
    """A model its lists search with `?q=`: `__searched__` names the text columns searched.

    `search_key` holds them folded, one line each, so a query matches within one field.
    """

    __searched__: ClassVar[tuple[str, ...]] = ()

    search_key: Mapped[str] = mapped_column(Text, default="", server_default="")


def search_text(record) -> str:
    """What `record.search_key` holds: each searched field folded, one per line."""
    return "\n".join(
        folded for folded in (fold(getattr(record, f)) for f in record.__searched__) if folded
    )


@event.listens_for(Searchable, "before_insert", propagate=True)
@event.listens_for(Searchable, "before_update", propagate=True)
def _keep_search_key(mapper, connection, record) -> None:
    record.search_key = search_text(record)


def contains(column, query: str | None) -> ColumnElement[bool]:
    """`column` (a folded key) holds `query` folded, `%` and `_` meaning themselves; always
    true when the query folds to nothing."""
    folded = fold(query)
    if not folded:
        return true()
    escaped = folded.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.like(f"%{escaped}%", escape="\\")


def matches(model: type, query: str | None) -> ColumnElement[bool]:
    """The `?q=` filter of a `Searchable` model: one of its searched fields holds `query`
    in any case, with or without accents."""
    return contains(model.search_key, query)
