"""The occupancy tables: one definition of every table the exports, the API and the pilot report
show, so a CSV, a sheet and a JSON answer can never disagree.

Each function takes an :class:`~hubbar.occupancy.metrics.Occupancy` and the
:class:`~hubbar.occupancy.operations.Access` it was computed for, and returns a :class:`Table`
whose rows hold raw typed values (date, float, int, bool, str, None): rates as fractions 0–1,
hours as hours. Formatting is the writer's job (XLSX number formats, plain CSV values, JSON).
Per-organisation rows of fewer than k people are suppressed for evaluators: every number cell of
such a row is the string "< k" (DESIGN.md, privacy).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l

from hubbar.formats import fmt_weekday
from hubbar.occupancy import operations as ops
from hubbar.occupancy.definitions import DEFINITIONS
from hubbar.occupancy.metrics import Occupancy

# Column kinds: how a writer shows a cell (XLSX number formats). UNIT: the metric's own unit,
# read from the row's "unit" cell (the metrics table holds rates, hours and counts in one column).
TEXT, DATE, HOURS, FRACTION, COUNT, BOOLEAN, UNIT = (
    "text",
    "date",
    "hours",
    "fraction",
    "count",
    "boolean",
    "unit",
)
NUMBER_KINDS = (HOURS, FRACTION, COUNT, UNIT)


@dataclass(frozen=True)
class Column:
    key: str  # stable machine name: the CSV header and the JSON key
    title: object  # a lazy string: the XLSX header
    kind: str = TEXT


@dataclass(frozen=True)
class Table:
    key: str
    title: object  # a lazy string
    headers: tuple[Column, ...]
    rows: list[list]

    @property
    def keys(self) -> list[str]:
        return [column.key for column in self.headers]

    def records(self) -> list[dict]:
        """The rows as dicts keyed by the columns' machine names (for JSON)."""
        keys = self.keys
        return [dict(zip(keys, row, strict=True)) for row in self.rows]


def suppression(access: ops.Access) -> str:
    """What a suppressed cell shows: "< 3" for k = 3."""
    return f"< {access.k}"


# --- the columns every hour table shares ---------------------------------------------------

CAPACITY = Column("capacity_hours", _l("Capacity (desk-hours)"), HOURS)
BOOKED = Column("booked_hours", _l("Booked desk-hours"), HOURS)
USED = Column("used_hours", _l("Used desk-hours"), HOURS)
BOOKING_RATE = Column("booking_rate", _l("Booking rate"), FRACTION)
UTILISATION = Column("utilisation", _l("Utilisation"), FRACTION)
OPEN_DAYS = Column("open_days", _l("Open days"), COUNT)
HOUR_COLUMNS = (CAPACITY, BOOKED, USED, BOOKING_RATE, UTILISATION)


# --- the columns of every table ------------------------------------------------------------

METRIC_COLUMNS = (
    Column("metric", _l("Key")),
    Column("name", _l("Metric")),
    Column("value", _l("Value"), UNIT),
    Column("unit", _l("Unit")),
    Column("definition", _l("Definition")),
)
DAY_COLUMNS = (
    Column("date", _l("Date"), DATE),
    *HOUR_COLUMNS,
    Column("peak_occupancy", _l("Peak occupancy"), FRACTION),
    Column("peak_desks", _l("Peak desks booked"), COUNT),
    Column("demand_misses", _l("Unmet demand"), COUNT),
    Column("desks_needed", _l("Desks needed"), COUNT),
)
WEEK_COLUMNS = (
    Column("week", _l("Week")),
    Column("week_start", _l("Monday"), DATE),
    *HOUR_COLUMNS,
    OPEN_DAYS,
)
WEEKDAY = Column("weekday", _l("Weekday number (0 = Monday)"), COUNT)
HOUR = Column("hour", _l("Hour"), COUNT)
WEEKDAY_COLUMNS = (WEEKDAY, Column("weekday_name", _l("Weekday")), *HOUR_COLUMNS, OPEN_DAYS)
HOUR_OF_DAY_COLUMNS = (HOUR, *HOUR_COLUMNS)
HEATMAP_COLUMNS = (WEEKDAY, HOUR, Column("occupancy", _l("Mean occupancy"), FRACTION))
ORGANISATION_COLUMNS = (
    Column("organisation", _l("Organisation")),
    Column("code", _l("Code")),
    Column("is_host", _l("Host organisation"), BOOLEAN),
    Column("users", _l("Unique users"), COUNT),
    Column("returning_users", _l("Returning users"), COUNT),
    Column("bookings", _l("Bookings"), COUNT),
    Column("visits", _l("Visits"), COUNT),
    Column("booked_hours", _l("Booked desk-hours"), HOURS),
    Column("used_hours", _l("Used desk-hours"), HOURS),
    Column("share_of_booked", _l("Share of booked desk-hours"), FRACTION),
    Column("released", _l("No-shows (released)"), COUNT),
    Column("cancelled", _l("Cancelled"), COUNT),
    Column("demand_misses", _l("Unmet demand"), COUNT),
)
DESK_COLUMNS = (
    Column("desk_id", _l("Desk id"), COUNT),
    Column("hub", _l("Hub")),
    Column("desk", _l("Desk")),
    *HOUR_COLUMNS,
    OPEN_DAYS,
    Column("booked_days", _l("Days booked"), COUNT),
    Column("desk_day_usage", _l("Desk-days used"), FRACTION),
)
LEAD_TIME_COLUMNS = (
    Column("bucket", _l("Key")),
    Column("lead_time", _l("Lead time")),
    Column("bookings", _l("Bookings"), COUNT),
)


def _hour_cells(row) -> list:
    return [
        row.capacity_hours,
        row.booked_hours,
        row.used_hours,
        row.booking_rate,
        row.utilisation,
    ]


