"""Open time as data: the calendar table every occupancy query joins against.

The hub's week, Swedish holidays, closures and lunch breaks live in Python
(:func:`hubbar.hubs.calendar.hub_days`); time zones and DST too. So the open time of a period is
built here, once per query, as a small list of *windows* (a few per open day), and handed to SQL
as one JSON parameter. The bookings never leave the database.

A window is a stretch of open time at a hub (``desk_id`` None, counted for every desk of the
hub) or, with ``sign`` -1, a stretch of a hub window during which one desk is *not* open:
out of service, not yet created, or deactivated. A desk's open time is its hub's windows minus
its own negative windows, and a sum over windows weighted by ``sign`` is a sum over open time.
"""

from __future__ import annotations

import bisect
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import lazyload

from hubbar.bookings.models import Booking
from hubbar.extensions import db
from hubbar.hubs.calendar import DaySchedule, hub_days
from hubbar.hubs.models import Desk, Hub, OutOfService

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
HOUR = 3600


def epoch(moment: datetime) -> int:
    """Whole seconds since 1970, rounded down, exactly as the SQL side computes them."""
    return (moment - EPOCH) // timedelta(seconds=1)


@dataclass(frozen=True)
class Window:
    hub_id: int
    desk_id: int | None
    day: date
    start: datetime  # UTC
    end: datetime  # UTC
    day_start: datetime  # the local midnight that begins ``day``, in UTC
    sod: int  # local seconds since midnight at ``start``
    sign: int = 1

    @property
    def seconds(self) -> int:
        return epoch(self.end) - epoch(self.start)

    def hour_seconds(self) -> Iterable[tuple[int, int]]:
        """(local hour, seconds) pieces of the window."""
        start, end = self.sod, self.sod + self.seconds
        hour = start // HOUR
        while hour * HOUR < end:
            piece = min(end, (hour + 1) * HOUR) - max(start, hour * HOUR)
            if piece > 0:
                yield hour, piece
            hour += 1


@dataclass
class OpenTime:
    """The open time of some hubs over whole local dates, up to ``until``."""

    hubs: Sequence[Hub]
    first: date
    last: date
    until: datetime  # the end of counted time: the period's end, or now if that is earlier
    period_end: datetime  # the end of the period's last date (the latest, over the hubs)
    windows: list[Window] = field(default_factory=list)  # hub windows and desk exceptions
    day_bounds: list[tuple[int, date, datetime, datetime]] = field(default_factory=list)
    desks: dict[int, list[Desk]] = field(default_factory=dict)  # hub id -> desks counted

    @property
    def hub_windows(self) -> list[Window]:
        return [w for w in self.windows if w.desk_id is None]

    def desk_count(self, hub_id: int) -> int:
        return len(self.desks.get(hub_id, ()))

    def weight(self, window: Window) -> int:
        """How many desk-seconds a second of the window is worth."""
        return window.sign * (self.desk_count(window.hub_id) if window.desk_id is None else 1)

    def capacity_by_day_hour(self) -> dict[tuple[date, int], int]:
        """Capacity in desk-seconds per (local date, local hour)."""
        cells: dict[tuple[date, int], int] = defaultdict(int)
        for window in self.windows:
            weight = self.weight(window)
            for hour, seconds in window.hour_seconds():
                cells[window.day, hour] += weight * seconds
        return cells

    def capacity_by_desk(self) -> dict[int, tuple[int, int]]:
        """Per desk counted: (capacity in seconds, open days). Every desk of a hub has the
        hub's windows; only the desks with negative windows differ, so only they are walked."""
        hub_days_seconds: dict[int, dict[date, int]] = defaultdict(lambda: defaultdict(int))
        for window in self.hub_windows:
            hub_days_seconds[window.hub_id][window.day] += window.seconds
        taken: dict[int, dict[date, int]] = defaultdict(lambda: defaultdict(int))
        for window in self.windows:
            if window.desk_id is not None:
                taken[window.desk_id][window.day] += window.seconds
        result = {}
        for hub_id, desks in self.desks.items():
            days = hub_days_seconds.get(hub_id, {})
            total = sum(days.values())
            for desk in desks:
                lost = taken.get(desk.id, {})
                closed = sum(1 for day, seconds in lost.items() if seconds >= days.get(day, 0))
                result[desk.id] = (total - sum(lost.values()), len(days) - closed)
        return result

    def peak_events(self) -> list[dict]:
        """Changes in the number of desks in service, for the daily peak query."""
        events = []
        for window in self.windows:
            weight = self.weight(window)
            day = (window.day - self.first).days
            start = epoch(window.start)
            off = start - window.sod  # local seconds of the day = t - off, within the window
            events.append({"day": day, "t": start, "off": off, "dd": weight})
            events.append({"day": day, "t": epoch(window.end), "off": off, "dd": -weight})
        return events


