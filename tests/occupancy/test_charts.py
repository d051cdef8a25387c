"""The occupancy charts: well-formed, stable SVG; the words and the table behind each chart say
what it shows, in the reader's language; missing, suppressed and empty data never crash."""

from __future__ import annotations

import base64
import math
import threading
import xml.etree.ElementTree as ET
from contextlib import contextmanager
from datetime import date

import flask_babel
import pytest

from hubbar.formats import fmt_number, fmt_percent
from hubbar.occupancy import charts

SVG = "{http://www.w3.org/2000/svg}"
NBSP = "\u00a0"

DAYS = [
    (date(2025, 3, 3), 0.5, 0.25),
    (date(2025, 3, 4), 0.8, None),
    (date(2025, 3, 5), None, None),  # no capacity that day
    (date(2025, 3, 6), 0.2, 0.6),
]
CELLS = {(0, 8): 0.1, (0, 9): 0.9, (1, 8): None, (1, 9): 0.45, (4, 10): 0.3}
DESKS = [("Desk A", 0.4), ("Desk B", None), ("Desk C", 0.75), ("Desk D", 0.05)]
LEAD_TIMES = [4, 17, 9, 6, 2]


@contextmanager
def in_locale(app, locale: str):
    with app.test_request_context(), flask_babel.force_locale(locale):
        yield


def lead_time_buckets(counts=LEAD_TIMES):
    return [(label, n) for (_bound, label), n in zip(charts.LEAD_TIME_BUCKETS, counts, strict=True)]


BUILDERS = {
    "daily": lambda: charts.daily_chart(DAYS),
    "heatmap": lambda: charts.heatmap_chart(CELLS),
    "bar": lambda: charts.bar_chart("desks", "Booking rate", DESKS, notes={"Desk B": "< 3"}),
    "bar_hours": lambda: charts.bar_chart("orgs", "Hours", [("KuF", 120.25)], unit="hours"),
    "histogram": lambda: charts.histogram_chart("lead_time", "Lead time", lead_time_buckets()),
    "daily_empty": lambda: charts.daily_chart([]),
    "heatmap_empty": lambda: charts.heatmap_chart({}),
    "bar_empty": lambda: charts.bar_chart("desks", "Booking rate", []),
    "histogram_empty": lambda: charts.histogram_chart("lead_time", "Lead time", []),
}


def cell_glyphs(root) -> int:
    """How many glyphs the heatmap writes in its cells (each a path used once per place)."""
    total = 0
    for group in root.iter(f"{SVG}g"):
        if group.get("id", "").startswith("PathCollection"):
            defined = sum(len(defs.findall(f"{SVG}path")) for defs in group.iter(f"{SVG}defs"))
            inline = len(list(group.iter(f"{SVG}path"))) - defined
            total += len(list(group.iter(f"{SVG}use"))) + inline
    return total


# --- the pictures -------------------------------------------------------------------------


