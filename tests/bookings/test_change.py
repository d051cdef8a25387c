"""Changing a booking's time: who may, which bookings, the same rules as a new booking (the
booking itself not counting against it), the desk free apart from itself, the database as the
final guard; on the booking page and through PATCH /api/v1/bookings/<id>. A refused change
changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hubbar.bookings import operations as ops
from hubbar.bookings.models import Booking, BookingStatus
from hubbar.errors import BookingConflict, InvalidInput, NotAllowed, PolicyViolation
from hubbar.extensions import db
from hubbar.mail.models import OutboxMessage
from tests.api.helpers import call, error_of, token_for
from tests.bookings.clock import at, frozen, local
from tests.factories import login, make_admin, make_hub, make_hub_manager, make_user
from tests.helpers import audit_events, field_error, reload, shows, snapshot, text

MONDAY = "2026-11-30"
DAY = "2026-12-01"  # the Tuesday every booking here is for


@pytest.fixture()
def hub():
    return make_hub(desks=2, name="Kungsklippan 6")


@pytest.fixture()
def desk(hub):
    return hub.desks[0]


@pytest.fixture()
def anna(hub):
    return make_user(hub.host_organisation, display_name="Anna Berg", locale="en")


@pytest.fixture()
def erik(hub):
    return make_user(hub.host_organisation, display_name="Erik Sund", locale="en")


@pytest.fixture()
def booking(desk, anna) -> Booking:
    """Anna's booking 09.00–12.00, made the day before."""
    with frozen(MONDAY, "15:00"):
        return ops.book(anna, anna, desk, at(DAY, "09:00"), at(DAY, "12:00"))


def times(booking: Booking) -> tuple[str, str, str]:
    booking = reload(booking)
    return local(booking.starts_at), local(booking.ends_at), local(booking.occupied_until)


def history(booking: Booking) -> list[tuple[str, str, int | None, str]]:
    booking = reload(booking)
    return [(e.status.value, local(e.occurred_at), e.actor_id, e.note) for e in booking.events]


def mail_kinds() -> list[str]:
    db.session.rollback()
    return [m.kind for m in db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]


UNCHANGED = (f"{DAY} 09:00", f"{DAY} 12:00", f"{DAY} 12:00")


def refusal(error_type, call_, *args, **kwargs):
    with pytest.raises(error_type) as raised:
        call_(*args, **kwargs)
    db.session.rollback()
    return raised.value


# --- the operation -------------------------------------------------------------------------


def test_the_booker_moves_the_booking_and_the_old_time_is_free(booking, desk, anna, erik):
    with frozen(MONDAY, "16:00"):
        changed = ops.change(anna, booking, at(DAY, "13:00"), at(DAY, "15:00"))
        assert changed is booking
        # The old time is free for someone else at once.
        ops.book(erik, erik, desk, at(DAY, "09:00"), at(DAY, "12:00"))
    assert times(booking) == (f"{DAY} 13:00", f"{DAY} 15:00", f"{DAY} 15:00")
    booking = reload(booking)
    assert booking.status is BookingStatus.CONFIRMED
    assert booking.desk_id == desk.id
    assert history(booking) == [
        ("confirmed", f"{MONDAY} 15:00", anna.id, ""),
        ("confirmed", f"{MONDAY} 16:00", anna.id, "changed"),
    ]
    assert audit_events("booking.change_on_behalf") == []  # her own booking


def test_the_old_time_overlapping_the_new_one_is_fine(hub, desk, anna):
    """Extending 09–11 to 09–12: the booking does not stand in its own way, not even when the
    hub allows one upcoming booking per person."""
    hub.max_active_bookings = 1
    db.session.commit()
    with frozen(MONDAY, "15:00"):
        booking = ops.book(anna, anna, desk, at(DAY, "09:00"), at(DAY, "11:00"))
        ops.change(anna, booking, at(DAY, "09:00"), at(DAY, "12:00"))
    assert times(booking) == UNCHANGED
    with frozen(MONDAY, "15:30"):
        ops.change(anna, booking, at(DAY, "10:30"), at(DAY, "12:00"))  # shorten from the start
    assert times(booking)[:2] == (f"{DAY} 10:30", f"{DAY} 12:00")


