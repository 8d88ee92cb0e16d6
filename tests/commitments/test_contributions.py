"""Co-investment contributions: within the budget, converted across currencies, shares shown."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.conftest import post_form
from tests.factories import (
    make_commitment,
    make_contribution,
    make_fx_rate,
    make_partner,
)
from tracker.commitments.models import Contribution
from tracker.core.models import AuditEvent
from tracker.core.types import today
from tracker.extensions import db


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(Contribution))


@pytest.fixture
def bench(owner_client):
    commitment = make_commitment(
        "co_investment",
        owner=owner_client.user,
        title="NVH test bench",
        budget=Decimal("2400000"),
        spend_to_date=Decimal("600000"),
    )
    db.session.commit()
    return commitment


def _add(client, commitment, **data):
    data.setdefault("partner_id", "")
    data.setdefault("currency", commitment.currency)
    data.setdefault("paid_to_date", "0")
    return post_form(client, f"/commitments/{commitment.id}/contributions/new", data)


def test_two_contributors_and_their_shares(owner_client, bench):
    partner = make_partner("Danube E-Drive")
    db.session.commit()
    assert _add(owner_client, bench, amount="1800000", paid_to_date="900000").status_code == 302
    response = _add(owner_client, bench, partner_id=str(partner.id), amount="600000")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/commitments/{bench.id}#funding"
    html = owner_client.get(f"/commitments/{bench.id}").get_data(as_text=True)
    assert re.search(r"Our company.*?EUR 1,800,000.*?75%.*?EUR 900,000.*?\(50%\)", html, re.S)
    assert re.search(r"Danube E-Drive.*?EUR 600,000.*?25%.*?EUR 0.*?\(0%\)", html, re.S)
    assert "EUR 2,400,000 · 100% of budget" in html
    assert "EUR 600,000" in html and "25% of budget" in html  # spend to date
    summaries = list(db.session.scalars(select(AuditEvent.summary).order_by(AuditEvent.id)))
    assert summaries == [
        "Added contribution: Our company, EUR 1,800,000",
        "Added contribution: Danube E-Drive, EUR 600,000",
    ]


def test_contributions_over_the_budget_are_refused_with_the_figures(owner_client, bench):
    make_contribution(bench, "2000000")
    db.session.commit()
    response = _add(owner_client, bench, amount="400000.50")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Contributions would add up to EUR 2,400,000.50" in html
    assert "Our company EUR 2,000,000; this contribution EUR 400,000.50" in html
    assert "more than the budget of EUR 2,400,000 by EUR 0.50" in html
    assert 'value="400000.50"' in html  # what was typed stays
    assert _count() == 1
    assert _add(owner_client, bench, amount="400000").status_code == 302  # exactly the budget


def test_other_currencies_are_converted_before_comparing(owner_client, bench):
    make_fx_rate("CZK", "0.04", today() - timedelta(days=10))
    make_contribution(bench, "2000000")
    db.session.commit()
    # CZK 10,000,000 ≈ EUR 400,000: fits exactly.
    assert _add(owner_client, bench, amount="10000000", currency="czk").status_code == 302
    contribution = db.session.scalar(select(Contribution).where(Contribution.currency == "CZK"))
    assert contribution.amount == Decimal("10000000")
    html = owner_client.get(f"/commitments/{bench.id}").get_data(as_text=True)
    assert "CZK 10,000,000" in html and "EUR 400,000" in html
    # One more crown is too much.
    response = _add(owner_client, bench, amount="25", currency="CZK")
    html = response.get_data(as_text=True)
    assert "this contribution CZK 25 ≈ EUR 1" in html
    assert "more than the budget of EUR 2,400,000 by EUR 1" in html
    assert _count() == 2


def test_currency_without_a_rate_is_refused(owner_client, bench):
    response = _add(owner_client, bench, amount="1000", currency="PLN")
    html = response.get_data(as_text=True)
    assert "No exchange rate in force" in html and "PLN into EUR" in html
    assert _count() == 0


def test_unknown_currency_and_negative_amounts(owner_client, bench):
    html = _add(owner_client, bench, amount="10", currency="ABC").get_data(as_text=True)
    assert "is not an ISO 4217 currency code" in html
    html = _add(owner_client, bench, amount="-10").get_data(as_text=True)
    assert "no negative amounts" in html
    assert _count() == 0


def test_paid_so_far_cannot_exceed_the_contribution(owner_client, bench):
    html = _add(owner_client, bench, amount="1000", paid_to_date="1000.01").get_data(as_text=True)
    assert "Paid so far (EUR 1,000.01) is more than the contribution (EUR 1,000)." in html
    assert _count() == 0


def test_editing_a_contribution_counts_it_once(owner_client, bench):
    contribution = make_contribution(bench, "2000000")
    make_contribution(bench, "400000", partner=make_partner("STU"))
    db.session.commit()
    url = f"/contributions/{contribution.id}/edit"
    assert 'value="2000000"' in owner_client.get(url).get_data(as_text=True)
    data = {"partner_id": "", "amount": "1900000", "currency": "EUR", "paid_to_date": "100"}
    assert post_form(owner_client, url, data).status_code == 302
    event = db.session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()))
    assert event.summary == "Edited contribution of Our company"
    assert event.stored_change("amount") == ("2000000.00", "1900000.00")
    assert event.changes["amount"]["new_text"] == "EUR 1,900,000"
    assert event.entity_type == "contributions" and event.parent_id == bench.id
    data["amount"] = "2000000.01"
    assert "by EUR 0.01" in post_form(owner_client, url, data).get_data(as_text=True)


def test_remove_contribution_asks_first(owner_client, bench):
    contribution = make_contribution(bench, "1000", partner=make_partner("STU"))
    db.session.commit()
    url = f"/contributions/{contribution.id}/delete"
    page = owner_client.get(url).get_data(as_text=True)
    assert "Remove the contribution of STU (EUR 1,000)?" in page
    assert _count() == 1
    assert post_form(owner_client, url, {}).status_code == 302
    assert _count() == 0
    event = db.session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()))
    assert event.summary == "Removed contribution: STU, EUR 1,000"


def test_overspend_turns_the_page_red(viewer_client):
    commitment = make_commitment(
        "co_investment", budget=Decimal("1000"), spend_to_date=Decimal("1000.01")
    )
    db.session.commit()
    html = viewer_client.get(f"/commitments/{commitment.id}").get_data(as_text=True)
    assert "over budget" in html
    assert "exceeds the budget of EUR 1,000 by EUR 0.01" in html
