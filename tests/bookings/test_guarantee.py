"""The database itself refuses two bookings on one desk at once, and one person in two places."""

from __future__ import annotations

from datetime import datetime

import pytest
import time_machine
from sqlalchemy.exc import IntegrityError

from hubbar.bookings import operations as ops
from hubbar.bookings.models import Booking, BookingStatus
from hubbar.errors import BookingConflict
from hubbar.extensions import db
from tests.factories import make_hub, make_user
from tests.helpers import STOCKHOLM, count


def at(day: str, hhmm: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=STOCKHOLM)


def _row(desk, user, start, end, **overrides) -> Booking:
    values = dict(
        desk=desk,
        hub_id=desk.hub_id,
        user_id=user.id,
        organisation_id=user.organisation_id,
        starts_at=start,
        ends_at=end,
        occupied_until=end,
        status=BookingStatus.CONFIRMED,
    )
    values.update(overrides)
    return Booking(**values)


@pytest.fixture()
def hub():
    return make_hub(desks=2)


def test_database_refuses_overlap_on_one_desk(hub):
    desk = hub.desks[0]
    anna, erik = make_user(hub.host_organisation), make_user(hub.host_organisation)
    db.session.add(_row(desk, anna, at("2026-12-01", "09:00"), at("2026-12-01", "12:00")))
    db.session.commit()
    db.session.add(_row(desk, erik, at("2026-12-01", "11:30"), at("2026-12-01", "13:00")))
    with pytest.raises(IntegrityError, match="booking_desk_overlap"):
        db.session.commit()
    db.session.rollback()
    assert count(Booking) == 1


def test_database_refuses_one_person_on_two_desks_at_once(hub):
    anna = make_user(hub.host_organisation)
    db.session.add(_row(hub.desks[0], anna, at("2026-12-01", "09:00"), at("2026-12-01", "12:00")))
    db.session.commit()
    db.session.add(_row(hub.desks[1], anna, at("2026-12-01", "10:00"), at("2026-12-01", "11:00")))
    with pytest.raises(IntegrityError, match="booking_user_overlap"):
        db.session.commit()
    db.session.rollback()
    assert count(Booking) == 1


def test_back_to_back_and_cancelled_bookings_do_not_overlap(hub):
    desk = hub.desks[0]
    anna, erik, sara = (make_user(hub.host_organisation) for _ in range(3))
    start, noon = at("2026-12-01", "09:00"), at("2026-12-01", "12:00")
    db.session.add(_row(desk, anna, start, noon))
    # Cancelled before start: an empty occupied interval, which overlaps nothing.
    db.session.add(
        _row(
            desk,
            sara,
            noon,
            at("2026-12-01", "15:00"),
            occupied_until=noon,
            status=BookingStatus.CANCELLED,
        )
    )
    db.session.add(_row(desk, erik, noon, at("2026-12-01", "13:00")))
    db.session.commit()
    assert count(Booking) == 3


def test_an_empty_interval_overlaps_nothing_even_inside_another(hub):
    """A booking cancelled before start occupies [start, start): a booking around that moment,
    on the same desk or by the same person, is no overlap (as an empty range on PostgreSQL)."""
    desk, other_desk = hub.desks
    anna, erik = make_user(hub.host_organisation), make_user(hub.host_organisation)
    ten = at("2026-12-01", "10:00")
    db.session.add(
        _row(
            desk,
            anna,
            ten,
            at("2026-12-01", "12:00"),
            occupied_until=ten,
            status=BookingStatus.CANCELLED,
        )
    )
    db.session.commit()
    db.session.add(_row(desk, erik, at("2026-12-01", "09:00"), at("2026-12-01", "11:00")))
    db.session.add(_row(other_desk, anna, at("2026-12-01", "09:30"), at("2026-12-01", "10:30")))
    db.session.commit()
    # And the other way round: an empty interval inside an active booking.
    db.session.add(
        _row(
            desk,
            anna,
            at("2026-12-01", "10:30"),
            at("2026-12-01", "12:00"),
            occupied_until=at("2026-12-01", "10:30"),
            status=BookingStatus.CANCELLED,
        )
    )
    db.session.commit()
    assert count(Booking) == 4


