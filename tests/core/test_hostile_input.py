"""What a user sends cannot break a page: numbers, control characters and ranges are refused
or cleaned at the boundary, and one bad stored value cannot take a shared page down."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import text

from tests.conftest import post_form
from tests.factories import make_commitment, make_incentive, make_obligation, make_partner
from tests.helpers import coinvest_form, count_rows, incentive_form
from tracker.commitments.models import Commitment
from tracker.extensions import db
from tracker.incentives.models import Incentive, Obligation
from tracker.partners.models import Partner

SHARED_PAGES = [
    "/",
    "/dashboard",
    "/incentives",
    "/incentives/deadlines",
    "/commitments",
    "/milestones",
    "/partners",
    "/due",
    "/reports/monthly",
    "/reports/monthly?format=xlsx",
    "/incentives?format=csv",
    "/incentives?format=xlsx",
]


def _assert_shared_pages_answer(client, *extra):
    for url in [*SHARED_PAGES, *extra]:
        assert client.get(url).status_code == 200, url


# --- Numbers -------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["Infinity", "-Infinity", "NaN", "sNaN", "1e400", "1e30"])
def test_an_actual_that_is_not_a_finite_number_is_refused(manager_client, value):
    incentive = make_incentive()
    obligation = make_obligation(incentive, target=100, actual=10)
    db.session.commit()
    url = f"/obligations/{obligation.id}/actual"
    response = post_form(manager_client, url, {"actual_value": value, "actual_as_of": ""})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'class="error"' in page
    assert f'value="{value}"' in page  # what the user typed is kept
    assert db.session.get(Obligation, obligation.id).actual_value == Decimal("10")
    _assert_shared_pages_answer(manager_client, f"/incentives/{incentive.id}")


@pytest.mark.parametrize("value", ["1e30", "1e17", "Infinity", "NaN", "12.345"])
def test_an_incentive_amount_beyond_its_column_is_refused(manager_client, value):
    agency = make_partner("HIPA")
    db.session.commit()
    data = incentive_form(agency, amount_offered=value, currency="EUR")
    response = post_form(manager_client, "/incentives/new", data)
    assert response.status_code == 200
    assert count_rows(Incentive) == 0
    assert f'value="{value}"' in response.get_data(as_text=True)


@pytest.mark.parametrize("value", ["1e26", "1e17", "1e16", "-Infinity"])
def test_a_budget_beyond_its_column_is_refused(owner_client, value):
    partner = make_partner("Alliance", kind="cluster_alliance")
    db.session.commit()
    data = coinvest_form(partner, currency="EUR", budget=value)
    response = post_form(
        owner_client,
        "/commitments/new?kind=co_investment",
        data,
        form_url="/commitments/new?kind=co_investment",
    )
    assert response.status_code == 200
    assert count_rows(Commitment) == 0


def test_an_operation_refuses_what_its_column_cannot_hold(app):
    """The rule is the operation's, so imports and the API get it too, not only the form."""
    from tracker.core.errors import DomainError
    from tracker.incentives import operations

    incentive = make_incentive()
    obligation = make_obligation(incentive, target=100)
    db.session.commit()
    for value, words in [
        (Decimal("Infinity"), "Enter a number"),
        (Decimal("NaN"), "Enter a number"),
        (Decimal("1e30"), "at most"),
        (Decimal("0.00001"), "decimal places"),
    ]:
        with pytest.raises(DomainError) as refused:
            operations.record_actual(obligation, value, None, actor=None)
        assert refused.value.field == "actual_value"
        assert words in refused.value.message
        db.session.rollback()


@pytest.mark.parametrize("stored", ["1e30", "'Infinity'", "'NaN'"])
def test_one_bad_stored_amount_does_not_take_shared_pages_down(manager_client, stored):
    """A value stored before the rules (or by hand) shows as unknown; the pages stay up and
    the record's own edit page opens so it can be fixed."""
    incentive = make_incentive(currency="EUR", amount_offered=Decimal("1000"))
    obligation = make_obligation(incentive, target=100, actual=10)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        pytest.skip("PostgreSQL's numeric(18, 2) cannot hold it: nothing to survive")
    db.session.execute(
        text(f"UPDATE incentives SET amount_offered = {stored}, amount_received = {stored}")  # noqa: S608
    )
    db.session.execute(
        text(f"UPDATE obligations SET actual_value = {stored}, target_value = {stored}")  # noqa: S608
    )
    db.session.commit()
    _assert_shared_pages_answer(
        manager_client,
        f"/incentives/{incentive.id}",
        f"/incentives/{incentive.id}/edit",
        f"/obligations/{obligation.id}/actual",
    )


