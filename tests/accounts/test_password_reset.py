"""Forgotten password: the same answer for any address, a link by e-mail that works once and
for an hour, and the usual password rules."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from werkzeug.security import check_password_hash

from hubbar.accounts import operations as ops
from hubbar.errors import InvalidInput
from hubbar.mail import operations as mail
from hubbar.mail.models import OutboxMessage
from tests.bookings.clock import at
from tests.factories import PASSWORD, login, make_user
from tests.helpers import count, location, reload, sv
from tests.mail.conftest import MAIL_SETTINGS, SmtpServer

T0 = at("2026-12-01", "10:00")
NEW = "ett helt nytt lösenord"


@pytest.fixture()
def smtp_server(app):
    """The e-mail tests' SMTP server (tests/mail/conftest.py), for this folder."""
    saved = {name: app.config.get(name) for name in MAIL_SETTINGS}
    with SmtpServer() as server:
        server.configure(app.config)
        yield server
    app.config.update(saved)


def clock(moment):
    return time_machine.travel(moment, tick=False)


def ask(client, address: str):
    with clock(T0):
        return client.post("/password/forgot", data={"email": address})


def link_in(smtp_server) -> str:
    with clock(T0):
        mail.send_due()
    [message] = smtp_server.messages
    body = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    found = re.search(r"http://localhost:5000(/password/reset/\S+)\n", body)
    assert found, body
    return found.group(1)


def test_the_login_page_links_to_the_request_page(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'href="/password/forgot"' in page
    assert client.get("/password/forgot").status_code == 200


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, smtp_server):
    anna = make_user(email="anna@example.org")
    known = ask(client, "anna@example.org")
    unknown = ask(client, "nobody@example.org")
    assert known.status_code == unknown.status_code == 200
    same = known.get_data(as_text=True).replace("anna@example.org", "X")
    assert same == unknown.get_data(as_text=True).replace("nobody@example.org", "X")
    assert count(OutboxMessage) == 1
    with clock(T0):
        mail.send_due()
    assert [m["To"] for m in smtp_server.messages] == [anna.email]


def test_an_inactive_account_gets_no_link(client):
    make_user(email="gone@example.org", active=False)
    assert ask(client, "gone@example.org").status_code == 200
    assert count(OutboxMessage) == 0


def test_the_link_sets_a_new_password_once(app, client, smtp_server):
    anna = make_user(email="anna@example.org", locale="en")
    ask(client, "Anna@Example.org ")
    with clock(T0):
        mail.send_due()
    [message] = smtp_server.messages
    assert message["Subject"] == "Reset your hubbar password"
    body = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "Someone asked to reset the password of your hubbar account." in body
    assert "The link works once, for one hour." in body
    path = re.search(r"http://localhost:5000(/password/reset/\S+)\n", body).group(1)

    person = app.test_client()
    with clock(T0 + timedelta(minutes=30)):
        page = person.get(path)
        assert page.status_code == 200
        assert "anna@example.org" in page.get_data(as_text=True)
        done = person.post(path, data={"password": NEW, "confirm": NEW})
    assert done.status_code == 302 and location(done) == "/"
    assert check_password_hash(reload(anna).password_hash, NEW)
    assert location(login(app.test_client(), anna, NEW)) == "/"

    with clock(T0 + timedelta(minutes=31)):
        again = app.test_client().post(
            path, data={"password": "ännu ett lösenord", "confirm": "ännu ett lösenord"}
        )
    assert again.status_code == 400
    assert sv("The link is not valid any more. Ask for a new one.") in again.get_data(as_text=True)
    assert check_password_hash(reload(anna).password_hash, NEW)


def test_an_expired_link_is_refused(app, client, smtp_server):
    anna = make_user(email="anna@example.org", locale="en")
    ask(client, anna.email)
    path = link_in(smtp_server)
    with clock(T0 + timedelta(hours=1, seconds=1)):
        late = app.test_client().post(path, data={"password": NEW, "confirm": NEW})
    assert late.status_code == 400
    assert 'href="/password/forgot"' in late.get_data(as_text=True)
    assert check_password_hash(reload(anna).password_hash, PASSWORD)


def test_a_tampered_link_is_refused(app):
    assert app.test_client().get("/password/reset/not-a-token").status_code == 400
    with pytest.raises(InvalidInput):
        ops.user_for_password_reset("")


def test_the_password_rules_apply(app, client, smtp_server):
    anna = make_user(email="anna@example.org")  # Swedish
    ask(client, anna.email)
    path = link_in(smtp_server)
    person = app.test_client()
    with clock(T0 + timedelta(minutes=5)):
        short = person.post(path, data={"password": "kort", "confirm": "kort"})
        own_address = person.post(path, data={"password": anna.email, "confirm": anna.email})
        mismatch = person.post(path, data={"password": NEW, "confirm": NEW + "!"})
    assert short.status_code == own_address.status_code == mismatch.status_code == 422
    assert sv("The password must have at least %(n)d characters.", n=12) in short.get_data(
        as_text=True
    )
    assert sv("The passwords are not the same.") in mismatch.get_data(as_text=True)
    assert check_password_hash(reload(anna).password_hash, PASSWORD)
    with clock(T0 + timedelta(minutes=6)):
        assert person.post(path, data={"password": NEW, "confirm": NEW}).status_code == 302


def test_a_second_request_within_minutes_sends_no_second_mail(client):
    make_user(email="anna@example.org")
    ask(client, "anna@example.org")
    ask(client, "anna@example.org")
    assert count(OutboxMessage) == 1


def test_a_password_changed_otherwise_kills_the_link(app, client, smtp_server):
    anna = make_user(email="anna@example.org")
    ask(client, anna.email)
    path = link_in(smtp_server)
    ops.change_password(anna, PASSWORD, NEW)
    with clock(T0 + timedelta(minutes=1)):
        assert app.test_client().get(path).status_code == 400


def test_a_bad_address_is_a_form_error_not_a_500(client):
    response = client.post("/password/forgot", data={"email": ""})
    assert response.status_code == 422
    assert count(OutboxMessage) == 0
