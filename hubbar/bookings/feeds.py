"""Private calendar feeds: a user's bookings, and a hub's bookings for its managers.

A feed is an iCalendar file at a secret address that Outlook (or any calendar) subscribes to and
fetches again every hour. It is built from the database on every fetch, so it follows every
booking, change and cancellation. A cancelled or released booking is left out: a subscribed
calendar replaces the whole calendar with each fetch, so the event disappears (Outlook would
show an event marked STATUS:CANCELLED as if it still stood). The token is the only secret:
regenerating it revokes the old address, turning the feed off revokes it with no replacement.
A hub's feed names the bookers, so its address is renewed when one of its managers leaves
(``renew_hub_feeds_after_manager_left``).
"""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from icalendar import Calendar, vDuration
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from hubbar.accounts.models import User
from hubbar.audit.operations import record
from hubbar.bookings.ical import PRODID, WITHDRAWN, add_timezones, booking_event
from hubbar.bookings.models import Booking
from hubbar.db import utcnow
from hubbar.errors import NotFound
from hubbar.extensions import db
from hubbar.hubs.models import Hub
from hubbar.operations import require

# What a feed holds: a user's bookings from 60 days back onwards (the future is bounded by the
# hubs' booking horizon); a hub's from 14 days back to 60 days ahead.
USER_FEED_PAST = timedelta(days=60)
HUB_FEED_PAST = timedelta(days=14)
HUB_FEED_AHEAD = timedelta(days=60)
# A hard cap on events per feed, so one fetch stays cheap whatever is in the database.
MAX_EVENTS = 2000
# Calendars fetch the feed again after this long (Outlook honours X-PUBLISHED-TTL).
REFRESH = timedelta(hours=1)

# secrets.token_urlsafe(32) gives 43 characters of [A-Za-z0-9_-]; anything else is no token.
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{16,64}")

# The one answer to an unknown, revoked or malformed token: it gives no hint which it was.
GONE = _l("There is nothing at this address. It may have been removed.")

BookingUrl = Callable[[Booking], str]


def new_token() -> str:
    return secrets.token_urlsafe(32)


# --- tokens --------------------------------------------------------------------------------


def create_or_regenerate_feed(user: User) -> str:
    """Give ``user`` a new feed address (the old one, if any, stops working); the token."""
    user.calendar_token = new_token()
    db.session.commit()
    return user.calendar_token


def turn_off_feed(user: User) -> None:
    """Revoke the user's feed address; calendars subscribed to it get a 404 from now on."""
    user.calendar_token = None
    db.session.commit()


def create_or_regenerate_hub_feed(actor: User, hub: Hub) -> str:
    """A new feed address for the hub's managers (the old one stops working); the token.
    Hub managers of this hub and system admins only."""
    require(hub.can_manage(actor))
    action = "hub.calendar_feed_regenerate" if hub.calendar_token else "hub.calendar_feed_create"
    hub.calendar_token = new_token()
    record(actor, action, hub, f"calendar feed of {hub.name}")
    db.session.commit()
    return hub.calendar_token


def turn_off_hub_feed(actor: User, hub: Hub) -> None:
    """Revoke the hub's feed address. Hub managers of this hub and system admins only."""
    require(hub.can_manage(actor))
    if hub.calendar_token is None:
        return
    hub.calendar_token = None
    record(actor, "hub.calendar_feed_off", hub, f"calendar feed of {hub.name}")
    db.session.commit()


def renew_hub_feeds_after_manager_left(
    user: User, hub_ids: Iterable[int] | None = None, *, actor: User | None = None
) -> list[Hub]:
    """Give a new feed address to each hub ``user`` no longer manages and whose feed is on:
    the old address, which they may have kept, stops working (a hub's feed names who booked).
    The hub's other managers find the new address on the hub's page.

    ``hub_ids``: the hubs they left; by default every hub whose feed they can see now (the hubs
    they manage, or every hub for a system admin), so call it before their roles change. Runs in
    the caller's transaction (recorded in the audit log, committed with the caller's change).
    Returns the hubs whose address was renewed."""
    if hub_ids is None:
        hub_ids = None if user.is_system_admin else set(user.managed_hub_ids)
    query = select(Hub).where(Hub.calendar_token.is_not(None)).order_by(Hub.id)
    if hub_ids is not None:
        hub_ids = {hub_id for hub_id in hub_ids if hub_id is not None}
        if not hub_ids:
            return []
        query = query.where(Hub.id.in_(hub_ids))
    hubs = list(db.session.scalars(query))
    for hub in hubs:
        hub.calendar_token = new_token()
        record(
            actor,
            "hub.calendar_feed_regenerate",
            hub,
            f"calendar feed of {hub.name}: renewed as user #{user.id} no longer manages it",
        )
    return hubs


