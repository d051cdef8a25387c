"""A booking's life with a frozen clock: cancel, check in, check out, release, complete; and
the status history each change leaves."""

from __future__ import annotations

from datetime import date

import pytest

from hubbar.bookings import operations as ops
from hubbar.bookings.models import Booking, BookingStatus
from hubbar.db import utcnow
from hubbar.errors import BookingConflict, NotAllowed, PolicyViolation
from hubbar.extensions import db
from tests.bookings.clock import at, frozen, local
from tests.factories import make_hub, make_hub_manager, make_user
from tests.helpers import audit_events, reload, sv

MONDAY = "2026-11-30"
DAY = "2026-12-01"  # the Tuesday every booking here is for


@pytest.fixture()
def hub():
    return make_hub(desks=2)


@pytest.fixture()
def desk(hub):
    return hub.desks[0]


@pytest.fixture()
def anna(hub):
    return make_user(hub.host_organisation, display_name="Anna Berg")


@pytest.fixture()
def erik(hub):
    return make_user(hub.host_organisation, display_name="Erik Sund")


@pytest.fixture()
def booking(desk, anna) -> Booking:
    """Anna's booking 09.00–12.00, made the day before."""
    with frozen(MONDAY, "15:00"):
        return ops.book(anna, anna, desk, at(DAY, "09:00"), at(DAY, "12:00"))


def history(booking: Booking) -> list[tuple[str, str, int | None, str]]:
    booking = reload(booking)
    return [(e.status.value, local(e.occurred_at), e.actor_id, e.note) for e in booking.events]


def refused(call, *args, **kwargs) -> PolicyViolation:
    with pytest.raises(PolicyViolation) as raised:
        call(*args, **kwargs)
    db.session.rollback()
    return raised.value


# --- cancel ---------------------------------------------------------------------------------


def test_cancel_before_start_frees_the_desk_at_once(booking, desk, anna, erik):
    with frozen(DAY, "08:00"):
        ops.cancel(anna, booking)
        # The same window, and one that straddles the cancelled start, are bookable at once.
        ops.book(erik, erik, desk, at(DAY, "08:00"), at(DAY, "10:00"))
        ops.book(anna, anna, desk, at(DAY, "10:00"), at(DAY, "12:00"))
    booking = reload(booking)
    assert booking.status is BookingStatus.CANCELLED
    assert booking.cancelled_at == at(DAY, "08:00")
    assert booking.occupied_until == booking.starts_at  # nothing booked, nothing counted
    assert history(booking) == [
        ("confirmed", f"{MONDAY} 15:00", anna.id, ""),
        ("cancelled", f"{DAY} 08:00", anna.id, ""),
    ]


def test_cancel_after_start_ends_the_booking_then(booking, desk, anna, erik):
    with frozen(DAY, "09:20"):  # started, not checked in, before the 09.30 deadline
        with pytest.raises(BookingConflict):
            ops.book(erik, erik, desk, at(DAY, "09:00"), at(DAY, "12:00"))
        ops.cancel(anna, booking)
        erik_booking = ops.book(erik, erik, desk, at(DAY, "09:00"), at(DAY, "12:00"))
    booking = reload(booking)
    assert booking.status is BookingStatus.CANCELLED
    assert local(booking.cancelled_at) == local(booking.occupied_until) == f"{DAY} 09:20"
    assert local(booking.ends_at) == f"{DAY} 12:00"  # what was booked stays on record
    assert [s for s, *_ in history(booking)] == ["confirmed", "cancelled"]
    # Erik holds the desk from the moment he booked, inside the slot that had begun.
    assert local(reload(erik_booking).starts_at) == f"{DAY} 09:20"


