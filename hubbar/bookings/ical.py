"""A booking as iCalendar (RFC 5545): the .ics download, and the attachment of the booking
e-mails (an invitation Outlook adds to the calendar, and its cancellation).

Times are given in the hub's own zone (TZID) with its VTIMEZONE, so a calendar shows the
wall-clock time that was booked, across DST changes too. The VTIMEZONE is written here, from
the zone's transitions, as yearly rules where the zone follows one (Europe/Stockholm: the EU
rule, as Outlook writes it itself), because icalendar's own puts the spring change an hour
late (03:00 in the offset before it, where RFC 5545 wants 02:00).

The UID is stable per booking and the SEQUENCE grows with each change of status, so a later copy
(an update, a cancellation) replaces the same event instead of adding a second.

``method`` is PUBLISH for a download, REQUEST for the confirmation e-mail and CANCEL for the
cancellation e-mail (iTIP, RFC 5546). REQUEST and CANCEL carry an ORGANIZER (the sender address
of the service) and an ATTENDEE (the booker), without which Outlook does not treat the
attachment as a meeting.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from icalendar import (
    Calendar,
    Event,
    Timezone,
    TimezoneDaylight,
    TimezoneStandard,
    vCalAddress,
    vText,
)
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
        add_timezones(
            calendar,
            {b.hub.timezone for b in bookings},
            min(b.starts_at for b in bookings),
            max(b.ends_at for b in bookings),
        )
    return calendar.to_ical()


def booking_calendar(booking: Booking, url: str | None = None, method: str = "PUBLISH") -> bytes:
    """A whole .ics file holding the one booking and the VTIMEZONE it refers to."""
    return bookings_calendar([booking], (lambda _booking: url) if url else None, method)


# --- VTIMEZONE -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Transition:
    """A change of a zone's offset: the UTC instant, the offsets before and after, and the
    zone's name and daylight saving after it."""

    at: datetime
    before: timedelta
    after: timedelta
    name: str
    daylight: bool

    @property
    def local_start(self) -> datetime:
        """The onset as RFC 5545 gives it: the wall-clock time before the change (naive)."""
        return (self.at + self.before).replace(tzinfo=None)


def add_timezones(calendar: Calendar, zones: Iterable[str], first: datetime, last: datetime):
    """Add a VTIMEZONE for each zone in ``zones``, covering the year before ``first`` to the
    year after ``last`` (only the years of the events: a zone's whole history would be pages of
    transitions)."""
    for name in sorted(set(zones)):
        calendar.add_component(vtimezone(name, first.year - 1, last.year + 1))


def vtimezone(name: str, first_year: int, last_year: int) -> Timezone:
    """The VTIMEZONE of zone ``name`` for the years ``first_year`` to ``last_year``.

    Each kind of change (to summer time, to winter time) that falls on the same weekday rule
    every year of the span is one observance with a yearly RRULE, as Outlook expects; any other
    change is given by its dates (RDATE). A zone without changes in the span is one STANDARD
    observance with its offset."""
    zone = ZoneInfo(name)
    start = datetime(first_year, 1, 1, tzinfo=UTC)
    timezone = Timezone()
    timezone.add("tzid", name)
    changes = _transitions(name, first_year, last_year)
    if not changes:
        offset = start.astimezone(zone).utcoffset()
        timezone.add_component(
            _observance(
                Transition(start, offset, offset, start.astimezone(zone).tzname() or name, False),
                [],
            )
        )
        return timezone
    groups: dict[tuple, list[Transition]] = {}
    for change in changes:
        groups.setdefault((change.daylight, change.before, change.after, change.name), []).append(
            change
        )
    for group in groups.values():
        rule = _yearly_rule(group, first_year, last_year)
        if rule is not None:
            timezone.add_component(_observance(group[0], [], rule))
        else:
            timezone.add_component(_observance(group[0], [c.local_start for c in group[1:]]))
    return timezone


def _observance(change: Transition, rdates: list[datetime], rrule: dict | None = None):
    observance = TimezoneDaylight() if change.daylight else TimezoneStandard()
    observance.add("dtstart", change.local_start)
    if rrule is not None:
        observance.add("rrule", rrule)
    if rdates:
        observance.add("rdate", rdates)
    observance.add("tzname", change.name)
    observance.add("tzoffsetfrom", change.before)
    observance.add("tzoffsetto", change.after)
    return observance


def _yearly_rule(group: list[Transition], first_year: int, last_year: int) -> dict | None:
    """The RRULE that gives exactly these changes, when there is one: one a year in every year
    of the span, in the same month, on the same weekday (the n-th or the last of the month) at
    the same wall-clock time."""
    starts = [change.local_start for change in group]
    if [s.year for s in starts] != list(range(first_year, last_year + 1)):
        return None
    first = starts[0]
    if any(
        (s.month, s.weekday(), s.time()) != (first.month, first.weekday(), first.time())
        for s in starts
    ):
        return None
    weekday = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")[first.weekday()]
    if all((s + timedelta(days=7)).month != s.month for s in starts):
        byday = f"-1{weekday}"
    elif len({(s.day - 1) // 7 for s in starts}) == 1:
        byday = f"{(first.day - 1) // 7 + 1}{weekday}"
    else:
        return None
    return {"freq": "yearly", "bymonth": first.month, "byday": byday}


@lru_cache(maxsize=64)
def _transitions(name: str, first_year: int, last_year: int) -> tuple[Transition, ...]:
    """Every change of zone ``name``'s offset from ``first_year`` to ``last_year``, to the
    minute (zoneinfo has no list of them: the zone is asked day by day, then minute by minute
    around each change)."""
    zone = ZoneInfo(name)

    def state(moment: datetime) -> tuple:
        local = moment.astimezone(zone)
        return local.utcoffset(), local.dst() > timedelta(0), local.tzname()

    changes = []
    day = datetime(first_year, 1, 1, tzinfo=UTC)
    end = datetime(last_year + 1, 1, 1, tzinfo=UTC)
    while day < end:
        following = day + timedelta(days=1)
        before, after = state(day), state(following)
        if before != after:
            low, high = day, following  # the change is after low, at or before high
            while high - low > timedelta(minutes=1):
                middle = low + (high - low) // 2
                middle = middle.replace(second=0, microsecond=0)
                if middle <= low:
                    break
                if state(middle) == before:
                    low = middle
                else:
                    high = middle
            changes.append(Transition(high, before[0], after[0], after[2] or name, after[1]))
        day = following
    return tuple(changes)
