"""Which desks are free, quick windows, "any free desk", and unmet demand, with a frozen clock."""

from __future__ import annotations

from datetime import date, time

import pytest
from sqlalchemy import select

from hubbar.bookings import operations as ops
from hubbar.bookings.models import Booking, DemandMiss
from hubbar.errors import BookingConflict, InvalidInput, PolicyViolation
from hubbar.extensions import db
from hubbar.hubs.models import Equipment as E
from hubbar.hubs.models import OpeningHours
from tests.bookings.clock import at, frozen, local
from tests.factories import make_desk, make_hub, make_out_of_service, make_user
from tests.helpers import count, sv

MONDAY = "2026-11-30"
TUESDAY = "2026-12-01"


@pytest.fixture()
def hub():
    hub = make_hub(name="Stadsarkivet Liljeholmskajen")
    make_desk(hub, [E.SCREEN, E.DOCKING_STATION, E.ACCESSIBLE], label="A")
    make_desk(hub, [E.SCREEN], label="B")
    make_desk(hub, [E.SCREEN, E.DOCKING_STATION], label="C")
    return hub


def desk(hub, label):
    return next(d for d in hub.desks if d.label == label)


def states(hub, start, end, equipment=()):
    return {s.desk.label: s for s in ops.availability(hub, start, end, equipment)}


def employee(hub):
    return make_user(hub.host_organisation)


# --- availability ---------------------------------------------------------------------------


@frozen(MONDAY, "08:00")
def test_free_partly_booked_and_out_of_service(hub):
    anna = employee(hub)
    ops.book(anna, anna, desk(hub, "A"), at(TUESDAY, "09:00"), at(TUESDAY, "12:00"))
    make_out_of_service(desk(hub, "B"), at(TUESDAY, "07:00"), at(TUESDAY, "18:00"), "Ny skärm")

    morning = states(hub, at(TUESDAY, "08:00"), at(TUESDAY, "12:00"))
    assert {k: s.state for k, s in morning.items()} == {
        "A": "partly",
        "B": "out_of_service",
        "C": "free",
    }
    assert str(morning["A"].reason) == sv("Partly free")
    assert [(local(a), local(b)) for a, b in morning["A"].free] == [
        (f"{TUESDAY} 08:00", f"{TUESDAY} 09:00")
    ]
    assert morning["B"].reason == "Ny skärm"
    assert [(local(a), local(b)) for a, b in morning["C"].free] == [
        (f"{TUESDAY} 08:00", f"{TUESDAY} 12:00")
    ]

    taken = states(hub, at(TUESDAY, "09:00"), at(TUESDAY, "12:00"))
    assert (taken["A"].state, str(taken["A"].reason)) == ("booked", sv("Booked"))


@frozen(MONDAY, "08:00")
def test_a_booking_cancelled_before_start_leaves_the_desk_free(hub):
    anna = employee(hub)
    booking = ops.book(anna, anna, desk(hub, "C"), at(TUESDAY, "10:00"), at(TUESDAY, "11:00"))
    ops.cancel(anna, booking)
    window = states(hub, at(TUESDAY, "09:00"), at(TUESDAY, "12:00"))
    assert window["C"].state == "free"
    assert ops.bookings_on_desk(desk(hub, "C"), at(TUESDAY, "08:00"), at(TUESDAY, "17:00")) == []


@frozen(MONDAY, "08:00")
def test_a_window_reaching_outside_opening_hours_is_judged_over_the_open_part(hub):
    """A desk free all the time the hub is open in the wish is free, not 'partly'."""
    early = states(hub, at(TUESDAY, "07:00"), at(TUESDAY, "09:00"))
    assert {s.state for s in early.values()} == {"free"}
    assert [(local(a), local(b)) for a, b in early["C"].free] == [
        (f"{TUESDAY} 08:00", f"{TUESDAY} 09:00")
    ]
    night = states(hub, at(TUESDAY, "18:00"), at(TUESDAY, "20:00"))
    assert {(s.state, str(s.reason)) for s in night.values()} == {
        ("closed", sv("Outside opening hours"))
    }


