"""Every metric of DESIGN.md "Metrics" for a hub or a set of hubs over whole local dates.

:func:`compute` is the one place a number shown anywhere comes from: the dashboard, the today
view, the exports, the API and the pilot report all call it. Open time is built in Python
(:mod:`hubbar.occupancy.calendar`, a few rows per open day); the bookings are aggregated by the
database (:mod:`hubbar.occupancy.sql`), never loaded one by one.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select

from hubbar.accounts.models import Organisation
from hubbar.db import utcnow
from hubbar.extensions import db
from hubbar.hubs.models import Desk, Hub
from hubbar.occupancy import sql
from hubbar.occupancy.calendar import (
    HOUR,
    OpenTime,
    days_json,
    local_days,
    open_time,
    windows_json,
)
from hubbar.occupancy.definitions import BY_KEY, DEFINITIONS

DESKS_NEEDED_PERCENTILE = 95
LEAD_TIME_BUCKETS = ("lead_1h", "lead_1d", "lead_3d", "lead_7d", "lead_more")


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """A share, or None when there is nothing to divide by (an empty period is not 0 %)."""
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def hours(seconds: int | float | None) -> float | None:
    return None if seconds is None else seconds / HOUR


def nearest_rank(values: Sequence[float], percentile: int) -> float | None:
    """The value at rank ceil(p·n) of the sorted values (DESIGN.md: nearest rank)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = -(-percentile * len(ordered) // 100)
    return ordered[max(rank, 1) - 1]


@dataclass(frozen=True)
class Metric:
    key: str
    value: float | int | None

    @property
    def definition(self):
        return BY_KEY[self.key]

    @property
    def unit(self) -> str:
        return self.definition.unit


class Rates:
    """Booking rate and utilisation of a row with capacity, booked and used hours."""

    capacity_hours: float
    booked_hours: float
    used_hours: float | None

    @property
    def booking_rate(self) -> float | None:
        return ratio(self.booked_hours, self.capacity_hours)

    @property
    def utilisation(self) -> float | None:
        return ratio(self.used_hours, self.capacity_hours)


@dataclass
class DayRow(Rates):
    day: date
    capacity_hours: float
    booked_hours: float
    used_hours: float
    peak_desks: int
    peak: float | None
    demand_misses: int

    @property
    def desks_needed(self) -> int:
        return self.peak_desks + self.demand_misses


@dataclass
class GroupRow(Rates):
    """Hour figures summed over some days or hours: a week, a weekday or an hour of the day."""

    key: object
    capacity_hours: float = 0.0
    booked_hours: float = 0.0
    used_hours: float | None = 0.0
    open_days: int = 0  # open days, or for an hour of the day the open dates it was open


@dataclass
class OrganisationRow:
    organisation_id: int
    name: str
    code: str
    is_host: bool
    bookings: int = 0
    visits: int = 0
    users: int = 0
    returning_users: int = 0
    booked_hours: float = 0.0
    used_hours: float = 0.0
    released: int = 0
    cancelled: int = 0
    demand_misses: int = 0
    share_of_booked: float | None = None


@dataclass
class DeskRow(Rates):
    desk_id: int
    hub: str
    label: str
    capacity_hours: float = 0.0
    booked_hours: float = 0.0
    used_hours: float = 0.0
    open_days: int = 0
    booked_days: int = 0

    @property
    def desk_day_usage(self) -> float | None:
        return ratio(self.booked_days, self.open_days)


@dataclass
class Occupancy:
    """The metrics of some hubs over the local dates ``first`` to ``last``."""

    hubs: list[Hub]
    first: date
    last: date
    counted_until: datetime  # the end of counted time: the period's end, or now
    partial: bool  # the period reaches past now and counts only up to now
    organisation_ids: tuple[int, ...] | None
    metrics: dict[str, Metric] = field(default_factory=dict)
    days: list[DayRow] = field(default_factory=list)
    weeks: list[GroupRow] = field(default_factory=list)
    weekdays: list[GroupRow] = field(default_factory=list)
    hours: list[GroupRow] = field(default_factory=list)
    heatmap: dict[tuple[int, int], float | None] = field(default_factory=dict)
    organisations: list[OrganisationRow] = field(default_factory=list)
    desks: list[DeskRow] = field(default_factory=list)
    lead_times: list[tuple[str, int]] = field(default_factory=list)
    closed_day_misses: int = 0  # demand for a time when the hub was closed
    # Set by operations.protect for evaluators: rows and metrics shown as "< k".
    hidden_organisations: set[int] = field(default_factory=set)
    suppressed_metrics: set[str] = field(default_factory=set)

    def value(self, key: str):
        return self.metrics[key].value

    @property
    def is_empty(self) -> bool:
        return not self.value("capacity_hours") and not self.value("bookings")


def compute(
    hubs: Sequence[Hub],
    first: date,
    last: date,
    *,
    organisation_ids: Sequence[int] | None = None,
    now: datetime | None = None,
) -> Occupancy:
    """All metrics of ``hubs`` over the local dates ``first``..``last`` (inclusive), counting
    only up to ``now``. With ``organisation_ids``, only the bookings and demand misses of
    people from those home organisations count (capacity stays the hubs' capacity)."""
    now = (now or utcnow()).replace(microsecond=0)
    hubs = sorted(hubs, key=lambda h: h.name)
    orgs = tuple(organisation_ids) if organisation_ids is not None else None
    calendar = open_time(hubs, first, last, now)
    result = Occupancy(
        hubs=list(hubs),
        first=first,
        last=last,
        counted_until=calendar.until,
        partial=calendar.until < calendar.period_end,
        organisation_ids=orgs,
    )
    d = sql.dialect()
    params = {
        "windows": windows_json(calendar.windows, d.name, first),
        "days": days_json(calendar.day_bounds, d.name, first),
        "events": json.dumps(calendar.peak_events()),
    }
    capacity_cells = calendar.capacity_by_day_hour()
    day_hours = sorted({hour for (_day, hour) in capacity_cells})
    booked_cells: dict[tuple[date, int], int] = defaultdict(int)
    used_by_day: dict[date, int] = defaultdict(int)
    peaks: dict[date, tuple[int, float | None]] = {}
    by_desk, shares, per_organisation, ranks = [], [], [], {}
    people = None
    clocks = local_days(hubs, first, last, now)

    def day_of(number: int) -> date:
        return first + timedelta(days=number)

    booked_rows, counted_rows, miss_rows = sql.run_together(
        d,
        [
            (
                sql.booked_figures(d, orgs, day_hours, clocks),
                {"windows": params["windows"], "events": params["events"]},
            ),
            (sql.counted_figures(d, orgs, clocks), {}),
            (sql.demand_misses(d, orgs), {"days": params["days"]}),
        ],
    )
    for row in booked_rows:
        if row.kind == "hour":
            booked_cells[day_of(row.day), row.hour] += int(row.booked or 0)
        elif row.kind == "day":
            used_by_day[day_of(row.day)] += int(row.used or 0)
        elif row.kind == "desk":
            by_desk.append(row)
        elif row.kind == "share":
            shares.append(row)
        else:
            peaks[day_of(row.day)] = (int(row.n or 0), _float(row.peak))
    for row in counted_rows:
        if row.kind == "organisation":
            per_organisation.append(row)
        elif row.kind == "people":
            people = row
        else:
            ranks[row.kind] = row.v
    misses_by_day: dict[date, int] = defaultdict(int)
    misses_by_org: dict[int | None, int] = defaultdict(int)
    for row in miss_rows:
        misses_by_day[day_of(row.day)] += row.misses
        misses_by_org[row.organisation_id] += row.misses
    totals = {
        name: sum(int(getattr(row, name) or 0) for row in per_organisation)
        for name in sql.COUNT_COLUMNS
    }
    totals["users"], totals["returners"] = int(people.users), int(people.returners)

    _days(result, capacity_cells, booked_cells, used_by_day, peaks, misses_by_day)
    _groups(result, capacity_cells, booked_cells)
    _desks(result, calendar, by_desk)
    _organisations(result, per_organisation, shares, misses_by_org)
    _metrics(result, totals, ranks, shares)
    return result


def _float(value) -> float | None:
    return None if value is None else float(value)


def _days(result, capacity, booked, used_by_day, peaks, misses) -> None:
    per_day: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    for cells, index in ((capacity, 0), (booked, 1)):
        for (day, _hour), seconds in cells.items():
            per_day[day][index] += seconds
    for day in sorted(per_day):
        cap, bk = per_day[day]
        if cap <= 0:
            continue
        peak_desks, peak = peaks.get(day, (0, None))
        result.days.append(
            DayRow(
                day,
                hours(cap),
                hours(bk),
                hours(used_by_day.get(day, 0)),
                peak_desks,
                peak or 0.0,
                misses[day],
            )
        )
    open_days = {row.day for row in result.days}
    # Misses on a closed day (wished for, but the hub was not open) still count as demand.
    result.closed_day_misses = sum(n for day, n in misses.items() if day not in open_days)


def _groups(result, capacity, booked) -> None:
    """Weeks and weekdays sum the days; hours of the day and the heatmap sum the (date, hour)
    cells. Used time is known per day, not per hour (hour rows leave it None)."""
    weeks: dict[tuple[int, int], GroupRow] = {}
    weekdays: dict[int, GroupRow] = {}
    for row in result.days:
        iso = row.day.isocalendar()
        for groups, key in ((weeks, (iso.year, iso.week)), (weekdays, row.day.weekday())):
            group = groups.setdefault(key, GroupRow(key))
            group.capacity_hours += row.capacity_hours
            group.booked_hours += row.booked_hours
            group.used_hours += row.used_hours
            group.open_days += 1
    hours_: dict[int, GroupRow] = {}
    heat: dict[tuple[int, int], list[float]] = defaultdict(list)
    open_days = {row.day for row in result.days}
    for (day, hour), cap in sorted(capacity.items()):
        if day not in open_days or cap <= 0:
            continue
        bk = booked.get((day, hour), 0)
        group = hours_.setdefault(hour, GroupRow(hour, used_hours=None))
        group.capacity_hours += hours(cap)
        group.booked_hours += hours(bk)
        group.open_days += 1
        # Mean occupancy over the hour: booked desk-time / desk-time in service.
        heat[day.weekday(), hour].append(bk / cap)
    result.weeks = [weeks[k] for k in sorted(weeks)]
    result.weekdays = [weekdays[k] for k in sorted(weekdays)]
    result.hours = [hours_[k] for k in sorted(hours_)]
    result.heatmap = {key: sum(values) / len(values) for key, values in sorted(heat.items())}


def _desks(result, calendar: OpenTime, by_desk) -> None:
    rows: dict[int, DeskRow] = {}
    hub_names = {h.id: h.name for h in result.hubs}
    for hub in result.hubs:
        for desk in calendar.desks.get(hub.id, ()):
            rows[desk.id] = DeskRow(desk.id, hub.name, desk.label)
    for desk_id, (seconds, open_days) in calendar.capacity_by_desk().items():
        rows[desk_id].capacity_hours = hours(seconds)
        rows[desk_id].open_days = open_days
    for row in by_desk:
        desk_row = rows.get(row.desk_id)
        if desk_row is None:  # booked before the period's desks were counted: a removed desk
            desk = _desk(row.desk_id)
            desk_row = rows[row.desk_id] = DeskRow(
                row.desk_id, hub_names.get(row.hub_id, ""), desk.label if desk else "?"
            )
        desk_row.booked_hours += hours(int(row.booked or 0))
        desk_row.used_hours += hours(int(row.used or 0))
        desk_row.booked_days += int(row.n or 0)
    # A desk without open time or bookings in the period (deactivated before it) is no row.
    kept = [r for r in rows.values() if r.capacity_hours > 0 or r.booked_hours or r.used_hours]
    result.desks = sorted(kept, key=lambda r: (r.hub, r.label))


def _desk(desk_id: int) -> Desk | None:
    return db.session.get(Desk, desk_id)


def _organisations(result, counts, shares, misses_by_org) -> None:
    hosts = {h.host_organisation_id for h in result.hubs}
    rows: dict[int, OrganisationRow] = {}

    def row_of(organisation_id: int) -> OrganisationRow:
        if organisation_id not in rows:
            rows[organisation_id] = OrganisationRow(
                organisation_id, "", "", is_host=organisation_id in hosts
            )
        return rows[organisation_id]

    for row in counts:
        org = row_of(row.organisation_id)
        org.bookings, org.visits, org.users = int(row.bookings), int(row.visits), int(row.users)
        org.released, org.cancelled = int(row.released), int(row.cancelled)
        org.returning_users = int(row.returners or 0)
    for row in shares:
        org = row_of(row.organisation_id)
        org.booked_hours += hours(int(row.booked or 0))
        org.used_hours += hours(int(row.used or 0))
    for organisation_id, n in misses_by_org.items():
        if organisation_id is not None:
            row_of(organisation_id).demand_misses += n
    names = {
        o.id: o
        for o in db.session.scalars(select(Organisation).where(Organisation.id.in_(list(rows))))
    }
    total_booked = sum(r.booked_hours for r in rows.values())
    for row in rows.values():
        organisation = names.get(row.organisation_id)
        row.name = organisation.name if organisation else "?"
        row.code = organisation.code if organisation else ""
        row.share_of_booked = ratio(row.booked_hours, total_booked)
    result.organisations = sorted(rows.values(), key=lambda r: (not r.is_host, r.name))


def _metrics(result: Occupancy, totals, ranks, shares) -> None:
    capacity = sum(row.capacity_hours for row in result.days)
    booked = sum(row.booked_hours for row in result.days)
    used = sum(row.used_hours for row in result.days)
    hosts = {h.id: h.host_organisation_id for h in result.hubs}
    cross = hours(
        sum(int(row.booked or 0) for row in shares if row.organisation_id != hosts.get(row.hub_id))
    )
    bookings = int(totals["bookings"] or 0)
    visits = int(totals["visits"] or 0)
    users = int(totals["users"] or 0)
    misses = sum(row.demand_misses for row in result.days) + result.closed_day_misses
    open_desk_days = sum(row.open_days for row in result.desks)
    booked_desk_days = sum(row.booked_days for row in result.desks)
    peaks = [row.peak for row in result.days if row.peak is not None]
    values = {
        "capacity_hours": capacity,
        "booked_hours": booked,
        "booking_rate": ratio(booked, capacity),
        "used_hours": used,
        "utilisation": ratio(used, capacity),
        "no_show_rate": ratio(int(totals["released"] or 0), int(totals["checkin_base"] or 0)),
        "cancellation_rate": ratio(int(totals["cancelled"] or 0), bookings),
        "late_cancellation_rate": ratio(int(totals["late_cancelled"] or 0), bookings),
        "mean_daily_peak": sum(peaks) / len(peaks) if peaks else None,
        "max_daily_peak": max(peaks) if peaks else None,
        "desk_day_usage": ratio(booked_desk_days, open_desk_days),
        "lead_time_median_hours": hours(ranks.get("lead50")),
        "lead_time_p90_hours": hours(ranks.get("lead90")),
        "mean_duration_hours": hours(ratio(int(totals["duration"] or 0), visits)),
        "median_duration_hours": hours(ranks.get("dur50")),
        "bookings": bookings,
        "visits": visits,
        "unique_users": users,
        "returning_users": int(totals["returners"] or 0),
        "visits_per_user": ratio(visits, users),
        "cross_org_share": ratio(cross, booked),
        "demand_misses": misses,
        "turned_away_rate": ratio(misses, misses + bookings),
        "desks_needed": nearest_rank(
            [row.desks_needed for row in result.days], DESKS_NEEDED_PERCENTILE
        ),
    }
    result.metrics = {d.key: Metric(d.key, values[d.key]) for d in DEFINITIONS}
    result.lead_times = [(bucket, totals[bucket]) for bucket in LEAD_TIME_BUCKETS]
