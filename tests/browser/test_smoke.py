"""Signing in through the real login form in a real browser."""

import pytest

from tests.browser.conftest import screenshot, sign_in
from tests.factories import PASSWORD, make_user
from tracker.extensions import db

pytestmark = pytest.mark.browser


def test_sign_in_through_the_form_and_see_the_home_page(page):
    user = make_user("manager", name="Katalin Varga")
    db.session.commit()

    page.goto("/")
    assert page.url.endswith("/login?next=%2F")
    screenshot(page, "login")

    sign_in(page, user.email, PASSWORD)
    page.wait_for_url("**/")
    assert page.locator("h1").inner_text().startswith("Good to see you, Katalin")
    assert page.locator(".whoami").inner_text().count("Manager") == 1
    assert page.locator(".area-grid .area").count() == 5
    screenshot(page, "home")

    page.click("text=Sign out")
    page.wait_for_url("**/login")
    assert "You are signed out." in page.content()


def test_wrong_password_in_the_browser_keeps_the_email(page):
    user = make_user("viewer")
    db.session.commit()
    sign_in(page, user.email, "not-the-password")
    assert page.locator(".form-errors").inner_text() == "Invalid e-mail or password."
    assert page.input_value("input[name=email]") == user.email
    assert page.input_value("input[name=password]") == ""
