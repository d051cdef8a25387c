"""The booking e-mails as they arrive at a real SMTP server: confirmation (and on someone's
behalf) with a calendar invitation Outlook acts on, a weekly series as one invitation per
booking, cancellation with the same UID and a higher SEQUENCE, the released no-show notice
(always sent: it takes the event out of the calendar); each in the recipient's language."""

from __future__ import annotations

from datetime import date, datetime, time

import icalendar
import pytest
from sqlalchemy import select

from hubbar.bookings import operations as ops
from hubbar.bookings.models import Booking, BookingStatus
from hubbar.errors import BookingConflict, InvalidInput, PolicyViolation
from hubbar.extensions import db
from hubbar.mail import operations as mail
from hubbar.mail.models import OutboxMessage, OutboxStatus
from hubbar.mail.operations import set_preferences
from tests.bookings.clock import at, frozen
from tests.factories import make_hub, make_hub_manager, make_user
from tests.helpers import STOCKHOLM, count, reload, sv
from tests.servers import free_port

DAY = "2026-12-01"  # a Tuesday


@pytest.fixture()
def hub():
    return make_hub(desks=2, name="Kungsklippan 6", address="Kungsklippan 6, Stockholm")


@pytest.fixture()
def anna(hub):
    """An English-speaking employee."""
    return make_user(
        hub.host_organisation, email="anna@example.org", display_name="Anna Berg", locale="en"
    )


@pytest.fixture()
def erik(hub):
    """A Swedish-speaking employee."""
    return make_user(
        hub.host_organisation, email="erik@example.org", display_name="Erik Ek", locale="sv"
    )


def send_due():
    """The worker, once, after everything queued in these tests (all in late 2026) is due."""
    return mail.send_due(now=at("2026-12-31", "12:00"))


def plain(message) -> str:
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")


def html(message) -> str:
    return message.get_body(("html",)).get_content()


def subject(message) -> str:
    """The subject as read (a folded header may come back with a doubled space)."""
    return " ".join(message["Subject"].split())


def invitation_part(message):
    """The text/calendar alternative of the body: what Outlook reads the invitation from."""
    [alternative] = [p for p in message.walk() if p.get_content_type() == "multipart/alternative"]
    [part] = [p for p in alternative.iter_parts() if p.get_content_type() == "text/calendar"]
    return part


def calendar_of(message) -> icalendar.Calendar:
    """The invitation, parsed (the attached .ics file holds the same)."""
    content = invitation_part(message).get_payload(decode=True)
    [file] = list(message.iter_attachments())
    assert file.get_filename() in ("booking.ics", "cancel.ics")
    assert file.get_payload(decode=True) == content
    return icalendar.Calendar.from_ical(content)


def the_event(calendar: icalendar.Calendar) -> icalendar.Event:
    [event] = calendar.walk("VEVENT")
    return event


def book_anna(hub, anna) -> Booking:
    with frozen("2026-11-30", "12:00"):
        return ops.book(anna, anna, hub.desks[0], at(DAY, "09:00"), at(DAY, "12:00"))


