"""Sending: through a real SMTP server, once, retried with backoff when it fails, given up after
the last attempt; a misconfigured server is logged and the message waits."""

from __future__ import annotations

import email
import email.policy
import logging
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select, text

from hubbar import jobs
from hubbar.extensions import db
from hubbar.mail import operations as mail
from hubbar.mail.models import OutboxMessage, OutboxStatus
from tests.bookings.clock import at, frozen
from tests.factories import make_user
from tests.helpers import reload
from tests.mail.conftest import SmtpServer, free_port

T0 = at("2026-12-01", "09:00")
ICS = b"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n"


@pytest.fixture()
def log(caplog):
    caplog.set_level(logging.INFO, logger="hubbar")
    return caplog


def queued(user=None, **overrides) -> OutboxMessage:
    values = {"subject": "Booking confirmed", "text": "Desk D1, 1 December 09.00–10.00"}
    values.update(overrides)
    message = mail.queue("confirmation", user or make_user(), **values)
    db.session.commit()
    return message


def result(sent=0, retried=0, failed=0, postponed=0) -> mail.SendResult:
    return mail.SendResult(sent=sent, retried=retried, failed=failed, postponed=postponed)


def clock(moment):
    return time_machine.travel(moment, tick=False)


def test_a_message_is_delivered_once(smtp_server):
    anna = make_user(email="anna@example.org", display_name="Anna", locale="en")
    with clock(T0):
        message = queued(
            anna,
            html="<p>Desk D1</p>",
            attachments=[
                mail.Attachment("booking.ics", "text/calendar; method=REQUEST; charset=utf-8", ICS)
            ],
        )
        assert mail.send_due() == result(sent=1)
        assert mail.send_due() == result()
    [received] = smtp_server.messages
    assert smtp_server.envelopes[0].rcpt_tos == ["anna@example.org"]
    assert received["To"] == "anna@example.org"
    assert received["From"] == "hubbar <noreply@hubbar.localhost>"
    assert received["Subject"] == "Booking confirmed"
    assert received["Content-Language"] == "en"
    assert received["Message-ID"].endswith("@hubbar.localhost>")
    assert email.utils.parsedate_to_datetime(received["Date"]) == T0
    assert received.get_body(("plain",)).get_content().strip() == (
        "Desk D1, 1 December 09.00–10.00"
    )
    assert received.get_body(("html",)).get_content().strip() == "<p>Desk D1</p>"
    [attachment] = list(received.iter_attachments())
    assert attachment.get_filename() == "booking.ics"
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_param("method") == "REQUEST"
    assert attachment.get_param("charset") == "utf-8"
    assert attachment.get_payload(decode=True) == ICS

    saved = reload(message)
    assert saved.status is OutboxStatus.SENT
    assert saved.sent_at == T0
    assert (saved.attempts, saved.claimed_until, saved.last_error) == (1, None, "")


def test_a_plain_message_has_no_html_part(smtp_server):
    queued()
    mail.send_due()
    [received] = smtp_server.messages
    assert received.get_content_type() == "text/plain"
    assert received["Content-Language"] == "sv"


def test_a_refused_message_is_retried_with_backoff_and_delivered_once(smtp_server, log):
    smtp_server.refuse(451)
    with clock(T0):
        message = queued()
        assert mail.send_due() == result(retried=1)
    saved = reload(message)
    assert (saved.status, saved.attempts) == (OutboxStatus.PENDING, 1)
    assert saved.next_attempt_at == T0 + timedelta(minutes=1)
    assert saved.claimed_until is None
    assert saved.last_error == f"{smtp_server.address}: message refused (451 4.3.0 try later)"
    assert log.records[-1].levelname == "WARNING"
    assert f"{smtp_server.address}: message refused (451 4.3.0 try later)" in log.messages[-1]
    assert "attempt 1 of 8" in log.messages[-1]

    with clock(T0 + timedelta(minutes=1)):
        assert mail.send_due() == result(retried=1)  # still refused: wait 2 minutes now
    assert reload(message).next_attempt_at == T0 + timedelta(minutes=3)

    smtp_server.accept()
    with clock(T0 + timedelta(minutes=2, seconds=59)):
        assert mail.send_due() == result()  # not due yet
    assert smtp_server.messages == []
    with clock(T0 + timedelta(minutes=3)):
        assert mail.send_due() == result(sent=1)
        assert mail.send_due() == result()
    with clock(T0 + timedelta(hours=2)):
        assert mail.send_due() == result()
    assert len(smtp_server.messages) == 1
    saved = reload(message)
    assert (saved.status, saved.attempts, saved.last_error) == (OutboxStatus.SENT, 3, "")
    assert saved.sent_at == T0 + timedelta(minutes=3)


