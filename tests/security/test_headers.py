"""Security headers on every kind of response: pages, errors, static files, the API, calendar
feeds; HSTS only over HTTPS; nothing personal left in a cache."""

from __future__ import annotations

import re

import pytest

from hubbar import create_app
from hubbar.bookings import feeds
from hubbar.security import CONTENT_SECURITY_POLICY
from tests.api.helpers import token_for
from tests.factories import login, make_admin, make_hub, make_user

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
EVERYWHERE = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
INLINE = re.compile(r"<script(?![^>]*\ssrc=)[^>]*>|\son[a-z]+\s*=|\sstyle\s*=|<style", re.I)


def check_headers(response, *, https: bool = False) -> None:
    for name, value in EVERYWHERE.items():
        assert response.headers.get(name) == value, (name, response.request.path)
    policy = response.headers["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()"):
        assert feature in policy
    if https:
        assert response.headers["Strict-Transport-Security"] == (
            "max-age=31536000; includeSubDomains"
        )
    else:
        assert "Strict-Transport-Security" not in response.headers
    if response.mimetype == "text/html":
        page = response.get_data(as_text=True)
        assert not INLINE.search(page), INLINE.search(page).group(0)


def no_store(response) -> bool:
    return "no-store" in response.headers.get("Cache-Control", "")


def test_the_policy_is_the_documented_one():
    assert CONTENT_SECURITY_POLICY == CSP


@pytest.mark.parametrize("https", [False, True], ids=["http", "https"])
def test_every_kind_of_response_carries_the_headers(app, https):
    base = "https://localhost" if https else "http://localhost"
    hub = make_hub(desks=2)
    admin = make_admin()
    employee = make_user(organisation=hub.host_organisation)
    token = token_for(employee)
    feed_token = feeds.create_or_regenerate_feed(employee)
    anonymous, as_admin, as_employee = (app.test_client() for _ in range(3))
    for client, user in ((as_admin, admin), (as_employee, employee)):
        assert login(client, user).status_code == 302

    anonymous_pages = {
        "/login": 200,
        "/password/forgot": 200,
        "/": 302,
        "/nowhere": 404,
        "/logout": 405,
        "/static/hubbar.css": 200,
        "/static/today.js": 200,
        f"/calendar/{feed_token}.ics": 200,
        "/calendar/not-a-token.ics": 404,
        "/api/v1/openapi.json": 200,
        "/api/v1/me": 401,
        "/api/v1/nowhere": 404,
    }
    for path, status in anonymous_pages.items():
        response = anonymous.get(path, base_url=base)
        assert response.status_code == status, path
        check_headers(response, https=https)
        assert not no_store(response) or path.startswith("/api/"), path

    api = anonymous.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}, base_url=base)
    assert api.status_code == 200
    check_headers(api, https=https)
    assert no_store(api)

    personal_pages = [
        (as_admin, "/", 200),
        (as_admin, "/profile", 200),
        (as_admin, f"/hubs/{hub.id}", 200),
        (as_admin, f"/manage/hubs/{hub.id}/qr", 200),
        (as_admin, f"/hubs/{hub.id}/today", 200),
        (as_admin, "/dashboard", 200),
        (as_admin, "/admin/audit/export.csv", 200),
        (as_employee, "/admin/users", 403),
        (as_employee, "/bookings/999999", 404),
        (as_employee, f"/calendar/{feed_token}.ics", 200),
    ]
    for client, path, status in personal_pages:
        response = client.get(path, base_url=base)
        assert response.status_code == status, path
        check_headers(response, https=https)
        assert no_store(response), path
    static = as_admin.get("/static/hubbar.css", base_url=base)
    check_headers(static, https=https)
    assert not no_store(static)


def test_a_server_error_carries_the_headers(database_url):
    app = create_app(
        {
            "TESTING": True,
            "PROPAGATE_EXCEPTIONS": False,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "test-secret",
        }
    )

    @app.get("/boom")
    def boom():
        raise RuntimeError("boom")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    check_headers(response)


def test_a_view_that_says_no_store_keeps_its_words(app, client):
    """Headers a view sets are not overwritten: the feed's own caching for anonymous calendar
    clients stays."""
    user = make_user()
    token = feeds.create_or_regenerate_feed(user)
    response = client.get(f"/calendar/{token}.ics")
    assert response.headers["Cache-Control"] == "private, max-age=300"
