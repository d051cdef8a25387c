"""The occupancy charts: vector SVG drawn by matplotlib, each with a text alternative and the
table behind it, for the dashboard and the pilot report (DESIGN.md "Metrics").

The functions take plain numbers (fractions 0–1 for rates, hours, counts; None for a figure that
does not exist) and return a `Chart`. They are called inside an app or request context, so the
words and numbers come out in the user's language. Pages embed a chart as
``<img src="{{ chart.data_uri }}" alt="{{ chart.summary }}">`` with its table underneath, so a
strict Content-Security-Policy (``img-src 'self' data:``) never meets inline SVG styles.
"""

from __future__ import annotations

import base64
import functools
import io
import math
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal

import matplotlib
import matplotlib.dates
import numpy as np
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.collections import PathCollection
from matplotlib.colors import Normalize, to_rgb
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Patch
from matplotlib.path import Path
from matplotlib.textpath import TextPath, text_to_path
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import Affine2D, TransformedPatchPath

from hubbar.formats import fmt_date, fmt_number, fmt_percent, fmt_time, fmt_weekday

PERCENT = "percent"
HOURS = "hours"
COUNT = "count"
UNITS = (PERCENT, HOURS, COUNT)

# Lead-time buckets for `histogram_chart`: a lead time (start − created, in hours) falls in the
# first bucket whose upper bound it is below, so exactly 24 h counts as "1–3 days".
LEAD_TIME_BUCKETS: tuple[tuple[float, object], ...] = (
    (1, _l("< 1 h")),
    (24, _l("1–24 h")),
    (72, _l("1–3 days")),
    (168, _l("3–7 days")),
    (math.inf, _l("> 7 days")),
)

# Okabe–Ito blue and vermillion: told apart with every common colour-vision deficiency, and
# 5.2:1 and 3.9:1 against white (WCAG asks 3:1 of graphics). Text is near-black (17:1).
INK = "#1a1a1a"
AXIS = "#595959"
GRID = "#d9d9d9"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
CLOSED = "#f2f2f2"
HATCH = "#c8c8c8"
# cividis in 5 % steps: perceptually even, readable in greyscale and with colour-vision
# deficiencies; 20 solid steps also keep the colour bar vector (more than 50 get rasterised).
HEATMAP = matplotlib.colormaps["cividis"].resampled(20)

WIDTH = 5.5  # inches: 528 CSS px at natural size, scaled by `width: 100%` to phone or column
NO_DATA_HEIGHT = 1.6

# Text as paths: the glyphs of DejaVu Sans travel inside the SVG, so every browser (an SVG in an
# <img> cannot use the page's web fonts) and the PDF report show the same letters at the same
# widths; with "none" a phone without DejaVu Sans substitutes a font and labels overlap or clip.
# What a reader or search would get from real text, the summary and the table give. A fixed
# hash salt makes the ids of clip paths stable, and without a date the same figures give the
# same bytes (cacheable, comparable in tests).
RC_PARAMS = {
    "svg.fonttype": "path",
    "svg.hashsalt": "hubbar",
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "text.color": INK,
    "axes.labelcolor": INK,
    "axes.edgecolor": AXIS,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "xtick.color": AXIS,
    "ytick.color": AXIS,
    "xtick.labelcolor": INK,
    "ytick.labelcolor": INK,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "legend.fontsize": 10,
    "legend.frameon": False,
    "hatch.color": HATCH,
}

# matplotlib keeps rcParams (read while drawing and saving) and its font cache in the process, and
# is not thread-safe: one lock per process lets gunicorn's threads take turns (a chart is a few
# tens of milliseconds).
_RENDER_LOCK = threading.Lock()


@dataclass(frozen=True)
class Chart:
    """A chart as the dashboard and the report show it: the picture, the words, the table."""

    key: str
    title: str
    summary: str  # the text alternative, in the current language
    headers: list[str]
    rows: list[list[str]]  # the table behind the chart, formatted for display
    svg: str  # UTF-8 SVG markup without XML declaration or DOCTYPE

    @property
    def data_uri(self) -> str:
        encoded = base64.b64encode(self.svg.encode("utf-8")).decode("ascii")
        return f"data:image/svg+xml;base64,{encoded}"


