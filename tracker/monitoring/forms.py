"""Forms for reminder rules and alert filters."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import Length


class ReminderRuleForm(FlaskForm):
    days_before = StringField(
        "Days before", validators=[Length(max=100)], description="e.g. 30, 14, 7, 1"
    )
    days_after = StringField(
        "Days after (overdue)", validators=[Length(max=100)], description="e.g. 1, 7, 30"
    )
    notify_owner = BooleanField("The item's owner")
    notify_partner_owner = BooleanField("The partner's owner")
    notify_managers = BooleanField("All managers")
    enabled = BooleanField("Watch this kind of item")