def test_the_same_time_again_changes_nothing(booking, anna):
    with frozen(MONDAY, "16:00"):
        ops.change(anna, booking, at(DAY, "09:00"), at(DAY, "12:00"))
    assert times(booking) == UNCHANGED
    assert len(history(booking)) == 1
    assert mail_kinds() == ["booking_confirmed"]


def test_a_manager_or_admin_may_change_it_and_it_is_audited(booking, hub, anna, erik):
    manager = make_hub_manager(hub)
    admin = make_admin()
    with frozen(MONDAY, "16:00"):
        refusal(NotAllowed, ops.change, erik, booking, at(DAY, "13:00"), at(DAY, "15:00"))
        assert times(booking) == UNCHANGED
        ops.change(manager, booking, at(DAY, "13:00"), at(DAY, "15:00"))
        ops.change(admin, booking, at(DAY, "14:00"), at(DAY, "16:00"))
    assert times(booking)[:2] == (f"{DAY} 14:00", f"{DAY} 16:00")
    assert [e.actor_id for e in audit_events("booking.change_on_behalf")] == [manager.id, admin.id]
    assert [e.object_id for e in audit_events("booking.change_on_behalf")] == [booking.id] * 2
    assert history(booking)[-1] == ("confirmed", f"{MONDAY} 16:00", admin.id, "changed")


def test_a_booking_that_has_started_cannot_be_changed(booking, anna):
    with frozen(DAY, "09:00"):
        error = refusal(
            PolicyViolation, ops.change, anna, booking, at(DAY, "13:00"), at(DAY, "15:00")
        )
    assert error.code == "started"
    assert times(booking) == UNCHANGED


def test_a_cancelled_or_checked_in_booking_cannot_be_changed(desk, anna):
    with frozen(MONDAY, "15:00"):
        cancelled = ops.book(anna, anna, desk, at(DAY, "09:00"), at(DAY, "10:00"))
        ops.cancel(anna, cancelled)
        later = ops.book(anna, anna, desk, at(DAY, "13:00"), at(DAY, "14:00"))
        error = refusal(
            PolicyViolation, ops.change, anna, cancelled, at(DAY, "15:00"), at(DAY, "16:00")
        )
        assert error.code == "not_active"
    with frozen(DAY, "12:50"):
        ops.check_in(anna, later)  # in before the start
        error = refusal(
            PolicyViolation, ops.change, anna, later, at(DAY, "15:00"), at(DAY, "16:00")
        )
        assert error.code == "not_active"
    assert reload(cancelled).status is BookingStatus.CANCELLED
    assert times(later)[:2] == (f"{DAY} 13:00", f"{DAY} 14:00")


@pytest.mark.parametrize(
    ("setting", "day", "start", "end", "code"),
    [
        (None, DAY, "07:00", "09:00", "outside_opening_hours"),
        (None, DAY, "16:00", "18:00", "outside_opening_hours"),
        ({"max_duration_minutes": 240}, DAY, "09:00", "13:30", "too_long"),
        ({"min_duration_minutes": 60}, DAY, "09:00", "09:30", "too_short"),
        (None, "2026-12-05", "09:00", "12:00", "closed_day"),  # a Saturday
        (None, DAY, "09:10", "12:00", "granularity"),
        (None, "2027-02-01", "09:00", "12:00", "too_far_ahead"),
        (None, MONDAY, "09:00", "12:00", "in_the_past"),
    ],
)
def test_the_new_time_must_pass_the_hubs_rules_with_the_same_message_as_booking(
    hub, booking, desk, anna, erik, setting, day, start, end, code
):
    for name, value in (setting or {}).items():
        setattr(hub, name, value)
    db.session.commit()
    with frozen(MONDAY, "16:00"):
        changing = refusal(PolicyViolation, ops.change, anna, booking, at(day, start), at(day, end))
        booking_anew = refusal(
            PolicyViolation, ops.book, erik, erik, desk, at(day, start), at(day, end)
        )
    assert changing.code == booking_anew.code == code
    assert str(changing.message) == str(booking_anew.message)
    assert times(booking) == UNCHANGED
    assert len(history(booking)) == 1
    assert mail_kinds() == ["booking_confirmed"]


