"""API clients holding a personal token per role, and a small portfolio to act on."""

from datetime import timedelta
from decimal import Decimal

import pytest

from tests.factories import (
    make_engagement,
    make_follow_up,
    make_fx_rate,
    make_partner,
    make_region,
    make_user,
)
from tracker.auth import operations
from tracker.core.types import today
from tracker.extensions import db


class ApiClient:
    """A test client that sends its token with every request (no cookie, no CSRF token)."""

    def __init__(self, app, secret: str, user):
        self.client = app.test_client()
        self.secret = secret
        self.user = user

    def open(self, method: str, path: str, *, headers=None, **kwargs):
        headers = {"Authorization": f"Bearer {self.secret}", **(headers or {})}
        return self.client.open(path, method=method, headers=headers, **kwargs)

    def get(self, path, **kwargs):
        return self.open("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.open("POST", path, **kwargs)

    def put(self, path, **kwargs):
        return self.open("PUT", path, **kwargs)

    def patch(self, path, **kwargs):
        return self.open("PATCH", path, **kwargs)

    def delete(self, path, **kwargs):
        return self.open("DELETE", path, **kwargs)


def token_for(user, *, read_only: bool = False, expires_on=None) -> str:
    _token, secret = operations.create_token(
        user, "tests", read_only=read_only, expires_on=expires_on, actor=user
    )
    db.session.commit()
    return secret


def api_client_for(app, role: str, *, read_only: bool = False) -> ApiClient:
    user = make_user(role)
    return ApiClient(app, token_for(user, read_only=read_only), user)


@pytest.fixture
def admin_api(app):
    return api_client_for(app, "admin")


@pytest.fixture
def manager_api(app):
    return api_client_for(app, "manager")


@pytest.fixture
def owner_api(app):
    return api_client_for(app, "owner")


@pytest.fixture
def viewer_api(app):
    return api_client_for(app, "viewer")


@pytest.fixture
def read_only_api(app):
    return api_client_for(app, "admin", read_only=True)


@pytest.fixture
def portfolio(app):
    """One of each record the API serves, ids 1 on a fresh database."""
    region = make_region("Győr-Moson-Sopron", "HU")
    partner = make_partner("Győr Agency", region=region)
    engagement = make_engagement([partner], subject="Kick-off")
    make_follow_up(engagement, title="Send the site list")
    from tracker.partners.models import Contact

    db.session.add(Contact(partner=partner, name="Anna Kovács", email="anna@example.com"))
    incentive = _awarded_grant(partner)
    _commitments(partner, region)
    make_fx_rate("HUF", "0.0025", today() - timedelta(days=30))
    db.session.commit()
    return {"region": region, "partner": partner, "engagement": engagement, "incentive": incentive}


def _awarded_grant(partner):
    """An awarded grant with an obligation, a report, a promise and a tranche, made as the
    pages make them."""
    from tracker.incentives import operations as incentives

    day = today()
    incentive = incentives.create_incentive(
        {
            "title": "Battery plant grant",
            "kind": "grant",
            "granting_partner_id": partner.id,
            "currency": "EUR",
            "amount_offered": Decimal("2000000"),
            "amount_awarded": Decimal("1500000"),
            "term_start_on": day - timedelta(days=400),
            "term_end_on": day + timedelta(days=1000),
            "status": "awarded",
            "identified_on": day - timedelta(days=500),
            "awarded_on": day - timedelta(days=400),
        },
        actor=None,
    )
    incentives.create_obligation(
        incentive,
        {
            "kind": "jobs",
            "target_value": Decimal(120),
            "unit": "jobs",
            "due_on": day + timedelta(days=700),
        },
        actor=None,
    )
    incentives.schedule_reports(
        incentive, "Annual report", day + timedelta(days=30), "once", None, actor=None
    )
    incentives.create_promise(
        incentive,
        {
            "kind": "disbursement",
            "description": "Second tranche",
            "due_on": day + timedelta(days=90),
            "amount": Decimal("500000"),
        },
        actor=None,
    )
    incentives.add_disbursement(
        incentive, {"paid_on": day - timedelta(days=300), "amount": Decimal("1000000")}, actor=None
    )
    return incentive


def _commitments(partner, region):
    """A co-investment with a contribution and a milestone, and an anchor volume."""
    from tracker.commitments import operations as commitments

    owner = make_user("owner")
    day = today()
    co_investment = commitments.create_commitment(
        "co_investment",
        {
            "title": "Test lab co-investment",
            "counterparty_id": partner.id,
            "region_id": region.id,
            "owner_id": owner.id,
            "currency": "EUR",
            "budget": Decimal("800000"),
            "spend_to_date": Decimal("100000"),
            "start_on": day - timedelta(days=100),
            "end_on": day + timedelta(days=500),
        },
        actor=None,
    )
    commitments.create_contribution(
        co_investment, {"partner_id": partner.id, "amount": Decimal("200000")}, actor=None
    )
    commitments.create_milestone(
        co_investment, {"title": "Lab opens", "due_on": day + timedelta(days=60)}, actor=None
    )
    supplier = make_partner("Cell Supplier Kft.", kind="tier1_supplier", region=region)
    commitments.create_commitment(
        "anchor_volume",
        {
            "title": "Cells offtake",
            "counterparty_id": supplier.id,
            "owner_id": owner.id,
            "currency": "EUR",
            "value": Decimal("5000000"),
            "committed_volume": Decimal("1000"),
            "volume_unit": "t",
            "volume_period": "year",
            "volume_taken": Decimal("200"),
            "start_on": day - timedelta(days=100),
            "end_on": day + timedelta(days=500),
        },
        actor=None,
    )
