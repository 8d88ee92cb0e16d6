"""Text beyond ASCII: every `?q=` search and every unique name compare folded text (no case,
no accents), on SQLite and PostgreSQL alike, and two saves of one name at the same moment
cannot both win."""

import threading
from contextlib import contextmanager

import pytest
from sqlalchemy import event, func, select

from tests.conftest import csrf_token, post_form
from tests.factories import (
    make_commitment,
    make_engagement,
    make_incentive,
    make_partner,
    make_region,
)
from tests.helpers import opened
from tracker.core.models import AuditEvent
from tracker.core.text import fold
from tracker.extensions import db
from tracker.partners import operations
from tracker.partners.models import Partner, Region


@pytest.mark.parametrize(
    ("typed", "folded"),
    [
        ("Министерство", "министерство"),
        ("МОСВ", "мосв"),
        ("Győr", "gyor"),
        ("Łódź Special Economic Zone", "lodz special economic zone"),
        ("Ústí nad Labem", "usti nad labem"),
        ("Straße", "strasse"),
        ("Øresund", "oresund"),
        ("Đakovo", "dakovo"),
        ("İstanbul", "istanbul"),
        ("  Nuevo\tLeón \n", "nuevo leon"),
        ("ﬁnance", "finance"),  # a compatibility ligature
    ],
)
def test_fold_drops_case_accents_and_extra_spaces(typed, folded):
    assert fold(typed) == folded


# --- Search ---------------------------------------------------------------------------------


def _partner(name: str):
    return make_partner(name), 'href="/partners/{}"'


def _engagement(subject: str):
    return make_engagement([make_partner()], subject=subject), 'href="/engagements/{}"'


def _incentive(title: str):
    return make_incentive(title=title), 'href="/incentives/{}"'


def _commitment(title: str):
    return make_commitment(title=title), 'href="/commitments/{}"'


LISTS = {
    "/partners": _partner,
    "/engagements": _engagement,
    "/incentives": _incentive,
    "/commitments": _commitment,
}


def _found(client, url: str, query: str, records: dict) -> set[str]:
    html = client.get(url, query_string={"q": query}).get_data(as_text=True)
    return {name for name, (record, link) in records.items() if link.format(record.id) in html}


@pytest.mark.parametrize("url", list(LISTS))
def test_every_list_searches_in_any_case_with_or_without_accents(url, viewer_client):
    names = ["Министерство экономики", "МОСВ Чехии", "Győr Industrial Park", "50% match_me"]
    records = {name: LISTS[url](name) for name in names}
    db.session.commit()

    for query, expected in [
        ("министерство", {"Министерство экономики"}),
        ("МИНИСТЕРСТВО", {"Министерство экономики"}),
        ("мосв", {"МОСВ Чехии"}),
        ("gyor", {"Győr Industrial Park"}),
        ("GYŐR  industrial", {"Győr Industrial Park"}),
        ("%", {"50% match_me"}),  # a LIKE wildcard means itself
        ("atc_", set()),  # and so does an underscore
        ("prague", set()),
    ]:
        assert _found(viewer_client, url, query, records) == expected, query


def test_engagement_search_reads_summary_and_outcome_too(viewer_client):
    engagement = make_engagement(
        [make_partner()], subject="Visit", summary="Met the Ústí team", outcome="Ø follow-up"
    )
    db.session.commit()
    link = f'href="/engagements/{engagement.id}"'
    for query in ("usti", "o follow-up"):
        assert link in viewer_client.get(f"/engagements?q={query}").get_data(as_text=True)


def test_commitment_search_finds_its_counterparty_by_name(viewer_client):
    commitment = make_commitment(title="Anchor volume", counterparty=make_partner("Škoda Auto"))
    db.session.commit()
    html = viewer_client.get("/commitments?q=SKODA").get_data(as_text=True)
    assert f'href="/commitments/{commitment.id}"' in html


def test_keys_follow_an_edit(viewer_client):
    partner = make_partner("Old Name")
    db.session.commit()
    partner.name, partner.description = "Győri Ipari Park", "Zóna"
    db.session.commit()
    stored = db.session.get(Partner, partner.id)
    assert (stored.name_key, stored.search_key) == ("gyori ipari park", "gyori ipari park\nzona")
    assert "Győri Ipari Park" in viewer_client.get("/partners?q=gyori").get_data(as_text=True)


# --- Unique names ---------------------------------------------------------------------------


def _partner_form(name: str, country: str = "CZ") -> dict:
    return {
        "name": name,
        "kind": "economic_agency",
        "status": "active",
        "country_code": country,
        "region_id": "",
        "owner_id": "",
        "website": "",
        "cadence_days": "",
        "next_engagement_on": "",
        "description": "",
    }


def _region_form(name: str, country: str = "PL") -> dict:
    return {"name": name, "country_code": country, "sector_focus": ""}


@pytest.mark.parametrize(
    ("stored", "typed"),
    [
        ("Łódź Special Economic Zone", "Łódź Special Economic Zone"),
        ("Łódź Special Economic Zone", "LODZ special  economic zone"),
        ("Ústí nad Labem", "ÚSTÍ NAD LABEM"),
    ],
)
def test_a_duplicate_region_gets_the_message_not_an_error(stored, typed, manager_client):
    make_region(stored, "PL")
    db.session.commit()
    response = post_form(manager_client, "/regions/new", _region_form(typed))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f"A region named {typed} already exists in PL." in page
    assert f'value="{typed}"' in page  # what was typed stays
    assert db.session.scalar(select(func.count()).select_from(Region)) == 1


