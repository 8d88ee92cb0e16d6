"""Forms for the capability catalogue, sectors, what partners provide, supply links, the
scorecard's weights and the what-if. They check shape; the rules live in
`tracker.clusters.operations`."""

from flask_wtf import FlaskForm
from wtforms import (
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional

from tracker.clusters.models import (
    Capability,
    CapabilityKind,
    PartnerCapability,
    SupplyLink,
)
from tracker.clusters.scores import MEASURE_LIST
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
from tracker.partners.models import Sector

SEVERAL = "Hold Ctrl (⌘ on a Mac) to choose several."


class CapabilityForm(EditForm):
    name = StringField("Name", validators=[DataRequired(), fits(Capability.name)])
    kind = SelectField("Kind", choices=form_choices(CapabilityKind), validators=[DataRequired()])
    input_ids = SelectMultipleField(
        "Inputs",
        coerce=int,
        validators=[Optional()],
        description="What a provider of it buys in turn: its suppliers' onboarding checklist "
        f"asks who supplies each. {SEVERAL}",
    )
    description = TextAreaField(
        "Description", validators=[Optional(), fits(Capability.description)]
    )

    def __init__(self, *args, capabilities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.input_ids.choices = id_choices(capabilities)


class SectorForm(EditForm):
    name = StringField("Name", validators=[DataRequired(), fits(Sector.name)])
    capability_ids = SelectMultipleField(
        "Required capabilities",
        coerce=int,
        validators=[Optional()],
        description="What a cluster of this sector needs to run without fragmenting across "
        f"borders: the scorecard's completeness. {SEVERAL}",
    )
    description = TextAreaField("Description", validators=[Optional(), fits(Sector.description)])

    def __init__(self, *args, capabilities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.capability_ids.choices = id_choices(capabilities)


class ProvidedForm(EditForm):
    capability_id = SelectField(
        "Capability", coerce=optional_int, validators=[DataRequired("Choose a capability.")]
    )
    capacity = NumberField(
        "Capacity",
        validators=[Optional(), NumberRange(min=0, message="Enter zero or more.")],
        description="How much it can provide a year, if known.",
    )
    capacity_unit = StringField(
        "Counted in",
        validators=[Optional(), fits(PartnerCapability.capacity_unit)],
        description="e.g. modules a year, tonnes a year, test hours a month",
    )

    def __init__(self, *args, capabilities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.capability_id.choices = id_choices(capabilities, blank="Choose a capability")


class SupplyLinkForm(EditForm):
    capability_id = SelectField(
        "Buys", coerce=optional_int, validators=[DataRequired("Choose a capability.")]
    )
    supplier_id = SelectField(
        "From",
        coerce=optional_int,
        validators=[DataRequired("Choose a supplier.")],
        widget=ManyOptions(),
        description="A partner tagged as providing the capability.",
    )
    site = StringField(
        "Delivered to (site)",
        validators=[Optional(), fits(SupplyLink.site)],
        description="e.g. Győr module plant",
    )
    annual_tonnage = NumberField(
        "Tonnes a year",
        validators=[Optional(), NumberRange(min=0, message="Enter zero or more tonnes.")],
    )
    transport_mode = OptionalChoiceField(
        "Transport mode", choices=form_choices(TransportMode, blank="Not known")
    )
    replaced_country = OptionalChoiceField(
        "Replaced supply from",
        choices=country_choices(blank="Nothing replaced"),
        description="Where this supply came from before it was nearshored: the emission "
        "saving is measured against that route.",
    )
    replaced_mode = OptionalChoiceField(
        "Replaced route's mode", choices=form_choices(TransportMode, blank="Sea (the default)")
    )

    def __init__(self, *args, capabilities=(), suppliers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.capability_id.choices = id_choices(capabilities, blank="Choose a capability")
        self.supplier_id.choices = id_choices(
            suppliers, blank="Choose a supplier", label=lambda p: f"{p.name} ({p.country_code})"
        )


def weights_form(weights: dict[str, int], data=None) -> FlaskForm:
    """A form with a whole-percent field per measure of the scorecard."""

    class WeightsForm(FlaskForm):
        pass

    for measure in MEASURE_LIST:
        setattr(
            WeightsForm,
            measure.key,
            IntegerField(
                measure.label,
                validators=[InputRequired("Enter a weight."), NumberRange(min=0, max=100)],
                default=weights.get(measure.key),
                description=measure.question,
            ),
        )
    return WeightsForm(formdata=data) if data is not None else WeightsForm()


class WhatIfForm(FlaskForm):
    """Read from the query string: a what-if saves nothing, so it needs no token."""

    class Meta:
        csrf = False

    add_region_id = SelectField("Add a supplier in", coerce=optional_int, validators=[Optional()])
    add_name = StringField("Called", validators=[Optional(), fits(Sector.name)])
    add_capability_ids = SelectMultipleField(
        "Providing", coerce=int, validators=[Optional()], description=SEVERAL
    )
    remove_partner_ids = SelectMultipleField(
        "Take out suppliers",
        coerce=int,
        validators=[Optional()],
        widget=ManyOptions(multiple=True),
        description="A plant fire, an insolvency. " + SEVERAL,
    )
    remove_region_ids = SelectMultipleField(
        "Take out regions",
        coerce=int,
        validators=[Optional()],
        description="A border closure, a flood. " + SEVERAL,
    )

    def __init__(self, *args, regions=(), capabilities=(), suppliers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.add_region_id.choices = id_choices(regions, blank="No new supplier")
        self.add_capability_ids.choices = id_choices(capabilities)
        self.remove_partner_ids.choices = id_choices(
            suppliers, label=lambda c: f"{c.name} ({c.country})"
        )
        self.remove_region_ids.choices = id_choices(regions)
