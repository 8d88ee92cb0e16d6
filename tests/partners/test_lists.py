"""Partner and engagement lists: search, filters, sorting, pagination, query counts."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import make_engagement, make_partner, make_region, make_user
from tracker.core.types import today
from tracker.extensions import db
from tracker.partners.models import Engagement, Partner, PartnerStatus

ROW_LINK = re.compile(r'<td><a href="/partners/(\d+)">([^<]+)</a></td>')
ENGAGEMENT_LINK = re.compile(r'<td><a href="/engagements/(\d+)">')


@pytest.fixture
def seeded(runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0


def _names(client, query: str = "") -> list[str]:
    html = client.get(f"/partners{query}").get_data(as_text=True)
    return [name.replace("&amp;", "&") for _, name in ROW_LINK.findall(html)]


def _visible(statement):
    return statement.where(Partner.status != PartnerStatus.ARCHIVED)


def test_default_list_shows_every_unarchived_partner_sorted_by_name(seeded, viewer_client):
    expected = list(
        db.session.scalars(_visible(select(Partner.name)).order_by(func.lower(Partner.name)))
    )
    assert _names(viewer_client) == expected
    html = viewer_client.get("/partners").get_data(as_text=True)
    assert f"1–{len(expected)} of {len(expected)} partners" in html


def test_search_matches_name_case_insensitively(seeded, viewer_client):
    assert _names(viewer_client, "?q=hipa") == ["HIPA – Hungarian Investment Promotion Agency"]
    assert _names(viewer_client, "?q=zzzz-nothing") == []
    assert "No partners match these filters." in viewer_client.get("/partners?q=zzzz").get_data(
        as_text=True
    )


def test_filters_by_kind_region_country_status_and_owner(seeded, viewer_client):
    def expect(statement):
        return sorted(db.session.scalars(statement), key=str.lower)

    tier1 = expect(_visible(select(Partner.name).where(Partner.kind == "tier1_supplier")))
    assert sorted(_names(viewer_client, "?kind=tier1_supplier"), key=str.lower) == tier1
    assert tier1

    mx = expect(_visible(select(Partner.name).where(Partner.country_code == "MX")))
    assert sorted(_names(viewer_client, "?country_code=MX"), key=str.lower) == mx

    region_id = db.session.scalar(select(Partner.region_id).where(Partner.name.like("HIPA%")))
    in_region = expect(_visible(select(Partner.name).where(Partner.region_id == region_id)))
    assert sorted(_names(viewer_client, f"?region_id={region_id}"), key=str.lower) == in_region

    dormant = expect(select(Partner.name).where(Partner.status == "dormant"))
    assert sorted(_names(viewer_client, "?status=dormant"), key=str.lower) == dormant

    owner_id = db.session.scalar(select(Partner.owner_id).where(Partner.owner_id.is_not(None)))
    owned = expect(_visible(select(Partner.name).where(Partner.owner_id == owner_id)))
    assert sorted(_names(viewer_client, f"?owner_id={owner_id}"), key=str.lower) == owned

    combined = _names(viewer_client, f"?kind=tier1_supplier&country_code=MX&owner_id={owner_id}")
    assert set(combined) <= set(tier1) & set(mx) & set(owned)


def test_bad_filter_values_show_a_message_not_an_error(seeded, viewer_client):
    response = viewer_client.get("/partners?kind=spaceship&region_id=abc")
    assert response.status_code == 200
    assert "Not a valid choice" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "key",
    [
        "name",
        "kind",
        "country",
        "region",
        "status",
        "owner",
        "last",
        "recent",
        "followups",
        "next",
        "health",
    ],
)
def test_every_column_sorts_both_ways(seeded, viewer_client, key):
    ascending = _names(viewer_client, f"?sort={key}&dir=asc")
    descending = _names(viewer_client, f"?sort={key}&dir=desc")
    assert sorted(ascending) == sorted(descending) == sorted(_names(viewer_client))


def test_sort_by_health_puts_the_neediest_first(seeded, viewer_client):
    html = viewer_client.get("/partners?sort=health&dir=asc").get_data(as_text=True)
    order = ["Dormant", "Overdue", "Due", "On cadence"]
    labels = re.findall(r'class="badge [a-z]+"[^>]*>(Dormant|Overdue|Due|On cadence)</span>', html)
    assert len(set(labels)) >= 3
    assert labels == sorted(labels, key=order.index)


def test_sort_by_name_descending_reverses(seeded, viewer_client):
    assert _names(viewer_client, "?sort=name&dir=desc") == list(reversed(_names(viewer_client)))


def test_sort_by_last_engagement_puts_most_recent_first(seeded, viewer_client):
    html = viewer_client.get("/partners?sort=last&dir=desc").get_data(as_text=True)
    dates = re.findall(
        r"<td class=\"date\">(\d{4}-\d\d-\d\d|never)</td>\s*<td class=\"num\">", html
    )
    real = [d for d in dates if d != "never"]
    assert real == sorted(real, reverse=True)
    assert dates[len(real) :] == ["never"] * (len(dates) - len(real))  # empty values last


def test_pagination_50_a_page_with_links_and_total(viewer_client):
    region = make_region("Nuevo León", "MX")
    for n in range(120):
        make_partner(
            f"Supplier {n:03d}", kind="tier2_supplier", country_code="MX", region_id=region.id
        )
    db.session.commit()
    first = viewer_client.get("/partners").get_data(as_text=True)
    assert "1–50 of 120 partners" in first
    assert 'href="/partners?page=2"' in first and 'href="/partners?page=3"' in first
    assert len(ROW_LINK.findall(first)) == 50
    third = viewer_client.get("/partners?page=3").get_data(as_text=True)
    assert "101–120 of 120 partners" in third
    assert [name for _, name in ROW_LINK.findall(third)][0] == "Supplier 100"
    # Filters survive paging.
    filtered = viewer_client.get("/partners?q=supplier+0&page=1").get_data(as_text=True)
    assert "1–50 of 100 partners" in filtered  # Supplier 000 to 099
    assert re.search(r'href="/partners\?q=supplier(\+|%20)0&amp;page=2"', filtered)


def _grow_partners(count: int) -> None:
    region = make_region(f"Region {count}", "HU")
    owner = make_user("manager")
    for n in range(count):
        partner = make_partner(f"P{count}-{n}", region_id=region.id, owner_id=owner.id)
        make_engagement([partner], occurred_on=today() - timedelta(days=n))
    db.session.commit()


@pytest.mark.parametrize("path", ["/partners", "/engagements", "/followups?scope=everyone"])
def test_list_query_count_does_not_grow_with_rows(viewer_client, count_queries, path):
    _grow_partners(5)
    viewer_client.get(path)  # warm up
    with count_queries() as small:
        assert viewer_client.get(path).status_code == 200
    _grow_partners(45)
    assert db.session.scalar(select(func.count()).select_from(Engagement)) == 50
    with count_queries() as large:
        assert viewer_client.get(path).status_code == 200
    assert small.count == large.count, (small.statements, large.statements)


def test_engagement_filters(seeded, viewer_client):
    def ids(query):
        html = viewer_client.get(f"/engagements{query}").get_data(as_text=True)
        return {int(i) for i in ENGAGEMENT_LINK.findall(html)}

    hipa = db.session.scalar(select(Partner).where(Partner.name.like("HIPA%")))
    assert ids(f"?partner_id={hipa.id}") == {
        e.id for e in db.session.scalars(select(Engagement)) if hipa in e.partners
    }
    assert ids("?kind=site_visit") == set(
        db.session.scalars(select(Engagement.id).where(Engagement.kind == "site_visit"))
    )
    start, end = today() - timedelta(days=60), today() - timedelta(days=10)
    assert ids(f"?date_from={start}&date_to={end}") == set(
        db.session.scalars(select(Engagement.id).where(Engagement.occurred_on.between(start, end)))
    )
    in_region = {
        e.id
        for e in db.session.scalars(select(Engagement))
        if any(p.region_id == hipa.region_id for p in e.partners)
    }
    assert ids(f"?region_id={hipa.region_id}") == in_region
    some = db.session.scalar(select(Engagement).where(Engagement.attendees.any()))
    attendee = some.attendees[0]
    assert ids(f"?attendee_id={attendee.id}") == {
        e.id for e in db.session.scalars(select(Engagement)) if attendee in e.attendees
    }


def test_engagement_date_range_end_before_start_gets_message(seeded, viewer_client):
    response = viewer_client.get("/engagements?date_from=2026-06-01&date_to=2026-05-01")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "The end date is before the start date." in html
    assert 'value="2026-06-01"' in html  # what was typed stays
