"""Every endpoint's happy path: the status, the JSON a client reads, and what changed in the
database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import select

from hubbar.accounts.models import Role
from hubbar.bookings import feeds
from hubbar.bookings import operations as booking_ops
from hubbar.bookings.models import Booking, BookingEvent, BookingStatus, DemandMiss
from hubbar.extensions import db
from tests.api.helpers import NOW, TOMORROW, call, token_for
from tests.factories import make_hub, make_pilot, make_user
from tests.helpers import STOCKHOLM, count, reload


def at(day: str, hhmm: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=STOCKHOLM)


def book(client, token, desk, start="09:00", end="12:00", day=TOMORROW):
    return call(
        client,
        "POST",
        "/api/v1/bookings",
        token,
        json={"desk_id": desk.id, "start": f"{day}T{start}", "end": f"{day}T{end}"},
    )


NO_BREAK = {"break_starts": None, "break_ends": None}
BOOKING_KEYS = {
    "id",
    "hub",
    "desk",
    "start",
    "end",
    "status",
    "checkin_required",
    "checked_in_at",
    "checked_out_at",
    "cancelled_at",
    "released_at",
    "created_at",
}


# --- who and where -------------------------------------------------------------------------


def test_me(client, world):
    pilot = make_pilot(name="Touch down Kungsklippan")
    manager = make_user(
        world.anna.organisation,
        display_name="Maja Lind",
        locale="en",
        roles=[(Role.HUB_MANAGER, {"hub": world.hub}), (Role.EVALUATOR, {"pilot": pilot})],
    )
    response = call(client, "GET", "/api/v1/me", token_for(manager))
    assert response.status_code == 200
    body = response.get_json()
    org = world.anna.organisation
    assert body == {
        "id": manager.id,
        "name": "Maja Lind",
        "email": manager.email,
        "organisation": {"id": org.id, "code": "KuF", "name": "Kulturförvaltningen"},
        "roles": [
            {
                "role": "hub_manager",
                "scope": {"type": "hub", "id": world.hub.id, "name": "Kungsklippan 6"},
            },
            {
                "role": "evaluator",
                "scope": {"type": "pilot", "id": pilot.id, "name": "Touch down Kungsklippan"},
            },
        ],
        "locale": "en",
        "calendar_feed_url": None,
    }
    assert call(client, "GET", "/api/v1/me", world.erik_token).get_json()["roles"] == []


def test_me_gives_the_calendar_feed_url_while_there_is_one(client, world):
    token = feeds.create_or_regenerate_feed(world.anna)
    body = call(client, "GET", "/api/v1/me", world.anna_token).get_json()
    url = f"http://localhost:5000/calendar/{token}.ics"
    assert body["calendar_feed_url"] == url
    assert client.get(url).status_code == 200  # no token needed: the address is the secret
    erik = call(client, "GET", "/api/v1/me", world.erik_token).get_json()
    assert erik["calendar_feed_url"] is None  # Anna's feed is hers alone

    feeds.turn_off_feed(world.anna)
    body = call(client, "GET", "/api/v1/me", world.anna_token).get_json()
    assert body["calendar_feed_url"] is None
    assert client.get(url).status_code == 404


def test_hubs_lists_only_the_hubs_the_caller_may_book(client, world):
    make_hub(name="Inaktiv", host=world.anna.organisation, active=False)
    response = call(client, "GET", "/api/v1/hubs", world.anna_token)
    assert response.status_code == 200
    hubs = response.get_json()["hubs"]
    assert [h["name"] for h in hubs] == ["Kungsklippan 6"]  # not Rinkeby, not the inactive one
    hub = hubs[0]
    assert hub["id"] == world.hub.id
    assert hub["address"] == "Kungsklippan 6, Stockholm"
    assert hub["timezone"] == "Europe/Stockholm"
    assert hub["desks"] == [
        {
            "id": world.a1.id,
            "label": "A1",
            "zone": "Fönster",
            "equipment": ["screen"],
            "active": True,
        },
        {
            "id": world.a2.id,
            "label": "A2",
            "zone": "",
            "equipment": ["screen", "quiet_zone"],
            "active": True,
        },
        {"id": world.a3.id, "label": "A3", "zone": "", "equipment": [], "active": True},
    ]
    assert hub["opening_hours"] == [
        {"weekday": d, "opens": "08:00", "closes": "17:00"} | NO_BREAK for d in range(5)
    ]
    assert hub["policy"] == {
        "slot_minutes": 30,
        "min_duration_minutes": 30,
        "max_duration_minutes": 600,
        "max_days_ahead": 30,
        "max_active_bookings": 10,
        "checkin_required": True,
        "checkin_grace_minutes": 30,
    }


# --- availability --------------------------------------------------------------------------


def test_availability_per_desk(client, world):
    booking_ops.book(world.erik, world.erik, world.a1, at(TOMORROW, "10:00"), at(TOMORROW, "11:00"))
    booking_ops.book(world.anna, world.anna, world.a2, at(TOMORROW, "08:00"), at(TOMORROW, "17:00"))
    response = call(
        client,
        "GET",
        f"/api/v1/hubs/{world.hub.id}/availability?date={TOMORROW}&start=09:00&end=12:00",
        world.anna_token,
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["hub"] == {"id": world.hub.id, "name": "Kungsklippan 6"}
    assert (body["start"], body["end"]) == (
        "2026-12-01T09:00:00+01:00",
        "2026-12-01T12:00:00+01:00",
    )
    desks = {d["label"]: d for d in body["desks"]}
    assert desks["A1"] == {
        "desk_id": world.a1.id,
        "label": "A1",
        "state": "partly",
        "reason": "Partly free",
        "free": [
            {"start": "2026-12-01T09:00:00+01:00", "end": "2026-12-01T10:00:00+01:00"},
            {"start": "2026-12-01T11:00:00+01:00", "end": "2026-12-01T12:00:00+01:00"},
        ],
    }
    assert desks["A2"]["state"] == "booked" and desks["A2"]["free"] == []
    assert desks["A3"]["state"] == "free"
    assert desks["A3"]["free"] == [
        {"start": "2026-12-01T09:00:00+01:00", "end": "2026-12-01T12:00:00+01:00"}
    ]
    assert count(DemandMiss) == 0  # a desk was free


def test_availability_filters_by_equipment_and_records_a_miss(client, world):
    booking_ops.book(world.erik, world.erik, world.a2, at(TOMORROW, "09:00"), at(TOMORROW, "12:00"))
    response = call(
        client,
        "GET",
        f"/api/v1/hubs/{world.hub.id}/availability"
        f"?date={TOMORROW}&start=09:00&end=12:00&equipment=screen,quiet_zone",
        world.anna_token,
    )
    assert response.status_code == 200
    assert [(d["label"], d["state"]) for d in response.get_json()["desks"]] == [("A2", "booked")]
    miss = db.session.scalars(select(DemandMiss)).one()
    assert miss.hub_id == world.hub.id and miss.source == "search"
    assert miss.organisation_id == world.anna.organisation_id
    assert (miss.wanted_start, miss.wanted_end) == (at(TOMORROW, "09:00"), at(TOMORROW, "12:00"))


def test_availability_on_a_holiday_says_why(client, world):
    response = call(
        client,
        "GET",
        f"/api/v1/hubs/{world.hub.id}/availability?date=2026-12-24&start=09:00&end=12:00",
        world.erik_token,
    )
    assert response.status_code == 200
    assert {(d["state"], d["reason"]) for d in response.get_json()["desks"]} == {
        ("closed", "Julafton")
    }


# --- booking -------------------------------------------------------------------------------


def test_book_a_desk_in_hub_local_time(client, world):
    response = book(client, world.anna_token, world.a1)
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == BOOKING_KEYS
    assert body["hub"] == {"id": world.hub.id, "name": "Kungsklippan 6"}
    assert body["desk"] == {"id": world.a1.id, "label": "A1"}
    assert body["start"] == "2026-12-01T09:00:00+01:00"
    assert body["end"] == "2026-12-01T12:00:00+01:00"
    assert body["status"] == "confirmed"
    assert body["checkin_required"] is True
    assert body["created_at"] == "2026-11-30T08:00:00+01:00"
    assert body["checked_in_at"] is body["cancelled_at"] is body["released_at"] is None
    assert response.headers["Location"] == f"/api/v1/bookings/{body['id']}"

    booking = db.session.get(Booking, body["id"])
    assert booking.user_id == world.anna.id and booking.desk_id == world.a1.id
    assert booking.starts_at == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    assert booking.ends_at == datetime(2026, 12, 1, 11, 0, tzinfo=UTC)
    assert booking.booked_by_id is None
    assert [e.status for e in booking.events] == [BookingStatus.CONFIRMED]


def test_a_time_with_an_offset_is_that_instant(client, world):
    response = call(
        client,
        "POST",
        "/api/v1/bookings",
        world.anna_token,
        json={
            "desk_id": world.a1.id,
            "start": "2026-12-01T08:00:00Z",
            "end": "2026-12-01T10:30:00+00:00",
        },
    )
    assert response.status_code == 201
    body = response.get_json()
    assert (body["start"], body["end"]) == (
        "2026-12-01T09:00:00+01:00",
        "2026-12-01T11:30:00+01:00",
    )


def test_summer_bookings_carry_the_summer_offset(client, world):
    with time_machine.travel(datetime(2026, 3, 27, 12, 0, tzinfo=STOCKHOLM), tick=False):
        # Monday after the change to summer time (Sunday 2026-03-29).
        response = book(client, world.anna_token, world.a1, day="2026-03-30")
    assert response.status_code == 201
    body = response.get_json()
    assert (body["start"], body["end"]) == (
        "2026-03-30T09:00:00+02:00",
        "2026-03-30T12:00:00+02:00",
    )
    assert db.session.get(Booking, body["id"]).starts_at == datetime(2026, 3, 30, 7, tzinfo=UTC)


def test_book_any_desk_with_equipment(client, world):
    response = call(
        client,
        "POST",
        "/api/v1/bookings",
        world.anna_token,
        json={
            "any_desk": True,
            "hub_id": world.hub.id,
            "equipment": ["quiet_zone"],
            "start": f"{TOMORROW}T13:00",
            "end": f"{TOMORROW}T15:00",
        },
    )
    assert response.status_code == 201
    assert response.get_json()["desk"] == {"id": world.a2.id, "label": "A2"}
    assert count(Booking, Booking.desk_id == world.a2.id) == 1


def test_book_any_desk_takes_the_plainest_free_one(client, world):
    response = call(
        client,
        "POST",
        "/api/v1/bookings",
        world.erik_token,
        json={
            "any_desk": True,
            "hub_id": world.hub.id,
            "start": f"{TOMORROW}T13:00",
            "end": f"{TOMORROW}T15:00",
        },
    )
    assert response.status_code == 201
    assert response.get_json()["desk"]["label"] == "A3"


def test_get_one_booking(client, world):
    created = book(client, world.anna_token, world.a1).get_json()
    response = call(client, "GET", f"/api/v1/bookings/{created['id']}", world.anna_token)
    assert response.status_code == 200
    assert response.get_json() == created


# --- changing a booking --------------------------------------------------------------------


def test_cancel_before_start(client, world):
    booking_id = book(client, world.anna_token, world.a1).get_json()["id"]
    response = call(client, "DELETE", f"/api/v1/bookings/{booking_id}", world.anna_token)
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "cancelled"
    assert body["cancelled_at"] == "2026-11-30T08:00:00+01:00"
    booking = reload(db.session.get(Booking, booking_id))
    assert booking.status is BookingStatus.CANCELLED
    assert booking.occupied_until == booking.starts_at  # the desk is free again
    assert book(client, world.erik_token, world.a1).status_code == 201


def test_check_in_and_check_out_early(client, world, clock):
    booking_id = book(client, world.anna_token, world.a1).get_json()["id"]
    clock.move_to(at(TOMORROW, "08:50"))
    checked_in = call(client, "POST", f"/api/v1/bookings/{booking_id}/check-in", world.anna_token)
    assert checked_in.status_code == 200
    assert checked_in.get_json()["status"] == "checked_in"
    assert checked_in.get_json()["checked_in_at"] == "2026-12-01T08:50:00+01:00"

    clock.move_to(at(TOMORROW, "10:15"))
    out = call(client, "POST", f"/api/v1/bookings/{booking_id}/check-out", world.anna_token)
    assert out.status_code == 200
    assert out.get_json()["status"] == "completed"
    assert out.get_json()["checked_out_at"] == "2026-12-01T10:15:00+01:00"

    booking = reload(db.session.get(Booking, booking_id))
    assert booking.status is BookingStatus.COMPLETED
    assert booking.occupied_until == at(TOMORROW, "10:15")
    statuses = db.session.scalars(
        select(BookingEvent.status).where(BookingEvent.booking_id == booking_id)
    ).all()
    assert statuses == [BookingStatus.CONFIRMED, BookingStatus.CHECKED_IN, BookingStatus.COMPLETED]


def test_my_bookings(client, world, clock):
    first = book(client, world.anna_token, world.a1, "09:00", "10:00").get_json()
    second = book(client, world.anna_token, world.a1, "13:00", "14:00").get_json()
    later = book(client, world.anna_token, world.a2, "09:00", "10:00", day="2026-12-02").get_json()
    book(client, world.erik_token, world.a3)  # someone else's
    call(client, "DELETE", f"/api/v1/bookings/{second['id']}", world.anna_token)

    response = call(client, "GET", "/api/v1/me/bookings", world.anna_token)
    assert response.status_code == 200
    body = response.get_json()
    assert [b["id"] for b in body["upcoming"]] == [first["id"], later["id"]]
    assert [b["id"] for b in body["past"]] == [second["id"]]
    assert body["past"][0]["status"] == "cancelled"
    assert all(set(b) == BOOKING_KEYS for b in body["upcoming"] + body["past"])

    clock.move_to(NOW + timedelta(days=5))
    booking_ops.complete_past()
    body = call(client, "GET", "/api/v1/me/bookings", world.anna_token).get_json()
    assert body["upcoming"] == []
    assert [b["id"] for b in body["past"]] == [later["id"], second["id"], first["id"]]
    assert body["past"][0]["status"] == "released"  # never checked in: a no-show


def test_a_hub_manager_acts_on_bookings_at_their_hub(client, world):
    manager = make_user(world.hub.host_organisation, roles=[(Role.HUB_MANAGER, {"hub": world.hub})])
    booking_id = book(client, world.anna_token, world.a1).get_json()["id"]
    response = call(client, "DELETE", f"/api/v1/bookings/{booking_id}", token_for(manager))
    assert response.status_code == 200
    assert reload(db.session.get(Booking, booking_id)).status is BookingStatus.CANCELLED
