"""Lunch breaks in the weekly opening hours: the database's rules, the day's open intervals
(early closing and DST included), the manager's form, and the pages that show the hours."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine

from hubbar.errors import InvalidInput
from hubbar.extensions import db
from hubbar.hubs import operations as ops
from hubbar.hubs.calendar import DaySchedule, hub_days
from hubbar.hubs.models import OpeningHours
from tests.factories import login, make_hub, make_user
from tests.helpers import (
    audit_events,
    count,
    field_error,
    refused_by,
    reload,
    shows,
    snapshot,
    sv,
    text,
    wtforms_sv,
)

STOCKHOLM = "Europe/Stockholm"
MIDSUMMER_EVE_EVE = date(2026, 6, 18)  # Thursday before Midsommarafton: closes at 14.00


def said(msgid: str, **params) -> str:
    """The Swedish text of a message, or its English msgid while the catalogue lacks it."""
    try:
        return sv(msgid, **params)
    except pytest.fail.Exception:
        return msgid % params if params else msgid


def with_break(hub, starts: time, ends: time, weekdays=range(5)):
    for row in hub.opening_hours:
        if row.weekday in weekdays:
            row.break_starts, row.break_ends = starts, ends
    db.session.commit()
    return hub


def utc(day: date, hhmm: str) -> datetime:
    hour, minute = map(int, hhmm.split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


def in_utc(intervals) -> list[tuple[datetime, datetime]]:
    return [(a.astimezone(UTC), b.astimezone(UTC)) for a, b in intervals]


# --- the database's rules ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("break_starts", "break_ends", "constraint"),
    [
        (time(12), None, "ck_opening_hours_break_both_or_neither"),
        (None, time(13), "ck_opening_hours_break_both_or_neither"),
        (time(7), time(9), "ck_opening_hours_break_within_opening_hours"),  # before opening
        (time(8), time(9), "ck_opening_hours_break_within_opening_hours"),  # at opening
        (time(16), time(17), "ck_opening_hours_break_within_opening_hours"),  # to closing
        (time(16), time(18), "ck_opening_hours_break_within_opening_hours"),  # past closing
        (time(13), time(12), "ck_opening_hours_break_within_opening_hours"),  # backwards
        (time(12), time(12), "ck_opening_hours_break_within_opening_hours"),  # empty
    ],
)
def test_the_database_refuses_a_break_outside_the_opening_hours(
    break_starts, break_ends, constraint
):
    hub = make_hub()
    with refused_by(constraint):
        db.session.add(
            OpeningHours(
                hub_id=hub.id,
                weekday=5,
                opens=time(8),
                closes=time(17),
                break_starts=break_starts,
                break_ends=break_ends,
            )
        )
        db.session.commit()
    assert count(OpeningHours) == 5


def test_the_database_takes_a_break_inside_the_opening_hours():
    hub = make_hub()
    db.session.add(
        OpeningHours(
            hub_id=hub.id,
            weekday=5,
            opens=time(8),
            closes=time(17),
            break_starts=time(8, 30),
            break_ends=time(16, 30),
        )
    )
    db.session.commit()
    assert count(OpeningHours, OpeningHours.break_starts.is_not(None)) == 1


# --- the day's open intervals --------------------------------------------------------------


def test_a_day_with_a_break_has_two_open_intervals():
    hub = with_break(make_hub(), time(12), time(13))
    [tuesday] = hub_days(hub, date(2026, 12, 1), date(2026, 12, 1))
    assert (tuesday.break_starts, tuesday.break_ends) == (time(12), time(13))
    # Winter time, UTC+1.
    assert in_utc(tuesday.open_intervals(STOCKHOLM)) == [
        (utc(tuesday.day, "07:00"), utc(tuesday.day, "11:00")),
        (utc(tuesday.day, "12:00"), utc(tuesday.day, "16:00")),
    ]
    # The whole day, lunch included, for those who need it.
    assert in_utc([tuesday.interval(STOCKHOLM)]) == [
        (utc(tuesday.day, "07:00"), utc(tuesday.day, "16:00"))
    ]
    for start, end in tuesday.open_intervals(STOCKHOLM):
        assert str(start.tzinfo) == STOCKHOLM and str(end.tzinfo) == STOCKHOLM


def test_a_day_without_a_break_has_one_interval_and_a_closed_day_none():
    hub = with_break(make_hub(), time(12), time(13), weekdays=[0])  # Mondays only
    days = {d.day: d for d in hub_days(hub, date(2026, 11, 30), date(2026, 12, 6))}
    assert len(days[date(2026, 11, 30)].open_intervals(STOCKHOLM)) == 2
    tuesday = days[date(2026, 12, 1)]
    assert tuesday.break_starts is None and not tuesday.has_break
    assert in_utc(tuesday.open_intervals(STOCKHOLM)) == [
        (utc(tuesday.day, "07:00"), utc(tuesday.day, "16:00"))
    ]
    assert days[date(2026, 12, 5)].open_intervals(STOCKHOLM) == []  # Saturday


def test_a_holiday_has_no_open_intervals_even_with_a_break():
    hub = with_break(make_hub(), time(12), time(13))
    [christmas_eve] = hub_days(hub, date(2026, 12, 24), date(2026, 12, 24))  # a Thursday
    assert christmas_eve.open_intervals(STOCKHOLM) == []
    assert not christmas_eve.has_break


@pytest.mark.parametrize(
    ("lunch", "closes", "expected_break", "intervals"),
    [
        # Before 14.00: kept.
        (
            (time(12), time(13)),
            time(14),
            (time(12), time(13)),
            [("08:00", "12:00"), ("13:00", "14:00")],
        ),
        # Starting at closing time: gone.
        ((time(14), time(15)), time(14), (None, None), [("08:00", "14:00")]),
        # Starting after closing time: gone.
        ((time(15), time(16)), time(14), (None, None), [("08:00", "14:00")]),
        # Running past closing time: the day closes when lunch starts.
        ((time(13, 30), time(14, 30)), time(13, 30), (None, None), [("08:00", "13:30")]),
        # Ending at closing time: the same.
        ((time(13), time(14)), time(13), (None, None), [("08:00", "13:00")]),
    ],
    ids=["kept", "at-closing", "after-closing", "past-closing", "to-closing"],
)
def test_early_closing_clips_the_break(lunch, closes, expected_break, intervals):
    hub = with_break(make_hub(close_early_before_holidays=True), *lunch)
    [day] = hub_days(hub, MIDSUMMER_EVE_EVE, MIDSUMMER_EVE_EVE)
    assert day.early_closing == "Dag före Midsommarafton"
    assert (day.opens, day.closes) == (time(8), closes)
    assert (day.break_starts, day.break_ends) == expected_break
    # Summer time, UTC+2.
    assert in_utc(day.open_intervals(STOCKHOLM)) == [
        (
            datetime.combine(day.day, time.fromisoformat(a)).replace(tzinfo=UTC)
            - timedelta(hours=2),
            datetime.combine(day.day, time.fromisoformat(b)).replace(tzinfo=UTC)
            - timedelta(hours=2),
        )
        for a, b in intervals
    ]


def test_the_break_keeps_its_wall_clock_times_on_the_dst_sundays():
    """A hub open every day, 08.00–17.00 with lunch 12.00–13.00: on 29 March the clocks have
    gone forward by opening time (UTC+2), on 25 October back (UTC+1)."""
    hub = make_hub()
    hub.opening_hours.append(OpeningHours(weekday=6, opens=time(8), closes=time(17)))
    db.session.commit()
    with_break(hub, time(12), time(13), weekdays=range(7))
    days = {d.day: d for d in hub_days(hub, date(2026, 3, 28), date(2026, 10, 25))}
    spring, autumn = days[date(2026, 3, 29)], days[date(2026, 10, 25)]
    assert in_utc(spring.open_intervals(STOCKHOLM)) == [
        (utc(spring.day, "06:00"), utc(spring.day, "10:00")),
        (utc(spring.day, "11:00"), utc(spring.day, "15:00")),
    ]
    assert in_utc(autumn.open_intervals(STOCKHOLM)) == [
        (utc(autumn.day, "07:00"), utc(autumn.day, "11:00")),
        (utc(autumn.day, "12:00"), utc(autumn.day, "16:00")),
    ]


def test_a_break_over_the_dst_night_lasts_the_real_time():
    """Open 01.00–05.00 with a break 02.00–03.00: in October the hour 02–03 comes twice, so
    the break lasts two real hours and the open time three; in March it never comes."""
    autumn = DaySchedule(
        date(2026, 10, 25), time(1), time(5), break_starts=time(2), break_ends=time(3)
    )
    intervals = in_utc(autumn.open_intervals(STOCKHOLM))
    assert intervals == [
        (datetime(2026, 10, 24, 23, tzinfo=UTC), datetime(2026, 10, 25, 0, tzinfo=UTC)),
        (datetime(2026, 10, 25, 2, tzinfo=UTC), datetime(2026, 10, 25, 4, tzinfo=UTC)),
    ]
    spring = DaySchedule(
        date(2026, 3, 29), time(1), time(5), break_starts=time(2), break_ends=time(3)
    )
    open_time = sum((b - a for a, b in in_utc(spring.open_intervals(STOCKHOLM))), timedelta())
    assert open_time == timedelta(hours=3)


# --- the operation -------------------------------------------------------------------------


def test_set_opening_hours_takes_pairs_and_four_tuples():
    hub = make_hub()
    ops.set_opening_hours(
        None,
        hub,
        {
            0: (time(8), time(17)),
            1: (time(8), time(17), time(12), time(13)),
            2: (time(7, 30), time(16), None, None),
        },
    )
    rows = {r.weekday: r for r in reload(hub).opening_hours}
    assert sorted(rows) == [0, 1, 2]
    assert (rows[0].break_starts, rows[0].break_ends) == (None, None)
    assert (rows[1].opens, rows[1].closes) == (time(8), time(17))
    assert (rows[1].break_starts, rows[1].break_ends) == (time(12), time(13))
    assert (rows[2].opens, rows[2].break_starts) == (time(7, 30), None)
    [event] = audit_events("hub.opening_hours")
    before, after = event.changes["opening_hours"]
    assert before["1"] == ["08:00", "17:00"]
    assert after == {
        "0": ["08:00", "17:00"],
        "1": ["08:00", "17:00", "12:00", "13:00"],
        "2": ["07:30", "16:00"],
    }


def test_removing_a_break_is_audited():
    hub = with_break(make_hub(), time(12), time(13))
    week = {d: (time(8), time(17)) for d in range(5)}
    ops.set_opening_hours(None, hub, week)
    assert all(r.break_starts is None for r in reload(hub).opening_hours)
    [event] = audit_events("hub.opening_hours")
    assert event.changes["opening_hours"][0]["0"] == ["08:00", "17:00", "12:00", "13:00"]
    assert event.changes["opening_hours"][1]["0"] == ["08:00", "17:00"]


@pytest.mark.parametrize(
    ("hours", "field", "message"),
    [
        (
            (time(8), time(17), time(12), None),
            "day_3-break_ends",
            "Give both lunch times, or neither for no break.",
        ),
        (
            (time(8), time(17), time(13), time(12)),
            "day_3-break_ends",
            "The lunch break must end after it starts.",
        ),
        (
            (time(8), time(17), time(16), time(17)),
            "day_3-break_starts",
            "The lunch break must lie inside the opening hours.",
        ),
        (
            (time(17), time(8)),
            "day_3-closes",
            "Closing time must be after opening time.",
        ),
    ],
)
def test_set_opening_hours_refuses_a_bad_break(hours, field, message):
    hub = make_hub()
    with pytest.raises(InvalidInput) as raised:
        ops.set_opening_hours(None, hub, {3: hours})
    assert raised.value.field == field
    assert str(raised.value.message) == said(message)
    db.session.rollback()
    assert count(OpeningHours) == 5
    assert audit_events() == []


# --- the manager's form --------------------------------------------------------------------


FIELDS = ("opens", "closes", "break_starts", "break_ends")


def _week(**days) -> dict:
    """Form data: day_0=("08:00", "17:00") or ("08:00", "17:00", "12:00", "13:00")."""
    data = {}
    for weekday in range(7):
        values = (*days.get(f"day_{weekday}", ()), "", "", "", "")[:4]
        for name, value in zip(FIELDS, values, strict=True):
            data[f"day_{weekday}-{name}"] = value
    return data


def _hours(hub) -> dict:
    count(OpeningHours)  # ends the test's transaction, so the rows are read afresh
    return {
        r.weekday: (r.opens, r.closes, r.break_starts, r.break_ends)
        for r in reload(hub).opening_hours
    }


def test_the_form_saves_a_lunch_break(client, hub, manager):
    weekdays = {f"day_{d}": ("08:00", "17:00", "12:00", "13:00") for d in range(4)}
    response = client.post(
        f"/manage/hubs/{hub.id}/opening-hours",
        data=_week(**weekdays, day_4=("08:00", "15:00")),
    )
    assert response.status_code == 302
    assert _hours(hub) == {
        **{d: (time(8), time(17), time(12), time(13)) for d in range(4)},
        4: (time(8), time(15), None, None),
    }
    [event] = audit_events("hub.opening_hours")
    assert event.actor_id == manager.id
    assert event.changes["opening_hours"][1]["0"] == ["08:00", "17:00", "12:00", "13:00"]
    assert event.changes["opening_hours"][1]["4"] == ["08:00", "15:00"]

    form = client.get(f"/manage/hubs/{hub.id}/opening-hours")
    assert shows(form, 'name="day_0-break_starts" type="time" value="12:00"')
    assert shows(form, 'name="day_0-break_ends" type="time" value="13:00"')
    assert shows(form, 'name="day_4-break_starts" type="time" value=""')

    page = client.get(f"/manage/hubs/{hub.id}")
    lunch = said(
        "%(opens)s–%(closes)s, lunch %(lunch_starts)s–%(lunch_ends)s",
        opens="08.00",
        closes="17.00",
        lunch_starts="12.00",
        lunch_ends="13.00",
    )
    assert text(page).count(lunch) == 4
    assert shows(page, "08.00–15.00")


@pytest.mark.parametrize(
    ("day", "message"),
    [
        (("08:00", "17:00", "12:00", ""), "Give both lunch times, or neither for no break."),
        (("08:00", "17:00", "", "13:00"), "Give both lunch times, or neither for no break."),
        (("08:00", "17:00", "13:00", "12:00"), "The lunch break must end after it starts."),
        (("08:00", "17:00", "12:00", "12:00"), "The lunch break must end after it starts."),
        (
            ("08:00", "17:00", "07:00", "09:00"),
            "The lunch break must lie inside the opening hours.",
        ),
        (
            ("08:00", "17:00", "08:00", "09:00"),
            "The lunch break must lie inside the opening hours.",
        ),
        (
            ("08:00", "17:00", "16:00", "17:00"),
            "The lunch break must lie inside the opening hours.",
        ),
        (("", "", "12:00", "13:00"), "A closed day has no lunch break."),
    ],
)
def test_an_invalid_break_changes_nothing(client, hub, manager, day, message):
    with_break(hub, time(11, 30), time(12, 30), weekdays=[0])
    before = snapshot()
    response = client.post(
        f"/manage/hubs/{hub.id}/opening-hours", data=_week(day_0=("08:00", "17:00"), day_3=day)
    )
    assert response.status_code == 422
    assert field_error(response, said(message))
    # The other fields keep what was sent.
    assert shows(response, 'name="day_3-opens" type="time" value="' + day[0] + '"')
    assert snapshot() == before


def test_an_invalid_lunch_time_is_refused(client, hub, manager):
    before = _hours(hub)
    response = client.post(
        f"/manage/hubs/{hub.id}/opening-hours",
        data=_week(day_0=("08:00", "17:00", "12:75", "13:00")),
    )
    assert response.status_code == 422
    assert field_error(response, wtforms_sv("Not a valid time value."))
    assert _hours(hub) == before


def test_the_form_has_four_labelled_times_per_day(client, hub, manager):
    page = text(client.get(f"/manage/hubs/{hub.id}/opening-hours"))
    for weekday in range(7):
        for name in ("opens", "closes", "break_starts", "break_ends"):
            assert f'<label for="day_{weekday}-{name}">' in page
    assert said("Closed for lunch from") in page and said("Closed for lunch until") in page


# --- what employees see --------------------------------------------------------------------


def test_the_hub_page_shows_the_break_and_the_early_closing(client, hub):
    with_break(hub, time(12), time(13))
    hub.close_early_before_holidays = True
    db.session.commit()
    login(client, make_user(organisation=hub.host_organisation))
    page = client.get(f"/hubs/{hub.id}?week=2026-06-15")
    lunch = said(
        "%(opens)s–%(closes)s, lunch %(lunch_starts)s–%(lunch_ends)s",
        opens="08.00",
        closes="17.00",
        lunch_starts="12.00",
        lunch_ends="13.00",
    )
    assert text(page).count(lunch) == 3  # Monday to Wednesday
    early = said(
        "%(opens)s–%(closes)s, lunch %(lunch_starts)s–%(lunch_ends)s",
        opens="08.00",
        closes="14.00",
        lunch_starts="12.00",
        lunch_ends="13.00",
    )
    assert shows(page, early)  # the Thursday before Midsommarafton


def test_the_hub_list_shows_todays_break(client, hub):
    with_break(hub, time(11, 30), time(12, 15))
    with time_machine.travel(datetime(2026, 12, 1, 9, tzinfo=UTC), tick=False):
        login(client, make_user(organisation=hub.host_organisation))
        page = client.get("/hubs")
    assert shows(
        page,
        said(
            "%(opens)s–%(closes)s, lunch %(lunch_starts)s–%(lunch_ends)s",
            opens="08.00",
            closes="17.00",
            lunch_starts="11.30",
            lunch_ends="12.15",
        ),
    )
