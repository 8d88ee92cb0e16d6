"""Importing incentives: every rule the form holds holds for an import row, with the same
message, led by the row's column."""

import csv
import html as html_lib
import io
import re
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.conftest import post_form
from tests.factories import make_incentive, make_obligation, make_partner, make_user
from tests.helpers import incentive_form
from tracker.core.imports import apply, parse_upload
from tracker.core.models import AuditEvent
from tracker.core.types import today
from tracker.extensions import db
from tracker.incentives.imports import IncentiveImport
from tracker.incentives.models import Incentive, IncentiveStatusChange

ERROR = re.compile(r'<p class="error">([^<]*)</p>')


def _csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    headers = list(dict.fromkeys(header for row in rows for header in row))
    writer = csv.DictWriter(out, fieldnames=headers)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _row(**cells) -> dict[str, str]:
    return {
        "Title": "VIP cash grant – Győr",
        "Granting partner": "HIPA",
        "Kind": "Grant",
        "Currency": "HUF",
        "Term start": "2027-01-01",
        "Term end": "2031-12-31",
        **cells,
    }


def _form(partner, **overrides) -> dict[str, str]:
    return incentive_form(partner, **{"clawback_rule": "none", **overrides})


def _form_errors(response) -> list[str]:
    return [
        html_lib.unescape(message) for message in ERROR.findall(response.get_data(as_text=True))
    ]


def _import_reasons(rows, user) -> list[str]:
    preview = parse_upload(IncentiveImport(), "i.csv", _csv(rows), user)
    assert not preview.file_errors
    return [reason for error in preview.errors for reason in error.reasons]


# Each rule: the form's bad input, the import row's bad cells, the column that leads the
# row's reason, and the message both must show.
RULES = [
    pytest.param(
        {"amount_awarded": "10", "amount_received": "20"},
        {"Awarded": "10", "Received": "20"},
        "Received",
        "More received than awarded: check both amounts.",
        id="received-above-awarded",
    ),
    pytest.param(
        {"clawback_rule": "cliff"},
        {"Clawback rule": "Cliff"},
        "Clawback rule",
        "A cliff needs its floor: the share of target below which all of it is repaid.",
        id="cliff-without-floor",
    ),
    pytest.param(
        {"is_de_minimis": "y", "aid_granted_on": "2026-01-05"},
        {"De minimis": "Yes", "State aid": "No", "Aid granted on": "2026-01-05"},
        "De minimis",
        "De minimis aid is EU state aid: tick that too.",
        id="de-minimis-not-state-aid",
    ),
    pytest.param(
        {"is_de_minimis": "y", "is_state_aid": "y"},
        {"De minimis": "Yes", "State aid": "Yes"},
        "De minimis",
        "Give the date the aid was granted: the ceiling counts from it.",
        id="de-minimis-without-grant-date",
    ),
    pytest.param(
        {"kind": "loan", "is_state_aid": "y", "is_de_minimis": "y", "aid_granted_on": "2026-01-05"},
        {"Kind": "Loan", "State aid": "Yes", "De minimis": "Yes", "Aid granted on": "2026-01-05"},
        "Gross grant equivalent",
        "A loan or guarantee counts towards de minimis by its gross grant equivalent (the aid it "
        "holds, as the granting body states it), not its amount: enter it.",
        id="de-minimis-loan-without-gross-grant-equivalent",
    ),
    pytest.param(
        {"kind": "guarantee", "amount_offered": "500000", "gross_grant_equivalent": "600000"},
        {"Kind": "Guarantee", "Offered": "500000", "GGE": "600000"},  # GGE: an alias
        "Gross grant equivalent",
        "The gross grant equivalent is the aid within the amount: it cannot be more than "
        "HUF 500,000.00.",
        id="gross-grant-equivalent-above-the-amount",
    ),
    pytest.param(
        {"term_start_on": "2027-01-01", "term_end_on": "2026-12-31"},
        {"Term start": "2027-01-01", "Term end": "2026-12-31"},
        "Term end",
        "The term ends before it starts.",
        id="term-ends-before-it-starts",
    ),
    pytest.param(
        {"is_state_aid": "y", "aid_scheme_number": "58314"},
        {"State aid": "Yes", "Aid scheme number": "58314"},
        "Aid scheme number",
        "Use the Commission's form SA.12345.",
        id="scheme-number",
    ),
    pytest.param(
        {"nace_code": "27.2.0"},
        {"NACE sector code": "27.2.0"},
        "NACE sector code",
        "Use a NACE code such as 27.20 or C.",
        id="nace-code",
    ),
]


@pytest.mark.parametrize(("form_input", "cells", "header", "message"), RULES)
def test_form_and_import_row_get_the_same_message(
    manager_client, form_input, cells, header, message
):
    agency = make_partner("HIPA")
    db.session.commit()
    response = post_form(manager_client, "/incentives/new", _form(agency, **form_input))
    assert response.status_code == 200
    assert _form_errors(response) == [message]

    reasons = _import_reasons([_row(**cells)], manager_client.user)
    assert reasons == [f"{header}: {message}"]
    assert db.session.scalar(select(func.count()).select_from(Incentive)) == 0


