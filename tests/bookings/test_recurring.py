"""Weekly recurring bookings: each date is judged on its own and the result says why not."""

from __future__ import annotations

from datetime import date, time

import pytest
from sqlalchemy import select

from hubbar.bookings import operations as ops
from hubbar.bookings.models import Booking, BookingSeries
from hubbar.errors import InvalidInput, NotAllowed
from hubbar.extensions import db
from tests.bookings.clock import at, frozen, local
from tests.factories import make_hub, make_hub_manager, make_user
from tests.helpers import count, sv

MON, WED, FRI = 0, 2, 4


@pytest.fixture()
def hub():
    return make_hub(desks=1)


@pytest.fixture()
def desk(hub):
    return hub.desks[0]


@pytest.fixture()
def anna(hub):
    return make_user(hub.host_organisation)


def outcome(results) -> dict[str, str]:
    return {o.day.isoformat(): o.code or "booked" for o in results}


@frozen("2026-03-26", "10:00")
def test_a_series_over_easter_and_dst_books_what_it_can_and_says_why_not(hub, desk, anna):
    hub.max_days_ahead = 21
    db.session.commit()
    erik = make_user(hub.host_organisation)
    ops.book(erik, erik, desk, at("2026-04-08", "10:00"), at("2026-04-08", "11:00"))

    results = ops.book_weekly(
        anna,
        anna,
        desk,
        date(2026, 3, 27),
        time(8),
        time(12),
        [FRI, MON, WED, WED],
        date(2026, 4, 20),
    )
    assert outcome(results) == {
        "2026-03-27": "booked",  # Friday before the clocks go forward
        "2026-03-30": "booked",  # Monday after
        "2026-04-01": "booked",
        "2026-04-03": "closed_day",  # Långfredagen
        "2026-04-06": "closed_day",  # Annandag påsk
        "2026-04-08": "booking_conflict",  # Erik has the desk 10–11
        "2026-04-10": "booked",
        "2026-04-13": "booked",
        "2026-04-15": "booked",
        "2026-04-17": "too_far_ahead",  # 22 days ahead
        "2026-04-20": "too_far_ahead",
    }
    reasons = {o.day.isoformat(): o.reason for o in results if o.booking is None}
    assert reasons["2026-04-03"] == sv(
        "The hub is closed on %(day)s: %(reason)s.", day="2026-04-03", reason="Långfredagen"
    )
    assert reasons["2026-04-06"] == sv(
        "The hub is closed on %(day)s: %(reason)s.", day="2026-04-06", reason="Annandag påsk"
    )
    assert reasons["2026-04-08"] == sv(
        "%(label)s is already booked then. Choose another time or desk.", label=desk.label
    )
    assert reasons["2026-04-17"] == sv("You can book at most %(n)d days ahead.", n=21)

    series = db.session.scalar(select(BookingSeries))
    assert (series.user_id, series.weekdays, series.until) == (anna.id, "0,2,4", date(2026, 4, 20))
    bookings = db.session.scalars(select(Booking).order_by(Booking.starts_at)).all()
    mine = [b for b in bookings if b.user_id == anna.id]
    assert len(mine) == 6 and {b.series_id for b in mine} == {series.id}
    # Every occurrence is 08.00–12.00 on the wall clock, whatever the offset that day.
    assert {(local(b.starts_at)[-5:], local(b.ends_at)[-5:]) for b in mine} == {("08:00", "12:00")}
    assert {b.starts_at.hour for b in mine} == {6, 7}  # UTC: 07.00 in March, 06.00 after DST


@frozen("2026-11-30", "10:00")
def test_the_active_booking_limit_stops_a_series_part_way(hub, desk, anna):
    hub.max_active_bookings = 3
    db.session.commit()
    results = ops.book_weekly(
        anna, anna, desk, date(2026, 12, 1), time(9), time(10), [1, 3], date(2026, 12, 17)
    )
    assert [o.code or "booked" for o in results] == ["booked"] * 3 + ["too_many_bookings"] * 3
    assert results[-1].reason == sv(
        "You have %(n)d upcoming bookings at this hub, the most it allows.", n=3
    )


@frozen("2026-11-30", "10:00")
def test_a_series_where_nothing_can_be_booked_books_nothing(desk, anna):
    results = ops.book_weekly(
        anna, anna, desk, date(2026, 12, 1), time(7), time(9), [1], date(2026, 12, 8)
    )
    assert [o.code for o in results] == ["outside_opening_hours"] * 2
    assert count(Booking) == 0


@frozen("2026-11-30", "10:00")
def test_a_manager_books_a_series_on_behalf_others_may_not(hub, desk, anna):
    manager = make_hub_manager(hub)
    results = ops.book_weekly(
        manager, anna, desk, date(2026, 12, 1), time(9), time(12), [1], date(2026, 12, 8)
    )
    assert [o.booking.booked_by_id for o in results] == [manager.id, manager.id]
    colleague = make_user(hub.host_organisation)
    with pytest.raises(NotAllowed):
        ops.book_weekly(
            colleague, anna, desk, date(2026, 12, 2), time(9), time(12), [2], date(2026, 12, 9)
        )


@pytest.mark.parametrize(
    ("weekdays", "until", "msgid", "params"),
    [
        ([], date(2026, 12, 8), "Choose at least one weekday.", {}),
        ([7], date(2026, 12, 8), "Choose at least one weekday.", {}),
        ([1], date(2026, 11, 30), "The last date cannot be before the first.", {}),
        ([1], date(2027, 6, 30), "A series can run for at most %(n)d weeks.", {"n": 26}),
    ],
)
@frozen("2026-11-30", "10:00")
def test_an_impossible_series_is_refused_as_a_whole(desk, anna, weekdays, until, msgid, params):
    with pytest.raises(InvalidInput) as refused:
        ops.book_weekly(anna, anna, desk, date(2026, 12, 1), time(9), time(12), weekdays, until)
    assert str(refused.value.message) == sv(msgid, **params)
    assert count(Booking) == 0 and count(BookingSeries) == 0