def _by_token(model, token: str):
    """The row whose token this is, else NotFound (no hint whether it ever existed).

    The lookup goes through the unique index, and the stored token is compared again in
    constant time, so the answer does not depend on how much of a guess was right.
    """
    if not TOKEN_SHAPE.fullmatch(token or ""):
        raise NotFound(GONE)
    row = db.session.scalar(select(model).where(model.calendar_token == token))
    if row is None or not hmac.compare_digest(row.calendar_token or "", token):
        raise NotFound(GONE)
    return row


def user_for_feed(token: str) -> User:
    """The (active) user whose feed token this is, else NotFound."""
    user = _by_token(User, token)
    if not user.active:
        raise NotFound(GONE)
    return user


def hub_for_feed(token: str) -> Hub:
    """The hub whose feed token this is, else NotFound."""
    return _by_token(Hub, token)


# --- the feeds -----------------------------------------------------------------------------


def _bookings(*conditions) -> list[Booking]:
    """The bookings that stand (not cancelled, not released) and meet ``conditions``."""
    return list(
        db.session.scalars(
            select(Booking)
            .where(Booking.status.not_in(WITHDRAWN), *conditions)
            .options(
                selectinload(Booking.desk),
                selectinload(Booking.hub),
                selectinload(Booking.user),
                selectinload(Booking.events),
            )
            .order_by(Booking.starts_at, Booking.id)
            .limit(MAX_EVENTS)
        )
    )


def user_bookings(user: User, now: datetime | None = None) -> list[Booking]:
    """What the user's feed holds: their bookings from 60 days ago onwards, except cancelled
    and released ones."""
    now = now or utcnow()
    return _bookings(Booking.user_id == user.id, Booking.starts_at >= now - USER_FEED_PAST)


def hub_bookings(hub: Hub, now: datetime | None = None) -> list[Booking]:
    """What the hub's feed holds: its bookings from 14 days ago to 60 days ahead, except
    cancelled and released ones."""
    now = now or utcnow()
    return _bookings(
        Booking.hub_id == hub.id,
        Booking.starts_at >= now - HUB_FEED_PAST,
        Booking.starts_at < now + HUB_FEED_AHEAD,
    )


def _calendar(name: str, events, bookings: list[Booking]) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(REFRESH))
    for event in events:
        calendar.add_component(event)
    if bookings:
        add_timezones(
            calendar,
            {b.hub.timezone for b in bookings},
            bookings[0].starts_at,
            max(b.ends_at for b in bookings),
        )
    return calendar.to_ical()


def user_feed(
    user: User, booking_url: BookingUrl | None = None, now: datetime | None = None
) -> bytes:
    """The user's feed as an .ics file, in the user's language; ``booking_url`` gives each
    event a link to the booking's page."""
    now = now or utcnow()
    bookings = user_bookings(user, now)
    with force_locale(user.locale):
        events = [booking_event(b, booking_url(b) if booking_url else None) for b in bookings]
        name = _("hubbar – %(name)s", name=user.display_name)
    return _calendar(name, events, bookings)


def _booker(booking: Booking) -> str:
    return booking.user.display_name if booking.user else _("a removed user")


def hub_feed(
    hub: Hub,
    booking_url: BookingUrl | None = None,
    now: datetime | None = None,
    locale: str = "sv",
) -> bytes:
    """The hub's feed for its managers: each event says the desk and who booked it (managers
    see names for their own hubs; no e-mail addresses)."""
    now = now or utcnow()
    bookings = hub_bookings(hub, now)
    events = []
    with force_locale(locale):
        for booking in bookings:
            event = booking_event(booking, booking_url(booking) if booking_url else None)
            del event["summary"]
            event.add(
                "summary",
                _("Desk %(desk)s: %(name)s", desk=booking.desk.label, name=_booker(booking)),
            )
            events.append(event)
        name = _("hubbar – %(name)s", name=hub.name)
    return _calendar(name, events, bookings)
