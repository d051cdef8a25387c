"""Every refusal under /api/v1 is a JSON error with a stable code, in the caller's language, and
changes nothing: malformed requests, unknown or others' ids, booking rules, taken desks, and
Flask's own 404, 405 and 413. Never a 500 for bad input."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from hubbar.bookings import operations as booking_ops
from hubbar.bookings.models import Booking, BookingStatus, DemandMiss
from hubbar.extensions import db
from tests.api.helpers import TOMORROW, call, error_of
from tests.helpers import STOCKHOLM, count, snapshot, sv

MISSING = 987654


def at(day: str, hhmm: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=STOCKHOLM)


def _booking_body(world, **changes) -> dict:
    body = {"desk_id": world.a1.id, "start": f"{TOMORROW}T09:00", "end": f"{TOMORROW}T12:00"}
    body.update(changes)
    return {k: v for k, v in body.items() if v is not ...}


# (what is wrong, the raw body or a function of the world giving a JSON body, status, code, field)
MALFORMED_BOOKINGS = [
    ("not JSON", "{desk_id: 1", 400, "invalid_json", None),
    ("empty body", "", 400, "invalid_json", None),
    ("a list", "[1, 2]", 400, "invalid_json", None),
    ("a string", '"book it"', 400, "invalid_json", None),
    ("deeply nested", "[" * 100_000 + "]" * 100_000, 400, "invalid_json", None),
    ("not UTF-8", b'{"desk_id": "\xff"}', 400, "invalid_json", None),
    ("no desk_id", lambda w: _booking_body(w, desk_id=...), 422, "invalid_input", "desk_id"),
    ("desk_id null", lambda w: _booking_body(w, desk_id=None), 422, "invalid_input", "desk_id"),
    ("desk_id text", lambda w: _booking_body(w, desk_id="1"), 422, "invalid_input", "desk_id"),
    ("desk_id true", lambda w: _booking_body(w, desk_id=True), 422, "invalid_input", "desk_id"),
    ("desk_id float", lambda w: _booking_body(w, desk_id=1.5), 422, "invalid_input", "desk_id"),
    ("desk_id list", lambda w: _booking_body(w, desk_id=[1]), 422, "invalid_input", "desk_id"),
    ("unknown desk", lambda w: _booking_body(w, desk_id=MISSING), 404, "not_found", None),
    ("negative desk", lambda w: _booking_body(w, desk_id=-1), 404, "not_found", None),
    ("huge desk id", lambda w: _booking_body(w, desk_id=10**30), 404, "not_found", None),
    (
        "desk at a hub the caller may not see",
        lambda w: _booking_body(w, desk_id=w.other_hub.desks[0].id),
        404,
        "not_found",
        None,
    ),
    ("no start", lambda w: _booking_body(w, start=...), 422, "invalid_input", "start"),
    ("start a number", lambda w: _booking_body(w, start=9), 422, "invalid_input", "start"),
    ("start garbage", lambda w: _booking_body(w, start="imorgon"), 422, "invalid_input", "start"),
    ("start a date", lambda w: _booking_body(w, start=TOMORROW), 422, "invalid_input", "start"),
    (
        "start not a date",
        lambda w: _booking_body(w, start="2026-02-30T09:00"),
        422,
        "invalid_input",
        "start",
    ),
    (
        "start with NUL",
        lambda w: _booking_body(w, start=f"{TOMORROW}T09:00\x00"),
        400,
        "bad_request",
        None,
    ),
    (
        "start with a lone surrogate",
        lambda w: _booking_body(w, start="2026-12-01T09:00\udcff"),
        400,
        "bad_request",
        None,
    ),
    (
        "end beyond datetime",
        lambda w: _booking_body(w, end="9999-12-31T23:59:59-14:00"),
        422,
        "invalid_input",
        "end",
    ),
    (
        "start before year 1",
        lambda w: _booking_body(w, start="0001-01-01T00:00:00+14:00"),
        422,
        "invalid_input",
        "start",
    ),
    (
        "end before start",
        lambda w: _booking_body(w, start=f"{TOMORROW}T12:00", end=f"{TOMORROW}T09:00"),
        422,
        "invalid_window",
        "end",
    ),
    (
        "end equals start",
        lambda w: _booking_body(w, end=f"{TOMORROW}T09:00"),
        422,
        "invalid_window",
        "end",
    ),
    ("any_desk text", lambda w: _booking_body(w, any_desk="yes"), 422, "invalid_input", "any_desk"),
    (
        "any_desk without hub_id",
        lambda w: _booking_body(w, desk_id=..., any_desk=True),
        422,
        "invalid_input",
        "hub_id",
    ),
    (
        "any_desk and desk_id",
        lambda w: _booking_body(w, any_desk=True, hub_id=w.hub.id),
        422,
        "invalid_input",
        "desk_id",
    ),
    (
        "any_desk at an unknown hub",
        lambda w: _booking_body(w, desk_id=..., any_desk=True, hub_id=MISSING),
        404,
        "not_found",
        None,
    ),
    (
        "unknown equipment",
        lambda w: _booking_body(
            w, desk_id=..., any_desk=True, hub_id=w.hub.id, equipment=["jacuzzi"]
        ),
        422,
        "invalid_input",
        "equipment",
    ),
    (
        "equipment not a list",
        lambda w: _booking_body(w, desk_id=..., any_desk=True, hub_id=w.hub.id, equipment=5),
        422,
        "invalid_input",
        "equipment",
    ),
]


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [case[1:] for case in MALFORMED_BOOKINGS],
    ids=[case[0] for case in MALFORMED_BOOKINGS],
)
def test_malformed_booking_requests_change_nothing(client, world, body, status, code, field):
    data = json.dumps(body(world)) if callable(body) else body
    before = snapshot()
    response = call(
        client,
        "POST",
        "/api/v1/bookings",
        world.anna_token,
        data=data,
        content_type="application/json",
    )
    error_of(response, status, code)
    assert response.get_json().get("field") == field
    assert snapshot() == before


def test_field_errors_name_the_field_in_the_callers_language(client, world):
    response = call(client, "POST", "/api/v1/bookings", world.anna_token, json={"start": "x"})
    assert error_of(response, 422, "invalid_input") == "desk_id is missing."
    response = call(
        client, "POST", "/api/v1/bookings", world.anna_token, json=_booking_body(world, start="9")
    )
    assert error_of(response, 422, "invalid_input") == (
        "start must be a date and time in ISO 8601, for example 2026-12-01T09:00."
    )


MALFORMED_SEARCHES = [
    ("no date", "start=09:00&end=12:00", "date"),
    ("no start", f"date={TOMORROW}&end=12:00", "start"),
    ("no end", f"date={TOMORROW}&start=09:00", "end"),
    ("bad date", "date=imorgon&start=09:00&end=12:00", "date"),
    ("impossible date", "date=2026-02-30&start=09:00&end=12:00", "date"),
    ("year 0202", "date=0202-12-01&start=09:00&end=12:00", "date"),
    ("long date", "date=99999-01-01&start=09:00&end=12:00", "date"),
    ("bad time", f"date={TOMORROW}&start=9&end=12:00", "start"),
    ("hour 25", f"date={TOMORROW}&start=25:00&end=12:00", "start"),
    ("minute 60", f"date={TOMORROW}&start=09:00&end=12:60", "end"),
    ("dot time", f"date={TOMORROW}&start=09.00&end=12:00", "start"),
    ("end before start", f"date={TOMORROW}&start=12:00&end=09:00", "end"),
    ("unknown equipment", f"date={TOMORROW}&start=09:00&end=12:00&equipment=jacuzzi", "equipment"),
]


@pytest.mark.parametrize(
    ("query", "field"),
    [case[1:] for case in MALFORMED_SEARCHES],
    ids=[case[0] for case in MALFORMED_SEARCHES],
)
def test_malformed_searches_change_nothing(client, world, query, field):
    before = snapshot()
    response = call(
        client, "GET", f"/api/v1/hubs/{world.hub.id}/availability?{query}", world.anna_token
    )
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.get_json()["error"] in {"invalid_input", "invalid_window"}
    assert response.get_json()["field"] == field
    assert snapshot() == before


@pytest.mark.parametrize("hub", ["missing", "other", "huge"])
def test_availability_of_a_hub_the_caller_may_not_see_is_404(client, world, hub):
    hub_id = {"missing": MISSING, "other": world.other_hub.id, "huge": 10**20}[hub]
    before = snapshot()
    response = call(
        client,
        "GET",
        f"/api/v1/hubs/{hub_id}/availability?date={TOMORROW}&start=09:00&end=12:00",
        world.erik_token,
    )
    error_of(response, 404, "not_found")
    assert snapshot() == before


# --- others' bookings and unknown ids ------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "suffix"),
    [("GET", ""), ("DELETE", ""), ("POST", "/check-in"), ("POST", "/check-out")],
)
def test_another_users_booking_is_not_found(client, world, clock, method, suffix):
    eriks = booking_ops.book(
        world.erik, world.erik, world.a1, at(TOMORROW, "09:00"), at(TOMORROW, "12:00")
    )
    clock.move_to(at(TOMORROW, "09:00"))  # check-in would be open
    for token in (world.anna_token, world.erik_token):
        call(client, "GET", "/api/v1/me", token)  # "last used" is now
    before = snapshot()
    for booking_id in (eriks.id, MISSING):
        response = call(client, method, f"/api/v1/bookings/{booking_id}{suffix}", world.anna_token)
        assert error_of(response, 404, "not_found") == "No such booking."  # Anna reads English
    response = call(client, method, f"/api/v1/bookings/{eriks.id}{suffix}", world.erik_token)
    if method == "POST" and suffix == "/check-out":
        assert error_of(response, 422, "not_checked_in") == sv("Check in before you check out.")
    else:
        assert response.status_code == 200  # Erik may
    if method == "GET":
        assert snapshot() == before
    assert count(Booking) == 1


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/bookings/99999999999999999999",
        "/api/v1/bookings/-1",
        "/api/v1/bookings/abc",
        "/api/v1/nothing-here",
        "/api/v1",
        "/api/v1/hubs/x/availability",
    ],
)
def test_unknown_addresses_are_json_404s(client, world, url):
    response = call(client, "GET", url, world.anna_token)
    assert error_of(response, 404, "not_found") == (
        "There is nothing at this address. It may have been removed."
    )


def test_unknown_addresses_without_a_token_are_json_404s_too(client, world):
    response = call(client, "POST", "/api/v1/nowhere?q=\x00")
    error_of(response, 404, "not_found")


@pytest.mark.parametrize(
    ("method", "url", "allowed"),
    [
        ("DELETE", "/api/v1/me", {"GET"}),
        ("PUT", "/api/v1/bookings", {"POST"}),
        ("GET", "/api/v1/auth/token", {"POST"}),
        ("PUT", "/api/v1/bookings/1", {"GET", "DELETE", "PATCH"}),
        ("GET", "/api/v1/bookings/1/check-in", {"POST"}),
    ],
)
def test_wrong_methods_are_json_405s(client, world, method, url, allowed):
    response = call(client, method, url, world.erik_token)
    assert error_of(response, 405, "method_not_allowed") == sv(
        "This address does not accept that kind of request."
    )
    assert allowed <= set(response.headers["Allow"].split(", "))


def test_a_body_over_2_mb_is_a_json_413(client, world):
    before = snapshot()
    response = call(
        client,
        "POST",
        "/api/v1/bookings",
        world.anna_token,
        data="x" * (3 * 1024 * 1024),
        content_type="application/json",
    )
    error_of(response, 413, "too_large")
    assert snapshot() == before


def test_nul_in_the_query_is_a_json_400(client, world):
    response = call(
        client,
        "GET",
        f"/api/v1/hubs/{world.hub.id}/availability?date={TOMORROW}\x00&start=09:00&end=12:00",
        world.anna_token,
    )
    error_of(response, 400, "bad_request")


def test_an_unexpected_failure_is_a_json_500(client, world, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(booking_ops, "my_bookings", broken)
    response = call(client, "GET", "/api/v1/me/bookings", world.anna_token)
    assert error_of(response, 500, "server_error") == (
        "We have logged the error. Try again in a moment."
    )


# --- booking rules and conflicts -----------------------------------------------------------

RULES = [
    (
        "too_far_ahead",
        "2027-01-05",
        "09:00",
        "12:00",
        ("You can book at most %(n)d days ahead.", {"n": 30}),
    ),
    ("outside_opening_hours", TOMORROW, "07:00", "09:00", None),
    ("granularity", TOMORROW, "09:15", "12:00", None),
    ("closed_day", "2026-12-24", "09:00", "12:00", None),
    ("closed_day", "2026-12-05", "09:00", "12:00", None),  # a Saturday
    ("in_the_past", "2026-11-27", "09:00", "12:00", ("That time has passed.", {})),
    ("too_long", TOMORROW, "08:00", "17:00", None),
]


@pytest.mark.parametrize(("rule", "day", "start", "end", "message"), RULES)
def test_a_policy_refusal_is_422_with_the_rule(client, world, rule, day, start, end, message):
    world.hub.max_duration_minutes = 480
    db.session.commit()
    before = snapshot()
    response = call(
        client,
        "POST",
        "/api/v1/bookings",
        world.erik_token,
        json={"desk_id": world.a1.id, "start": f"{day}T{start}", "end": f"{day}T{end}"},
    )
    text = error_of(response, 422, rule)
    if message is not None:
        msgid, params = message
        assert text == sv(msgid, **params)  # Erik reads Swedish
    assert snapshot() == before


def test_a_taken_desk_is_409_booking_conflict(client, world):
    booking_ops.book(world.erik, world.erik, world.a1, at(TOMORROW, "10:00"), at(TOMORROW, "11:00"))
    response = call(client, "POST", "/api/v1/bookings", world.anna_token, json=_booking_body(world))
    assert error_of(response, 409, "booking_conflict") == (
        "A1 is already booked then. Choose another time or desk."
    )
    assert count(Booking) == 1
    assert count(DemandMiss) == 1  # the unmet demand is recorded


def test_no_free_desk_for_any_desk_is_409(client, world):
    booking_ops.book(world.erik, world.erik, world.a1, at(TOMORROW, "09:00"), at(TOMORROW, "12:00"))
    booking_ops.book(world.erik, world.erik, world.a2, at(TOMORROW, "13:00"), at(TOMORROW, "14:00"))
    response = call(
        client,
        "POST",
        "/api/v1/bookings",
        world.anna_token,
        json={
            "any_desk": True,
            "hub_id": world.hub.id,
            "equipment": ["screen"],
            "start": f"{TOMORROW}T09:00",
            "end": f"{TOMORROW}T14:00",
        },
    )
    error_of(response, 409, "booking_conflict")
    assert count(Booking) == 2


def test_one_person_cannot_be_at_two_desks(client, world):
    booking_ops.book(world.anna, world.anna, world.a2, at(TOMORROW, "09:00"), at(TOMORROW, "10:00"))
    response = call(client, "POST", "/api/v1/bookings", world.anna_token, json=_booking_body(world))
    error_of(response, 422, "user_overlap")
    assert count(Booking) == 1


def test_refusals_of_changes(client, world, clock):
    booking = booking_ops.book(
        world.anna, world.anna, world.a1, at(TOMORROW, "09:00"), at(TOMORROW, "12:00")
    )
    url = f"/api/v1/bookings/{booking.id}"
    error_of(call(client, "POST", f"{url}/check-in", world.anna_token), 422, "too_early")
    error_of(call(client, "POST", f"{url}/check-out", world.anna_token), 422, "not_checked_in")
    assert call(client, "DELETE", url, world.anna_token).status_code == 200
    before = snapshot()
    error_of(call(client, "DELETE", url, world.anna_token), 422, "not_active")
    error_of(call(client, "POST", f"{url}/check-in", world.anna_token), 422, "not_active")
    assert snapshot() == before
    assert count(Booking, Booking.status == BookingStatus.CANCELLED) == 1
