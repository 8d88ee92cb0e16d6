"""The dashboard, everything due, status pages and the home page's own work."""

import json
import re
from datetime import date, timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import select

from tests.factories import (
    make_commitment,
    make_engagement,
    make_follow_up,
    make_fx_rate,
    make_incentive,
    make_milestone,
    make_obligation,
    make_partner,
    make_region,
    make_user,
)
from tracker.core.types import today
from tracker.extensions import db
from tracker.partners.models import Partner
from tracker.reports import services


def _portfolio():
    """A small portfolio with hand-countable figures (rates: HUF 0.0025, CZK 0.04 EUR)."""
    t = today()
    make_fx_rate("HUF", "0.0025", t - timedelta(days=400))
    make_fx_rate("CZK", "0.04", t - timedelta(days=400))
    region = make_region("Győr–Moson–Sopron", "HU")
    agency = make_partner("HIPA", region_id=region.id)
    owner = make_user("owner", name="Jan Dvořák")
    # Secured: HUF 4,000,000 (EUR 10,000) awarded, HUF 1,000,000 (EUR 2,500) received.
    grant = make_incentive(
        agency,
        currency="HUF",
        status="in_compliance",
        region_id=region.id,
        amount_awarded=Decimal("4000000"),
        amount_received=Decimal("1000000"),
        clawback_rule="pro_rata",
        awarded_on=t - timedelta(days=100),
    )
    # 60 of 100 jobs → 40 % of the HUF 1,000,000 received = HUF 400,000 = EUR 1,000.
    make_obligation(grant, target=100, actual=60, due_on=t + timedelta(days=300))
    # Pipeline: CZK 500,000 offered = EUR 20,000.
    make_incentive(agency, currency="CZK", status="submitted", amount_offered=Decimal("500000"))
    # A PLN award with no rate: left out and named.
    make_incentive(agency, currency="PLN", status="awarded", amount_awarded=Decimal("1000"))

    red = make_commitment(
        "co_investment",
        owner=owner,
        counterparty=agency,
        value=Decimal("100"),
        currency="EUR",
        region_id=region.id,
    )
    make_milestone(red, due_on=t - timedelta(days=3), title="Late one")
    green = make_commitment(
        "co_investment", owner=owner, counterparty=agency, value=Decimal("50"), currency="EUR"
    )
    make_milestone(green, due_on=t + timedelta(days=60), title="Far one")
    engagement = make_engagement([agency], occurred_on=t - timedelta(days=5))
    make_follow_up(engagement, owner=owner, due_on=t - timedelta(days=40), title="Very late")
    make_follow_up(engagement, owner=owner, due_on=t + timedelta(days=10), title="Soon")
    db.session.commit()
    return region, agency, owner


def test_dashboard_figures_against_hand_computed_values(viewer_client):
    _portfolio()
    d = services.dashboard()
    assert d.secured.amount == Decimal("10000.00")
    assert d.secured.missing == {"PLN": Decimal("1000")}
    assert d.received.amount == Decimal("2500.00")
    assert d.pipeline.amount == Decimal("20000.00")
    assert d.at_risk.amount == Decimal("1000.00")
    assert (d.health["red"].count, d.health["green"].count) == (1, 1)
    assert d.health["red"].value.amount == Decimal("100")
    assert d.overdue_by_kind == {"Milestone due": 1, "Follow up due": 1}
    assert d.next30_by_kind["Follow up due"] == 1
    five_days_ago = services.month_key(today() - timedelta(days=5))
    assert dict(d.engagements_by_month)[five_days_ago] == 1
    assert sum(count for _, count in d.engagements_by_month) == 1
    region_row = next(r for r in d.regions if r["region"].name == "Győr–Moson–Sopron")
    assert region_row["partners"] == 1 and region_row["commitments"] == 1
    assert region_row["secured"].amount == Decimal("10000.00")

    html = viewer_client.get("/dashboard").get_data(as_text=True)
    assert "EUR 10,000" in html and "EUR 20,000" in html and "EUR 1,000" in html
    assert "No EUR rate in force for PLN" in html
    assert 'id="chart-data"' in html and "vendor/chartjs/chart.umd.min.js" in html
    data = re.search(r'<script type="application/json" id="chart-data">(.*?)</script>', html)
    assert json.loads(data.group(1))["health"]["values"] == [1, 0, 1]


