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
    history = " ".join(page.text_content("#history").split())
    assert "Created partner HIPA" in history and "Added contact Gábor Szabó" in history
    assert "Engagement cadence (days): 30" in history  # labels and texts, not field names
    screenshot(page, "partner-page")

    # The follow-up is done; the engagement's history says so.
    page.click("#follow-ups button:has-text('Mark done')")
    assert "Follow-up marked done." in page.inner_text(".flashes")
    page.click("#timeline a:text-is('Plant site visit with HIPA and Voltmodul')")
    assert "Done" in page.inner_text("#follow-ups")
    assert "Marked follow-up “Send capex phasing to HIPA” done" in page.inner_text("#history")


def test_two_people_editing_one_partner_lose_nothing(page, browser, live_server):
    manager = make_user("manager", name="Katalin Varga")
    colleague = make_user("manager", name="Jan Dvořák")
    partner = make_partner("CzechInvest", kind="economic_agency", country_code="CZ")
    db.session.commit()
    edit = f"/partners/{partner.id}/edit"

    other_context = browser.new_context(base_url=live_server)
    other = other_context.new_page()
    other.set_default_timeout(10_000)
    try:
        sign_in(page, manager.email, PASSWORD)
        sign_in(other, colleague.email, PASSWORD)
        page.goto(edit)
        other.goto(edit)

        page.select_option("#status", "dormant")
        page.click("button:has-text('Save partner')")
        assert "Partner CzechInvest saved." in page.inner_text(".flashes")

        other.fill("#website", "https://www.czechinvest.org")
        other.click("button:has-text('Save partner')")
        assert "Someone else changed this partner" in other.inner_text(".form-errors")
        conflict = other.inner_text(".conflict").lower()  # headers are shown in capitals
        assert "status\tdormant\tactive" in conflict
        assert "website\t—\thttps://www.czechinvest.org" in conflict
        assert other.input_value("#website") == "https://www.czechinvest.org"
        screenshot(other, "partner-conflict")

        # Saving again applies the typed values, knowingly: the website, and the status
        # as the form shows it, which the colleague sets back to what is stored first.
        other.select_option("#status", "dormant")
        other.click("button:has-text('Save partner')")
        assert "Partner CzechInvest saved." in other.inner_text(".flashes")
        details = other.inner_text(".grid-2 .card:nth-child(2) .facts")
        assert "https://www.czechinvest.org" in details and "Dormant" in details
    finally:
        other_context.close()