def open_time(hubs: Sequence[Hub], first: date, last: date, now: datetime) -> OpenTime:
    """Build the windows of open time of ``hubs`` from ``first`` to ``last``, counted up to
    ``now`` when the period reaches it."""
    result = OpenTime(hubs, first, last, until=now, period_end=now)
    ends, period_ends = [], []
    oos = _out_of_service([h.id for h in hubs])
    desks_of = _desks_of([h.id for h in hubs])
    for hub in hubs:
        zone = ZoneInfo(hub.timezone)
        period_start = datetime.combine(first, datetime.min.time(), tzinfo=zone).astimezone(UTC)
        period_end = datetime.combine(
            last + timedelta(days=1), datetime.min.time(), tzinfo=zone
        ).astimezone(UTC)
        until = min(period_end, now)
        ends.append(until)
        period_ends.append(period_end)
        desks = [
            d
            for d in desks_of[hub.id]
            if d.created_at < until
            and (d.inactive_since is None or d.inactive_since > period_start)
        ]
        # A desk deactivated before the period adds no capacity, but its bookings (which
        # deactivation leaves alone) must still be taken out of open time: it is counted,
        # with all of its time closed, when it has any.
        retired = [d for d in desks_of[hub.id] if d.created_at < until and d not in desks]
        desks += _booked_between(retired, period_start, until)
        result.desks[hub.id] = desks
        hub_windows = []
        for schedule in hub_days(hub, first, last):
            day_start = datetime.combine(schedule.day, datetime.min.time(), tzinfo=zone)
            next_day = day_start + timedelta(days=1)
            result.day_bounds.append(
                (
                    hub.id,
                    schedule.day,
                    day_start.astimezone(UTC),
                    min(next_day.astimezone(UTC), until),
                )
            )
            hub_windows.extend(_windows(hub, schedule, zone, until))
        result.windows.extend(hub_windows)
        starts = [w.start for w in hub_windows]
        for desk in desks:
            for closed_start, closed_end in _closed_stretches(desk, oos.get(desk.id, ())):
                if closed_end <= period_start or closed_start >= until:
                    continue
                # Only the windows the stretch meets (windows are in time order).
                first_window = max(bisect.bisect_right(starts, closed_start) - 1, 0)
                for window in hub_windows[first_window:]:
                    if window.start >= closed_end:
                        break
                    start, end = max(closed_start, window.start), min(closed_end, window.end)
                    if start < end:
                        result.windows.append(_exception(window, desk.id, start, end, zone))
    result.until = max(ends, default=now)
    result.period_end = max(period_ends, default=now)
    return result


def _desks_of(hub_ids: list[int]) -> dict[int, list[Desk]]:
    """Every desk of the hubs by label, in one query and without their equipment (open time
    needs only when each desk existed)."""
    found: dict[int, list[Desk]] = {hub_id: [] for hub_id in hub_ids}
    for desk in db.session.scalars(
        select(Desk)
        .where(Desk.hub_id.in_(hub_ids))
        .options(lazyload(Desk.equipment_rows))
        .order_by(Desk.label)
    ):
        found[desk.hub_id].append(desk)
    return found


