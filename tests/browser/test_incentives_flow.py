"""A manager records a HUF grant, wins it, and sees the clawback exposure in EUR."""

from datetime import timedelta

import pytest

from tests.browser.conftest import screenshot, sign_in
from tests.factories import PASSWORD, make_fx_rate, make_partner, make_user
from tracker.core.types import today
from tracker.extensions import db

pytestmark = pytest.mark.browser


def test_manager_records_awards_and_measures_a_huf_grant(page):
    manager = make_user("manager", name="Katalin Varga")
    make_partner("HIPA", kind="economic_agency")
    make_fx_rate("HUF", "0.0025", today() - timedelta(days=365))
    db.session.commit()
    t = today()
    sign_in(page, manager.email, PASSWORD)

    page.click("nav.mainnav >> text=Incentives")
    page.click("text=New incentive")
    page.fill("#title", "VIP cash grant – Győr module plant")
    page.select_option("#kind", "grant")
    page.select_option("#granting_partner_id", label="HIPA")
    page.fill("#currency", "HUF")
    page.fill("#amount_offered", "1000000000")
    page.fill("#amount_awarded", "800000000")
    page.fill("#term_start_on", (t - timedelta(days=200)).isoformat())
    page.fill("#term_end_on", (t + timedelta(days=1600)).isoformat())
    page.select_option("#clawback_rule", "pro_rata")
    page.click("button:has-text('Save incentive')")
    assert page.inner_text("h1").startswith("VIP cash grant – Győr module plant")

    for status in ("preparing", "submitted", "awarded"):
        page.select_option("#to_status", status)
        page.click("button:has-text('Move')")
        assert "is now" in page.inner_text(".flashes")
    assert "Awarded" in page.inner_text("h1")

    obligations = [
        ("jobs", "Net new FTE", "100", "FTE", (t + timedelta(days=700)).isoformat()),
        ("capex", "Eligible capex", "40000000", "EUR", (t + timedelta(days=900)).isoformat()),
    ]
    for kind, description, target, unit, due in obligations:
        page.click("text=Add obligation")
        page.select_option("#kind", kind)
        page.fill("#description", description)
        page.fill("#target_value", target)
        page.fill("#unit", unit)
        page.fill("#due_on", due)
        page.click("button:has-text('Save obligation')")

    page.click("text=Schedule reports")
    page.fill("#first_due_on", (t + timedelta(days=30)).isoformat())
    page.select_option("#frequency", "yearly")
    page.click("button:has-text('Schedule')")
    assert "compliance report(s) scheduled" in page.inner_text(".flashes")
    assert "(1 of 5)" in page.inner_text("#reports")

    for description, actual in (("Net new FTE", "60"), ("Eligible capex", "30000000")):
        page.click(f"#obligations tr:has-text('{description}') >> text=Update actual")
        page.fill("#actual_value", actual)
        page.click("button:has-text('Save actual')")

    working = page.inner_text("#clawback")
    # The worst shortfall is 40 % (60 of 100 FTE): 40 % of HUF 800,000,000 = 320,000,000,
    # which is EUR 800,000 at 0.0025.
    assert "Largest shortfall: 40% (Net new FTE: 60% achieved)." in working
    assert "HUF 320,000,000.00" in working
    assert "EUR 800,000.00" in working
    assert "HUF 320,000,000" in page.inner_text(".table.money")

    # A new record's values are folded under "N values"; the words are all there.
    history = " ".join(page.text_content("#history").split())
    assert "Created incentive VIP cash grant – Győr module plant" in history
    assert "Amount awarded: HUF 800,000,000" in history
    assert "Moved from submitted to awarded" in history
    assert "Added obligation Net new FTE" in history
    assert "Actual: — → 60" in history
    screenshot(page, "incentive-page")