def test_cancelling_while_checked_in_is_a_check_out(booking, desk, anna, erik):
    """Ending a visit early by 'cancel' keeps the used time right: it is a check-out."""
    with frozen(DAY, "09:10"):
        ops.check_in(anna, booking)
    with frozen(DAY, "10:30"):
        ops.cancel(anna, booking)
        ops.book(erik, erik, desk, at(DAY, "10:30"), at(DAY, "12:00"))  # the rest is free
    booking = reload(booking)
    assert booking.status is BookingStatus.COMPLETED
    assert local(booking.checked_out_at) == local(booking.occupied_until) == f"{DAY} 10:30"
    assert booking.cancelled_at is None
    assert [s for s, *_ in history(booking)] == ["confirmed", "checked_in", "completed"]


def test_cancel_past_the_deadline_is_refused_as_a_no_show(booking, anna):
    with frozen(DAY, "09:45"):
        error = refused(ops.cancel, anna, booking)
    assert error.code == "checkin_closed"
    assert reload(booking).status is BookingStatus.CONFIRMED  # the job releases it at 09.30


def test_a_cancelled_or_ended_booking_cannot_be_cancelled(booking, anna):
    with frozen(DAY, "12:00"):
        error = refused(ops.cancel, anna, booking)
        assert (error.code, str(error.message)) == (
            "ended",
            sv("The booking has already ended."),
        )
    with frozen(DAY, "08:00"):
        ops.cancel(anna, booking)
        error = refused(ops.cancel, anna, booking)
        assert error.code == "not_active"
        assert str(error.message) == sv(
            "The booking is %(status)s and cannot be cancelled.", status=sv("Cancelled").lower()
        )


def test_a_manager_cancels_on_behalf_and_it_is_audited(booking, hub, erik):
    manager = make_hub_manager(hub)
    with frozen(DAY, "08:00"):
        with pytest.raises(NotAllowed):
            ops.cancel(erik, booking)
        ops.cancel(manager, booking)
    assert history(booking)[-1] == ("cancelled", f"{DAY} 08:00", manager.id, "")
    assert [e.object_id for e in audit_events("booking.cancel_on_behalf")] == [booking.id]


# --- check in -------------------------------------------------------------------------------


def test_check_in_opens_15_minutes_before_start(booking, anna):
    with frozen(DAY, "08:44"):
        error = refused(ops.check_in, anna, booking)
        assert error.code == "too_early"
        assert str(error.message) == sv(
            "Check-in opens at %(time)s, %(n)d minutes before the start.", time="08.45", n=15
        )
    with frozen(DAY, "08:45"):
        ops.check_in(anna, booking)
        error = refused(ops.check_in, anna, booking)
        assert (error.code, str(error.message)) == (
            "already_checked_in",
            sv("You are already checked in."),
        )
    booking = reload(booking)
    assert booking.status is BookingStatus.CHECKED_IN
    assert local(booking.checked_in_at) == f"{DAY} 08:45"
    assert history(booking)[-1] == ("checked_in", f"{DAY} 08:45", anna.id, "")


def test_check_in_after_release_is_closed(booking, anna):
    with frozen(DAY, "09:30"):
        ops.release_no_shows()
        error = refused(ops.check_in, anna, booking)
    assert error.code == "not_active"
    assert str(error.message) == sv(
        "The booking is %(status)s; check-in is closed.", status=sv("Released (no-show)").lower()
    )


def test_check_in_past_the_deadline_is_closed_before_the_job_has_run(booking, anna):
    """At 09.30 the booking is a no-show by rule; a check-in then is refused and changes
    nothing, even though the minute job has not released it yet."""
    with frozen(DAY, "09:29"):
        assert reload(booking).status is BookingStatus.CONFIRMED
    with frozen(DAY, "09:30"):
        error = refused(ops.check_in, anna, booking)
    assert error.code == "checkin_closed"
    assert str(error.message) == sv(
        "Check-in closed at %(time)s; the desk is released for others.", time="09.30"
    )
    assert reload(booking).status is BookingStatus.CONFIRMED
    assert reload(booking).checked_in_at is None


