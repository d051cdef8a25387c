"""The today view's figures: every desk's state now, and what is left of the day's capacity.

Desk states come from two queries (the hub's bookings and out-of-service periods that reach
past now today), whatever the number of desks. The remaining capacity is not a second
definition: it is the occupancy core's open time of today (opening hours, lunch break, holidays,
closures, out-of-service periods, desks in service), cut to begin now, minus the booked
intervals from now on, summed by the same SQL as every other booked-hours figure.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from hubbar.bookings.models import Booking, BookingStatus
from hubbar.bookings.operations import hub_zone, occupying, releases_at
from hubbar.extensions import db
from hubbar.hubs.calendar import DaySchedule, hub_days
from hubbar.hubs.models import Desk, Hub, OutOfService
from hubbar.occupancy.calendar import HOUR, Window, epoch, open_time, windows_json
from hubbar.occupancy.sql import booked_in_windows, dialect, run

FREE = "free"
BOOKED = "booked"  # a booking holds the desk now, and nobody has checked in yet
CHECKED_IN = "checked_in"
OUT_OF_SERVICE = "out_of_service"
STATES = (FREE, BOOKED, CHECKED_IN, OUT_OF_SERVICE)

# Where the hub's day stands now.
CLOSED_TODAY = "closed_today"
BEFORE_OPENING = "before_opening"
OPEN = "open"
LUNCH = "lunch"
AFTER_CLOSING = "after_closing"


@dataclass
class DeskNow:
    """One active desk at this moment."""

    desk: Desk
    state: str
    booking: Booking | None = None  # the booking that holds the desk now
    until: datetime | None = None  # when the state ends (UTC); None: free for the rest of today
    reason: str = ""  # why the desk is out of service
    check_in_by: datetime | None = None  # released at this time if nobody checks in
    next_booking: Booking | None = None  # the next booking today that starts after now
    out_of_service_later: OutOfService | None = None  # a period that begins later today


@dataclass(frozen=True)
class RemainingCapacity:
    """Desk-hours from now to closing: open time of the desks in service, and the part of it
    that bookings already hold."""

    open_hours: float
    booked_hours: float

    @property
    def free_hours(self) -> float:
        return max(self.open_hours - self.booked_hours, 0.0)

    @property
    def free_share(self) -> float | None:
        return self.free_hours / self.open_hours if self.open_hours > 0 else None


@dataclass
class Today:
    """Everything the today view shows about a hub."""

    hub: Hub
    now: datetime  # UTC
    day: date  # the hub's local date
    schedule: DaySchedule
    phase: str  # CLOSED_TODAY, BEFORE_OPENING, OPEN, LUNCH or AFTER_CLOSING
    phase_until: datetime | None  # when the phase ends (opening, closing, end of lunch)
    desks: list[DeskNow]
    capacity: RemainingCapacity
    counts: dict[str, int] = field(default_factory=dict)


def local_day(hub: Hub, now: datetime) -> tuple[date, datetime, datetime]:
    """The hub's local date at ``now``, and its first and last moment (UTC, end exclusive)."""
    zone = hub_zone(hub)
    today = now.astimezone(zone).date()
    midnight = datetime.min.time()
    starts = datetime.combine(today, midnight, tzinfo=zone)
    ends = datetime.combine(today + timedelta(days=1), midnight, tzinfo=zone)
    return today, starts.astimezone(UTC), ends.astimezone(UTC)


def desk_states(hub: Hub, now: datetime) -> list[DeskNow]:
    """The state of each of the hub's active desks at ``now``, with who holds it until when and
    its next booking today. Two queries, whatever the number of desks."""
    now = now.astimezone(UTC)
    desks = hub.active_desks
    if not desks:
        return []
    _today, _starts, day_end = local_day(hub, now)
    ids = [d.id for d in desks]
    bookings: dict[int, list[Booking]] = {i: [] for i in ids}
    # The bookings that hold their desk at some moment from now to the end of the day.
    for booking in db.session.scalars(
        select(Booking)
        .options(joinedload(Booking.user), joinedload(Booking.organisation))
        .where(Booking.hub_id == hub.id, Booking.desk_id.in_(ids), *occupying(now, day_end))
        .order_by(Booking.starts_at)
    ):
        bookings[booking.desk_id].append(booking)
    periods: dict[int, list[OutOfService]] = {i: [] for i in ids}
    for period in db.session.scalars(
        select(OutOfService)
        .where(
            OutOfService.desk_id.in_(ids),
            OutOfService.starts_at < day_end,
            OutOfService.ends_at > now,
        )
        .order_by(OutOfService.starts_at)
    ):
        periods[period.desk_id].append(period)
    return [_desk_now(desk, now, bookings[desk.id], periods[desk.id]) for desk in desks]