def _windows(hub: Hub, schedule: DaySchedule, zone: ZoneInfo, until: datetime) -> list[Window]:
    day_start = datetime.combine(schedule.day, datetime.min.time(), tzinfo=zone).astimezone(UTC)
    windows = []
    for opens, closes in schedule.open_intervals(hub.timezone):
        start, end = opens.astimezone(UTC), min(closes.astimezone(UTC), until)
        if start >= end:
            continue
        local_start = start.astimezone(zone)
        if (
            local_start.utcoffset()
            == (end - timedelta(microseconds=1)).astimezone(zone).utcoffset()
        ):
            # The usual case: the same offset from start to end (a stretch of open time is
            # shorter than the 23 hours or more between two changes; the offsets are those of
            # the real instants, so a wall time in a spring-forward gap is no exception), so one
            # piece, whose local second of the day is its start's.
            seconds = local_start.hour * HOUR + local_start.minute * 60 + local_start.second
            windows.append(Window(hub.id, None, schedule.day, start, end, day_start, seconds))
            continue
        for piece_start, piece_end in _same_offset_pieces(start, end, zone):
            windows.append(
                Window(
                    hub.id,
                    None,
                    schedule.day,
                    piece_start,
                    piece_end,
                    day_start,
                    _seconds_of_day(piece_start, zone),
                )
            )
    return windows


def _exception(window: Window, desk_id: int, start: datetime, end: datetime, zone) -> Window:
    return Window(
        window.hub_id,
        desk_id,
        window.day,
        start,
        end,
        window.day_start,
        _seconds_of_day(start, zone),
        sign=-1,
    )


def _same_offset_pieces(start: datetime, end: datetime, zone: ZoneInfo):
    """Split [start, end) where the zone's UTC offset changes, so that local seconds of day
    grow with UTC seconds inside each piece (a hub open through a DST night)."""
    if start >= end:
        return []
    if (
        start.astimezone(zone).utcoffset()
        == (end - timedelta(microseconds=1)).astimezone(zone).utcoffset()
    ):
        # The usual case: no change of offset inside (windows are shorter than the 23 hours
        # or more between two changes).
        return [(start, end)]
    pieces = []
    while start < end:
        offset = start.astimezone(zone).utcoffset()
        cut = start + timedelta(hours=1) - timedelta(seconds=epoch(start) % HOUR)
        while cut < end and cut.astimezone(zone).utcoffset() == offset:
            cut += timedelta(hours=1)
        cut = min(cut, end)
        pieces.append((start, cut))
        start = cut
    return pieces


def _seconds_of_day(moment: datetime, zone: ZoneInfo) -> int:
    local = moment.astimezone(zone)
    return local.hour * HOUR + local.minute * 60 + local.second


def _booked_between(desks: list[Desk], start: datetime, end: datetime) -> list[Desk]:
    """The desks among ``desks`` with a booked interval starting between start and end."""
    if not desks:
        return []
    booked = set(
        db.session.scalars(
            select(Booking.desk_id)
            .where(
                Booking.desk_id.in_([d.id for d in desks]),
                Booking.starts_at >= start,
                Booking.starts_at < end,
                Booking.occupied_until > Booking.starts_at,
            )
            .distinct()
        )
    )
    return [d for d in desks if d.id in booked]


def _out_of_service(hub_ids: list[int]) -> dict[int, list[tuple[datetime, datetime]]]:
    periods: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    if not hub_ids:
        return periods
    for desk_id, starts, ends in db.session.execute(
        select(OutOfService.desk_id, OutOfService.starts_at, OutOfService.ends_at)
        .join(Desk, Desk.id == OutOfService.desk_id)
        .where(Desk.hub_id.in_(hub_ids))
    ):
        periods[desk_id].append((starts, ends))
    return periods


