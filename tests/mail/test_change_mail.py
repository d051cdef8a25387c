"""A change of time as it arrives at a real SMTP server: an update of the same calendar event
(METHOD:REQUEST, same UID, higher SEQUENCE, the new times in Europe/Stockholm), between the
confirmation and the cancellation; a refused change sends nothing."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from hubbar.bookings import operations as ops
from hubbar.errors import BookingConflict
from hubbar.extensions import db
from hubbar.mail.models import OutboxMessage
from tests.bookings.clock import at, frozen
from tests.factories import make_hub, make_hub_manager, make_user
from tests.helpers import STOCKHOLM
from tests.mail.test_messages import (
    DAY,
    book_anna,
    calendar_of,
    html,
    invitation_part,
    plain,
    send_due,
    subject,
    the_event,
)


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


def test_confirmation_change_and_cancellation_update_one_calendar_event(smtp_server, hub, anna):
    booking = book_anna(hub, anna)  # 09.00–12.00
    with frozen("2026-11-30", "13:00"):
        ops.change(anna, booking, at(DAY, "13:00"), at(DAY, "15:30"))
    with frozen("2026-11-30", "14:00"):
        ops.cancel(anna, booking)
    assert send_due().sent == 3

    confirmation, change, cancellation = smtp_server.messages
    assert [m["To"] for m in smtp_server.messages] == ["anna@example.org"] * 3
    assert subject(change) == "Changed: Kungsklippan 6, 2026-12-01 13:00–15:30"
    assert change["Content-Language"] == "en"
    body = plain(change)
    assert body.startswith("Your booking is changed\n=======================\n")
    assert "The new time is attached as a calendar event. It replaces the old one.\n" in body
    assert "Desk: D1\n" in body
    assert "When: Tuesday 2026-12-01, 13:00–15:30\n" in body
    assert "If nobody has checked in by 13:30, the desk is released for others." in body
    assert f"See or cancel the booking:\nhttp://localhost:5000/bookings/{booking.id}\n" in body
    assert "<h1>Your booking is changed</h1>" in html(change)
    assert invitation_part(change).get_param("method") == "REQUEST"
    assert [f.get_filename() for f in change.iter_attachments()] == ["booking.ics"]

    calendars = [calendar_of(m) for m in (confirmation, change, cancellation)]
    assert [c["METHOD"] for c in calendars] == ["REQUEST", "REQUEST", "CANCEL"]
    events = [the_event(c) for c in calendars]
    assert {str(e["UID"]) for e in events} == {f"booking-{booking.id}@hubbar"}
    assert [e["SEQUENCE"] for e in events] == [0, 1, 2]
    assert [e["STATUS"] for e in events] == ["CONFIRMED", "CONFIRMED", "CANCELLED"]

    first, moved, cancelled = events
    assert first.decoded("DTSTART") == datetime(2026, 12, 1, 9, 0, tzinfo=STOCKHOLM)
    for event in (moved, cancelled):
        assert event["DTSTART"].params["TZID"] == "Europe/Stockholm"
        assert event["DTEND"].params["TZID"] == "Europe/Stockholm"
        assert event.decoded("DTSTART") == datetime(2026, 12, 1, 13, 0, tzinfo=STOCKHOLM)
        assert event.decoded("DTEND") == datetime(2026, 12, 1, 15, 30, tzinfo=STOCKHOLM)
    assert [tz["TZID"] for tz in calendars[1].walk("VTIMEZONE")] == ["Europe/Stockholm"]
    assert str(moved["ORGANIZER"]) == "mailto:noreply@hubbar.localhost"
    assert str(moved["ATTENDEE"]) == "mailto:anna@example.org"
    assert moved["ATTENDEE"].params["PARTSTAT"] == "ACCEPTED"


def test_two_changes_raise_the_sequence_each_time(smtp_server, hub, anna):
    booking = book_anna(hub, anna)
    with frozen("2026-11-30", "13:00"):
        ops.change(anna, booking, at(DAY, "09:00"), at(DAY, "13:00"))
        ops.change(anna, booking, at(DAY, "10:00"), at(DAY, "13:00"))
    assert send_due().sent == 3
    events = [the_event(calendar_of(m)) for m in smtp_server.messages]
    assert [e["SEQUENCE"] for e in events] == [0, 1, 2]
    assert events[2].decoded("DTSTART") == datetime(2026, 12, 1, 10, 0, tzinfo=STOCKHOLM)


def test_a_manager_changing_the_time_is_named_in_the_bookers_language(smtp_server, hub, erik):
    manager = make_hub_manager(hub, display_name="Maja Lind", locale="en")
    with frozen("2026-11-30", "12:00"):
        booking = ops.book(erik, erik, hub.desks[1], at(DAY, "09:00"), at(DAY, "12:00"))
        ops.change(manager, booking, at(DAY, "13:00"), at(DAY, "15:00"))
    send_due()
    change = smtp_server.messages[-1]
    assert change["To"] == "erik@example.org"
    assert change["Content-Language"] == "sv"
    assert "2026-12-01 13.00–15.00" in subject(change)  # Swedish times
    assert plain(change).count("Maja Lind") == 1
    event = the_event(calendar_of(change))
    assert event["UID"] == f"booking-{booking.id}@hubbar"
    assert event["SEQUENCE"] == 1


def test_a_refused_change_sends_nothing(smtp_server, hub, anna, erik):
    booking = book_anna(hub, anna)
    with frozen("2026-11-30", "12:30"):
        ops.book(erik, erik, hub.desks[0], at(DAY, "13:00"), at(DAY, "14:00"))
        with pytest.raises(BookingConflict):
            ops.change(anna, booking, at(DAY, "12:00"), at(DAY, "14:00"))
    db.session.rollback()
    kinds = [m.kind for m in db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]
    assert kinds == ["booking_confirmed", "booking_confirmed"]
    send_due()
    assert [m["To"] for m in smtp_server.messages] == ["anna@example.org", "erik@example.org"]
