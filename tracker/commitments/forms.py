"""Forms for commitments (fields follow the kind), milestones, contributions and list filters."""

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from tracker.commitments.models import (
    MEASURES,
    OUR_COMPANY,
    QUANTITY,
    AnchorVolumeCommitment,
    CapacityExpansionCommitment,
    CoLocationCommitment,
    Commitment,
    CommitmentKind,
    CommitmentStatus,
    Milestone,
    MilestoneStatus,
    VolumePeriod,
    fields_for,
)
from tracker.core.forms import (
    EditForm,
    ManyOptions,
    NumberField,
    OptionalChoiceField,
    fits,
    form_choices,
    id_choices,
    optional_int,
)
from tracker.core.types import TransportMode
from tracker.partners.forms import country_choices

COUNTERPARTY_LABELS = {
    CommitmentKind.ANCHOR_VOLUME: "Tier-1 supplier",
    CommitmentKind.TRAINING_PROGRAMME: "Education partner",
    CommitmentKind.CO_INVESTMENT: "Lead partner",
}
KIND_DESCRIPTIONS = {
    CommitmentKind.ANCHOR_VOLUME: "Volume promised to a Tier-1 supplier per period, and what "
    "has been taken so far.",
    CommitmentKind.CAPACITY_EXPANSION: "Support for a supplier adding capacity in a priority "
    "region.",
    CommitmentKind.CO_LOCATION: "Suppliers settling next to us, or next to each other, on one "
    "site.",
    CommitmentKind.CO_INVESTMENT: "A shared cost — joint facility, development or innovation "
    "programme — with each party's contribution.",
    CommitmentKind.TRAINING_PROGRAMME: "Cohorts trained with an education partner, counted "
    "towards a training incentive where there is one.",
}

MAX_QUANTITY = QUANTITY["max"]  # below Numeric(18, 4)'s limit
MAX_PEOPLE = 1_000_000


def _money(label: str, *, required: bool = False, description: str | None = None):
    first = InputRequired(message="Enter an amount.") if required else Optional()
    return NumberField(
        label,
        validators=[
            first,
            NumberRange(min=0, message="Enter zero or more (no negative amounts)."),
        ],
        description=description,
    )


def _quantity(label: str, *, required: bool = False, description: str | None = None):
    first = InputRequired(message="Enter a number.") if required else Optional()
    return NumberField(
        label,
        validators=[
            first,
            NumberRange(
                min=0, max=MAX_QUANTITY, message="Enter zero or more; it cannot be negative."
            ),
        ],
        description=description,
    )


def _people(label: str, *, required: bool = False):
    first = InputRequired(message="Enter a number.") if required else Optional()
    return IntegerField(
        label,
        validators=[
            first,
            NumberRange(min=0, max=MAX_PEOPLE, message="Enter a whole number, zero or more."),
        ],
    )


def _clean_code(value):
    return value.strip().upper() if isinstance(value, str) else value


