"""With CSRF protection on (as in production), a form sent without its token is refused."""

from __future__ import annotations

import re

import pytest

from hubbar import create_app
from hubbar.extensions import db
from tests.factories import PASSWORD, make_user
from tests.helpers import reload, shows, sv


@pytest.fixture()
def protected_app(database_url):
    """A second app on the same (already migrated) database, with CSRF protection on."""
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "WTF_CSRF_ENABLED": True,
            "HUBBAR_PASSWORD_HASH": "pbkdf2:sha256:1000",
            "SECRET_KEY": "csrf-test-secret",
        }
    )
    yield app
    with app.app_context():
        db.engine.dispose()


def test_login_without_a_token_is_refused(protected_app):
    user = make_user()
    client = protected_app.test_client()

    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert shows(response, sv("Bad request"))
    assert reload(user).last_login_at is None
    assert client.get("/").status_code == 302  # not logged in

    # With the token from the form, the same login works.
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    assert reload(user).last_login_at is not None


def test_language_switch_needs_the_token_too(protected_app):
    client = protected_app.test_client()
    assert client.post("/language", data={"locale": "en"}).status_code == 400
    assert '<html lang="sv">' in client.get("/login").get_data(as_text=True)
