"""Forms for incentives, their pipeline, obligations, reports, promises, and FX rates.

They check shape only (types, required, lengths, number ranges): every rule lives in
`tracker.incentives.operations`, which the views call.
"""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
    ValidationError,
)

from tracker.core.codes import is_currency
from tracker.core.forms import (
    EditForm,
    ManyOptions,
    NumberField,
    fits,
    form_choices,
    id_choices,
    optional_int,
)
from tracker.incentives.models import (
    AgencyPromise,
    ClawbackInterest,
    ClawbackRule,
    ComplianceReport,
    Disbursement,
    Incentive,
    IncentiveKind,
    IncentiveStatus,
    IncentiveStatusChange,
    InterestRate,
    Obligation,
    ObligationKind,
    PromiseKind,
    PromiseStatus,
)

AMOUNT = [Optional(), NumberRange(min=0, message="Amounts cannot be negative.")]


class NumberRequired:
    """A number must be given (zero counts, unlike `DataRequired`); empty or unreadable input
    gets `message`."""

    field_flags = {"required": True}

    def __init__(self, message: str):
        self.message = message

    def __call__(self, form, field):
        if field.data is None:
            field.errors[:] = []
            raise StopValidation(self.message)


def amount_field(label: str, **kwargs) -> NumberField:
    return NumberField(label, validators=AMOUNT, **kwargs)