def test_backoff_doubles_up_to_an_hour():
    minutes = [mail.backoff(n).total_seconds() / 60 for n in range(1, 10)]
    assert minutes == [1, 2, 4, 8, 16, 32, 60, 60, 60]


def test_it_gives_up_after_the_last_attempt(smtp_server, log, app, monkeypatch):
    monkeypatch.setitem(app.config, "HUBBAR_MAIL_MAX_ATTEMPTS", 3)
    smtp_server.refuse(550)
    with clock(T0):
        message = queued(subject="Reminder")
        assert mail.send_due() == result(retried=1)
    with clock(T0 + timedelta(minutes=1)):
        assert mail.send_due() == result(retried=1)
    with clock(T0 + timedelta(minutes=3)):
        assert mail.send_due() == result(failed=1)
    saved = reload(message)
    assert (saved.status, saved.attempts) == (OutboxStatus.FAILED, 3)
    assert "550 5.7.1 refused" in saved.last_error
    failed = log.records[-1]
    assert failed.levelname == "ERROR"
    assert f"Mail #{message.id} (Reminder) to {message.recipient}" in failed.getMessage()
    assert "given up after 3 attempts" in failed.getMessage()

    smtp_server.accept()
    with clock(T0 + timedelta(days=1)):
        assert mail.send_due() == result()
    assert smtp_server.messages == []


def test_an_unreachable_server_is_logged_and_the_messages_wait(app, mail_settings, log):
    port = free_port()  # nobody listens there
    mail_settings.update(
        HUBBAR_MAIL_SERVER="127.0.0.1", HUBBAR_MAIL_PORT=port, HUBBAR_MAIL_USE_TLS=False
    )
    with clock(T0):
        first, second = queued(), queued()
        assert mail.send_due() == result(retried=1, postponed=1)
    warning = log.records[-1]
    assert warning.levelname == "WARNING"
    assert f"127.0.0.1:{port}: cannot connect (Connection refused)" in warning.getMessage()
    assert (reload(first).status, first.attempts) == (OutboxStatus.PENDING, 1)
    # The second was not tried against a server that is down: no attempt used up.
    assert (reload(second).status, second.attempts, second.claimed_until) == (
        OutboxStatus.PENDING,
        0,
        None,
    )

    with SmtpServer() as server, clock(T0 + timedelta(minutes=1)):
        server.configure(app.config)
        assert mail.send_due() == result(sent=2)
    assert len(server.messages) == 2


def test_wrong_credentials_are_logged_without_the_password(app, mail_settings, log):
    with SmtpServer(login=("hubbar", "right secret")) as server:
        server.configure(app.config, username="hubbar", password="wrong secret")
        with clock(T0):
            message = queued()
            assert mail.send_due() == result(retried=1)
        warning = log.records[-1].getMessage()
        assert f"{server.address}: login as hubbar refused (535" in warning
        assert "secret" not in warning
        saved = reload(message)
        assert "login as hubbar refused (535" in saved.last_error
        assert "secret" not in saved.last_error
        assert saved.status is OutboxStatus.PENDING

        server.configure(app.config, username="hubbar", password="right secret")
        with clock(T0 + timedelta(minutes=1)):
            assert mail.send_due() == result(sent=1)
        assert len(server.messages) == 1


def test_starttls_required_by_config_but_not_offered_is_logged(smtp_server, app, log):
    app.config["HUBBAR_MAIL_USE_TLS"] = True
    message = queued()
    assert mail.send_due() == result(retried=1)
    assert f"{smtp_server.address}: the server does not offer STARTTLS" in log.messages[-1]
    assert reload(message).status is OutboxStatus.PENDING
    assert smtp_server.messages == []