# --- the charts ---------------------------------------------------------------------------


def daily_chart(days: Sequence[tuple[date, float | None, float | None]]) -> Chart:
    """Booking rate and utilisation per open day as two lines in percent (0–100 %): solid with
    circles and dashed with squares, so they differ by more than colour. A day without capacity
    (None) leaves a gap."""
    days = sorted(days, key=lambda day: day[0])
    booked = [_value(day[1]) for day in days]
    used = [_value(day[2]) for day in days]
    title = _("Booking rate and utilisation per day")
    headers = [_("Date"), _("Booking rate"), _("Utilisation")]
    rows = [
        [fmt_date(day[0]), fmt_percent(b), fmt_percent(u)]
        for day, b, u in zip(days, booked, used, strict=True)
    ]
    has_data = any(v is not None for v in booked + used)

    if not has_data:
        return _empty_chart("daily", title, headers, rows)

    dates = [day[0] for day in days]
    step = max(1, math.ceil(len(dates) / 6))
    tick_dates = dates[::step]
    tick_labels = [format_date(d, "d MMM") for d in tick_dates]
    y_ticks = [0, 25, 50, 75, 100]
    y_labels = [fmt_percent(t / 100) for t in y_ticks]
    series = [
        (_("Booking rate"), booked, BLUE, "-", "o"),
        (_("Utilisation"), used, VERMILLION, "--", "s"),
    ]

    def draw(fig: Figure) -> None:
        ax = fig.subplots()
        xs = matplotlib.dates.date2num(dates)
        for label, values, colour, style, marker in series:
            ys = [np.nan if v is None else v * 100 for v in values]
            ax.plot(
                xs,
                ys,
                color=colour,
                linestyle=style,
                linewidth=1.8,
                marker=marker,
                markersize=4.5,
                label=label,
            )
        ax.set_ylim(-2, 102)
        ax.set_yticks(y_ticks, labels=y_labels)
        ax.set_xticks(matplotlib.dates.date2num(tick_dates), labels=tick_labels)
        if len(xs) == 1:
            ax.set_xlim(xs[0] - 1, xs[0] + 1)
        ax.grid(axis="y", color=GRID, linewidth=0.8)
        ax.set_axisbelow(True)
        fig.legend(loc="outside upper center", ncols=2)

    svg = _render(draw, (WIDTH, 3.2), title)
    summary = " ".join(
        [
            ngettext(
                "%(num)d open day from %(first)s to %(last)s.",
                "%(num)d open days from %(first)s to %(last)s.",
                len(days),
                first=fmt_date(dates[0]),
                last=fmt_date(dates[-1]),
            )
        ]
        + [
            _extremes_sentence(
                name, [(fmt_date(d), v) for d, v in zip(dates, values, strict=True)], PERCENT
            )
            for name, values, *_style in series
            if any(v is not None for v in values)
        ]
    )
    return Chart("daily", title, summary, headers, rows, svg)


