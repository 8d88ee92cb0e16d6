"""Obligation status, clawback exposure and the de minimis ceiling, against hand-worked figures."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from tests.factories import make_fx_rate, make_incentive, make_obligation, make_partner
from tracker.core.errors import DomainError
from tracker.incentives.services import (
    clawback_exposure,
    de_minimis_first_day,
    de_minimis_position,
    de_minimis_warning,
    obligation_status,
    open_deadlines,
)

START, DUE = date(2026, 1, 1), date(2026, 11, 28)  # 331 days


def _status(target, actual, as_of, tolerance=10):
    incentive = make_incentive()
    obligation = make_obligation(incentive, target=target, actual=actual, due_on=DUE)
    return obligation_status(obligation, START, as_of, tolerance)


# --- Obligation status ------------------------------------------------------------


def test_met_as_soon_as_actual_reaches_target_even_early_or_late():
    assert _status(100, 100, START).state == "met"
    assert _status(100, 120, DUE + timedelta(days=30)).state == "met"


def test_a_target_of_zero_is_met_and_no_longer_due(app):
    incentive = make_incentive(status="in_compliance")
    nothing = make_obligation(incentive, target=0, due_on=DUE)
    owed = make_obligation(incentive, target=10, actual=9, due_on=DUE)
    assert obligation_status(nothing, START, DUE + timedelta(days=1), 10).state == "met"
    assert [d.subject_id for d in open_deadlines(incentive) if d.kind == "obligation_due"] == [
        owed.id
    ]


def test_missed_the_day_after_the_due_date_not_on_it():
    assert _status(100, 99, DUE).state != "missed"
    missed = _status(100, 60, DUE + timedelta(days=1))
    assert missed.state == "missed"
    assert missed.reason == "Due 2026-11-28; reached 60.0% of the target"


def test_at_risk_when_progress_lags_elapsed_time_by_more_than_the_tolerance():
    # Half-way through: 165 of 331 days → 49.85 % elapsed (49.8 shown).
    halfway = START + timedelta(days=165)
    # Compared exactly, not as shown: 1319 / 3310 = 165/331 − 10 % exactly is on track; one
    # unit less lags by 10.03 points; 39.8 % (shown as 10 behind 49.8) lags by 10.05.
    assert _status(3310, 1319, halfway).state == "on_track"
    assert _status(3310, 1318, halfway).state == "at_risk"
    assert _status(1000, 398, halfway).state == "at_risk"
    at_risk = _status(1000, 300, halfway)
    assert at_risk.reason == "30.0% done with 49.8% of the time gone; 166 days left"
    assert _status(1000, 300, halfway, tolerance=19).state == "at_risk"  # 30 < 30.8
    assert _status(1000, 300, halfway, tolerance=20).state == "on_track"  # 30 ≥ 29.8


def test_no_actual_yet_counts_as_zero_progress():
    assert _status(100, None, START).state == "on_track"  # nothing elapsed yet
    assert _status(100, None, START + timedelta(days=60)).state == "at_risk"


# --- Clawback -----------------------------------------------------------------------


def _awarded(
    rule,
    *,
    awarded="1000000",
    received=None,
    floor=None,
    interest=None,
    awarded_on=date(2025, 1, 1),
):
    return make_incentive(
        status="in_compliance",
        currency="HUF",
        amount_awarded=Decimal(awarded),
        amount_received=Decimal(received) if received else None,
        clawback_rule=rule,
        clawback_floor_pct=Decimal(floor) if floor else None,
        clawback_interest="simple" if interest else "none",
        clawback_interest_pct=Decimal(interest) if interest else None,
        awarded_on=awarded_on,
    )


def test_pro_rata_60_of_100_jobs_returns_40_percent():
    incentive = _awarded("pro_rata")
    make_obligation(incentive, target=100, actual=60, due_on=date(2027, 1, 1))
    make_obligation(incentive, target=50, actual=45, kind="capex", due_on=date(2027, 1, 1))
    exposure = clawback_exposure(incentive, date(2026, 1, 1))
    assert exposure.share_pct == Decimal("40.0")
    assert exposure.amount == Decimal("400000.00")
    assert [s.triggers for s in exposure.shortfalls] == [True, False]
    assert not exposure.missed
    assert exposure.steps[0] == "Largest shortfall: 40% (jobs: 60% achieved)."


def test_pro_rata_uses_amount_received_when_there_is_one_and_caps_overachievement():
    incentive = _awarded("pro_rata", received="500000")
    make_obligation(incentive, target=100, actual=150, due_on=date(2027, 1, 1))
    make_obligation(incentive, target=200, actual=150, due_on=date(2027, 1, 1))
    exposure = clawback_exposure(incentive, date(2026, 1, 1))
    assert exposure.basis_label == "amount received"
    assert exposure.share_pct == Decimal("25.0")
    assert exposure.amount == Decimal("125000.00")


@pytest.mark.parametrize(("actual", "share"), [(79, "100"), (80, "0"), (100, "0")])
def test_cliff_repays_everything_only_below_the_floor(actual, share):
    incentive = _awarded("cliff", floor="80")
    make_obligation(incentive, target=100, actual=actual, due_on=date(2025, 6, 1))
    exposure = clawback_exposure(incentive, date(2026, 1, 1))
    assert exposure.share_pct == Decimal(share)
    assert exposure.amount == Decimal(1000000) * Decimal(share) / 100
    assert exposure.missed == (actual < 100)


def test_a_cliff_reads_as_its_floor_not_as_a_share_repaid(viewer_client):
    incentive = _awarded("cliff", floor="80")
    make_obligation(incentive, target=100, actual=79, due_on=date(2025, 6, 1))
    from tracker.extensions import db

    db.session.commit()
    html = viewer_client.get(f"/incentives/{incentive.id}").get_data(as_text=True)
    assert "a cliff: all of it repaid if an obligation ends below 80% of its target" in html
    assert "Cliff with its floor at 80% of target: jobs stands at 79%, below the floor" in html


def test_a_decision_before_the_application_deadline_is_labelled(viewer_client):
    from tracker.extensions import db

    label = "before the application deadline: only for an application made early"
    rolling = make_incentive(
        application_deadline=date(2026, 3, 31), decision_expected_on=date(2026, 2, 15)
    )
    usual = make_incentive(
        application_deadline=date(2026, 3, 31), decision_expected_on=date(2026, 3, 31)
    )
    db.session.commit()
    assert label in viewer_client.get(f"/incentives/{rolling.id}").get_data(as_text=True)
    assert label not in viewer_client.get(f"/incentives/{usual.id}").get_data(as_text=True)


def test_interest_is_simple_and_runs_from_the_award_date():
    incentive = _awarded("pro_rata", interest="5", awarded_on=date(2025, 1, 1))
    make_obligation(incentive, target=100, actual=60, due_on=date(2025, 12, 31))
    exposure = clawback_exposure(incentive, date(2026, 1, 1))  # 365 days later
    # 400,000 × 5 % × 365/365 = 20,000
    assert exposure.accruing
    assert exposure.interest == Decimal("20000.00")
    assert exposure.amount == Decimal("420000.00")
    assert exposure.missed
    half = clawback_exposure(incentive, date(2025, 7, 2))  # 182 days
    assert half.interest == Decimal("9972.60")  # 400,000 × 0.05 × 182 / 365


def test_no_exposure_before_award_without_rule_or_without_obligations():
    pipeline = make_incentive(status="submitted", clawback_rule="pro_rata")
    make_obligation(pipeline, target=100, actual=0)
    assert clawback_exposure(pipeline, date(2026, 1, 1)).amount == 0
    assert clawback_exposure(_awarded("none"), date(2026, 1, 1)).amount == 0
    assert clawback_exposure(_awarded("pro_rata"), date(2026, 1, 1)).amount == 0


def test_exposure_page_shows_the_working_in_both_currencies(viewer_client):
    make_fx_rate("HUF", "0.0025", date(2024, 1, 1))
    incentive = _awarded("pro_rata")
    make_obligation(incentive, target=100, actual=60, due_on=date(2099, 1, 1))
    from tracker.extensions import db

    db.session.commit()
    html = viewer_client.get(f"/incentives/{incentive.id}").get_data(as_text=True)
    assert "HUF 400,000" in html
    assert "EUR 1,000" in html  # 400,000 × 0.0025
    assert "Principal: 40% of the amount awarded HUF 1,000,000.00 = HUF 400,000.00." in html


# --- De minimis -----------------------------------------------------------------------


def _de_minimis(amount, granted_on, currency="EUR", status="awarded", country="HU"):
    return make_incentive(
        make_partner(country_code=country),
        status=status,
        currency=currency,
        amount_awarded=Decimal(amount),
        is_state_aid=True,
        is_de_minimis=True,
        aid_granted_on=granted_on,
    )


def test_three_years_count_from_the_day_after_the_same_day_three_years_back():
    as_of = date(2026, 6, 30)
    _de_minimis("100000", date(2023, 6, 30))  # exactly three years ago: out
    _de_minimis("120000", date(2023, 7, 1))  # the first day counted
    _de_minimis("50000", as_of)  # the last
    _de_minimis("999999", date(2026, 1, 1), status="rejected")
    position = de_minimis_position(as_of)
    assert position.first_day == date(2023, 7, 1)
    [hungary] = position.states
    assert (hungary.country, hungary.total, hungary.headroom) == (
        "HU",
        Decimal("170000"),
        Decimal("130000"),
    )
    # A leap day's three years end on the last day of February.
    assert de_minimis_first_day(date(2028, 2, 29)) == date(2025, 3, 1)


def test_each_member_state_has_its_own_ceiling():
    make_fx_rate("PLN", "0.25", date(2020, 1, 1))
    as_of = date(2026, 6, 30)
    _de_minimis("95000", date(2025, 1, 10), country="SK")
    _de_minimis("388080", date(2025, 3, 1), currency="PLN", country="PL")  # EUR 97,020
    _de_minimis("50800", date(2025, 5, 1), country="HU")
    _de_minimis("30000", date(2025, 7, 1), country="CZ")
    _de_minimis("260000", date(2026, 2, 1), country="SK")
    position = de_minimis_position(as_of)
    totals = {state.country: state.total for state in position.states}
    assert totals == {
        "CZ": Decimal("30000"),
        "HU": Decimal("50800"),
        "PL": Decimal("97020.00"),
        "SK": Decimal("355000"),
    }
    assert [state.country for state in position.states if state.headroom < 0] == ["SK"]
    assert [state.country for state in position.states] == ["CZ", "HU", "PL", "SK"]
    # A new Czech award is checked against Czechia's aid only.
    czech = _de_minimis("270000", None, status="submitted", country="CZ")
    assert de_minimis_warning(czech, as_of) is None
    slovak = _de_minimis("1000", None, status="submitted", country="SK")
    assert de_minimis_warning(slovak, as_of) == (
        "This award would bring de minimis aid granted by Slovakia from 2023-07-01 to "
        "2026-06-30 to EUR 356,000, over the EUR 300,000 ceiling (EUR 355,000 already granted)."
    )


def _de_minimis_values(grantor, **fields) -> dict:
    """What the incentive form or import gives for de minimis aid from `grantor`."""
    return {
        "title": "De minimis aid",
        "granting_partner_id": grantor.id,
        "currency": "EUR",
        "is_state_aid": True,
        "is_de_minimis": True,
        "aid_granted_on": date(2026, 1, 15),
        **fields,
    }


def test_a_loan_counts_by_its_gross_grant_equivalent(app):
    from tracker.incentives import operations

    as_of = date(2026, 6, 30)
    agency = make_partner("CzechInvest", country_code="CZ")
    values = _de_minimis_values(agency, kind="loan", amount_offered=Decimal("2000000"))
    with pytest.raises(DomainError) as refused:
        operations.create_incentive(values, actor=None)
    assert refused.value.field == "gross_grant_equivalent"
    assert refused.value.message.startswith("A loan or guarantee counts towards de minimis by")
    with pytest.raises(DomainError) as refused:
        operations.create_incentive({**values, "gross_grant_equivalent": 2000001}, actor=None)
    assert refused.value.message == (
        "The gross grant equivalent is the aid within the amount: it cannot be more than "
        "EUR 2,000,000.00."
    )
    loan = operations.create_incentive({**values, "gross_grant_equivalent": 45000}, actor=None)
    loan.status = "awarded"
    [czechia] = de_minimis_position(as_of).states
    assert (czechia.country, czechia.total) == ("CZ", Decimal("45000"))


def test_only_an_eu_or_eea_state_grants_state_aid(app):
    from tracker.incentives import operations

    mexican = make_partner("Secretaría de Economía de Nuevo León", country_code="MX")
    values = _de_minimis_values(mexican, kind="training_subsidy", currency="MXN")
    with pytest.raises(DomainError) as refused:
        operations.create_incentive(values, actor=None)
    assert (refused.value.field, refused.value.message) == (
        "is_state_aid",
        "EU state aid, de minimis included, is granted by an EU or EEA state: Secretaría de "
        "Economía de Nuevo León is in Mexico. Untick it.",
    )
    norwegian = make_partner("Innovasjon Norge", country_code="NO")
    operations.create_incentive({**values, "granting_partner_id": norwegian.id}, actor=None)


def test_the_de_minimis_page_shows_each_member_state_and_the_first_day(viewer_client):
    from tracker.core.types import today
    from tracker.extensions import db
    from tracker.incentives.services import de_minimis_first_day

    _de_minimis("250000", today(), country="SK")
    _de_minimis("60000", today(), country="PL")
    db.session.commit()
    html = viewer_client.get("/incentives/de-minimis").get_data(as_text=True)
    assert f"from {de_minimis_first_day(today()).isoformat()} to {today().isoformat()}" in html
    assert html.index(">Poland</h2>") < html.index(">Slovakia</h2>")
    assert "exceeded" not in html


def test_warning_before_a_new_award_would_pass_the_ceiling():
    make_fx_rate("PLN", "0.25", date(2020, 1, 1))
    on = date(2026, 6, 30)
    _de_minimis("250000", date(2025, 1, 1))
    fits = _de_minimis("200000", None, currency="PLN", status="submitted")  # EUR 50,000
    assert de_minimis_warning(fits, on) is None
    over = _de_minimis("200004", None, currency="PLN", status="submitted")  # EUR 50,001
    warning = de_minimis_warning(over, on)
    assert warning.startswith("This award would bring de minimis aid")
    assert "EUR 300,001, over the EUR 300,000 ceiling" in warning
    not_de_minimis = make_incentive(currency="EUR", amount_awarded=Decimal("9000000"))
    assert de_minimis_warning(not_de_minimis, on) is None


def test_award_over_the_ceiling_needs_explicit_confirmation(manager_client):
    from tests.conftest import post_form
    from tracker.core.types import today
    from tracker.extensions import db
    from tracker.incentives.models import Incentive

    _de_minimis("290000", today() - timedelta(days=100))
    incentive = _de_minimis("20000", None, status="submitted")
    db.session.commit()
    url = f"/incentives/{incentive.id}"
    page = manager_client.get(url).get_data(as_text=True)
    assert "over the EUR 300,000 ceiling" in page
    data = {"to_status": "awarded", "changed_on": today().isoformat()}
    refused = post_form(manager_client, f"{url}/transition", data, form_url=url)
    assert "Tick the box to award it anyway." in refused.get_data(as_text=True)
    assert db.session.get(Incentive, incentive.id).status == "submitted"
    confirmed = post_form(
        manager_client, f"{url}/transition", {**data, "confirm_over_ceiling": "y"}, form_url=url
    )
    assert confirmed.status_code == 302
    assert db.session.get(Incentive, incentive.id).status == "awarded"
