"""Forms shared by every area."""

from flask_wtf import FlaskForm
from wtforms import SelectChoice

from tracker.core.types import Choice


class ConfirmForm(FlaskForm):
    """An empty form: a POST that carries only the CSRF token (logout, deletions)."""


def apply_domain_error(form: FlaskForm, error) -> None:
    """Show a service's `DomainError` on its field, or on the form as a whole."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


def form_choices(choice_class: type[Choice], *, blank: str | None = None) -> list[SelectChoice]:
    """Options for a `SelectField` from a `Choice` enum, optionally led by a blank option."""
    options = [SelectChoice(value, label) for value, label in choice_class.choices()]
    return [SelectChoice("", blank), *options] if blank is not None else options


def optional_int(value) -> int | None:
    """Coerce a select's value to an id; the blank option becomes None."""
    if value in (None, "", "None"):
        return None
    return int(value)


def id_choices(records, *, blank: str | None = None, label=str) -> list[SelectChoice]:
    """Options for choosing one of `records` by id."""
    options = [SelectChoice(record.id, label(record)) for record in records]
    return [SelectChoice("", blank), *options] if blank is not None else options


def copy_fields(obj, form: FlaskForm, fields: list[str]) -> None:
    """Set `obj.<field>` from the form for each of `fields`; text is stripped, blank is None."""
    for name in fields:
        value = getattr(form, name).data
        if isinstance(value, str):
            value = value.strip() or None
        setattr(obj, name, value)
