"""The tables of the pilot report: one definition for the page, the PDF, the XLSX, the CSV and
the JSON, so no two formats can disagree. They are the occupancy tables
(:mod:`hubbar.occupancy.tables`) of the pilot's hubs over its period, as an evaluator sees them,
and the report's own: terms, criteria, satisfaction, comments, costs, changes, data quality.
Cells hold raw typed values; :func:`display` writes one as the page and the PDF show it.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from hubbar.formats import fmt_date, fmt_money, fmt_number, fmt_percent
from hubbar.occupancy import tables as occupancy_tables
from hubbar.occupancy.definitions import BY_KEY, FRACTION, HOURS
from hubbar.occupancy.tables import (
    BOOLEAN,
    COUNT,
    DATE,
    TEXT,
    UNIT,
    Column,
    Table,
)
from hubbar.occupancy.tables import FRACTION as FRACTION_KIND
from hubbar.occupancy.tables import HOURS as HOURS_KIND
from hubbar.pilots.models import OTHERWISE_LABELS, Otherwise
from hubbar.pilots.report import MET, NOT_MEASURABLE, NOT_MET, Report

MONEY, DATETIME, NUMBER = "money", "datetime", "number"
ONE_DECIMAL = {"visits_per_user"}  # averages of whole numbers
TWO_DECIMALS = {"mean_rating"}  # so that 3.96 is not shown as 4.0 beside a target of 4
UNIT_KINDS = {
    FRACTION: FRACTION_KIND,
    HOURS: HOURS_KIND,
    MONEY: MONEY,
    DATE: DATE,
    DATETIME: DATETIME,
    TEXT: TEXT,
}
SATISFACTION_KEYS = (
    "feedback_response_rate",
    "mean_rating",
    "travel_replaced_share",
    "minutes_saved",
)
OUTCOME_LABELS = {
    MET: _l("Met"),
    NOT_MET: _l("Not met"),
    NOT_MEASURABLE: _l("Not measurable"),
}
RATE_UNITS = {
    "hour": _l("SEK per desk-hour"),
    "user": _l("SEK per user"),
    "head": _l("SEK per head"),
    "booking": _l("SEK per booking"),
    "organisation": _l("SEK per organisation"),
    "": "",
}


def metric_name(key: str) -> str:
    definition = BY_KEY.get(key)
    return str(definition.name) if definition else key


def metric_text(key: str, value) -> str:
    """A metric's value in words, the way the dashboard writes it."""
    if value is None:
        return "–"
    unit = BY_KEY[key].unit if key in BY_KEY else ""
    if unit == FRACTION:
        return fmt_percent(value)
    if unit == HOURS:
        return f"{fmt_number(value, 1)}\u00a0h"
    if key in TWO_DECIMALS:
        return fmt_number(value, 2)
    if key in ONE_DECIMAL or (isinstance(value, float) and not value.is_integer()):
        return fmt_number(value, 1)
    return fmt_number(value, 0)


def display(value, kind: str, unit: str | None = None) -> str:
    """A cell as the page and the PDF show it."""
    if value is None or value == "":
        return "–"
    if isinstance(value, str) and kind != TEXT:
        return value  # "< 3": a suppressed cell
    if kind == UNIT:
        kind = UNIT_KINDS.get(unit or "", NUMBER)
    if kind == FRACTION_KIND:
        return fmt_percent(value)
    if kind == HOURS_KIND:
        return fmt_number(value, 1)
    if kind == COUNT:
        return fmt_number(value, 0)
    if kind == NUMBER:
        return fmt_number(value, 0 if float(value).is_integer() else 1)
    if kind == MONEY:
        return fmt_money(value)
    if kind == DATE:
        return fmt_date(value)
    if kind == DATETIME:
        return value.strftime("%Y-%m-%d %H:%M")
    if kind == BOOLEAN:
        return _("Yes") if value else _("No")
    return str(value)


def display_rows(table: Table) -> list[list[str]]:
    """Every row of a table as the page and the PDF show it."""
    unit_index = table.keys.index("unit") if "unit" in table.keys else None
    shown = []
    for row in table.rows:
        unit = row[unit_index] if unit_index is not None else None
        shown.append([display(v, c.kind, unit) for c, v in zip(table.headers, row, strict=True)])
    return shown


