"""A booking as iCalendar (RFC 5545): the .ics download, and the attachment of the booking
e-mails (an invitation Outlook adds to the calendar, and its cancellation).

Times are given in the hub's own zone (TZID) with its VTIMEZONE, so a calendar shows the
wall-clock time that was booked, across DST changes too. The UID is stable per booking and the
SEQUENCE grows with each change of status, so a later copy (an update, a cancellation) replaces
the same event instead of adding a second.

``method`` is PUBLISH for a download, REQUEST for the confirmation e-mail and CANCEL for the
cancellation e-mail (iTIP, RFC 5546). REQUEST and CANCEL carry an ORGANIZER (the sender address
of the service) and an ATTENDEE (the booker), without which Outlook does not treat the
attachment as a meeting.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from email.utils import parseaddr
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from icalendar import Calendar, Event, vCalAddress, vText
from sqlalchemy import func, select

from hubbar.bookings.models import Booking, BookingEvent, BookingStatus
from hubbar.db import utcnow
from hubbar.extensions import db

PRODID = "-//hubbar//Touch-down desk bookings//EN"
WITHDRAWN = (BookingStatus.CANCELLED, BookingStatus.RELEASED)
METHODS = ("PUBLISH", "REQUEST", "CANCEL")


def booking_uid(booking: Booking) -> str:
    return f"booking-{booking.id}@hubbar"


def booking_sequence(booking: Booking) -> int:
    """The revision of the booking: 0 when made, one more for each later change of status.
    Counted in the database, so a change just flushed counts even if the booking's history was
    loaded before it (the e-mail of a change is composed before the commit)."""
    events = db.session.scalar(
        select(func.count(BookingEvent.id)).where(BookingEvent.booking_id == booking.id)
    )
    return max((events or 0) - 1, 0)


def _loaded_sequence(booking: Booking) -> int:
    """The same revision from the history already loaded (a feed preloads it for every
    booking, so it costs no query per event)."""
    return max(len(booking.events) - 1, 0)


def sender_address() -> tuple[str, str]:
    """The service's sender as (name, address), from HUBBAR_MAIL_SENDER."""
    name, address = parseaddr(current_app.config.get("HUBBAR_MAIL_SENDER") or "")
    return name or "hubbar", address or "noreply@hubbar.localhost"


def booking_event(
    booking: Booking,
    url: str | None = None,
    method: str = "PUBLISH",
    *,
    sequence: int | None = None,
) -> Event:
    """The booking as a VEVENT, in the hub's time zone. Without ``sequence`` the revision is
    taken from the booking's loaded history."""
    if method not in METHODS:
        raise ValueError(f"unknown iTIP method {method!r}")
    hub, zone = booking.hub, ZoneInfo(booking.hub.timezone)
    cancelled = method == "CANCEL" or booking.status in WITHDRAWN
    event = Event()
    event.add("uid", booking_uid(booking))
    event.add("dtstamp", utcnow())
    event.add("created", booking.created_at)
    event.add("dtstart", booking.starts_at.astimezone(zone))
    event.add("dtend", booking.ends_at.astimezone(zone))
    event.add(
        "summary", _("Touch-down desk %(desk)s – %(hub)s", desk=booking.desk.label, hub=hub.name)
    )
    event.add("location", hub.address)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    # Each status change is a new revision, so calendars replace the older copy.
    event.add("sequence", _loaded_sequence(booking) if sequence is None else sequence)
    event.add("transp", "TRANSPARENT" if cancelled else "OPAQUE")
    if method in ("REQUEST", "CANCEL"):
        name, address = sender_address()
        organizer = vCalAddress(f"mailto:{address}")
        organizer.params["cn"] = vText(name)
        event.add("organizer", organizer)
        if booking.user is not None:
            attendee = vCalAddress(f"mailto:{booking.user.email}")
            attendee.params["cn"] = vText(booking.user.display_name)
            attendee.params["role"] = vText("REQ-PARTICIPANT")
            attendee.params["partstat"] = vText("DECLINED" if cancelled else "ACCEPTED")
            attendee.params["rsvp"] = vText("FALSE")
            event.add("attendee", attendee)
    if url:
        event.add("url", url)
        event.add("description", url)
    return event


def bookings_calendar(
    bookings: Sequence[Booking],
    url_of: Callable[[Booking], str | None] | None = None,
    method: str = "PUBLISH",
) -> bytes:
    """A whole .ics file holding the bookings (each its own event) and the VTIMEZONEs they
    refer to. An e-mail's REQUEST or CANCEL counts each revision in the database, as it is
    composed in the transaction of the change."""
    if method not in METHODS:
        raise ValueError(f"unknown iTIP method {method!r}")
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", method)
    calendar.add("calscale", "GREGORIAN")
    for booking in bookings:
        url = url_of(booking) if url_of else None
        sequence = booking_sequence(booking) if method != "PUBLISH" else None
        calendar.add_component(booking_event(booking, url, method, sequence=sequence))
    if bookings:
        # Only the years around the bookings: the full zone history would be a page of RDATEs.
        first = min(b.starts_at.year for b in bookings)
        last = max(b.starts_at.year for b in bookings)
        calendar.add_missing_timezones(
            first_date=date(first - 1, 1, 1), last_date=date(last + 2, 1, 1)
        )
    return calendar.to_ical()


def booking_calendar(booking: Booking, url: str | None = None, method: str = "PUBLISH") -> bytes:
    """A whole .ics file holding the one booking and the VTIMEZONE it refers to."""
    return bookings_calendar([booking], (lambda _booking: url) if url else None, method)