def test_a_window_ending_before_it_starts_is_invalid(booking, anna):
    with frozen(MONDAY, "16:00"):
        error = refusal(InvalidInput, ops.change, anna, booking, at(DAY, "12:00"), at(DAY, "10:00"))
    assert error.field == "end"
    assert times(booking) == UNCHANGED


def test_another_booking_of_the_desk_is_a_conflict_and_nothing_changes(booking, desk, erik, anna):
    with frozen(MONDAY, "15:30"):
        ops.book(erik, erik, desk, at(DAY, "13:00"), at(DAY, "15:00"))
    with frozen(MONDAY, "16:00"):
        error = refusal(
            BookingConflict, ops.change, anna, booking, at(DAY, "11:00"), at(DAY, "14:00")
        )
    assert error.code == "booking_conflict"
    assert times(booking) == UNCHANGED
    assert len(history(booking)) == 1
    assert mail_kinds() == ["booking_confirmed", "booking_confirmed"]


def test_the_bookers_other_booking_is_a_user_overlap(hub, booking, anna):
    with frozen(MONDAY, "15:30"):
        ops.book(anna, anna, hub.desks[1], at(DAY, "13:00"), at(DAY, "15:00"))
    with frozen(MONDAY, "16:00"):
        error = refusal(
            PolicyViolation, ops.change, anna, booking, at(DAY, "11:00"), at(DAY, "14:00")
        )
    assert error.code == "user_overlap"
    assert times(booking) == UNCHANGED


def test_the_database_refuses_an_overlap_the_check_missed(booking, desk, erik, anna, monkeypatch):
    """Two requests racing: the pre-check saw the desk free, the exclusion guarantee did not."""
    with frozen(MONDAY, "15:30"):
        ops.book(erik, erik, desk, at(DAY, "13:00"), at(DAY, "15:00"))
    monkeypatch.setattr(ops, "_desk_taken", lambda *args, **kwargs: None)
    with frozen(MONDAY, "16:00"):
        error = refusal(
            BookingConflict, ops.change, anna, booking, at(DAY, "11:00"), at(DAY, "14:00")
        )
    assert error.code == "booking_conflict"
    assert times(booking) == UNCHANGED
    assert len(history(booking)) == 1
    assert mail_kinds() == ["booking_confirmed", "booking_confirmed"]


def test_booking_actions_offer_the_change_only_before_the_start(booking):
    with frozen(DAY, "08:59"):
        assert ops.booking_actions(booking, ops.utcnow())["can_change"] is True
    with frozen(DAY, "09:00"):
        assert ops.booking_actions(booking, ops.utcnow())["can_change"] is False


# --- the booking page ----------------------------------------------------------------------


def as_user(app, user):
    client = app.test_client()
    login(client, user)
    return client


def change_data(day=DAY, start="13:00", end="15:00") -> dict:
    return {"date": day, "start": start, "end": end}


def test_the_page_offers_the_change_with_the_current_times(app, booking, anna):
    with frozen(MONDAY, "16:00"):
        client = as_user(app, anna)
        page = text(client.get(f"/bookings/{booking.id}"))
    assert "Change time" in page
    assert f'action="/bookings/{booking.id}/change"' in page
    assert f'value="{DAY}"' in page
    assert '<option selected value="09:00">09:00</option>' in page
    assert '<option selected value="12:00">12:00</option>' in page
    with frozen(DAY, "09:05"):
        page = text(client.get(f"/bookings/{booking.id}"))
    assert f'action="/bookings/{booking.id}/change"' not in page