def test_confirmation_in_english_with_a_calendar_invitation(smtp_server, hub, anna):
    booking = book_anna(hub, anna)
    assert count(OutboxMessage) == 1  # queued with the booking, sent by the worker
    assert send_due().sent == 1

    [message] = smtp_server.messages
    assert smtp_server.envelopes[0].rcpt_tos == ["anna@example.org"]
    assert message["To"] == "anna@example.org"
    assert subject(message) == "Booked: Kungsklippan 6, 2026-12-01 09:00–12:00"
    assert message["Content-Language"] == "en"
    body = plain(message)
    assert body.startswith("Your desk is booked\n===================\n")
    assert "Hub: Kungsklippan 6\n" in body
    assert "Address: Kungsklippan 6, Stockholm\n" in body
    assert "Desk: D1\n" in body
    assert "When: Tuesday 2026-12-01, 09:00–12:00\n" in body
    assert (
        "Check-in: Check in at the desk from 08:45. If nobody has checked in by 09:30, the desk "
        "is released for others.\n" in body
    )
    assert f"See or cancel the booking:\nhttp://localhost:5000/bookings/{booking.id}\n" in body
    page = html(message)
    assert '<html lang="en">' in page
    assert "<h1>Your desk is booked</h1>" in page
    assert '<tr><th scope="row">Desk</th><td>D1</td></tr>' in page
    assert f'<a href="http://localhost:5000/bookings/{booking.id}">' in page
    assert "style=" not in page

    assert [p.get_content_type() for p in message.walk()] == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/html",
        "text/calendar",  # Outlook reads the invitation from the body, not from a file
        "application/ics",
    ]
    assert invitation_part(message).get_param("method") == "REQUEST"
    assert invitation_part(message).get_param("charset") == "utf-8"
    [file] = list(message.iter_attachments())
    assert file.get_filename() == "booking.ics"
    calendar = calendar_of(message)
    assert calendar["METHOD"] == "REQUEST"
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Stockholm"]
    event = the_event(calendar)
    assert event["UID"] == f"booking-{booking.id}@hubbar"
    assert event["SEQUENCE"] == 0
    assert event["STATUS"] == "CONFIRMED"
    assert event["SUMMARY"] == "Touch-down desk D1 – Kungsklippan 6"
    assert event["DTSTART"].params["TZID"] == "Europe/Stockholm"
    assert event["DTEND"].params["TZID"] == "Europe/Stockholm"
    assert event.decoded("DTSTART") == datetime(2026, 12, 1, 9, 0, tzinfo=STOCKHOLM)
    assert event.decoded("DTEND") == datetime(2026, 12, 1, 12, 0, tzinfo=STOCKHOLM)
    assert str(event["ORGANIZER"]) == "mailto:noreply@hubbar.localhost"
    assert str(event["ATTENDEE"]) == "mailto:anna@example.org"
    assert event["ATTENDEE"].params["CN"] == "Anna Berg"
    assert event["ATTENDEE"].params["PARTSTAT"] == "ACCEPTED"


def test_a_booking_made_for_someone_tells_them_who_made_it_in_their_language(
    smtp_server, hub, erik
):
    manager = make_hub_manager(hub, display_name="Maja Lind", locale="en")
    with frozen("2026-11-30", "12:00"):
        booking = ops.book(manager, erik, hub.desks[1], at(DAY, "13:00"), at(DAY, "15:30"))
    send_due()

    [message] = smtp_server.messages
    assert message["To"] == "erik@example.org"  # the booker, not the manager
    assert message["Content-Language"] == "sv"
    # Swedish dates and times (09.00, not 09:00) and the Swedish catalogue's labels.
    assert "2026-12-01 13.00–15.30" in subject(message)
    assert "Kungsklippan 6" in subject(message)
    body = plain(message)
    assert body.startswith("Maja Lind")
    assert f"{sv('Desk')}: D2\n" in body
    assert f"{sv('When')}: Tisdag 2026-12-01, 13.00–15.30\n" in body
    assert '<html lang="sv">' in html(message)
    event = the_event(calendar_of(message))
    assert event["UID"] == f"booking-{booking.id}@hubbar"
    assert event["SUMMARY"] == sv("Touch-down desk %(desk)s – %(hub)s", desk="D2", hub=hub.name)
    assert str(event["ATTENDEE"]) == "mailto:erik@example.org"


def test_cancellation_cancels_the_same_calendar_event(smtp_server, hub, anna):
    booking = book_anna(hub, anna)
    with frozen("2026-11-30", "14:00"):
        ops.cancel(anna, booking)
    assert send_due().sent == 2

    confirmation, cancellation = smtp_server.messages
    assert subject(cancellation) == "Cancelled: Kungsklippan 6, 2026-12-01 09:00–12:00"
    body = plain(cancellation)
    assert body.startswith("Your booking is cancelled\n")
    assert "You cancelled this booking. The desk is free for others." in body
    assert "Check-in" not in body  # nothing to check in to any more
    assert invitation_part(cancellation).get_param("method") == "CANCEL"
    assert [f.get_filename() for f in cancellation.iter_attachments()] == ["cancel.ics"]

    first, cancelled = calendar_of(confirmation), calendar_of(cancellation)
    assert cancelled["METHOD"] == "CANCEL"
    old, new = the_event(first), the_event(cancelled)
    assert new["UID"] == old["UID"] == f"booking-{booking.id}@hubbar"
    assert new["SEQUENCE"] > old["SEQUENCE"]
    assert (old["SEQUENCE"], new["SEQUENCE"]) == (0, 1)
    assert new["STATUS"] == "CANCELLED"
    assert new.decoded("DTSTART") == old.decoded("DTSTART")
    assert new["DTSTART"].params["TZID"] == "Europe/Stockholm"
    assert str(new["ORGANIZER"]) == "mailto:noreply@hubbar.localhost"
    assert str(new["ATTENDEE"]) == "mailto:anna@example.org"