def heatmap_chart(cells: Mapping[tuple[int, int], float | None]) -> Chart:
    """Mean occupancy by weekday (0 = Monday) and hour as coloured cells with the value written
    in each (black or white, whichever contrasts more). Rows are the weekdays in ``cells``,
    columns every hour from the first to the last in ``cells``; None (closed) is a light cell
    marked "–"."""
    title = _("Mean occupancy by weekday and hour")
    weekdays = sorted({weekday for weekday, _hour in cells})
    hours = sorted({hour for _weekday, hour in cells})
    if hours:
        hours = list(range(hours[0], hours[-1] + 1))
    grid = [[_value(cells.get((w, h))) for h in hours] for w in weekdays]
    headers = [_("Weekday")] + [f"{h:02d}" for h in hours]
    rows = [
        [fmt_weekday(w)] + [fmt_percent(v) for v in row]
        for w, row in zip(weekdays, grid, strict=True)
    ]
    values = [
        (w, h, v)
        for w, row in zip(weekdays, grid, strict=True)
        for h, v in zip(hours, row, strict=True)
        if v is not None
    ]
    if not values:
        return _empty_chart("heatmap", title, headers, rows)

    row_labels = [fmt_weekday(w, "abbreviated") for w in weekdays]
    cell_text = [["–" if v is None else _percent_number(v) for v in row] for row in grid]
    bar_ticks = [0, 0.25, 0.5, 0.75, 1]
    bar_labels = [fmt_percent(t) for t in bar_ticks]
    bar_label = _("Mean occupancy")
    cell_size = 8.5 if len(hours) <= 12 else 6.5
    closed = _("Closed") if any(v is None for row in grid for v in row) else None

    def draw(fig: Figure) -> None:
        ax = fig.subplots()
        matrix = np.ma.masked_invalid(
            np.array([[np.nan if v is None else v for v in row] for row in grid], dtype=float)
        )
        mesh = ax.pcolormesh(
            matrix, cmap=HEATMAP, norm=Normalize(0, 1), edgecolors="white", linewidth=1
        )
        # A closed hour shows the background: light, hatched and marked "–".
        if closed:
            ax.patch.set_facecolor(CLOSED)
            ax.patch.set_hatch("////")
        _cell_labels(
            ax,
            [(j + 0.5, i + 0.5) for i, row in enumerate(grid) for j in range(len(row))],
            [text for row in cell_text for text in row],
            [INK if v is None else text_colour_on(HEATMAP(v)) for row in grid for v in row],
            cell_size,
        )
        ax.set_xticks([j + 0.5 for j in range(len(hours))], labels=headers[1:])
        ax.set_yticks([i + 0.5 for i in range(len(weekdays))], labels=row_labels)
        ax.tick_params(length=0)
        ax.invert_yaxis()
        for spine in ax.spines.values():
            spine.set_visible(False)
        colour_bar = fig.colorbar(
            mesh, ax=ax, location="bottom", shrink=0.6, aspect=30, ticks=bar_ticks
        )
        colour_bar.ax.set_xticklabels(bar_labels)
        colour_bar.outline.set_visible(False)
        colour_bar.set_label(bar_label)
        if closed:
            closed_key = Patch(facecolor=CLOSED, edgecolor=AXIS, hatch="////", label=closed)
            fig.legend(handles=[closed_key], loc="outside lower right")

    svg = _render(draw, (WIDTH, 1.5 + 0.42 * len(weekdays)), title)
    high = max(values, key=lambda cell: cell[2])
    low = min(values, key=lambda cell: cell[2])
    if high[2] == low[2]:
        summary = _("Mean occupancy is %(value)s in every open hour.", value=fmt_percent(high[2]))
    else:
        summary = _(
            "Mean occupancy is highest on %(high_day)s %(high_hour)s (%(high)s) and lowest on "
            "%(low_day)s %(low_hour)s (%(low)s).",
            high_day=_weekday_in_text(high[0]),
            high_hour=_hour_range(high[1]),
            high=fmt_percent(high[2]),
            low_day=_weekday_in_text(low[0]),
            low_hour=_hour_range(low[1]),
            low=fmt_percent(low[2]),
        )
    return Chart("heatmap", title, summary, headers, rows, svg)


