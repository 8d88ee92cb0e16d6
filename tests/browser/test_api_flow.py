"""The API's reference page in a real browser, within the Content Security Policy; a token
made on the account page, used in the reference's own “Try it out”."""

import pytest

from tests.browser.conftest import screenshot, sign_in
from tests.factories import PASSWORD, make_partner, make_user
from tracker.extensions import db

pytestmark = pytest.mark.browser


def test_the_reference_renders_from_vendored_files_within_the_csp(page):
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    outside = []
    page.on("request", lambda r: outside.append(r.url) if "127.0.0.1" not in r.url else None)
    page.goto("/api/v1/docs")
    page.wait_for_selector(".opblock-tag")
    tags = page.locator(".opblock-tag").all_inner_texts()
    assert any(tag.startswith("Partners") for tag in tags)
    assert any(tag.startswith("Incentives") for tag in tags)
    screenshot(page, "api-docs")
    assert problems == [] and outside == []


def test_a_token_from_the_account_page_works_in_the_reference(page):
    user = make_user("manager")
    make_partner("Győr Agency")
    db.session.commit()
    sign_in(page, user.email, PASSWORD)
    page.goto("/account")
    page.click("text=New API token")
    page.fill("input[name=name]", "Reference")
    page.click("text=Make the token")
    secret = page.input_value("input.copy")
    assert secret.startswith("et_")
    screenshot(page, "api-token-made")

    page.goto("/api/v1/docs")
    page.click("button.authorize")
    page.fill(".auth-container input", secret)
    page.click(".auth-container button[type=submit]")
    page.click("button.btn-done")
    page.locator('.opblock-get:has(.opblock-summary-path[data-path="/api/v1/partners"])').click()
    page.click("text=Try it out")
    page.click("button.execute")
    body = page.locator(".live-responses-table .response-col_description pre").first
    body.wait_for()
    assert "Győr Agency" in body.inner_text()
    screenshot(page, "api-docs-try-it-out")
