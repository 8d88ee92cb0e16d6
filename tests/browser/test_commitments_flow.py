"""A programme owner runs a co-investment in the browser, and sees its health follow the dates."""

from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine

from tests.browser.conftest import screenshot, sign_in
from tests.factories import PASSWORD, make_partner, make_user
from tracker.core.types import today
from tracker.extensions import db

pytestmark = pytest.mark.browser


def _add_milestone(page, title: str, due, status: str) -> None:
    page.fill("#title", title)
    page.fill("#due_on", due.isoformat())
    page.select_option("#status", status)
    page.click("button:has-text('Add milestone')")
    assert f"Milestone “{title}” saved." in page.inner_text(".flashes")


def test_owner_runs_a_co_investment_and_health_follows_the_calendar(page):
    # Midday today, so the test cannot straddle midnight; the clock still ticks.
    start = datetime.combine(today(), time(12), UTC)
    with time_machine.travel(start, tick=True):
        owner = make_user("owner", name="Jan Dvořák")
        make_partner("VoltCert Battery Testing s.r.o.", kind="testing_certification")
        make_partner("Moravian-Silesian Automotive Cluster", kind="cluster_alliance")
        db.session.commit()
        day = start.date()
        sign_in(page, owner.email, PASSWORD)

        # The co-investment.
        page.click("nav.mainnav >> text=Commitments")
        page.click("text=New commitment")
        page.click(".kind-list a:text-is('Co-investment')")
        page.fill("#title", "Shared battery test centre, Brno")
        page.select_option("#status", "active")
        page.select_option("#counterparty_id", label="VoltCert Battery Testing s.r.o.")
        page.fill("#start_on", day.isoformat())
        page.fill("#end_on", (day + timedelta(days=365)).isoformat())
        page.fill("#currency", "EUR")
        page.fill("#budget", "1000000")
        page.click("button:has-text('Save commitment')")
        assert page.inner_text("h1").startswith("Shared battery test centre, Brno")

        # Two contributors.
        page.click("text=Add contribution")
        page.fill("#amount", "600000")
        page.fill("#paid_to_date", "150000")
        page.click("button:has-text('Save contribution')")
        page.click("text=Add contribution")
        page.select_option("#partner_id", label="Moravian-Silesian Automotive Cluster")
        page.fill("#amount", "400000")
        page.click("button:has-text('Save contribution')")
        funding = page.inner_text("#funding")
        assert "Our company" in funding and "Moravian-Silesian Automotive Cluster" in funding
        assert "60%" in funding and "40%" in funding
        assert "EUR 1,000,000 · 100% of budget" in funding

        # Too much is refused, with the figures.
        page.click("text=Add contribution")
        page.fill("#amount", "1")
        page.click("button:has-text('Save contribution')")
        assert "more than the budget of EUR 1,000,000 by EUR 1" in page.inner_text(".has-error")
        page.click("text=Cancel")

        # Three milestones.
        _add_milestone(page, "Agreement signed", day + timedelta(days=5), "planned")
        _add_milestone(page, "Building permit", day + timedelta(days=10), "in_progress")
        _add_milestone(page, "Bench installed", day + timedelta(days=60), "planned")
        rows = page.locator("#milestones tbody tr")
        assert rows.count() == 3
        health = page.inner_text(".health-line")
        assert "Amber" in health
        assert "“Agreement signed” is due in 5 days and has not started" in health

        # Complete the first one: nothing is due soon and unstarted any more.
        page.click("#milestones tr:has-text('Agreement signed') >> text=Edit")
        page.select_option("#status", "done")
        page.fill("#evidence_note", "Signed by both boards.")
        page.click("button:has-text('Save milestone')")
        assert "Done" in page.inner_text("#milestones tr:has-text('Agreement signed')")
        assert day.isoformat() in page.inner_text("#milestones tr:has-text('Agreement signed')")
        assert "Green" in page.inner_text(".health-line")

        # Reorder: the bench before the permit.
        page.click("#milestones tr:has-text('Bench installed') >> button[title='Move up']")
        titles = page.locator("#milestones tbody tr td:nth-child(2)").all_inner_texts()
        assert titles == ["Agreement signed", "Bench installed", "Building permit"]

        # The same milestone open in two tabs: the later save is refused, nothing is lost.
        edit = page.get_attribute("#milestones tr:has-text('Bench installed') >> text=Edit", "href")
        other = page.context.new_page()
        other.goto(edit)
        page.goto(edit)
        other.fill("#evidence_note", "Supplier chosen")
        other.click("button:has-text('Save milestone')")
        assert "Milestone “Bench installed” saved." in other.inner_text(".flashes")
        page.fill("#title", "Bench installed and calibrated")
        page.click("button:has-text('Save milestone')")
        assert "Someone else changed this milestone" in page.inner_text(".form-errors")
        conflict = page.inner_text(".conflict")  # labels shown in capitals
        assert "EVIDENCE\tSupplier chosen\t—" in conflict
        assert "MILESTONE\tBench installed\tBench installed and calibrated" in conflict
        assert page.input_value("#title") == "Bench installed and calibrated"
        screenshot(page, "milestone-conflict")
        page.fill("#evidence_note", "Supplier chosen")  # re-apply theirs, then save mine
        page.click("button:has-text('Save milestone')")
        row = page.inner_text("#milestones tr:has-text('Bench installed and calibrated')")
        assert "Supplier chosen" in row
        other.close()
        screenshot(page, "commitment-green")

    # Eleven days on, the permit is a day overdue.
    with time_machine.travel(start + timedelta(days=11), tick=True):
        page.reload()
        health = page.inner_text(".health-line")
        assert "Red" in health
        assert "“Building permit” is 1 day overdue" in health
        assert "1 day overdue" in page.inner_text("#milestones tr:has-text('Building permit')")
        history = page.inner_text("#history")
        assert "Created co-investment Shared battery test centre, Brno" in history
        assert "Added contribution: Moravian-Silesian Automotive Cluster, EUR 400,000" in history
        assert "Edited milestone “Agreement signed”" in history
        screenshot(page, "commitment-red")

        # The owner's milestones list puts it first.
        page.click("nav.mainnav >> text=Commitments")
        page.click(".tabs a:text-is('Milestones')")
        page.wait_for_url("**/milestones")
        first_row = page.locator("table.milestones tbody tr").first.inner_text()
        assert first_row.startswith("Building permit") and "1 day overdue" in first_row
