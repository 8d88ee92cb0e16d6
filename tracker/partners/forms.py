"""Forms for regions, partners, contacts, engagements, follow-ups and the list filters.

They check shape only (types, required, lengths from the models' columns, number
ranges); every rule lives in `tracker.partners.operations`.
"""

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    EmailField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import (
    URL,
    DataRequired,
    Email,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from tracker.core.codes import country_names
from tracker.core.forms import (
    EditForm,
    ManyOptions,
    NumberField,
    fits,
    form_choices,
    id_choices,
    optional_int,
)
from tracker.core.values import INVALID_EMAIL, INVALID_URL
from tracker.partners.models import (
    Contact,
    Engagement,
    EngagementKind,
    FollowUp,
    Partner,
    PartnerKind,
    PartnerStatus,
    Region,
)
from tracker.partners.operations import AT_LEAST_ONE_PARTNER, CHOOSE_AN_OWNER


def country_choices(blank: str | None = None):
    options = [SelectChoice(code, f"{name} ({code})") for code, name in country_names().items()]
    return [SelectChoice("", blank), *options] if blank is not None else options


def coordinate(label: str, limit: int, example: str):
    return NumberField(
        label,
        validators=[Optional(), NumberRange(min=-limit, max=limit)],
        description=f"Decimal degrees, e.g. {example}. Empty: not placed.",
    )


class RegionForm(EditForm):
    name = StringField("Name", validators=[DataRequired(), fits(Region.name)])
    country_code = SelectField(
        "Country", choices=country_choices(blank="Choose a country"), validators=[DataRequired()]
    )
    sector_focus = StringField(
        "Sector focus",
        validators=[Optional(), fits(Region.sector_focus)],
        description="e.g. EV batteries and e-drive; automotive electronics",
    )
    sector_id = SelectField(
        "Sector",
        coerce=optional_int,
        validators=[Optional()],
        description="The sector the cluster scorecard measures this region against.",
    )
    latitude = coordinate("Latitude", 90, "47.68 (the cluster's centre)")
    longitude = coordinate("Longitude", 180, "17.63")

    def __init__(self, *args, sectors=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.sector_id.choices = id_choices(sectors, blank="No sector")


class PartnerForm(EditForm):
    name = StringField("Name", validators=[DataRequired(), fits(Partner.name)])
    kind = SelectField("Kind", choices=form_choices(PartnerKind), validators=[DataRequired()])
    status = SelectField(
        "Status", choices=form_choices(PartnerStatus), default=PartnerStatus.ACTIVE.value
    )
    country_code = SelectField(
        "Country", choices=country_choices(blank="Choose a country"), validators=[DataRequired()]
    )
    region_id = SelectField("Region", coerce=optional_int, validators=[Optional()])
    owner_id = SelectField("Relationship owner", coerce=optional_int, validators=[Optional()])
    website = URLField(
        "Website",
        validators=[
            Optional(),
            URL(message=INVALID_URL),
            fits(Partner.website),
        ],
    )
    cadence_days = IntegerField(
        "Engagement cadence (days)",
        validators=[Optional(), NumberRange(min=1, max=730)],
        description="Target days between engagements. Empty: the default for the kind.",
    )
    next_engagement_on = DateField("Next planned engagement", validators=[Optional()])
    latitude = coordinate("Latitude", 90, "47.72 (its site; empty: its region's centre)")
    longitude = coordinate("Longitude", 180, "17.71")
    description = TextAreaField("Notes", validators=[Optional(), fits(Partner.description)])

    def __init__(self, *args, regions=(), users=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.region_id.choices = id_choices(regions, blank="No region")
        self.owner_id.choices = id_choices(users, blank="Nobody yet", label=lambda u: u.name)


class ContactForm(EditForm):
    name = StringField("Name", validators=[DataRequired(), fits(Contact.name)])
    job_title = StringField("Job title", validators=[Optional(), fits(Contact.job_title)])
    email = EmailField("E-mail", validators=[Optional(), Email(INVALID_EMAIL), fits(Contact.email)])
    phone = StringField(
        "Phone",
        validators=[Optional(), fits(Contact.phone)],
        description="International format, e.g. +36 96 555 0100",
    )
    notes = TextAreaField("Notes", validators=[Optional(), fits(Contact.notes)])


class EngagementForm(EditForm):
    kind = SelectField("Kind", choices=form_choices(EngagementKind), validators=[DataRequired()])
    occurred_on = DateField(
        "Date", validators=[DataRequired(message="Enter the date (YYYY-MM-DD).")]
    )
    subject = StringField("Subject", validators=[DataRequired(), fits(Engagement.subject)])
    partner_ids = SelectMultipleField(
        "Partners",
        coerce=int,
        validators=[DataRequired(message=AT_LEAST_ONE_PARTNER)],
        description="Hold Ctrl (⌘ on a Mac) to choose several.",
        widget=ManyOptions(multiple=True),
    )
    attendee_ids = SelectMultipleField("Our attendees", coerce=int, validators=[Optional()])
    summary = TextAreaField("Summary", validators=[Optional(), fits(Engagement.summary)])
    outcome = TextAreaField("Outcome", validators=[Optional(), fits(Engagement.outcome)])

    def __init__(self, *args, partners=(), users=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.partner_ids.choices = id_choices(partners)
        self.attendee_ids.choices = id_choices(users, label=lambda u: u.name)


class FollowUpForm(EditForm):
    title = StringField("Action", validators=[DataRequired(), fits(FollowUp.title)])
    owner_id = SelectField(
        "Owner", coerce=optional_int, validators=[DataRequired(message=CHOOSE_AN_OWNER)]
    )
    due_on = DateField("Due", validators=[DataRequired(message="Enter the due date (YYYY-MM-DD).")])

    def __init__(self, *args, users=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.owner_id.choices = id_choices(users, blank="Choose an owner", label=lambda u: u.name)


class PartnerFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form changes nothing

    q = StringField("Search", validators=[Optional(), Length(max=200)])
    kind = SelectField("Kind", choices=form_choices(PartnerKind, blank="Any kind"), default="")
    region_id = SelectField("Region", coerce=optional_int)
    country_code = SelectField("Country", choices=country_choices(blank="Any country"), default="")
    status = SelectField(
        "Status", choices=form_choices(PartnerStatus, blank="All but archived"), default=""
    )
    owner_id = SelectField("Owner", coerce=optional_int)

    def __init__(self, *args, regions=(), users=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.region_id.choices = id_choices(regions, blank="Any region")
        self.owner_id.choices = id_choices(users, blank="Anyone", label=lambda u: u.name)


class EngagementFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField("Search", validators=[Optional(), Length(max=200)])
    partner_id = SelectField("Partner", coerce=optional_int, widget=ManyOptions())
    kind = SelectField("Kind", choices=form_choices(EngagementKind, blank="Any kind"), default="")
    region_id = SelectField("Region", coerce=optional_int)
    attendee_id = SelectField("Attendee", coerce=optional_int)
    date_from = DateField("From", validators=[Optional()])
    date_to = DateField("To", validators=[Optional()])

    def __init__(self, *args, partners=(), regions=(), users=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.partner_id.choices = id_choices(partners, blank="Any partner", label=lambda p: p.name)
        self.region_id.choices = id_choices(regions, blank="Any region")
        self.attendee_id.choices = id_choices(users, blank="Anyone", label=lambda u: u.name)

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError("The end date is before the start date.")


class FollowUpFilterForm(FlaskForm):
    class Meta:
        csrf = False

    scope = SelectField(
        "Whose",
        choices=[SelectChoice("mine", "Mine"), SelectChoice("everyone", "Everyone")],
        default="mine",
    )
    show = SelectField(
        "Show",
        choices=[
            SelectChoice("open", "Open"),
            SelectChoice("done", "Done"),
            SelectChoice("all", "All"),
        ],
        default="open",
    )

    def value(self, name: str) -> str:
        """The field's value, or its default when the query string held something else."""
        field = self[name]
        return field.default if field.errors or not field.data else field.data
