"""The incentive operations on their own: rules the views once held (report and delivery
dates, FX rates), the audit they record, undo and restore, and what they answer to others."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from sqlalchemy import select

from tests.conftest import post_form
from tests.factories import make_fx_rate, make_incentive, make_obligation, make_partner, make_user
from tests.helpers import count_rows
from tracker.core import audit
from tracker.core.errors import DomainError
from tracker.core.models import AuditEvent, FxRate
from tracker.core.types import today
from tracker.extensions import db
from tracker.incentives import operations
from tracker.incentives.models import (
    AgencyPromise,
    ComplianceReport,
    Incentive,
    IncentiveStatus,
    Obligation,
)
from tracker.partners.services import what_blocks_deletion
from tracker.reports import audit as audit_trail

DAY = date(2026, 6, 15)


@pytest.fixture
def on_day():
    """Today is DAY (midday UTC, the clock stopped)."""
    with time_machine.travel(datetime(2026, 6, 15, 12, tzinfo=UTC), tick=False):
        yield DAY


def _refusal(call) -> tuple[str, str | None]:
    with pytest.raises(DomainError) as refused:
        call()
    return refused.value.message, refused.value.field


# --- Status sets ------------------------------------------------------------------------


def test_status_sets_are_defined_once_on_the_enum():
    S = IncentiveStatus
    assert S.pipeline() == (S.IDENTIFIED, S.PREPARING, S.SUBMITTED)
    assert S.awarded() == (S.AWARDED, S.IN_COMPLIANCE)
    assert S.secured() == (S.AWARDED, S.IN_COMPLIANCE, S.CLOSED)
    assert S.open() == (*S.pipeline(), *S.awarded())
    assert not {S.REJECTED, S.CLAWED_BACK} & set(S.open() + S.secured())


# --- Incentives ---------------------------------------------------------------------------


def test_create_records_the_first_status_line_and_a_readable_event(on_day):
    agency = make_partner("HIPA")
    user = make_user("manager")
    incentive = operations.create_incentive(
        {
            "title": "VIP cash grant",
            "kind": "grant",
            "granting_partner_id": agency.id,
            "currency": "huf",
            "amount_awarded": Decimal("110000000"),
            "clawback_rule": "cliff",
            "clawback_floor_pct": Decimal("80"),
        },
        actor=user,
        on=date(2026, 5, 1),
    )
    assert (incentive.status, incentive.currency, incentive.is_de_minimis) == (
        "identified",
        "HUF",
        False,
    )
    [first] = incentive.status_changes
    assert (first.from_status, first.to_status, first.changed_on, first.user_id) == (
        None,
        "identified",
        date(2026, 5, 1),
        user.id,
    )
    event = db.session.scalar(select(AuditEvent))
    lines = {c["label"]: (c["old_text"], c["new_text"]) for c in event.change_list}
    assert lines["Amount awarded"] == ("—", "HUF 110,000,000")
    assert lines["Granted by"] == ("—", "HIPA")
    assert lines["Clawback rule"] == ("—", "Cliff")
    assert (event.action, event.user_id, event.summary) == (
        "create",
        user.id,
        "Created incentive VIP cash grant",
    )


def test_a_percentage_reads_as_a_number_not_money():
    incentive = make_incentive(currency="HUF")
    tracked = audit.track(incentive, ["clawback_floor_pct"])
    incentive.clawback_floor_pct = Decimal("80.00")
    assert tracked.changes()["clawback_floor_pct"]["new_text"] == "80"


def test_an_update_is_checked_as_the_whole_record_it_makes():
    incentive = make_incentive(amount_awarded=Decimal("100"), amount_received=Decimal("80"))
    assert _refusal(
        lambda: operations.update_incentive(
            incentive, {"amount_awarded": Decimal("50")}, actor=None
        )
    ) == ("More received than awarded: check both amounts.", "amount_received")
    operations.update_incentive(incentive, {"amount_awarded": Decimal("90")}, actor=None)
    assert incentive.amount_awarded == Decimal("90")


def test_an_award_past_the_de_minimis_ceiling_needs_confirming(on_day):
    def de_minimis(amount, **fields):
        return make_incentive(
            amount_awarded=Decimal(amount),
            is_state_aid=True,
            is_de_minimis=True,
            aid_granted_on=on_day - timedelta(days=30),
            **fields,
        )

    de_minimis("290000", status="awarded")
    incentive = de_minimis("20000", status="submitted")
    message, field = _refusal(
        lambda: operations.transition(incentive, "awarded", on=on_day, note=None, actor=None)
    )
    assert field == "confirm_over_ceiling"
    assert message.startswith("This award would bring de minimis aid")
    assert message.endswith(" Tick the box to award it anyway.")
    # An import cannot tick the box: it is told to award it on the page.
    message, field = _refusal(
        lambda: operations.update_incentive(incentive, {"status": "awarded"}, actor=None)
    )
    assert field == "status" and "Award it on its page" in message
    assert incentive.status == "submitted"
    operations.transition(
        incentive, "awarded", on=on_day, note=None, actor=None, confirm_over_ceiling=True
    )
    assert (incentive.status, incentive.awarded_on) == ("awarded", on_day)


def test_undo_of_an_incentive_change_goes_through_the_rules_of_today(admin_client):
    admin = admin_client.user
    incentive = make_incentive(currency="HUF", amount_awarded=Decimal("100"))
    operations.update_incentive(incentive, {"amount_awarded": Decimal("200")}, actor=admin)
    raised = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "update"))
    operations.update_incentive(incentive, {"amount_received": Decimal("150")}, actor=admin)
    db.session.commit()
    message, _ = _refusal(lambda: audit_trail.undo(raised, actor=admin))
    assert message == "More received than awarded: check both amounts."
    db.session.rollback()
    operations.update_incentive(incentive, {"amount_received": None}, actor=admin)
    undo = audit_trail.undo(raised, actor=admin)
    assert db.session.get(Incentive, incentive.id).amount_awarded == Decimal("100")
    assert undo.action == "undo" and undo.reverts_id == raised.id
    assert undo.change_list[0]["new_text"] == "HUF 100"


def test_a_partner_granting_incentives_cannot_be_deleted():
    agency = make_partner("HIPA")
    assert what_blocks_deletion(agency) == []
    make_incentive(agency)
    make_incentive(agency)
    assert what_blocks_deletion(agency) == ["2 incentives"]


# --- Obligations --------------------------------------------------------------------------


def test_obligation_events_show_in_the_incentive_history(manager_client):
    incentive = make_incentive(term_start_on=date(2027, 1, 1), term_end_on=date(2031, 12, 31))
    obligation = operations.create_obligation(
        incentive,
        {
            "kind": "jobs",
            "description": "Net new FTE",
            "target_value": Decimal("350"),
            "unit": "FTE",
            "due_on": date(2030, 6, 30),
        },
        actor=manager_client.user,
    )
    operations.record_actual(obligation, Decimal("120"), None, actor=manager_client.user)
    db.session.commit()
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [(e.entity_type, e.parent_type, e.parent_id) for e in events] == [
        ("obligations", "incentives", incentive.id),
        ("obligations", "incentives", incentive.id),
    ]
    html = manager_client.get(f"/incentives/{incentive.id}").get_data(as_text=True)
    history = html[html.index('id="history"') :]
    assert "Added obligation Net new FTE" in history
    assert '<span class="field-label">Target</span>: 350' in history
    assert "Updated actual of Net new FTE" in history
    assert '<span class="field-label">Actual</span>: — → 120' in history


def test_an_actual_of_zero_is_a_number(manager_client):
    obligation = make_obligation(make_incentive(), target=10, actual=4)
    db.session.commit()
    response = post_form(
        manager_client, f"/obligations/{obligation.id}/actual", {"actual_value": "0"}
    )
    assert response.status_code == 302
    assert db.session.get(Obligation, obligation.id).actual_value == Decimal("0")


def test_a_deleted_obligation_is_restored_if_its_date_still_fits_the_term(manager_client):
    incentive = make_incentive(term_start_on=date(2027, 1, 1), term_end_on=date(2031, 12, 31))
    obligation = make_obligation(
        incentive, target=350, due_on=date(2031, 6, 30), description="Net new FTE"
    )
    obligation_id = obligation.id
    db.session.commit()
    url = f"/obligations/{obligation_id}/delete"
    assert "Delete the obligation “Net new FTE”" in manager_client.get(url).get_data(as_text=True)
    assert post_form(manager_client, url, {}).status_code == 302
    assert db.session.get(Obligation, obligation_id) is None
    deleted = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "delete"))
    assert (deleted.parent_type, deleted.parent_id) == ("incentives", incentive.id)

    operations.update_incentive(incentive, {"term_end_on": date(2030, 12, 31)}, actor=None)
    message, _ = _refusal(lambda: audit_trail.restore(deleted, actor=None))
    assert message == "2031-06-30 is outside the incentive's term (2027-01-01 to 2030-12-31)."
    db.session.rollback()

    restored = audit_trail.restore(deleted, actor=None)
    db.session.commit()
    assert (restored.id, restored.target_value, restored.incentive_id) == (
        obligation_id,
        Decimal("350"),
        incentive.id,
    )
    assert deleted.reverted_by[0].action == "restore"


# --- Compliance reports ---------------------------------------------------------------------


def test_a_report_cannot_be_submitted_in_the_future(on_day):
    incentive = make_incentive()
    [report] = operations.schedule_reports(incentive, "Annual", on_day, "once", None, actor=None)
    assert _refusal(
        lambda: operations.submit_report(report, on_day + timedelta(days=1), None, actor=None)
    ) == ("A report cannot be submitted in the future.", "submitted_on")
    assert report.submitted_on is None
    operations.submit_report(report, on_day, "Filed", actor=None)
    assert (report.submitted_on, report.note) == (on_day, "Filed")
    # Undone, it is due again.
    operations.update_report(report, {"submitted_on": None, "note": None}, actor=None)
    assert report.submitted_on is None


def test_the_report_form_shows_the_operation_message_on_its_field(manager_client):
    incentive = make_incentive()
    report = ComplianceReport(incentive=incentive, title="Annual", due_on=today())
    db.session.add(report)
    db.session.commit()
    response = post_form(
        manager_client,
        f"/reports/{report.id}/submit",
        {"submitted_on": (today() + timedelta(days=1)).isoformat(), "note": ""},
    )
    assert '<p class="error">A report cannot be submitted in the future.</p>' in (
        response.get_data(as_text=True)
    )
    assert db.session.get(ComplianceReport, report.id).submitted_on is None


def test_each_scheduled_report_is_audited_under_its_incentive(on_day):
    incentive = make_incentive(term_start_on=date(2026, 1, 1), term_end_on=date(2027, 12, 31))
    reports = operations.schedule_reports(
        incentive, "Quarterly", date(2026, 3, 31), "half_yearly", None, actor=None
    )
    assert [r.title for r in reports] == [f"Quarterly ({n} of 4)" for n in range(1, 5)]
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [(e.entity_id, e.parent_id) for e in events] == [(r.id, incentive.id) for r in reports]
    assert _refusal(
        lambda: operations.schedule_reports(
            incentive, "Late", date(2028, 3, 31), "once", None, actor=None
        )
    ) == ("2028-03-31 is outside the incentive's term (2026-01-01 to 2027-12-31).", "first_due_on")


# --- Agency promises ------------------------------------------------------------------------

PROMISE_RULES = [
    pytest.param("delivered", None, "Give the delivery date.", "status", id="delivered-no-date"),
    pytest.param(
        "pending",
        -1,
        "Only a delivered promise has a delivery date.",
        "status",
        id="date-but-pending",
    ),
    pytest.param(
        "delivered",
        1,
        "A delivery date cannot be in the future.",
        "delivered_on",
        id="delivered-in-future",
    ),
]


def _promise(status, delivered_on):
    return {
        "kind": "permit_fast_track",
        "description": "Building permit in 60 days",
        "due_on": date(2026, 3, 1),
        "status": status,
        "delivered_on": delivered_on,
    }


@pytest.mark.parametrize(("status", "days", "message", "field"), PROMISE_RULES)
def test_promise_delivery_rules_in_the_operation(on_day, status, days, message, field):
    incentive = make_incentive()
    delivered_on = None if days is None else on_day + timedelta(days=days)
    assert _refusal(
        lambda: operations.create_promise(incentive, _promise(status, delivered_on), actor=None)
    ) == (message, field)
    promise = operations.create_promise(incentive, _promise("pending", None), actor=None)
    assert _refusal(
        lambda: operations.update_promise(
            promise, {"status": status, "delivered_on": delivered_on}, actor=None
        )
    ) == (message, field)
    operations.update_promise(promise, {"status": "delivered", "delivered_on": on_day}, actor=None)
    assert promise.status == "delivered"


@pytest.mark.parametrize(("status", "days", "message", "field"), PROMISE_RULES)
def test_promise_delivery_rules_through_the_form(manager_client, status, days, message, field):
    incentive = make_incentive()
    db.session.commit()
    delivered_on = "" if days is None else (today() + timedelta(days=days)).isoformat()
    data = {**_promise(status, delivered_on), "due_on": "2026-03-01", "amount": "", "note": ""}
    response = post_form(manager_client, f"/incentives/{incentive.id}/promises/new", data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    field_html = html[html.index(f'id="{field}"') :]
    assert field_html.index(f'<p class="error">{message}</p>') < field_html.index("</div>")
    assert count_rows(AgencyPromise) == 0


# --- FX rates -------------------------------------------------------------------------------

FX_RULES = [
    pytest.param(
        "MXN",
        "0.0462",
        "A MXN rate effective 2026-01-01 exists (0.05). Delete it first to replace it.",
        "effective_on",
        id="one-per-currency-and-date",
    ),
    pytest.param(
        "EUR", "1", "EUR is the reporting currency: its rate is 1.", "currency", id="reporting"
    ),
    pytest.param("PLN", "0", "A rate must be above zero.", "rate", id="rate-above-zero"),
]


@pytest.mark.parametrize(("currency", "rate", "message", "field"), FX_RULES)
def test_fx_rate_rules_in_the_operation(app, currency, rate, message, field):
    make_fx_rate("MXN", "0.05", date(2026, 1, 1))
    assert _refusal(
        lambda: operations.add_fx_rate(currency, Decimal(rate), date(2026, 1, 1), actor=None)
    ) == (message, field)
    assert count_rows(FxRate) == 1
    operations.add_fx_rate("MXN", Decimal("0.047"), date(2026, 2, 1), actor=None)
    assert count_rows(FxRate) == 2


@pytest.mark.parametrize(("currency", "rate", "message", "field"), FX_RULES)
def test_fx_rate_rules_through_the_form(admin_client, currency, rate, message, field):
    make_fx_rate("MXN", "0.05", date(2026, 1, 1))
    db.session.commit()
    data = {"currency": currency.lower(), "rate": rate, "effective_on": "2026-01-01"}
    response = post_form(admin_client, "/admin/fx-rates", data)
    html = response.get_data(as_text=True).replace("&#39;", "'")
    field_html = html[html.index(f'id="{field}"') :]
    assert field_html.index(f'<p class="error">{message}</p>') < field_html.index("</div>")
    assert count_rows(FxRate) == 1


def test_an_actual_cannot_be_as_of_a_day_to_come(app):
    obligation = make_obligation(make_incentive(status="awarded"), target=100)
    tomorrow = today() + timedelta(days=1)
    message, field = _refusal(
        lambda: operations.record_actual(obligation, Decimal(40), tomorrow, actor=None)
    )
    assert field == "actual_as_of"
    assert message == (
        f"The actual cannot be dated after today ({today().isoformat()}): "
        f"{tomorrow.isoformat()} is still to come."
    )
    operations.record_actual(obligation, Decimal(40), today(), actor=None)
    assert obligation.actual_value == 40


def _add_mxn(rate: str, on: date, **confirm):
    return operations.add_fx_rate("MXN", Decimal(rate), on, actor=None, **confirm)


def test_a_rate_far_from_its_neighbour_needs_a_confirmation(app):
    make_fx_rate("MXN", "0.05", date(2026, 1, 1))
    assert _refusal(lambda: _add_mxn("0.12", date(2026, 2, 1))) == (
        "0.12 is 2.4× above the MXN rate from 2026-01-01 (0.05). A rate is how many EUR one "
        "MXN buys: check it is not upside down, then tick the box to save it.",
        "confirm_rate_jump",
    )
    # Before the first rate, the one after is its neighbour.
    message, _ = _refusal(lambda: _add_mxn("0.02", date(2025, 12, 1)))
    assert message.startswith("0.02 is 2.5× below the MXN rate from 2026-01-01 (0.05).")
    assert count_rows(FxRate) == 1
    _add_mxn("0.1", date(2026, 2, 1))  # twice is still a move, not a jump
    _add_mxn("0.21", date(2026, 3, 1), confirm_rate_jump=True)
    operations.add_fx_rate("PLN", Decimal("4.3"), date(2026, 1, 1), actor=None)  # the first
    assert count_rows(FxRate) == 4


def test_the_rate_form_asks_for_the_confirmation_only_when_it_is_needed(admin_client):
    make_fx_rate("JPY", "0.0062", date(2026, 1, 1))
    db.session.commit()
    assert "confirm_rate_jump" not in admin_client.get("/admin/fx-rates").get_data(as_text=True)
    data = {"currency": "JPY", "rate": "162.5", "effective_on": "2026-02-01"}
    html = post_form(admin_client, "/admin/fx-rates", data).get_data(as_text=True)
    assert "26,210× above the JPY rate from 2026-01-01 (0.0062)" in html
    assert 'name="confirm_rate_jump"' in html and 'value="162.5"' in html
    assert count_rows(FxRate) == 1
    response = post_form(admin_client, "/admin/fx-rates", {**data, "confirm_rate_jump": "y"})
    assert response.status_code == 302 and count_rows(FxRate) == 2


def test_a_deleted_fx_rate_is_restored_unless_one_exists_for_its_date(admin_client):
    rate = make_fx_rate("MXN", "0.05", date(2026, 1, 1))
    make_fx_rate("PLN", "0.23", date(2026, 1, 1))  # the new MXN rate below gets a new number
    rate_id = rate.id
    db.session.commit()
    post_form(admin_client, f"/admin/fx-rates/{rate_id}/delete", {})
    deleted = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "delete"))
    assert deleted.state["values"]["rate"] == "0.0500000000"

    operations.add_fx_rate("MXN", Decimal("0.06"), date(2026, 1, 1), actor=admin_client.user)
    message, field = _refusal(lambda: audit_trail.restore(deleted, actor=admin_client.user))
    assert (
        message == "A MXN rate effective 2026-01-01 exists (0.06). Delete it first to replace it."
    )
    db.session.rollback()

    restored = audit_trail.restore(deleted, actor=admin_client.user)
    db.session.commit()
    assert (restored.id, restored.rate, restored.currency) == (rate_id, Decimal("0.05"), "MXN")
    event = deleted.reverted_by[0]
    assert (event.action, event.user_id) == ("restore", admin_client.user.id)
