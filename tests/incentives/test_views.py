"""Incentive pages: forms and their bad input, obligations, reports, promises, lists, FX rates."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.conftest import post_form
from tests.factories import make_fx_rate, make_incentive, make_obligation, make_partner
from tests.helpers import count_rows, incentive_form
from tracker.core.models import FxRate
from tracker.core.types import today
from tracker.extensions import db
from tracker.incentives.models import (
    AgencyPromise,
    ComplianceReport,
    Incentive,
    IncentiveStatusChange,
    Obligation,
)


def _incentive_data(partner, **overrides):
    return incentive_form(
        partner, **{"currency": "huf", "application_deadline": "2026-12-15", **overrides}
    )


def test_manager_creates_incentive_with_its_first_history_step(manager_client):
    agency = make_partner("HIPA")
    db.session.commit()
    response = post_form(manager_client, "/incentives/new", _incentive_data(agency))
    assert response.status_code == 302, response.get_data(as_text=True)
    incentive = db.session.scalar(select(Incentive))
    assert (incentive.currency, incentive.amount_offered, incentive.status) == (
        "HUF",
        Decimal("4500000000.00"),
        "identified",
    )
    history = db.session.scalars(select(IncentiveStatusChange)).all()
    assert [(h.from_status, h.to_status) for h in history] == [(None, "identified")]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"amount_offered": "-5"}, "Amounts cannot be negative."),
        ({"currency": "XYZ"}, "XYZ is not an ISO 4217 currency code"),
        ({"amount_offered": "a lot"}, "Enter a number, e.g. 1250000.50."),
        ({"term_end_on": "2026-01-01"}, "The term ends before it starts."),
        ({"amount_awarded": "10", "amount_received": "20"}, "More received than awarded"),
        ({"clawback_rule": "cliff"}, "A cliff needs its floor"),
        ({"is_state_aid": "y", "aid_scheme_number": "12345"}, "Use the Commission&#39;s form"),
        ({"is_de_minimis": "y"}, "De minimis aid is EU state aid"),
        ({"granting_partner_id": ""}, "Choose the body."),
    ],
)
def test_bad_input_gets_a_message_keeps_input_and_saves_nothing(manager_client, overrides, message):
    agency = make_partner("HIPA")
    db.session.commit()
    response = post_form(manager_client, "/incentives/new", _incentive_data(agency, **overrides))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in html
    assert 'value="VIP cash grant – Győr"' in html
    assert count_rows(Incentive) == 0


def test_obligation_due_outside_the_term_is_refused(manager_client):
    incentive = make_incentive(term_start_on=date(2027, 1, 1), term_end_on=date(2031, 12, 31))
    db.session.commit()
    url = f"/incentives/{incentive.id}/obligations/new"
    data = {
        "kind": "jobs",
        "description": "Net new FTE",
        "target_value": "350",
        "unit": "FTE",
        "actual_value": "",
        "actual_as_of": "",
        "due_on": "2032-06-30",
    }
    refused = post_form(manager_client, url, data)
    assert "2032-06-30 is outside the incentive&#39;s term (2027-01-01 to 2031-12-31)." in (
        refused.get_data(as_text=True)
    )
    assert count_rows(Obligation) == 0
    negative = post_form(
        manager_client, url, {**data, "due_on": "2030-06-30", "target_value": "-1"}
    )
    assert "The target cannot be negative." in negative.get_data(as_text=True)
    assert post_form(manager_client, url, {**data, "due_on": "2030-06-30"}).status_code == 302
    assert count_rows(Obligation) == 1


def test_actual_that_is_not_a_number_is_refused(manager_client):
    incentive = make_incentive()
    obligation = make_obligation(incentive, target=100, actual=10)
    db.session.commit()
    url = f"/obligations/{obligation.id}/actual"
    response = post_form(manager_client, url, {"actual_value": "about sixty", "actual_as_of": ""})
    assert "Enter the actual as a number." in response.get_data(as_text=True)
    assert 'value="about sixty"' in response.get_data(as_text=True)
    assert db.session.get(Obligation, obligation.id).actual_value == Decimal("10")
    post_form(manager_client, url, {"actual_value": "60", "actual_as_of": today().isoformat()})
    assert db.session.get(Obligation, obligation.id).actual_value == Decimal("60")


def test_editing_the_term_around_an_obligation_is_refused(manager_client):
    agency = make_partner("HIPA")
    incentive = make_incentive(
        agency,
        title="VIP cash grant – Győr",
        currency="HUF",
        term_start_on=date(2027, 1, 1),
        term_end_on=date(2031, 12, 31),
    )
    make_obligation(incentive, target=1, due_on=date(2031, 6, 30))
    db.session.commit()
    response = post_form(
        manager_client,
        f"/incentives/{incentive.id}/edit",
        _incentive_data(agency, term_end_on="2030-12-31"),
    )
    assert "An obligation is due 2031-06-30, outside this term" in response.get_data(as_text=True)
    assert db.session.get(Incentive, incentive.id).term_end_on == date(2031, 12, 31)


def test_yearly_reports_for_the_term_and_marking_one_submitted(manager_client):
    incentive = make_incentive(term_start_on=date(2026, 1, 1), term_end_on=date(2028, 12, 31))
    db.session.commit()
    response = post_form(
        manager_client,
        f"/incentives/{incentive.id}/reports/new",
        {
            "title": "Annual report",
            "first_due_on": "2026-03-31",
            "frequency": "yearly",
            "until": "",
        },
    )
    assert response.status_code == 302
    reports = db.session.scalars(select(ComplianceReport).order_by(ComplianceReport.due_on)).all()
    assert [(r.title, r.due_on.isoformat()) for r in reports] == [
        ("Annual report (1 of 3)", "2026-03-31"),
        ("Annual report (2 of 3)", "2027-03-31"),
        ("Annual report (3 of 3)", "2028-03-31"),
    ]
    future = post_form(
        manager_client,
        f"/reports/{reports[0].id}/submit",
        {"submitted_on": (today() + timedelta(days=3)).isoformat(), "note": "x"},
    )
    assert "cannot be submitted in the future" in future.get_data(as_text=True)
    post_form(
        manager_client,
        f"/reports/{reports[0].id}/submit",
        {"submitted_on": today().isoformat(), "note": "Accepted"},
    )
    assert db.session.get(ComplianceReport, reports[0].id).submitted_on == today()


def test_report_outside_the_term_is_refused(manager_client):
    incentive = make_incentive(term_start_on=date(2026, 1, 1), term_end_on=date(2026, 12, 31))
    db.session.commit()
    response = post_form(
        manager_client,
        f"/incentives/{incentive.id}/reports/new",
        {"title": "Annual report", "first_due_on": "2027-03-31", "frequency": "once", "until": ""},
    )
    assert "outside the incentive&#39;s term" in response.get_data(as_text=True)
    assert count_rows(ComplianceReport) == 0


def test_overdue_report_and_late_agency_promise_stand_out(viewer_client):
    incentive = make_incentive(status="in_compliance")
    db.session.add(
        ComplianceReport(
            incentive=incentive, title="Q3 statement", due_on=today() - timedelta(days=4)
        )
    )
    db.session.add(
        AgencyPromise(
            incentive=incentive,
            kind="infrastructure",
            description="20 kV grid upgrade",
            due_on=today() - timedelta(days=9),
        )
    )
    db.session.commit()
    html = viewer_client.get(f"/incentives/{incentive.id}").get_data(as_text=True)
    assert "4 days overdue" in html
    assert "The agency is late: “20 kV grid upgrade”" in html and "Late 9 days" in html


def test_promise_delivery_rules(manager_client):
    incentive = make_incentive()
    db.session.commit()
    url = f"/incentives/{incentive.id}/promises/new"
    data = {
        "kind": "permit_fast_track",
        "description": "Building permit in 60 days",
        "due_on": "2026-03-01",
        "amount": "",
        "status": "delivered",
        "delivered_on": "",
        "note": "",
    }
    assert "Give the delivery date." in post_form(manager_client, url, data).get_data(as_text=True)
    ok = post_form(manager_client, url, {**data, "delivered_on": today().isoformat()})
    assert ok.status_code == 302
    assert db.session.scalar(select(AgencyPromise)).delivered_on == today()


# --- List, totals and FX -----------------------------------------------------------

LINK = re.compile(r'<a href="/incentives/(\d+)">')


def test_list_filters_search_and_totals_in_reporting_currency(viewer_client):
    make_fx_rate("HUF", "0.0025", today() - timedelta(days=30))
    agency, council = make_partner("HIPA"), make_partner("CzechInvest", country_code="CZ")
    huf = make_incentive(
        agency,
        title="Győr grant",
        currency="HUF",
        amount_offered=Decimal("4000000"),
        application_deadline=date(2026, 12, 1),
    )
    eur = make_incentive(
        council,
        title="Brno training",
        kind="training_subsidy",
        amount_offered=Decimal("1000"),
        application_deadline=date(2027, 2, 1),
    )
    czk = make_incentive(
        council,
        title="Brno tax",
        kind="tax_credit",
        currency="CZK",
        amount_offered=Decimal("250000"),
    )
    db.session.commit()

    def ids(query=""):
        return [
            int(i)
            for i in LINK.findall(viewer_client.get(f"/incentives{query}").get_data(as_text=True))
        ]

    assert set(ids()) == {huf.id, eur.id, czk.id}
    assert ids("?q=győr") == [huf.id] or ids("?q=Győr") == [huf.id]
    assert set(ids(f"?partner_id={council.id}")) == {eur.id, czk.id}
    assert ids("?kind=training_subsidy") == [eur.id]
    assert ids("?currency=HUF") == [huf.id]
    assert ids("?deadline_from=2026-11-15&deadline_to=2026-12-31") == [huf.id]
    assert ids("?sort=offered&dir=desc") == [huf.id, czk.id, eur.id]

    html = viewer_client.get("/incentives").get_data(as_text=True)
    assert "EUR 11,000" in html  # 4,000,000 HUF × 0.0025 + 1,000 EUR; CZK left out
    assert "No EUR rate in force for CZK: CZK 250,000 left out of this total." in html
    assert "no CZK rate" in html


def test_incentive_list_query_count_does_not_grow(viewer_client, count_queries):
    def grow(n):
        for _ in range(n):
            incentive = make_incentive(
                status="in_compliance", clawback_rule="pro_rata", amount_awarded=Decimal(100)
            )
            make_obligation(incentive, target=10, actual=5)
        db.session.commit()

    grow(5)
    viewer_client.get("/incentives")
    with count_queries() as small:
        viewer_client.get("/incentives")
    grow(45)
    with count_queries() as large:
        viewer_client.get("/incentives")
    assert small.count == large.count


def test_deadlines_of_every_kind_soonest_first_with_days_left(viewer_client):
    t = today()
    applying = make_incentive(
        title="Applying", status="preparing", application_deadline=t + timedelta(days=12)
    )
    waiting = make_incentive(
        title="Waiting", status="submitted", decision_expected_on=t + timedelta(days=3)
    )
    running = make_incentive(
        title="Running", status="in_compliance", term_end_on=t + timedelta(days=400)
    )
    make_obligation(
        running, target=10, actual=2, due_on=t - timedelta(days=2), description="Jobs created"
    )
    make_obligation(
        running, target=10, actual=10, due_on=t + timedelta(days=1), description="Already met"
    )
    db.session.add(
        ComplianceReport(incentive=running, title="Annual", due_on=t + timedelta(days=30))
    )
    db.session.add(
        ComplianceReport(
            incentive=running, title="Done one", due_on=t + timedelta(days=5), submitted_on=t
        )
    )
    make_incentive(title="Closed one", status="closed", application_deadline=t)
    db.session.commit()
    html = viewer_client.get("/incentives/deadlines").get_data(as_text=True)
    order = [
        html.index(text)
        for text in (
            "Jobs created",
            "Decision expected",
            "Application deadline",
            "Compliance report due",
            "Term ends",
        )
    ]
    assert order == sorted(order)
    assert "2 overdue" in html
    assert "Already met" not in html and "Done one" not in html and "Closed one" not in html
    assert applying.title in html and waiting.title in html


def test_fx_rates_page_is_admin_only_and_refuses_duplicates(admin_client, manager_client):
    assert manager_client.get("/admin/fx-rates").status_code == 403
    make_incentive(currency="MXN")
    db.session.commit()
    page = admin_client.get("/admin/fx-rates").get_data(as_text=True)
    assert "No rate in force today for MXN" in page
    data = {"currency": "mxn", "rate": "0.0462", "effective_on": "2026-01-01"}
    assert post_form(admin_client, "/admin/fx-rates", data).status_code == 302
    rate = db.session.scalar(select(FxRate))
    assert (rate.currency, rate.rate, rate.reporting_currency) == ("MXN", Decimal("0.0462"), "EUR")
    again = post_form(admin_client, "/admin/fx-rates", data)
    assert "exists" in again.get_data(as_text=True)
    bad = post_form(admin_client, "/admin/fx-rates", {**data, "rate": "-1", "currency": "ZZZ"})
    html = bad.get_data(as_text=True)
    assert "A rate must be above zero." in html and "ZZZ is not an ISO 4217" in html
    assert count_rows(FxRate) == 1
    rate_id = rate.id
    assert "Delete the MXN rate" in admin_client.get(f"/admin/fx-rates/{rate_id}/delete").get_data(
        as_text=True
    )
    post_form(admin_client, f"/admin/fx-rates/{rate_id}/delete", {})
    assert count_rows(FxRate) == 0