def test_todays_quick_window_starts_at_the_current_slot(hub):
    with frozen(DAY, "10:15"):
        starts, ends = ops.quick_window(hub, date.fromisoformat(DAY), "morning", now=utcnow())
        assert (local(starts), local(ends)) == (f"{DAY} 10:00", f"{DAY} 12:00")
        # Without ``now`` the morning is the whole morning (a later day, or for display).
        starts, _ = ops.quick_window(hub, date.fromisoformat(DAY), "morning")
        assert local(starts) == f"{DAY} 08:00"
    with frozen(DAY, "12:05"):
        error = refused(ops.quick_window, hub, date.fromisoformat(DAY), "morning", now=utcnow())
    assert error.code == "in_the_past"


# --- release of no-shows --------------------------------------------------------------------


def test_a_no_show_is_released_exactly_after_the_grace_period(booking, desk, erik):
    with frozen(DAY, "09:29"):
        assert ops.release_no_shows() == []
    with frozen(DAY, "09:29:59"):
        assert ops.release_no_shows() == []
    assert reload(booking).status is BookingStatus.CONFIRMED
    with frozen(DAY, "09:30"):
        assert [b.id for b in ops.release_no_shows()] == [booking.id]
        assert ops.release_no_shows() == []  # once
        ops.book(erik, erik, desk, at(DAY, "09:30"), at(DAY, "12:00"))  # the desk is free
    booking = reload(booking)
    assert booking.status is BookingStatus.RELEASED
    assert local(booking.released_at) == local(booking.occupied_until) == f"{DAY} 09:30"
    assert booking.checked_in_at is None
    assert history(booking)[-1] == ("released", f"{DAY} 09:30", None, "")


def test_a_late_run_releases_at_the_deadline_not_at_the_run(booking):
    with frozen(DAY, "10:07"):  # the scheduler was down for a while
        ops.release_no_shows()
    assert local(reload(booking).released_at) == f"{DAY} 09:30"


def test_a_booking_made_after_its_start_gets_its_full_grace_period(desk, anna):
    with frozen(DAY, "09:20"):
        late = ops.book(anna, anna, desk, at(DAY, "09:00"), at(DAY, "12:00"))
    assert ops.release_deadline(reload(late)) == at(DAY, "09:50")
    for moment in ("09:30", "09:31", "09:49", "09:49:59"):
        with frozen(DAY, moment):
            assert ops.release_no_shows() == [], moment
    with frozen(DAY, "09:50"):
        assert [b.id for b in ops.release_no_shows()] == [late.id]
    assert local(reload(late).released_at) == f"{DAY} 09:50"


def test_checked_in_and_check_in_free_bookings_are_never_released(hub, desk, anna, erik):
    hub.checkin_required = False
    db.session.commit()
    with frozen(MONDAY, "15:00"):
        free_of_check_in = ops.book(erik, erik, hub.desks[1], at(DAY, "09:00"), at(DAY, "12:00"))
    hub.checkin_required = True
    db.session.commit()
    with frozen(MONDAY, "15:00"):
        present = ops.book(anna, anna, desk, at(DAY, "09:00"), at(DAY, "12:00"))
    with frozen(DAY, "09:05"):
        ops.check_in(anna, present)
    with frozen(DAY, "11:00"):
        assert ops.release_no_shows() == []
    assert reload(present).status is BookingStatus.CHECKED_IN
    assert reload(free_of_check_in).status is BookingStatus.CONFIRMED
    assert not reload(free_of_check_in).checkin_required


# --- check out early ------------------------------------------------------------------------