@pytest.mark.parametrize("name", BUILDERS)
def test_every_chart_is_a_well_formed_vector_svg(app, name):
    with in_locale(app, "sv"):
        chart = BUILDERS[name]()
    assert chart.svg.startswith("<svg")  # no XML declaration, no DOCTYPE
    assert "<!DOCTYPE" not in chart.svg
    root = ET.fromstring(chart.svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("viewBox")
    # Text as paths (the same letters in every browser and in the PDF), nothing raster, no date.
    assert not list(root.iter(f"{SVG}text"))
    assert not list(root.iter(f"{SVG}image"))
    assert "dc:date" not in chart.svg


@pytest.mark.parametrize("name", BUILDERS)
def test_the_same_figures_give_the_same_bytes(app, name):
    with in_locale(app, "en"):
        first = BUILDERS[name]()
        second = BUILDERS[name]()
    assert first.svg == second.svg
    assert first == second


def test_charts_drawn_in_parallel_threads_are_the_ones_drawn_alone(app):
    with in_locale(app, "en"):
        expected = charts.daily_chart(DAYS).svg
    results, errors = [], []

    def draw():
        try:
            with in_locale(app, "en"):
                for _ in range(3):
                    results.append(charts.daily_chart(DAYS).svg)
        except Exception as exc:  # a thread's failure must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=draw) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(results) == 12
    assert all(svg == expected for svg in results)


@pytest.mark.parametrize("name", ["daily", "heatmap_empty"])
def test_data_uri_decodes_to_the_svg(app, name):
    with in_locale(app, "sv"):
        chart = BUILDERS[name]()
    prefix = "data:image/svg+xml;base64,"
    assert chart.data_uri.startswith(prefix)
    assert base64.b64decode(chart.data_uri[len(prefix) :]).decode("utf-8") == chart.svg


def test_the_text_and_the_lines_contrast_with_white():
    assert charts.contrast(charts.INK) >= 4.5
    assert charts.contrast(charts.AXIS) >= 4.5
    for colour in (charts.BLUE, charts.VERMILLION):  # graphics: WCAG 1.4.11 asks 3:1
        assert charts.contrast(colour) >= 3


def test_every_heatmap_value_is_written_in_a_colour_that_contrasts_with_its_cell():
    for step in range(101):
        background = charts.HEATMAP(step / 100)
        assert charts.contrast(charts.text_colour_on(background), background) >= 4.5
    assert charts.text_colour_on(charts.HEATMAP(0.0)) == "#ffffff"  # dark blue
    assert charts.text_colour_on(charts.HEATMAP(1.0)) == "#000000"  # yellow


def test_the_heatmap_writes_a_value_or_a_dash_in_every_cell_and_hatches_closed_hours(app):
    with in_locale(app, "en"):
        chart = charts.heatmap_chart(CELLS)
        open_only = charts.heatmap_chart({(0, 8): 0.1, (0, 9): 1.0})
    # Mon 10 90 –, Tue – 45 –, Fri – – 30: 13 characters.
    assert cell_glyphs(ET.fromstring(chart.svg)) == 13
    assert cell_glyphs(ET.fromstring(open_only.svg)) == 2 + 3
    assert "<pattern" in chart.svg  # the hatching of closed hours
    assert "<pattern" not in open_only.svg


def test_a_suppressed_value_gets_no_bar(app):
    with in_locale(app, "en"):
        chart = charts.bar_chart("desks", "Booking rate", DESKS, notes={"Desk B": "< 3"})
    assert chart.svg.lower().count(f"fill: {charts.BLUE.lower()}") == 3


def test_the_histogram_draws_a_bar_per_bucket(app):
    with in_locale(app, "en"):
        chart = charts.histogram_chart("lead_time", "Lead time", lead_time_buckets())
    assert chart.svg.lower().count(f"fill: {charts.BLUE.lower()}") == 5


# --- the words and the tables -------------------------------------------------------------


def test_daily_chart_names_the_highest_and_lowest_day_of_each_series(app):
    with in_locale(app, "en"):
        chart = charts.daily_chart(list(reversed(DAYS)))  # any order: sorted by date
    assert chart.key == "daily"
    assert chart.summary == (
        "4 open days from 2025-03-03 to 2025-03-06. "
        "Booking rate: highest 80% on 2025-03-04, lowest 20% on 2025-03-06. "
        "Utilisation: highest 60% on 2025-03-06, lowest 25% on 2025-03-03."
    )
    assert chart.headers == ["Date", "Booking rate", "Utilisation"]
    assert chart.rows == [
        ["2025-03-03", "50%", "25%"],
        ["2025-03-04", "80%", "–"],
        ["2025-03-05", "–", "–"],
        ["2025-03-06", "20%", "60%"],
    ]


def test_daily_chart_in_swedish_writes_percent_with_a_non_breaking_space(app):
    with in_locale(app, "sv"):
        chart = charts.daily_chart(DAYS)
    assert chart.rows[0] == ["2025-03-03", f"50{NBSP}%", f"25{NBSP}%"]
    assert f"80{NBSP}%" in chart.summary
    assert "2025-03-04" in chart.summary
    assert chart.headers[0] == "Datum"


def test_daily_chart_says_which_day_when_a_series_is_flat(app):
    with in_locale(app, "en"):
        chart = charts.daily_chart([(date(2025, 3, 3), 0.0, 0.0), (date(2025, 3, 4), 0.0, 0.0)])
    assert "Booking rate: 0% on every day." in chart.summary
    assert "No data" not in chart.summary


def test_heatmap_names_its_highest_and_lowest_hour(app):
    with in_locale(app, "en"):
        chart = charts.heatmap_chart(CELLS)
    assert chart.summary == (
        "Mean occupancy is highest on Monday 09:00–10:00 (90%) and lowest on Monday "
        "08:00–09:00 (10%)."
    )
    assert chart.headers == ["Weekday", "08", "09", "10"]
    assert chart.rows == [
        ["Monday", "10%", "90%", "–"],
        ["Tuesday", "–", "45%", "–"],
        ["Friday", "–", "–", "30%"],
    ]


def test_heatmap_in_swedish(app):
    with in_locale(app, "sv"):
        chart = charts.heatmap_chart(CELLS)
    assert chart.rows[0] == ["Måndag", f"10{NBSP}%", f"90{NBSP}%", "–"]
    assert f"måndag 09.00–10.00 (90{NBSP}%)" in chart.summary
    assert f"måndag 08.00–09.00 (10{NBSP}%)" in chart.summary


def test_daily_chart_of_one_day(app):
    with in_locale(app, "en"):
        chart = charts.daily_chart([(date(2025, 3, 3), 0.4, None)])
    assert (
        chart.summary
        == "1 open day from 2025-03-03 to 2025-03-03. Booking rate: 40% on 2025-03-03."
    )
    assert chart.rows == [["2025-03-03", "40%", "–"]]


def test_bar_chart_keeps_the_order_and_shows_the_note_for_a_suppressed_value(app):
    with in_locale(app, "en"):
        chart = charts.bar_chart("desks", "Booking rate", DESKS, notes={"Desk B": "< 3"})
    assert (chart.key, chart.title) == ("desks", "Booking rate")
    assert chart.headers == ["Name", "Booking rate"]
    assert chart.rows == [
        ["Desk A", "40%"],
        ["Desk B", "< 3"],
        ["Desk C", "75%"],
        ["Desk D", "5%"],
    ]
    assert chart.summary == ("Highest: Desk C (75%); lowest: Desk D (5%). Not shown: Desk B (< 3).")


def test_bar_chart_without_a_note_shows_a_dash(app):
    with in_locale(app, "en"):
        chart = charts.bar_chart("desks", "Booking rate", [("A", 0.5), ("B", None)])
    assert chart.rows == [["A", "50%"], ["B", "–"]]
    assert chart.summary == "A: 50%. Not shown: B."


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("sv", [f"1{NBSP}234,5{NBSP}h", f"3,5{NBSP}h", f"0,0{NBSP}h"]),
        ("en", [f"1,234.5{NBSP}h", f"3.5{NBSP}h", f"0.0{NBSP}h"]),
    ],
)
def test_bar_chart_in_hours_the_locales_way(app, locale, expected):
    items = [("KuF", 1234.5), ("SSA", 3.45), ("Other", 0)]
    with in_locale(app, locale):
        chart = charts.bar_chart("orgs", "Booked desk-hours", items, unit="hours")
    assert [row[1] for row in chart.rows] == expected
    assert expected[0] in chart.summary and expected[2] in chart.summary