def test_a_manager_cancelling_is_named_in_the_message(smtp_server, hub, anna):
    manager = make_hub_manager(hub, display_name="Maja Lind")
    booking = book_anna(hub, anna)
    with frozen("2026-11-30", "14:00"):
        ops.cancel(manager, booking)
    send_due()
    cancellation = smtp_server.messages[-1]
    assert cancellation["To"] == "anna@example.org"
    assert "Maja Lind cancelled your booking." in plain(cancellation)


def test_a_refused_cancellation_queues_nothing(smtp_server, hub, anna):
    booking = book_anna(hub, anna)
    with frozen(DAY, "12:30"), pytest.raises(PolicyViolation):
        ops.cancel(anna, booking)  # over already
    assert [m.kind for m in db.session.scalars(select(OutboxMessage))] == ["booking_confirmed"]


def test_book_any_and_a_conflict(smtp_server, hub, anna, erik):
    """book_any confirms the desk it found; a refused booking sends nothing."""
    with frozen("2026-11-30", "12:00"):
        booking = ops.book_any(anna, anna, hub, at(DAY, "09:00"), at(DAY, "10:00"))
        with pytest.raises(BookingConflict):
            ops.book(erik, erik, booking.desk, at(DAY, "09:00"), at(DAY, "10:00"))
    send_due()
    [message] = smtp_server.messages
    assert message["To"] == "anna@example.org"
    assert the_event(calendar_of(message))["UID"] == f"booking-{booking.id}@hubbar"


def test_each_booking_of_a_weekly_series_is_its_own_invitation(smtp_server, hub, anna):
    """Outlook takes one event from an invitation: each date gets its own message, with its
    own UID, and the dates that could not be booked get none."""
    with frozen("2026-11-30", "12:00"):
        # Erik has desk D1 on Thursday 3 December, so that date cannot be booked.
        erik = make_user(hub.host_organisation)
        ops.book(erik, erik, hub.desks[0], at("2026-12-03", "09:00"), at("2026-12-03", "10:00"))
        results = ops.book_weekly(
            anna,
            anna,
            hub.desks[0],
            date(2026, 12, 1),
            time(9),
            time(11),
            [1, 3],  # Tuesdays and Thursdays
            date(2026, 12, 10),
        )
    booked = [o.booking for o in results if o.booking]
    assert [o.day.isoformat() for o in results if o.booking is None] == ["2026-12-03"]
    assert len(booked) == 3
    send_due()

    mine = [m for m in smtp_server.messages if m["To"] == "anna@example.org"]
    assert [subject(m) for m in mine] == [
        "Booked: Kungsklippan 6, 2026-12-01 09:00–11:00",
        "Booked: Kungsklippan 6, 2026-12-08 09:00–11:00",
        "Booked: Kungsklippan 6, 2026-12-10 09:00–11:00",
    ]
    for message, booking, day in zip(mine, booked, (1, 8, 10), strict=True):
        calendar = calendar_of(message)
        assert calendar["METHOD"] == "REQUEST"
        event = the_event(calendar)  # exactly one
        assert event["UID"] == f"booking-{booking.id}@hubbar"
        assert event.decoded("DTSTART") == datetime(2026, 12, day, 9, tzinfo=STOCKHOLM)
        assert event["DTSTART"].params["TZID"] == "Europe/Stockholm"