def test_early_check_out_frees_the_rest_for_someone_else(booking, desk, anna, erik):
    with frozen(DAY, "08:55"):
        error = refused(ops.check_out, anna, booking)
        assert (error.code, str(error.message)) == (
            "not_checked_in",
            sv("Check in before you check out."),
        )
        ops.check_in(anna, booking)
    with frozen(DAY, "10:30"):
        with pytest.raises(BookingConflict):
            ops.book(erik, erik, desk, at(DAY, "10:30"), at(DAY, "12:00"))
        ops.check_out(anna, booking)
        ops.book(erik, erik, desk, at(DAY, "10:30"), at(DAY, "12:00"))
    booking = reload(booking)
    assert booking.status is BookingStatus.COMPLETED
    assert local(booking.checked_out_at) == local(booking.occupied_until) == f"{DAY} 10:30"
    assert history(booking) == [
        ("confirmed", f"{MONDAY} 15:00", anna.id, ""),
        ("checked_in", f"{DAY} 08:55", anna.id, ""),
        ("completed", f"{DAY} 10:30", anna.id, "check_out"),
    ]


def test_check_out_before_the_start_books_nothing(booking, anna):
    with frozen(DAY, "08:50"):
        ops.check_in(anna, booking)
    with frozen(DAY, "08:55"):
        ops.check_out(anna, booking)
    booking = reload(booking)
    assert booking.occupied_until == booking.checked_out_at == booking.starts_at


# --- complete past bookings -----------------------------------------------------------------


def test_complete_past_completes_what_is_over_and_releases_no_shows(hub, desk, anna, erik):
    sara = make_user(hub.host_organisation)
    with frozen(MONDAY, "15:00"):
        attended = ops.book(anna, anna, desk, at(DAY, "09:00"), at(DAY, "12:00"))
        absent = ops.book(erik, erik, hub.desks[1], at(DAY, "09:00"), at(DAY, "12:00"))
        later = ops.book(sara, sara, desk, at(DAY, "13:00"), at(DAY, "15:00"))
    with frozen(DAY, "09:02"):
        ops.check_in(anna, attended)
    with frozen(DAY, "11:59"):
        assert [b.id for b in ops.complete_past()] == []
    assert reload(absent).status is BookingStatus.RELEASED  # released on the way
    with frozen(DAY, "12:00"):
        assert [b.id for b in ops.complete_past()] == [attended.id]
    attended = reload(attended)
    assert attended.status is BookingStatus.COMPLETED
    assert attended.checked_out_at is None
    assert local(attended.occupied_until) == f"{DAY} 12:00"
    assert history(attended)[-1] == ("completed", f"{DAY} 12:00", None, "")
    assert reload(later).status is BookingStatus.CONFIRMED
    assert [s for s, *_ in history(absent)] == ["confirmed", "released"]


def test_my_bookings_upcoming_and_past(booking, desk, anna):
    with frozen(DAY, "08:00"):
        other = ops.book(anna, anna, desk, at(DAY, "13:00"), at(DAY, "14:00"))
        upcoming, past = ops.my_bookings(anna)
        assert [b.id for b in upcoming] == [booking.id, other.id]
        assert past == []
    with frozen(DAY, "09:30"):
        ops.release_no_shows()
        upcoming, past = ops.my_bookings(anna)
    assert ([b.id for b in upcoming], [b.id for b in past]) == ([other.id], [booking.id])


def test_a_late_booking_whose_grace_outlasts_it_is_never_released(desk, anna):
    """DESIGN.md: a booking made after its own start is never auto-released before its grace
    period has run. Made at 09.20 for 09.00–09.30, its grace runs to 09.50: it completes."""
    with frozen(DAY, "09:20"):
        late = ops.book(anna, anna, desk, at(DAY, "09:00"), at(DAY, "09:30"))
    with frozen(DAY, "09:29"):
        assert ops.release_no_shows() == []
    with frozen(DAY, "09:30"):
        assert ops.complete_past() == [reload(late)]
    late = reload(late)
    assert late.status is BookingStatus.COMPLETED and late.released_at is None
    assert local(late.starts_at) == f"{DAY} 09:20"  # held from when it was made