@pytest.mark.parametrize("typed", ["Ústí nad Labem", "usti NAD labem", "Usti nad Labem"])
def test_a_duplicate_partner_gets_the_message_not_an_error(typed, manager_client):
    make_partner("Ústí nad Labem", country_code="CZ")
    db.session.commit()
    response = post_form(manager_client, "/partners/new", _partner_form(typed))
    assert response.status_code == 200
    assert f"A partner named {typed} already exists in CZ." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Partner)) == 1


def test_the_same_name_in_another_country_is_fine(manager_client):
    make_partner("Ústí nad Labem", country_code="CZ")
    db.session.commit()
    response = post_form(manager_client, "/partners/new", _partner_form("Usti nad Labem", "SK"))
    assert response.status_code == 302


def test_renaming_into_a_taken_name_is_refused(manager_client):
    make_partner("Győr Industrial Park", country_code="HU")
    other = make_partner("Other", country_code="HU")
    db.session.commit()
    url = f"/partners/{other.id}/edit"
    response = manager_client.post(
        url, data={**_partner_form("GYOR INDUSTRIAL PARK", "HU"), **opened(manager_client, url)}
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "A partner named GYOR INDUSTRIAL PARK already exists in HU." in page
    assert db.session.get(Partner, other.id).name == "Other"


def test_a_restored_partner_gets_its_keys_again_and_keeps_its_name_unique():
    partner = operations.create_partner(
        _partner_form("Łódź Special Economic Zone", "PL"), actor=None
    )
    db.session.commit()
    operations.delete_partner(partner, actor=None)
    db.session.commit()
    deletion = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "delete"))
    # A deletion recorded before the keys existed keeps no keys.
    values = {
        k: v for k, v in deletion.state["values"].items() if k not in ("name_key", "search_key")
    }
    deletion.state = {**deletion.state, "values": values}
    db.session.commit()

    restored = operations.restore_partner(deletion, actor=None)
    db.session.commit()
    assert (restored.name_key, restored.search_key) == (
        "lodz special economic zone",
        "lodz special economic zone",
    )

    make_partner("Keeps the highest number", country_code="PL")  # SQLite reuses a freed max id
    operations.delete_partner(restored, actor=None)
    db.session.commit()
    operations.create_partner(_partner_form("LODZ Special Economic Zone", "PL"), actor=None)
    db.session.commit()
    again = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "delete").order_by(AuditEvent.id.desc())
    ).first()
    with pytest.raises(operations.DomainError, match="already exists in PL"):
        operations.restore_partner(again, actor=None)


# --- Two saves at the same moment -----------------------------------------------------------


@contextmanager
def _both_checked_before_either_saves(model: type):
    """Hold each save just before its INSERT until the other has come as far: both have
    passed the duplicate check, so only the database can refuse one."""
    barrier = threading.Barrier(2)

    def wait(mapper, connection, record):
        barrier.wait(timeout=30)

    event.listen(model, "before_insert", wait)
    try:
        yield
    finally:
        event.remove(model, "before_insert", wait)


@pytest.mark.parametrize(
    ("url", "model", "form", "message"),
    [
        ("/partners/new", Partner, _partner_form, "A partner named {} already exists in CZ."),
        ("/regions/new", Region, _region_form, "A region named {} already exists in PL."),
    ],
    ids=["partner", "region"],
)
def test_case_race_saves_one_and_refuses_the_other(
    url, model, form, message, manager_client, admin_client
):
    posts = {
        "Case race": (manager_client, csrf_token(manager_client, url)),
        "case race": (admin_client, csrf_token(admin_client, url)),
    }
    responses = {}

    def post(name):
        client, token = posts[name]
        responses[name] = client.post(url, data={**form(name), "csrf_token": token})

    with _both_checked_before_either_saves(model):
        threads = [threading.Thread(target=post, args=(name,)) for name in posts]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    assert sorted(r.status_code for r in responses.values()) == [200, 302]
    saved = db.session.scalars(select(model.name)).all()
    assert len(saved) == 1
    refused = next(name for name in posts if name not in saved)
    assert message.format(refused) in responses[refused].get_data(as_text=True)


def test_an_import_matches_partners_and_regions_by_the_same_key(app):
    from tracker.core.imports import parse_upload
    from tracker.partners.imports import ContactImport, PartnerImport

    region = make_region("Łódź", "PL")
    partner = make_partner("Łódź Special Economic Zone", country_code="PL")
    db.session.commit()
    partners = (
        "Name,Country,Kind,Region\n"
        "LODZ SPECIAL ECONOMIC ZONE,PL,Economic agency,lodz\n"
        "Lodz  special economic zone,PL,Economic agency,\n"
    )
    preview = parse_upload(PartnerImport(), "p.csv", partners.encode())
    assert [(p.action, p.record_id) for p in preview.plans] == [("update", partner.id)]
    assert [(e.line, e.reasons) for e in preview.errors] == [
        (3, ["Same partner as line 2: each may appear once in a file"])
    ]
    assert preview.plans[0].values["region_id"] == region.id

    contacts = "Partner,Partner country,Name\nLODZ special economic zone,PL,Anna Nowak\n"
    preview = parse_upload(ContactImport(), "c.csv", contacts.encode())
    assert preview.ok, preview.errors
