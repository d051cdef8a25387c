"""The booking e-mails as they arrive at a real SMTP server: confirmation (and on someone's
behalf) with an .ics invitation, a weekly series in one e-mail, cancellation with the same UID
and a higher SEQUENCE, the released no-show notice; each in the recipient's language."""

from __future__ import annotations

from datetime import datetime

import icalendar
import pytest
from sqlalchemy import select

from hubbar.bookings import operations as ops
from hubbar.bookings.models import Booking, BookingStatus
from hubbar.errors import BookingConflict, PolicyViolation
from hubbar.extensions import db
from hubbar.mail import operations as mail
from hubbar.mail.models import OutboxMessage, OutboxStatus
from hubbar.mail.operations import set_preferences
from tests.bookings.clock import at, frozen
from tests.factories import make_hub, make_hub_manager, make_user
from tests.helpers import STOCKHOLM, count, reload, sv
from tests.mail.conftest import free_port

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


def calendar_of(message) -> icalendar.Calendar:
    [part] = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    return icalendar.Calendar.from_ical(part.get_payload(decode=True))


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

    [part] = list(message.iter_attachments())
    assert part.get_filename() == "booking.ics"
    assert part.get_param("method") == "REQUEST"
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
    [part] = list(cancellation.iter_attachments())
    assert part.get_param("method") == "CANCEL"

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


def test_a_weekly_series_is_one_message_with_every_date_in_one_calendar(smtp_server, hub, anna):
    with frozen("2026-11-30", "12:00"):
        # Erik has desk D1 on Thursday 3 December, so that date cannot be booked.
        erik = make_user(hub.host_organisation)
        ops.book(erik, erik, hub.desks[0], at("2026-12-03", "09:00"), at("2026-12-03", "10:00"))
        results = ops.book_weekly(
            anna,
            anna,
            hub.desks[0],
            datetime(2026, 12, 1).date(),
            datetime(2026, 1, 1, 9).time(),
            datetime(2026, 1, 1, 11).time(),
            [1, 3],  # Tuesdays and Thursdays
            datetime(2026, 12, 10).date(),
        )
    booked = [o.booking for o in results if o.booking]
    assert [o.day.isoformat() for o in results if o.booking is None] == ["2026-12-03"]
    assert len(booked) == 3
    send_due()

    mine = [m for m in smtp_server.messages if m["To"] == "anna@example.org"]
    assert len(mine) == 1
    [message] = mine
    assert subject(message) == "Booked: 3 dates at Kungsklippan 6"
    body = plain(message)
    assert (
        "Booked dates:\n"
        "- Tuesday 2026-12-01, 09:00–11:00\n"
        "- Tuesday 2026-12-08, 09:00–11:00\n"
        "- Thursday 2026-12-10, 09:00–11:00\n" in body
    )
    assert "These dates could not be booked:\n- Thursday 2026-12-03\n" in body
    calendar = calendar_of(message)
    assert calendar["METHOD"] == "REQUEST"
    events = calendar.walk("VEVENT")
    assert [e["UID"] for e in events] == [f"booking-{b.id}@hubbar" for b in booked]
    assert [e.decoded("DTSTART") for e in events] == [
        datetime(2026, 12, d, 9, tzinfo=STOCKHOLM) for d in (1, 8, 10)
    ]
    assert {e["DTSTART"].params["TZID"] for e in events} == {"Europe/Stockholm"}


def test_a_released_no_show_is_told_unless_turned_off(smtp_server, hub, anna, erik):
    with frozen("2026-11-30", "12:00"):
        absent = ops.book(anna, anna, hub.desks[0], at(DAY, "09:00"), at(DAY, "12:00"))
        quiet = ops.book(erik, erik, hub.desks[1], at(DAY, "09:00"), at(DAY, "12:00"))
    set_preferences(erik, {"released"})
    with frozen(DAY, "09:30"):
        assert sorted(ops.release_no_shows(), key=lambda b: b.id) == [absent, quiet]
    assert reload(absent).status is BookingStatus.RELEASED
    send_due()

    released = [m for m in smtp_server.messages if "Released" in m["Subject"]]
    assert [m["To"] for m in released] == ["anna@example.org"]
    [message] = released
    assert subject(message) == "Released: Kungsklippan 6, 2026-12-01 09:00–12:00"
    assert (
        "Nobody checked in by 09:30, so the desk was released for others and the booking "
        "counts as a no-show." in plain(message)
    )
    event = the_event(calendar_of(message))
    assert calendar_of(message)["METHOD"] == "CANCEL"
    assert event["UID"] == f"booking-{absent.id}@hubbar"
    assert event["SEQUENCE"] == 1
    assert event["STATUS"] == "CANCELLED"
    kinds = db.session.scalars(select(OutboxMessage.kind).where(OutboxMessage.user_id == erik.id))
    assert list(kinds) == ["booking_confirmed"]  # Erik turned the notice off


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
    result = send_due()
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
