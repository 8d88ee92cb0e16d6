"""The filter forms of the pages that look across domains."""

from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField

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
