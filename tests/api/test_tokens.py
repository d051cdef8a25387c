"""Personal access tokens: from the token endpoint or the profile page, stored only as a hash,
valid for 90 days, revocable; every other API call needs one."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta

import pytest

from hubbar import create_app
from hubbar.api.models import ApiToken
from hubbar.extensions import db
from tests.api.helpers import NOW, call, error_of, token_for
from tests.factories import PASSWORD, login, make_user
from tests.helpers import count, reload, shows, snapshot, sv, text

# --- the token endpoint --------------------------------------------------------------------


def test_token_for_email_and_password(client, world):
    response = call(
        client,
        "POST",
        "/api/v1/auth/token",
        json={"email": "Anna.Berg@kuf.example.org", "password": PASSWORD, "name": "Outlook"},
    )
    assert response.status_code == 201
    body = response.get_json()
    token = body["token"]
    assert token.startswith("hubbar_") and len(token) > 40
    assert body["name"] == "Outlook"
    assert datetime.fromisoformat(body["expires_at"]) == NOW + timedelta(days=90)

    row = db.session.query(ApiToken).filter_by(name="Outlook").one()
    assert row.user_id == world.anna.id
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert row.created_at == NOW and row.revoked_at is None and row.last_used_at is None
    # Only the hash is kept: the token itself is nowhere in the database.
    assert token not in repr(snapshot())

    me = call(client, "GET", "/api/v1/me", token)
    assert me.status_code == 200
    assert me.get_json()["email"] == "anna.berg@kuf.example.org"


def test_a_token_without_a_name_is_called_api(client, world):
    response = call(
        client,
        "POST",
        "/api/v1/auth/token",
        json={"email": world.erik.email, "password": PASSWORD},
    )
    assert response.status_code == 201
    assert response.get_json()["name"] == "API"
    assert count(ApiToken, ApiToken.user_id == world.erik.id) == 2


@pytest.mark.parametrize(
    "credentials",
    [
        {"email": "anna.berg@kuf.example.org", "password": "wrong password here"},
        {"email": "nobody@kuf.example.org", "password": PASSWORD},
        {"email": "", "password": PASSWORD},
        {"email": "inactive@kuf.example.org", "password": PASSWORD},
    ],
)
def test_wrong_credentials_are_401_with_the_login_message(client, world, credentials):
    make_user(world.anna.organisation, email="inactive@kuf.example.org", active=False)
    before = snapshot()
    response = call(client, "POST", "/api/v1/auth/token", json=credentials)
    assert error_of(response, 401, "unauthorized") == sv("Wrong e-mail address or password.")
    assert {**snapshot(), "login_attempts": []} == before  # only the failed attempt is kept


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ("not json", 400, "invalid_json"),
        ('["anna.berg@kuf.example.org"]', 400, "invalid_json"),
        ("null", 400, "invalid_json"),
        ("", 400, "invalid_json"),
        ('{"password": "x"}', 422, "invalid_input"),
        ('{"email": "anna.berg@kuf.example.org"}', 422, "invalid_input"),
        ('{"email": 12, "password": "x"}', 422, "invalid_input"),
        ('{"email": "anna.berg@kuf.example.org", "password": ["x"]}', 422, "invalid_input"),
        ('{"email": "anna\\u0000@kuf.example.org", "password": "x"}', 400, "bad_request"),
        ('{"email": "anna\\udcff@kuf.example.org", "password": "x"}', 400, "bad_request"),
        ('{"email": "anna.berg@kuf.example.org", "password": "\\ud800"}', 400, "bad_request"),
        ('{"email": "x@y.se", "password": "x", "name": "\\udcff"}', 400, "bad_request"),
    ],
)
def test_malformed_token_requests_change_nothing(client, world, body, status, code):
    before = snapshot()
    response = call(
        client, "POST", "/api/v1/auth/token", data=body, content_type="application/json"
    )
    error_of(response, status, code)
    assert snapshot() == before


@pytest.mark.parametrize("name", ["", "   ", "x" * 81, 7])
def test_a_bad_token_name_is_refused(client, world, name):
    before = snapshot()
    response = call(
        client,
        "POST",
        "/api/v1/auth/token",
        json={"email": world.anna.email, "password": PASSWORD, "name": name},
    )
    body = response.get_json()
    assert response.status_code == 422 and body["field"] == "name"
    assert snapshot() == before


# --- using a token -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Basic YW5uYTpodW5rZXI=",
        "Bearer hubbar_not-a-real-token",
        "Bearer " + "x" * 5000,
        "Bearer åäö",
    ],
)
def test_no_valid_token_is_401(client, world, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}
    before = snapshot()
    response = call(client, "GET", "/api/v1/me/bookings", headers=headers)
    error_of(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert snapshot() == before


def test_the_401_says_what_is_wrong(client, world):
    missing = call(client, "GET", "/api/v1/me")
    assert error_of(missing, 401, "unauthorized") == sv(
        "Send an access token in the Authorization header: Bearer <token>."
    )
    invalid = call(client, "GET", "/api/v1/me", "hubbar_nope")
    assert error_of(invalid, 401, "unauthorized") == sv(
        "The access token is not valid. It may have expired or been revoked."
    )


def test_a_token_expires_after_90_days(client, world, clock):
    clock.move_to(NOW + timedelta(days=90) - timedelta(seconds=1))
    assert call(client, "GET", "/api/v1/me", world.anna_token).status_code == 200
    clock.move_to(NOW + timedelta(days=90))
    error_of(call(client, "GET", "/api/v1/me", world.anna_token), 401, "unauthorized")


def test_a_revoked_token_stops_working_at_once(client, world):
    row = db.session.query(ApiToken).filter_by(user_id=world.anna.id).one()
    row.revoked_at = NOW
    db.session.commit()
    error_of(call(client, "GET", "/api/v1/me", world.anna_token), 401, "unauthorized")
    # Erik's token is unaffected.
    assert call(client, "GET", "/api/v1/me", world.erik_token).status_code == 200


def test_a_deactivated_users_token_stops_working(client, world):
    world.anna.active = False
    db.session.commit()
    error_of(call(client, "GET", "/api/v1/me", world.anna_token), 401, "unauthorized")


def test_last_used_is_kept_to_the_minute(client, world, clock):
    row = db.session.query(ApiToken).filter_by(user_id=world.anna.id).one()
    assert reload(row).last_used_at == NOW
    clock.move_to(NOW + timedelta(seconds=59))
    call(client, "GET", "/api/v1/me", world.anna_token)
    assert reload(row).last_used_at == NOW  # no write on every call
    clock.move_to(NOW + timedelta(minutes=5))
    call(client, "GET", "/api/v1/me", world.anna_token)
    assert reload(row).last_used_at == NOW + timedelta(minutes=5)


def test_a_browser_session_does_not_open_the_api(client, world):
    """The API takes no cookies (it is exempt from CSRF protection, so it must not)."""
    login(client, world.anna)
    assert client.get("/").status_code == 200
    error_of(client.get("/api/v1/me"), 401, "unauthorized")
    error_of(client.post("/api/v1/bookings", json={"desk_id": world.a1.id}), 401, "unauthorized")


def test_the_api_needs_no_csrf_token(database_url, world):
    """With CSRF protection on, as in production, JSON calls work without a CSRF token."""
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "WTF_CSRF_ENABLED": True,
            "HUBBAR_PASSWORD_HASH": "pbkdf2:sha256:1000",
            "SECRET_KEY": "csrf-test-secret",
        }
    )
    try:
        client = app.test_client()
        response = client.post(
            "/api/v1/auth/token", json={"email": world.anna.email, "password": PASSWORD}
        )
        assert response.status_code == 201
        token = response.get_json()["token"]
        booking = call(
            client,
            "POST",
            "/api/v1/bookings",
            token,
            json={"desk_id": world.a1.id, "start": "2026-12-01T09:00", "end": "2026-12-01T10:00"},
        )
        assert booking.status_code == 201
        # The web forms are still protected.
        assert client.post("/login", data={"email": "x", "password": "y"}).status_code == 400
    finally:
        with app.app_context():
            db.engine.dispose()


# --- the profile page ----------------------------------------------------------------------


def _new_token_on(page) -> str:
    return re.search(r'id="new-token" type="text" readonly value="([^"]+)"', text(page)).group(1)


def test_profile_creates_a_token_and_shows_it_once(client, world):
    login(client, world.anna)
    page = client.post("/profile/tokens", data={"token-name": "Power BI"})
    assert page.status_code == 200
    token = _new_token_on(page)
    row = db.session.query(ApiToken).filter_by(name="Power BI").one()
    assert row.user_id == world.anna.id
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert row.expires_at == NOW + timedelta(days=90)

    listing = client.get("/profile")
    assert shows(listing, "Power BI") and shows(listing, "2027-02-28 08:00")
    assert token not in text(listing)  # shown once, never again
    assert call(client, "GET", "/api/v1/me", token).status_code == 200


def test_profile_lists_tokens_with_their_dates(client, world, clock):
    row = db.session.query(ApiToken).filter_by(user_id=world.erik.id).one()
    row.last_used_at = datetime(2026, 11, 29, 14, 5, tzinfo=UTC)
    db.session.commit()
    login(client, world.erik)
    page = client.get("/profile")
    row_text = re.search(r"<tr>\s*<th scope=\"row\">test</th>(.*?)</tr>", text(page), re.S)
    cells = re.findall(r"<td>(.*?)</td>", row_text.group(1), re.S)
    assert cells[0].strip() == "2026-11-30 08.00"  # created
    assert cells[1].strip() == "2027-02-28 08.00"  # expires
    assert cells[2].strip() == "2026-11-29 15.05"  # last used, Stockholm time


def test_profile_refuses_a_token_without_a_name(client, world):
    login(client, world.anna)
    before = snapshot()
    page = client.post("/profile/tokens", data={"token-name": "  "})
    assert page.status_code == 422
    assert 'id="new-token"' not in text(page)
    assert snapshot() == before


def test_profile_revokes_a_token(client, world):
    login(client, world.anna)
    row = db.session.query(ApiToken).filter_by(user_id=world.anna.id).one()
    response = client.post(f"/profile/tokens/{row.id}/revoke")
    assert response.status_code == 302
    assert reload(row).revoked_at == NOW
    error_of(call(client, "GET", "/api/v1/me", world.anna_token), 401, "unauthorized")
    page = client.get("/profile")
    assert shows(page, "The access token test is revoked.")
    assert f"/profile/tokens/{row.id}/revoke" not in text(page)  # no longer listed


def test_nobody_revokes_someone_elses_token(client, world):
    login(client, world.anna)
    eriks = db.session.query(ApiToken).filter_by(user_id=world.erik.id).one()
    before = snapshot()
    response = client.post(f"/profile/tokens/{eriks.id}/revoke")
    assert response.status_code == 404
    assert snapshot() == before
    assert call(client, "GET", "/api/v1/me", world.erik_token).status_code == 200


def test_expired_tokens_are_marked_on_the_profile(client, world, clock):
    token_for(world.anna, "old")
    clock.move_to(NOW + timedelta(days=91))
    login(client, world.anna)
    page = client.get("/profile")
    assert shows(page, "Expired")
