"""What every operation does with a record: check its version, flush, delete, remember a
create.

Every editable record carries a `version` (SQLAlchemy's `version_id_col`): an edit names
the version it was made on, and one made on an older version is refused before anything
is written. Two saves racing past that check meet at the database, where the UPDATE
carries the version too; the loser's flush fails and is refused the same way.
"""

from collections.abc import Callable

from sqlalchemy.orm.exc import StaleDataError

from tracker.core import audit
from tracker.core.errors import DomainError, StaleRecord
from tracker.core.models import FormSubmission
from tracker.extensions import db


def check_version(record, expected: int | None) -> None:
    """Refuse an edit made on another version than the stored one; None skips the check
    (an import or the command line, which act on what they have just read)."""
    if expected is None or record is None:
        return
    if int(expected) != record.version:
        raise StaleRecord(record)


def flush(record=None) -> None:
    """Flush, turning a lost race on a version into `StaleRecord`."""
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        if record is not None:
            record = db.session.get(type(record), record.id)
        raise StaleRecord(record) from None


def delete_record(
    record,
    summary: str,
    *,
    actor,
    parent=None,
    children: dict | None = None,
    collection: str | None = None,
) -> None:
    """Delete `record`, its "delete" event keeping its state (and its `children`'s) so an
    admin can restore it. A child's event shows on `parent` too; with `collection` (the
    name of the parent's list holding it) it leaves that list at once, so the parent in
    this session no longer counts it."""
    audit.record(
        "delete",
        record,
        summary,
        actor=actor,
        parent=parent,
        state=audit.state_of(record, children=children),
    )
    if collection is not None:
        getattr(parent, collection).remove(record)
    db.session.delete(record)
    flush(record)


def record_create(
    record,
    fields: list[str],
    summary: str,
    *,
    actor,
    parent=None,
    readable: Callable[[dict], dict] | None = None,
) -> None:
    """Add a new `record`, flush it (it gets its id) and record its "create" event with every
    value it was given; a child's event shows on `parent` too; `readable` rewords the
    changes for the history."""
    db.session.add(record)
    flush(record)
    changes = audit.track(record, fields).created()
    if readable is not None:
        changes = readable(changes)
    audit.record("create", record, summary, actor=actor, changes=changes, parent=parent)


def record_update(
    record,
    tracked: audit.Tracker,
    summary: str,
    *,
    actor,
    parent=None,
    readable: Callable[[dict], dict] | None = None,
) -> None:
    """After an edit of `record` is flushed: its "update" event with what `tracked` saw
    change, or nothing when nothing did. A child's event shows on `parent` too; `readable`
    rewords the changes for the history."""
    changes = tracked.changes()
    if changes:
        if readable is not None:
            changes = readable(changes)
        audit.record("update", record, summary, actor=actor, changes=changes, parent=parent)


# --- Create forms posted twice --------------------------------------------------------------


def earlier_submission(token: str | None, model: type):
    """The record a create form with this token already made, or None."""
    if not token:
        return None
    used = db.session.get(FormSubmission, token)
    if used is None or used.entity_type != model.__tablename__:
        return None
    return db.session.get(model, used.entity_id)


def remember_submission(token: str | None, record, user=None) -> None:
    """Mark a create form's token used by `record` (flushed with it). A second request with
    the same token fails on the primary key at commit: see `tracker.core.forms.save_once`."""
    if token:
        db.session.add(
            FormSubmission(
                token=token,
                entity_type=record.__tablename__,
                entity_id=record.id,
                user_id=getattr(user, "id", None),
            )
        )


# --- Restoring what was deleted -------------------------------------------------------------


def deletion_state(event, noun: str) -> dict:
    """The state a "delete" event kept, or DomainError when `event` is no such deletion."""
    if event.action != "delete" or not event.state:
        raise DomainError(f"This event is not the deletion of a {noun}: nothing to restore.")
    return event.state


def numbers_free(records) -> None:
    """A restored record (and its children) takes its old id back, so each must be free."""
    for record in records:
        taken = db.session.get(type(record), record.id)
        if taken is not None:
            noun = type(record).__tablename__.removesuffix("s").replace("_", " ")
            raise DomainError(
                f"The {noun} “{record}” cannot come back under its old number "
                f"{record.id}: {taken} has it now (restored before, or the number was "
                "handed out again)."
            )
