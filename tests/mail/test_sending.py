"""Sending: through a real SMTP server, once (also with workers racing each other), retried with
backoff while the server cannot take it and given up only after HUBBAR_MAIL_GIVE_UP_HOURS; a
message refused for good fails at once; a misconfigured server is logged and the message
waits."""

from __future__ import annotations

import email
import email.policy
import logging
import shutil
import ssl
import subprocess
import threading
from collections import Counter
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select, text

from hubbar import jobs
from hubbar.extensions import db
from hubbar.mail import operations as mail
from hubbar.mail import transport
from hubbar.mail.models import OutboxMessage, OutboxStatus
from tests.bookings.clock import at, frozen
from tests.factories import make_user
from tests.helpers import reload
from tests.mail.conftest import SmtpServer
from tests.servers import free_port

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
    csv = b"desk;hours\r\nD1;3\r\n"
    with clock(T0):
        message = queued(
            anna,
            html="<p>Desk D1</p>",
            attachments=[mail.Attachment("hours.csv", "text/csv; charset=utf-8", csv)],
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
    assert attachment.get_filename() == "hours.csv"
    assert attachment.get_content_type() == "text/csv"
    assert attachment.get_param("charset") == "utf-8"
    assert attachment.get_payload(decode=True) == csv

    saved = reload(message)
    assert saved.status is OutboxStatus.SENT
    assert saved.sent_at == T0
    assert (saved.attempts, saved.claimed_until, saved.last_error) == (1, None, "")


def structure(message) -> list[tuple[str, str | None]]:
    """Each MIME part as (content type, filename), depth first."""
    return [(part.get_content_type(), part.get_filename()) for part in message.walk()]


def test_a_calendar_invitation_is_the_last_alternative_of_the_body_and_a_file(smtp_server):
    """Outlook acts on a text/calendar alternative, not on an attached file; the file stays for
    calendars that import files."""
    invitation = mail.Attachment("booking.ics", "text/calendar; method=REQUEST; charset=utf-8", ICS)
    queued(html="<p>Desk D1</p>", attachments=[invitation])
    mail.send_due()
    [received] = smtp_server.messages
    assert structure(received) == [
        ("multipart/mixed", None),
        ("multipart/alternative", None),
        ("text/plain", None),
        ("text/html", None),
        ("text/calendar", None),
        ("application/ics", "booking.ics"),
    ]
    # A mail program still shows the HTML: the calendar part is one more alternative of it.
    assert received.get_body(("related", "html", "plain")).get_content_type() == "text/html"
    part = next(p for p in received.walk() if p.get_content_type() == "text/calendar")
    assert part.get_param("method") == "REQUEST"
    assert part.get_param("charset") == "utf-8"
    assert part.get_content_disposition() is None  # inline: part of the body, not a file
    assert part.get_payload(decode=True) == ICS
    [file] = list(received.iter_attachments())
    assert file.get_content_disposition() == "attachment"
    assert file.get_payload(decode=True) == ICS


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
    assert (
        "(attempt 1, next at 2026-12-01 08:01 UTC, given up at 2026-12-04 08:00 UTC)"
        in (log.messages[-1])
    )

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


@pytest.mark.parametrize(
    ("code", "at", "reason"),
    [
        (550, "RCPT", "recipient refused (550 5.7.1 refused)"),
        (553, "RCPT", "recipient refused (553 5.7.1 refused)"),
        (554, "DATA", "message refused (554 5.7.1 refused)"),
    ],
)
def test_a_message_refused_for_good_fails_at_once(smtp_server, log, code, at, reason):
    smtp_server.refuse(code, at=at)
    with clock(T0):
        message, other = queued(subject="Reminder"), queued(subject="Other")
        assert mail.send_due() == result(failed=2)  # the next message is still tried
    saved = reload(message)
    assert (saved.status, saved.attempts) == (OutboxStatus.FAILED, 1)
    assert saved.last_error == f"{smtp_server.address}: {reason}"
    assert reload(other).status is OutboxStatus.FAILED
    failed = log.records[-1]
    assert failed.levelname == "ERROR"
    assert failed.getMessage() == (
        f"Mail #{other.id} (confirmation, user {other.user_id}) not sent: refused for good, "
        f"not tried again: {smtp_server.address}: {reason}"
    )

    smtp_server.accept()
    with clock(T0 + timedelta(days=1)):
        assert mail.send_due() == result()
    assert smtp_server.messages == []


def test_a_recipient_refused_for_now_is_tried_again(smtp_server):
    smtp_server.refuse(450, at="RCPT")  # a mailbox busy, greylisting
    with clock(T0):
        message = queued()
        assert mail.send_due() == result(retried=1)
    assert reload(message).status is OutboxStatus.PENDING
    assert "recipient refused (450 4.3.0 try later)" in message.last_error
    smtp_server.accept()
    with clock(T0 + timedelta(minutes=1)):
        assert mail.send_due() == result(sent=1)


def test_a_refused_sender_is_the_servers_problem_not_the_messages(smtp_server, log):
    """A refused MAIL FROM (HUBBAR_MAIL_SENDER) would refuse every message: none is failed,
    and the others are left for later without an attempt."""
    smtp_server.refuse(550, at="MAIL")
    with clock(T0):
        first, second = queued(), queued()
        assert mail.send_due() == result(retried=1, postponed=1)
    assert (reload(first).status, first.attempts) == (OutboxStatus.PENDING, 1)
    assert "sender noreply@hubbar.localhost refused (550 5.7.1 refused)" in first.last_error
    assert (reload(second).status, second.attempts) == (OutboxStatus.PENDING, 0)


def unreachable(mail_settings) -> int:
    """Point the app at a port nobody listens on: the server is down."""
    port = free_port()
    mail_settings.update(
        HUBBAR_MAIL_SERVER="127.0.0.1", HUBBAR_MAIL_PORT=port, HUBBAR_MAIL_USE_TLS=False
    )
    return port


def test_an_outage_of_a_weekend_loses_nothing(app, mail_settings, log):
    """The server is down for 71 hours: the message is tried again and again (the attempts are
    not held against it) and goes once the server is back."""
    unreachable(mail_settings)
    with clock(T0):
        message = queued()
    for hours in (0, 2, 3, 24, 71):
        with clock(T0 + timedelta(hours=hours)):
            assert mail.send_due() == result(retried=1)
    saved = reload(message)
    assert (saved.status, saved.attempts) == (OutboxStatus.PENDING, 5)
    assert "cannot connect (Connection refused)" in saved.last_error
    # The pause grows (1, 2, 4 … minutes) but never past the moment the message is given up.
    assert saved.next_attempt_at == T0 + timedelta(hours=71, minutes=16)

    with SmtpServer() as server, clock(T0 + timedelta(hours=71, minutes=16)):
        server.configure(app.config)
        assert mail.send_due() == result(sent=1)
    assert len(server.messages) == 1
    assert reload(message).status is OutboxStatus.SENT


def test_a_message_is_given_up_72_hours_after_it_was_queued(app, mail_settings, log):
    unreachable(mail_settings)
    with clock(T0):
        message = queued(subject="Reminder")
    with clock(T0 + timedelta(hours=71, minutes=59)):
        assert mail.send_due() == result(retried=1)
    assert reload(message).next_attempt_at == T0 + timedelta(hours=72)
    with clock(T0 + timedelta(hours=72)):
        assert mail.send_due() == result(failed=1)
    saved = reload(message)
    assert (saved.status, saved.attempts) == (OutboxStatus.FAILED, 2)
    given_up = log.records[-1]
    assert given_up.levelname == "ERROR"
    assert given_up.getMessage().startswith(
        f"Mail #{message.id} (confirmation, user {message.user_id}) not sent, given up after 2 "
        "attempts over 72 hours: 127.0.0.1:"
    )


def test_how_long_a_message_is_tried_is_configurable(app, mail_settings):
    unreachable(mail_settings)
    mail_settings["HUBBAR_MAIL_GIVE_UP_HOURS"] = 2
    with clock(T0):
        message = queued()
        assert mail.send_due() == result(retried=1)
    with clock(T0 + timedelta(hours=2)):
        assert mail.send_due() == result(failed=1)
    assert reload(message).status is OutboxStatus.FAILED


def test_failed_messages_can_be_put_back_and_are_sent_once(smtp_server, app):
    smtp_server.refuse(550)
    with clock(T0):
        refused = queued(subject="Refused")
        mail.send_due()
        smtp_server.accept()
        sent = queued(subject="Sent")
        mail.send_due()
    assert reload(refused).status is OutboxStatus.FAILED

    # Five days later, while the server still has a hiccup: put back, the message is queued
    # anew and gets its 72 hours again instead of failing at once for its age.
    smtp_server.refuse(451)
    later = T0 + timedelta(days=5)
    with clock(later):
        output = app.test_cli_runner().invoke(args=["hubbar", "send-mail", "--retry-failed"])
    assert output.exit_code == 0, output.output
    assert output.output.splitlines() == [
        "1 failed message(s) put back in the queue.",
        "0 sent, 1 to be retried, 0 given up.",
    ]
    assert reload(refused).status is OutboxStatus.PENDING

    smtp_server.accept()
    with clock(later + timedelta(minutes=2)):  # the pause after its second attempt
        assert mail.send_due() == result(sent=1)
        assert mail.retry_failed() == 0
    assert [m["Subject"] for m in smtp_server.messages] == ["Sent", "Refused"]
    saved = reload(refused)
    assert (saved.status, saved.attempts) == (OutboxStatus.SENT, 3)
    assert saved.sent_at == later + timedelta(minutes=2)
    assert reload(sent).sent_at == T0  # a sent message is not touched


def test_three_workers_at_once_send_each_message_once(app, mail_settings):
    """Workers racing for the same due messages (two scheduler processes, a cron job): each
    message is claimed by exactly one of them, on SQLite as on PostgreSQL."""
    user = make_user(email="anna@example.org")
    with clock(T0):
        for n in range(30):
            mail.queue("confirmation", user, subject=f"Message {n}", text="Desk D1")
        db.session.commit()
    results, errors = [], []
    start = threading.Barrier(3)

    def worker():
        with app.app_context():
            try:
                start.wait()
                results.append(mail.send_due(now=T0 + timedelta(minutes=1)))
            except Exception as error:  # noqa: BLE001 - reported by the assertion below
                errors.append(error)
            finally:
                db.session.remove()

    with SmtpServer(delay=0.01) as server:
        server.configure(mail_settings)
        threads = [threading.Thread(target=worker) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        received = Counter(m["Subject"] for m in server.messages)
    assert errors == []
    assert received == Counter(f"Message {n}" for n in range(30))  # each once
    assert sum(r.sent for r in results) == 30
    db.session.rollback()
    statuses = db.session.scalars(select(OutboxMessage.status)).all()
    assert statuses == [OutboxStatus.SENT] * 30


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


@pytest.fixture()
def tls_server(tmp_path, monkeypatch):
    """A server that speaks TLS from the first byte (SMTPS), with a certificate for 127.0.0.1
    made for the test and trusted by the app for the test."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    monkeypatch.setattr(
        transport, "tls_context", lambda: ssl.create_default_context(cafile=str(cert))
    )
    with SmtpServer(tls=context) as server:
        yield server


def test_implicit_tls_with_the_setting(app, mail_settings, tls_server):
    tls_server.configure(app.config)
    mail_settings.update(HUBBAR_MAIL_USE_SSL=True, HUBBAR_MAIL_USE_TLS=True)
    message = queued()
    assert mail.send_due() == result(sent=1)  # and no STARTTLS on top of TLS
    assert len(tls_server.messages) == 1
    assert reload(message).status is OutboxStatus.SENT


def test_port_465_is_implicit_tls(app, mail_settings, tls_server, monkeypatch):
    """Nothing listens on 465 in the test: the connection to it goes to the test server."""
    tls_server.configure(app.config)
    mail_settings.update(HUBBAR_MAIL_PORT=465, HUBBAR_MAIL_USE_TLS=True)
    smtps = transport.smtplib.SMTP_SSL
    ports = []

    def connect(host, port, **options):
        ports.append(port)
        return smtps(host, tls_server.port, **options)

    monkeypatch.setattr(transport.smtplib, "SMTP_SSL", connect)
    queued()
    assert mail.send_due() == result(sent=1)
    assert ports == [465]
    assert len(tls_server.messages) == 1


def test_implicit_tls_to_a_plain_server_is_a_tls_failure(smtp_server, app, log):
    app.config["HUBBAR_MAIL_USE_SSL"] = True
    message = queued()
    assert mail.send_due() == result(retried=1)
    assert f"{smtp_server.address}: TLS failed" in log.messages[-1]
    assert reload(message).status is OutboxStatus.PENDING


def test_a_password_sent_without_tls_is_warned_about_once(app, mail_settings, log, monkeypatch):
    monkeypatch.setattr(transport, "_warned", set())
    with SmtpServer(login=("hubbar", "secret")) as server:
        server.configure(app.config, username="hubbar", password="secret")
        queued()
        queued()
        assert mail.send_due() == result(sent=2)
    warnings = [
        r.getMessage()
        for r in log.records
        if r.levelname == "WARNING" and r.name.startswith("hubbar")
    ]
    assert warnings == [
        "HUBBAR_MAIL_USERNAME is set but neither HUBBAR_MAIL_USE_TLS nor HUBBAR_MAIL_USE_SSL: "
        f"the password goes to {server.address} unencrypted"
    ]
    assert "secret" not in log.text


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
    assert log.messages[-2:] == [
        f"No HUBBAR_MAIL_SERVER: mail written to {path}",
        f"Mail #{message.id} (confirmation, user {message.user_id}) sent via {path}",
    ]
    assert "erik" not in log.text and "Booking confirmed" not in log.text


def test_the_log_names_a_message_by_id_kind_and_user_never_address_or_subject(smtp_server, log):
    """The log is kept and shipped elsewhere: people in it are user ids. An SMTP answer that
    quotes the address has it replaced in the log (the outbox row keeps it, for an admin)."""
    anna = make_user(email="anna.private@example.org")
    with clock(T0):
        sent = queued(anna, subject="Your desk at Privatgatan")
        address = "erik.private@example.org"  # no account
        to_an_address = mail.queue("invitation", address, subject="Hej Erik", text="Welcome")
        db.session.commit()
        assert mail.send_due() == result(sent=2)
        smtp_server.handler.refuse_at = "RCPT"
        smtp_server.handler.refusal = "450 4.2.1 <Anna.Private@example.org>: mailbox busy"
        retried = queued(anna, subject="Your desk at Privatgatan")
        assert mail.send_due() == result(retried=1)
        smtp_server.handler.refusal = "550 5.1.1 <anna.private@example.org>: no such user"
    with clock(T0 + timedelta(minutes=1)):
        assert mail.send_due() == result(failed=1)
    lines = [r.getMessage() for r in log.records if r.name.startswith("hubbar.mail")]
    assert lines[:2] == [
        f"Mail #{sent.id} (confirmation, user {anna.id}) sent via {smtp_server.address}",
        f"Mail #{to_an_address.id} (invitation, user -) sent via {smtp_server.address}",
    ]
    assert lines[2].startswith(f"Mail #{retried.id} (confirmation, user {anna.id}) not sent ")
    assert lines[2].endswith("recipient refused (450 4.2.1 <<recipient>>: mailbox busy)")
    assert lines[3].endswith("recipient refused (550 5.1.1 <<recipient>>: no such user)")
    for private in ("anna", "Anna", "erik", "example.org", "Privatgatan", "Hej"):
        assert private not in log.text
    assert "anna.private@example.org" in reload(retried).last_error


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
