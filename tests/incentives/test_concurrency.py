"""Two people editing the same incentive or obligation, and create forms posted twice."""

from datetime import date
from decimal import Decimal

from tests.factories import make_incentive, make_obligation, make_partner
from tests.helpers import STALE, conflict_rows, count_rows, hidden_fields, incentive_form, opened
from tracker.core.models import AuditEvent, FxRate
from tracker.extensions import db
from tracker.incentives.models import (
    AgencyPromise,
    ComplianceReport,
    Incentive,
    IncentiveStatusChange,
    Obligation,
)


def _incentive():
    agency = make_partner("HIPA")
    incentive = make_incentive(
        agency,
        title="VIP cash grant – Győr",
        currency="HUF",
        amount_offered=Decimal("4500000000"),
        clawback_rule="pro_rata",
        term_start_on=date(2027, 1, 1),
        term_end_on=date(2031, 12, 31),
    )
    db.session.commit()
    return agency, incentive


def test_stale_incentive_save_is_refused_with_stored_beside_typed(manager_client, admin_client):
    agency, incentive = _incentive()
    url = f"/incentives/{incentive.id}/edit"
    mine, theirs = opened(manager_client, url), opened(admin_client, url)
    assert mine["version"] == theirs["version"] == "1"

    first = manager_client.post(
        url, data={**incentive_form(agency, amount_awarded="110000000"), **mine}
    )
    assert first.status_code == 302

    typed = incentive_form(agency, amount_offered="4600000000", description="Typed second")
    second = admin_client.post(url, data={**typed, **theirs})
    assert second.status_code == 409
    page = second.get_data(as_text=True)
    assert STALE + " incentive after you opened it, so nothing was saved." in page
    assert conflict_rows(page) == {
        "Amount offered": ("HUF 4,500,000,000", "HUF 4,600,000,000"),
        "Amount awarded": ("HUF 110,000,000", "—"),
        "Notes": ("—", "Typed second"),
    }
    assert 'value="4600000000"' in page  # what they typed stays in the form
    stored = db.session.get(Incentive, incentive.id)
    assert (stored.amount_offered, stored.amount_awarded, stored.description, stored.version) == (
        Decimal("4500000000.00"),
        Decimal("110000000.00"),
        None,
        2,
    )
    assert count_rows(AuditEvent) == 1

    # The refused form carries the stored version now: sending it again applies it knowingly.
    assert hidden_fields(page)["version"] == "2"
    again = admin_client.post(url, data={**typed, **hidden_fields(page)})
    assert again.status_code == 302
    assert db.session.get(Incentive, incentive.id).description == "Typed second"


def _obligation_form(**overrides) -> dict[str, str]:
    data = {
        "kind": "jobs",
        "description": "Net new FTE",
        "target_value": "350",
        "unit": "FTE",
        "actual_value": "",
        "actual_as_of": "",
        "due_on": "2030-06-30",
    }
    return {**data, **overrides}


def test_stale_obligation_save_is_refused_with_stored_beside_typed(manager_client, admin_client):
    _, incentive = _incentive()
    obligation = make_obligation(
        incentive, target=350, unit="FTE", description="Net new FTE", due_on=date(2030, 6, 30)
    )
    db.session.commit()
    url = f"/obligations/{obligation.id}/edit"
    mine, theirs = opened(manager_client, url), opened(admin_client, url)

    assert (
        manager_client.post(url, data={**_obligation_form(target_value="300"), **mine}).status_code
        == 302
    )
    second = admin_client.post(
        url, data={**_obligation_form(description="Net new FTE, held 5 years"), **theirs}
    )
    assert second.status_code == 409
    page = second.get_data(as_text=True)
    assert STALE + " obligation after you opened it" in page
    assert conflict_rows(page) == {
        "Description": ("Net new FTE", "Net new FTE, held 5 years"),
        "Target": ("300", "350"),
    }
    stored = db.session.get(Obligation, obligation.id)
    assert (stored.target_value, stored.description, stored.version) == (
        Decimal("300"),
        "Net new FTE",
        2,
    )


def test_actual_typed_on_a_stale_obligation_is_refused(manager_client, admin_client):
    _, incentive = _incentive()
    obligation = make_obligation(incentive, target=350, actual=10, due_on=date(2030, 6, 30))
    db.session.commit()
    actual_url = f"/obligations/{obligation.id}/actual"
    theirs = opened(admin_client, actual_url)
    manager_client.post(
        actual_url,
        data={"actual_value": "60", "actual_as_of": "", **opened(manager_client, actual_url)},
    )
    second = admin_client.post(
        actual_url, data={"actual_value": "55", "actual_as_of": "", **theirs}
    )
    assert second.status_code == 409
    assert conflict_rows(second.get_data(as_text=True))["Actual"] == ("60", "55")
    assert db.session.get(Obligation, obligation.id).actual_value == Decimal("60")


def test_incentive_form_posted_twice_creates_one_incentive(manager_client):
    agency = make_partner("HIPA")
    db.session.commit()
    hidden = opened(manager_client, "/incentives/new")
    assert hidden["form_token"]
    data = {**incentive_form(agency), **hidden}
    first = manager_client.post("/incentives/new", data=data)
    assert first.status_code == 302
    second = manager_client.post("/incentives/new", data=data)
    assert second.status_code == 302
    assert second.headers["Location"] == first.headers["Location"]
    assert count_rows(Incentive) == 1
    assert count_rows(IncentiveStatusChange) == 1
    page = manager_client.get(second.headers["Location"]).get_data(as_text=True)
    assert "This form was already sent; here is what it saved." in page
    # A fresh form (a new token) creates a second one.
    fresh = {**incentive_form(agency, title="Another"), **opened(manager_client, "/incentives/new")}
    assert manager_client.post("/incentives/new", data=fresh).status_code == 302
    assert count_rows(Incentive) == 2


def test_child_create_forms_posted_twice_create_one_each(manager_client, admin_client):
    _, incentive = _incentive()
    pages = {
        f"/incentives/{incentive.id}/obligations/new": (_obligation_form(), Obligation),
        f"/incentives/{incentive.id}/promises/new": (
            {
                "kind": "infrastructure",
                "description": "Road link",
                "due_on": "2028-01-01",
                "amount": "",
                "status": "pending",
                "delivered_on": "",
                "note": "",
            },
            AgencyPromise,
        ),
        f"/incentives/{incentive.id}/reports/new": (
            {"title": "Annual", "first_due_on": "2027-03-31", "frequency": "yearly", "until": ""},
            ComplianceReport,
        ),
    }
    for url, (data, model) in pages.items():
        posted = {**data, **opened(manager_client, url)}
        assert manager_client.post(url, data=posted).status_code == 302
        before = count_rows(model)
        assert manager_client.post(url, data=posted).status_code == 302
        assert count_rows(model) == before, url
    assert count_rows(ComplianceReport) == 5  # 2027 to 2031, scheduled once

    rate = {"currency": "HUF", "rate": "0.0025", "effective_on": "2026-01-01"}
    posted = {**rate, **opened(admin_client, "/admin/fx-rates")}
    assert admin_client.post("/admin/fx-rates", data=posted).status_code == 302
    again = admin_client.post("/admin/fx-rates", data=posted, follow_redirects=True)
    assert "This form was already sent" in again.get_data(as_text=True)
    assert count_rows(FxRate) == 1