def test_each_confirmation_of_a_series_is_saved_with_its_booking(hub, anna, monkeypatch):
    """The bookings of a series are committed one by one, each with its e-mail: a series that
    stops half-way (the process dies) leaves no booking without its confirmation."""
    from hubbar.mail import messages

    confirm = messages.booking_confirmed
    calls = []

    def dies_at_the_second(booking, actor=None):
        calls.append(booking)
        if len(calls) == 2:
            raise RuntimeError("the process died here")
        return confirm(booking, actor)

    monkeypatch.setattr(messages, "booking_confirmed", dies_at_the_second)
    with frozen("2026-11-30", "12:00"), pytest.raises(RuntimeError):
        ops.book_weekly(
            anna, anna, hub.desks[0], date(2026, 12, 1), time(9), time(11), [1], date(2026, 12, 22)
        )
    db.session.rollback()
    [booking] = db.session.scalars(select(Booking)).all()
    [message] = db.session.scalars(select(OutboxMessage)).all()
    assert (message.kind, message.user_id) == ("booking_confirmed", anna.id)
    assert booking.starts_at == at(DAY, "09:00")


def test_a_released_no_show_is_told_and_the_event_cancelled(smtp_server, hub, anna, erik):
    """The notice carries the CANCEL that takes the event out of the calendar, so it cannot be
    turned off: Erik, who turned it off while that was possible, gets it too."""
    with frozen("2026-11-30", "12:00"):
        absent = ops.book(anna, anna, hub.desks[0], at(DAY, "09:00"), at(DAY, "12:00"))
        quiet = ops.book(erik, erik, hub.desks[1], at(DAY, "09:00"), at(DAY, "12:00"))
    erik.mail_off = "released"
    db.session.commit()
    with pytest.raises(InvalidInput):
        set_preferences(anna, {"released"})
    with frozen(DAY, "09:30"):
        assert sorted(ops.release_no_shows(), key=lambda b: b.id) == [absent, quiet]
    assert reload(absent).status is BookingStatus.RELEASED
    send_due()

    sent = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.kind == "released")
        .order_by(OutboxMessage.recipient)  # released together: queued in either order
    )
    assert [(m.recipient, m.status) for m in sent] == [
        ("anna@example.org", OutboxStatus.SENT),
        ("erik@example.org", OutboxStatus.SENT),
    ]
    [message] = [m for m in smtp_server.messages if m["Subject"].startswith("Released")]
    assert subject(message) == "Released: Kungsklippan 6, 2026-12-01 09:00–12:00"
    assert (
        "Nobody checked in by 09:30, so the desk was released for others and the booking "
        "counts as a no-show." in plain(message)
    )
    assert "Choose which e-mails you get" not in plain(message)  # not an optional message
    assert invitation_part(message).get_param("method") == "CANCEL"
    calendar = calendar_of(message)
    assert calendar["METHOD"] == "CANCEL"
    event = the_event(calendar)
    assert event["UID"] == f"booking-{absent.id}@hubbar"
    assert event["SEQUENCE"] == 1
    assert event["STATUS"] == "CANCELLED"


def test_a_failing_mail_server_never_breaks_booking(app, mail_settings, hub, anna):
    """The server is unreachable: the booking is made, the message waits in the outbox."""
    mail_settings.update(
        HUBBAR_MAIL_SERVER="127.0.0.1",
        HUBBAR_MAIL_PORT=free_port(),
        HUBBAR_MAIL_USE_TLS=False,
        HUBBAR_MAIL_TIMEOUT=2,
    )
    booking = book_anna(hub, anna)
    assert reload(booking).status is BookingStatus.CONFIRMED
    result = mail.send_due(now=at("2026-11-30", "12:01"))
    assert (result.sent, result.retried) == (0, 1)
    message = db.session.scalar(select(OutboxMessage))
    assert message.status is OutboxStatus.PENDING
    assert message.recipient == "anna@example.org"
    assert message.attempts == 1


def test_the_booking_page_books_and_queues_the_confirmation(app, smtp_server, hub, anna):
    from tests.factories import login

    client = app.test_client()
    login(client, anna)
    with frozen("2026-11-30", "12:00"):
        response = client.post(
            "/book",
            data={
                "hub": str(hub.id),
                "date": DAY,
                "choice": "morning",
                "desk": str(hub.desks[0].id),
            },
        )
    assert response.status_code == 302
    db.session.rollback()
    booking = db.session.scalar(select(Booking))
    assert (booking.user_id, booking.desk.label) == (anna.id, "D1")
    assert count(OutboxMessage) == 1
    send_due()
    [message] = smtp_server.messages
    assert message["To"] == "anna@example.org"
