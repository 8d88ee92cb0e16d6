"""Dated readings: an obligation's actual, an anchor commitment's volume, a co-investment's
spend and a programme's completions are kept with the day each was true on, so a report of
a past day reads the figures of that day and a figure updated today leaves it as it was."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine

from tests.factories import make_commitment, make_incentive, make_obligation
from tracker.commitments import operations as commitment_operations
from tracker.commitments.services import health_at
from tracker.core import readings
from tracker.extensions import db
from tracker.incentives import operations
from tracker.incentives.services import exposure_at

D = Decimal
TODAY = date(2026, 6, 15)


@pytest.fixture
def on_day(app):
    with time_machine.travel(datetime(2026, 6, 15, 12, tzinfo=UTC), tick=False):
        yield TODAY


def _held(**fields):
    return make_incentive(
        status="in_compliance",
        currency="EUR",
        amount_awarded=D("1000000"),
        awarded_on=date(2025, 1, 1),
        clawback_rule="pro_rata",
        **fields,
    )


def _exposure(incentive, day) -> Decimal:
    return exposure_at([incentive.id], day)[incentive.id][2].amount


def test_a_past_day_reads_the_actual_of_that_day(on_day):
    incentive = _held()
    obligation = make_obligation(incentive, target=100, due_on=date(2027, 1, 1))
    operations.record_actual(obligation, D(60), date(2026, 1, 31), actor=None)
    operations.record_actual(obligation, D(80), date(2026, 3, 31), actor=None)
    db.session.commit()
    assert _exposure(incentive, date(2026, 2, 28)) == D("400000.00")  # 60 of 100 then
    assert _exposure(incentive, date(2026, 4, 30)) == D("200000.00")  # 80 of 100 by then
    assert _exposure(incentive, date(2026, 1, 15)) == D("1000000.00")  # nothing yet: 0
    # An actual entered late for February goes into the history; the latest still shows.
    operations.record_actual(obligation, D(70), date(2026, 2, 15), actor=None)
    db.session.commit()
    assert (obligation.actual_value, obligation.actual_as_of) == (D(80), date(2026, 3, 31))
    assert _exposure(incentive, date(2026, 2, 28)) == D("300000.00")
    assert [(r.as_of, r.value) for r in readings.history(obligation, "actual_value")] == [
        (date(2026, 3, 31), D(80)), (date(2026, 2, 15), D(70)), (date(2026, 1, 31), D(60)),
    ]  # fmt: skip


def test_a_figure_kept_before_readings_stays_the_past_figure(on_day):
    incentive = _held()
    # Stored before readings were kept (or in bulk): no reading, read by its column.
    obligation = make_obligation(
        incentive, target=100, actual=50, actual_as_of=date(2025, 12, 31), due_on=date(2027, 1, 1)
    )
    db.session.commit()
    assert _exposure(incentive, date(2026, 2, 28)) == D("500000.00")
    operations.record_actual(obligation, D(90), date(2026, 5, 31), actor=None)
    db.session.commit()
    assert _exposure(incentive, date(2026, 2, 28)) == D("500000.00")  # still 50 then
    assert _exposure(incentive, date(2026, 6, 1)) == D("100000.00")


def test_the_month_end_board_report_keeps_last_months_actual(on_day, viewer_client):
    incentive = _held(title="Held grant")
    obligation = make_obligation(incentive, target=100, due_on=date(2027, 1, 1))
    operations.record_actual(obligation, D(60), date(2026, 5, 10), actor=None)
    db.session.commit()
    may = viewer_client.get("/reports/monthly?month=2026-05").get_data(as_text=True)
    assert "EUR 400,000" in may
    operations.record_actual(obligation, D(100), date(2026, 6, 14), actor=None)
    db.session.commit()
    again = viewer_client.get("/reports/monthly?month=2026-05").get_data(as_text=True)
    assert "EUR 400,000" in again  # May's report reads May's actual


@pytest.mark.parametrize(
    ("kind", "measure", "first", "second"),
    [
        ("anchor_volume", "volume_taken", D(100), D(1100)),
        ("co_investment", "spend_to_date", D("50000.55"), D("990000")),
        ("training_programme", "completed_participants", 10, 95),
    ],
)
def test_a_commitments_figures_are_read_as_of_the_day(on_day, kind, measure, first, second):
    extra = {"enrolled_participants": 100} if kind == "training_programme" else {}
    commitment = make_commitment(
        kind, start_on=date(2026, 1, 1), end_on=date(2026, 12, 31), status="active", **extra
    )
    db.session.commit()
    commitment_operations.update_commitment(
        commitment, {measure: first, "measured_on": date(2026, 3, 31)}, actor=None
    )
    commitment_operations.update_commitment(commitment, {measure: second}, actor=None)  # today
    db.session.commit()
    assert getattr(commitment, measure) == second
    march = health_at([commitment.id], date(2026, 3, 31))[commitment.id]
    june = health_at([commitment.id], TODAY)[commitment.id]
    assert march[1].progress.fraction < june[1].progress.fraction
    assert getattr(march[0], measure) == first  # judged on the figure of that day
    assert db.session.get(type(commitment), commitment.id) is not march[0]
    # The record itself still holds the latest, untouched by the judging.
    db.session.expire_all()
    assert getattr(db.session.get(type(commitment), commitment.id), measure) == second


def test_a_figure_cannot_be_dated_after_today(on_day):
    from tracker.core.errors import DomainError

    commitment = make_commitment("anchor_volume", start_on=date(2026, 1, 1))
    with pytest.raises(DomainError, match="A figure cannot be dated after today"):
        commitment_operations.update_commitment(
            commitment, {"volume_taken": D(5), "measured_on": date(2026, 7, 1)}, actor=None
        )


def test_the_forms_date_the_figures_and_show_the_actuals_recorded(on_day, manager_client):
    from sqlalchemy import select

    from tests.conftest import post_form
    from tracker.commitments.models import CommitmentReading

    commitment = make_commitment(
        "anchor_volume", start_on=date(2026, 1, 1), end_on=date(2026, 12, 31)
    )
    db.session.commit()
    url = f"/commitments/{commitment.id}/edit"
    form = manager_client.get(url).get_data(as_text=True)
    assert 'name="measured_on" type="date" value="2026-06-15"' in form
    data = {
        "title": commitment.title,
        "status": commitment.status,
        "counterparty_id": str(commitment.counterparty_id),
        "region_id": "",
        "owner_id": str(commitment.owner_id or ""),
        "currency": commitment.currency or "EUR",
        "value": "",
        "start_on": "2026-01-01",
        "end_on": "2026-12-31",
        "committed_volume": "1200",
        "volume_unit": "modules",
        "volume_period": "year",
        "volume_taken": "300",
        "measured_on": "2026-07-01",
        "description": "",
        "version": str(commitment.version),
    }
    html = post_form(manager_client, url, data).get_data(as_text=True)
    assert "A figure cannot be dated after today (2026-06-15)" in html and 'value="300"' in html
    assert db.session.scalar(select(CommitmentReading)) is None
    response = post_form(manager_client, url, {**data, "measured_on": "2026-04-30"})
    assert response.status_code == 302, response.get_data(as_text=True)
    kept = db.session.scalars(select(CommitmentReading).order_by(CommitmentReading.as_of)).all()
    assert [(r.as_of, r.value) for r in kept] == [
        (date(1900, 1, 1), D(0)),  # what it held before readings were kept
        (date(2026, 4, 30), D(300)),
    ]

    incentive = _held()
    obligation = make_obligation(incentive, target=100, due_on=date(2027, 1, 1), unit="FTE")
    operations.record_actual(obligation, D("60.5"), date(2026, 1, 31), actor=None)
    db.session.commit()
    page = manager_client.get(f"/obligations/{obligation.id}/actual").get_data(as_text=True)
    assert "Actuals recorded" in page and "2026-01-31" in page and "60.5 FTE" in page