def bar_chart(
    key: str,
    title: str,
    items: Sequence[tuple[str, float | None]],
    unit: str = PERCENT,
    notes: Mapping[str, str] | None = None,
    headers: Sequence[str] | None = None,
) -> Chart:
    """Horizontal bars in the given order, top to bottom, each with its value written at its end
    (per desk, per organisation). ``unit``: "percent" (fractions 0–1, axis 0–100 %), "hours" or
    "count". An item whose value is None gets no bar but the text ``notes[label]`` (for example
    "< 3" for a cell suppressed for having fewer than k users), or "–" without a note.
    ``headers`` name the table's two columns (default "Name" and the title)."""
    if unit not in UNITS:
        raise ValueError(f"unit must be one of {UNITS}, not {unit!r}")
    title = str(title)
    notes = notes or {}
    items = [(str(label), _value(value)) for label, value in items]
    headers = [str(h) for h in headers] if headers else [_("Name"), title]
    texts = [
        notes.get(label, "–") if value is None else _fmt(value, unit) for label, value in items
    ]
    rows = [[label, text] for (label, _value_), text in zip(items, texts, strict=True)]
    numbers = [(label, value) for label, value in items if value is not None]
    if not numbers:
        return _empty_chart(key, title, headers, rows, _not_shown(items, texts))

    top = max(value for _label, value in numbers)
    if unit == PERCENT:
        ticks = [0, 0.25, 0.5, 0.75, 1]
        right = 1
    else:
        right = top if top > 0 else 1
        ticks = [t for t in MaxNLocator(nbins=4, integer=unit == COUNT).tick_values(0, right)]
        ticks = [t for t in ticks if 0 <= t <= right * 1.05]
        right = max(right, ticks[-1])
    whole = all(float(t).is_integer() for t in ticks)
    tick_labels = [_fmt(t, unit, digits=0 if whole else 1) for t in ticks]
    labels = [_shorten(label) for label, _value_ in items]

    def draw(fig: Figure) -> None:
        ax = fig.subplots()
        positions = list(range(len(items)))
        drawn = [(i, value) for i, (_label, value) in enumerate(items) if value is not None]
        ax.barh([i for i, _v in drawn], [v for _i, v in drawn], height=0.62, color=BLUE)
        for position, (_label, value), text in zip(positions, items, texts, strict=True):
            ax.annotate(
                text,
                xy=(0 if value is None else value, position),
                xytext=(4, 0),
                textcoords="offset points",
                va="center",
                color=INK,
                fontstyle="italic" if value is None else "normal",
            )
        ax.set_yticks(positions, labels=labels)
        ax.set_ylim(len(items) - 0.5, -0.5)  # first item on top
        ax.set_xlim(0, right * 1.2)  # room for the value at the end of the longest bar
        ax.set_xticks(ticks, labels=tick_labels)
        ax.tick_params(axis="y", length=0)
        ax.grid(axis="x", color=GRID, linewidth=0.8)
        ax.set_axisbelow(True)

    svg = _render(draw, (WIDTH, max(NO_DATA_HEIGHT, 0.9 + 0.32 * len(items))), title)
    summary = " ".join(
        part
        for part in (
            _extremes_sentence(None, numbers, unit),
            _not_shown(items, texts),
        )
        if part
    )
    return Chart(key, title, summary, headers, rows, svg)


def histogram_chart(
    key: str,
    title: str,
    buckets: Sequence[tuple[str, int]],
    headers: Sequence[str] | None = None,
) -> Chart:
    """Counts per bucket as vertical bars in the given order, each with its count on top (for
    example lead times in `LEAD_TIME_BUCKETS`). The table adds each bucket's share. ``headers``
    name the table's three columns (default "Interval", "Count", "Share")."""
    title = str(title)
    buckets = [(str(label), int(count or 0)) for label, count in buckets]
    total = sum(count for _label, count in buckets)
    headers = [str(h) for h in headers] if headers else [_("Interval"), _("Count"), _("Share")]
    rows = [
        [label, fmt_number(count, 0), fmt_percent(count / total) if total else "–"]
        for label, count in buckets
    ]
    if total == 0:
        return _empty_chart(key, title, headers, rows)

    top = max(count for _label, count in buckets)
    ticks = [t for t in MaxNLocator(nbins=4, integer=True).tick_values(0, top) if 0 <= t <= top]
    tick_labels = [fmt_number(t, 0) for t in ticks]
    texts = [fmt_number(count, 0) for _label, count in buckets]

    def draw(fig: Figure) -> None:
        ax = fig.subplots()
        positions = list(range(len(buckets)))
        ax.bar(positions, [count for _label, count in buckets], width=0.7, color=BLUE)
        for position, (_label, count), text in zip(positions, buckets, texts, strict=True):
            ax.annotate(
                text,
                xy=(position, count),
                xytext=(0, 3),
                textcoords="offset points",
                ha="center",
                va="bottom",
                color=INK,
            )
        ax.set_xticks(positions, labels=[_shorten(label, 14) for label, _count in buckets])
        ax.tick_params(axis="x", length=0)
        ax.set_ylim(0, top * 1.18)
        ax.set_yticks(ticks, labels=tick_labels)
        ax.grid(axis="y", color=GRID, linewidth=0.8)
        ax.set_axisbelow(True)

    svg = _render(draw, (WIDTH, 2.8), title)
    label, count = max(buckets, key=lambda bucket: bucket[1])
    summary = _(
        "Most common: %(label)s, %(count)s of %(total)s (%(share)s).",
        label=label,
        count=fmt_number(count, 0),
        total=fmt_number(total, 0),
        share=fmt_percent(count / total),
    )
    return Chart(key, title, summary, headers, rows, svg)