def test_bar_chart_counts_and_its_own_headers(app):
    with in_locale(app, "en"):
        chart = charts.bar_chart(
            "visits", "Visits", [("KuF", 12), ("SSA", 3)], unit="count", headers=["Org", "N"]
        )
    assert chart.headers == ["Org", "N"]
    assert chart.rows == [["KuF", "12"], ["SSA", "3"]]


def test_bar_chart_with_all_values_zero_is_drawn_and_says_so(app):
    with in_locale(app, "en"):
        chart = charts.bar_chart("orgs", "Hours", [("KuF", 0), ("SSA", 0.0)], unit="hours")
    ET.fromstring(chart.svg)
    assert chart.summary == "All have 0.0\u00a0h."


def test_bar_chart_refuses_an_unknown_unit(app):
    with in_locale(app, "en"), pytest.raises(ValueError):
        charts.bar_chart("desks", "Booking rate", DESKS, unit="kronor")


def test_histogram_names_the_most_common_bucket_and_each_share(app):
    with in_locale(app, "en"):
        chart = charts.histogram_chart("lead_time", "Lead time", lead_time_buckets())
    assert chart.summary == "Most common: 1–24 h, 17 of 38 (45%)."
    assert chart.headers == ["Interval", "Count", "Share"]
    assert chart.rows == [
        ["< 1 h", "4", "11%"],
        ["1–24 h", "17", "45%"],
        ["1–3 days", "9", "24%"],
        ["3–7 days", "6", "16%"],
        ["> 7 days", "2", "5%"],
    ]


