"""Booking around a lunch break: a booking may span it but not start or end in it; the quick
windows, availability, the find page, the day view and the API all treat it as closed time.
The hub is open weekdays 08.00–17.00 and closed for lunch 12.00–13.00 unless a test says else;
the clock is frozen on Monday 2026-11-30 (winter time, UTC+1)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time

import pytest

from hubbar.bookings import operations as ops
from hubbar.bookings.models import Booking, DemandMiss
from hubbar.errors import PolicyViolation
from hubbar.extensions import db
from tests.api.helpers import call, error_of, token_for
from tests.bookings.clock import at, frozen
from tests.factories import login, make_desk, make_hub, make_out_of_service, make_user
from tests.helpers import count, reload, shows, sv, text

MONDAY = "2026-11-30"
TUESDAY = "2026-12-01"


def said(msgid: str, **params) -> str:
    """The Swedish text of a message, or its English msgid while the catalogue lacks it."""
    try:
        return sv(msgid, **params)
    except pytest.fail.Exception:
        return msgid % params if params else msgid


def lunch_at(hub, starts: time, ends: time):
    for row in hub.opening_hours:
        row.break_starts, row.break_ends = starts, ends
    db.session.commit()
    return hub


@pytest.fixture()
def hub():
    hub = make_hub(name="Kungsklippan 6")
    for label in ("A", "B", "C"):
        make_desk(hub, label=label)
    return lunch_at(hub, time(12), time(13))


def desk(hub, label):
    return next(d for d in hub.desks if d.label == label)


@pytest.fixture()
def anna(hub):
    return make_user(hub.host_organisation, display_name="Anna Berg")


def utc(day: str, hhmm: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=UTC)


# --- the booking rule ----------------------------------------------------------------------


@frozen(MONDAY, "08:00")
@pytest.mark.parametrize(
    ("start", "end"),
    [("10:00", "15:00"), ("08:00", "17:00"), ("10:00", "12:00"), ("13:00", "15:00")],
    ids=["across", "whole-day", "until-lunch", "from-lunch"],
)
def test_a_booking_may_span_lunch_or_touch_it(hub, anna, start, end):
    booking = reload(ops.book(anna, anna, desk(hub, "A"), at(TUESDAY, start), at(TUESDAY, end)))
    assert (booking.starts_at, booking.ends_at) == (at(TUESDAY, start), at(TUESDAY, end))


@frozen(MONDAY, "08:00")
@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("12:00", "14:00"),  # starts when lunch starts
        ("12:30", "15:00"),  # starts during lunch
        ("10:00", "12:30"),  # ends during lunch
        ("10:00", "13:00"),  # ends when lunch ends
        ("12:00", "13:00"),  # is lunch
    ],
)
def test_a_booking_may_not_start_or_end_during_lunch(hub, anna, start, end):
    with pytest.raises(PolicyViolation) as raised:
        ops.book(anna, anna, desk(hub, "A"), at(TUESDAY, start), at(TUESDAY, end))
    assert raised.value.code == "outside_opening_hours"
    assert str(raised.value.message) == said(
        "The hub is closed for lunch %(starts)s–%(ends)s that day.", starts="12.00", ends="13.00"
    )
    assert count(Booking) == 0


@frozen(MONDAY, "08:00")
def test_the_rule_follows_each_weekdays_break(hub, anna):
    row = next(r for r in hub.opening_hours if r.weekday == 2)  # Wednesdays 11.30–12.15
    row.break_starts, row.break_ends = time(11, 30), time(12, 15)
    hub.slot_minutes = 15
    hub.min_duration_minutes = 15
    db.session.commit()
    ops.book(anna, anna, desk(hub, "A"), at("2026-12-02", "12:15"), at("2026-12-02", "12:45"))
    with pytest.raises(PolicyViolation) as raised:
        ops.book(anna, anna, desk(hub, "B"), at("2026-12-02", "11:00"), at("2026-12-02", "11:45"))
    assert str(raised.value.message) == said(
        "The hub is closed for lunch %(starts)s–%(ends)s that day.", starts="11.30", ends="12.15"
    )
    assert count(Booking) == 1


@frozen(TUESDAY, "12:40")
def test_a_booking_made_during_lunch_for_after_lunch_is_fine(hub, anna):
    with pytest.raises(PolicyViolation):  # "now" is in lunch: the 12.30 slot cannot be booked
        ops.book(anna, anna, desk(hub, "A"), at(TUESDAY, "12:30"), at(TUESDAY, "14:00"))
    booking = ops.book(anna, anna, desk(hub, "A"), at(TUESDAY, "13:00"), at(TUESDAY, "14:00"))
    assert reload(booking).starts_at == utc(TUESDAY, "12:00")


@frozen(MONDAY, "08:00")
def test_any_free_desk_across_lunch(hub, anna):
    other = make_user(hub.host_organisation)
    ops.book(other, other, desk(hub, "A"), at(TUESDAY, "13:00"), at(TUESDAY, "14:00"))
    booking = ops.book_any(anna, anna, hub, at(TUESDAY, "09:00"), at(TUESDAY, "16:00"))
    assert booking.desk.label == "B"
    assert count(DemandMiss) == 0


# --- quick windows -------------------------------------------------------------------------


def windows(hub, day=TUESDAY, now=None) -> dict[str, tuple[str, str]]:
    result = {}
    for choice in ops.QUICK_CHOICES:
        starts, ends = ops.quick_window(hub, datetime.fromisoformat(day).date(), choice, now=now)
        result[choice] = (starts.strftime("%H:%M"), ends.strftime("%H:%M"))
    return result


@pytest.mark.parametrize(
    ("lunch", "expected"),
    [
        (
            (time(12), time(13)),
            {
                "morning": ("08:00", "12:00"),
                "afternoon": ("13:00", "17:00"),
                "day": ("08:00", "17:00"),
            },
        ),
        (  # lunch has begun by noon: it ends the morning and begins the afternoon
            (time(11, 30), time(12, 30)),
            {
                "morning": ("08:00", "11:30"),
                "afternoon": ("12:30", "17:00"),
                "day": ("08:00", "17:00"),
            },
        ),
        (  # lunch after noon: the afternoon spans it
            (time(12, 30), time(13, 30)),
            {
                "morning": ("08:00", "12:00"),
                "afternoon": ("12:00", "17:00"),
                "day": ("08:00", "17:00"),
            },
        ),
        (  # a coffee break in the morning: the morning spans it
            (time(10), time(10, 30)),
            {
                "morning": ("08:00", "12:00"),
                "afternoon": ("12:00", "17:00"),
                "day": ("08:00", "17:00"),
            },
        ),
    ],
    ids=["noon", "before-noon", "after-noon", "morning"],
)
@frozen(MONDAY, "08:00")
def test_quick_windows_around_lunch_are_bookable(hub, anna, lunch, expected):
    lunch_at(hub, *lunch)
    assert windows(hub) == expected
    for label, choice in zip("ABC", ops.QUICK_CHOICES, strict=True):
        starts, ends = ops.quick_window(hub, datetime.fromisoformat(TUESDAY).date(), choice)
        user = anna if choice == "morning" else make_user(hub.host_organisation)
        ops.book(user, user, desk(hub, label), starts, ends)  # none is refused
    assert count(Booking) == 3


def window(hub, choice, now) -> tuple[str, str]:
    starts, ends = ops.quick_window(hub, now.date(), choice, now=now)
    return starts.strftime("%H:%M"), ends.strftime("%H:%M")


def test_quick_windows_during_lunch_start_after_it(hub):
    assert window(hub, "afternoon", at(TUESDAY, "12:10")) == ("13:00", "17:00")
    assert window(hub, "day", at(TUESDAY, "12:10")) == ("13:00", "17:00")
    with pytest.raises(PolicyViolation) as raised:
        window(hub, "morning", at(TUESDAY, "12:10"))
    assert raised.value.code == "in_the_past"
    assert window(hub, "morning", at(TUESDAY, "11:50")) == ("11:30", "12:00")
    assert window(hub, "day", at(TUESDAY, "11:50")) == ("11:30", "17:00")


def test_a_break_that_ends_at_noon_ends_the_morning(hub):
    lunch_at(hub, time(11), time(12))
    assert windows(hub) == {
        "morning": ("08:00", "11:00"),
        "afternoon": ("12:00", "17:00"),
        "day": ("08:00", "17:00"),
    }


# --- availability --------------------------------------------------------------------------


@frozen(MONDAY, "08:00")
def test_lunch_is_not_free_time_and_a_desk_free_all_open_time_is_free(hub, anna):
    other = make_user(hub.host_organisation)
    ops.book(anna, anna, desk(hub, "A"), at(TUESDAY, "08:00"), at(TUESDAY, "10:00"))
    ops.book(other, other, desk(hub, "B"), at(TUESDAY, "10:00"), at(TUESDAY, "15:00"))
    states = {
        s.desk.label: s for s in ops.availability(hub, at(TUESDAY, "07:00"), at(TUESDAY, "18:00"))
    }
    assert {k: s.state for k, s in states.items()} == {"A": "partly", "B": "partly", "C": "free"}
    assert states["C"].free == [
        (utc(TUESDAY, "07:00"), utc(TUESDAY, "11:00")),
        (utc(TUESDAY, "12:00"), utc(TUESDAY, "16:00")),
    ]
    assert states["A"].free == [
        (utc(TUESDAY, "09:00"), utc(TUESDAY, "11:00")),
        (utc(TUESDAY, "12:00"), utc(TUESDAY, "16:00")),
    ]
    assert states["B"].free == [
        (utc(TUESDAY, "07:00"), utc(TUESDAY, "09:00")),
        (utc(TUESDAY, "14:00"), utc(TUESDAY, "16:00")),
    ]


@frozen(MONDAY, "08:00")
def test_a_window_inside_lunch_is_closed_and_no_unmet_demand(hub, anna):
    states = ops.search(anna, hub, at(TUESDAY, "12:00"), at(TUESDAY, "13:00"))
    assert {s.state for s in states} == {"closed"}
    assert {str(s.reason) for s in states} == {said("Closed for lunch")}
    assert count(DemandMiss) == 0


@frozen(MONDAY, "08:00")
def test_a_desk_out_of_service_over_lunch_only_is_free(hub, anna):
    make_out_of_service(desk(hub, "A"), at(TUESDAY, "12:00"), at(TUESDAY, "13:00"), "Städning")
    make_out_of_service(desk(hub, "B"), at(TUESDAY, "07:00"), at(TUESDAY, "18:00"), "Ny skiva")
    states = {
        s.desk.label: s for s in ops.search(anna, hub, at(TUESDAY, "08:00"), at(TUESDAY, "17:00"))
    }
    assert states["A"].state == "free"
    assert (states["B"].state, states["B"].reason) == ("out_of_service", "Ny skiva")
    assert count(DemandMiss) == 0


# --- pages (English users: the tests read the msgids) ----------------------------------------


@pytest.fixture()
def erik(hub):
    return make_user(hub.host_organisation, display_name="Erik Sund", locale="en")


def as_user(app, user):
    client = app.test_client()
    login(client, user)
    return client


def wish(hub, day=TUESDAY, choice="custom", **extra) -> dict:
    return {"hub": str(hub.id), "date": day, "choice": choice, **extra}


@frozen(MONDAY, "08:00")
def test_the_find_page_refuses_a_booking_that_ends_in_lunch(app, hub, erik):
    client = as_user(app, erik)
    refused = client.post(
        "/book", data=wish(hub, start="10:00", end="12:30", desk=str(desk(hub, "A").id))
    )
    assert refused.status_code == 422
    assert shows(refused, "Not booked:")
    assert shows(refused, "The hub is closed for lunch 12:00–13:00 that day.")
    assert count(Booking) == 0
    booked = client.post(
        "/book", data=wish(hub, start="10:00", end="14:00", desk=str(desk(hub, "A").id))
    )
    assert booked.status_code == 302
    assert count(Booking) == 1


@frozen(MONDAY, "08:00")
def test_the_find_page_offers_no_times_inside_lunch(app, hub, erik):
    page = text(as_user(app, erik).get("/book", query_string=wish(hub, choice="afternoon")))
    offered = set(re.findall(r'<option value="(\d\d:\d\d)"', page))
    assert {"11:30", "12:00", "13:00", "13:30"} <= offered
    assert "12:30" not in offered
    # The quick choices say what they mean that day.
    assert "08:00–12:00" in page and "13:00–17:00" in page and "08:00–17:00" in page


@frozen(MONDAY, "08:00")
def test_the_day_view_shows_lunch_as_closed(app, hub, erik):
    other = make_user(hub.host_organisation)
    ops.book(other, other, desk(hub, "A"), at(TUESDAY, "10:00"), at(TUESDAY, "15:00"))
    body = text(as_user(app, erik).get(f"/hubs/{hub.id}/day?date={TUESDAY}"))
    assert "Open 08:00–17:00, closed for lunch 12:00–13:00." in body
    # B and C: free, lunch, free; the stretches before and after lunch can be booked.
    assert len(re.findall(r"12:00–13:00</span>\s*<span[^>]*>.*?Closed for lunch", body, re.S)) == 2
    assert len(re.findall(r"start=08:00&end=12:00", body)) == 2
    assert len(re.findall(r"start=13:00&end=17:00", body)) == 2
    # A: one booking across lunch.
    assert re.search(r"10:00–15:00</span>\s*<span[^>]*>.*?Booked", body, re.S)
    assert 'class="bar-closed"' in body


# --- the API -------------------------------------------------------------------------------


@frozen(MONDAY, "08:00")
def test_the_api_shows_the_break_and_refuses_a_start_in_it(client, hub, erik):
    token = token_for(erik)
    [shown] = call(client, "GET", "/api/v1/hubs", token).get_json()["hubs"]
    assert shown["opening_hours"][0] == {
        "weekday": 0,
        "opens": "08:00",
        "closes": "17:00",
        "break_starts": "12:00",
        "break_ends": "13:00",
    }
    response = call(
        client,
        "POST",
        "/api/v1/bookings",
        token,
        json={"desk_id": desk(hub, "A").id, "start": f"{TUESDAY}T12:30", "end": f"{TUESDAY}T15:00"},
    )
    assert error_of(response, 422, "outside_opening_hours") == (
        "The hub is closed for lunch 12:00–13:00 that day."
    )
    assert count(Booking) == 0
    response = call(
        client,
        "POST",
        "/api/v1/bookings",
        token,
        json={"desk_id": desk(hub, "A").id, "start": f"{TUESDAY}T11:00", "end": f"{TUESDAY}T15:00"},
    )
    assert response.status_code == 201
    assert count(Booking) == 1
