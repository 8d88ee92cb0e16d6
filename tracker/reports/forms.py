"""The filter forms of the pages that look across domains."""

from flask_wtf import FlaskForm
from wtforms import DateField, SelectChoice, SelectField
from wtforms.validators import Optional, ValidationError

from tracker.core.forms import form_choices, id_choices, optional_int
from tracker.monitoring.models import ItemKind

DUE_WINDOWS = [
    SelectChoice("all", "Overdue and upcoming"),
    SelectChoice("overdue", "Overdue only"),
    SelectChoice("next30", "Due in the next 30 days"),
]
DUE_SCOPES = [SelectChoice("", "Everyone's"), SelectChoice("1", "Mine and my partners'")]


class DueFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form changes nothing

    window = SelectField("Show", choices=DUE_WINDOWS, default="all")
    kind = SelectField("Kind", choices=form_choices(ItemKind, blank="Any kind"), default="")
    owner_id = SelectField("Owner", coerce=optional_int)
    mine = SelectField("Scope", choices=DUE_SCOPES, default="")

    def __init__(self, *args, users=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.owner_id.choices = id_choices(users, blank="Anyone", label=lambda u: u.name)


AUDIT_ACTIONS = [
    SelectChoice("", "Any action"),
    *(
        SelectChoice(action, action.capitalize())
        for action in ("create", "update", "transition", "archive", "delete", "undo", "restore")
    ),
]


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    entity_type = SelectField("Record", default="")
    user_id = SelectField("By", coerce=optional_int)
    action = SelectField("Action", choices=AUDIT_ACTIONS, default="")
    date_from = DateField("From", validators=[Optional()])
    date_to = DateField("To", validators=[Optional()])

    def __init__(self, *args, entity_types=(), users=(), label=str, **kwargs):
        super().__init__(*args, **kwargs)
        self.entity_type.choices = [SelectChoice("", "Any record")] + [
            SelectChoice(name, label(name)) for name in entity_types
        ]
        self.user_id.choices = id_choices(users, blank="Anyone", label=lambda u: u.name)

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError("The end date is before the start date.")