def test_dashboard_query_count_does_not_grow_with_ten_times_the_data(viewer_client, count_queries):
    def grow(n):
        agency = make_partner()
        owner = make_user("owner")
        for i in range(n):
            incentive = make_incentive(
                agency,
                status="in_compliance",
                amount_awarded=Decimal(100),
                clawback_rule="pro_rata",
            )
            make_obligation(incentive, target=10, actual=i % 10)
            commitment = make_commitment("co_investment", owner=owner, counterparty=agency)
            make_milestone(commitment, due_on=today() + timedelta(days=i - 5))
            make_follow_up(
                make_engagement([agency]), owner=owner, due_on=today() + timedelta(days=i)
            )
        db.session.commit()

    grow(3)
    viewer_client.get("/dashboard")
    with count_queries() as small:
        assert viewer_client.get("/dashboard").status_code == 200
    grow(27)
    with count_queries() as large:
        assert viewer_client.get("/dashboard").status_code == 200
    assert small.count == large.count


def test_viewers_land_on_the_dashboard_and_others_on_their_work(viewer_client, client):
    assert viewer_client.get("/").headers["Location"] == "/dashboard"
    region, agency, owner = _portfolio()
    from tests.conftest import login
    from tests.factories import PASSWORD

    login(client, owner.email, PASSWORD)
    html = client.get("/").get_data(as_text=True)
    work = html[html.index('id="my-work"') : html.index("Areas</h2>")]
    assert "Very late" in work and "40 overdue" in work
    assert "Late one" in work  # the red commitment's milestone is the owner's
    assert "Soon" in work


def test_due_lists_every_open_item_with_filters_sorting_and_aging(viewer_client):
    _portfolio()
    html = viewer_client.get("/due").get_data(as_text=True)
    for title in ("Very late", "Soon", "Late one", "Far one"):
        assert title in html
    assert "Overdue 31–60 days" in html
    bands = {
        label: count for label, count, _ in services.aging(services.due_query(today()), today())
    }
    assert bands == {"1–30 days": 1, "31–60 days": 1, "over 60 days": 0}

    overdue = viewer_client.get("/due?window=overdue").get_data(as_text=True)
    assert "Very late" in overdue and "Soon" not in overdue
    follow_ups = viewer_client.get("/due?kind=follow_up_due").get_data(as_text=True)
    assert "Late one" not in follow_ups and "Very late" in follow_ups
    newest_first = viewer_client.get("/due?sort=date&dir=desc").get_data(as_text=True)
    assert newest_first.index("Far one") < newest_first.index("Very late")
    assert viewer_client.get("/due?kind=nonsense&window=bogus&sort=x").status_code == 200


def test_partner_status_page_reads_in_a_minute(viewer_client):
    _, agency, _ = _portfolio()
    html = viewer_client.get(f"/partners/{agency.id}/status").get_data(as_text=True)
    for text in (
        "Last engagement 5 days ago",
        "In compliance",
        "HUF 4,000,000",
        "≈ EUR 10,000",
        "Late one",
        "Very late",
        "40 days overdue",
    ):
        assert text in html, text
    assert viewer_client.get("/partners/99999/status").status_code == 404


def test_region_page_totals_everything_in_the_region(viewer_client):
    region, agency, _ = _portfolio()
    make_partner("Elsewhere", country_code="SK")
    db.session.commit()
    html = viewer_client.get(f"/regions/{region.id}").get_data(as_text=True)
    assert "HIPA" in html and "Elsewhere" not in html
    assert "EUR 10,000" in html  # the HUF award in the region
    assert "EUR 1,000" in html  # its exposure
    assert "EUR 100" in html  # the red commitment's value
    assert viewer_client.get("/regions/99999").status_code == 404


def test_region_page_and_dashboard_count_the_same_things(viewer_client):
    """A clawed-back incentive and a cancelled commitment count on neither page."""
    region, agency, owner = _portfolio()
    make_incentive(
        agency,
        region_id=region.id,
        status="clawed_back",
        currency="EUR",
        amount_awarded=Decimal("777000"),
    )
    make_commitment(
        "co_location",
        owner=owner,
        counterparty=agency,
        region_id=region.id,
        status="cancelled",
        value=Decimal("555000"),
        currency="EUR",
    )
    db.session.commit()
    dashboard_row = next(r for r in services.dashboard().regions if r["region"].id == region.id)
    html = viewer_client.get(f"/regions/{region.id}").get_data(as_text=True)
    totals = html.split('<section class="totals">')[1].split("</section>")[0]
    assert "777,000" not in totals and "555,000" not in totals
    assert f"{dashboard_row['secured'].amount:,.0f}" in totals
    assert f"<strong>{dashboard_row['commitments']} · " in totals
    assert f"<strong>{dashboard_row['partners']}</strong>" in totals


