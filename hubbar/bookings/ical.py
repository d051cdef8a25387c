"""A booking as iCalendar (RFC 5545): the .ics download today, the confirmation e-mail later.

Times are given in the hub's own zone (TZID) with its VTIMEZONE, so a calendar shows the
wall-clock time that was booked, across DST changes too. The UID is stable per booking, so a
later download (say, after a cancellation) updates the same event instead of adding a second.
"""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from icalendar import Calendar, Event

from hubbar.bookings.models import Booking, BookingStatus
from hubbar.bookings.operations import hub_zone
from hubbar.db import utcnow

PRODID = "-//hubbar//Touch-down desk bookings//EN"
WITHDRAWN = (BookingStatus.CANCELLED, BookingStatus.RELEASED)


def booking_uid(booking: Booking) -> str:
    return f"booking-{booking.id}@hubbar"


def booking_event(booking: Booking, url: str | None = None) -> Event:
    """The booking as a VEVENT, in the hub's time zone."""
    hub, zone = booking.hub, hub_zone(booking.hub)
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
    event.add("status", "CANCELLED" if booking.status in WITHDRAWN else "CONFIRMED")
    # Each status change is a new revision, so calendars replace the older copy.
    event.add("sequence", max(len(booking.events) - 1, 0))
    event.add("transp", "OPAQUE")
    if url:
        event.add("url", url)
        event.add("description", url)
    return event


def booking_calendar(booking: Booking, url: str | None = None) -> bytes:
    """A whole .ics file holding the one booking and the VTIMEZONE it refers to."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add("calscale", "GREGORIAN")
    calendar.add_component(booking_event(booking, url))
    # Only the years around the booking: the full zone history would be a page of RDATEs.
    year = booking.starts_at.year
    calendar.add_missing_timezones(first_date=date(year - 1, 1, 1), last_date=date(year + 2, 1, 1))
    return calendar.to_ical()