def test_moving_a_booking_onto_another_is_refused(hub):
    desk = hub.desks[0]
    anna, erik = make_user(hub.host_organisation), make_user(hub.host_organisation)
    db.session.add(_row(desk, anna, at("2026-12-01", "09:00"), at("2026-12-01", "10:00")))
    moved = _row(desk, erik, at("2026-12-01", "10:00"), at("2026-12-01", "11:00"))
    db.session.add(moved)
    db.session.commit()
    moved.starts_at = at("2026-12-01", "09:30")
    with pytest.raises(IntegrityError, match="booking_desk_overlap"):
        db.session.commit()
    db.session.rollback()


@time_machine.travel(datetime(2026, 11, 30, 8, 0, tzinfo=STOCKHOLM), tick=False)
def test_race_lost_at_the_database_is_the_ordinary_conflict(hub, monkeypatch):
    """Both requests passed the pre-check; the database refuses the second: a 409 answer."""
    desk = hub.desks[0]
    anna, erik = make_user(hub.host_organisation), make_user(hub.host_organisation)
    ops.book(anna, anna, desk, at("2026-12-01", "09:00"), at("2026-12-01", "12:00"))
    monkeypatch.setattr(ops, "_desk_taken", lambda *args: None)
    with pytest.raises(BookingConflict) as refused:
        ops.book(erik, erik, desk, at("2026-12-01", "10:00"), at("2026-12-01", "11:00"))
    assert refused.value.code == "booking_conflict"
    assert count(Booking) == 1


@time_machine.travel(datetime(2026, 11, 30, 8, 0, tzinfo=STOCKHOLM), tick=False)
def test_a_deadlock_between_racing_inserts_is_the_ordinary_conflict(hub, monkeypatch):
    """PostgreSQL may end one of two racing inserts with a deadlock (40P01): a 409, not a 500."""
    from sqlalchemy.exc import OperationalError

    class Deadlock(Exception):
        sqlstate = "40P01"

    anna = make_user(hub.host_organisation)
    real_commit = db.session.commit

    def deadlocked_commit():  # the booking's commit dies; later commits work again
        monkeypatch.setattr(db.session, "commit", real_commit)
        db.session.flush()
        raise OperationalError("INSERT INTO bookings …", {}, Deadlock("deadlock detected"))

    monkeypatch.setattr(db.session, "commit", deadlocked_commit)
    with pytest.raises(BookingConflict) as refused:
        ops.book(anna, anna, hub.desks[0], at("2026-12-01", "09:00"), at("2026-12-01", "12:00"))
    assert refused.value.code == "booking_conflict"
    assert count(Booking) == 0


def test_the_release_job_does_not_overwrite_a_check_in_made_at_the_same_moment(hub):
    """The job read the booking as unconfirmed; a check-in commits before the job writes: the
    version check makes the job skip it, and the person keeps the desk."""
    anna = make_user(hub.host_organisation)
    with time_machine.travel(datetime(2026, 11, 30, 8, 0, tzinfo=STOCKHOLM), tick=False):
        booking = ops.book(
            anna, anna, hub.desks[0], at("2026-12-01", "09:00"), at("2026-12-01", "12:00")
        )
    booking_id = booking.id
    with time_machine.travel(datetime(2026, 12, 1, 9, 30, tzinfo=STOCKHOLM), tick=False):
        db.session.get(Booking, booking_id)  # the job's read (still confirmed, version 1)
        with db.engine.begin() as other:  # the check-in, committed by another request
            other.execute(
                Booking.__table__.update()
                .where(Booking.__table__.c.id == booking_id)
                .values(status="checked_in", version=Booking.__table__.c.version + 1)
            )
        assert ops.release_no_shows() == []
    db.session.rollback()
    assert db.session.get(Booking, booking_id).status is BookingStatus.CHECKED_IN
