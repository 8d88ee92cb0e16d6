"""Commitment health: every rule at its boundaries, and the thresholds from configuration."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
import time_machine

from tests.factories import make_commitment, make_milestone
from tracker.commitments.models import (
    AnchorVolumeCommitment,
    CapacityExpansionCommitment,
    CoInvestment,
    CoLocationCommitment,
    Milestone,
    TrainingProgramme,
)
from tracker.commitments.services import (
    anchor_total_volume,
    commitment_health,
    health_for,
    progress,
    time_elapsed,
)
from tracker.extensions import db

AS_OF = date(2026, 6, 30)
START = AS_OF - timedelta(days=50)
END = AS_OF + timedelta(days=50)  # a 100-day term, half gone on AS_OF


def _milestone(due_in: int, status: str = "planned", title: str = "Permit") -> Milestone:
    return Milestone(title=title, due_on=AS_OF + timedelta(days=due_in), status=status)


def _coinvest(spend="5000", budget="10000", **fields) -> CoInvestment:
    return CoInvestment(
        title="Test bench",
        status=fields.pop("status", "active"),
        currency="EUR",
        budget=Decimal(budget),
        spend_to_date=Decimal(spend),
        start_on=fields.pop("start_on", START),
        end_on=fields.pop("end_on", END),
        **fields,
    )


def _health(commitment, milestones=(), *, amber_days=14, tolerance=10, as_of=AS_OF):
    return commitment_health(
        commitment, list(milestones), as_of, amber_days=amber_days, lag_tolerance=tolerance
    )


# --- Red: overdue milestones ---------------------------------------------------


@pytest.mark.parametrize(
    ("due_in", "status", "state"),
    [
        (-1, "planned", "red"),
        (-1, "in_progress", "red"),
        (-400, "in_progress", "red"),
        (-1, "done", "green"),
        (0, "in_progress", "green"),  # due today is not overdue yet
        (0, "planned", "amber"),  # ...but due today and not started
        (30, "missed", "red"),  # marked missed counts whatever its date
        (-30, "missed", "red"),
    ],
)
def test_overdue_milestone_is_red_from_the_day_after_it_was_due(due_in, status, state):
    assert _health(_coinvest(), [_milestone(due_in, status)]).state == state


def test_red_reasons_name_the_milestones_in_words():
    health = _health(
        _coinvest(),
        [_milestone(-3, "in_progress", "Permit"), _milestone(-1, "planned", "Lease signed")],
    )
    assert health.state == "red"
    assert health.reasons == ("“Permit” is 3 days overdue", "“Lease signed” is 1 day overdue")
    missed = _health(_coinvest(), [_milestone(-10, "missed", "FAT")])
    assert missed.reason == "“FAT” was missed (due 2026-06-20)"


# --- Red: spend over budget -----------------------------------------------------


@pytest.mark.parametrize(
    ("spend", "state"),
    [("10000.01", "red"), ("10000.00", "green"), ("9999.99", "green")],
)
def test_spend_above_budget_is_red_and_equal_is_not(spend, state):
    # Elapsed is 50%; spend ≥ 50% so the lag rule stays quiet.
    assert _health(_coinvest(spend=spend)).state == state


def test_overspend_reason_gives_the_figures():
    health = _health(_coinvest(spend="12500", budget="10000"))
    assert health.reason == ("spend of EUR 12,500 exceeds the budget of EUR 10,000 by EUR 2,500")


def test_red_wins_over_amber_and_lists_only_red_reasons():
    health = _health(_coinvest(spend="11000"), [_milestone(3), _milestone(-2, title="Late")])
    assert health.state == "red"
    assert len(health.reasons) == 2 and all("due in" not in r for r in health.reasons)


# --- Amber: due soon and not started --------------------------------------------


@pytest.mark.parametrize(
    ("due_in", "status", "state"),
    [
        (0, "planned", "amber"),
        (1, "planned", "amber"),
        (14, "planned", "amber"),
        (15, "planned", "green"),
        (3, "in_progress", "green"),  # started: not amber
        (3, "done", "green"),
    ],
)
def test_unstarted_milestone_due_within_amber_days_is_amber(due_in, status, state):
    assert _health(_coinvest(), [_milestone(due_in, status)]).state == state


def test_amber_reason_says_when():
    assert _health(_coinvest(), [_milestone(0)]).reason == (
        "“Permit” is due today and has not started"
    )
    assert _health(_coinvest(), [_milestone(14)]).reason == (
        "“Permit” is due in 14 days and has not started"
    )


# --- Amber: progress lags time elapsed ---------------------------------------------


@pytest.mark.parametrize(
    ("spend", "state"),
    [("4000", "green"), ("3999.99", "amber"), ("0", "amber"), ("6000", "green")],
)
def test_co_investment_spend_lagging_time_by_more_than_tolerance_is_amber(spend, state):
    # 50% of the time gone: lagging by exactly 10 points (40% spent) is still green.
    assert _health(_coinvest(spend=spend)).state == state


@pytest.mark.parametrize(("completed", "state"), [(40, "green"), (39, "amber")])
def test_training_completed_against_target(completed, state):
    programme = TrainingProgramme(
        title="Dual programme",
        status="active",
        currency="HUF",
        start_on=START,
        end_on=END,
        target_participants=100,
        enrolled_participants=80,
        completed_participants=completed,
    )
    assert _health(programme).state == state


@pytest.mark.parametrize(("taken", "state"), [("400", "green"), ("399.9999", "amber")])
def test_anchor_volume_taken_against_the_whole_term(taken, state):
    anchor = AnchorVolumeCommitment(
        title="Modules",
        status="active",
        currency="EUR",
        start_on=START,
        end_on=END,
        committed_volume=Decimal(1000),
        volume_unit="modules",
        volume_period="total",
        volume_taken=Decimal(taken),
    )
    assert _health(anchor).state == state


def test_anchor_volume_per_period_counts_the_periods_in_the_term():
    anchor = AnchorVolumeCommitment(
        committed_volume=Decimal(1200),
        volume_period="year",
        start_on=date(2026, 1, 1),
        end_on=date(2028, 1, 1),  # 730 days
    )
    assert anchor_total_volume(anchor) == Fraction(1200 * 730 * 100, 36525)
    anchor.volume_period = "quarter"
    assert anchor_total_volume(anchor) == Fraction(1200 * 730 * 400, 36525)
    anchor.volume_period = "month"
    assert anchor_total_volume(anchor) == Fraction(1200 * 730 * 1200, 36525)


@pytest.mark.parametrize("cls", [CapacityExpansionCommitment, CoLocationCommitment])
def test_other_kinds_measure_progress_by_milestones_done(cls):
    commitment = cls(title="Site", status="active", currency="USD", start_on=START, end_on=END)
    done = [_milestone(-40 + n, "done") for n in range(4)]
    open_ = [_milestone(20 + n, "planned") for n in range(6)]
    # 4 of 10 done = 40% with 50% of the time gone: lag 10 points, green.
    assert _health(commitment, done + open_).state == "green"
    # 4 of 11 done: lag above 10 points, amber.
    lagging = _health(commitment, [*done, *open_, _milestone(30)])
    assert lagging.state == "amber"
    assert lagging.reason.startswith("progress lags the time elapsed by 14 points")
    assert progress(commitment, []).fraction is None


def test_tolerance_and_amber_days_are_parameters():
    assert _health(_coinvest(spend="3500"), tolerance=15).state == "green"
    assert _health(_coinvest(spend="3500"), tolerance=14).state == "amber"
    assert _health(_coinvest(), [_milestone(7)], amber_days=6).state == "green"
    assert _health(_coinvest(), [_milestone(7)], amber_days=7).state == "amber"


def test_time_elapsed_is_clamped_and_needs_both_dates():
    commitment = _coinvest()
    assert time_elapsed(commitment, START - timedelta(days=5)) == 0
    assert time_elapsed(commitment, START) == 0
    assert time_elapsed(commitment, AS_OF) == Fraction(1, 2)
    assert time_elapsed(commitment, END + timedelta(days=5)) == 1
    commitment.end_on = None
    assert time_elapsed(commitment, AS_OF) is None
    # Without dates the lag rule has nothing to compare with.
    assert _health(_coinvest(spend="0", end_on=None)).state == "green"


def test_before_the_start_nothing_lags():
    assert _health(_coinvest(spend="0", start_on=AS_OF + timedelta(days=1))).state == "green"


@pytest.mark.parametrize("status", ["completed", "cancelled"])
def test_finished_commitments_are_closed_not_red(status):
    health = _health(_coinvest(spend="20000", status=status), [_milestone(-5)])
    assert health.state == "closed" and health.colour == "grey"
    assert health.reason == f"The commitment is {status}"


@pytest.mark.parametrize("status", ["planned", "active", "on_hold"])
def test_open_statuses_are_judged(status):
    assert _health(_coinvest(status=status), [_milestone(-1)]).state == "red"


def test_green_reason_gives_progress_against_time():
    health = _health(_coinvest(spend="5000"))
    assert health.state == "green"
    assert health.reason == (
        "On track: no milestone overdue or due within 14 days unstarted; "
        "50% of the budget spent with 50% of the time gone"
    )


def test_thresholds_come_from_configuration(app):
    commitment = make_commitment("co_investment", start_on=AS_OF - timedelta(days=1))
    make_milestone(commitment, due_on=AS_OF + timedelta(days=10))
    db.session.flush()
    assert app.config["COMMITMENT_AMBER_DAYS"] == 14
    assert app.config["COMMITMENT_LAG_TOLERANCE"] == 10
    assert health_for(commitment, AS_OF).state == "amber"
    app.config["COMMITMENT_AMBER_DAYS"] = 9
    try:
        assert health_for(commitment, AS_OF).state == "green"
    finally:
        app.config["COMMITMENT_AMBER_DAYS"] = 14


def test_health_reads_today_and_changes_as_time_passes(app):
    with time_machine.travel(datetime(2026, 3, 2, 9, tzinfo=UTC), tick=False):
        commitment = make_commitment("co_investment", start_on=date(2026, 3, 1))
        make_milestone(commitment, due_on=date(2026, 3, 20), status="in_progress")
        db.session.flush()
        assert health_for(commitment).state == "green"
    with time_machine.travel(datetime(2026, 3, 20, 9, tzinfo=UTC), tick=False):
        assert health_for(commitment).state == "green"
    with time_machine.travel(datetime(2026, 3, 21, 9, tzinfo=UTC), tick=False):
        health = health_for(commitment)
        assert health.state == "red" and "is 1 day overdue" in health.reason