@frozen("2026-12-20", "08:00")
def test_on_a_holiday_every_desk_is_closed_with_its_name(hub):
    julafton = states(hub, at("2026-12-24", "09:00"), at("2026-12-24", "12:00"))
    assert {(s.state, s.reason) for s in julafton.values()} == {("closed", "Julafton")}


@frozen(MONDAY, "08:00")
def test_equipment_filter(hub):
    assert set(states(hub, at(TUESDAY, "09:00"), at(TUESDAY, "10:00"), [E.SCREEN])) == {
        "A",
        "B",
        "C",
    }
    assert set(states(hub, at(TUESDAY, "09:00"), at(TUESDAY, "10:00"), [E.DOCKING_STATION])) == {
        "A",
        "C",
    }
    assert set(states(hub, at(TUESDAY, "09:00"), at(TUESDAY, "10:00"), [E.ACCESSIBLE])) == {"A"}
    assert states(hub, at(TUESDAY, "09:00"), at(TUESDAY, "10:00"), [E.QUIET_ZONE]) == {}
    desk(hub, "A").active = False
    db.session.commit()
    assert set(states(hub, at(TUESDAY, "09:00"), at(TUESDAY, "10:00"))) == {"B", "C"}


def test_availability_on_the_monday_after_dst(hub):
    with frozen("2026-03-27", "08:00"):
        free = states(hub, at("2026-03-30", "08:00"), at("2026-03-30", "12:00"))["C"].free
    assert [(a.hour, b.hour) for a, b in free] == [(6, 10)]  # UTC+2 from Sunday on


# --- quick windows --------------------------------------------------------------------------


def _window(hub, day, choice):
    start, end = ops.quick_window(hub, day, choice)
    return local(start)[-5:], local(end)[-5:]


def test_quick_windows_morning_afternoon_and_day(hub):
    tuesday = date(2026, 12, 1)
    assert _window(hub, tuesday, "morning") == ("08:00", "12:00")
    assert _window(hub, tuesday, "afternoon") == ("12:00", "17:00")
    assert _window(hub, tuesday, "day") == ("08:00", "17:00")
    with pytest.raises(InvalidInput) as error:
        ops.quick_window(hub, tuesday, "evening")
    assert str(error.value.message) == sv("Choose morning, afternoon or the whole day.")


def test_quick_windows_on_a_short_day_and_a_closed_day(hub):
    hub.close_early_before_holidays = True
    db.session.commit()
    allahelgonsafton = date(2026, 10, 30)
    assert _window(hub, allahelgonsafton, "morning") == ("08:00", "12:00")
    assert _window(hub, allahelgonsafton, "afternoon") == ("12:00", "14:00")
    assert _window(hub, allahelgonsafton, "day") == ("08:00", "14:00")
    with pytest.raises(PolicyViolation) as closed:
        ops.quick_window(hub, date(2026, 12, 25), "morning")
    assert closed.value.code == "closed_day"
    assert str(closed.value.message) == sv(
        "The hub is closed on %(day)s: %(reason)s.", day="2026-12-25", reason="Juldagen"
    )


def test_a_quick_window_outside_the_days_hours_is_refused(hub):
    hub.opening_hours = [OpeningHours(weekday=d, opens=time(13), closes=time(17)) for d in range(5)]
    db.session.commit()
    with pytest.raises(PolicyViolation) as refused:
        ops.quick_window(hub, date(2026, 12, 1), "morning")
    assert refused.value.code == "outside_opening_hours"
    assert str(refused.value.message) == sv("The hub is not open then that day.")
    assert _window(hub, date(2026, 12, 1), "afternoon") == ("13:00", "17:00")


# --- any free desk --------------------------------------------------------------------------


