"""Shorter routes, measured: distances and emissions against figures worked out by hand."""

import math
from decimal import Decimal

import pytest

from tracker.clusters import routes, services
from tracker.partners import operations as partner_operations

ONE_DEGREE_KM = 6371.0088 * math.pi / 180  # 111.195 km along a meridian
TABLE = routes.factors({"road": (0.107, 1.2), "sea": (0.016, 1.8)})


def test_a_degree_of_latitude_is_111_km():
    assert routes.great_circle_km((47.0, 17.0), (48.0, 17.0)) == pytest.approx(111.195, abs=1e-3)
    # A quarter of the way round the equator.
    assert routes.great_circle_km((0.0, 0.0), (0.0, 90.0)) == pytest.approx(10007.557, abs=1e-3)


def test_an_emission_saving_worked_out_by_hand():
    now = routes.Leg((47.0, 17.0), (48.0, 17.0), "road", Decimal(100))
    before = routes.Leg((28.0, 17.0), (48.0, 17.0), "sea", Decimal(100))
    estimate = routes.Estimate(now, before, TABLE)
    # 111.195 km × 1.2 × 100 t × 0.107 kg ÷ 1000 = 1.4278 t CO2e a year
    assert estimate.emissions == pytest.approx(1.42776, abs=1e-4)
    # 20 degrees: 2,223.90 km × 1.8 × 100 t × 0.016 kg ÷ 1000 = 6.4048 t
    assert estimate.replaced_emissions == pytest.approx(6.40483, abs=1e-4)
    assert estimate.saving == pytest.approx(6.40483 - 1.42776, abs=1e-4)


def test_a_leg_says_what_keeps_it_from_an_estimate():
    assert routes.Leg(None, (1.0, 1.0), "road", Decimal(1)).missing() == (
        "the origin is not placed on the map"
    )
    assert routes.Leg((1.0, 1.0), (1.0, 1.0), None, Decimal(1)).missing() == "no transport mode"
    assert routes.Leg((1.0, 1.0), (1.0, 1.0), "road", None).emissions(TABLE) is None


def test_routes_of_the_cluster_with_region_and_portfolio_totals(cluster, app):
    partner_operations.update_region(
        cluster.region, {"latitude": Decimal("48"), "longitude": Decimal("17")}, actor=None
    )
    partner_operations.update_partner(
        cluster.t3, {"latitude": Decimal("47"), "longitude": Decimal("17")}, actor=None
    )
    tooling = next(r for r in services.route_rows() if r.what == "Tooling")
    assert tooling.missing == "no tonnage"
    from tracker.clusters import operations

    link_record = operations.update_supply_link(
        services.bought(cluster.t2)[0],
        {"annual_tonnage": Decimal(100), "transport_mode": "road", "replaced_country": "CN"},
        actor=None,
    )
    assert link_record.replaced_mode is None  # the replaced route goes by sea by default
    tooling = next(r for r in services.route_rows() if r.what == "Tooling")
    # Tool Shop's own site (47 N) to Cell Maker, at its region's centre (48 N).
    assert tooling.estimate.emissions == pytest.approx(1.42776, abs=1e-4)
    china = routes.country_point("CN")
    assert 20 < china[0] < 45 and 75 < china[1] < 135
    sea = routes.factors(app.config["EMISSION_FACTORS"])["sea"]
    expected = routes.tonnes_co2e(routes.great_circle_km(china, (48.0, 17.0)), 100, sea)
    assert tooling.estimate.replaced_emissions == pytest.approx(expected)
    by_region, total = services.route_totals(services.route_rows())
    assert by_region["Győr"].estimated == 1 and total.estimated == 1
    assert total.saving == pytest.approx(expected - 1.42776, abs=1e-4)
    # The two other links and the anchor commitment carry no tonnage yet.
    assert by_region["Győr"].not_estimated == 3


def test_an_anchor_commitment_keeps_its_route_to_the_same_rule(cluster):
    from tracker.commitments import operations as commitment_operations
    from tracker.core.errors import DomainError

    for field, value in (("transport_mode", "teleport"), ("replaced_country", "XX")):
        with pytest.raises(DomainError) as caught:
            commitment_operations.update_commitment(cluster.anchor, {field: value}, actor=None)
        assert (caught.value.field, caught.value.message) == (field, "Not a valid choice.")
    commitment_operations.update_commitment(
        cluster.anchor,
        {"annual_tonnage": Decimal(50), "transport_mode": "rail", "replaced_country": "KR"},
        actor=None,
    )
    anchor = next(r for r in services.route_rows() if r.kind == "anchor")
    assert (anchor.estimate.now.mode, anchor.replaced_country) == ("rail", "KR")