class CurrencyField(StringField):
    """An ISO 4217 code, upper-cased; unknown codes are refused."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data:
            self.data = self.data.strip().upper()

    def pre_validate(self, form):
        if self.data and not is_currency(self.data):
            raise ValidationError(f"{self.data} is not an ISO 4217 currency code (e.g. EUR, HUF).")


class IncentiveForm(EditForm):
    title = StringField("Title", validators=[DataRequired(), fits(Incentive.title)])
    kind = SelectField("Kind", choices=form_choices(IncentiveKind), validators=[DataRequired()])
    granting_partner_id = SelectField(
        "Granted by",
        coerce=optional_int,
        validators=[DataRequired(message="Choose the body.")],
        widget=ManyOptions(),
    )
    region_id = SelectField("Region", coerce=optional_int, validators=[Optional()])
    owner_id = SelectField("Owner", coerce=optional_int, validators=[Optional()])
    currency = CurrencyField(
        "Currency", validators=[DataRequired(), Length(min=3, max=3)], default="EUR"
    )
    amount_offered = amount_field("Offered")
    amount_awarded = amount_field("Awarded")
    amount_received = amount_field("Received so far")
    identified_on = DateField(
        "Identified on",
        validators=[Optional()],
        description="When it came up (today when empty); the later steps can be dated back to it.",
    )
    application_deadline = DateField("Application deadline", validators=[Optional()])
    decision_expected_on = DateField("Decision expected", validators=[Optional()])
    term_start_on = DateField("Term starts", validators=[Optional()])
    term_end_on = DateField("Term ends", validators=[Optional()])
    clawback_rule = SelectField(
        "Clawback rule",
        choices=form_choices(ClawbackRule),
        description="Proportional uses each obligation's weight; penalty its sum per unit short.",
    )
    clawback_floor_pct = NumberField(
        "Floor (% of target)",
        validators=[Optional(), NumberRange(min=0, max=100)],
        description="Cliff and schedule: they apply when an obligation ends below this share "
        "of its target (schedule: 100 when empty).",
    )
    clawback_schedule = StringField(
        "Recapture schedule (% by year held)",
        validators=[Optional(), fits(Incentive.clawback_schedule)],
        description="Schedule: e.g. 100, 80, 60, 40, 20 (empty: that one).",
    )
    clawback_cap = amount_field(
        "Penalty cap", description="Penalty: at most this (empty: the amount received)."
    )
    clawback_interest = SelectField(
        "Interest on repayment", choices=form_choices(ClawbackInterest), default="none"
    )
    clawback_interest_pct = NumberField(
        "Fixed rate (% a year)",
        validators=[Optional(), NumberRange(min=0, max=100)],
    )
    clawback_rate_series = SelectField(
        "Or a rate table",
        validators=[Optional()],
        validate_choice=False,  # an unknown table gets the operation's message
        description="Rates by year that admins keep (Admin → Interest rates).",
    )
    clawback_terms = TextAreaField(
        "Clawback terms (as agreed)", validators=[Optional(), fits(Incentive.clawback_terms)]
    )
    is_state_aid = BooleanField("EU state aid")
    aid_scheme_number = StringField(
        "Aid scheme number",
        validators=[Optional(), fits(Incentive.aid_scheme_number)],
        description="e.g. SA.58314",
    )
    aid_type = StringField(
        "Aid instrument",
        validators=[Optional(), fits(Incentive.aid_type)],
        description="e.g. direct grant, interest subsidy, tax advantage",
    )
    aid_objective = StringField(
        "Objective",
        validators=[Optional(), fits(Incentive.aid_objective)],
        description="e.g. regional development, R&D&I, training",
    )
    beneficiary = StringField(
        "Beneficiary",
        validators=[Optional(), fits(Incentive.beneficiary)],
        description="The group entity that receives the aid",
    )
    beneficiary_national_id = StringField(
        "Beneficiary's national ID",
        validators=[Optional(), fits(Incentive.beneficiary_national_id)],
    )
    project_number = StringField(
        "Project or contract number", validators=[Optional(), fits(Incentive.project_number)]
    )
    eligible_cost = amount_field("Total eligible cost")
    aid_intensity_pct = NumberField(
        "Aid intensity (%)", validators=[Optional(), NumberRange(min=0, max=100)]
    )
    nace_code = StringField(
        "NACE sector code",
        validators=[Optional(), fits(Incentive.nace_code)],
        description="e.g. 27.20",
    )
    aid_granted_on = DateField("Aid granted on", validators=[Optional()])
    is_de_minimis = BooleanField("De minimis aid")
    gross_grant_equivalent = amount_field(
        "Gross grant equivalent",
        description="For a loan or guarantee: the aid it holds, which de minimis counts.",
    )
    description = TextAreaField("Notes", validators=[Optional(), fits(Incentive.description)])

    def __init__(self, *args, partners=(), regions=(), users=(), rate_tables=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.clawback_rate_series.choices = [
            SelectChoice("", "None"),
            *(SelectChoice(name) for name in rate_tables),
        ]
        self.granting_partner_id.choices = id_choices(partners, blank="Choose the granting body")
        self.region_id.choices = id_choices(regions, blank="No region")
        self.owner_id.choices = id_choices(users, blank="Nobody yet", label=lambda u: u.name)


class TransitionForm(FlaskForm):
    to_status = SelectField("Move to", validators=[DataRequired()])
    changed_on = DateField("On", validators=[DataRequired(message="Enter the date (YYYY-MM-DD).")])
    note = TextAreaField("Note", validators=[Optional(), fits(IncentiveStatusChange.note)])
    confirm_over_ceiling = BooleanField("I know this passes the de minimis ceiling")

    def __init__(self, *args, allowed=(), **kwargs):
        super().__init__(*args, **kwargs)
        # Every status is a valid choice for the form, so a crafted POST reaches the
        # pipeline rule and gets its message; the page offers only the allowed ones.
        self.to_status.choices = form_choices(IncentiveStatus)
        self.allowed = allowed


class ObligationForm(EditForm):
    kind = SelectField("Kind", choices=form_choices(ObligationKind), validators=[DataRequired()])
    description = StringField("Description", validators=[Optional(), fits(Obligation.description)])
    target_value = NumberField(
        "Target",
        validators=[
            NumberRequired("Enter the target as a number."),
            NumberRange(min=0, message="The target cannot be negative."),
        ],
    )
    unit = StringField(
        "Unit",
        validators=[DataRequired(), fits(Obligation.unit)],
        description="jobs, EUR, hours, %…",
    )
    actual_value = NumberField(
        "Actual so far",
        validators=[Optional(), NumberRange(min=0, message="The actual cannot be negative.")],
    )
    actual_as_of = DateField("Actual as of", validators=[Optional()])
    due_on = DateField("Due", validators=[DataRequired(message="Enter the due date (YYYY-MM-DD).")])
    clawback_weight = NumberField(
        "Weight in the clawback",
        validators=[Optional(), NumberRange(min=0, message="A weight cannot be negative.")],
        description="Proportional clawback: its share of the whole (empty on all: equal).",
    )
    penalty_per_unit = amount_field(
        "Penalty per unit short", description="Penalty clawback, in the incentive's currency."
    )


class ActualForm(EditForm):
    actual_value = NumberField(
        "Actual",
        validators=[
            NumberRequired("Enter the actual as a number."),
            NumberRange(min=0, message="The actual cannot be negative."),
        ],
    )
    actual_as_of = DateField("As of", validators=[Optional()])


FREQUENCIES = [
    SelectChoice("once", "Once"),
    SelectChoice("quarterly", "Quarterly"),
    SelectChoice("half_yearly", "Every six months"),
    SelectChoice("yearly", "Yearly"),
]


class ReportScheduleForm(EditForm):
    title = StringField(
        "Report",
        validators=[DataRequired(), fits(ComplianceReport.title)],
        default="Annual compliance report",
    )
    first_due_on = DateField("First due", validators=[DataRequired(message="Enter the date.")])
    frequency = SelectField("Repeats", choices=FREQUENCIES, default="yearly")
    until = DateField(
        "Until", validators=[Optional()], description="Empty: the end of the incentive's term."
    )


class ReportSubmittedForm(EditForm):
    submitted_on = DateField("Submitted on", validators=[DataRequired(message="Enter the date.")])
    note = TextAreaField("Note", validators=[Optional(), fits(ComplianceReport.note)])


class PromiseForm(EditForm):
    kind = SelectField("Kind", choices=form_choices(PromiseKind), validators=[DataRequired()])
    description = StringField(
        "What was promised", validators=[DataRequired(), fits(AgencyPromise.description)]
    )
    due_on = DateField("By", validators=[DataRequired(message="Enter the date.")])
    amount = amount_field("Amount (in the incentive's currency)")
    status = SelectField("Status", choices=form_choices(PromiseStatus))
    delivered_on = DateField("Delivered on", validators=[Optional()])
    note = TextAreaField("Note", validators=[Optional(), fits(AgencyPromise.note)])


class IncentiveFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField("Search", validators=[Optional(), Length(max=200)])
    kind = SelectField("Kind", choices=form_choices(IncentiveKind, blank="Any kind"), default="")
    status = SelectField(
        "Status", choices=form_choices(IncentiveStatus, blank="Any status"), default=""
    )
    partner_id = SelectField("Granted by", coerce=optional_int, widget=ManyOptions())
    region_id = SelectField("Region", coerce=optional_int)
    currency = SelectField("Currency", default="")
    deadline_from = DateField("Deadline from", validators=[Optional()])
    deadline_to = DateField("Deadline to", validators=[Optional()])

    def __init__(self, *args, partners=(), regions=(), currencies=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.partner_id.choices = id_choices(partners, blank="Anyone", label=lambda p: p.name)
        self.region_id.choices = id_choices(regions, blank="Any region")
        self.currency.choices = [SelectChoice("", "Any"), *(SelectChoice(c) for c in currencies)]

    def validate_deadline_to(self, field):
        if field.data and self.deadline_from.data and field.data < self.deadline_from.data:
            raise ValidationError("The end date is before the start date.")


class FxRateForm(EditForm):
    currency = CurrencyField("Currency", validators=[DataRequired(), Length(min=3, max=3)])
    rate = NumberField(
        "Rate",
        validators=[
            NumberRequired("Enter the rate as a number."),
            NumberRange(min=0.0000000001, message="A rate must be above zero."),
        ],
    )
    effective_on = DateField("Effective from", validators=[DataRequired(message="Enter the date.")])
    confirm_rate_jump = BooleanField("The rate is right, though far from the nearest one")


class DisbursementForm(EditForm):
    paid_on = DateField("Received on", validators=[DataRequired(message="Enter the date.")])
    amount = NumberField(
        "Amount (in the incentive's currency)",
        validators=[
            NumberRequired("Enter the amount."),
            NumberRange(min=0, message="Amounts cannot be negative."),
        ],
    )
    promise_id = SelectField(
        "Delivers the promised tranche", coerce=optional_int, validators=[Optional()]
    )
    note = StringField("Note", validators=[Optional(), fits(Disbursement.note)])

    def __init__(self, *args, promises=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.promise_id.choices = id_choices(
            promises,
            blank="None",
            label=lambda p: f"{p.description} (due {p.due_on.isoformat()})",
        )


class InterestRateForm(EditForm):
    series = StringField(
        "Rate table",
        validators=[DataRequired(message="Name the table."), fits(InterestRate.series)],
        description="e.g. EU recovery rate HU",
    )
    effective_on = DateField("In force from", validators=[DataRequired(message="Enter the date.")])
    rate_pct = NumberField(
        "Rate (% a year)", validators=[NumberRequired("Enter the rate as a number.")]
    )