class CommitmentForm(EditForm):
    """Every kind's fields; `keep_fields(kind)` removes those the kind does not have.

    Shape only: the rules (the counterparty's kind, the period, participants, budget
    against contributions, who may own it) are `tracker.commitments.operations`'."""

    kind = HiddenField("Kind")
    title = StringField("Title", validators=[DataRequired(), fits(Commitment.title)])
    status = SelectField(
        "Status", choices=form_choices(CommitmentStatus), default=CommitmentStatus.PLANNED.value
    )
    counterparty_id = SelectField(
        "Counterparty",
        coerce=optional_int,
        validators=[DataRequired(message="Choose the counterparty.")],
        widget=ManyOptions(),
    )
    region_id = SelectField("Region", coerce=optional_int, validators=[Optional()])
    owner_id = SelectField(
        "Programme owner",
        coerce=optional_int,
        validators=[DataRequired(message="Choose who owns the commitment.")],
    )
    start_on = DateField(
        "Start", validators=[DataRequired(message="Enter the start date (YYYY-MM-DD).")]
    )
    end_on = DateField("End", validators=[DataRequired(message="Enter the end date (YYYY-MM-DD).")])
    currency = StringField(
        "Currency",
        filters=[_clean_code],
        validators=[DataRequired(message="Enter a currency code."), Length(min=3, max=3)],
        description="ISO 4217 code, e.g. EUR, USD, HUF, CZK, PLN, MXN.",
    )
    value = _money("Value", description="What the commitment is worth over its term.")

    committed_volume = _quantity("Committed volume", required=True, description="Per period.")
    volume_unit = StringField(
        "Unit",
        validators=[
            DataRequired(message="Enter the unit."),
            fits(AnchorVolumeCommitment.volume_unit),
        ],
    )
    volume_period = SelectField(
        "Per", choices=form_choices(VolumePeriod), default=VolumePeriod.YEAR.value
    )
    volume_taken = _quantity("Volume taken so far", description="Since the start, in the unit.")
    annual_tonnage = _quantity(
        "Tonnes a year",
        description="What the volume weighs a year, for the logistics emission estimate.",
    )
    transport_mode = OptionalChoiceField(
        "Transport mode", choices=form_choices(TransportMode, blank="Not known")
    )
    replaced_country = OptionalChoiceField(
        "Replaced supply from",
        choices=country_choices(blank="Nothing replaced"),
        description="Where this supply came from before it was nearshored.",
    )
    replaced_mode = OptionalChoiceField(
        "Replaced route's mode", choices=form_choices(TransportMode, blank="Sea (the default)")
    )

    target_capacity = _quantity("Target capacity")
    capacity_unit = StringField(
        "Capacity unit", validators=[Optional(), fits(CapacityExpansionCommitment.capacity_unit)]
    )

    site_name = StringField("Site", validators=[Optional(), fits(CoLocationCommitment.site_name)])

    budget = _money("Total budget", required=True, description="In the currency above.")
    spend_to_date = _money("Spend to date", description="In the currency above.")

    cohorts = _people("Cohorts")
    target_participants = _people("Target participants", required=True)
    enrolled_participants = _people("Enrolled participants")
    completed_participants = _people("Completed participants")
    obligation_id = SelectField(
        "Counts towards incentive obligation",
        coerce=optional_int,
        validators=[Optional()],
        description="The training obligation of an incentive this programme helps meet.",
    )

    measured_on = DateField(
        "Figures as of",
        validators=[Optional()],
        description="The day the figures above were true on (today when empty): a report "
        "of a past day reads the figures of that day.",
    )

    description = TextAreaField("Notes", validators=[Optional(), fits(Commitment.description)])

    def __init__(
        self,
        *args,
        kind: str = "",
        partners=(),
        regions=(),
        users=(),
        obligations=(),
        obligation_label=str,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.counterparty_id.choices = id_choices(partners, blank="Choose a partner")
        self.region_id.choices = id_choices(regions, blank="No region")
        self.owner_id.choices = id_choices(users, blank="Choose an owner", label=lambda u: u.name)
        self.obligation_id.choices = [
            SelectChoice("", "None"),
            *(
                SelectChoice(obligation.id, obligation_label(obligation, incentive))
                for obligation, incentive in obligations
            ),
        ]
        if kind in COUNTERPARTY_LABELS:
            self.counterparty_id.label.text = COUNTERPARTY_LABELS[kind]
        if kind == CommitmentKind.CO_INVESTMENT:
            self.currency.label.text = "Budget currency"

    def keep_fields(self, kind: str, *, with_kind: bool = True) -> None:
        """Drop every commitment field `kind` does not have (and `kind` itself on edits)."""
        keep = set(fields_for(kind)) | {"csrf_token", "version", "form_token"}
        if keep & set(MEASURES):
            keep.add("measured_on")
        if with_kind:
            keep.add("kind")
        for name in list(self._fields):
            if name not in keep:
                del self[name]


class MilestoneForm(EditForm):
    title = StringField("Milestone", validators=[DataRequired(), fits(Milestone.title)])
    due_on = DateField("Due", validators=[DataRequired(message="Enter the due date (YYYY-MM-DD).")])
    status = SelectField(
        "Status", choices=form_choices(MilestoneStatus), default=MilestoneStatus.PLANNED.value
    )
    completed_on = DateField(
        "Completed on",
        validators=[Optional()],
        description="For a done milestone; empty means today.",
    )
    evidence_note = TextAreaField(
        "Evidence",
        validators=[Optional(), fits(Milestone.evidence_note)],
        description="What shows it happened: a signed document, a report, an approval.",
    )


class ContributionForm(EditForm):
    partner_id = SelectField(
        "Party", coerce=optional_int, validators=[Optional()], widget=ManyOptions()
    )
    amount = _money("Amount", required=True)
    currency = StringField(
        "Currency",
        filters=[_clean_code],
        validators=[DataRequired(message="Enter a currency code."), Length(min=3, max=3)],
        description="Converted into the budget's currency to check it against the budget.",
    )
    paid_to_date = _money("Paid so far")

    def __init__(self, *args, partners=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.partner_id.choices = id_choices(partners, blank=OUR_COMPANY)


class CommitmentFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form changes nothing

    q = StringField("Search", validators=[Optional(), Length(max=200)])
    kind = SelectField("Kind", choices=form_choices(CommitmentKind, blank="Any kind"), default="")
    status = SelectField(
        "Status", choices=form_choices(CommitmentStatus, blank="Any status"), default=""
    )
    owner_id = SelectField("Owner", coerce=optional_int)
    counterparty_id = SelectField("Counterparty", coerce=optional_int, widget=ManyOptions())
    region_id = SelectField("Region", coerce=optional_int)

    def __init__(self, *args, partners=(), regions=(), users=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.owner_id.choices = id_choices(users, blank="Anyone", label=lambda u: u.name)
        self.counterparty_id.choices = id_choices(
            partners, blank="Any partner", label=lambda p: p.name
        )
        self.region_id.choices = id_choices(regions, blank="Any region")


MILESTONE_SHOW_CHOICES = [
    SelectChoice("open", "Not done"),
    *(SelectChoice(value, label) for value, label in MilestoneStatus.choices()),
    SelectChoice("all", "All"),
]


class MilestoneFilterForm(FlaskForm):
    class Meta:
        csrf = False

    scope = SelectField(
        "Whose",
        choices=[SelectChoice("mine", "Mine"), SelectChoice("everyone", "Everyone's")],
        default="mine",
    )
    status = SelectField("Status", choices=MILESTONE_SHOW_CHOICES, default="open")
    kind = SelectField("Kind", choices=form_choices(CommitmentKind, blank="Any kind"), default="")
    due_from = DateField("Due from", validators=[Optional()])
    due_to = DateField("Due to", validators=[Optional()])

    def validate_due_to(self, field):
        if field.data and self.due_from.data and field.data < self.due_from.data:
            raise ValidationError("The end date is before the start date.")
