"""History entered after the fact: an incentive recorded today with the dates its steps
really had — on the form (when it was identified) and in the import (identified, submitted,
awarded, ended) — so the board report of the month it is entered in does not show years-old
awards as new."""

import csv
import io
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from tests.conftest import post_form
from tests.factories import make_partner, make_user
from tests.helpers import incentive_form
from tracker.core.errors import DomainError
from tracker.core.imports import apply, parse_upload
from tracker.core.types import today
from tracker.extensions import db
from tracker.incentives import operations
from tracker.incentives.imports import IncentiveImport
from tracker.incentives.models import Incentive


def _history(incentive: Incentive) -> list[tuple]:
    return [(c.from_status, c.to_status, c.changed_on) for c in incentive.status_changes]


def test_the_new_incentive_form_asks_when_it_was_identified(manager_client):
    agency = make_partner("HIPA")
    db.session.commit()
    form = manager_client.get("/incentives/new").get_data(as_text=True)
    assert f'id="identified_on" name="identified_on" type="date" value="{today().isoformat()}"' in (
        form
    )
    data = incentive_form(agency, identified_on="2025-03-01")
    assert post_form(manager_client, "/incentives/new", data).status_code == 302
    incentive = db.session.scalar(select(Incentive))
    assert _history(incentive) == [(None, "identified", date(2025, 3, 1))]
    # Later steps can be dated back to it, not before it.
    operations.transition(incentive, "preparing", on=date(2025, 3, 10), note=None, actor=None)
    with pytest.raises(DomainError, match=r"on or after the previous one \(2025-03-10\)"):
        operations.transition(incentive, "submitted", on=date(2025, 3, 9), note=None, actor=None)
    # The edit form does not ask again: the history is dated step by step on the page.
    edit = manager_client.get(f"/incentives/{incentive.id}/edit").get_data(as_text=True)
    assert 'name="identified_on"' not in edit


def test_a_future_identification_is_refused_and_the_input_kept(manager_client):
    agency = make_partner("HIPA")
    db.session.commit()
    later = (today() + timedelta(days=3)).isoformat()
    data = incentive_form(agency, identified_on=later, title="Kept title")
    html = post_form(manager_client, "/incentives/new", data).get_data(as_text=True)
    assert f"Identified on {later} is still to come" in html
    assert 'value="Kept title"' in html and f'value="{later}"' in html
    assert db.session.scalar(select(Incentive)) is None