# --- the tables ----------------------------------------------------------------------------


def metrics_table(result: Occupancy, access: ops.Access) -> Table:
    """Every metric of DEFINITIONS, with its unit and definition."""
    return Table(
        "metrics",
        _l("Key figures"),
        METRIC_COLUMNS,
        [[d.key, str(d.name), result.value(d.key), d.unit, str(d.definition)] for d in DEFINITIONS],
    )


def days_table(result: Occupancy, access: ops.Access) -> Table:
    """One row per open day."""
    return Table(
        "days",
        _l("Days"),
        DAY_COLUMNS,
        [
            [
                row.day,
                *_hour_cells(row),
                row.peak,
                row.peak_desks,
                row.demand_misses,
                row.desks_needed,
            ]
            for row in result.days
        ],
    )


def weeks_table(result: Occupancy, access: ops.Access) -> Table:
    """One row per ISO week with open time."""
    rows = []
    for row in result.weeks:
        year, week = row.key
        rows.append(
            [f"{year}-W{week:02d}", date.fromisocalendar(year, week, 1), *_hour_cells(row)]
            + [row.open_days]
        )
    return Table("weeks", _l("Weeks"), WEEK_COLUMNS, rows)


def weekdays_table(result: Occupancy, access: ops.Access) -> Table:
    """One row per weekday with open time (0 = Monday)."""
    return Table(
        "weekdays",
        _l("Weekdays"),
        WEEKDAY_COLUMNS,
        [
            [row.key, fmt_weekday(row.key), *_hour_cells(row), row.open_days]
            for row in result.weekdays
        ],
    )


def hours_table(result: Occupancy, access: ops.Access) -> Table:
    """One row per hour of the day with open time (hub-local, 9 = 09.00–10.00)."""
    return Table(
        "hours",
        _l("Hours of the day"),
        HOUR_OF_DAY_COLUMNS,
        [[row.key, *_hour_cells(row)] for row in result.hours],
    )


def heatmap_table(result: Occupancy, access: ops.Access) -> Table:
    """Mean occupancy per weekday and hour over the open dates of that weekday."""
    return Table(
        "heatmap",
        _l("Weekday × hour"),
        HEATMAP_COLUMNS,
        [[weekday, hour, value] for (weekday, hour), value in sorted(result.heatmap.items())],
    )


def organisations_table(result: Occupancy, access: ops.Access) -> Table:
    """One row per home organisation; for evaluators, rows of fewer than k people (and, when
    that is one row, the next smallest too) are suppressed (operations.hidden_organisations)."""
    rows = []
    hidden_ids = result.hidden_organisations
    for org in result.organisations:
        row = [
            org.name,
            org.code,
            org.is_host,
            org.users,
            org.returning_users,
            org.bookings,
            org.visits,
            org.booked_hours,
            org.used_hours,
            org.share_of_booked,
            org.released,
            org.cancelled,
            org.demand_misses,
        ]
        if org.organisation_id in hidden_ids:
            hidden = suppression(access)
            row = [
                hidden if column.kind in NUMBER_KINDS else value
                for column, value in zip(ORGANISATION_COLUMNS, row, strict=True)
            ]
        rows.append(row)
    return Table("organisations", _l("Organisations"), ORGANISATION_COLUMNS, rows)


def desks_table(result: Occupancy, access: ops.Access) -> Table:
    """One row per desk."""
    return Table(
        "desks",
        _l("Desks"),
        DESK_COLUMNS,
        [
            [
                row.desk_id,
                row.hub,
                row.label,
                *_hour_cells(row),
                row.open_days,
                row.booked_days,
                row.desk_day_usage,
            ]
            for row in result.desks
        ],
    )


# The same words as the lead-time chart's buckets (hubbar.occupancy.charts).
LEAD_TIME_LABELS = {
    "lead_1h": _l("< 1 h"),
    "lead_1d": _l("1–24 h"),
    "lead_3d": _l("1–3 days"),
    "lead_7d": _l("3–7 days"),
    "lead_more": _l("> 7 days"),
}


def lead_times_table(result: Occupancy, access: ops.Access) -> Table:
    """How long before their start the bookings were made, in buckets."""
    return Table(
        "lead_times",
        _l("Lead times"),
        LEAD_TIME_COLUMNS,
        [[key, str(LEAD_TIME_LABELS.get(key, key)), count] for key, count in result.lead_times],
    )


BUILDERS: dict[str, Callable[[Occupancy, ops.Access], Table]] = {
    "metrics": metrics_table,
    "days": days_table,
    "weeks": weeks_table,
    "weekdays": weekdays_table,
    "hours": hours_table,
    "heatmap": heatmap_table,
    "organisations": organisations_table,
    "desks": desks_table,
    "lead_times": lead_times_table,
}
TABLE_KEYS = tuple(BUILDERS)
COLUMNS: dict[str, tuple[Column, ...]] = {
    "metrics": METRIC_COLUMNS,
    "days": DAY_COLUMNS,
    "weeks": WEEK_COLUMNS,
    "weekdays": WEEKDAY_COLUMNS,
    "hours": HOUR_OF_DAY_COLUMNS,
    "heatmap": HEATMAP_COLUMNS,
    "organisations": ORGANISATION_COLUMNS,
    "desks": DESK_COLUMNS,
    "lead_times": LEAD_TIME_COLUMNS,
}


def table(key: str, result: Occupancy, access: ops.Access) -> Table:
    return BUILDERS[key](result, access)


def all_tables(result: Occupancy, access: ops.Access) -> list[Table]:
    """Every table, in the order of the exports."""
    return [build(result, access) for build in BUILDERS.values()]
