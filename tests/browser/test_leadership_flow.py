"""Leadership's view, in the browser: dashboard, a partner's status page, /due, an XLSX."""

import pandas as pd
import pytest
from sqlalchemy import select

from tests.browser.conftest import screenshot, sign_in
from tests.factories import PASSWORD, make_user
from tracker.extensions import db
from tracker.partners.models import Partner

pytestmark = pytest.mark.browser


def test_viewer_reads_the_portfolio_and_takes_a_filtered_list_away(page, runner, tmp_path):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    viewer = make_user("viewer", name="Helen Brandt")
    db.session.commit()
    sign_in(page, viewer.email, PASSWORD)

    page.wait_for_url("**/dashboard")
    assert page.inner_text("h1") == "Portfolio dashboard"
    assert "Incentives secured" in page.text_content(".totals")
    page.wait_for_function("document.querySelector('#chart-health').width > 0")
    screenshot(page, "leadership-dashboard")

    hipa = db.session.scalar(select(Partner).where(Partner.name.like("HIPA%")))
    page.goto(f"/partners/{hipa.id}/status")
    assert page.inner_text("h1") == hipa.name
    assert "Incentives from or with" in page.content()
    screenshot(page, "leadership-partner-status")

    page.click("nav.mainnav >> text=Due")
    assert page.inner_text("h1") == "Everything due"
    assert "Overdue 1–30 days" in page.text_content(".aging")
    screenshot(page, "leadership-due")

    page.click("nav.mainnav >> text=Partners")
    page.select_option("#kind", "tier1_supplier")
    page.click("button:has-text('Apply')")
    with page.expect_download() as download_info:
        page.click(".exports a.export-link:text-is('XLSX')")
    path = tmp_path / "partners.xlsx"
    download_info.value.save_as(path)

    frame = pd.read_excel(path)
    expected = sorted(
        db.session.scalars(
            select(Partner.name).where(
                Partner.kind == "tier1_supplier", Partner.status != "archived"
            )
        )
    )
    names_column = next(c for c in frame.columns if c.lower() in ("name", "partner"))
    assert sorted(frame[names_column]) == expected