def pick(table: Table, keys: tuple[str, ...] | list[str]) -> Table:
    """The same table with only the columns ``keys``, in that order (and "unit", which
    formats the values)."""
    wanted = [k for k in keys if k in table.keys] + (["unit"] if "unit" in table.keys else [])
    index = [table.keys.index(k) for k in wanted]
    return Table(
        table.key,
        table.title,
        tuple(table.headers[i] for i in index),
        [[row[i] for i in index] for row in table.rows],
    )


# --- the report's own tables ---------------------------------------------------------------


def terms_table(report: Report) -> Table:
    """The terms, one per row, with typed values (dates as dates, amounts as amounts)."""
    hubs = "; ".join(
        f"{h.name}, {h.address} ({ngettext('%(num)d desk', '%(num)d desks', h.desks)})"
        for h in report.hubs
    )
    counted_until = report.occupancy.counted_until
    rows = [
        ["pilot", _("Pilot"), report.name, TEXT],
        ["first_day", _("First day"), report.first, DATE],
        ["last_day", _("Last day"), report.last, DATE],
        ["hubs", _("Hubs"), hubs, TEXT],
        ["host", _("Host organisation"), report.host, TEXT],
        ["guests", _("Guest organisations"), ", ".join(report.guests) or "–", TEXT],
        ["charging", _("Charging during the pilot"), report.charging_model.label, TEXT],
        ["participants", _("Participants"), report.participants, NUMBER],
    ]
    for name, count in report.participants_by_organisation:
        label = _("Participants: %(organisation)s", organisation=name)
        rows.append(["participants_of", label, _count(count, report), NUMBER])
    rows += [
        ["cost_per_desk_month", _("Cost per desk-month"), report.cost_per_desk_month, MONEY],
        ["fixed_cost_per_month", _("Fixed cost per month"), report.fixed_cost_per_month, MONEY],
        ["price_per_booking", _("Price per booking"), report.price_per_booking, MONEY],
        ["hub_cost", _("Hub cost for the period"), report.hub_cost, MONEY],
        [
            "counted_until",
            _("Counted until"),
            _local(counted_until, report),
            DATETIME,
        ],
        ["generated_at", _("Generated"), _local(report.generated_at, report), DATETIME],
    ]
    return Table(
        "terms",
        _l("Terms of the pilot"),
        (
            Column("term", _l("Key")),
            Column("item", _l("Item")),
            Column("value", _l("Value"), UNIT),
            Column("unit", _l("Unit")),
        ),
        rows,
    )


def criteria_table(report: Report) -> Table:
    return Table(
        "criteria",
        _l("Evaluation criteria"),
        (
            Column("metric", _l("Key")),
            Column("name", _l("Metric")),
            Column("comparator", _l("Comparator")),
            Column("target", _l("Target"), UNIT),
            Column("baseline", _l("Baseline"), UNIT),
            Column("value", _l("Measured"), UNIT),
            Column("outcome", _l("Outcome (code)")),
            Column("outcome_text", _l("Outcome")),
            Column("unit", _l("Unit")),
            Column("reason", _l("Reason")),
        ),
        [
            [
                c.metric,
                c.name,
                c.comparator.symbol,
                c.target,
                c.baseline,
                c.value,
                c.outcome,
                str(OUTCOME_LABELS[c.outcome]),
                c.unit,
                c.reason,
            ]
            for c in report.criteria
        ],
    )


def satisfaction_table(report: Report) -> Table:
    s = report.satisfaction
    values = s.metric_values()
    rows = [
        [key, metric_name(key), values.get(key), BY_KEY[key].unit if key in BY_KEY else ""]
        for key in SATISFACTION_KEYS
    ]
    rows += [
        ["visits", _("Visits offered feedback"), s.visits, "count"],
        ["responses", _("Answers"), s.responses, "count"],
        ["declined", _("Declined"), s.declined, "count"],
    ]
    rows += [
        [f"rating_{n}", _("Rating %(n)d", n=n), s.ratings.get(n, 0), "count"] for n in range(1, 6)
    ]
    rows += [
        [f"otherwise_{o.value}", str(OTHERWISE_LABELS[o]), s.otherwise.get(o.value, 0), "count"]
        for o in Otherwise
    ]
    return Table(
        "satisfaction",
        _l("Feedback"),
        (
            Column("figure", _l("Key")),
            Column("name", _l("Figure")),
            Column("value", _l("Value"), UNIT),
            Column("unit", _l("Unit")),
        ),
        rows,
    )


