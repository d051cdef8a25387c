"""Guessing a booking's id gets nobody anything: someone else's booking is "not found" on the
web pages and in the API (so a guess cannot even tell that it exists), every attempt to read,
cancel, change, check in or out of it, give feedback on it or download its calendar file changes
nothing, and the same request made by its owner works. Ids that name nothing are a 404, never a
500."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

import pytest
import time_machine

from hubbar.accounts.models import Role
from hubbar.bookings import operations as booking_ops
from hubbar.bookings.models import Booking
from hubbar.extensions import db
from hubbar.pilots.models import PilotStatus
from tests.api.helpers import call, token_for
from tests.factories import (
    login,
    make_booking,
    make_hub,
    make_hub_manager,
    make_org_admin,
    make_organisation,
    make_pilot,
    make_user,
    make_visit,
)
from tests.helpers import STOCKHOLM, snapshot, text

NOW = datetime(2026, 11, 30, 9, 5, tzinfo=STOCKHOLM)  # Monday: today's booking can check in


def at(day: str, hhmm: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), time.fromisoformat(hhmm), tzinfo=STOCKHOLM)


@dataclass
class World:
    owner: object
    intruders: dict
    upcoming: int  # tomorrow morning
    current: int  # this morning, check-in open
    visit: int  # last week, during the pilot, waiting for feedback
    tokens: dict


@pytest.fixture()
def world(app):
    """Anna (organisation A) with three bookings at A's hub H1, and five people who are not her
    and do not manage H1: a colleague at A, A's organisation admin, the manager of A's other hub
    H2, an employee of B, and the evaluator of the pilot at H1."""
    with time_machine.travel(NOW, tick=False):
        org_a = make_organisation(name="Förvaltning A", code="FA")
        org_b = make_organisation(name="Förvaltning B", code="FB")
        h1 = make_hub(host=org_a, desks=2, name="Hubb H1")
        h2 = make_hub(host=org_a, desks=1, name="Hubb H2")
        desk = h1.desks[0]
        anna = make_user(org_a, display_name="Anna Ägare", email="anna@a.example.org")
        pilot = make_pilot(
            [h1],
            start_date=date(2026, 9, 1),
            end_date=date(2026, 12, 31),
            status=PilotStatus.RUNNING,
        )
        pilot.participants.append(anna)
        db.session.commit()
        intruders = {
            "colleague": make_user(org_a, display_name="Kollega"),
            "org_admin": make_org_admin(org_a, display_name="Personalchef"),
            "other_hub_manager": make_hub_manager(h2, display_name="Chef H2"),
            "other_org_employee": make_user(org_b, display_name="Utomstående"),
            "evaluator": make_user(
                roles=[(Role.EVALUATOR, {"pilot": pilot})], display_name="Utvärderare"
            ),
        }
        visit = make_visit(desk, anna, at("2026-11-26", "09:00"), at("2026-11-26", "11:00"))
        current = make_booking(
            desk,
            anna,
            at("2026-11-30", "09:00"),
            at("2026-11-30", "12:00"),
            now=at("2026-11-27", "10:00"),
        )
        upcoming = make_booking(desk, anna, at("2026-12-01", "09:00"), at("2026-12-01", "12:00"))
        tokens = {name: token_for(user) for name, user in intruders.items()}
        tokens["owner"] = token_for(anna)
        return World(anna, intruders, upcoming.id, current.id, visit.id, tokens)


@pytest.fixture()
def clock(world):
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def checked_in(world: World) -> None:
    """Anna is at her desk this morning."""
    booking = db.session.get(Booking, world.current)
    booking_ops.check_in(world.owner, booking)


def signed_in(app, user, token: str, api: bool):
    """A client acting as ``user`` (by the login form, or for the API by its token) that has
    made its first request of the day, which notes that the account is in use: what the
    attempts then change is theirs alone."""
    client = app.test_client()
    if api:
        assert call(client, "GET", "/api/v1/me", token).status_code == 200
    else:
        login(client, user)
        assert client.get("/").status_code == 200
    return client


@dataclass
class Attempt:
    """One request on Anna's booking ``target`` (a World attribute), on the web or the API."""

    method: str
    path: str  # with {id}
    target: str = "upcoming"
    data: dict | None = None
    prepare: object = None  # puts the booking in the state in which the request would work
    api: bool = False

    def send(self, client, world: World, token: str | None = None, booking_id: int | None = None):
        url = self.path.format(
            id=booking_id if booking_id is not None else getattr(world, self.target)
        )
        if self.api:
            return call(client, self.method, url, token, json=self.data)
        return client.open(url, method=self.method, data=self.data)


