"""The cluster scorecard in the browser on the demo data: open it from the navigation, sort
it, run a what-if that takes a Tier-2 out, follow the offshore flag, look at the map."""

import pytest

from tests.browser.conftest import screenshot, sign_in
from tests.factories import PASSWORD, make_user
from tracker.extensions import db

pytestmark = pytest.mark.browser


def _regions(page) -> list[str]:
    return page.eval_on_selector_all(
        "#scorecard tbody tr td:first-child a", "links => links.map(a => a.textContent.trim())"
    )


def test_leadership_sorts_the_scorecard_and_runs_a_what_if(page, runner):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    viewer = make_user("viewer")
    db.session.commit()
    sign_in(page, viewer.email, PASSWORD)
    page.wait_for_url("**/dashboard")

    page.click("nav.mainnav >> text=Clusters")
    assert page.inner_text("h1") == "Cluster scorecard"
    # Best overall first: Győr keeps its suppliers in the region, Bratislava buys molds abroad.
    regions = _regions(page)
    assert regions.index("Győr–Moson–Sopron") < regions.index("Bratislava")
    screenshot(page, "clusters-scorecard")

    page.click("#scorecard thead a:has-text('Completeness')")
    page.wait_for_url("**sort=completeness**")
    completeness = page.eval_on_selector_all(
        "#scorecard tbody tr td:nth-child(3) summary strong",
        "cells => cells.map(c => Number(c.textContent))",
    )
    assert completeness == sorted(completeness)
    page.click("#scorecard thead a:has-text('Completeness')")  # and descending
    page.wait_for_url("**dir=desc**")
    assert _regions(page)[0] == "Győr–Moson–Sopron"
    # A cell explains itself when opened.
    page.click("#scorecard tbody tr:first-child td:nth-child(3) summary")
    assert "capabilities EV batteries needs" in page.inner_text(
        "#scorecard tbody tr:first-child td:nth-child(3) details p"
    )
    screenshot(page, "clusters-scorecard-sorted")

    # What if Rába BMS, Voltmodul's only source of BMS boards, burns down?
    page.select_option("#remove_partner_ids", label="Rába BMS Electronics Kft. (HU)")
    page.click("button:has-text('Run the what-if')")
    result = page.inner_text("#what-if-result")
    assert "1 anchor commitment would lose supply" in result
    assert "Anchor volume – 48V battery modules" in result
    assert (
        "Voltmodul Kft. loses Battery-management PCBs: Rába BMS Electronics Kft. is taken out"
        in result
    )
    assert page.locator("#what-if-result .delta.down").count() > 0
    screenshot(page, "clusters-what-if")

    page.click("a:has-text('Dependencies')")
    assert page.inner_text("h1") == "Offshore dependencies"
    assert "Dongguan Precision Mould Co., Ltd." in page.inner_text("table")
    screenshot(page, "clusters-dependencies")

    page.goto("/clusters/map")
    assert page.locator("svg.cluster-map circle.region").count() == 7
    screenshot(page, "clusters-map")
