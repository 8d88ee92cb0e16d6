"""One set of rules: every limit a form puts on a field (a number's range, a text's
length, an e-mail or web address, a required value) is refused by the API too, with a 422
naming the field. The bad values are read off the forms themselves, so a rule added to a
form and not to its operation turns this red."""

from decimal import Decimal

import pytest
from wtforms import DecimalField, IntegerField
from wtforms.validators import URL, DataRequired, Email, InputRequired, Length, NumberRange

from tracker.commitments.forms import CommitmentForm, ContributionForm, MilestoneForm
from tracker.incentives.forms import (
    DisbursementForm,
    FxRateForm,
    IncentiveForm,
    InterestRateForm,
    ObligationForm,
    PromiseForm,
)
from tracker.partners.forms import (
    ContactForm,
    EngagementForm,
    FollowUpForm,
    PartnerForm,
    RegionForm,
)

# Each form, the API call its fields go to (a PATCH of a portfolio record, or a POST with a
# body the field is added to), and the fields the page sets that the API takes elsewhere.
FORMS = [
    (RegionForm, "PATCH", "/api/v1/regions/1", {}),
    (PartnerForm, "PATCH", "/api/v1/partners/1", {}),
    (ContactForm, "PATCH", "/api/v1/contacts/1", {}),
    (EngagementForm, "PATCH", "/api/v1/engagements/1", {}),
    (FollowUpForm, "PATCH", "/api/v1/follow-ups/1", {}),
    (IncentiveForm, "PATCH", "/api/v1/incentives/1", {}),
    (ObligationForm, "PATCH", "/api/v1/obligations/1", {}),
    (PromiseForm, "PATCH", "/api/v1/promises/1", {}),
    (MilestoneForm, "PATCH", "/api/v1/milestones/1", {}),
    (ContributionForm, "PATCH", "/api/v1/contributions/1", {}),
    (CommitmentForm, "PATCH", "/api/v1/commitments/1", {"kind": "co_investment"}),
    (CommitmentForm, "PATCH", "/api/v1/commitments/2", {"kind": "anchor_volume"}),
    (
        DisbursementForm,
        "POST",
        "/api/v1/disbursements",
        {"incentive_id": 1, "paid_on": "2026-01-05", "amount": "1000"},
    ),
    (
        FxRateForm,
        "POST",
        "/api/v1/fx-rates",
        {"currency": "USD", "rate": "0.9", "effective_on": "2026-01-05"},
    ),
    (
        InterestRateForm,
        "POST",
        "/api/v1/interest-rates",
        {"series": "Base", "rate_pct": "3.5", "effective_on": "2026-01-05"},
    ),
]
# Fields a form has that are not the record's (the form's token and version, a kind chosen
# on another page, the day figures were true on, a create-only date).
NOT_FIELDS = {"csrf_token", "form_token", "version", "kind", "measured_on", "identified_on"}


def _bad_values(field):
    """(value, what it breaks) for each limit the field's validators set."""
    number = isinstance(field, IntegerField | DecimalField)
    as_sent = (lambda n: n) if isinstance(field, IntegerField) else (lambda n: str(n))
    for validator in field.validators:
        if isinstance(validator, NumberRange) and number:
            if validator.min is not None:
                yield as_sent(Decimal(validator.min) - 1), f"below {validator.min}"
            if validator.max is not None:
                yield as_sent(Decimal(validator.max) + 1), f"above {validator.max}"
        elif isinstance(validator, Length) and not number:
            if validator.max not in (None, -1):
                yield "x" * (validator.max + 1), f"longer than {validator.max}"
            if validator.min not in (None, -1) and validator.min > 1:
                yield "x" * (validator.min - 1), f"shorter than {validator.min}"
        elif isinstance(validator, Email):
            yield "not-an-address", "not an e-mail address"
        elif isinstance(validator, URL):
            yield "no address", "not a web address"
        elif isinstance(validator, DataRequired | InputRequired):
            yield None, "required"


def _cases():
    for form_class, method, url, context in FORMS:
        kind = context.get("kind")
        form = _bare_form(form_class, kind)
        for field in form:
            if field.name in NOT_FIELDS:
                continue
            for value, broken in _bad_values(field):
                yield pytest.param(
                    method,
                    url,
                    {k: v for k, v in context.items() if k != "kind"},
                    field.name,
                    value,
                    id=f"{form_class.__name__}{'-' + kind if kind else ''}.{field.name} {broken}",
                )


def _bare_form(form_class, kind):
    from config import TestConfig
    from tracker import create_app

    app = _bare_form.app = getattr(_bare_form, "app", None) or create_app(TestConfig)
    with app.test_request_context():
        form = form_class(meta={"csrf": False}, **({"kind": kind} if kind else {}))
        if kind:
            form.keep_fields(kind, with_kind=False)
        return form


CASES = list(_cases())


def test_the_forms_set_limits_to_check():
    assert len(CASES) > 60


@pytest.mark.parametrize(("method", "url", "body", "field", "value"), CASES)
def test_a_value_a_form_refuses_is_refused_by_the_api_naming_its_field(
    admin_api, portfolio, method, url, body, field, value
):
    response = admin_api.open(method, url, json={**body, field: value})
    assert response.status_code == 422, response.get_data(as_text=True)
    assert field in response.get_json()["error"]["fields"], response.get_json()