FAR_PAST = datetime(1900, 1, 1, tzinfo=UTC)
FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)


def _closed_stretches(desk: Desk, out_of_service: Iterable[tuple[datetime, datetime]]):
    """When the desk is not open: before it was created, after it was deactivated, and out of
    service; merged, so no second is taken away twice."""
    stretches = sorted(
        [(FAR_PAST, desk.created_at), *out_of_service]
        + ([(desk.inactive_since, FAR_FUTURE)] if desk.inactive_since is not None else [])
    )
    merged: list[tuple[datetime, datetime]] = []
    for start, end in stretches:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


@dataclass(frozen=True)
class LocalDays:
    """How the database finds a booking's local date from its start in epoch seconds, for
    the hubs of one time zone: local seconds = t + the zone's offset at t (``offsets``: from
    which epoch second which offset applies, in order), and the day number counts from the
    local midnight that begins ``first``."""

    hub_ids: tuple[int, ...]
    offsets: tuple[tuple[int, int], ...]
    base: int  # local seconds since 1970 at the midnight that begins ``first``
    start: int  # epoch seconds of that midnight
    until: int  # the end of counted time, epoch seconds


def local_days(hubs: Sequence[Hub], first: date, last: date, now: datetime) -> list[LocalDays]:
    by_zone: dict[str, list[int]] = defaultdict(list)
    for hub in hubs:
        by_zone[hub.timezone].append(hub.id)
    clocks = []
    for name, hub_ids in sorted(by_zone.items()):
        zone = ZoneInfo(name)
        start = datetime.combine(first, datetime.min.time(), tzinfo=zone).astimezone(UTC)
        end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=zone)
        end = end.astimezone(UTC)
        offsets = [(epoch(start), int(start.astimezone(zone).utcoffset().total_seconds()))]
        moment = start
        while moment < end:  # a zone changes offset at most a few times a year, on the hour
            following = moment + timedelta(days=1)
            offset = int(following.astimezone(zone).utcoffset().total_seconds())
            if offset != offsets[-1][1]:
                hour = moment
                while int(hour.astimezone(zone).utcoffset().total_seconds()) == offsets[-1][1]:
                    hour += timedelta(hours=1)
                offsets.append((epoch(hour), offset))
            moment = following
        base = (first - date(1970, 1, 1)).days * 86400
        clocks.append(
            LocalDays(tuple(hub_ids), tuple(offsets), base, epoch(start), epoch(min(end, now)))
        )
    return clocks


def sql_time(moment: datetime, dialect: str) -> str:
    """A UTC time as the database stores it, for comparisons with booking columns."""
    moment = moment.astimezone(UTC)
    if dialect == "sqlite":
        return moment.strftime("%Y-%m-%d %H:%M:%S.%f")
    return moment.isoformat()


def windows_json(windows: Iterable[Window], dialect: str, first: date) -> str:
    """The windows for SQL; ``day`` is the number of days since ``first``."""
    return json.dumps(
        [
            {
                "hub_id": w.hub_id,
                "desk_id": w.desk_id,
                "day": (w.day - first).days,
                "ds": sql_time(w.day_start, dialect),
                "ws": sql_time(w.start, dialect),
                "we": sql_time(w.end, dialect),
                "sep": epoch(w.start),
                "eep": epoch(w.end),
                "sod": w.sod,
                "sign": w.sign,
            }
            for w in windows
        ]
    )


def days_json(
    bounds: Iterable[tuple[int, date, datetime, datetime]], dialect: str, first: date
) -> str:
    return json.dumps(
        [
            {
                "hub_id": hub_id,
                "day": (day - first).days,
                "ds": sql_time(start, dialect),
                "de": sql_time(end, dialect),
            }
            for hub_id, day, start, end in bounds
            if start < end
        ]
    )
