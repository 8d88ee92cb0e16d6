"""The errors operations raise when input breaks a business rule."""


class DomainError(ValueError):
    """A rule was broken; `field` names the form field the message belongs to, if any."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def record_noun(record) -> str:
    """What a record is called in a message: its table's name in words, singular."""
    return getattr(record, "__tablename__", "records").replace("_", " ").removesuffix("s")


class StaleRecord(DomainError):
    """The record changed since the editor loaded it: nothing was written.

    `record` is the record as stored now (reloaded), for showing the stored values
    beside what the user typed.
    """

    def __init__(self, record, message: str | None = None):
        super().__init__(
            message
            or f"Someone else changed this {record_noun(record)} after you opened it, so "
            "nothing was saved. The values stored now are shown beside yours: check them, "
            "then save again to apply yours."
        )
        self.record = record


class NotFound(DomainError):
    """A record an operation was asked to act on does not exist (any more)."""


class NotPermitted(DomainError):
    """The actor's role allows the kind of change, but not on this record (a programme
    owner editing another's commitment): a form shows the message, the API answers 403."""
