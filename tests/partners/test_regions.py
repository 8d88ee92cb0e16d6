"""Regions: list with partner counts, create, edit, validation."""

from sqlalchemy import func, select

from tests.conftest import post_form
from tests.factories import make_partner, make_region
from tracker.extensions import db
from tracker.partners.models import Region


def test_create_and_edit_region(manager_client):
    response = post_form(
        manager_client,
        "/regions/new",
        {"name": "Nuevo León", "country_code": "MX", "sector_focus": "Automotive"},
    )
    assert response.status_code == 302
    region = db.session.scalar(select(Region))
    assert (region.name, region.country_code) == ("Nuevo León", "MX")
    post_form(
        manager_client,
        f"/regions/{region.id}/edit",
        {"name": "Nuevo León", "country_code": "MX", "sector_focus": "EV & electronics"},
    )
    assert db.session.get(Region, region.id).sector_focus == "EV & electronics"


def test_region_list_counts_partners(viewer_client):
    region = make_region("Győr–Moson–Sopron", "HU")
    make_partner("HIPA", region_id=region.id)
    make_partner("Voltmodul", region_id=region.id)
    db.session.commit()
    html = viewer_client.get("/regions").get_data(as_text=True)
    assert "Győr–Moson–Sopron" in html and "Hungary (HU)" in html
    assert '">2</a></td>' in html


def test_region_needs_name_and_known_country_and_no_duplicates(manager_client):
    make_region("Bratislava", "SK")
    db.session.commit()
    missing = post_form(
        manager_client, "/regions/new", {"name": "", "country_code": "XX", "sector_focus": "kept"}
    )
    html = missing.get_data(as_text=True)
    assert "This field is required." in html and "Not a valid choice" in html
    assert 'value="kept"' in html
    duplicate = post_form(
        manager_client,
        "/regions/new",
        {"name": "bratislava", "country_code": "SK", "sector_focus": ""},
    )
    assert "already exists in SK" in duplicate.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Region)) == 1
