"""Clawback terms as agreed (their rules in the operation, the form and the import), money
received as dated tranches, the interest rate tables admins keep, and amounts held to
their currency's minor unit."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.conftest import post_form
from tests.factories import make_incentive, make_obligation, make_partner
from tests.helpers import incentive_form
from tracker.core.errors import DomainError
from tracker.core.imports import parse_upload
from tracker.core.models import AuditEvent
from tracker.core.types import today
from tracker.extensions import db
from tracker.incentives import operations, services
from tracker.incentives.imports import IncentiveImport
from tracker.incentives.models import AgencyPromise, Disbursement, Incentive, InterestRate
from tracker.reports import audit as audit_trail

D = Decimal


def _refusal(call) -> tuple[str, str | None]:
    with pytest.raises(DomainError) as refused:
        call()
    db.session.rollback()
    return refused.value.message, refused.value.field


def _awarded(**fields) -> Incentive:
    defaults = {
        "status": "in_compliance",
        "currency": "EUR",
        "amount_awarded": D("1000000"),
        "awarded_on": date(2025, 1, 1),
        "clawback_rule": "pro_rata",
    }
    return make_incentive(**{**defaults, **fields})


# --- Terms -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "message", "field"),
    [
        ({"clawback_rule": "schedule", "clawback_schedule": "100, eighty"},
         operations.SCHEDULE_FORMAT, "clawback_schedule"),
        ({"clawback_rule": "schedule", "clawback_schedule": "100, 120"},
         operations.SCHEDULE_FORMAT, "clawback_schedule"),
        ({"clawback_interest": "compound"}, operations.INTEREST_NEEDS_RATE,
         "clawback_interest_pct"),
        ({"clawback_interest": "simple", "clawback_interest_pct": D("4"),
          "clawback_rate_series": "EU recovery rate HU"},
         operations.INTEREST_RATE_OR_TABLE, "clawback_rate_series"),
        ({"clawback_interest": "none", "clawback_interest_pct": D("4")},
         operations.INTEREST_NOT_CHARGED, "clawback_interest_pct"),
        ({"clawback_interest": "simple", "clawback_rate_series": "No such table"},
         "There is no rate table named No such table: an admin adds its rates on the Interest "
         "rates page.", "clawback_rate_series"),
        ({"clawback_interest": "daily", "clawback_interest_pct": D("4")},
         "Not a valid choice.", "clawback_interest"),
        ({"clawback_rule": "penalty", "clawback_cap": D("-1")}, None, "clawback_cap"),
    ],
)  # fmt: skip
def test_terms_that_do_not_hold_together_are_refused(app, values, message, field):
    db.session.add(InterestRate(series="EU recovery rate HU", effective_on=date(2024, 1, 1),
                                rate_pct=D("4.5")))  # fmt: skip
    incentive = _awarded()
    db.session.commit()
    got, got_field = _refusal(lambda: operations.update_incentive(incentive, values, actor=None))
    assert got_field == field
    if message is not None:
        assert got == message


def test_a_schedule_is_kept_as_written_percentages_and_a_rate_alone_means_simple(app):
    db.session.add(InterestRate(series="EU recovery rate HU", effective_on=date(2024, 1, 1),
                                rate_pct=D("4.5")))  # fmt: skip
    incentive = operations.create_incentive(
        {
            "title": "Schedule",
            "kind": "tax_credit",
            "granting_partner_id": make_partner().id,
            "currency": "EUR",
            "clawback_rule": "schedule",
            "clawback_schedule": "100;75 , 50%,25",
            "clawback_rate_series": "EU recovery rate HU",
        },
        actor=None,
    )
    assert incentive.clawback_schedule == "100, 75, 50, 25"
    assert incentive.clawback_interest == "simple"  # not said: a rate table means simple
    assert services.terms_text(incentive) == (
        "recaptured by year held (100%, 75%, 50%, 25%) if an obligation ends below 100% of "
        "its target, with simple interest at the rates of the table “EU recovery rate HU” from "
        "each disbursement"
    )


def test_the_form_keeps_the_terms_and_the_page_works_them_out(manager_client):
    db.session.add(InterestRate(series="EU recovery rate HU", effective_on=date(2020, 1, 1),
                                rate_pct=D("5")))  # fmt: skip
    agency = make_partner("HIPA")
    db.session.commit()
    bad = incentive_form(agency, clawback_rule="proportional", clawback_interest="compound")
    html = post_form(manager_client, "/incentives/new", bad).get_data(as_text=True)
    assert operations.INTEREST_NEEDS_RATE in html
    assert '<option selected value="proportional">' in html  # what was chosen is kept
    assert db.session.scalar(select(Incentive)) is None

    good = {**bad, "clawback_rate_series": "EU recovery rate HU", "term_start_on": "",
            "term_end_on": ""}  # fmt: skip
    response = post_form(manager_client, "/incentives/new", good)
    assert response.status_code == 302, response.get_data(as_text=True)
    incentive = db.session.scalar(select(Incentive))
    terms = (incentive.clawback_rule, incentive.clawback_interest, incentive.clawback_rate_series)
    assert terms == ("proportional", "compound", "EU recovery rate HU")
    operations.transition(incentive, "preparing", on=today(), note=None, actor=None)
    operations.transition(incentive, "submitted", on=today(), note=None, actor=None)
    operations.transition(incentive, "awarded", on=today(), note=None, actor=None)
    make_obligation(incentive, target=100, actual=60, due_on=date(2099, 1, 1),
                    clawback_weight=D(30))  # fmt: skip
    make_obligation(incentive, target=10, actual=10, due_on=date(2099, 1, 1), kind="capex",
                    clawback_weight=D(10))  # fmt: skip
    db.session.commit()
    html = manager_client.get(f"/incentives/{incentive.id}").get_data(as_text=True)
    assert "each obligation prorated apart, by its weight, with compound interest" in html
    assert (
        "Proportional, weighted: (jobs 40% short × weight 30; capex 0% short × weight 10)" in html
    )
    assert "÷ total weight 40 = 30% of the amount awarded." in html
    assert "weight 30<" in html  # as typed, not 3E+1


def test_the_import_takes_the_terms_and_names_a_bad_row_by_its_line(manager_client):
    make_partner("HIPA")
    db.session.commit()
    rows = [
        {"Title": "A", "Granting partner": "HIPA", "Kind": "Grant", "Currency": "EUR",
         "Clawback rule": "Penalty", "Penalty cap": "250000", "Clawback interest": "Compound",
         "Clawback interest (% a year)": "3.5", "Recapture schedule": ""},
        {"Title": "B", "Granting partner": "HIPA", "Kind": "Grant", "Currency": "EUR",
         "Clawback rule": "Schedule", "Penalty cap": "", "Clawback interest": "",
         "Clawback interest (% a year)": "", "Recapture schedule": "100, 80, sixty"},
    ]  # fmt: skip
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    preview = parse_upload(IncentiveImport(), "t.csv", out.getvalue().encode(), manager_client.user)
    assert not preview.ok
    [error] = preview.errors
    assert error.line == 3 and operations.SCHEDULE_FORMAT in " ".join(error.reasons)
    fixed = out.getvalue().replace("100, 80, sixty", "100, 80, 60")
    preview = parse_upload(IncentiveImport(), "t.csv", fixed.encode(), manager_client.user)
    assert preview.ok, preview.errors


# --- Disbursements ---------------------------------------------------------------------------


def test_tranches_make_up_what_was_received_and_deliver_the_promise(manager_client):
    incentive = _awarded(amount_received=D("100000"))
    promise = AgencyPromise(incentive=incentive, kind="disbursement", description="Tranche 2",
                            due_on=date(2025, 9, 1), amount=D("400000"))  # fmt: skip
    db.session.add(promise)
    db.session.commit()
    url = f"/incentives/{incentive.id}/disbursements/new"
    form = manager_client.get(url).get_data(as_text=True)
    assert "Tranche 2 (due 2025-09-01)" in form
    first = {"paid_on": "2025-03-01", "amount": "600000", "promise_id": "", "note": "First"}
    assert post_form(manager_client, url, first).status_code == 302
    second = {"paid_on": "2025-09-15", "amount": "400000", "promise_id": str(promise.id),
              "note": ""}  # fmt: skip
    assert post_form(manager_client, url, second).status_code == 302
    db.session.expire_all()
    incentive = db.session.get(Incentive, incentive.id)
    assert incentive.amount_received == D("1000000")  # the sum, not the 100,000 typed before
    assert [(d.paid_on, d.amount) for d in incentive.disbursements] == [
        (date(2025, 3, 1), D("600000")), (date(2025, 9, 15), D("400000")),
    ]  # fmt: skip
    assert (promise.status, promise.delivered_on) == ("delivered", date(2025, 9, 15))
    html = manager_client.get(f"/incentives/{incentive.id}").get_data(as_text=True)
    assert "EUR 600,000" in html and "Tranche 2" in html
    # Received so far is theirs now: the form shows it read-only and the rule refuses it.
    assert "readonly" in manager_client.get(f"/incentives/{incentive.id}/edit").get_data(
        as_text=True
    )
    message, field = _refusal(
        lambda: operations.update_incentive(incentive, {"amount_received": D("5")}, actor=None)
    )
    assert (message, field) == (operations.RECEIVED_FROM_DISBURSEMENTS, "amount_received")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"paid_on": "2024-12-31", "amount": "1000"},
         "The award was made on 2025-01-01: a disbursement cannot come before it."),
        ({"paid_on": "2099-01-01", "amount": "1000"},
         "A disbursement cannot be dated after today"),
        ({"paid_on": "2025-02-01", "amount": "1000000.01"},
         "The disbursements would come to EUR 1,000,000.01, more than the EUR 1,000,000 "
         "awarded."),
        ({"paid_on": "2025-02-01", "amount": "0"}, "A disbursement is an amount above zero."),
        ({"paid_on": "2025-02-01", "amount": "10.005"},
         "EUR amounts are in at most 2 decimal places."),
    ],
)  # fmt: skip
def test_a_tranche_that_cannot_be_is_refused_with_the_input_kept(manager_client, data, message):
    incentive = _awarded()
    db.session.commit()
    url = f"/incentives/{incentive.id}/disbursements/new"
    response = post_form(manager_client, url, {"promise_id": "", "note": "kept", **data})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 or response.status_code == 200
    assert message in html
    assert f'value="{data["amount"]}"' in html and 'value="kept"' in html
    assert db.session.scalar(select(Disbursement)) is None


def test_no_money_is_received_before_the_award(manager_client):
    incentive = make_incentive(status="submitted")
    db.session.commit()
    message, field = _refusal(
        lambda: operations.add_disbursement(
            incentive, {"paid_on": date(2025, 1, 1), "amount": D("5")}, actor=None
        )
    )
    assert (message, field) == ("Money is received on an award: record the award first.", "amount")
    page = manager_client.get(f"/incentives/{incentive.id}").get_data(as_text=True)
    assert "Record a disbursement" not in page


def test_a_deleted_tranche_leaves_the_sum_and_comes_back_on_restore(manager_client):
    incentive = _awarded()
    for day, amount in ((date(2025, 2, 1), "300000"), (date(2025, 6, 1), "200000")):
        operations.add_disbursement(incentive, {"paid_on": day, "amount": D(amount)}, actor=None)
    db.session.commit()
    second = incentive.disbursements[1]
    url = f"/disbursements/{second.id}/delete"
    assert "Delete the disbursement of EUR 200,000 received 2025-06-01" in manager_client.get(
        url
    ).get_data(as_text=True)
    assert post_form(manager_client, url, {}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Incentive, incentive.id).amount_received == D("300000")
    deleted = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "delete", AuditEvent.entity_type == "disbursements"
        )
    )
    audit_trail.restore(deleted, actor=None)
    db.session.commit()
    assert db.session.get(Incentive, incentive.id).amount_received == D("500000")


def test_a_viewer_cannot_record_or_delete_a_tranche(viewer_client):
    incentive = _awarded()
    tranche = operations.add_disbursement(
        incentive, {"paid_on": date(2025, 2, 1), "amount": D("5")}, actor=None
    )
    db.session.commit()
    assert viewer_client.get(f"/incentives/{incentive.id}/disbursements/new").status_code == 403
    response = post_form(
        viewer_client, f"/disbursements/{tranche.id}/delete", {}, form_url="/incentives"
    )
    assert response.status_code == 403
    assert db.session.get(Disbursement, tranche.id) is not None


def test_interest_runs_from_each_tranche_on_the_page(viewer_client):
    incentive = _awarded(clawback_interest="simple", clawback_interest_pct=D("4"),
                         awarded_on=date(2024, 1, 1))  # fmt: skip
    make_obligation(incentive, target=2, actual=1, due_on=date(2099, 1, 1))
    for day, amount in ((date(2024, 1, 1), "600000"), (date(2025, 1, 1), "400000")):
        db.session.add(Disbursement(incentive=incentive, paid_on=day, amount=D(amount)))
    db.session.commit()
    exposure = services.clawback_exposure(db.session.get(Incentive, incentive.id),
                                          date(2026, 1, 1))  # fmt: skip
    assert exposure.amount == D("532032.88")
    assert any("EUR 300,000.00 of the principal, received 2024-01-01" in s for s in exposure.steps)


# --- Interest rate tables --------------------------------------------------------------------


def test_admins_keep_the_rate_tables_and_others_cannot(admin_client, manager_client):
    url = "/admin/interest-rates"
    assert manager_client.get(url).status_code == 403
    data = {"series": "EU recovery rate HU", "effective_on": "2025-01-01", "rate_pct": "4.35"}
    assert post_form(admin_client, url, data).status_code == 302
    again = post_form(admin_client, url, {**data, "rate_pct": "5"}).get_data(as_text=True)
    assert "EU recovery rate HU has a rate from 2025-01-01 (4.35%)." in again
    assert 'value="5"' in again
    [rate] = db.session.scalars(select(InterestRate)).all()
    assert (rate.series, rate.rate_pct) == ("EU recovery rate HU", D("4.35"))
    page = admin_client.get(url).get_data(as_text=True)
    assert "4.35%" in page and "Interest rates" in page
    delete = f"/admin/interest-rates/{rate.id}/delete"
    assert "Delete the EU recovery rate HU rate from 2025-01-01?" in admin_client.get(
        delete
    ).get_data(as_text=True)
    assert post_form(admin_client, delete, {}).status_code == 302
    assert db.session.scalar(select(InterestRate)) is None


# --- Minor units and the limit of money -------------------------------------------------------


@pytest.mark.parametrize(
    ("currency", "amount", "message"),
    [
        ("KWD", "1250.125", None),
        ("EUR", "1250.125", "EUR amounts are in at most 2 decimal places."),
        ("JPY", "1250.5", "JPY amounts are in whole JPY."),
        ("EUR", "9000000000000000", "Enter an amount below 9,000,000,000,000,000."),
        ("EUR", "1250.1255", "Use at most 3 decimal places."),
    ],
)
def test_amounts_are_held_to_their_currency_and_the_limit(manager_client, currency, amount,
                                                          message):  # fmt: skip
    agency = make_partner("HIPA")
    db.session.commit()
    data = incentive_form(agency, currency=currency, amount_offered=amount)
    response = post_form(manager_client, "/incentives/new", data)
    stored = db.session.scalar(select(Incentive))
    if message is None:
        assert response.status_code == 302
        assert stored.amount_offered == D(amount)
        html = manager_client.get(f"/incentives/{stored.id}").get_data(as_text=True)
        assert "KWD 1,250.125" in html
    else:
        html = response.get_data(as_text=True)
        assert message in html and f'value="{amount}"' in html
        assert stored is None


def test_yen_never_shows_decimals_and_a_half_rounds_up(app):
    from tracker.core.money import format_amount, money

    assert money(D("1000000"), "JPY") == "JPY 1,000,000"
    assert money(D("2.5"), "JPY") == "JPY 3"
    assert money(D("1250.50"), "EUR") == "EUR 1,250.50"
    assert money(D("1250.00"), "EUR") == "EUR 1,250"
    assert format_amount(D("2.5")) == "3"  # Python's format would give 2 (half-even)


def test_the_import_takes_payment_tranches_and_the_export_gives_them_back(manager_client):
    make_partner("HIPA")
    db.session.commit()
    good = {"Title": "Tranched", "Granting partner": "HIPA", "Kind": "Grant", "Currency": "EUR",
            "Status": "Awarded", "Awarded": "1000000", "Awarded on": "2025-01-15", "Received": "",
            "Payment tranches": "2025-09-15 400000; 2025-03-01 600000"}  # fmt: skip
    bad = [
        {**good, "Title": "Unreadable", "Payment tranches": "March 600000"},
        {**good, "Title": "Mismatch", "Received": "5"},
        {**good, "Title": "Too early", "Payment tranches": "2024-12-31 600000"},
    ]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(good))
    writer.writeheader()
    writer.writerows([good, *bad])
    preview = parse_upload(IncentiveImport(), "t.csv", out.getvalue().encode(), manager_client.user)
    assert [(e.line, " ".join(e.reasons)) for e in preview.errors] == [
        (3, "Payment tranches: write each as YYYY-MM-DD amount, separated by semicolons "
            "(2025-03-01 600000; 2025-09-15 400000)"),
        (4, "Received: 5 is not the sum of the payment tranches (1000000)"),
        (5, "Payment tranches: The award was made on 2025-01-15: a disbursement cannot come "
            "before it."),
    ]  # fmt: skip
    assert db.session.scalar(select(Incentive)) is None  # nothing written

    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(good))
    writer.writeheader()
    writer.writerow(good)
    preview = parse_upload(IncentiveImport(), "t.csv", out.getvalue().encode(), manager_client.user)
    assert preview.ok, preview.errors
    from tracker.core.imports import apply

    apply(preview, manager_client.user)
    incentive = db.session.scalar(select(Incentive))
    assert [(d.paid_on, d.amount) for d in incentive.disbursements] == [
        (date(2025, 3, 1), D("600000")), (date(2025, 9, 15), D("400000")),
    ]  # fmt: skip
    assert incentive.amount_received == D("1000000")

    exported = manager_client.get("/incentives?format=csv").get_data(as_text=True)
    [line] = list(csv.DictReader(io.StringIO(exported.lstrip("\ufeff"))))
    assert line["Payment tranches"] == "2025-03-01 600000; 2025-09-15 400000"
    # The same file again changes nothing; other tranches for a recorded incentive are not
    # taken (they are recorded on its page).
    again = parse_upload(IncentiveImport(), "t.csv", out.getvalue().encode(), manager_client.user)
    assert [plan.action for plan in again.plans] == ["unchanged"]
    other = out.getvalue().replace("2025-09-15 400000", "2025-09-16 400000")
    refused = parse_upload(IncentiveImport(), "t.csv", other.encode(), manager_client.user)
    assert [" ".join(e.reasons) for e in refused.errors] == [
        "Payment tranches: Tranched has its disbursements already (2025-03-01 600000; "
        "2025-09-15 400000); record them on its page"
    ]
