"""Forms shared by every area, and the steps every form view takes."""

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import flash, redirect, render_template
from flask_wtf import FlaskForm
from markupsafe import escape
from sqlalchemy.exc import IntegrityError
from wtforms import DecimalField, HiddenField, SelectChoice, SelectField
from wtforms.validators import Length
from wtforms.widgets import Select

from tracker.core.audit import field_label, value_text
from tracker.core.errors import DomainError, StaleRecord
from tracker.core.records import earlier_submission, remember_submission
from tracker.core.types import Choice
from tracker.core.values import longest
from tracker.extensions import db


def fits(column) -> Length:
    """The form's length check for a field that fills `column`: the column's own limit
    (`values.longest`), so the form, the operation, an import and the API agree."""
    return Length(max=longest(column))


class ConfirmForm(FlaskForm):
    """An empty form: a POST that carries only the CSRF token (logout, deletions)."""


class NumberField(DecimalField):
    """A decimal as people type it: spaces between thousands are fine; commas, NaN and
    infinity are refused with `message` rather than misread. How many decimals and how
    large a number its column holds is the operation's rule (`core.values.plain`)."""

    def __init__(self, *args, message: str = "Enter a number, e.g. 1250000.50.", **kwargs):
        kwargs.setdefault("places", None)
        super().__init__(*args, **kwargs)
        self.message = message

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        raw = (valuelist[0] or "").replace(" ", "").replace("\u00a0", "")
        self.data = None
        if not raw:
            raise ValueError("Enter a number.")
        if "," in raw:
            raise ValueError("Write the number without commas, e.g. 1250000.50.")
        try:
            value = Decimal(raw)
        except (InvalidOperation, ValueError) as exc:
            raise ValueError(self.message) from exc
        if not value.is_finite():
            raise ValueError(self.message)
        self.data = value

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        text = format(self.data, "f")
        return text.rstrip("0").rstrip(".") if "." in text else text


class VersionField(HiddenField):
    """The version of the record an edit form was loaded with (0 on a create form)."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        try:
            self.data = int(self.data) if self.data not in (None, "") else None
        except ValueError:
            self.data = -1  # tampered with: refused as stale

    def _value(self):
        return "" if self.data is None else str(self.data)


class FormTokenField(HiddenField):
    """A create form's one-time token: the same form posted twice creates one record."""


class EditForm(FlaskForm):
    """Base of every form that creates or edits a record: it carries the record's version
    (stale saves are refused) and, on a create form, a one-time token."""

    version = VersionField()
    form_token = FormTokenField()

    def __init__(self, *args, obj=None, **kwargs):
        super().__init__(*args, obj=obj, **kwargs)
        if not self.is_submitted():
            self.version.data = getattr(obj, "version", None)
            if obj is None:
                self.form_token.data = secrets.token_urlsafe(24)

    @property
    def expected_version(self) -> int | None:
        return self.version.data


def apply_domain_error(form: FlaskForm, error) -> None:
    """Show an operation's `DomainError` on its field, or on the form as a whole."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


def show_conflict(form: EditForm, error: StaleRecord, fields: list[str] | None = None) -> list:
    """After a stale save: put the error on the form, move its version to the stored one
    (saving again applies what the user typed, knowingly) and return, field by field, the
    stored value beside the typed one where they differ."""
    db.session.rollback()
    record = error.record
    form.form_errors.append(error.message)
    if record is None:
        return []
    db.session.refresh(record)
    form.version.data = record.version
    rows = []
    for field in form:
        name = field.short_name
        if fields is not None and name not in fields:
            continue
        if name in ("version", "form_token", "csrf_token"):
            continue
        attribute = name
        if not hasattr(record, attribute) and hasattr(record, name.removesuffix("_ids") + "s"):
            attribute = name.removesuffix("_ids") + "s"
        if not hasattr(record, attribute):
            continue
        stored_value = getattr(record, attribute)
        typed_value = field.data
        if attribute != name:  # a many-to-many chosen by ids
            typed_value = _by_ids(type(record), attribute, typed_value)
        if isinstance(typed_value, str):
            typed_value = typed_value.strip() or None
        stored_text = value_text(record, attribute, stored_value)
        typed_text = value_text(record, attribute, typed_value)
        if stored_text != typed_text:
            rows.append((field_label(type(record), attribute), stored_text, typed_text))
    return rows


def _by_ids(model, attribute, ids):
    from sqlalchemy import inspect, select

    target = inspect(model).relationships[attribute].mapper.class_
    return list(db.session.scalars(select(target).where(target.id.in_(ids or []))))


def save_once(token: str | None, model: type, create: Callable[[], object], user=None):
    """Run a create operation and commit, once per form token.

    Returns `(record, True)` for a new record, or `(earlier, False)` when this form was
    already posted (a double click, the back button): nothing new is created.
    """
    earlier = earlier_submission(token, model)
    if earlier is not None:
        return earlier, False
    record = create()
    remember_submission(token, record, user)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        earlier = earlier_submission(token, model)
        if earlier is None:
            raise
        return earlier, False
    return record, True


def form_choices(choice_class: type[Choice], *, blank: str | None = None) -> list[SelectChoice]:
    """Options for a `SelectField` from a `Choice` enum, optionally led by a blank option."""
    options = [SelectChoice(value, label) for value, label in choice_class.choices()]
    return [SelectChoice("", blank), *options] if blank is not None else options


class ManyOptions(Select):
    """The select for a choice among records that run to thousands (every partner): a plain
    option, the usual case, is written as one string, five times faster than WTForms's own
    attribute handling, to the same markup."""

    @classmethod
    def render_option(cls, choice: SelectChoice, **kwargs) -> str:
        if choice.render_kw or kwargs or isinstance(choice.value, bool):
            return super().render_option(choice, **kwargs)
        selected = "selected " if choice.selected else ""
        label = escape(choice.label or choice.value)
        return f'<option {selected}value="{escape(choice.value)}">{label}</option>'


def optional_int(value) -> int | None:
    """Coerce a select's value to an id; the blank option becomes None."""
    if value in (None, "", "None"):
        return None
    return int(value)