def test_an_unreadable_target_is_not_met_and_stays_due(app):
    from tracker.incentives import services

    incentive = make_incentive(currency="EUR", status="in_compliance")
    make_obligation(incentive, target=100, actual=100)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        pytest.skip("PostgreSQL's numeric(18, 4) cannot hold it: nothing to survive")
    db.session.execute(text("UPDATE obligations SET target_value = 1e30"))
    db.session.commit()
    db.session.expire_all()
    [obligation] = incentive.obligations
    assert obligation.target_value is None and not services.is_met(obligation)
    assert [d.kind for d in services.open_deadlines(incentive)] == ["obligation_due"]


@pytest.mark.parametrize("stored", ["1e30", "'Infinity'", "'NaN'"])
def test_a_new_rate_beside_an_unreadable_one_is_saved(app, stored):
    """The rate-jump check has nothing to compare with, and says nothing."""
    from tests.factories import make_fx_rate
    from tracker.incentives import operations

    make_fx_rate("MXN", "0.05", date(2026, 1, 1))
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        pytest.skip("PostgreSQL's numeric cannot hold it: nothing to survive")
    db.session.execute(text(f"UPDATE fx_rates SET rate = {stored}"))  # noqa: S608
    db.session.commit()
    operations.add_fx_rate("MXN", Decimal("0.9"), date(2026, 2, 1), actor=None)


# --- Dates ---------------------------------------------------------------------------------


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1899-12-31", "2201-01-01"])
def test_a_date_out_of_range_is_refused(manager_client, day):
    agency = make_partner("HIPA")
    db.session.commit()
    data = incentive_form(agency, application_deadline=day)
    response = post_form(manager_client, "/incentives/new", data)
    assert response.status_code == 200
    assert "between 1900-01-01 and 2200-12-31" in response.get_data(as_text=True)
    assert count_rows(Incentive) == 0


def test_a_date_out_of_range_is_refused_by_the_operation(app):
    from tracker.core.errors import DomainError
    from tracker.incentives import operations

    incentive = make_incentive()
    db.session.commit()
    with pytest.raises(DomainError) as refused:
        operations.create_obligation(
            incentive,
            {"kind": "jobs", "target_value": 1, "unit": "jobs", "due_on": date.max},
            actor=None,
        )
    assert refused.value.field == "due_on"


# --- Ids and pages -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/partners/9223372036854775808",
        "/partners/2147483648",
        "/partners/99999999999999999999999",
        "/incentives/9223372036854775807",
        "/commitments/18446744073709551616/edit",
        # 0 is no record's id; the edit forms once read it as "a new record" or answered 500.
        "/partners/0/edit",
        "/contacts/0/edit",
        "/incentives/0/edit",
        "/obligations/0/edit",
        "/promises/0/edit",
        "/commitments/0/edit",
        "/milestones/0/edit",
        "/contributions/0/edit",
        "/engagements/0/edit",
    ],
)
def test_an_id_out_of_range_is_not_found(manager_client, url):
    assert manager_client.get(url).status_code == 404


@pytest.mark.parametrize(
    "page", ["2e17", "99999999999999999999", "-1", "0", "9223372036854775808", "abc", "1.5"]
)
def test_a_page_out_of_range_answers_400_or_the_list(manager_client, page):
    make_partner("HIPA")
    db.session.commit()
    for url in ("/partners", "/incentives", "/commitments", "/engagements", "/alerts"):
        response = manager_client.get(f"{url}?page={page}")
        assert response.status_code in (200, 400), (url, page)


# --- Control characters --------------------------------------------------------------------