def test_a_status_that_is_not_the_next_step_gets_the_same_message(manager_client):
    agency = make_partner("HIPA")
    incentive = make_incentive(
        agency, title="VIP cash grant – Győr", currency="HUF", status="identified"
    )
    db.session.commit()
    page = f"/incentives/{incentive.id}"
    response = post_form(
        manager_client,
        f"{page}/transition",
        {"to_status": "awarded", "changed_on": today().isoformat()},
        form_url=page,
    )
    message = "An incentive that is identified cannot move to “awarded”. Allowed next: Preparing."
    assert _form_errors(response) == [message]

    reasons = _import_reasons([_row(Status="Awarded")], manager_client.user)
    assert reasons == [f"Status: {message}"]
    assert db.session.get(Incentive, incentive.id).status == "identified"


def test_a_term_around_an_obligation_gets_the_same_message(manager_client):
    agency = make_partner("HIPA")
    incentive = make_incentive(
        agency,
        title="VIP cash grant – Győr",
        currency="HUF",
        amount_offered=Decimal("4500000000"),
        term_start_on=date(2027, 1, 1),
        term_end_on=date(2031, 12, 31),
    )
    make_obligation(incentive, target=1, due_on=date(2031, 6, 30))
    db.session.commit()
    response = post_form(
        manager_client,
        f"/incentives/{incentive.id}/edit",
        _form(agency, term_end_on="2030-12-31"),
    )
    message = "An obligation is due 2031-06-30, outside this term: move it first."
    assert _form_errors(response) == [message]
    reasons = _import_reasons([_row(**{"Term end": "2030-12-31"})], manager_client.user)
    assert reasons == [f"Term end: {message}"]
    assert db.session.get(Incentive, incentive.id).term_end_on == date(2031, 12, 31)


def test_import_creates_and_moves_incentives_through_the_operations(app):
    agency = make_partner("HIPA")
    manager = make_user("manager")
    existing = make_incentive(agency, title="Training grant", currency="HUF", status="submitted")
    db.session.commit()
    rows = [
        _row(**{"Status": "", "Offered": "4500000000", "State aid": "Yes", "De minimis": "No"}),
        _row(**{"Title": "training grant", "Status": "Awarded", "Awarded": "2000000"}),
    ]
    preview = parse_upload(IncentiveImport(), "i.csv", _csv(rows), manager)
    assert preview.ok, preview.errors
    assert [plan.action for plan in preview.plans] == ["create", "update"]
    assert db.session.scalar(select(func.count()).select_from(Incentive)) == 1  # a preview

    apply(preview, manager)
    created = db.session.scalar(select(Incentive).where(Incentive.title.startswith("VIP")))
    assert (created.status, created.is_state_aid, created.amount_offered) == (
        "identified",
        True,
        Decimal("4500000000.00"),
    )
    moved = db.session.get(Incentive, existing.id)
    assert (moved.status, moved.awarded_on, moved.amount_awarded) == (
        "awarded",
        today(),
        Decimal("2000000.00"),
    )
    steps = db.session.scalars(
        select(IncentiveStatusChange).order_by(IncentiveStatusChange.id)
    ).all()
    assert [(s.incentive_id, s.to_status, s.note, s.user_id) for s in steps] == [
        (created.id, "identified", "Imported", manager.id),
        (existing.id, "awarded", "Imported", manager.id),
    ]
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [(e.action, e.entity_id, e.user_id) for e in events] == [
        ("create", created.id, manager.id),
        ("update", existing.id, manager.id),
        ("transition", existing.id, manager.id),
    ]
    assert events[1].change_list[0]["new_text"] == "HUF 2,000,000"


def test_an_award_in_a_withdrawn_currency_is_imported_and_converted(app):
    from tracker.core.money import RateBook
    from tracker.incentives import operations

    make_partner("Bulgarian SME Promotion Agency", country_code="BG")
    manager = make_user("manager")
    operations.add_fx_rate("BGN", Decimal("0.51129"), date(2025, 1, 1), actor=None)
    db.session.commit()
    row = _row(**{"Granting partner": "Bulgarian SME Promotion Agency", "Currency": "BGN"})
    preview = parse_upload(IncentiveImport(), "i.csv", _csv([row, _row(Currency="XYZ")]), manager)
    assert [reason for error in preview.errors for reason in error.reasons] == [
        "Currency: “XYZ” is not an ISO currency code (e.g. EUR, HUF, MXN)"
    ]
    preview = parse_upload(IncentiveImport(), "i.csv", _csv([row]), manager)
    apply(preview, manager)
    lev = db.session.scalar(select(Incentive))
    assert lev.currency == "BGN"
    assert RateBook().convert(Decimal("100000"), "BGN", date(2025, 6, 1)) == Decimal("51129.00")
