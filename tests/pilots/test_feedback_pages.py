"""Visit feedback as a visitor meets it: the offer on My bookings and on the booking's page,
the form, "No thanks"; bad input changes nothing, and others' bookings are not found. Users
read English here (locale "en"), so the tests assert on msgids."""

from __future__ import annotations

import re
from datetime import date

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from hubbar.extensions import db
from hubbar.pilots.models import Feedback, Otherwise, PilotStatus
from tests.bookings.clock import at, frozen
from tests.factories import (
    login,
    make_hub_manager,
    make_organisation,
    make_pilot,
    make_user,
)
from tests.helpers import count, field_error, location, shows, snapshot, text
from tests.occupancy.conftest import book, hub_with_desks

TODAY, HHMM = "2026-03-12", "12:00"  # a Thursday
OFFER = "How was your visit?"


def visit(desk, user, day, start, end, **kwargs):
    kwargs.setdefault("checked_in", at(day, start))
    return book(
        desk, user, at(day, start), at(day, end), created=at("2026-02-01", "09:00"), **kwargs
    )


@pytest.fixture()
def place():
    kuf = make_organisation(name="Kulturförvaltningen", code="KuF")
    hub = hub_with_desks(2, host=make_organisation(name="Stadsarkivet", code="SSA"))
    hub.name = "Kungsklippan 6"
    hub.admitted_organisations = [kuf]
    db.session.commit()
    anna = make_user(kuf, display_name="Anna Berg", locale="en")
    erik = make_user(kuf, display_name="Erik Sund", locale="en")
    make_pilot(  # Anna and Erik take part in the pilot at the hub, running since 2 March
        [hub],
        guest_organisations=[kuf],
        participants=[anna, erik],
        start_date=date(2026, 3, 2),
        end_date=date(2026, 5, 1),
        status=PilotStatus.RUNNING,
    )
    return hub, anna, erik


@pytest.fixture()
def anna_visit(place):
    hub, anna, _ = place
    return visit(hub.desks[0], anna, "2026-03-10", "09:00", "12:00")


def feedback_links(page) -> list[str]:
    return re.findall(r'href="(/bookings/\d+/feedback)"', page.get_data(as_text=True))


@frozen(TODAY, HHMM)
def test_the_offer_comes_and_goes_with_no_thanks(client, place, anna_visit):
    hub, anna, _ = place
    login(client, anna)
    page = client.get("/bookings")
    assert shows(page, OFFER)
    assert feedback_links(page) == [f"/bookings/{anna_visit.id}/feedback"]
    assert shows(page, "2026-03-10") and shows(page, hub.desks[0].label)
    assert shows(page, "No thanks")

    response = client.post(
        f"/bookings/{anna_visit.id}/feedback/decline", data={"next": "/bookings"}
    )
    assert (response.status_code, location(response)) == (302, "/bookings")
    row = db.session.scalar(select(Feedback))
    assert (row.booking_id, row.declined) == (anna_visit.id, True)

    page = client.get("/bookings")
    assert shows(page, "We will not ask about that visit again.")
    assert not shows(page, OFFER)
    assert feedback_links(page) == []
    assert not shows(client.get(f"/bookings/{anna_visit.id}"), OFFER)


@frozen(TODAY, HHMM)
def test_no_thanks_never_goes_elsewhere(client, place, anna_visit):
    _, anna, _ = place
    login(client, anna)
    response = client.post(
        f"/bookings/{anna_visit.id}/feedback/decline", data={"next": "//evil.example.org/"}
    )
    assert location(response) == "/bookings"


@frozen(TODAY, HHMM)
def test_give_feedback(client, place, anna_visit):
    _, anna, _ = place
    login(client, anna)
    detail = client.get(f"/bookings/{anna_visit.id}")
    assert shows(detail, OFFER)
    assert f'href="/bookings/{anna_visit.id}/feedback"' in text(detail)

    form = client.get(f"/bookings/{anna_visit.id}/feedback")
    assert form.status_code == 200
    page = text(form)
    assert "<legend>How was your visit?</legend>" in page
    assert len(re.findall(r'type="radio"[^>]*name="rating"', page)) == 5
    for label in ("Very poor", "Poor", "Okay", "Good", "Very good"):
        assert f"<span>{label}</span>" in page
    with force_locale(anna.locale):
        for label in Otherwise:
            assert shows(form, str(label.label))
    assert shows(form, "What would you have done otherwise?")
    assert shows(form, "Travel time saved (minutes)")
    assert shows(form, "Shown to evaluators in the pilot report, without your name.")
    assert 'type="number"' in page

    response = client.post(
        f"/bookings/{anna_visit.id}/feedback",
        data={
            "rating": "5",
            "comment": "Lugnt och bra skärm, sparade en resa till Ringvägen.",
            "otherwise": "regular_workplace",
            "minutes_saved": "40",
        },
    )
    assert (response.status_code, location(response)) == (302, "/bookings")
    row = db.session.scalar(select(Feedback))
    assert (row.booking_id, row.declined, row.rating, row.minutes_saved) == (
        anna_visit.id,
        False,
        5,
        40,
    )
    assert row.otherwise is Otherwise.REGULAR_WORKPLACE
    assert row.comment == "Lugnt och bra skärm, sparade en resa till Ringvägen."

    page = client.get("/bookings")
    assert shows(page, "Thank you for your feedback.")
    assert not shows(page, OFFER)
    assert not shows(client.get(f"/bookings/{anna_visit.id}"), OFFER)

    # Once: the form is not shown again, and a second answer changes nothing.
    again = client.get(f"/bookings/{anna_visit.id}/feedback")
    assert location(again) == "/bookings"
    assert shows(client.get("/bookings"), "You have already given feedback on this visit.")
    before = snapshot()
    client.post(f"/bookings/{anna_visit.id}/feedback", data={"rating": "1"})
    assert snapshot() == before


