"""The occupancy dashboard: the figures of some hubs over a period, compared with the period of
equal length before, for hub managers, organisation admins, evaluators and system admins.

The view reads the selection from the query string (a GET form, so a page is a link), asks the
operations for the two periods' figures and shapes them for the page. Every number comes from
:func:`hubbar.occupancy.metrics.compute`; this module only writes it out in words and charts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from babel.lists import format_list
from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from hubbar.accounts.models import User
from hubbar.accounts.operations import list_organisations
from hubbar.errors import DomainError
from hubbar.formats import fmt_date, fmt_datetime, fmt_number, fmt_percent, fmt_time, local_today
from hubbar.occupancy import charts
from hubbar.occupancy import operations as ops
from hubbar.occupancy import selection as selections
from hubbar.occupancy.definitions import BY_KEY, DEFINITIONS, FRACTION, HOURS, KEY_FIGURES
from hubbar.occupancy.metrics import LEAD_TIME_BUCKETS, Occupancy

bp = Blueprint("occupancy", __name__)

# The downloads offered under the page, in this order (the XLSX holds them all).
EXPORT_TABLES = (
    ("metrics", _l("Key figures")),
    ("days", _l("Days")),
    ("organisations", _l("Organisations")),
    ("desks", _l("Desks")),
    ("heatmap", _l("Weekday × hour")),
    ("bookings", _l("Bookings (one row each)")),
)
PRESET_NAMES = {
    "this_week": _l("This week"),
    "last_4_weeks": _l("The last 4 weeks"),
    "this_month": _l("This month"),
    "pilot": _l("The pilot's period"),
    "custom": _l("Custom period"),
}
# Why a figure does not exist (shown beside "–"): the thing it is divided by is zero.
NO_OPEN_TIME = _l("no open time")
NO_VALUE_REASONS = {
    "booking_rate": NO_OPEN_TIME,
    "utilisation": NO_OPEN_TIME,
    "mean_daily_peak": NO_OPEN_TIME,
    "max_daily_peak": NO_OPEN_TIME,
    "desk_day_usage": NO_OPEN_TIME,
    "desks_needed": NO_OPEN_TIME,
    "no_show_rate": _l("no bookings that needed check-in"),
    "cancellation_rate": _l("no bookings"),
    "late_cancellation_rate": _l("no bookings"),
    "lead_time_median_hours": _l("no visits"),
    "lead_time_p90_hours": _l("no visits"),
    "mean_duration_hours": _l("no visits"),
    "median_duration_hours": _l("no visits"),
    "visits_per_user": _l("no visits"),
    "cross_org_share": _l("nothing booked"),
    "turned_away_rate": _l("no bookings and no unmet demand"),
}
DECIMAL_COUNTS = {"visits_per_user", "mean_rating"}  # counts that are averages: one decimal


# --- the page ------------------------------------------------------------------------------


@bp.get("/dashboard")
@login_required
def dashboard():
    user: User = current_user._get_current_object()
    if not ops.may_see_occupancy(user):
        abort(403)
    today = local_today()
    visible = ops.visible_hubs(user)
    if not visible:
        return render_template("occupancy/dashboard.html", form=None, page=None)
    try:
        chosen = selections.read(request.args, user, today)
    except DomainError as error:
        return _form_page(user, visible, error)
    k = current_app.config["HUBBAR_SMALL_GROUP_K"]
    try:
        result, seen = _occupancy(user, chosen, chosen.first, chosen.last, k)
    except DomainError as error:
        return _form_page(user, visible, error)
    previous = None
    if not result.is_empty:
        before = ops.previous_period(chosen.first, chosen.last)
        try:
            previous, _seen = _occupancy(
                user, chosen, *before, k, now=ops.same_point_before(result)
            )
        except DomainError:
            # Before the earliest date the service knows: no comparison.
            previous = None
    form = FormState.of_selection(chosen, user, visible, seen)
    page = build_page(chosen, result, previous, seen, today)
    return render_template("occupancy/dashboard.html", form=form, page=page)


def _occupancy(
    user: User,
    chosen: selections.Selection,
    first: date,
    last: date,
    k: int,
    now: datetime | None = None,
):
    return ops.occupancy(
        user, chosen.hubs, first, last, k=k, organisation_id=chosen.organisation_id, now=now
    )


def _form_page(user: User, visible, error: DomainError):
    """The form again, as it was sent, with what was wrong (and nothing else)."""
    form = FormState.of_args(request.args, user, visible, local_today())
    form.error = str(error.message)
    form.error_field = error.field if error.field in FORM_FIELDS else None
    return (
        render_template("occupancy/dashboard.html", form=form, page=None),
        error.status if error.status in (403, 404, 422) else 422,
    )


# --- the form ------------------------------------------------------------------------------

FORM_FIELDS = ("hub", "period", "from", "to", "pilot", "organisation")


@dataclass
class FormState:
    """What the form shows: the choices and what is chosen (as sent, when it was wrong)."""

    hubs: list
    pilots: list
    organisations: list
    hub_ids: set[str]
    period: str
    first: str
    last: str
    pilot: str
    organisation: str
    error: str | None = None
    error_field: str | None = None
    presets: list = field(default_factory=list)

    def __post_init__(self):
        self.presets = [
            (key, PRESET_NAMES[key])
            for key in ops.PRESETS
            if key != "pilot" or self.pilots or self.period == "pilot"
        ]

    @classmethod
    def of_selection(cls, chosen: selections.Selection, user: User, hubs, seen: ops.Access):
        return cls(
            hubs=hubs,
            pilots=ops.evaluated_pilots(user),
            organisations=ops.filterable_organisations(user, seen),
            hub_ids={str(h.id) for h in chosen.hubs},
            period=chosen.preset,
            first=chosen.first.isoformat(),
            last=chosen.last.isoformat(),
            pilot=str(chosen.pilot.id) if chosen.pilot else "",
            organisation=str(chosen.organisation_id or ""),
        )

    @classmethod
    def of_args(cls, args, user: User, hubs, today: date):
        """The form as sent; without hubs or dates, those the page would have chosen."""
        period = args.get("period") or ("pilot" if args.get("pilot") else "this_week")
        hub_ids = {v for v in args.getlist("hub") if v != ""}
        if not hub_ids:
            hub_ids = {str(h.id) for h in selections.default_hubs(user, hubs)}
        first, last = args.get("from", ""), args.get("to", "")
        if not first and not last and period in ("this_week", "last_4_weeks", "this_month"):
            first, last = (d.isoformat() for d in ops.preset_period(period, today))
        return cls(
            hubs=hubs,
            pilots=ops.evaluated_pilots(user),
            organisations=ops.filterable_organisations(user, None),
            hub_ids=hub_ids,
            period=period if period in ops.PRESETS else "",
            first=first,
            last=last,
            pilot=args.get("pilot", ""),
            organisation=args.get("organisation", ""),
        )


# --- what the page shows -------------------------------------------------------------------


@dataclass
class Figure:
    """One metric as a card or a row: its words, its value now and before, and the change."""

    key: str
    name: str
    definition: str
    value: str
    reason: str | None  # why there is no value ("no open time")
    previous: str | None  # None: no comparison
    change: str | None  # "up 4 points"
    direction: str | None  # "up", "down", "same"

    @property
    def arrow(self) -> str:
        return {"up": "▲", "down": "▼", "same": "="}.get(self.direction or "", "")


@dataclass
class Page:
    title: str
    period: str
    previous_period: str | None
    partial_note: str | None
    not_begun: bool
    only_organisations: str | None
    audience: str
    empty: bool
    key_figures: list[Figure]
    other_figures: list[Figure]
    charts: list
    organisation_rows: list
    desk_rows: list
    day_rows: list
    downloads: list
    xlsx_url: str
    several_hubs: bool
    k: int | None


def build_page(
    chosen: selections.Selection,
    result: Occupancy,
    previous: Occupancy | None,
    seen: ops.Access,
    today: date,
) -> Page:
    hub_names = [h.name for h in seen.hubs]
    locale = get_locale()
    title = _("Occupancy of %(hubs)s", hubs=format_list(hub_names, locale=locale) if locale else "")
    period = _(
        "%(name)s: %(first)s to %(last)s",
        name=_period_name(chosen),
        first=fmt_date(chosen.first),
        last=fmt_date(chosen.last),
    )
    previous_period = None
    if previous is not None:
        first, last = previous.first, previous.last
        days = ngettext("%(num)d day", "%(num)d days", (last - first).days + 1)
        if previous.partial:
            previous_period = _(
                "Compared with the %(days)s before (%(first)s to %(last)s), counted up to the "
                "same point: %(until)s.",
                days=days,
                first=fmt_date(first),
                last=fmt_date(last),
                until=fmt_datetime(previous.counted_until, seen.hubs[0].timezone),
            )
        else:
            previous_period = _(
                "Compared with the %(days)s before: %(first)s to %(last)s.",
                days=days,
                first=fmt_date(first),
                last=fmt_date(last),
            )
    figures = [_figure(d.key, result, previous) for d in DEFINITIONS]
    by_key = {f.key: f for f in figures}
    empty = result.is_empty
    several = len(seen.hubs) > 1
    return Page(
        title=title,
        period=period,
        previous_period=previous_period if not empty else None,
        partial_note=_partial_note(result, seen, today),
        not_begun=_not_begun(result, seen),
        only_organisations=_only_organisations(result, seen),
        audience=seen.audience,
        empty=empty,
        key_figures=[by_key[key] for key in KEY_FIGURES],
        other_figures=[f for f in figures if f.key not in KEY_FIGURES],
        charts=[] if empty else occupancy_charts(result, seen, several),
        organisation_rows=[] if empty else _organisation_rows(result, seen),
        desk_rows=[] if empty else _desk_rows(result, several),
        day_rows=[] if empty else _day_rows(result),
        downloads=_downloads(chosen),
        xlsx_url=_export_url(chosen, "xlsx"),
        several_hubs=several,
        k=seen.k,
    )


def _period_name(chosen: selections.Selection) -> str:
    if chosen.preset == "pilot" and chosen.pilot is not None:
        return _("The period of %(pilot)s", pilot=chosen.pilot.name)
    return str(PRESET_NAMES.get(chosen.preset, PRESET_NAMES["custom"]))


def _not_begun(result: Occupancy, seen: ops.Access) -> bool:
    """The period lies after now: nothing of it is counted yet."""
    zone = ZoneInfo(seen.hubs[0].timezone)
    start = datetime.combine(result.first, datetime.min.time(), zone).astimezone(UTC)
    return result.partial and result.counted_until <= start


def _partial_note(result: Occupancy, seen: ops.Access, today: date) -> str | None:
    """Say so when the period reaches now: its figures count only up to now."""
    if not result.partial:
        return None
    if _not_begun(result, seen):
        return _("The period has not begun: nothing is counted yet.")
    zone = ZoneInfo(seen.hubs[0].timezone)
    until = result.counted_until.astimezone(zone)
    if until.date() == today:
        return _("Counted up to %(time)s today.", time=fmt_time(until))
    return _("Counted up to %(time)s.", time=fmt_datetime(result.counted_until, zone.key))


def _only_organisations(result: Occupancy, seen: ops.Access) -> str | None:
    if result.organisation_ids is None:
        return None
    names = [o.name for o in list_organisations() if o.id in result.organisation_ids]
    locale = get_locale()
    return _(
        "Only bookings by people from %(organisations)s count; the capacity is the hubs' whole "
        "capacity.",
        organisations=format_list(names, locale=locale) if locale else ", ".join(names),
    )


# --- figures in words ----------------------------------------------------------------------


def figure_text(key: str, value) -> str:
    """A metric's value as the page shows it: percent for shares, hours with one decimal,
    whole numbers for counts; "–" when it does not exist."""
    if value is None:
        return "–"
    unit = BY_KEY[key].unit
    if unit == FRACTION:
        return fmt_percent(value)
    if unit == HOURS:
        return f"{fmt_number(value, 1)}\u00a0h"
    return fmt_number(value, 1 if key in DECIMAL_COUNTS else 0)


def _shown(key: str, value) -> Decimal:
    """The value as shown, as a number: the change is the difference of what the reader sees
    (16 % and 12 % are 4 points apart, whatever the decimals behind them)."""
    unit = BY_KEY[key].unit
    number = Decimal(str(value))
    if unit == FRACTION:
        return number.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) * 100
    places = Decimal("0.1") if unit == HOURS or key in DECIMAL_COUNTS else Decimal(1)
    return number.quantize(places, rounding=ROUND_HALF_UP)


def change_text(key: str, current, previous) -> tuple[str | None, str | None]:
    """The change from ``previous`` to ``current`` in words ("up 4 points") and its direction
    ("up", "down", "same"); (None, None) when either does not exist."""
    if current is None or previous is None:
        return None, None
    difference = _shown(key, current) - _shown(key, previous)
    if difference == 0:
        return _("unchanged"), "same"
    unit = BY_KEY[key].unit
    size = abs(difference)
    if unit == FRACTION:
        amount = ngettext("%(num)d point", "%(num)d points", int(size))
    elif unit == HOURS:
        amount = f"{fmt_number(size, 1)}\u00a0h"
    else:
        amount = fmt_number(size, 1 if key in DECIMAL_COUNTS else 0)
    if difference > 0:
        return _("up %(amount)s", amount=amount), "up"
    return _("down %(amount)s", amount=amount), "down"


def _figure(key: str, result: Occupancy, previous: Occupancy | None) -> Figure:
    definition = BY_KEY[key]
    value = result.value(key)
    before = previous.value(key) if previous is not None else None
    change, direction = change_text(key, value, before)
    reason = NO_VALUE_REASONS.get(key) if value is None else None
    return Figure(
        key,
        str(definition.name),
        str(definition.definition),
        figure_text(key, value),
        str(reason) if reason else None,
        figure_text(key, before) if previous is not None else None,
        change,
        direction,
    )


# --- charts and tables ---------------------------------------------------------------------


def _hours(value) -> str:
    return "–" if value is None else f"{fmt_number(value, 1)}\u00a0h"


def _count(value) -> str:
    return fmt_number(value, 0)


def _desk_label(row, several: bool) -> str:
    return f"{row.hub}: {row.label}" if several else row.label


CHART_LABEL = 28  # characters of a bar's label the chart shows (hubbar.occupancy.charts)


def _chart_desk_label(row, several: bool) -> str:
    """The label "Hub: Desk", with the hub's name shortened so that the desk still shows in the
    chart (the chart cuts long labels at the end: every desk of a hub would read the same)."""
    if not several:
        return row.label
    room = CHART_LABEL - len(row.label) - 2
    hub = row.hub if len(row.hub) <= room else row.hub[: max(room - 1, 1)].rstrip() + "…"
    return f"{hub}: {row.label}"


def occupancy_charts(result: Occupancy, seen: ops.Access, several: bool) -> list[charts.Chart]:
    labels = {
        key: label
        for key, (_bound, label) in zip(LEAD_TIME_BUCKETS, charts.LEAD_TIME_BUCKETS, strict=True)
    }
    hidden = f"< {seen.k}"
    small = result.hidden_organisations
    organisations = [
        (org.name, None if org.organisation_id in small else org.booked_hours)
        for org in result.organisations
    ]
    notes = {org.name: hidden for org in result.organisations if org.organisation_id in small}
    return [
        charts.daily_chart([(row.day, row.booking_rate, row.utilisation) for row in result.days]),
        charts.heatmap_chart(result.heatmap),
        charts.bar_chart(
            "desks",
            _("Booking rate per desk"),
            [(_chart_desk_label(row, several), row.booking_rate) for row in result.desks],
            unit=charts.PERCENT,
            headers=[_("Desk"), _("Booking rate")],
        ),
        charts.bar_chart(
            "organisations",
            _("Booked desk-hours per organisation"),
            organisations,
            unit=charts.HOURS,
            notes=notes,
            headers=[_("Organisation"), _("Booked desk-hours")],
        ),
        charts.histogram_chart(
            "lead_times",
            _("How long before the start bookings were made"),
            [(labels.get(key, key), count) for key, count in result.lead_times],
            headers=[_("Lead time"), _("Bookings"), _("Share")],
        ),
    ]


def _organisation_rows(result: Occupancy, seen: ops.Access) -> list[list[str]]:
    """Each home organisation: name, then bookings, people, returning, booked hours, share,
    no-shows, cancellations, unmet demand; every number "< k" for a small one (evaluators)."""
    rows = []
    for org in result.organisations:
        name = f"{org.name} ({org.code})" if org.code else org.name
        if org.is_host:
            name = _("%(organisation)s, host", organisation=name)
        if org.organisation_id in result.hidden_organisations:
            rows.append([name] + [f"< {seen.k}"] * 8)
            continue
        rows.append(
            [
                name,
                _count(org.bookings),
                _count(org.users),
                _count(org.returning_users),
                _hours(org.booked_hours),
                fmt_percent(org.share_of_booked),
                _count(org.released),
                _count(org.cancelled),
                _count(org.demand_misses),
            ]
        )
    return rows


def _desk_rows(result: Occupancy, several: bool) -> list[list[str]]:
    return [
        [
            _desk_label(row, several),
            _hours(row.capacity_hours),
            _hours(row.booked_hours),
            _hours(row.used_hours),
            fmt_percent(row.booking_rate),
            fmt_percent(row.utilisation),
            _(
                "%(share)s (%(used)s of %(days)s)",
                share=fmt_percent(row.desk_day_usage),
                used=_count(row.booked_days),
                days=_count(row.open_days),
            ),
        ]
        for row in result.desks
    ]


def _day_rows(result: Occupancy) -> list[list[str]]:
    return [
        [
            fmt_date(row.day),
            _hours(row.capacity_hours),
            _hours(row.booked_hours),
            _hours(row.used_hours),
            fmt_percent(row.booking_rate),
            fmt_percent(row.utilisation),
            fmt_percent(row.peak),
            _count(row.peak_desks),
            _count(row.demand_misses),
            _count(row.desks_needed),
        ]
        for row in result.days
    ]


# --- downloads -----------------------------------------------------------------------------


def _export_url(chosen: selections.Selection, fmt: str, **extra) -> str:
    return url_for("occupancy_exports.export", fmt=fmt, **chosen.query(**extra))


def _downloads(chosen: selections.Selection) -> list[tuple[str, str]]:
    return [(str(name), _export_url(chosen, "csv", table=key)) for key, name in EXPORT_TABLES]