CHANGE_FORM = {"date": "2026-12-01", "start": "13:00", "end": "15:00"}
CHANGE_JSON = {"start": "2026-12-01T13:00", "end": "2026-12-01T15:00"}
FEEDBACK = {"rating": "2", "comment": "Kallt"}

ATTEMPTS = {
    "read": Attempt("GET", "/bookings/{id}"),
    "download .ics": Attempt("GET", "/bookings/{id}.ics"),
    "cancel": Attempt("POST", "/bookings/{id}/cancel"),
    "change": Attempt("POST", "/bookings/{id}/change", data=CHANGE_FORM),
    "check in": Attempt("POST", "/bookings/{id}/check-in", target="current"),
    "check out": Attempt("POST", "/bookings/{id}/check-out", target="current", prepare=checked_in),
    "feedback form": Attempt("GET", "/bookings/{id}/feedback", target="visit"),
    "give feedback": Attempt("POST", "/bookings/{id}/feedback", target="visit", data=FEEDBACK),
    "decline feedback": Attempt("POST", "/bookings/{id}/feedback/decline", target="visit"),
    "API read": Attempt("GET", "/api/v1/bookings/{id}", api=True),
    "API cancel": Attempt("DELETE", "/api/v1/bookings/{id}", api=True),
    "API change": Attempt("PATCH", "/api/v1/bookings/{id}", data=CHANGE_JSON, api=True),
    "API check in": Attempt("POST", "/api/v1/bookings/{id}/check-in", target="current", api=True),
    "API check out": Attempt(
        "POST", "/api/v1/bookings/{id}/check-out", target="current", prepare=checked_in, api=True
    ),
}
INTRUDERS = ("colleague", "org_admin", "other_hub_manager", "other_org_employee", "evaluator")


@pytest.mark.parametrize("attempt", ATTEMPTS.values(), ids=ATTEMPTS.keys())
def test_someone_elses_booking_is_not_found_and_stays_as_it_was(app, world, clock, attempt):
    if attempt.prepare:
        attempt.prepare(world)
    for intruder in INTRUDERS:
        client = signed_in(app, world.intruders[intruder], world.tokens[intruder], attempt.api)
        before = snapshot()

        response = attempt.send(client, world, world.tokens[intruder])

        assert response.status_code == 404, (intruder, text(response))
        assert snapshot() == before, intruder
        assert "Anna Ägare" not in text(response), intruder
        assert "Hubb H1" not in text(response), intruder

    # The same request by Anna works: it was a request that would have done something.
    owner = signed_in(app, world.owner, world.tokens["owner"], attempt.api)
    before = snapshot()
    response = attempt.send(owner, world, world.tokens["owner"])
    assert response.status_code in (200, 302), text(response)
    if attempt.method == "GET":
        assert snapshot() == before
    else:
        assert snapshot() != before, "the owner's request changed nothing: not a real attempt"


MAX_ID = 2**31 - 1
MISSING_IDS = (0, 987654, MAX_ID, MAX_ID + 1, 2**63, 10**30)


@pytest.mark.parametrize("attempt", ATTEMPTS.values(), ids=ATTEMPTS.keys())
def test_ids_that_name_no_booking_are_404s(app, world, clock, attempt):
    client = signed_in(app, world.owner, world.tokens["owner"], attempt.api)
    before = snapshot()
    for booking_id in MISSING_IDS:
        response = attempt.send(client, world, world.tokens["owner"], booking_id=booking_id)

        if booking_id <= MAX_ID:
            assert response.status_code == 404, (booking_id, text(response))
        else:
            # Not an id at all: no such address (404), or for DELETE and PATCH in the API the
            # router's 405 (it does not tell a failed number conversion from a wrong method).
            assert response.status_code in (404, 405), (booking_id, text(response))
        if attempt.api:
            assert response.get_json()["error"] in ("not_found", "method_not_allowed")
    assert snapshot() == before


def test_a_booking_whose_booker_is_gone_is_404_to_a_manager_of_another_hub(app, world, clock):
    """Even when a booking no longer names anyone (its booker's account is gone), it stays out
    of reach of people who do not manage its hub."""
    for booking_id in (world.upcoming, world.current, world.visit):
        db.session.get(Booking, booking_id).user_id = None
    db.session.commit()
    manager = world.intruders["other_hub_manager"]
    token = world.tokens["other_hub_manager"]
    web = signed_in(app, manager, token, api=False)
    api = signed_in(app, manager, token, api=True)
    before = snapshot()
    for name, attempt in ATTEMPTS.items():
        response = attempt.send(api if attempt.api else web, world, token)
        assert response.status_code == 404, (name, text(response))
    assert snapshot() == before
