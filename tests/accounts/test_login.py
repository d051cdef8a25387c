"""Logging in and out."""

from __future__ import annotations

from tests.factories import PASSWORD, login, make_user
from tests.helpers import location, reload, shows, sv

WRONG = "Fel e-postadress eller lösenord."


def test_right_password_logs_in_and_greets_the_user(client):
    user = make_user(display_name="Anna Berg", email="anna.berg@kuf.example.org")
    assert user.last_login_at is None

    response = login(client, user)
    assert response.status_code == 302
    assert location(response) == "/"

    home = client.get("/")
    assert home.status_code == 200
    assert shows(home, sv("Welcome, %(name)s!", name="Anna Berg"))
    assert shows(home, sv("Hello, %(name)s", name="Anna Berg"))
    assert reload(user).last_login_at is not None


def test_email_is_matched_whatever_its_case(client):
    user = make_user(email="anna.berg@kuf.example.org")
    response = client.post(
        "/login", data={"email": " Anna.Berg@KuF.example.org ", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert reload(user).last_login_at is not None


def test_login_follows_a_local_next_but_not_another_site(client):
    user = make_user()
    data = {"email": user.email, "password": PASSWORD}
    response = client.post("/login?next=/profile", data=data)
    assert location(response) == "/profile"
    client.post("/logout")
    response = client.post("/login?next=//evil.example.com/", data=data)
    assert location(response) == "/"


def test_wrong_password_and_unknown_email_get_the_same_message(client):
    user = make_user()
    wrong_password = client.post("/login", data={"email": user.email, "password": "not it at all"})
    unknown = client.post("/login", data={"email": "nobody@example.org", "password": PASSWORD})
    for response in (wrong_password, unknown):
        assert response.status_code == 200
        assert shows(response, WRONG)
    assert reload(user).last_login_at is None
    # Still not logged in: the start page sends to the login page.
    assert location(client.get("/")).startswith("/login")


def test_inactive_user_cannot_log_in(client):
    user = make_user(active=False)
    response = login(client, user)
    assert response.status_code == 200
    assert shows(response, WRONG)
    assert reload(user).last_login_at is None
    assert location(client.get("/")).startswith("/login")


def test_invited_user_without_a_password_cannot_log_in(client):
    user = make_user(password_hash=None)
    response = client.post("/login", data={"email": user.email, "password": ""})
    assert response.status_code == 200
    assert shows(response, sv("Enter your password."))
    response = client.post("/login", data={"email": user.email, "password": "anything at all"})
    assert shows(response, WRONG)
    assert reload(user).last_login_at is None


def test_empty_login_form_asks_for_both_fields(client):
    response = client.post("/login", data={})
    assert response.status_code == 200
    assert shows(response, sv("Enter your e-mail address."))
    assert shows(response, sv("Enter your password."))


def test_logout_is_post_only(client):
    user = make_user(display_name="Anna Berg")
    login(client, user)

    response = client.get("/logout")
    assert response.status_code == 405
    assert shows(response, sv("This address does not accept that kind of request."))
    assert client.get("/").status_code == 200  # still logged in

    response = client.post("/logout")
    assert response.status_code == 302
    assert location(response) == "/login"
    page = client.get("/login")
    assert shows(page, sv("You are logged out."))
    assert location(client.get("/")).startswith("/login")


def test_pages_ask_for_login_first(client):
    response = client.get("/admin/users")
    assert response.status_code == 302
    assert location(response).startswith("/login?next=")
    assert shows(client.get(location(response)), sv("Log in to see that page."))