def comments_table(report: Report) -> Table:
    return Table(
        "comments",
        _l("Comments"),
        (
            Column("date", _l("Date"), DATE),
            Column("rating", _l("Rating"), COUNT),
            Column("comment", _l("Comment")),
        ),
        [[day, rating, text] for day, rating, text in report.satisfaction.comments],
    )


def costs_table(report: Report) -> Table:
    rows = []
    for scenario in report.scenarios:
        for share in scenario.shares:
            rows.append(
                [
                    scenario.model.value,
                    scenario.model.label,
                    scenario.key.label if scenario.key is not None else "",
                    share.organisation_name,
                    share.basis,
                    share.amount,
                    scenario.rate,
                    str(RATE_UNITS.get(scenario.rate_unit, scenario.rate_unit)),
                    scenario.total,
                ]
            )
    return Table(
        "costs",
        _l("Cost-sharing scenarios"),
        (
            Column("model", _l("Model key")),
            Column("model_name", _l("Model")),
            Column("key", _l("Shared by")),
            Column("organisation", _l("Organisation")),
            Column("basis", _l("Basis"), NUMBER),
            Column("amount", _l("Amount (SEK)"), MONEY),
            Column("rate", _l("Rate"), MONEY),
            Column("rate_unit", _l("Rate unit")),
            Column("total", _l("Total (SEK)"), MONEY),
        ),
        rows,
    )


def balances_table(report: Report) -> Table:
    rows = [
        [b.debtor_name, b.creditor_name, b.hours, b.amount]
        for scenario in report.scenarios
        for b in scenario.balances
    ]
    return Table(
        "time_bank",
        _l("Time bank balances"),
        (
            Column("debtor", _l("Owes")),
            Column("creditor", _l("To")),
            Column("hours", _l("Net desk-hours"), HOURS_KIND),
            Column("amount", _l("Amount (SEK)"), MONEY),
        ),
        rows,
    )


def changes_table(report: Report) -> Table:
    return Table(
        "criterion_changes",
        _l("Changes to the criteria after the start"),
        (
            Column("changed_at", _l("When"), DATETIME),
            Column("before", _l("Before")),
            Column("after", _l("After")),
        ),
        [[_local(c.changed_at, report), c.before or "–", c.after or "–"] for c in report.changes],
    )


def quality_table(report: Report) -> Table:
    q = report.quality
    s = report.satisfaction
    rows = [
        ["bookings", _("Bookings starting in the period"), q.bookings, "count"],
        ["checkin_required", _("Bookings that needed a check-in"), q.checkin_required, "count"],
        ["without_checkin", _("Of those, without a check-in"), q.without_checkin, "count"],
        ["without_checkin_share", _("Share without a check-in"), q.without_checkin_share, FRACTION],
        ["released", _("Released as no-shows"), q.released, "count"],
        ["without_user", _("Bookings of deleted accounts"), q.without_user, "count"],
        ["feedback_response_rate", _("Feedback response rate"), s.response_rate, FRACTION],
        [
            "criterion_changes",
            _("Changes to the criteria after the start"),
            len(report.changes),
            "count",
        ],
    ]
    return Table(
        "data_quality",
        _l("Data quality"),
        (
            Column("figure", _l("Key")),
            Column("name", _l("Figure")),
            Column("value", _l("Value"), UNIT),
            Column("unit", _l("Unit")),
        ),
        rows,
    )


def all_tables(report: Report) -> list[Table]:
    """Every table of the report, in the order the report shows them."""
    occupancy = occupancy_tables.all_tables(report.occupancy, report.access)
    return [
        terms_table(report),
        criteria_table(report),
        *occupancy,
        satisfaction_table(report),
        comments_table(report),
        costs_table(report),
        balances_table(report),
        changes_table(report),
        quality_table(report),
    ]


def _count(count: int | None, report: Report) -> str:
    return f"< {report.k}" if count is None else str(count)


def _zone(report: Report) -> ZoneInfo:
    return ZoneInfo(report.hubs[0].timezone if report.hubs else "Europe/Stockholm")


def _local(moment: datetime, report: Report) -> datetime:
    """A time in the hub's zone, without the zone (a spreadsheet's date-time)."""
    return moment.astimezone(_zone(report)).replace(tzinfo=None)
