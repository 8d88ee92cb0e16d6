"""The follow-ups export, read as plain rows from the list's own query, against the export as
it was made from the records (each follow-up with its engagement, partners and owner
loaded) and written by the reference writers: the same bytes, for every scope and state."""

import random
from datetime import timedelta

import pytest

from tests.core import reference_tables as reference
from tests.factories import make_engagement, make_follow_up, make_partner, make_user
from tracker.core.tables import Column, entities, export_file, name_of
from tracker.core.types import today
from tracker.extensions import db
from tracker.partners import services
from tracker.partners.exports import FOLLOW_UPS


def _state(follow_up) -> str:
    if follow_up.done_on:
        return "Done"
    return "Overdue" if follow_up.due_on < today() else "Open"


# The list's columns as they read the records before the export read plain rows.
FROM_RECORDS = [
    Column("Action", lambda f: f.title),
    Column("Engagement", lambda f: f.engagement.subject),
    Column("Engagement date", lambda f: f.engagement.occurred_on, "date"),
    Column("Partners", lambda f: "; ".join(p.name for p in f.engagement.partners)),
    Column("Owner", lambda f: name_of(f.owner)),
    Column("Due", lambda f: f.due_on, "date"),
    Column("Done on", lambda f: f.done_on, "date"),
    Column("State", _state),
]
TITLES = ["Send the minutes", "=HYPERLINK(1)", 'Say "yes", then; no', "Line\nbreak", "Győr 🚀"]


@pytest.fixture
def follow_ups(manager_client):
    """Follow-ups on engagements of no, one and several partners (two of one name), owned
    by the signed-in manager, someone else or no one; done, open and overdue."""
    rng = random.Random(3)
    me, other = manager_client.user, make_user(name="Ödön, Jr.; =x")
    partners = [
        make_partner(name, country_code=country)
        for name, country in [("Beta", "HU"), ("Alpha", "PL"), ("Alpha", "HU"), ("@Evil", "HU")]
    ] + [make_partner("Ünïcode")]
    t = today()
    for n in range(60):
        engagement = make_engagement(
            rng.sample(partners, rng.choice([0, 1, 1, 2, 5])),
            occurred_on=t - timedelta(days=rng.randrange(400)),
            subject=f"{rng.choice(TITLES)} {n}",
        )
        for _ in range(rng.randrange(4)):
            due_on = t + timedelta(days=rng.randrange(-60, 60))
            make_follow_up(
                engagement,
                owner=rng.choice([me, me, other, None]),
                due_on=due_on,
                done_on=rng.choice([None, None, due_on, t]),
                title=rng.choice(TITLES),
            )
    db.session.commit()
    return manager_client


def test_the_export_file_is_the_reference_byte_for_byte(follow_ups):
    query = FOLLOW_UPS.default_source()
    records = entities(query)
    assert len(records) > 60

    assert export_file(FOLLOW_UPS, "csv") == reference.to_csv(records, FROM_RECORDS)
    assert reference.workbook_contents(export_file(FOLLOW_UPS, "xlsx")) == (
        reference.workbook_contents(reference.to_xlsx(records, FROM_RECORDS, "Follow-ups"))
    )


@pytest.mark.parametrize("scope", ["mine", "everyone"])
@pytest.mark.parametrize("show", ["open", "done", "all"])
def test_each_scope_and_state_downloads_the_reference(follow_ups, scope, show):
    response = follow_ups.get(f"/followups?scope={scope}&show={show}&format=csv")

    owner_id = follow_ups.user.id if scope == "mine" else None
    records = entities(services.follow_up_list_query(owner_id, show, today()))
    assert records
    assert response.data == reference.to_csv(records, FROM_RECORDS)