def test_the_page_form_changes_the_time(app, booking, anna):
    with frozen(MONDAY, "16:00"):
        client = as_user(app, anna)
        response = client.post(f"/bookings/{booking.id}/change", data=change_data())
        assert response.status_code == 302
        assert response.headers["Location"].endswith(f"/bookings/{booking.id}")
        page = client.get(f"/bookings/{booking.id}")
    assert shows(page, "The booking is changed to Tuesday 2026-12-01 13:00–15:00.")
    assert times(booking) == (f"{DAY} 13:00", f"{DAY} 15:00", f"{DAY} 15:00")


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (change_data(day="2026-02-30"), "date", "Enter a valid date, like 2026-03-31."),
        (change_data(day=""), "date", "Enter a valid date, like 2026-03-31."),
        (change_data(day="1999-12-01"), "date", "Enter a valid date, like 2026-03-31."),
        (change_data(start="25:00"), "start", "Choose a time."),
        (change_data(end=""), "end", "Choose a time."),
        (change_data(start="15:00", end="13:00"), "end", "The end must be after the start."),
    ],
)
def test_bad_input_on_the_page_is_a_field_error(app, booking, anna, data, field, message):
    with frozen(MONDAY, "16:00"):
        client = as_user(app, anna)
        before = snapshot()
        response = client.post(f"/bookings/{booking.id}/change", data=data)
    assert response.status_code == 422
    assert field_error(response, message)
    assert snapshot() == before


def test_the_same_time_on_the_page_says_nothing_changed(app, booking, anna):
    with frozen(MONDAY, "16:00"):
        client = as_user(app, anna)
        before = snapshot()
        response = client.post(
            f"/bookings/{booking.id}/change", data=change_data(start="09:00", end="12:00")
        )
        assert response.status_code == 302
        page = client.get(f"/bookings/{booking.id}")
    assert shows(page, "Nothing changed: the booking already has that time.")
    assert not shows(page, "The booking is changed")
    assert snapshot() == before  # no event, no e-mail


@pytest.mark.parametrize(
    ("data", "missing"),
    [
        ({}, ["date", "start", "end"]),
        ({"start": "13:00", "end": "15:00"}, ["date"]),
        ({"date": DAY, "end": "15:00"}, ["start"]),
        ({"date": "2026-12-02", "start": "13:00"}, ["end"]),
    ],
)
def test_a_field_left_out_of_the_post_is_asked_for(app, booking, anna, data, missing):
    """The form is filled with the booking's own values: a field not sent must not quietly
    keep them (and an empty POST must not say the booking is changed)."""
    with frozen(MONDAY, "16:00"):
        client = as_user(app, anna)
        before = snapshot()
        response = client.post(f"/bookings/{booking.id}/change", data=data)
    assert response.status_code == 422
    messages = {
        "date": "Enter a valid date, like 2026-03-31.",
        "start": "Choose a time.",
        "end": "Choose a time.",
    }
    for name in missing:
        assert field_error(response, messages[name])
    assert not shows(response, "The booking is changed")
    assert not shows(response, "Nothing changed")
    assert snapshot() == before
    assert times(booking) == UNCHANGED


def test_a_refusal_on_the_page_is_shown_and_changes_nothing(app, booking, desk, anna, erik):
    with frozen(MONDAY, "15:30"):
        ops.book(erik, erik, desk, at(DAY, "14:00"), at(DAY, "15:00"))
    with frozen(MONDAY, "16:00"):
        client = as_user(app, anna)
        before = snapshot()
        closed = client.post(f"/bookings/{booking.id}/change", data=change_data(start="07:00"))
        taken = client.post(f"/bookings/{booking.id}/change", data=change_data())
    assert closed.status_code == taken.status_code == 422
    assert shows(closed, "The hub is open 08:00–17:00 that day.")
    assert shows(taken, f"{desk.label} is already booked then. Choose another time or desk.")
    assert snapshot() == before


def test_someone_elses_booking_cannot_be_changed_on_the_page(app, booking, erik):
    with frozen(MONDAY, "16:00"):
        client = as_user(app, erik)
        assert client.get(f"/bookings/{booking.id}").status_code == 404
        response = client.post(f"/bookings/{booking.id}/change", data=change_data())
    assert response.status_code == 404
    assert times(booking) == UNCHANGED