def test_control_characters_are_removed_from_what_is_saved(manager_client):
    response = post_form(
        manager_client,
        "/partners/new",
        {
            "name": "Bad\x00 Agen\x07cy\r\nBcc: x@example.com",
            "kind": "economic_agency",
            "country_code": "HU",
            "region_id": "",
            "website": "",
            "description": "Line one\r\nLine two\x00\x1b[31m",
            "owner_id": "",
            "cadence_days": "",
            "next_engagement_on": "",
            "status": "active",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    partner = db.session.query(Partner).one()
    assert partner.name == "Bad Agency Bcc: x@example.com"
    assert partner.description == "Line one\nLine two[31m"


@pytest.mark.parametrize(
    "url",
    [
        "/partners?q=a%00b",
        "/engagements?q=%00",
        "/incentives?q=%00%0d%0a",
        "/calendar.ics?token=%00",
        "/partners?sort=%00&dir=%00",
    ],
)
def test_a_nul_in_a_query_is_harmless(manager_client, url):
    assert manager_client.get(url).status_code < 500


def test_a_nul_in_the_login_email_is_a_failed_sign_in(client):
    from tests.conftest import csrf_token

    response = client.post(
        "/login",
        data={
            "email": "a\x00@example.com",
            "password": "x",
            "csrf_token": csrf_token(client, "/login"),
        },
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    "target", ["%0d%0a/partners", "/partners%0d%0aSet-Cookie:%20x=1", "/%0a/evil.example", "%00"]
)
def test_newlines_in_next_and_back_are_refused(manager_client, target):
    response = manager_client.get(f"/partners?back={target}")
    assert response.status_code < 500
    assert "Set-Cookie" not in "".join(response.headers.get_all("Location"))


# --- Archived partners ---------------------------------------------------------------------


def test_an_archived_partners_pages_answer(manager_client):
    partner = make_partner("Old agency")
    incentive = make_incentive(partner)
    make_commitment(counterparty=partner) if False else None  # noqa: B018 (kept simple)
    db.session.commit()
    response = post_form(
        manager_client, f"/partners/{partner.id}/archive", {}, form_url=f"/partners/{partner.id}"
    )
    assert response.status_code == 302
    assert db.session.get(Partner, partner.id).status == "archived"
    for url in (
        f"/partners/{partner.id}",
        f"/partners/{partner.id}/status",
        f"/incentives/{incentive.id}",
    ):
        assert manager_client.get(url).status_code == 200, url


# --- Health --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    ["/partners\r\nSet-Cookie: x=1", "/partners\nx", "/\u202epartners", "/partners\x85"],
)
def test_a_redirect_target_with_a_line_break_is_not_followed(target):
    from tracker.core.urls import safe_next

    assert safe_next(target) is None
    assert safe_next("/partners?q=Győr two") == "/partners?q=Győr two"


def test_sign_in_with_a_line_break_in_next_lands_on_the_home_page(client):
    from tests.conftest import csrf_token
    from tests.factories import PASSWORD, make_user

    make_user("manager", email="m@example.com")
    db.session.commit()
    response = client.post(
        "/login?next=/partners%0d%0aSet-Cookie:%20x=1",
        data={
            "email": "m@example.com",
            "password": PASSWORD,
            "csrf_token": csrf_token(client, "/login"),
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_every_parameter_is_cleaned_as_the_request_parses_it(app):
    """Views, forms, filters and lookups never see a control character: one place cleans
    the query string and the form alike (tab, CR and LF stay, for text areas)."""
    from flask import request

    with app.test_request_context(
        "/partners?q=a%00b%07c%1bd&x%00y=1",
        method="POST",
        data={"name": "Bad\x00Name\x08", "notes": "one\r\ntwo\tthree\x7f"},
    ):
        assert request.args["q"] == "abcd"
        assert request.args["xy"] == "1"
        assert request.form["name"] == "BadName"
        assert request.form["notes"] == "one\r\ntwo\tthree"


def test_an_amount_finer_than_its_currencys_minor_unit_is_refused(manager_client):
    agency = make_partner("JETRO")
    db.session.commit()
    data = incentive_form(agency, currency="JPY", amount_offered="1500000.50")
    response = post_form(manager_client, "/incentives/new", data)
    assert "JPY amounts are in whole JPY." in response.get_data(as_text=True)
    assert count_rows(Incentive) == 0
    data = incentive_form(agency, currency="JPY", amount_offered="1500000")
    assert post_form(manager_client, "/incentives/new", data).status_code == 302


def test_a_contribution_finer_than_its_currencys_minor_unit_is_refused(app):
    from tracker.commitments import operations
    from tracker.core.errors import DomainError

    partner = make_partner("Alliance", kind="cluster_alliance")
    commitment = make_commitment("co_investment", counterparty=partner, currency="KRW")
    db.session.commit()
    with pytest.raises(DomainError) as refused:
        operations.create_contribution(
            commitment,
            {"partner_id": partner.id, "amount": Decimal("10.5"), "currency": "KRW"},
            actor=None,
        )
    assert refused.value.field == "amount"
    assert "whole KRW" in refused.value.message