class OptionalChoiceField(SelectField):
    """A select of an optional choice led by its blank option: nothing stored, or the field
    left out of a post, is the blank option (WTForms would refuse None as no choice)."""

    def process_data(self, value):
        super().process_data("" if value is None else value)

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is None:
            self.data = ""


def id_choices(records, *, blank: str | None = None, label=str) -> list[SelectChoice]:
    """Options for choosing one of `records` by id."""
    options = [SelectChoice(record.id, label(record)) for record in records]
    return [SelectChoice("", blank), *options] if blank is not None else options


def form_values(form: FlaskForm, fields: list[str]) -> dict:
    """The plain values of the form's `fields` for an operation: text stripped, blank None."""
    values = {}
    for name in fields:
        if name not in form:
            continue
        value = form[name].data
        if isinstance(value, str):
            value = value.strip() or None
        values[name] = value
    return values


SENT_BEFORE = "This form was already sent; here is what it saved."


@dataclass
class FormSave:
    """What became of an edit form's post: `saved` (committed), or not, with the form
    carrying the errors and `conflict` the stored-beside-typed rows of a stale save."""

    record: Any = None
    saved: bool = False
    repeated: bool = False  # a create form posted again: `record` is the first post's
    conflict: list | None = None
    status: int = 200

    def answer(self, message, then, template: str, **context):
        """The view's answer to the post. Saved: `message` flashed (a text, or made from the
        record; not again for a repeated post) and a redirect to `then(record)` (a URL, or a
        response). Not saved: `template` again with the form's errors, the conflict rows
        and the status (409 for a stale save)."""
        if self.saved:
            if not self.repeated:
                flash(message(self.record) if callable(message) else message, "success")
            target = then(self.record)
            return redirect(target) if isinstance(target, str) else target
        return render_template(template, conflict=self.conflict, **context), self.status


def save_edit(
    form: EditForm,
    record,
    model: type,
    fields: list[str],
    *,
    create: Callable[[dict], Any] | None,
    update: Callable[..., Any] | None,
    user=None,
) -> FormSave:
    """The steps of every create-or-edit view, in one place.

    On a valid post: `create(values)` for a new record (once per form token: a repeated
    post shows what the first one made) or, for an existing one, the update operation
    itself, called as every domain's update is (`update(record, values, actor=user,
    expected_version=…)`, the contract of the operations' `UPDATERS`), then commit. A
    stale edit comes back with status 409 and the conflict rows; a rule's `DomainError` is
    put on its field. Nothing is written unless everything holds.
    """
    result = FormSave(record=record)
    if not form.validate_on_submit():
        return result
    values = form_values(form, fields)
    try:
        if record is None:
            result.record, fresh = save_once(
                form.form_token.data, model, lambda: create(values), user
            )
            result.repeated = not fresh
            if result.repeated:
                flash(SENT_BEFORE, "info")
        else:
            update(record, values, actor=user, expected_version=form.expected_version)
            db.session.commit()
    except StaleRecord as error:
        result.conflict, result.status = show_conflict(form, error), 409
    except DomainError as error:
        db.session.rollback()
        apply_domain_error(form, error)
    else:
        result.saved = True
    return result


def confirm_then(
    write: Callable[[], Any], *, done: str, cancel_url: str, then: str | None = None, **page
):
    """The steps of every view that asks before it acts (revoke, delete, close a month).

    Shows `confirm.html` with `page` (its title, consequences, submit label) and a Cancel
    back to `cancel_url`; once confirmed, `write()`, commit, flash `done` and go to `then`
    (by default `cancel_url`). A rule's `DomainError` is flashed instead and nothing is
    written."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        return render_template("confirm.html", form=form, cancel_url=cancel_url, **page)
    try:
        write()
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(cancel_url)
    db.session.commit()
    flash(done, "success")
    return redirect(then or cancel_url)