def test_a_started_booking_on_the_page_is_refused_politely(app, booking, anna):
    with frozen(DAY, "09:05"):
        client = as_user(app, anna)
        response = client.post(f"/bookings/{booking.id}/change", data=change_data())
    assert response.status_code == 422
    assert times(booking) == UNCHANGED


@pytest.mark.parametrize(
    "data",
    [
        {"date": "0001-01-01", "start": "00:00", "end": "00:30"},
        {"date": "9999-12-31", "start": "23:00", "end": "23:30"},
        {"date": "å" * 5000, "start": "å" * 5000, "end": "x"},
        {"date": "2026-12-01", "start": "08.00", "end": "24:00"},
        {"date": "2026-12-01", "start": "09:00", "end": "12:00", "extra": "\x00"},
        {},
    ],
)
def test_the_page_never_fails_on_garbage(app, booking, anna, data):
    with frozen(MONDAY, "16:00"):
        client = as_user(app, anna)
        response = client.post(f"/bookings/{booking.id}/change", data=data)
    assert response.status_code in (302, 400, 422)  # a NUL is a bad request app-wide
    assert reload(booking).status is BookingStatus.CONFIRMED


# --- the API -------------------------------------------------------------------------------


def test_patch_changes_the_time(app, booking, anna):
    with frozen(MONDAY, "16:00"):
        token = token_for(anna)
        response = call(
            app.test_client(),
            "PATCH",
            f"/api/v1/bookings/{booking.id}",
            token,
            json={"start": f"{DAY}T13:00", "end": f"{DAY}T15:00+01:00"},
        )
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["id"] == booking.id
    assert (body["start"], body["end"]) == (f"{DAY}T13:00:00+01:00", f"{DAY}T15:00:00+01:00")
    assert body["status"] == "confirmed"
    assert times(booking) == (f"{DAY} 13:00", f"{DAY} 15:00", f"{DAY} 15:00")


def test_patch_refuses_as_creating_does(app, booking, desk, anna, erik):
    with frozen(MONDAY, "15:30"):
        ops.book(erik, erik, desk, at(DAY, "14:00"), at(DAY, "15:00"))
    with frozen(MONDAY, "16:00"):
        client = app.test_client()
        token, eriks = token_for(anna), token_for(erik)
        url = f"/api/v1/bookings/{booking.id}"
        before = snapshot()

        def patch(body, who=token, **kwargs):
            return call(client, "PATCH", url, who, json=body, **kwargs)

        error_of(patch({"start": f"{DAY}T13:00", "end": f"{DAY}T15:00"}), 409, "booking_conflict")
        error_of(
            patch({"start": f"{DAY}T16:00", "end": f"{DAY}T18:00"}), 422, "outside_opening_hours"
        )
        error_of(patch({"start": f"{DAY}T12:00", "end": f"{DAY}T10:00"}), 422, "invalid_window")
        missing = patch({"start": f"{DAY}T13:00"})
        error_of(missing, 422, "invalid_input")
        assert missing.get_json()["field"] == "end"
        wrong = patch({"start": "tomorrow", "end": f"{DAY}T15:00"})
        error_of(wrong, 422, "invalid_input")
        assert wrong.get_json()["field"] == "start"
        error_of(patch({"start": 13, "end": f"{DAY}T15:00"}), 422, "invalid_input")
        error_of(
            call(client, "PATCH", url, token, data="nonsense", content_type="application/json"),
            400,
            "invalid_json",
        )
        error_of(patch({"start": f"{DAY}T13:00", "end": f"{DAY}T15:00"}, eriks), 404, "not_found")
        error_of(
            call(
                client,
                "PATCH",
                "/api/v1/bookings/987654",
                token,
                json={"start": f"{DAY}T13:00", "end": f"{DAY}T15:00"},
            ),
            404,
            "not_found",
        )
        assert snapshot() == before
    with frozen(DAY, "09:05"):
        error_of(patch({"start": f"{DAY}T13:00", "end": f"{DAY}T14:00"}), 422, "started")
    assert times(booking) == UNCHANGED
