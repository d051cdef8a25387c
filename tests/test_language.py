"""Swedish by default, English on request: the words, the dates and the times."""

from __future__ import annotations

from tests.factories import login, make_hub, make_user
from tests.helpers import location, reload, shows, sv


def test_swedish_by_default_and_english_on_request(client):
    page = client.get("/login")
    assert '<html lang="sv">' in page.get_data(as_text=True)
    assert shows(page, sv("Log in to hubbar"))

    response = client.post("/language", data={"locale": "en", "next": "/login"})
    assert response.status_code == 302
    assert location(response) == "/login"
    page = client.get("/login")
    assert '<html lang="en">' in page.get_data(as_text=True)
    assert shows(page, "Log in to hubbar")
    assert shows(page, "Language changed.")


def test_unknown_language_changes_nothing(client):
    client.post("/language", data={"locale": "de"})
    assert '<html lang="sv">' in client.get("/login").get_data(as_text=True)


def test_language_switch_is_saved_on_the_profile(app, client):
    user = make_user(locale="sv")
    login(client, user)
    response = client.post("/language", data={"locale": "en", "next": "/profile"})
    assert location(response) == "/profile"
    assert reload(user).locale == "en"
    page = client.get("/profile")
    assert '<html lang="en">' in page.get_data(as_text=True)
    assert shows(page, "Your profile")

    # The next login, from another browser, is in English too.
    other = app.test_client()
    login(other, user)
    assert '<html lang="en">' in other.get("/").get_data(as_text=True)


def test_profile_form_changes_name_and_language(client):
    user = make_user(locale="sv", display_name="Anna Berg")
    login(client, user)
    response = client.post(
        "/profile", data={"profile-display_name": "Anna Berg Ek", "profile-locale": "en"}
    )
    assert response.status_code == 302
    page = client.get("/profile")
    assert shows(page, "Your profile is saved.")
    user = reload(user)
    assert (user.display_name, user.locale) == ("Anna Berg Ek", "en")

    response = client.post("/profile", data={"profile-display_name": "", "profile-locale": "sv"})
    assert response.status_code == 200
    assert shows(response, "Enter a name.")
    assert reload(user).locale == "en"


def test_dates_and_times_in_each_language(client):
    hub = make_hub(name="Kungsklippan 6")
    user = make_user(organisation=hub.host_organisation, locale="sv")
    login(client, user)
    page = client.get(f"/hubs/{hub.id}?week=2026-11-16")
    assert shows(page, "2026-11-16") and shows(page, "2026-11-22")
    assert shows(page, "08.00–17.00")
    assert not shows(page, "08:00")
    assert shows(page, "Måndag")

    client.post("/language", data={"locale": "en"})
    page = client.get(f"/hubs/{hub.id}?week=2026-11-16")
    assert shows(page, "2026-11-16") and shows(page, "2026-11-22")
    assert shows(page, "08:00–17:00")
    assert not shows(page, "08.00")
    assert shows(page, "Monday")
