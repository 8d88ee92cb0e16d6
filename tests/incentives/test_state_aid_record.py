"""The state-aid record of a real award: who receives it, the register's keys, the eligible
cost and intensity, instrument and objective, and an award withdrawn apart from one clawed
back — through the form, the page, the import and the export."""

import csv
import io
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from tests.conftest import post_form
from tests.factories import make_incentive, make_obligation, make_partner, make_user
from tests.helpers import incentive_form
from tracker.core.imports import apply, parse_upload
from tracker.extensions import db
from tracker.incentives import services
from tracker.incentives.imports import IncentiveImport
from tracker.incentives.models import Incentive
from tracker.incentives.operations import transition

# A register's project title runs past the 200 characters titles used to stop at.
LONG_TITLE = (
    "Investment aid for the construction of a new production plant for battery modules and "
    "packs for electric vehicles, including a test centre and the training of 350 new "
    "employees in the Győr–Moson–Sopron region, phase 1"
)
RECORD = {
    "beneficiary": "Voltmodul Hungary Kft.",
    "beneficiary_national_id": "08-09-034567",
    "project_number": "GINOP-1.2.3-21-2022-00042",
    "aid_type": "Direct grant",
    "aid_objective": "Regional development",
    "eligible_cost": "12000000000",
    "aid_intensity_pct": "37.5",
}


def test_the_form_keeps_the_record_and_the_page_shows_it(manager_client):
    agency = make_partner("HIPA")
    db.session.commit()
    data = incentive_form(agency, title=LONG_TITLE, is_state_aid="y", **RECORD)
    assert len(LONG_TITLE) > 200
    response = post_form(manager_client, "/incentives/new", data)
    assert response.status_code == 302, response.get_data(as_text=True)
    incentive = db.session.scalar(select(Incentive))
    assert (incentive.title, incentive.eligible_cost, incentive.aid_intensity_pct) == (
        LONG_TITLE, Decimal("12000000000.00"), Decimal("37.50"),
    )  # fmt: skip
    html = manager_client.get(f"/incentives/{incentive.id}").get_data(as_text=True)
    shown = ["Voltmodul Hungary Kft.", "(08-09-034567)", "GINOP-1.2.3-21-2022-00042",
             "Direct grant", "Regional development", "HUF 12,000,000,000", "37.50%"]  # fmt: skip
    assert [text for text in shown if text not in html] == []


def test_an_intensity_above_100_percent_is_refused_and_the_input_kept(manager_client):
    agency = make_partner("HIPA")
    db.session.commit()
    data = incentive_form(agency, is_state_aid="y", **{**RECORD, "aid_intensity_pct": "137.5"})
    html = post_form(manager_client, "/incentives/new", data).get_data(as_text=True)
    assert "Number must be between 0 and 100." in html
    assert 'value="137.5"' in html and 'value="Voltmodul Hungary Kft."' in html
    assert db.session.scalar(select(Incentive)) is None


def test_the_import_takes_a_registers_columns_and_the_export_gives_them_back(manager_client):
    make_partner("HIPA")
    db.session.commit()
    row = {
        "Title": LONG_TITLE,
        "Granting partner": "HIPA",
        "Kind": "Grant",
        "Currency": "HUF",
        "State aid": "Yes",
        "Beneficiary": "Voltmodul Hungary Kft.",
        "National ID": "08-09-034567",  # an alias
        "Contract number": "GINOP-1.2.3-21-2022-00042",  # an alias
        "Aid type": "Direct grant",  # the instrument's older name
        "Objective": "Regional development",
        "Eligible cost": "12000000000",
        "Aid intensity": "37.5",
    }
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(row))
    writer.writeheader()
    writer.writerow(row)
    preview = parse_upload(IncentiveImport(), "r.csv", out.getvalue().encode(), manager_client.user)
    assert preview.ok, preview.errors
    apply(preview, manager_client.user)
    exported = manager_client.get("/incentives?format=csv").get_data(as_text=True)
    [line] = list(csv.DictReader(io.StringIO(exported.lstrip("\ufeff"))))
    assert line["Title"] == LONG_TITLE
    assert {key: line[key] for key in (
        "Beneficiary", "Beneficiary's national ID", "Project or contract number",
        "Aid instrument", "Objective", "Total eligible cost", "Aid intensity (%)",
    )} == {
        "Beneficiary": "Voltmodul Hungary Kft.", "Beneficiary's national ID": "08-09-034567",
        "Project or contract number": "GINOP-1.2.3-21-2022-00042",
        "Aid instrument": "Direct grant", "Objective": "Regional development",
        "Total eligible cost": "12000000000.00", "Aid intensity (%)": "37.50",
    }  # fmt: skip


def test_a_withdrawn_award_holds_nothing_and_owes_nothing(app):
    incentive = make_incentive(
        make_partner(country_code="SK"),
        status="awarded",
        currency="EUR",
        amount_awarded=Decimal("150000"),
        is_state_aid=True,
        is_de_minimis=True,
        aid_granted_on=date(2026, 1, 10),
        clawback_rule="pro_rata",
    )
    make_obligation(incentive, target=100, actual=20, due_on=date(2026, 12, 31))
    assert services.clawback_exposure(incentive, date(2026, 3, 1)).amount > 0
    transition(incentive, "withdrawn", on=date(2026, 3, 1), note="Renounced", actor=make_user())
    assert incentive.status == "withdrawn"
    assert services.allowed_transitions("withdrawn") == ()
    assert services.clawback_exposure(incentive, date(2026, 3, 2)).amount == 0
    assert services.de_minimis_position(date(2026, 3, 2)).states == []
    assert list(services.open_deadlines(incentive)) == []
