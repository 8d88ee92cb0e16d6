"""An ecosystem manager's day, in the browser: region, partner, contact, engagement, follow-up."""

from datetime import timedelta

import pytest

from tests.browser.conftest import screenshot, sign_in
from tests.factories import PASSWORD, make_partner, make_user
from tracker.core.types import today
from tracker.extensions import db

pytestmark = pytest.mark.browser


def test_manager_logs_a_day_of_ecosystem_work(page):
    manager = make_user("manager", name="Katalin Varga")
    make_partner("Voltmodul Kft.", kind="tier1_supplier", country_code="HU")
    db.session.commit()
    sign_in(page, manager.email, PASSWORD)

    # A region.
    page.click("nav.mainnav >> text=Regions")
    page.click("text=New region")
    page.fill("#name", "Győr–Moson–Sopron")
    page.select_option("#country_code", "HU")
    page.fill("#sector_focus", "EV battery & e-drive")
    page.click("button:has-text('Save region')")
    assert "Region Győr–Moson–Sopron saved." in page.inner_text(".flashes")

    # A partner in it.
    page.click("nav.mainnav >> text=Partners")
    page.click("text=New partner")
    page.fill("#name", "HIPA")
    page.select_option("#kind", "economic_agency")
    page.select_option("#country_code", "HU")
    page.select_option("#region_id", label="Győr–Moson–Sopron (HU)")
    page.fill("#cadence_days", "30")
    page.click("button:has-text('Save partner')")
    assert page.inner_text("h1").startswith("HIPA")

    # A contact.
    page.click("text=Add contact")
    page.fill("#name", "Gábor Szabó")
    page.fill("#job_title", "Director, Investment Incentives")
    page.fill("#email", "gabor.szabo@hipa.example")
    page.fill("#phone", "+36 1 872 6502")
    page.click("button:has-text('Save contact')")
    assert "Gábor Szabó" in page.inner_text("#contacts")

    # An engagement with two partners.
    page.click("text=Log engagement")
    page.select_option("#kind", "site_visit")
    page.fill("#subject", "Plant site visit with HIPA and Voltmodul")
    page.select_option("#partner_ids", label=["HIPA", "Voltmodul Kft."])
    page.fill("#outcome", "HIPA to fast-track the building permit.")
    page.click("button:has-text('Save engagement')")
    assert page.inner_text("h1") == "Plant site visit with HIPA and Voltmodul"

    # A follow-up from it.
    due = (today() + timedelta(days=7)).isoformat()
    page.fill("#title", "Send capex phasing to HIPA")
    page.fill("#due_on", due)
    page.click("button:has-text('Add follow-up')")
    assert "Send capex phasing to HIPA" in page.inner_text("#follow-ups")

    # All of it on the partner page.
    page.click(".facts a:text-is('HIPA')")
    assert page.inner_text("h1").startswith("HIPA")
    assert "Gábor Szabó" in page.inner_text("#contacts")
    assert "Plant site visit with HIPA and Voltmodul" in page.inner_text("#timeline")
    assert "with Voltmodul Kft." in page.inner_text("#timeline")
    assert "Send capex phasing to HIPA" in page.inner_text("#follow-ups")
    assert "On cadence" in page.inner_text(".health-line")
    history = page.inner_text("#history")
    assert "Created partner HIPA" in history and "Added contact Gábor Szabó" in history
    screenshot(page, "partner-page")