def test_month_keys():
    assert services.last_months(date(2026, 2, 15), 3) == ["2025-12", "2026-01", "2026-02"]
    assert services.month_key(date(2026, 2, 15)) == "2026-02"
    assert db.session.scalars(select(Partner)).all() == []


def test_home_shows_what_the_partners_a_manager_looks_after_owe(manager_client):
    me = manager_client.user
    partner = make_partner("Looked after", owner_id=me.id)
    someone = make_user("owner", name="Someone Else")
    make_follow_up(
        make_engagement([partner]),
        owner=someone,
        due_on=today() - timedelta(days=2),
        title="Their late action",
    )
    make_follow_up(
        make_engagement([make_partner("Not mine")]),
        owner=someone,
        due_on=today() - timedelta(days=2),
        title="Unrelated action",
    )
    db.session.commit()
    html = manager_client.get("/").get_data(as_text=True)
    work = html[html.index('id="my-work"') : html.index("Areas</h2>")]
    assert "Their late action" in work and "Unrelated action" not in work
    follow_ups = work[work.index("My open follow-ups") :]
    assert "Their late action" not in follow_ups.split("My alerts")[0]  # not my follow-up


def test_due_mine_keeps_my_items_and_my_partners(manager_client):
    me = manager_client.user
    partner = make_partner("Looked after", owner_id=me.id)
    make_follow_up(
        make_engagement([partner]),
        owner=make_user("owner"),
        due_on=today() + timedelta(days=3),
        title="Partner's action",
    )
    make_follow_up(
        make_engagement([make_partner()]),
        owner=me,
        due_on=today() + timedelta(days=3),
        title="My own action",
    )
    make_follow_up(
        make_engagement([make_partner()]),
        owner=make_user("owner"),
        due_on=today() + timedelta(days=3),
        title="Nobody's business",
    )
    db.session.commit()
    html = manager_client.get("/due?mine=1").get_data(as_text=True)
    assert "Partner&#39;s action" in html and "My own action" in html
    assert "Nobody&#39;s business" not in html


def test_due_filters_go_through_a_form_and_bad_values_fall_back(viewer_client):
    _portfolio()
    db.session.commit()
    html = viewer_client.get("/due?window=overdue").get_data(as_text=True)
    assert '<option selected value="overdue">' in html
    response = viewer_client.get("/due?window=forever&kind=bogus&owner_id=abc")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Not a valid choice" in html  # the form says what it refused


def test_status_pages_list_the_first_rows_of_each_section_and_link_to_all(
    viewer_client, count_queries
):
    """A region's page lists its first PAGE_SIZE partners, incentives and commitments with
    their stored judgements and links to the filtered lists for the rest; its cost does not
    grow with the region."""
    region, agency, owner = _portfolio()
    shown = current_app.config["PAGE_SIZE"]

    def grow(start: int, count: int) -> None:
        for n in range(start, start + count):
            make_partner(f"Partner {n:03d}", country_code=region.country_code, region_id=region.id)
            make_incentive(agency, region_id=region.id, title=f"Grant {n:03d}")
            make_commitment(
                "co_location",
                owner=owner,
                counterparty=agency,
                region_id=region.id,
                title=f"Site {n:03d}",
            )
        db.session.commit()

    grow(0, shown + 5)
    with count_queries() as small:
        html = viewer_client.get(f"/regions/{region.id}").get_data(as_text=True)
    for noun, endpoint, key in (
        ("partners", "partners", "region_id"),
        ("incentives", "incentives", "region_id"),
        ("commitments", "commitments", "region_id"),
    ):
        total = html.count(f"/{endpoint}?{key}={region.id}")
        assert total == 1, noun
    assert html.count("The first 50 of ") == 3
    assert "Site 000" in html and f"Site {shown + 4:03d}" not in html

    grow(shown + 5, shown)
    with count_queries() as large:
        assert viewer_client.get(f"/regions/{region.id}").status_code == 200
    assert large.count == small.count
