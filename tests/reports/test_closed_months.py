"""A board month closed keeps its report — the page's report, the PDF and the workbook —
byte for byte, whatever is edited later; reopened, it is worked out again."""

import re
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from tests.conftest import post_form
from tests.factories import make_engagement, make_incentive, make_partner
from tracker.core.types import today
from tracker.extensions import db
from tracker.incentives import operations as incentive_operations
from tracker.reports.models import ClosedMonth
from tracker.reports.monthly import Month

SECTION = re.compile(r'<div class="monthly-report">.*</div><!-- /monthly-report -->', re.S)


def _last_month() -> Month:
    return Month.of(today()).previous


def _seed(month: Month):
    partner = make_partner("HIPA")
    make_engagement([partner], occurred_on=month.first + timedelta(days=2), subject="Kick-off")
    incentive = make_incentive(partner, title="VIP cash grant", status="submitted")
    incentive_operations.transition(
        incentive, "awarded", on=month.first + timedelta(days=5), note="Signed", actor=None
    )
    db.session.commit()
    return partner, incentive


def _section(client, month: Month) -> str:
    html = client.get(f"/reports/monthly?month={month.key}").get_data(as_text=True)
    return SECTION.search(html).group(0)


def test_a_closed_month_reads_the_same_after_later_edits(manager_client):
    month = _last_month()
    partner, incentive = _seed(month)
    page = manager_client.get(f"/reports/monthly?month={month.key}").get_data(as_text=True)
    assert "Close this month" in page
    before = _section(manager_client, month)
    assert "VIP cash grant" in before and "Kick-off" in before

    url = f"/reports/monthly/close?month={month.key}"
    assert f"Close the board report of {month.label}?" in manager_client.get(url).get_data(
        as_text=True
    )
    assert post_form(manager_client, url, {}).status_code == 302
    closed = db.session.scalar(select(ClosedMonth))
    pdf = manager_client.get(f"/reports/monthly.pdf?month={month.key}").data
    xlsx = manager_client.get(f"/reports/monthly.xlsx?month={month.key}").data
    assert (pdf, xlsx) == (closed.pdf, closed.xlsx) and pdf.startswith(b"%PDF")

    # Later edits: a renamed grant, its award re-valued, another engagement in the month.
    incentive_operations.update_incentive(
        incentive, {"title": "Renamed grant", "amount_awarded": Decimal("1")}, actor=None
    )
    make_engagement([partner], occurred_on=month.first + timedelta(days=3), subject="Late entry")
    db.session.commit()

    after = _section(manager_client, month)
    assert after == before == closed.html
    assert "Renamed grant" not in after and "Late entry" not in after
    assert manager_client.get(f"/reports/monthly.pdf?month={month.key}").data == pdf
    assert manager_client.get(f"/reports/monthly.xlsx?month={month.key}").data == xlsx
    page = manager_client.get(f"/reports/monthly?month={month.key}").get_data(as_text=True)
    assert f"Closed on {today().isoformat()}" in page
    assert "Close this month" not in page


def test_only_an_ended_month_is_closed_and_only_once(manager_client):
    this_month = Month.of(today())
    html = post_form(
        manager_client,
        f"/reports/monthly/close?month={this_month.key}",
        {},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert f"{this_month.label} has not ended yet" in html
    assert db.session.scalar(select(ClosedMonth)) is None
    month = _last_month()
    url = f"/reports/monthly/close?month={month.key}"
    post_form(manager_client, url, {})
    again = post_form(manager_client, url, {}, follow_redirects=True).get_data(as_text=True)
    assert f"{month.label} is closed already." in again
    assert len(db.session.scalars(select(ClosedMonth)).all()) == 1


def test_viewers_cannot_close_and_only_admins_reopen(viewer_client, manager_client, admin_client):
    month = _last_month()
    partner, incentive = _seed(month)
    close = f"/reports/monthly/close?month={month.key}"
    reopen = f"/reports/monthly/reopen?month={month.key}"
    assert viewer_client.get(close).status_code == 403
    assert post_form(manager_client, close, {}).status_code == 302
    assert manager_client.get(reopen).status_code == 403
    incentive_operations.update_incentive(incentive, {"title": "Renamed grant"}, actor=None)
    db.session.commit()
    assert "Renamed grant" not in _section(admin_client, month)
    assert post_form(admin_client, reopen, {}).status_code == 302
    assert db.session.scalar(select(ClosedMonth)) is None
    assert "Renamed grant" in _section(admin_client, month)  # worked out again