def test_a_message_claimed_by_another_worker_is_left_to_it(smtp_server):
    with clock(T0):
        message = queued()
        message.claimed_until = T0 + timedelta(minutes=5)
        db.session.commit()
        assert mail.send_due() == result()
    with clock(T0 + timedelta(minutes=5)):  # that worker died: the claim runs out
        assert mail.send_due() == result(sent=1)
    assert len(smtp_server.messages) == 1


def test_a_row_locked_by_another_worker_is_skipped(smtp_server, is_postgres, app):
    if not is_postgres:
        pytest.skip("row locks (FOR UPDATE SKIP LOCKED) are PostgreSQL's; SQLite has one worker")
    locked, free = queued(), queued()
    with db.engine.connect() as other:
        other.execute(text("SELECT id FROM outbox WHERE id = :id FOR UPDATE"), {"id": locked.id})
        assert mail.send_due() == result(sent=1)
        other.rollback()
    assert [m["To"] for m in smtp_server.messages] == [free.recipient]
    assert reload(locked).status is OutboxStatus.PENDING
    assert mail.send_due() == result(sent=1)


def test_a_message_that_cannot_be_built_fails_at_once(smtp_server, log):
    message = queued()
    message.attachments = "not json"
    db.session.commit()
    assert mail.send_due() == result(failed=1)
    saved = reload(message)
    assert (saved.status, saved.attempts) == (OutboxStatus.FAILED, 1)
    assert saved.last_error.startswith("cannot build the message")
    assert log.records[-1].levelname == "ERROR"


def test_limit_sends_the_oldest_first(smtp_server):
    with clock(T0):
        first = queued(subject="First")
    with clock(T0 + timedelta(seconds=1)):
        queued(subject="Second")
        assert mail.send_due(limit=1) == result(sent=1)
        assert [m["Subject"] for m in smtp_server.messages] == ["First"]
        assert reload(first).status is OutboxStatus.SENT
        assert mail.send_due(limit=1) == result(sent=1)
    assert [m["Subject"] for m in smtp_server.messages] == ["First", "Second"]


def test_without_a_server_mail_goes_to_the_outbox_folder(app, mail_settings, tmp_path, log):
    mail_settings["HUBBAR_MAIL_SERVER"] = ""
    app_instance = app.instance_path
    app.instance_path = str(tmp_path)
    try:
        with frozen("2026-12-01", "09:00"):
            message = queued(make_user(email="erik@example.org"))
            assert mail.send_due() == result(sent=1)
    finally:
        app.instance_path = app_instance
    [path] = sorted((tmp_path / "outbox").iterdir())
    assert path.suffix == ".eml"
    written = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert written["To"] == "erik@example.org"
    assert written["Subject"] == "Booking confirmed"
    assert reload(message).status is OutboxStatus.SENT
    assert f"written to {path}" in log.messages[-2]  # then the worker's "sent" line


def test_the_job_sends_and_logs(smtp_server, app, log):
    message = queued()
    assert jobs.send_mail(app) == 1
    assert jobs.send_mail(app) == 0
    assert len(smtp_server.messages) == 1
    assert "Mail: 1 sent, 0 to be retried, 0 given up" in log.messages
    assert reload(message).status is OutboxStatus.SENT


def test_the_cli_command_sends_once(smtp_server, app):
    queued()
    queued()
    runner = app.test_cli_runner()
    first = runner.invoke(args=["hubbar", "send-mail"])
    assert first.exit_code == 0, first.output
    assert "2 sent, 0 to be retried, 0 given up." in first.output
    again = runner.invoke(args=["hubbar", "send-mail"])
    assert "0 sent, 0 to be retried, 0 given up." in again.output
    assert len(smtp_server.messages) == 2
    db.session.rollback()
    statuses = db.session.scalars(select(OutboxMessage.status)).all()
    assert statuses == [OutboxStatus.SENT, OutboxStatus.SENT]


def test_the_cli_command_says_when_the_server_is_down(app, mail_settings):
    mail_settings.update(
        HUBBAR_MAIL_SERVER="127.0.0.1", HUBBAR_MAIL_PORT=free_port(), HUBBAR_MAIL_USE_TLS=False
    )
    queued()
    queued()
    output = app.test_cli_runner().invoke(args=["hubbar", "send-mail"]).output
    assert "0 sent, 1 to be retried, 0 given up, 1 left for the next run" in output
