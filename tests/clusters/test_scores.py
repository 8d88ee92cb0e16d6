"""The scorecard of a hand-built cluster against figures worked out on paper (see
`conftest.cluster`), and what a what-if takes away."""

import pytest

from tests.clusters.conftest import link, provide
from tests.factories import make_partner
from tracker.clusters import scores, services
from tracker.partners.models import PartnerKind


def _row(portfolio, region):
    return next(r for r in scores.scorecard(portfolio) if r.place.id == region.id)


def test_each_measure_of_a_hand_built_cluster(cluster, weights):
    row = _row(services.portfolio(), cluster.region)
    by_hand = {
        # cells and the hub of {cells, molds, hub, lab}: the molds come from China.
        "completeness": 100 * 2 / 4,
        # Module Maker → Cell Maker → Tool Shop, all in the region, of 3 layers aimed for.
        "depth": 100 * 3 / 3,
        # one logistics provider, no lab; two of each count in full.
        "nodes": 100 * (1 + 0) / 4,
        # the agency engaged 10 days ago on a 30-day cadence; the alliance never.
        "engagement": 100 * 1 / 2,
        # one awarded, one identified.
        "incentives": 100 * 1 / 2,
        # the one Tier-1 holds the anchor.
        "anchors": 100.0,
        # 40 training places for 100 jobs committed.
        "workforce": 100 * 40 / 100,
        # three links of the region's buyers, one of them to China.
        "offshore": 100 * (1 - 1 / 3),
    }
    assert {key: cell.score for key, cell in row.cells.items()} == pytest.approx(by_hand)
    # (50 × 30 + 100 × 10 + 25 × 10 + 50 × 10 + 50 × 10 + 100 × 10 + 40 × 10 + 66.67 × 10) ÷ 100
    assert row.overall == pytest.approx(58.1667, abs=1e-4)
    assert row.cells["completeness"].figure == "2 of 4"
    assert "Missing: Battery testing lab, Mold-making." in row.cells["completeness"].why
    assert row.why.endswith("÷ 100 = 58")


def test_measures_that_do_not_apply_share_their_weight(cluster, weights):
    row = _row(services.portfolio(), cluster.other)  # nothing in it yet
    assert row.cells["workforce"].score is None  # no jobs committed
    assert row.cells["offshore"].score is None  # no supply links
    assert row.cells["completeness"].score == 0
    assert row.overall == 0
    assert row.why.endswith("÷ 80 = 0")
    cells = {
        "completeness": scores.Cell(50.0, "", ""),
        "workforce": scores.Cell(None, "", ""),
        "offshore": scores.Cell(100.0, "", ""),
    }
    score, why = scores.overall(cells, {"completeness": 30, "workforce": 60, "offshore": 10})
    assert score == pytest.approx((50 * 30 + 100 * 10) / 40)
    assert why == "(50 × 30 + 100 × 10) ÷ 40 = 62"


def test_weights_change_the_overall_score_only(cluster, weights):
    before = _row(services.portfolio(), cluster.region)
    from tracker.clusters import operations

    operations.set_weights({**weights, "completeness": 10, "anchors": 30}, actor=None)
    after = _row(services.portfolio(), cluster.region)
    assert {k: c.score for k, c in after.cells.items()} == {
        k: c.score for k, c in before.cells.items()
    }
    # 20 points moved from completeness (50) to anchors (100): +10.
    assert after.overall == pytest.approx(before.overall + 10)


def test_the_offshore_link_is_flagged_with_its_chain_and_value(cluster):
    flagged = services.dependencies()
    assert [(d.reach, d.link.supplier_id) for d in flagged] == [(scores.OFFSHORE, cluster.mould.id)]
    assert flagged[0].chains == [["Anchor – modules", "Module Maker", "Dongguan Mould"]]
    assert str(flagged[0].value) == "1000000.00"
    assert flagged[0].volumes == "1,200 modules a year"


def test_a_link_within_the_bloc_but_outside_the_region_is_flagged_softer(cluster):
    slovak = make_partner(
        "Slovak Lab",
        kind=PartnerKind.TESTING_CERTIFICATION,
        country_code="SK",
        region_id=cluster.other.id,
    )
    provide(slovak, cluster.capabilities["lab"])
    link(cluster.t1, slovak, cluster.capabilities["lab"])
    reaches = {d.link.supplier_id: d.reach for d in services.dependencies()}
    assert reaches == {cluster.mould.id: scores.OFFSHORE, slovak.id: scores.OUT_OF_REGION}
    row = _row(services.portfolio(), cluster.region)
    # Four links now: one offshore, one outside the region only.
    assert row.cells["offshore"].score == pytest.approx(100 * (1 - (1 + 0.5) / 4))


def test_removing_a_tier2_names_the_anchors_that_lose_supply(cluster):
    portfolio = services.portfolio()
    comparison = scores.what_if(
        portfolio, scores.WhatIf(remove_partners=frozenset({cluster.t2.id}))
    )
    assert [(loss.anchor.id, loss.reason) for loss in comparison.lost] == [
        (cluster.anchor.id, "Module Maker loses Cell manufacturing: Cell Maker is taken out")
    ]
    after = comparison.after[cluster.region.id]
    assert after.cells["completeness"].score == pytest.approx(25.0)  # the cells are gone
    assert comparison.delta(cluster.region.id, "completeness") == pytest.approx(-25.0)
    # Nothing was written: the real scorecard is unchanged.
    assert _row(services.portfolio(), cluster.region).cells["completeness"].score == 50.0


def test_a_break_further_down_reaches_the_anchor(cluster):
    portfolio = services.portfolio()
    comparison = scores.what_if(
        portfolio, scores.WhatIf(remove_partners=frozenset({cluster.t3.id}))
    )
    assert [loss.reason for loss in comparison.lost] == [
        "Module Maker loses Cell manufacturing: Cell Maker loses Tooling: Tool Shop is taken out"
    ]


def test_a_second_supplier_keeps_the_anchor_supplied(cluster):
    spare = make_partner(
        "Spare Cells", kind=PartnerKind.TIER2_SUPPLIER, region_id=cluster.region.id
    )
    provide(spare, cluster.capabilities["cells"])
    link(cluster.t1, spare, cluster.capabilities["cells"])
    portfolio = services.portfolio()
    comparison = scores.what_if(
        portfolio, scores.WhatIf(remove_partners=frozenset({cluster.t2.id}))
    )
    assert comparison.lost == []


def test_taking_a_region_out_and_adding_a_supplier(cluster):
    portfolio = services.portfolio()
    lab = cluster.capabilities["lab"]
    comparison = scores.what_if(
        portfolio,
        scores.WhatIf(
            add_region_id=cluster.other.id,
            add_name="New lab",
            add_capabilities=frozenset({lab.id}),
            remove_regions=frozenset({cluster.region.id}),
        ),
    )
    assert comparison.after[cluster.region.id].removed
    assert [loss.reason for loss in comparison.lost] == ["Module Maker is taken out"]
    # The new lab makes one of four required capabilities in Bratislava, and a testing node.
    other = comparison.after[cluster.other.id]
    assert other.cells["completeness"].score == pytest.approx(25.0)
    assert other.cells["nodes"].score == pytest.approx(25.0)
