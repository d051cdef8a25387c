"""Every booking rule refuses with its own code and a message that names the rule; the clock is
frozen, so "the past", "too far ahead", holidays and DST are exact."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from hubbar.bookings import operations as ops
from hubbar.bookings.models import Booking, BookingStatus, DemandMiss
from hubbar.errors import BookingConflict, InvalidInput, NotAllowed, PolicyViolation
from hubbar.extensions import db
from tests.bookings.clock import at, frozen, local
from tests.factories import (
    make_closure,
    make_hub,
    make_hub_manager,
    make_organisation,
    make_out_of_service,
    make_user,
)
from tests.helpers import audit_events, count, reload, sv

MONDAY = "2026-11-30"
TUESDAY = "2026-12-01"


@pytest.fixture()
def guest():
    return make_organisation(name="Kulturförvaltningen", code="KuF")


@pytest.fixture()
def hub(guest):
    hub = make_hub(desks=2, name="Kungsklippan 6")
    hub.admitted_organisations.append(guest)
    db.session.commit()
    return hub


@pytest.fixture()
def desk(hub):
    return hub.desks[0]


@pytest.fixture()
def anna(guest):
    return make_user(guest, display_name="Anna Berg")


def refusal(error_type, call, *args, **kwargs):
    """The error an operation raises; the database is left as it was."""
    before = count(Booking)
    with pytest.raises(error_type) as raised:
        call(*args, **kwargs)
    assert count(Booking) == before
    return raised.value


def refused(desk, user, start, end, **kwargs) -> PolicyViolation:
    return refusal(PolicyViolation, ops.book, user, user, desk, start, end, **kwargs)


# --- who may book what ----------------------------------------------------------------------


@frozen(MONDAY, "08:00")
def test_an_ordinary_booking_is_stored_in_utc_with_its_history(desk, anna):
    booking = ops.book(anna, anna, desk, at(TUESDAY, "09:00"), at(TUESDAY, "12:00"))
    booking = reload(booking)
    assert booking.status is BookingStatus.CONFIRMED
    assert booking.starts_at == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    assert booking.ends_at == booking.occupied_until == datetime(2026, 12, 1, 11, 0, tzinfo=UTC)
    assert booking.hub_id == desk.hub_id and booking.organisation_id == anna.organisation_id
    assert booking.checkin_required and booking.booked_by_id is None
    assert booking.created_at == at(MONDAY, "08:00")
    assert [(e.status, e.occurred_at, e.actor_id) for e in booking.events] == [
        (BookingStatus.CONFIRMED, at(MONDAY, "08:00"), anna.id)
    ]


@frozen(MONDAY, "08:00")
def test_an_inactive_hub_takes_no_bookings(hub, desk, anna):
    hub.active = False
    db.session.commit()
    error = refused(desk, anna, at(TUESDAY, "09:00"), at(TUESDAY, "12:00"))
    assert error.code == "hub_inactive"
    assert str(error.message) == sv("The hub does not take bookings.")


@frozen(MONDAY, "08:00")
def test_an_organisation_the_hub_does_not_admit_is_refused(hub, desk):
    stranger = make_user(make_organisation(name="Stadsbyggnadskontoret", code="SBK"))
    error = refused(desk, stranger, at(TUESDAY, "09:00"), at(TUESDAY, "12:00"))
    assert error.code == "organisation_not_admitted"
    assert str(error.message) == sv(
        "%(hub)s does not take bookings from %(org)s.",
        hub="Kungsklippan 6",
        org="Stadsbyggnadskontoret",
    )
    # The host's own staff may always book.
    host_employee = make_user(hub.host_organisation)
    ops.book(host_employee, host_employee, desk, at(TUESDAY, "09:00"), at(TUESDAY, "12:00"))


@frozen(MONDAY, "08:00")
def test_an_inactive_desk_cannot_be_booked(desk, anna):
    desk.active = False
    db.session.commit()
    error = refused(desk, anna, at(TUESDAY, "09:00"), at(TUESDAY, "12:00"))
    assert error.code == "desk_inactive"
    assert str(error.message) == sv("%(label)s cannot be booked.", label=desk.label)


# --- the shape of the time ------------------------------------------------------------------


@frozen(MONDAY, "08:00")
def test_times_follow_the_hubs_slot_grid(hub, desk, anna):
    error = refused(desk, anna, at(TUESDAY, "09:15"), at(TUESDAY, "10:00"))
    assert error.code == "granularity"
    assert str(error.message) == sv(
        "Bookings start and end on whole %(n)d minutes (for example 09.00 or 09.30).", n=30
    )
    assert refused(desk, anna, at(TUESDAY, "09:00:30"), at(TUESDAY, "10:00")).code == (
        "granularity"
    )
    hub.slot_minutes, hub.min_duration_minutes = 15, 15
    db.session.commit()
    ops.book(anna, anna, desk, at(TUESDAY, "09:15"), at(TUESDAY, "10:00"))


@frozen(MONDAY, "08:00")
def test_too_short_and_too_long(hub, desk, anna):
    hub.min_duration_minutes, hub.max_duration_minutes = 60, 240
    db.session.commit()
    short = refused(desk, anna, at(TUESDAY, "09:00"), at(TUESDAY, "09:30"))
    assert short.code == "too_short"
    assert str(short.message) == sv("A booking must be at least %(n)d minutes.", n=60)
    long = refused(desk, anna, at(TUESDAY, "08:00"), at(TUESDAY, "12:30"))
    assert long.code == "too_long"
    assert str(long.message) == sv("A booking can be at most %(n)d minutes.", n=240)
    ops.book(anna, anna, desk, at(TUESDAY, "08:00"), at(TUESDAY, "12:00"))  # exactly the most


def test_end_before_start_and_times_without_zone_are_invalid(desk, anna):
    with frozen(MONDAY, "08:00"):
        error = refusal(
            InvalidInput, ops.book, anna, anna, desk, at(TUESDAY, "10:00"), at(TUESDAY, "09:00")
        )
        assert error.code == "invalid_window"
        assert str(error.message) == sv("The end must be after the start.")
        naive = datetime(2026, 12, 1, 9, 0)
        error = refusal(InvalidInput, ops.book, anna, anna, desk, naive, naive.replace(hour=10))
        assert str(error.message) == sv("Give times with a time zone.")


def test_the_past_is_refused_but_the_current_slot_is_not(desk, anna):
    with frozen(TUESDAY, "10:10"):
        error = refused(desk, anna, at(TUESDAY, "09:30"), at(TUESDAY, "11:00"))
        assert error.code == "in_the_past"
        assert str(error.message) == sv("That time has passed.")
        # 10.00 is the slot we are in: bookable until 10.30.
        ops.book(anna, anna, desk, at(TUESDAY, "10:00"), at(TUESDAY, "11:00"))


def test_how_far_ahead(hub, desk, anna):
    hub.max_days_ahead = 7
    db.session.commit()
    with frozen(MONDAY, "16:59"):
        error = refused(desk, anna, at("2026-12-08", "09:00"), at("2026-12-08", "10:00"))
        assert error.code == "too_far_ahead"
        assert str(error.message) == sv("You can book at most %(n)d days ahead.", n=7)
        ops.book(anna, anna, desk, at("2026-12-07", "16:00"), at("2026-12-07", "17:00"))
    with frozen(TUESDAY, "00:01"):  # a new day, one more day to book
        ops.book(anna, anna, desk, at("2026-12-08", "09:00"), at("2026-12-08", "10:00"))


# --- open days and opening hours ------------------------------------------------------------


@frozen("2026-06-15", "08:00")
def test_a_public_holiday_is_closed_and_named(desk, anna):
    error = refused(desk, anna, at("2026-06-19", "09:00"), at("2026-06-19", "12:00"))
    assert error.code == "closed_day"
    assert str(error.message) == sv(
        "The hub is closed on %(day)s: %(reason)s.", day="2026-06-19", reason="Midsommarafton"
    )
    # The day before is an ordinary day unless the hub closes early before holidays.
    ops.book(anna, anna, desk, at("2026-06-18", "13:00"), at("2026-06-18", "17:00"))


@frozen("2026-03-30", "08:00")
def test_easter_and_the_hubs_own_closures(hub, desk, anna):
    for day, name in [("2026-04-03", "Långfredagen"), ("2026-04-06", "Annandag påsk")]:
        error = refused(desk, anna, at(day, "09:00"), at(day, "12:00"))
        assert (error.code, str(error.message)) == (
            "closed_day",
            sv("The hub is closed on %(day)s: %(reason)s.", day=day, reason=name),
        )
    make_closure(hub, datetime(2026, 4, 8).date(), reason="Personaldag")
    error = refused(desk, anna, at("2026-04-08", "09:00"), at("2026-04-08", "12:00"))
    assert str(error.message) == sv(
        "The hub is closed on %(day)s: %(reason)s.", day="2026-04-08", reason="Personaldag"
    )
    # An ordinary Saturday, without opening hours: closed, no reason to name.
    error = refused(desk, anna, at("2026-04-11", "09:00"), at("2026-04-11", "12:00"))
    assert str(error.message) == sv("The hub is closed on %(day)s.", day="2026-04-11")


@frozen(MONDAY, "07:00")
def test_outside_opening_hours(desk, anna):
    for start, end in [("07:30", "09:00"), ("16:00", "17:30"), ("17:00", "18:00")]:
        error = refused(desk, anna, at(TUESDAY, start), at(TUESDAY, end))
        assert error.code == "outside_opening_hours"
        assert str(error.message) == sv(
            "The hub is open %(opens)s–%(closes)s that day.", opens="08.00", closes="17.00"
        )
    ops.book(anna, anna, desk, at(TUESDAY, "08:00"), at(TUESDAY, "17:00"))


@frozen("2026-10-26", "08:00")
def test_a_bank_eve_closes_at_14_when_the_hub_says_so(hub, desk, anna):
    """2026-10-30 is Allahelgonsafton, a day that closes at 14.00."""
    other_hub = make_hub(desks=1, host=hub.host_organisation)
    erik = make_user(hub.host_organisation)
    # A hub that does not close early keeps its ordinary hours.
    ops.book(erik, erik, other_hub.desks[0], at("2026-10-30", "13:00"), at("2026-10-30", "17:00"))

    hub.close_early_before_holidays = True
    db.session.commit()
    error = refused(desk, anna, at("2026-10-30", "13:00"), at("2026-10-30", "15:00"))
    assert error.code == "outside_opening_hours"
    assert str(error.message) == sv(
        "The hub is open %(opens)s–%(closes)s that day.", opens="08.00", closes="14.00"
    )
    ops.book(anna, anna, desk, at("2026-10-30", "12:00"), at("2026-10-30", "14:00"))
    # An ordinary Friday the week after: open until 17.00 again.
    ops.book(anna, anna, desk, at("2026-11-06", "13:00"), at("2026-11-06", "17:00"))


@frozen(MONDAY, "08:00")
def test_a_desk_out_of_service(desk, anna):
    make_out_of_service(desk, at(TUESDAY, "11:00"), at("2026-12-02", "00:00"), "Trasig stol")
    error = refused(desk, anna, at(TUESDAY, "10:00"), at(TUESDAY, "12:00"))
    assert error.code == "desk_out_of_service"
    assert str(error.message) == sv(
        "%(label)s is out of service then: %(reason)s.", label=desk.label, reason="Trasig stol"
    )
    ops.book(anna, anna, desk, at(TUESDAY, "08:00"), at(TUESDAY, "11:00"))  # until it breaks


# --- one person, one desk at a time; how many ahead -----------------------------------------


@frozen(MONDAY, "08:00")
def test_one_person_cannot_be_at_two_hubs_at_once(hub, desk, anna, guest):
    elsewhere = make_hub(desks=1, host=guest, name="Kulturförvaltningen Rinkeby")
    ops.book(anna, anna, elsewhere.desks[0], at(TUESDAY, "09:00"), at(TUESDAY, "12:00"))
    error = refused(desk, anna, at(TUESDAY, "11:30"), at(TUESDAY, "13:00"))
    assert error.code == "user_overlap"
    assert str(error.message) == sv(
        "You already have a booking then: %(desk)s at %(hub)s, %(start)s.",
        desk="D1",
        hub="Kulturförvaltningen Rinkeby",
        start="2026-12-01 09.00",
    )
    ops.book(anna, anna, desk, at(TUESDAY, "12:00"), at(TUESDAY, "15:00"))  # back to back: fine


@frozen(MONDAY, "08:00")
def test_too_many_upcoming_bookings_at_one_hub(hub, desk, anna):
    hub.max_active_bookings = 2
    db.session.commit()
    first = ops.book(anna, anna, desk, at(TUESDAY, "09:00"), at(TUESDAY, "10:00"))
    ops.book(anna, anna, desk, at("2026-12-02", "09:00"), at("2026-12-02", "10:00"))
    error = refused(desk, anna, at("2026-12-03", "09:00"), at("2026-12-03", "10:00"))
    assert error.code == "too_many_bookings"
    assert str(error.message) == sv(
        "You have %(n)d upcoming bookings at this hub, the most it allows.", n=2
    )
    ops.cancel(anna, first)
    ops.book(anna, anna, desk, at("2026-12-03", "09:00"), at("2026-12-03", "10:00"))


@frozen(MONDAY, "08:00")
def test_a_taken_desk_is_a_conflict_and_unmet_demand(desk, anna):
    erik = make_user(desk.hub.host_organisation)
    ops.book(erik, erik, desk, at(TUESDAY, "09:00"), at(TUESDAY, "12:00"))
    error = refusal(
        BookingConflict, ops.book, anna, anna, desk, at(TUESDAY, "11:00"), at(TUESDAY, "13:00")
    )
    assert error.code == "booking_conflict" and error.status == 409
    assert str(error.message) == sv(
        "%(label)s is already booked then. Choose another time or desk.", label=desk.label
    )
    miss = db.session.scalar(select(DemandMiss))
    assert (miss.hub_id, miss.organisation_id, miss.source) == (
        desk.hub_id,
        anna.organisation_id,
        "booking",
    )
    assert (miss.wanted_start, miss.wanted_end) == (at(TUESDAY, "11:00"), at(TUESDAY, "13:00"))
    ops.book(anna, anna, desk, at(TUESDAY, "12:00"), at(TUESDAY, "13:00"))


@frozen(MONDAY, "08:00")
def test_an_on_behalf_booking_that_loses_the_race_is_the_ordinary_conflict(
    hub, desk, anna, monkeypatch
):
    """The audit row is written with the booking; the database's refusal must still become
    the conflict answer, not an error page."""
    manager = make_hub_manager(hub)
    erik = make_user(hub.host_organisation)
    ops.book(erik, erik, desk, at(TUESDAY, "09:00"), at(TUESDAY, "12:00"))
    monkeypatch.setattr(ops, "_desk_taken", lambda *args: None)
    error = refusal(
        BookingConflict, ops.book, manager, anna, desk, at(TUESDAY, "10:00"), at(TUESDAY, "11:00")
    )
    assert error.code == "booking_conflict"
    assert audit_events("booking.on_behalf") == []


# --- DST: wall-clock times stay as booked ---------------------------------------------------


@pytest.mark.parametrize(
    ("friday", "monday", "offset_before", "offset_after"),
    [
        ("2026-03-27", "2026-03-30", 1, 2),  # clocks go forward on Sunday 2026-03-29
        ("2026-10-23", "2026-10-26", 2, 1),  # and back on Sunday 2026-10-25
    ],
)
def test_bookings_around_a_dst_change_keep_their_wall_clock_times(
    desk, anna, friday, monday, offset_before, offset_after
):
    now = at(friday, "07:00")
    with frozen(friday, "07:00"):
        before = ops.book(anna, anna, desk, at(friday, "08:00"), at(friday, "12:00"))
        after = ops.book(anna, anna, desk, at(monday, "08:00"), at(monday, "12:00"), now=now)
        sunday = f"{monday[:8]}{int(monday[8:]) - 1:02d}"
        error = refused(desk, anna, at(sunday, "08:00"), at(sunday, "12:00"))
        assert error.code == "closed_day"
        assert str(error.message) == sv("The hub is closed on %(day)s.", day=sunday)
    before, after = reload(before), reload(after)
    assert before.starts_at.hour == 8 - offset_before
    assert after.starts_at.hour == 8 - offset_after
    for booking, day in [(before, friday), (after, monday)]:
        assert (local(booking.starts_at), local(booking.ends_at)) == (
            f"{day} 08:00",
            f"{day} 12:00",
        )
        assert booking.ends_at - booking.starts_at == (at(day, "12:00") - at(day, "08:00"))


def test_the_check_in_deadline_on_the_monday_after_dst_is_local_time(desk, anna):
    with frozen("2026-03-27", "09:00"):
        booking = ops.book(anna, anna, desk, at("2026-03-30", "08:00"), at("2026-03-30", "12:00"))
    with frozen("2026-03-30", "08:29"):
        assert ops.release_no_shows() == []
    with frozen("2026-03-30", "08:30"):
        assert [b.id for b in ops.release_no_shows()] == [booking.id]
    assert local(reload(booking).released_at) == "2026-03-30 08:30"


# --- on someone's behalf --------------------------------------------------------------------


@frozen(MONDAY, "08:00")
def test_hub_managers_book_on_behalf_and_others_may_not(hub, desk, anna, guest):
    manager = make_hub_manager(hub)
    booking = ops.book(manager, anna, desk, at(TUESDAY, "09:00"), at(TUESDAY, "12:00"))
    booking = reload(booking)
    assert (booking.user_id, booking.booked_by_id) == (anna.id, manager.id)
    assert booking.organisation_id == anna.organisation_id  # the booker's, not the manager's
    assert booking.events[0].actor_id == manager.id
    assert [e.object_id for e in audit_events("booking.on_behalf")] == [booking.id]

    colleague = make_user(guest)
    other_manager = make_hub_manager(make_hub())
    for actor in (colleague, other_manager):
        error = refusal(
            NotAllowed,
            ops.book,
            actor,
            anna,
            desk,
            at("2026-12-02", "09:00"),
            at("2026-12-02", "12:00"),
        )
        assert str(error.message) == sv("Only the hub's managers can book on someone's behalf.")
    with pytest.raises(NotAllowed):
        ops.book_any(colleague, anna, hub, at("2026-12-02", "09:00"), at("2026-12-02", "12:00"))
