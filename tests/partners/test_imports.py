"""Partner and contact imports write through the operations: a rule refuses a row with
the form's own message."""

import csv
import html as html_lib
import io
import re

from sqlalchemy import select

from tests.conftest import post_form
from tests.factories import make_partner, make_region, make_user
from tracker.core.imports import apply, parse_upload
from tracker.core.models import AuditEvent
from tracker.extensions import db
from tracker.partners.imports import ContactImport, PartnerImport
from tracker.partners.models import Contact, Partner

ERROR = re.compile(r'<p class="error">([^<]*)</p>')


def _csv(header: list[str], rows: list[list]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode()


def _form_errors(response) -> list[str]:
    return [html_lib.unescape(m) for m in ERROR.findall(response.get_data(as_text=True))]


def test_region_in_another_country_gets_the_forms_message_in_an_import(manager_client):
    region = make_region("Győr", "HU")
    db.session.commit()
    form = post_form(
        manager_client,
        "/partners/new",
        {
            "name": "Slovak Battery Alliance",
            "kind": "cluster_alliance",
            "status": "active",
            "country_code": "SK",
            "region_id": str(region.id),
        },
    )
    (message,) = _form_errors(form)
    assert message.startswith("Győr is in HU, but the partner's country is SK")

    content = _csv(
        ["Name", "Country", "Kind", "Region"],
        [["Slovak Battery Alliance", "SK", "Cluster alliance", "Győr"]],
    )
    preview = parse_upload(PartnerImport(), "p.csv", content, manager_client.user)
    assert [(e.line, e.reasons) for e in preview.errors] == [(2, [f"Region: {message}"])]


def test_bad_phone_gets_the_forms_message_in_an_import(manager_client):
    partner = make_partner("HIPA", country_code="HU")
    db.session.commit()
    form = post_form(
        manager_client,
        f"/partners/{partner.id}/contacts/new",
        {"name": "Ana", "phone": "call me", "email": "", "job_title": "", "notes": ""},
    )
    (message,) = _form_errors(form)
    assert message.startswith("Enter a phone number of digits")

    content = _csv(
        ["Partner", "Partner country", "Name", "Phone"], [["HIPA", "HU", "Ana", "call me"]]
    )
    preview = parse_upload(ContactImport(), "c.csv", content, manager_client.user)
    assert [(e.line, e.reasons) for e in preview.errors] == [(2, [f"Phone: {message}"])]
    assert db.session.scalar(select(Contact)) is None


def test_imports_are_audited_as_the_importing_user(app):
    user = make_user("manager")
    hipa = make_partner("HIPA", country_code="HU", website="https://old.example")
    db.session.add(Contact(partner=hipa, name="Ana Petrova", email="ana@hipa.hu"))
    region = make_region("Győr", "HU")
    db.session.commit()
    partners = _csv(
        ["Name", "Country", "Kind", "Region", "Owner", "Website"],
        [
            ["hipa", "HU", "Economic agency", "Győr", user.email, "https://www.hipa.hu"],
            ["Voltmodul", "HU", "Tier-1 supplier", "", "", ""],
        ],
    )
    preview = parse_upload(PartnerImport(), "p.csv", partners, user)
    assert preview.ok, preview.errors
    assert [p.action for p in preview.plans] == ["update", "create"]
    assert db.session.scalar(select(AuditEvent)) is None  # the preview wrote nothing
    apply(preview, user)
    stored = db.session.get(Partner, hipa.id)
    assert (stored.name, stored.region_id, stored.owner_id) == ("HIPA", region.id, user.id)
    update = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "update"))
    assert update.user_id == user.id
    assert update.changes["website"]["new_text"] == "https://www.hipa.hu"
    assert update.changes["region_id"]["new_text"] == "Győr (HU)"

    contacts = _csv(
        ["Partner", "Partner country", "Name", "E-mail", "Phone"],
        [
            ["HIPA", "HU", "Ana Petrova-Novak", "ANA@hipa.hu", "+36 1 234 5678"],
            ["Voltmodul", "HU", "Béla Kiss", "", ""],
        ],
    )
    preview = parse_upload(ContactImport(), "c.csv", contacts, user)
    assert preview.ok, preview.errors
    apply(preview, user)
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.entity_type == "contacts").order_by(AuditEvent.id)
    ).all()
    voltmodul = db.session.scalar(select(Partner).where(Partner.name == "Voltmodul"))
    assert [(e.action, e.parent_id, e.user_id) for e in events] == [
        ("update", hipa.id, user.id),
        ("create", voltmodul.id, user.id),
    ]
    assert events[0].changes["name"]["new_text"] == "Ana Petrova-Novak"
