"""Forms for reminder rules, webhook subscriptions and the alerts list's filters."""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    URLField,
)
from wtforms.validators import URL, DataRequired, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from tracker.core.forms import EditForm, fits, form_choices
from tracker.core.values import INVALID_URL
from tracker.monitoring.models import (
    AlertKind,
    ReminderRule,
    WebhookEvent,
    WebhookSubscription,
)

OFFSETS_LENGTH = fits(ReminderRule.days_before)


class ReminderRuleForm(EditForm):
    """One kind's rule; the reminders page shows one per kind, each with its own version."""

    days_before = StringField(
        "Days before", validators=[OFFSETS_LENGTH], description="e.g. 30, 14, 7, 1"
    )
    days_after = StringField(
        "Days after (overdue)", validators=[OFFSETS_LENGTH], description="e.g. 1, 7, 30"
    )
    notify_owner = BooleanField("The item's owner")
    notify_partner_owner = BooleanField("The partner's owner")
    notify_managers = BooleanField("All managers")
    enabled = BooleanField("Watch this kind of item")


class WebhookForm(EditForm):
    """A webhook subscription; its events become the space-separated `events` column."""

    name = StringField(
        "Name",
        validators=[DataRequired(), fits(WebhookSubscription.name)],
        description="e.g. “ERP sync”.",
    )
    url = URLField(
        "URL",
        validators=[DataRequired(), fits(WebhookSubscription.url), URL(message=INVALID_URL)],
        description="Where each event is POSTed as JSON (https:// in production).",
    )
    events = SelectMultipleField(
        "Events",
        choices=[SelectChoice(event.value, event.value) for event in WebhookEvent],
        validators=[Optional()],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        render_kw={"class": "check-list"},
        description="Record changes (as each record's history shows them) and raised alerts.",
    )
    active = BooleanField(
        "Active", default=True, description="Untick to pause: nothing is sent while paused."
    )


SCOPES = [SelectChoice("mine", "Mine"), SelectChoice("everyone", "Everyone's")]
STATES = [
    SelectChoice("open", "Open"),
    SelectChoice("acknowledged", "Acknowledged"),
    SelectChoice("resolved", "Resolved"),
    SelectChoice("all", "All"),
]


class AlertFilterForm(FlaskForm):
    """The /alerts filters, read from the query string; a bad value falls back to its default."""

    class Meta:
        csrf = False  # a GET search form changes nothing

    scope = SelectField("Whose", choices=SCOPES, default="mine")
    state = SelectField("State", choices=STATES, default="open")
    kind = SelectField("Kind of item", choices=form_choices(AlertKind, blank="Any"), default="")

    def value(self, name: str) -> str:
        """The field's value when valid, otherwise its default."""
        field = self[name]
        return field.default if field.errors or field.data is None else field.data
