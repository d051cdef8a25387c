"""Invitation links: an admin creates a user, the user chooses a password with the link."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import time_machine
from sqlalchemy import select
from werkzeug.security import check_password_hash

from hubbar.accounts.models import User
from hubbar.extensions import db
from tests.factories import login, make_admin, make_organisation
from tests.helpers import STOCKHOLM, count, location, reload, shows, sv

NEW_PASSWORD = "ett långt lösenord"


def _invite(app, client_admin, org) -> tuple[User, str]:
    """Create a user through the admin page and return the user and the invitation path."""
    response = client_admin.post(
        "/admin/users/new",
        data={
            "email": "sara.nystrom@kuf.example.org",
            "display_name": "Sara Nyström",
            "organisation_id": org.id,
            "locale": "sv",
        },
        follow_redirects=True,
    )
    assert response.status_code == 200
    match = re.search(
        r'value="https?://[^/"]+(/invitation/[^"]+)"', response.get_data(as_text=True)
    )
    assert match, "no invitation link on the page"
    user = db.session.scalar(select(User).where(User.email == "sara.nystrom@kuf.example.org"))
    return user, match.group(1)


def test_invitation_sets_the_password_and_logs_in(app, client):
    org = make_organisation()
    login(client, make_admin())
    user, link = _invite(app, client, org)
    assert not user.has_password

    invited = app.test_client()
    page = invited.get(link)
    assert page.status_code == 200
    assert shows(page, sv("Choose a password for %(email)s.", email=user.email))

    response = invited.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert location(response) == "/"
    home = invited.get("/")
    assert shows(home, sv("Your password is set. Welcome to hubbar!"))
    assert shows(home, sv("Hello, %(name)s", name="Sara Nyström"))
    assert check_password_hash(reload(user).password_hash, NEW_PASSWORD)

    # The same link does not work a second time.
    again = app.test_client().get(link)
    assert again.status_code == 400
    assert shows(again, sv("The link is not valid any more. Ask for a new invitation."))
    hash_before = reload(user).password_hash
    again = app.test_client().post(
        link, data={"password": "ett annat långt lösen", "confirm": "ett annat långt lösen"}
    )
    assert again.status_code == 400
    assert reload(user).password_hash == hash_before


def test_invitation_refuses_a_short_password_and_a_mismatch(app, client):
    org = make_organisation()
    login(client, make_admin())
    user, link = _invite(app, client, org)
    invited = app.test_client()

    short = invited.post(link, data={"password": "kort lösen", "confirm": "kort lösen"})
    assert short.status_code == 200
    assert shows(short, sv("The password must have at least %(n)d characters.", n=12))

    mismatch = invited.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "!"})
    assert mismatch.status_code == 200
    assert shows(mismatch, sv("The passwords are not the same."))

    same_as_email = invited.post(link, data={"password": user.email, "confirm": user.email})
    assert shows(same_as_email, sv("The password must not be your e-mail address."))

    assert not reload(user).has_password
    assert location(invited.get("/")).startswith("/login")  # not logged in
    # The link still works after the refusals.
    assert (
        invited.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code
        == 302
    )


def test_tampered_token_shows_the_link_is_not_valid(app, client):
    org = make_organisation()
    login(client, make_admin())
    user, link = _invite(app, client, org)
    tampered = link[:-3] + ("aaa" if not link.endswith("aaa") else "bbb")
    for path in (tampered, "/invitation/not-a-token"):
        response = app.test_client().get(path)
        assert response.status_code == 400
        assert shows(response, sv("The link does not work"))
        assert shows(response, sv("The link is not valid any more. Ask for a new invitation."))
        response = app.test_client().post(
            path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
        )
        assert response.status_code == 400
    assert not reload(user).has_password


def test_invitation_expires_after_fourteen_days(app, client):
    org = make_organisation()
    admin = make_admin()
    with time_machine.travel(
        datetime(2026, 11, 2, 9, 0, tzinfo=STOCKHOLM), tick=False
    ) as traveller:
        login(client, admin)
        user, link = _invite(app, client, org)
        traveller.shift(timedelta(days=13))
        assert app.test_client().get(link).status_code == 200
        traveller.shift(timedelta(days=2))
        response = app.test_client().post(
            link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
        )
    assert response.status_code == 400
    assert not reload(user).has_password


def test_a_new_link_for_a_user_with_a_password(app, client):
    """The admin's "new link" works as a password reset, and the old password stops working."""
    org = make_organisation()
    login(client, make_admin())
    user, link = _invite(app, client, org)
    app.test_client().post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})

    response = client.post(f"/admin/users/{user.id}/invitation")
    assert response.status_code == 200
    reset = re.search(
        r'value="https?://[^/"]+(/invitation/[^"]+)"', response.get_data(as_text=True)
    )
    assert reset
    assert count(User) == 2
    person = app.test_client()
    assert (
        person.post(
            reset.group(1),
            data={"password": "ett helt nytt lösenord", "confirm": "ett helt nytt lösenord"},
        ).status_code
        == 302
    )
    assert check_password_hash(reload(user).password_hash, "ett helt nytt lösenord")
