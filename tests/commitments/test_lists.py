"""The commitments list: filters, search, sorting, pagination, totals and query counts."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.factories import (
    make_commitment,
    make_fx_rate,
    make_milestone,
    make_partner,
    make_region,
    make_user,
)
from tracker.commitments.models import Commitment, Milestone
from tracker.core.types import today
from tracker.extensions import db

ROW_LINK = re.compile(r'<td class="title-cell"><a href="/commitments/(\d+)">([^<]+)</a></td>')


@pytest.fixture
def seeded(runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0


def _titles(client, query: str = "") -> list[str]:
    html = client.get(f"/commitments{query}").get_data(as_text=True)
    return [title.replace("&amp;", "&") for _, title in ROW_LINK.findall(html)]


def _expect(statement) -> list[str]:
    return sorted(db.session.scalars(statement), key=str.lower)


def test_default_list_shows_every_kind_sorted_by_title(seeded, viewer_client):
    expected = list(
        db.session.scalars(select(Commitment.title).order_by(func.lower(Commitment.title)))
    )
    assert _titles(viewer_client) == expected
    html = viewer_client.get("/commitments").get_data(as_text=True)
    assert f"1–{len(expected)} of {len(expected)} commitments" in html
    for kind in ("Anchor volume", "Capacity expansion", "Co-location", "Co-investment",
                 "Training programme"):  # fmt: skip
        assert f"<td>{kind}</td>" in html


def test_filters_by_kind_status_owner_counterparty_and_region(seeded, viewer_client):
    def check(query, statement):
        expected = _expect(statement)
        assert expected, query
        assert sorted(_titles(viewer_client, query), key=str.lower) == expected

    title = select(Commitment.title)
    check("?kind=co_investment", title.where(Commitment.kind == "co_investment"))
    check("?status=active", title.where(Commitment.status == "active"))
    owner_id = db.session.scalar(select(Commitment.owner_id).limit(1))
    check(f"?owner_id={owner_id}", title.where(Commitment.owner_id == owner_id))
    partner_id = db.session.scalar(
        select(Commitment.counterparty_id).where(Commitment.kind == "co_investment").limit(1)
    )
    check(f"?counterparty_id={partner_id}", title.where(Commitment.counterparty_id == partner_id))
    region_id = db.session.scalar(select(Commitment.region_id).limit(1))
    check(f"?region_id={region_id}", title.where(Commitment.region_id == region_id))
    owner_id = db.session.scalar(
        select(Commitment.owner_id).where(Commitment.kind == "anchor_volume").limit(1)
    )
    check(
        f"?kind=anchor_volume&owner_id={owner_id}",
        title.where(Commitment.kind == "anchor_volume", Commitment.owner_id == owner_id),
    )


def test_search_matches_title_description_and_counterparty(seeded, viewer_client):
    assert _titles(viewer_client, "?q=NVH") == ["Co-investment – e-drive NVH test bench"]
    assert "Co-investment – shared battery test centre, Brno" in _titles(
        viewer_client, "?q=climate+chambers"
    )  # in the description
    assert _titles(viewer_client, "?q=voltcert") == [
        "Co-investment – shared battery test centre, Brno"
    ]
    html = viewer_client.get("/commitments?q=zzzz").get_data(as_text=True)
    assert "No commitments match these filters." in html


def test_bad_filter_values_show_a_message_not_an_error(seeded, viewer_client):
    response = viewer_client.get("/commitments?kind=spaceship&owner_id=abc")
    assert response.status_code == 200
    assert "Not a valid choice" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "key",
    [
        "title",
        "kind",
        "counterparty",
        "region",
        "owner",
        "status",
        "start",
        "end",
        "next",
        "health",
    ],
)
def test_every_column_sorts_both_ways(seeded, viewer_client, key):
    ascending = _titles(viewer_client, f"?sort={key}&dir=asc")
    descending = _titles(viewer_client, f"?sort={key}&dir=desc")
    assert sorted(ascending) == sorted(descending) == sorted(_titles(viewer_client))


def test_sort_by_end_and_next_milestone(seeded, viewer_client):
    html = viewer_client.get("/commitments?sort=end&dir=asc").get_data(as_text=True)
    ends = re.findall(r'<td class="nowrap">(\d{4}-\d\d-\d\d)</td>\s*<td class="nowrap">', html)
    assert ends and ends == sorted(ends)
    titles = _titles(viewer_client, "?sort=next&dir=asc")
    # Commitments with nothing open come last.
    finished = set(
        db.session.scalars(
            select(Commitment.title).where(
                ~Commitment.milestones.any(Milestone.status.in_(("planned", "in_progress")))
            )
        )
    )
    assert set(titles[-len(finished) :]) == finished


def test_sort_by_health_puts_red_first_and_closed_last(seeded, viewer_client):
    html = viewer_client.get("/commitments?sort=health&dir=asc").get_data(as_text=True)
    order = ["Red", "Amber", "Green", "Closed"]
    labels = re.findall(r'class="badge [a-z]+"[^>]*>(Red|Amber|Green|Closed)</span>', html)
    assert len(set(labels)) >= 3
    assert labels == sorted(labels, key=order.index)


def test_health_shows_on_every_row_with_the_reason(seeded, viewer_client):
    html = viewer_client.get("/commitments").get_data(as_text=True)
    assert html.count('class="health-cell"') == len(_titles(viewer_client))
    assert re.search(r">Red</span>\s*<small class=\"muted\">“[^”]+” is \d+ days? overdue", html)


def test_value_total_converts_currencies(viewer_client):
    make_fx_rate("CZK", "0.04", today() - timedelta(days=30))
    make_commitment("co_investment", currency="EUR", budget=Decimal("1000000"))
    make_commitment("co_investment", currency="CZK", budget=Decimal("25000000"))
    make_commitment("co_location", currency="PLN", value=Decimal("500"))
    db.session.commit()
    html = viewer_client.get("/commitments").get_data(as_text=True)
    assert "Value of the 3 matching commitments:" in html
    assert "<strong>EUR 2,000,000</strong>" in html
    assert "No EUR rate in force for PLN: PLN 500 left out of this total." in html
    filtered = viewer_client.get("/commitments?currency=x&kind=co_location").get_data(as_text=True)
    assert "Value of the 1 matching commitment:" in filtered


def test_pagination_50_a_page(viewer_client):
    owner = make_user("owner")
    partner = make_partner(kind="tier1_supplier")
    for n in range(120):
        make_commitment("co_location", title=f"Site {n:03d}", owner=owner, counterparty=partner)
    db.session.commit()
    first = viewer_client.get("/commitments").get_data(as_text=True)
    assert "1–50 of 120 commitments" in first
    assert 'href="/commitments?page=3"' in first
    assert len(ROW_LINK.findall(first)) == 50
    third = viewer_client.get("/commitments?page=3").get_data(as_text=True)
    assert "101–120 of 120 commitments" in third
    assert ROW_LINK.findall(third)[0][1] == "Site 100"
    filtered = viewer_client.get("/commitments?q=site+0&page=1").get_data(as_text=True)
    assert "1–50 of 100 commitments" in filtered


def _grow(count: int) -> None:
    region = make_region(f"Region {count}")
    owner = make_user("owner")
    for n in range(count):
        kind = ("anchor_volume", "co_investment", "training_programme", "co_location")[n % 4]
        commitment = make_commitment(kind, owner=owner, region=region)
        make_milestone(commitment, due_on=today() - timedelta(days=n % 3))
        make_milestone(commitment, due_on=today() + timedelta(days=n))
    db.session.commit()


@pytest.mark.parametrize("path", ["/commitments", "/milestones?scope=everyone"])
def test_list_query_count_does_not_grow_with_rows(viewer_client, count_queries, path):
    _grow(4)
    viewer_client.get(path)  # warm up
    with count_queries() as small:
        assert viewer_client.get(path).status_code == 200
    _grow(40)
    assert db.session.scalar(select(func.count()).select_from(Commitment)) == 44
    with count_queries() as large:
        assert viewer_client.get(path).status_code == 200
    assert small.count == large.count, (small.statements, large.statements)


def test_next_milestone_is_the_earliest_not_done_or_missed(app, viewer_client):
    base = today()
    first, second, none_open = (
        make_commitment(title=title) for title in ("First", "Second", "Third")
    )
    make_milestone(first, due_on=base - timedelta(days=40), status="done", completed_on=base)
    make_milestone(first, due_on=base - timedelta(days=30), status="missed")
    make_milestone(first, due_on=base + timedelta(days=20), status="planned")
    make_milestone(first, due_on=base + timedelta(days=10), status="in_progress")
    make_milestone(second, due_on=base - timedelta(days=5), status="planned")
    make_milestone(second, due_on=base + timedelta(days=5), status="planned")
    make_milestone(none_open, due_on=base - timedelta(days=1), status="done", completed_on=base)
    db.session.commit()

    html = viewer_client.get("/commitments?sort=next&dir=asc").get_data(as_text=True)
    # the title, then the end date and the next milestone (the two "nowrap" cells)
    cells = re.findall(
        r'">(\w+)</a></td>.*?<td class="nowrap">[^<]*</td>\s*<td class="nowrap">([^<]*)', html, re.S
    )
    assert cells == [
        ("Second", (base - timedelta(days=5)).isoformat()),
        ("First", (base + timedelta(days=10)).isoformat()),
        ("Third", "—"),
    ]
