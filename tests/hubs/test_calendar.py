"""Open days and hours: weekly hours, Swedish holidays, days before holidays, closures, DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from hubbar.hubs.calendar import DaySchedule, hub_days, week_of
from tests.factories import make_closure, make_hub

MIDSUMMER_WEEK = (date(2026, 6, 15), date(2026, 6, 21))


def _by_day(hub, d0, d1, locale="sv") -> dict[date, DaySchedule]:
    return {d.day: d for d in hub_days(hub, d0, d1, locale)}


def test_midsummer_week():
    hub = make_hub()
    days = _by_day(hub, *MIDSUMMER_WEEK)
    assert len(days) == 7
    assert days[date(2026, 6, 15)].is_open
    assert (days[date(2026, 6, 15)].opens, days[date(2026, 6, 15)].closes) == (time(8), time(17))
    midsummer_eve = days[date(2026, 6, 19)]
    assert not midsummer_eve.is_open
    assert midsummer_eve.holiday == "Midsommarafton"
    assert midsummer_eve.interval("Europe/Stockholm") is None
    assert days[date(2026, 6, 20)].holiday == "Midsommardagen"


def test_early_closing_before_midsummer_eve_when_the_hub_says_so():
    hub = make_hub(close_early_before_holidays=True)
    day = _by_day(hub, *MIDSUMMER_WEEK)[date(2026, 6, 18)]
    assert day.is_open
    assert (day.opens, day.closes) == (time(8), time(14))
    assert day.early_closing == "Dag före Midsommarafton"


def test_no_early_closing_unless_the_hub_says_so():
    hub = make_hub(close_early_before_holidays=False)
    day = _by_day(hub, *MIDSUMMER_WEEK)[date(2026, 6, 18)]
    assert (day.opens, day.closes) == (time(8), time(17))
    assert day.early_closing is None


def test_early_closing_does_not_lengthen_a_short_day():
    hub = make_hub(close_early_before_holidays=True)
    hub.opening_hours[3].closes = time(12)  # Thursdays 08.00–12.00
    day = _by_day(hub, *MIDSUMMER_WEEK)[date(2026, 6, 18)]
    assert (day.opens, day.closes) == (time(8), time(12))
    assert day.early_closing is None


def test_hub_closure_closes_its_days_with_the_reason():
    hub = make_hub()
    make_closure(hub, date(2026, 6, 16), date(2026, 6, 17), reason="Ombyggnad")
    days = _by_day(hub, *MIDSUMMER_WEEK)
    assert days[date(2026, 6, 15)].is_open
    for d in (date(2026, 6, 16), date(2026, 6, 17)):
        assert not days[d].is_open
        assert days[d].closure == "Ombyggnad"
        assert days[d].holiday is None
    assert days[date(2026, 6, 18)].is_open


def test_weekday_without_opening_hours_is_closed():
    hub = make_hub()
    days = _by_day(hub, date(2026, 6, 8), date(2026, 6, 14))  # an ordinary week
    assert [d.is_open for d in days.values()] == [True] * 5 + [False] * 2
    saturday = days[date(2026, 6, 13)]
    assert (saturday.holiday, saturday.closure, saturday.early_closing) == (None, None, None)


def test_holiday_names_in_english():
    hub = make_hub(close_early_before_holidays=True)
    days = _by_day(hub, *MIDSUMMER_WEEK, locale="en")
    assert days[date(2026, 6, 19)].holiday == "Midsummer Eve"
    assert days[date(2026, 6, 18)].early_closing.startswith("Day before Midsummer Eve")


def test_opening_at_eight_is_seven_utc_in_winter_and_six_in_summer():
    """Wall-clock hours stay put across the DST changes (29 March and 25 October 2026)."""
    hub = make_hub()
    expected_utc_opening = {
        date(2026, 3, 23): datetime(2026, 3, 23, 7, tzinfo=UTC),  # the Monday before: CET
        date(2026, 3, 30): datetime(2026, 3, 30, 6, tzinfo=UTC),  # the Monday after: CEST
        date(2026, 10, 19): datetime(2026, 10, 19, 6, tzinfo=UTC),  # CEST
        date(2026, 10, 26): datetime(2026, 10, 26, 7, tzinfo=UTC),  # CET again
    }
    for day, opening in expected_utc_opening.items():
        [schedule] = hub_days(hub, day, day)
        opens, closes = schedule.interval("Europe/Stockholm")
        assert opens.astimezone(UTC) == opening
        assert closes.astimezone(UTC) == opening + timedelta(hours=9)
        assert (opens.hour, closes.hour) == (8, 17)  # still 08.00–17.00 on the wall clock


def test_interval_on_the_dst_sundays_themselves():
    """A day open 01.00–05.00 is three real hours long in March and five in October."""
    spring = DaySchedule(date(2026, 3, 29), time(1), time(5))
    autumn = DaySchedule(date(2026, 10, 25), time(1), time(5))
    for schedule, hours in ((spring, 3), (autumn, 5)):
        opens, closes = schedule.interval("Europe/Stockholm")
        assert closes.astimezone(UTC) - opens.astimezone(UTC) == timedelta(hours=hours)


def test_interval_in_another_time_zone():
    opens, closes = DaySchedule(date(2026, 6, 15), time(8), time(17)).interval("Europe/London")
    assert opens.astimezone(UTC) == datetime(2026, 6, 15, 7, tzinfo=UTC)


def test_week_of_starts_on_monday():
    assert week_of(date(2026, 6, 19)) == (date(2026, 6, 15), date(2026, 6, 21))
    assert week_of(date(2026, 6, 15)) == (date(2026, 6, 15), date(2026, 6, 21))
    assert week_of(date(2026, 6, 21)) == (date(2026, 6, 15), date(2026, 6, 21))
    assert date(2026, 6, 15).isocalendar().week == 25