@frozen(TODAY, HHMM)
def test_only_a_rating(client, place, anna_visit):
    _, anna, _ = place
    login(client, anna)
    response = client.post(f"/bookings/{anna_visit.id}/feedback", data={"rating": "3"})
    assert response.status_code == 302
    row = db.session.scalar(select(Feedback))
    assert (row.rating, row.comment, row.otherwise, row.minutes_saved) == (3, "", None, None)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"rating": "9"}, "rating", "Not a valid choice."),
        ({"rating": "abc"}, "rating", None),
        ({"otherwise": "bus"}, "otherwise", "Not a valid choice."),
        ({"minutes_saved": "abc"}, "minutes_saved", None),
        ({"minutes_saved": "601"}, "minutes_saved", "Enter whole minutes from 0 to 600."),
        ({"minutes_saved": "-5"}, "minutes_saved", "Enter whole minutes from 0 to 600."),
        ({"minutes_saved": "99999999999999999999"}, "minutes_saved", None),
        ({"comment": "x" * 2001}, "comment", "Keep the comment to 2000 characters or fewer."),
    ],
)
@frozen(TODAY, HHMM)
def test_bad_input_shows_errors_and_saves_nothing(client, place, anna_visit, data, field, message):
    _, anna, _ = place
    login(client, anna)
    before = snapshot()
    response = client.post(f"/bookings/{anna_visit.id}/feedback", data={"rating": "4", **data})
    assert response.status_code == 422
    assert f'id="{field}-error"' in text(response)
    if message:
        assert field_error(response, message)
    assert snapshot() == before


@frozen(TODAY, HHMM)
def test_an_empty_form_asks_for_one_answer(client, place, anna_visit):
    _, anna, _ = place
    login(client, anna)
    response = client.post(f"/bookings/{anna_visit.id}/feedback", data={"comment": "   "})
    assert response.status_code == 422
    assert shows(response, "Answer at least one question, or choose No thanks.")
    assert count(Feedback) == 0


@frozen(TODAY, HHMM)
def test_someone_elses_booking_is_not_found(client, place, anna_visit):
    _, _, erik = place
    login(client, erik)
    before = snapshot()
    assert client.get(f"/bookings/{anna_visit.id}/feedback").status_code == 404
    assert (
        client.post(f"/bookings/{anna_visit.id}/feedback", data={"rating": "1"}).status_code == 404
    )
    assert client.post(f"/bookings/{anna_visit.id}/feedback/decline").status_code == 404
    assert client.get(f"/bookings/{anna_visit.id + 1000}/feedback").status_code == 404
    assert client.get("/bookings/99999999999/feedback").status_code == 404
    assert snapshot() == before
    assert not shows(client.get("/bookings"), OFFER)


@frozen(TODAY, HHMM)
def test_a_manager_sees_no_offer_on_someone_elses_booking(client, place, anna_visit):
    hub, _, _ = place
    login(client, make_hub_manager(hub, locale="en"))
    page = client.get(f"/bookings/{anna_visit.id}")
    assert page.status_code == 200
    assert not shows(page, OFFER)
    assert client.get(f"/bookings/{anna_visit.id}/feedback").status_code == 404


@frozen(TODAY, HHMM)
def test_a_visit_not_over_yet_is_not_offered(client, place):
    hub, anna, _ = place
    ongoing = visit(hub.desks[1], anna, TODAY, "10:00", "15:00")
    login(client, anna)
    assert not shows(client.get("/bookings"), OFFER)
    assert not shows(client.get(f"/bookings/{ongoing.id}"), OFFER)
    response = client.get(f"/bookings/{ongoing.id}/feedback")
    assert location(response) == "/bookings"
    assert shows(client.get("/bookings"), "You can give feedback once the visit is over.")
    assert count(Feedback) == 0


@frozen(TODAY, HHMM)
def test_a_visit_outside_a_pilot_is_not_offered(client, place):
    """Feedback no report uses is not collected: not from someone outside the pilot, nor on
    a participant's visit before it started."""
    hub, anna, _ = place
    olle = make_user(anna.organisation, display_name="Olle Ny", locale="en")
    outsider = visit(hub.desks[0], olle, "2026-03-10", "09:00", "12:00")
    before_the_pilot = visit(hub.desks[1], anna, "2026-02-27", "09:00", "12:00")
    for user, booking in ((olle, outsider), (anna, before_the_pilot)):
        login(client, user)
        assert not shows(client.get("/bookings"), OFFER)
        assert not shows(client.get(f"/bookings/{booking.id}"), OFFER)
        before = snapshot()
        response = client.get(f"/bookings/{booking.id}/feedback")
        assert location(response) == "/bookings"
        page = client.get("/bookings")
        assert shows(page, "Feedback is asked for visits during a pilot you take part in.")
        response = client.post(f"/bookings/{booking.id}/feedback", data={"rating": "5"})
        assert location(response) == "/bookings"
        client.post(f"/bookings/{booking.id}/feedback/decline", data={"next": "/bookings"})
        assert snapshot() == before
        client.post("/logout")
    assert count(Feedback) == 0


def test_the_form_needs_a_login(client, anna_visit):
    response = client.get(f"/bookings/{anna_visit.id}/feedback")
    assert response.status_code == 302
    assert location(response).startswith("/login")
