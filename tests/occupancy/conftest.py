"""Fixtures of the occupancy tests: bookings written as rows, with every time given by hand."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from hubbar.bookings.models import Booking, BookingStatus, DemandMiss
from hubbar.extensions import db
from hubbar.hubs.models import Desk, Hub
from tests.bookings.clock import at
from tests.factories import make_hub, make_organisation, make_user

LONG_AGO = datetime(2026, 1, 1, tzinfo=UTC)


def hub_with_desks(n: int, lunch: bool = False, **overrides) -> Hub:
    """A hub open Monday to Friday 08.00–17.00 (closed 12–13 with ``lunch``) whose desks have
    existed since long before any period the tests look at."""
    hub = make_hub(desks=n, **overrides)
    for desk in hub.desks:
        desk.created_at = LONG_AGO
    if lunch:
        for row in hub.opening_hours:
            row.break_starts, row.break_ends = time(12), time(13)
    db.session.commit()
    return hub


def book(
    desk: Desk,
    user,
    starts: datetime,
    ends: datetime,
    *,
    created: datetime,
    status: BookingStatus = BookingStatus.COMPLETED,
    checked_in: datetime | None = None,
    checked_out: datetime | None = None,
    cancelled: datetime | None = None,
    released: datetime | None = None,
    checkin_required: bool = True,
) -> Booking:
    """A booking as the engine leaves it: ``occupied_until`` is DESIGN.md's booked interval."""
    if status is BookingStatus.CANCELLED:
        occupied = max(starts, min(cancelled, ends))
    elif status is BookingStatus.RELEASED:
        occupied = released
    else:
        occupied = checked_out or ends
    booking = Booking(
        desk=desk,
        hub_id=desk.hub_id,
        user=user,
        organisation_id=user.organisation_id,
        starts_at=starts,
        ends_at=ends,
        occupied_until=occupied,
        status=status,
        checkin_required=checkin_required,
        created_at=created,
        checked_in_at=checked_in,
        checked_out_at=checked_out,
        cancelled_at=cancelled,
        released_at=released,
    )
    db.session.add(booking)
    db.session.commit()
    return booking


def miss(hub: Hub, organisation, starts: datetime, ends: datetime) -> DemandMiss:
    row = DemandMiss(
        hub_id=hub.id,
        organisation_id=organisation.id,
        wanted_start=starts,
        wanted_end=ends,
        source="search",
        created_at=starts,
    )
    db.session.add(row)
    db.session.commit()
    return row


@pytest.fixture()
def ssa():
    return make_organisation(name="Stadsarkivet", code="SSA")


@pytest.fixture()
def kuf():
    return make_organisation(name="Kulturförvaltningen", code="KuF")


@pytest.fixture()
def week(app, ssa, kuf):
    """The hand-computed week of DESIGN.md's metrics: Monday 2 to Sunday 8 March 2026 at a hub
    of two desks open 08–17 with lunch closed 12–13 (8 open hours a day).

    a  D1 Mon 09–15, checked in 09.10, completed             booked 5 h, used 4 h 50 min
    b  D2 Mon 08–12, checked in 08.00, checked out 10.00      booked 2 h, used 2 h
    c  D2 Tue 13–17, released at 13.30 (no-show)              booked 0.5 h
    d  D1 Wed 10–16, cancelled Tue 12.00 (before start)       nothing
    e  D1 Thu 08–17, cancelled Thu 11.00 (after start)        booked 3 h
    f  D2 Thu 09–11, checked in 09.00, completed              booked 2 h, used 2 h
    g  D1 Fri 14–16, cancelled Fri 12.30 (late, before start) nothing
    Demand misses: Wed 10–12 and Thu 09–10 (KuF).
    """
    hub = hub_with_desks(2, lunch=True, host=ssa, name="Kungsklippan 6")
    d1, d2 = hub.desks
    u1 = make_user(kuf, display_name="Ulla Ek")
    u2 = make_user(ssa, display_name="Sven Berg")
    u3 = make_user(kuf, display_name="Tove Lind")
    day = {
        "mon": "2026-03-02",
        "tue": "2026-03-03",
        "wed": "2026-03-04",
        "thu": "2026-03-05",
        "fri": "2026-03-06",
    }
    S = BookingStatus
    bookings = {
        "a": book(
            d1, u1, at(day["mon"], "09:00"), at(day["mon"], "15:00"),
            created=at("2026-02-27", "09:00"), checked_in=at(day["mon"], "09:10"),
        ),
        "b": book(
            d2, u2, at(day["mon"], "08:00"), at(day["mon"], "12:00"),
            created=at(day["mon"], "07:00"), checked_in=at(day["mon"], "08:00"),
            checked_out=at(day["mon"], "10:00"),
        ),
        "c": book(
            d2, u1, at(day["tue"], "13:00"), at(day["tue"], "17:00"),
            created=at(day["mon"], "13:00"), status=S.RELEASED, released=at(day["tue"], "13:30"),
        ),
        "d": book(
            d1, u3, at(day["wed"], "10:00"), at(day["wed"], "16:00"),
            created=at(day["mon"], "10:00"), status=S.CANCELLED, cancelled=at(day["tue"], "12:00"),
        ),
        "e": book(
            d1, u3, at(day["thu"], "08:00"), at(day["thu"], "17:00"),
            created=at(day["wed"], "09:00"), status=S.CANCELLED, cancelled=at(day["thu"], "11:00"),
        ),
        "f": book(
            d2, u2, at(day["thu"], "09:00"), at(day["thu"], "11:00"),
            created=at(day["thu"], "08:30"), checked_in=at(day["thu"], "09:00"),
        ),
        "g": book(
            d1, u1, at(day["fri"], "14:00"), at(day["fri"], "16:00"),
            created=at(day["thu"], "10:00"), status=S.CANCELLED, cancelled=at(day["fri"], "12:30"),
        ),
    }  # fmt: skip
    miss(hub, kuf, at(day["wed"], "10:00"), at(day["wed"], "12:00"))
    miss(hub, kuf, at(day["thu"], "09:00"), at(day["thu"], "10:00"))
    return hub, bookings