# --- drawing ------------------------------------------------------------------------------


def _render(draw: Callable[[Figure], None], size: tuple[float, float], title: str) -> str:
    """Draw on a fresh Figure (no pyplot, no global figure list) and return the SVG markup."""
    with _RENDER_LOCK, matplotlib.rc_context(RC_PARAMS):
        fig = Figure(figsize=size, layout="constrained")
        FigureCanvasSVG(fig)
        draw(fig)
        # Lay out once, then draw once: savefig would otherwise draw every artist twice, once
        # only to lay out (a third of the time, more with a heatmap's many cell labels).
        fig.get_layout_engine().execute(fig)
        fig.set_layout_engine(None)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Title": title})
    text = buffer.getvalue().decode("utf-8")
    return text[text.index("<svg") :]


def _empty_chart(
    key: str, title: str, headers: list[str], rows: list[list[str]], extra: str | None = None
) -> Chart:
    message = _("No data for this period")

    def draw(fig: Figure) -> None:
        ax = fig.subplots()
        ax.set_axis_off()
        ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=12, transform=ax.transAxes)

    svg = _render(draw, (WIDTH, NO_DATA_HEIGHT), title)
    summary = message + "." + (f" {extra}" if extra else "")
    return Chart(key, title, summary, headers, rows, svg)


def _cell_labels(
    ax, centres: list[tuple[float, float]], texts: list[str], colours: list[str], size: float
) -> None:
    """Write ``texts`` centred at ``centres`` (data coordinates) as glyph paths of DejaVu Sans,
    as every other text becomes with svg.fonttype "path".

    A heatmap has up to 168 cells, and as many Text artists take three times as long to lay out
    and draw. Instead each glyph at each place in a label (the "4" that starts a two-digit
    label, say) is one collection: the SVG defines its path once and reuses it in every cell.
    """
    groups: dict[tuple[str, float], tuple[list, list]] = {}
    for centre, text, colour in zip(centres, texts, colours, strict=True):
        for glyph in _glyph_places(text, size):
            offsets, fills = groups.setdefault(glyph, ([], []))
            offsets.append(centre)
            fills.append(colour)
    to_points = Affine2D().scale(1 / 72) + ax.get_figure().dpi_scale_trans
    # Inside their cells the glyphs need no clipping; one shared clip path spares the axes
    # computing one per collection, and no clipping spares the SVG a group around every glyph.
    unclipped = TransformedPatchPath(ax.patch)
    for (char, x), (offsets, fills) in groups.items():
        collection = PathCollection(
            [_glyph_path(char, x, size)],
            offsets=offsets,
            offset_transform=ax.transData,
            transform=to_points,
            facecolors=fills,
            edgecolors="none",
            linewidths=0,
        )
        collection.set_in_layout(False)  # inside its cell: the layout need not measure it
        collection.set_clip_path(unclipped)
        collection.set_clip_on(False)
        ax.add_collection(collection, autolim=False)


_CELL_FONT = "DejaVu Sans"


@functools.lru_cache(maxsize=512)
def _glyph_places(text: str, size: float) -> tuple[tuple[str, float], ...]:
    """Each character of ``text`` with the x (points) where it starts, the text centred on 0."""
    prop = FontProperties(family=_CELL_FONT, size=size)

    def advance(prefix: str) -> float:
        return text_to_path.get_text_width_height_descent(prefix, prop, ismath=False)[0]

    left = -advance(text) / 2
    return tuple((char, round(left + advance(text[:i]), 3)) for i, char in enumerate(text))


