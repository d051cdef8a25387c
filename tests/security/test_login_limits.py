"""Login rate limits: per account and per client address, counted in the database, the same
answer whether or not the account exists; password-reset requests throttled silently."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from hubbar.accounts import operations as ops
from hubbar.accounts import throttle
from hubbar.accounts.models import LoginAttempt
from hubbar.extensions import db
from hubbar.mail.models import OutboxMessage
from tests.factories import PASSWORD, make_user
from tests.helpers import count, location, reload, sv, text

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
TOO_MANY = "Too many login attempts. Wait a minute and try again."
WRONG = "Wrong e-mail address or password."
WRONG_PASSWORD = "not the password at all"


@pytest.fixture()
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture()
def english(client):
    """The client reads English: messages compare with their msgids, catalogue or not."""
    client.post("/language", data={"locale": "en"})
    client.get("/login")  # shows (and so clears) the "Language changed" message
    return client


def page(response) -> str:
    """The page as read, without its CSRF token (signed with the time)."""
    return re.sub(r'name="csrf_token" value="[^"]*"', "", text(response))


def attempt(client, email: str, password: str, address: str = "127.0.0.1"):
    return client.post(
        "/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def fail_times(client, email: str, n: int, address: str = "127.0.0.1") -> None:
    for _ in range(n):
        response = attempt(client, email, WRONG_PASSWORD, address)
        assert response.status_code == 200, text(response)
        assert WRONG in text(response)


def logged_in(client) -> bool:
    return client.get("/").status_code == 200


# --- per account ---------------------------------------------------------------------------


def test_the_11th_attempt_in_a_minute_is_refused_even_with_the_right_password(english, clock):
    user = make_user()
    fail_times(english, user.email, 10)

    clock.shift(timedelta(seconds=30))
    wrong = attempt(english, user.email, WRONG_PASSWORD)
    right = attempt(english, user.email, PASSWORD)
    for response in (wrong, right):
        assert response.status_code == 429
        assert TOO_MANY in text(response)
        assert WRONG not in text(response)
        assert response.headers["Retry-After"] == "60"
    assert not logged_in(english)
    assert reload(user).last_login_at is None


def test_the_right_password_works_again_after_the_window(english, clock):
    user = make_user()
    fail_times(english, user.email, 10)
    clock.shift(timedelta(seconds=59))
    assert attempt(english, user.email, PASSWORD).status_code == 429

    clock.shift(timedelta(seconds=1))  # a minute after the ten failures
    response = attempt(english, user.email, PASSWORD)
    assert response.status_code == 302
    assert logged_in(english)
    assert reload(user).last_login_at == T0 + timedelta(seconds=60)


def test_nine_failures_leave_the_tenth_attempt_free(english, clock):
    user = make_user()
    fail_times(english, user.email, 9)
    assert attempt(english, user.email, PASSWORD).status_code == 302


def test_the_account_is_the_address_typed_whatever_its_case_and_spaces(english, clock):
    user = make_user(email="anna.berg@kuf.example.org")
    for typed in ("Anna.Berg@kuf.example.org", " anna.berg@KUF.example.org ") * 5:
        attempt(english, typed, WRONG_PASSWORD)
    assert attempt(english, user.email, PASSWORD).status_code == 429


def test_one_accounts_failures_do_not_refuse_another(english, clock):
    anna, erik = make_user(), make_user()
    fail_times(english, anna.email, 10)
    assert attempt(english, erik.email, PASSWORD).status_code == 302


def test_an_unknown_account_is_refused_the_same_way_with_the_same_message(english, clock):
    user = make_user(email="anna.berg@kuf.example.org")
    fail_times(english, user.email, 10)
    fail_times(english, "nobody@kuf.example.org", 10)

    known = attempt(english, user.email, PASSWORD)
    unknown = attempt(english, "nobody@kuf.example.org", PASSWORD)
    assert known.status_code == unknown.status_code == 429
    headers = [dict(r.headers) for r in (known, unknown)]
    for h in headers:
        h.pop("Content-Length")
        h.pop("X-Request-ID")  # every response has its own
    assert headers[0] == headers[1]
    # The pages differ only in the address typed back into the form.
    assert page(known).replace(user.email, "X") == page(unknown).replace(
        "nobody@kuf.example.org", "X"
    )


def test_the_refusal_is_in_swedish(client, clock):
    user = make_user()
    for _ in range(10):
        assert attempt(client, user.email, WRONG_PASSWORD).status_code == 200
    response = attempt(client, user.email, PASSWORD)
    assert response.status_code == 429
    assert sv(TOO_MANY) in text(response)


def test_a_password_is_hashed_once_per_attempt_and_never_while_refused(app, clock, monkeypatch):
    """Time must not tell whether an account exists: a known account with a wrong password and
    an unknown one each check one password hash; a refused attempt checks none."""
    user = make_user()
    checks = []
    real_check = ops.check_password_hash
    monkeypatch.setattr(
        ops, "check_password_hash", lambda *args: checks.append(1) or real_check(*args)
    )
    stand_in = ops.hash_password("a stand-in password")
    monkeypatch.setitem(ops._stand_in_hashes, app.config["HUBBAR_PASSWORD_HASH"], stand_in)
    monkeypatch.setattr(ops, "generate_password_hash", lambda *args: pytest.fail("hashed"))
    for email in (user.email, "nobody@example.org"):
        checks.clear()
        with pytest.raises(ops.NotAllowed):
            ops.authenticate(email, WRONG_PASSWORD, "10.0.0.1")
        assert len(checks) == 1
    for email in (user.email, "nobody@example.org"):
        for _ in range(9):
            with pytest.raises(ops.NotAllowed):
                ops.authenticate(email, WRONG_PASSWORD, "10.0.0.1")
        checks.clear()
        with pytest.raises(throttle.TooManyAttempts):
            ops.authenticate(email, PASSWORD, "10.0.0.1")
        assert checks == []


# --- per address ---------------------------------------------------------------------------


def test_fifty_failures_from_one_address_refuse_every_account_there(english, clock):
    users = [make_user() for _ in range(6)]
    for user in users[:5]:
        fail_times(english, user.email, 9, address="192.0.2.7")
    fail_times(english, "nobody@example.org", 5, address="192.0.2.7")  # 50 in all

    fresh = users[5]
    refused = attempt(english, fresh.email, PASSWORD, address="192.0.2.7")
    assert refused.status_code == 429
    assert TOO_MANY in text(refused)
    # The same account from another address (another office) is let in.
    assert attempt(english, fresh.email, PASSWORD, address="198.51.100.1").status_code == 302


def test_a_success_does_not_clear_the_failures_of_its_address(app, clock):
    someone, attacker_own = make_user(), make_user()
    for n in range(49):
        with pytest.raises(ops.NotAllowed):
            ops.authenticate(f"guess{n}@example.org", WRONG_PASSWORD, "192.0.2.9")
    ops.authenticate(attacker_own.email, PASSWORD, "192.0.2.9")  # a success in between
    with pytest.raises(ops.NotAllowed):
        ops.authenticate("guess50@example.org", WRONG_PASSWORD, "192.0.2.9")
    with pytest.raises(throttle.TooManyAttempts):
        ops.authenticate(someone.email, PASSWORD, "192.0.2.9")


def test_without_an_address_only_the_account_is_limited(app, clock):
    user = make_user()
    for n in range(60):
        with pytest.raises(ops.NotAllowed):
            ops.authenticate(f"guess{n}@example.org", WRONG_PASSWORD)
    assert ops.authenticate(user.email, PASSWORD) == user


# --- what is recorded ----------------------------------------------------------------------


def test_every_attempt_is_recorded_without_the_email_address(english, clock):
    user = make_user(email="anna.berg@kuf.example.org")
    fail_times(english, "Anna.Berg@kuf.example.org", 2, address="192.0.2.1")
    fail_times(english, "nobody@kuf.example.org", 1, address="192.0.2.1")
    attempt(english, user.email, PASSWORD, address="2001:db8::1")

    rows = db.session.scalars(select(LoginAttempt).order_by(LoginAttempt.id)).all()
    assert [(r.address, r.succeeded, r.attempted_at) for r in rows] == [
        ("192.0.2.1", False, T0),
        ("192.0.2.1", False, T0),
        ("192.0.2.1", False, T0),
        ("2001:db8::1", True, T0),
    ]
    anna_key = throttle.account_key("anna.berg@kuf.example.org")
    assert re.fullmatch(r"[0-9a-f]{64}", anna_key)
    assert [r.account_key for r in rows] == [anna_key, anna_key, rows[2].account_key, anna_key]
    assert rows[2].account_key != anna_key
    stored = repr([(r.account_key, r.address) for r in rows]).lower()
    for part in ("anna", "berg", "nobody", "kuf.example"):
        assert part not in stored


def test_the_account_key_depends_on_the_secret_key(app):
    key = throttle.account_key("anna@example.org")
    saved = app.config["SECRET_KEY"]
    app.config["SECRET_KEY"] = "another-secret"
    try:
        assert throttle.account_key("anna@example.org") != key
    finally:
        app.config["SECRET_KEY"] = saved


def test_a_refused_attempt_is_not_recorded(english, clock):
    user = make_user()
    fail_times(english, user.email, 10)
    for _ in range(20):
        attempt(english, user.email, PASSWORD)
    assert count(LoginAttempt) == 10


def test_attempts_older_than_a_day_are_pruned(app):
    key = throttle.account_key("anna@example.org")
    for age in (timedelta(days=2), timedelta(days=1, seconds=1), timedelta(hours=23)):
        db.session.add(LoginAttempt(attempted_at=T0 - age, account_key=key, address="192.0.2.1"))
    db.session.commit()
    assert throttle.prune_login_attempts(T0) == 2
    assert [r.attempted_at for r in db.session.scalars(select(LoginAttempt))] == [
        T0 - timedelta(hours=23)
    ]


def test_the_limits_are_configurable(app, english, clock):
    user = make_user()
    saved = {k: app.config[k] for k in ("HUBBAR_LOGIN_MAX_FAILURES", "HUBBAR_LOGIN_WINDOW_SECONDS")}
    app.config.update(HUBBAR_LOGIN_MAX_FAILURES=3, HUBBAR_LOGIN_WINDOW_SECONDS=300)
    try:
        fail_times(english, user.email, 3)
        clock.shift(timedelta(seconds=299))
        response = attempt(english, user.email, PASSWORD)
        assert response.status_code == 429
        assert response.headers["Retry-After"] == "300"
        clock.shift(timedelta(seconds=1))
        assert attempt(english, user.email, PASSWORD).status_code == 302
    finally:
        app.config.update(saved)


# --- the API's token endpoint --------------------------------------------------------------


def test_the_token_endpoint_is_limited_too(client, clock):
    user = make_user(locale="en")
    for _ in range(10):
        response = client.post(
            "/api/v1/auth/token", json={"email": user.email, "password": WRONG_PASSWORD}
        )
        assert response.status_code == 401
    response = client.post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 429
    assert response.get_json()["error"] == "too_many_attempts"
    assert response.headers["Retry-After"] == "60"


# --- password reset requests ---------------------------------------------------------------


def reset_mails(user) -> int:
    return count(
        OutboxMessage, OutboxMessage.kind == "password_reset", OutboxMessage.user_id == user.id
    )


def ask_reset(client, email: str, address: str = "127.0.0.1"):
    response = client.post(
        "/password/forgot", data={"email": email}, environ_base={"REMOTE_ADDR": address}
    )
    assert response.status_code == 200
    return page(response)


def test_reset_requests_for_one_account_send_at_most_three_mails_an_hour(english, clock):
    user = make_user()
    answers = []
    for _ in range(5):
        answers.append(ask_reset(english, user.email))
        clock.shift(timedelta(minutes=10))  # past the five-minute pause between two links
    assert reset_mails(user) == 3
    assert len(set(answers)) == 1  # the same answer every time

    clock.move_to(T0 + timedelta(minutes=61))
    ask_reset(english, user.email)
    assert reset_mails(user) == 4


def test_reset_requests_from_one_address_are_limited(english, clock):
    user = make_user()
    for n in range(20):
        ask_reset(english, f"nobody{n}@example.org", address="192.0.2.3")
    first = ask_reset(english, user.email, address="192.0.2.3")
    assert reset_mails(user) == 0
    second = ask_reset(english, user.email, address="198.51.100.3")
    assert reset_mails(user) == 1
    assert first == second


def test_reset_requests_are_not_login_failures(english, clock):
    user = make_user()
    for n in range(20):
        ask_reset(english, f"nobody{n}@example.org")
    for _ in range(3):
        ask_reset(english, user.email)
    response = attempt(english, user.email, PASSWORD)
    assert response.status_code == 302
    assert location(response) == "/"