def _desk_now(
    desk: Desk, now: datetime, bookings: list[Booking], periods: list[OutOfService]
) -> DeskNow:
    holder = next((b for b in bookings if b.starts_at <= now), None)
    next_booking = next((b for b in bookings if b.starts_at > now), None)
    out_now = next((p for p in periods if p.starts_at <= now), None)
    out_later = next((p for p in periods if p.starts_at > now), None)
    result = DeskNow(desk, FREE, booking=holder, next_booking=next_booking)
    result.out_of_service_later = out_later
    if holder is not None and holder.status is BookingStatus.CHECKED_IN:
        # Someone is at the desk: that is what the manager needs to know first.
        result.state, result.until = CHECKED_IN, holder.occupied_until
    elif out_now is not None:
        result.state, result.until, result.reason = OUT_OF_SERVICE, out_now.ends_at, out_now.reason
    elif holder is not None:
        result.state, result.until = BOOKED, holder.occupied_until
        result.check_in_by = releases_at(holder)
    else:
        changes = [b.starts_at for b in bookings if b.starts_at > now]
        changes += [p.starts_at for p in periods if p.starts_at > now]
        result.until = min(changes, default=None)
    return result


def remaining_capacity(hub: Hub, now: datetime) -> RemainingCapacity:
    """Desk-hours from ``now`` to closing today: the occupancy core's open time of today cut
    to begin now, and the booked part of it (one aggregate over the bookings)."""
    now = now.astimezone(UTC)
    today, _starts, day_end = local_day(hub, now)
    whole_day = open_time([hub], today, today, now=day_end)
    windows = [w for w in (_from(window, now) for window in whole_day.windows) if w is not None]
    open_seconds = sum(whole_day.weight(w) * w.seconds for w in windows)
    if open_seconds <= 0:
        return RemainingCapacity(0.0, 0.0)
    d = dialect()
    booked = run(booked_in_windows(d), windows=windows_json(windows, d.name, today))[0][0]
    return RemainingCapacity(open_seconds / HOUR, float(booked or 0) / HOUR)


def _from(window: Window, now: datetime) -> Window | None:
    """The part of a window from ``now`` on, or None when it is over."""
    if window.end <= now:
        return None
    if window.start >= now:
        return window
    cut = epoch(now) - epoch(window.start)
    return replace(window, start=window.start + timedelta(seconds=cut), sod=window.sod + cut)


def today_at(hub: Hub, now: datetime, locale: str = "sv") -> Today:
    """The today view of a hub at ``now``: the day's opening hours (holiday and closure names
    in ``locale``), where the day stands, each desk's state, the counts per state and the
    remaining capacity."""
    now = now.astimezone(UTC)
    today, _starts, _ends = local_day(hub, now)
    schedule = hub_days(hub, today, today, locale)[0]
    phase, until = _phase(schedule, hub.timezone, now)
    desks = desk_states(hub, now)
    counts = {state: 0 for state in STATES}
    for desk in desks:
        counts[desk.state] += 1
    return Today(
        hub=hub,
        now=now,
        day=today,
        schedule=schedule,
        phase=phase,
        phase_until=until,
        desks=desks,
        capacity=remaining_capacity(hub, now),
        counts=counts,
    )


def _phase(schedule: DaySchedule, timezone: str, now: datetime) -> tuple[str, datetime | None]:
    intervals = [
        (a.astimezone(UTC), b.astimezone(UTC)) for a, b in schedule.open_intervals(timezone)
    ]
    if not intervals:
        return CLOSED_TODAY, None
    if now < intervals[0][0]:
        return BEFORE_OPENING, intervals[0][0]
    for opens, closes in intervals:
        if opens <= now < closes:
            return OPEN, closes
        if now < opens:
            return LUNCH, opens
    return AFTER_CLOSING, None