def test_lead_time_buckets_are_bounded_in_hours():
    assert [bound for bound, _label in charts.LEAD_TIME_BUCKETS] == [1, 24, 72, 168, math.inf]


# --- no data ------------------------------------------------------------------------------


@pytest.mark.parametrize("locale", ["sv", "en"])
@pytest.mark.parametrize(
    "build",
    [
        lambda: charts.daily_chart([]),
        lambda: charts.daily_chart([(date(2025, 3, 3), None, None)]),
        lambda: charts.heatmap_chart({}),
        lambda: charts.heatmap_chart({(0, 8): None, (0, 9): float("nan")}),
        lambda: charts.bar_chart("desks", "Booking rate", []),
        lambda: charts.histogram_chart("lead_time", "Lead time", lead_time_buckets([0] * 5)),
    ],
)
def test_no_data_draws_an_empty_chart_that_says_so(app, locale, build):
    with in_locale(app, locale):
        chart = build()
        message = flask_babel.gettext("No data for this period")
    assert chart.summary.startswith(message)
    ET.fromstring(chart.svg)
    assert all(len(row) == len(chart.headers) for row in chart.rows)


def test_no_data_keeps_the_table(app):
    with in_locale(app, "en"):
        daily = charts.daily_chart([(date(2025, 3, 3), None, None)])
        histogram = charts.histogram_chart("lead_time", "Lead time", lead_time_buckets([0] * 5))
    assert daily.rows == [["2025-03-03", "–", "–"]]
    assert histogram.rows[0] == ["< 1 h", "0", "–"]


def test_all_values_suppressed_says_which(app):
    with in_locale(app, "en"):
        chart = charts.bar_chart(
            "orgs", "Users", [("KuF", None), ("SSA", None)], unit="count", notes={"KuF": "< 3"}
        )
    assert chart.summary == "No data for this period. Not shown: KuF (< 3), SSA."
    assert chart.rows == [["KuF", "< 3"], ["SSA", "–"]]


# --- numbers the locale's way -------------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "value", "digits", "expected"),
    [
        ("sv", 0.42, 0, f"42{NBSP}%"),
        ("en", 0.42, 0, "42%"),
        ("sv", 0.125, 0, f"13{NBSP}%"),  # half away from zero, as a spreadsheet rounds
        ("sv", 0.4235, 1, f"42,4{NBSP}%"),
        ("en", 0.4235, 1, "42.4%"),
        ("sv", None, 0, "–"),
        ("sv", -0.001, 0, f"0{NBSP}%"),
    ],
)
def test_fmt_percent(app, locale, value, digits, expected):
    with in_locale(app, locale):
        assert fmt_percent(value, digits) == expected


@pytest.mark.parametrize(
    ("locale", "value", "digits", "expected"),
    [
        ("sv", 3.45, 1, "3,5"),
        ("en", 3.45, 1, "3.5"),
        ("sv", 12345.25, 1, f"12{NBSP}345,3"),
        ("en", 12345.25, 1, "12,345.3"),
        ("sv", 7, 0, "7"),
        ("en", None, 1, "–"),
    ],
)
def test_fmt_number(app, locale, value, digits, expected):
    with in_locale(app, locale):
        assert fmt_number(value, digits) == expected
