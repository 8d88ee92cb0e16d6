"""What many tests do the same way: read a form's hidden fields, read a conflict table,
count rows, fill in an incentive form."""

import html as html_lib
import re
from datetime import timedelta

from sqlalchemy import func, select

from tracker.core.types import today
from tracker.extensions import db

HIDDEN = re.compile(r'<input id="(\w+)" name="\1" type="hidden" value="([^"]*)">')
STALE = "Someone else changed this"


def hidden_fields(page: str) -> dict[str, str]:
    """The hidden fields of the form on `page`: CSRF token, version, form token (and the
    kind on a new commitment)."""
    return dict(HIDDEN.findall(page))


def opened(client, url: str) -> dict[str, str]:
    """The hidden fields of the form at `url` as this client loaded it."""
    return hidden_fields(client.get(url).get_data(as_text=True))


def conflict_rows(page: str) -> dict[str, tuple[str, str]]:
    """The conflict table: field label → (stored now, what you typed)."""
    rows = re.findall(
        r'<tr><th scope="row">([^<]*)</th><td>([^<]*)</td><td>([^<]*)</td></tr>', page
    )
    return {
        html_lib.unescape(label): (html_lib.unescape(a), html_lib.unescape(b))
        for label, a, b in rows
    }


def count_rows(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def incentive_form(partner, **overrides) -> dict[str, str]:
    """A filled-in incentive form granted by `partner`: a HUF grant for 2027–2031."""
    data = {
        "title": "VIP cash grant – Győr",
        "kind": "grant",
        "granting_partner_id": str(partner.id),
        "region_id": "",
        "owner_id": "",
        "currency": "HUF",
        "amount_offered": "4500000000",
        "amount_awarded": "",
        "amount_received": "",
        "application_deadline": "",
        "decision_expected_on": "",
        "term_start_on": "2027-01-01",
        "term_end_on": "2031-12-31",
        "clawback_rule": "pro_rata",
        "clawback_floor_pct": "",
        "clawback_schedule": "",
        "clawback_cap": "",
        "clawback_interest": "none",
        "clawback_interest_pct": "",
        "clawback_rate_series": "",
        "clawback_terms": "",
        "aid_scheme_number": "",
        "aid_type": "",
        "nace_code": "",
        "aid_granted_on": "",
        "description": "",
    }
    return {**data, **overrides}


def coinvest_form(partner, **overrides) -> dict[str, str]:
    """A valid new co-investment form for `partner` as the counterparty, with `overrides`."""
    start = today()
    data = {
        "kind": "co_investment",
        "title": "Shared battery test centre",
        "status": "active",
        "counterparty_id": str(partner.id),
        "region_id": "",
        "start_on": start.isoformat(),
        "end_on": (start + timedelta(days=365)).isoformat(),
        "currency": "eur",
        "budget": "1000000",
        "spend_to_date": "0",
        "description": "",
    }
    return {**data, **overrides}
