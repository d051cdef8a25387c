"""Sessions: a new one at login and at logout (the language kept), bound to the browser
("strong" protection), and a remember cookie that keeps working."""

from __future__ import annotations

from tests.factories import PASSWORD, make_user
from tests.helpers import location

BROWSER = {"HTTP_USER_AGENT": "Mozilla/5.0 (Android 15) Firefox/140.0"}


def log_in(client, user, remember: bool = False, **kwargs):
    data = {"email": user.email, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    response = client.post("/login", data=data, **kwargs)
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def logged_in(client, **kwargs) -> bool:
    response = client.get("/", **kwargs)
    if response.status_code == 302:
        assert location(response).startswith("/login")
        return False
    assert response.status_code == 200
    return True


def session_of(client) -> dict:
    with client.session_transaction() as session:
        return dict(session)


def remember_cookie(client):
    return client.get_cookie("remember_token")


def test_login_starts_a_new_session(client):
    user = make_user()
    client.get("/login")  # the login page puts a CSRF token in the anonymous session
    with client.session_transaction() as session:
        session["planted"] = "by someone who knew this session"
        token_before = session["csrf_token"]

    log_in(client, user)
    client.get("/")
    after = session_of(client)
    assert "planted" not in after
    assert after["csrf_token"] != token_before
    assert after["_user_id"].startswith(f"{user.id}:")


def test_login_keeps_the_language_chosen_before(client):
    user = make_user(locale="sv")
    client.post("/language", data={"locale": "en"})
    log_in(client, user)
    assert session_of(client)["locale"] == "en"


def test_logout_clears_the_session_and_the_remember_cookie(client):
    user = make_user(locale="en")
    log_in(client, user, remember=True)
    assert remember_cookie(client) is not None
    client.get("/")  # the page's forms put a CSRF token in the session
    with client.session_transaction() as session:
        session["planted"] = "x"
        token_before = session["csrf_token"]

    response = client.post("/logout")
    assert location(response) == "/login"
    after = session_of(client)
    assert "planted" not in after and "_user_id" not in after
    assert after.get("csrf_token") != token_before
    assert remember_cookie(client) is None
    assert not logged_in(client)
    # The login page after logging out is in the user's language.
    assert session_of(client)["locale"] == "en"


def test_the_remember_cookie_logs_in_again_and_stays(client):
    user = make_user()
    log_in(client, user, remember=True, environ_base=BROWSER)
    client.delete_cookie("session")  # the browser was closed
    for _ in range(3):
        assert logged_in(client, environ_base=BROWSER)
    assert remember_cookie(client) is not None
    assert session_of(client)["_user_id"].startswith(f"{user.id}:")


def test_without_remembering_closing_the_browser_logs_out(client):
    user = make_user()
    log_in(client, user, environ_base=BROWSER)
    client.delete_cookie("session")
    assert not logged_in(client, environ_base=BROWSER)


def test_a_session_in_another_browser_loses_its_login(client):
    """A copied session cookie presented by another User-Agent logs nobody in, and drops the
    remember cookie too."""
    user = make_user()
    log_in(client, user, remember=True, environ_base=BROWSER)
    assert logged_in(client, environ_base=BROWSER)
    assert not logged_in(client, environ_base={"HTTP_USER_AGENT": "curl/8.0"})
    assert remember_cookie(client) is None
    assert not logged_in(client, environ_base=BROWSER)


def test_a_phone_that_changes_network_stays_logged_in(client):
    user = make_user()
    log_in(client, user, environ_base={**BROWSER, "REMOTE_ADDR": "192.0.2.10"})
    assert logged_in(client, environ_base={**BROWSER, "REMOTE_ADDR": "198.51.100.20"})
    assert logged_in(client, environ_base={**BROWSER, "REMOTE_ADDR": "2001:db8::5"})