def _csv(rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def _grant(title: str, status: str = "Awarded", **dates) -> dict:
    return {
        "Title": title,
        "Granting partner": "HIPA",
        "Kind": "Grant",
        "Currency": "EUR",
        "Awarded": "250000",
        "Status": status,
        "Identified on": dates.get("identified", ""),
        "Submitted on": dates.get("submitted", ""),
        "Awarded on": dates.get("awarded", ""),
        "Closed on": dates.get("closed", ""),
    }


def test_the_import_dates_each_step_it_is_given(manager_client):
    make_partner("HIPA")
    db.session.commit()
    rows = [
        _grant("Dated", identified="2024-11-01", submitted="2025-01-15", awarded="2025-03-01"),
        _grant("Only the award", awarded="2025-06-30"),
        _grant("Closed", "Closed", awarded="2023-02-01", closed="2025-12-31"),
        _grant("Undated", "Identified"),
    ]
    preview = parse_upload(IncentiveImport(), "g.csv", _csv(rows), manager_client.user)
    assert preview.ok, preview.errors
    apply(preview, manager_client.user)
    by_title = {i.title: i for i in db.session.scalars(select(Incentive))}
    assert _history(by_title["Dated"]) == [
        (None, "identified", date(2024, 11, 1)),
        ("identified", "submitted", date(2025, 1, 15)),
        ("submitted", "awarded", date(2025, 3, 1)),
    ]
    assert by_title["Dated"].awarded_on == date(2025, 3, 1)
    assert by_title["Dated"].status_changes[0].note == "Imported"
    assert _history(by_title["Only the award"]) == [(None, "awarded", date(2025, 6, 30))]
    assert _history(by_title["Closed"]) == [
        (None, "awarded", date(2023, 2, 1)),
        ("awarded", "closed", date(2025, 12, 31)),
    ]
    assert _history(by_title["Undated"]) == [(None, "identified", today())]

    # Imported again unchanged (an export comes back), it is accepted; another date is not.
    again = parse_upload(IncentiveImport(), "g.csv", _csv(rows[:1]), manager_client.user)
    assert again.ok, again.errors
    moved = [{**rows[0], "Awarded on": "2025-03-02"}]
    refused = parse_upload(IncentiveImport(), "g.csv", _csv(moved), manager_client.user)
    assert [(e.line, e.reasons) for e in refused.errors] == [
        (2, ["Awarded on: Dated has its history already (2025-03-01); date its steps on its page"])
    ]


def test_every_row_with_impossible_dates_is_named_and_nothing_is_written(manager_client):
    make_partner("HIPA")
    db.session.commit()
    soon = (today() + timedelta(days=1)).isoformat()
    rows = [
        _grant("Fine", awarded="2025-03-01"),
        _grant("Backwards", submitted="2025-04-01", awarded="2025-03-01"),
        _grant("Too far", "Submitted", awarded="2025-03-01"),
        _grant("Not ended", "Awarded", closed="2025-03-01"),
        _grant("Future", awarded=soon),
    ]
    preview = parse_upload(IncentiveImport(), "g.csv", _csv(rows), manager_client.user)
    assert [(e.line, " ".join(e.reasons)) for e in preview.errors] == [
        (3, "Awarded on: Awarded on 2025-03-01 comes before submitted on 2025-04-01."),
        (4, "Awarded on: Awarded on is given, but the incentive is submitted: it has not got "
            "that far."),
        (5, "Closed on: Ended on is given, but the incentive is awarded: it has not got that "
            "far."),
        (6, f"Awarded on: Awarded on {soon} is still to come: a step is dated on the day it "
            "happened."),
    ]  # fmt: skip
    assert db.session.scalar(select(Incentive)) is None


@pytest.mark.parametrize("ended", [True, False], ids=["closed since", "held"])
def test_fifty_past_awards_leave_this_months_board_report_as_it_was(viewer_client, ended):
    make_partner("HIPA")
    db.session.commit()
    month = today().strftime("%Y-%m")
    url = f"/reports/monthly?month={month}"
    before = viewer_client.get(url).get_data(as_text=True)
    rows = [
        _grant(
            f"Grant {n}",
            "Closed" if ended else "Awarded",
            submitted=f"2024-{n % 12 + 1:02d}-01",
            awarded=f"2025-{n % 12 + 1:02d}-15",
            closed="2025-12-31" if ended else "",
        )
        for n in range(50)
    ]
    importer = make_user("manager")
    preview = parse_upload(IncentiveImport(), "g.csv", _csv(rows), importer)
    assert preview.errors == []
    apply(preview, importer)
    db.session.commit()
    assert len(db.session.scalars(select(Incentive)).all()) == 50
    after = viewer_client.get(url).get_data(as_text=True)
    report_before, report_after = _report(before), _report(after)
    if ended:
        assert report_after == report_before  # nothing of theirs happened this month
    else:
        # Held now, so counted among the incentives held; but no move, no new award.
        assert _moves(report_after) == _moves(report_before)
        assert "0 of 0 incentives held" in before and "0 of 50 incentives held" in after


def _report(page: str) -> str:
    """The report's own part of the page (the rest holds a per-request CSRF token)."""
    return page[page.index('<div class="monthly-report">') : page.index("<!-- /monthly-report")]


def _moves(report: str) -> str:
    """The headlines on incentive moves and new awards."""
    return report[report.index("Incentive moves") : report.index("Clawback exposure")]