@functools.lru_cache(maxsize=512)
def _glyph_path(char: str, x: float, size: float) -> Path:
    """One glyph as a path in points, starting at ``x``, centred vertically on the height of
    the digits (so "–" sits where a number's middle would be)."""
    prop = FontProperties(family=_CELL_FONT)
    (_x0, y0), (_x1, y1) = TextPath((0, 0), "0", size=size, prop=prop).get_extents().get_points()
    return TextPath((x, -(y0 + y1) / 2), char, size=size, prop=prop)


def text_colour_on(background) -> str:
    """Black or white, whichever contrasts more with ``background`` (always at least 4.58:1)."""
    luminance = _luminance(background)
    return "#000000" if (luminance + 0.05) / 0.05 >= 1.05 / (luminance + 0.05) else "#ffffff"


def _luminance(colour) -> float:
    """Relative luminance as WCAG 2.1 defines it."""

    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in to_rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(foreground, background="#ffffff") -> float:
    """The WCAG contrast ratio of two colours (1 to 21)."""
    lighter, darker = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


# --- words and numbers --------------------------------------------------------------------


def _value(value) -> float | None:
    """None for a missing figure, NaN included (a division by zero capacity in SQL)."""
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def _fmt(value: float, unit: str, digits: int = 1) -> str:
    """A value in its unit: "42 %", "3,5 h" (``digits`` decimals) or "12"."""
    if unit == PERCENT:
        return fmt_percent(value)
    if unit == HOURS:
        return f"{fmt_number(value, digits)}\u00a0h"
    return fmt_number(value, 0)


def _percent_number(value: float) -> str:
    """A fraction as the number of percent alone ("42"), rounded as `fmt_percent` rounds."""
    return fmt_number(Decimal(str(value)) * 100, 0)


def _extremes_sentence(
    name: str | None, values: Sequence[tuple[str, float | None]], unit: str
) -> str:
    """Which label has the highest and which the lowest value (the first one on a tie)."""
    present = [(label, value) for label, value in values if value is not None]
    high = max(present, key=lambda item: item[1])
    low = min(present, key=lambda item: item[1])
    if name is None:
        if len(present) == 1:
            return _("%(label)s: %(value)s.", label=high[0], value=_fmt(high[1], unit))
        if high[1] == low[1]:
            return _("All have %(value)s.", value=_fmt(high[1], unit))
        return _(
            "Highest: %(high_label)s (%(high)s); lowest: %(low_label)s (%(low)s).",
            high_label=high[0],
            high=_fmt(high[1], unit),
            low_label=low[0],
            low=_fmt(low[1], unit),
        )
    if len(present) == 1:
        return _(
            "%(name)s: %(value)s on %(label)s.",
            name=name,
            value=_fmt(high[1], unit),
            label=high[0],
        )
    if high[1] == low[1]:
        return _("%(name)s: %(value)s on every day.", name=name, value=_fmt(high[1], unit))
    return _(
        "%(name)s: highest %(high)s on %(high_label)s, lowest %(low)s on %(low_label)s.",
        name=name,
        high=_fmt(high[1], unit),
        high_label=high[0],
        low=_fmt(low[1], unit),
        low_label=low[0],
    )


def _not_shown(items: Sequence[tuple[str, float | None]], texts: Sequence[str]) -> str:
    hidden = [
        label if text == "–" else f"{label} ({text})"
        for (label, value), text in zip(items, texts, strict=True)
        if value is None
    ]
    return _("Not shown: %(items)s.", items=", ".join(hidden)) if hidden else ""


def _weekday_in_text(weekday: int) -> str:
    """A weekday as it reads inside a sentence: "tisdag" in Swedish, "Tuesday" in English."""
    return format_date(date(2024, 1, 1 + weekday), "EEEE")


def _hour_range(hour: int) -> str:
    end = fmt_time(time((hour + 1) % 24))
    return f"{fmt_time(time(hour))}–{end}"


def _shorten(label: str, limit: int = 28) -> str:
    """An axis label that fits beside the bars; the table keeps the full text."""
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"