@frozen(MONDAY, "08:00")
def test_any_desk_takes_the_best_match_and_keeps_special_desks_free(hub):
    people = [employee(hub) for _ in range(4)]
    start, end = at(TUESDAY, "09:00"), at(TUESDAY, "12:00")
    # Only a screen wished: B has nothing extra; then C (one extra) before A (two).
    picked = [ops.book_any(p, p, hub, start, end, [E.SCREEN]).desk.label for p in people[:3]]
    assert picked == ["B", "C", "A"]
    with pytest.raises(BookingConflict) as refused:
        ops.book_any(people[3], people[3], hub, start, end, [E.SCREEN])
    assert refused.value.code == "booking_conflict"
    assert str(refused.value.message) == sv(
        "No desk with what you asked for is free then. Try another time or hub."
    )
    misses = db.session.scalars(select(DemandMiss)).all()
    assert [(m.source, m.organisation_id, m.wanted_start) for m in misses] == [
        ("booking", people[3].organisation_id, start)
    ]


@frozen(MONDAY, "08:00")
def test_any_desk_leaves_the_accessible_desk_for_those_who_ask(hub):
    """A (accessible) has no more extras than an ordinary desk would: still picked last."""
    make_desk(hub, [E.SCREEN, E.DOCKING_STATION, E.HEIGHT_ADJUSTABLE], label="D")
    people = [employee(hub) for _ in range(4)]
    start, end = at(TUESDAY, "09:00"), at(TUESDAY, "12:00")
    wish = [E.SCREEN, E.DOCKING_STATION]
    picked = [ops.book_any(p, p, hub, start, end, wish).desk.label for p in people[:3]]
    assert picked == ["C", "D", "A"]
    other_day = at("2026-12-02", "09:00"), at("2026-12-02", "12:00")
    asked = ops.book_any(people[3], people[3], hub, *other_day, [E.ACCESSIBLE])
    assert asked.desk.label == "A"


@frozen(MONDAY, "08:00")
def test_any_desk_with_a_docking_station_skips_the_desk_without(hub):
    anna = employee(hub)
    booking = ops.book_any(
        anna, anna, hub, at(TUESDAY, "09:00"), at(TUESDAY, "12:00"), [E.DOCKING_STATION]
    )
    assert booking.desk.label == "C"
    # A policy refusal is not unmet demand.
    with pytest.raises(PolicyViolation):
        ops.book_any(anna, anna, hub, at(TUESDAY, "07:00"), at(TUESDAY, "09:00"))
    assert count(DemandMiss) == 0


# --- unmet demand ---------------------------------------------------------------------------


def test_a_search_that_finds_nothing_is_recorded_once(hub):
    erik, anna = employee(hub), employee(hub)
    start, end = at(TUESDAY, "09:00"), at(TUESDAY, "12:00")
    with frozen(MONDAY, "08:00"):
        for label in ("A", "B", "C"):
            ops.book(None, make_user(hub.host_organisation), desk(hub, label), start, end)
        ops.search(anna, hub, start, end)
        ops.search(erik, hub, start, end)  # same organisation, same window: the same miss
    with frozen(MONDAY, "08:09"):
        ops.search(anna, hub, start, end)
    assert count(DemandMiss) == 1
    with frozen(MONDAY, "08:11"):
        ops.search(anna, hub, start, end)
        ops.search(anna, hub, at(TUESDAY, "13:00"), at(TUESDAY, "14:00"))  # free: no miss
        ops.search(anna, hub, at("2026-12-05", "09:00"), at("2026-12-05", "12:00"))  # closed
    misses = db.session.scalars(select(DemandMiss).order_by(DemandMiss.id)).all()
    assert [(m.source, local(m.created_at)) for m in misses] == [
        ("search", f"{MONDAY} 08:00"),
        ("search", f"{MONDAY} 08:11"),
    ]
    assert {(m.hub_id, m.organisation_id, m.wanted_start, m.wanted_end) for m in misses} == {
        (hub.id, anna.organisation_id, start, end)
    }
    assert count(Booking) == 3
