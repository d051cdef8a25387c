"""The pages outside the four journeys, scanned as well: the accessibility statement (with its
form and its errors), the privacy pages, and a person's own profile and data pages, in Swedish
and English, on a phone and on a desktop."""

from __future__ import annotations

import pytest

from tests.browser.helpers import login, no_horizontal_scroll, scan, set_language

pytestmark = pytest.mark.browser

PUBLIC = ["/accessibility", "/privacy", "/privacy/record", "/password/forgot"]
OWN = ["/profile", "/profile/privacy", "/profile/mail", "/profile/close", "/notifications"]


@pytest.mark.parametrize("width", [1280, 375])
@pytest.mark.parametrize("locale", ["sv", "en"])
def test_public_pages_and_the_report_form(live_server, new_page, width, locale):
    page = new_page(width=width)
    page.goto(live_server + "/")  # the login page, logged out
    set_language(page, live_server, locale)
    for path in PUBLIC:
        response = page.goto(live_server + path)
        assert response.ok, f"{path}: {response.status}"
        scan(page)
        if width == 375:
            no_horizontal_scroll(page)
    # The statement's report form, sent empty: the errors must be as accessible as the page.
    page.goto(live_server + "/accessibility")
    page.locator("form[method=post] button[type=submit]").last.click()
    page.wait_for_load_state()
    assert page.locator(".error-summary").count() == 1
    scan(page)


@pytest.mark.parametrize("width", [1280, 375])
@pytest.mark.parametrize("locale", ["sv", "en"])
def test_ones_own_pages(live_server, new_page, width, locale):
    page = new_page(width=width)
    login(page, live_server, "personal@kuf.example.org")
    set_language(page, live_server, locale)
    for path in OWN:
        response = page.goto(live_server + path)
        assert response.ok, f"{path}: {response.status}"
        scan(page)
        if width == 375:
            no_horizontal_scroll(page)
    set_language(page, live_server, "sv")  # the demo user's language as it was
