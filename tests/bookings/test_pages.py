"""The booking pages as an employee and a hub manager use them: find and book, on someone's
behalf, every week, my bookings with cancel / check-in / check-out, the .ics file, the desk's QR
code and the day view. Users read English here (locale "en"), so the tests assert on msgids."""

from __future__ import annotations

import re
from datetime import datetime

import icalendar
import pytest
import time_machine
from sqlalchemy import select

from hubbar import create_app
from hubbar.bookings import operations as ops
from hubbar.bookings.models import Booking, BookingStatus, DemandMiss
from hubbar.extensions import db
from hubbar.hubs.models import Equipment
from tests.factories import (
    login,
    make_desk,
    make_hub,
    make_hub_manager,
    make_organisation,
    make_out_of_service,
    make_user,
)
from tests.helpers import STOCKHOLM, count, location, reload, shows, text

MONDAY = "2026-03-02"
TUESDAY = "2026-03-03"


def at(day: str, hhmm: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=STOCKHOLM)


def frozen(day: str, hhmm: str):
    return time_machine.travel(at(day, hhmm), tick=False)


@pytest.fixture()
def orgs():
    return {
        "SSA": make_organisation(name="Stadsarkivet", code="SSA"),
        "KuF": make_organisation(name="Kulturförvaltningen", code="KuF"),
        "UTB": make_organisation(name="Utbildningsförvaltningen", code="UTB"),
    }


@pytest.fixture()
def hub(orgs):
    """Kungsklippan 6, open weekdays 08–17, admitting KuF; three desks and one inactive."""
    hub = make_hub(host=orgs["SSA"], name="Kungsklippan 6", address="Kungsklippan 6, Stockholm")
    hub.admitted_organisations = [orgs["KuF"]]
    hub.max_days_ahead = 60
    make_desk(hub, label="P1", equipment=[Equipment.SCREEN, Equipment.DOCKING_STATION])
    make_desk(hub, label="P2", equipment=[Equipment.SCREEN])
    make_desk(hub, label="P3")
    make_desk(hub, label="P9", active=False)
    return hub


def desk(hub, label):
    return next(d for d in hub.desks if d.label == label)


@pytest.fixture()
def anna(orgs):
    return make_user(orgs["KuF"], display_name="Anna Berg", locale="en")


@pytest.fixture()
def erik(orgs):
    return make_user(orgs["KuF"], display_name="Erik Sund", locale="en")


@pytest.fixture()
def maria(hub):
    return make_hub_manager(hub, display_name="Maria Holmberg", locale="en")


def as_user(app, user):
    client = app.test_client()
    login(client, user)
    return client


def wish(hub, day=TUESDAY, choice="morning", **extra) -> dict:
    return {"hub": str(hub.id), "date": day, "choice": choice, **extra}


def bookings() -> list[Booking]:
    db.session.rollback()  # what the database holds, not what a request left in the session
    return list(db.session.scalars(select(Booking).order_by(Booking.id)))


def misses() -> list[DemandMiss]:
    db.session.rollback()
    return list(db.session.scalars(select(DemandMiss).order_by(DemandMiss.id)))


# --- find and book ---------------------------------------------------------------------------


@frozen(MONDAY, "07:30")
def test_find_page_offers_hubs_days_and_times(app, hub, anna):
    make_hub(name="Skolhubben", host=make_organisation())  # not open to KuF
    client = as_user(app, anna)
    page = client.get("/book")
    assert page.status_code == 200
    assert shows(page, "Book a desk") and shows(page, "Kungsklippan 6")
    assert not shows(page, "Skolhubben")
    # Today is the default (before closing); tomorrow is one tap; the times are the hub's.
    assert re.search(r'value="2026-03-02" checked', text(page))
    assert shows(page, "Tomorrow")
    assert shows(page, "08:00–12:00") and shows(page, "12:00–17:00")
    assert not shows(page, "Show free desks</h2>")  # no result before a search
    assert count(DemandMiss) == 0


@frozen(MONDAY, "17:30")
def test_after_closing_the_default_day_is_the_next_open_day(app, hub, anna):
    page = as_user(app, anna).get("/book")
    assert re.search(r'value="2026-03-03" checked', text(page))


def test_nav_links_to_book_and_my_bookings(app, hub, anna):
    page = as_user(app, anna).get("/")
    assert 'href="/book"' in text(page) and ">Book<" in text(page)
    assert 'href="/bookings"' in text(page) and "My bookings" in text(page)
    detail = as_user(app, anna).get(f"/hubs/{hub.id}")
    assert f'href="/book?hub={hub.id}"' in text(detail) and shows(detail, "Book here")
    assert f'href="/hubs/{hub.id}/day"' in text(detail)


@frozen(MONDAY, "12:00")
def test_search_lists_free_partly_free_and_why_not(app, hub, anna, erik):
    ops.book(erik, erik, desk(hub, "P1"), at(TUESDAY, "08:00"), at(TUESDAY, "10:00"))
    make_out_of_service(desk(hub, "P2"), at(TUESDAY, "07:00"), at(TUESDAY, "18:00"), "Trasig stol")
    page = as_user(app, anna).get("/book", query_string=wish(hub))
    assert page.status_code == 200
    body = text(page)
    assert "Tuesday 2026-03-03" in body and "week 10" in body and "08:00–12:00" in body
    assert shows(page, "1 desk is free the whole time, 1 partly")
    assert shows(page, "Book any free desk")
    assert shows(page, "Free: 10:00–12:00")  # P1 after Erik's booking
    assert shows(page, "Book 10:00–12:00")
    assert shows(page, "Out of service") and shows(page, "Trasig stol")
    assert "P9" not in body  # inactive desks are not offered
    assert "your booking" not in body
    assert "Erik" not in body  # colleagues see that a desk is taken, not by whom
    assert count(DemandMiss) == 0


@frozen(MONDAY, "12:00")
def test_search_on_a_holiday_names_it_and_a_full_hub_is_unmet_demand(app, hub, anna, erik):
    client = as_user(app, anna)
    page = client.get("/book", query_string=wish(hub, day="2026-04-03"))
    assert page.status_code == 200
    assert shows(page, "Closed: Good Friday")
    assert shows(page, "Show Tuesday 2026-04-07 instead")  # after Easter
    assert count(DemandMiss) == 0
    for label in ("P1", "P2", "P3"):
        other = make_user(hub.admitted_organisations[0])
        ops.book(other, other, desk(hub, label), at(TUESDAY, "08:00"), at(TUESDAY, "12:00"))
    page = client.get("/book", query_string=wish(hub))
    assert shows(page, "0 desks are free the whole time")
    assert not shows(page, "Book any free desk")
    (miss,) = misses()
    assert (miss.hub_id, miss.organisation_id, miss.source) == (
        hub.id,
        anna.organisation_id,
        "search",
    )
    assert (miss.wanted_start, miss.wanted_end) == (at(TUESDAY, "08:00"), at(TUESDAY, "12:00"))


@frozen(MONDAY, "10:15")
def test_this_morning_starts_at_the_current_slot(app, hub, anna):
    client = as_user(app, anna)
    page = client.get("/book", query_string=wish(hub, day=MONDAY))
    assert shows(page, "10:00–12:00")
    response = client.post("/book", data=wish(hub, day=MONDAY, desk=str(desk(hub, "P3").id)))
    assert response.status_code == 302
    (booking,) = bookings()
    # Asked for from the 10.00 slot; held from the moment it was made.
    assert booking.starts_at == at(MONDAY, "10:15") and booking.ends_at == at(MONDAY, "12:00")


@frozen(MONDAY, "12:00")
def test_booking_from_the_page_creates_one_booking_shown_under_my_bookings(app, hub, anna):
    client = as_user(app, anna)
    response = client.post("/book", data=wish(hub, desk=str(desk(hub, "P2").id)))
    assert response.status_code == 302
    (booking,) = bookings()
    assert location(response) == f"/bookings/{booking.id}"
    assert (booking.desk.label, booking.user_id, booking.booked_by_id) == ("P2", anna.id, None)
    assert (booking.starts_at, booking.ends_at) == (at(TUESDAY, "08:00"), at(TUESDAY, "12:00"))

    confirmation = client.get(location(response))
    assert shows(confirmation, "P2 at Kungsklippan 6 is booked for you")
    assert f'href="/bookings/{booking.id}.ics"' in text(confirmation)
    assert 'href="/bookings"' in text(confirmation)

    mine = client.get("/bookings")
    assert mine.status_code == 200
    assert shows(mine, "Tuesday 2026-03-03, 08:00–12:00") and shows(mine, "<strong>P2</strong>")
    assert shows(mine, "Check in between 07:45 and 08:30, or the desk is released.")
    # The hub is remembered for the next search.
    assert f'<option value="{hub.id}" selected' in text(client.get("/book"))


@frozen(MONDAY, "12:00")
def test_refused_booking_shows_the_rule_and_saves_nothing(app, hub, anna, erik):
    client = as_user(app, anna)
    too_far = client.post("/book", data=wish(hub, day="2026-05-20", desk=str(desk(hub, "P1").id)))
    assert too_far.status_code == 422
    assert shows(too_far, "Not booked:") and shows(too_far, "You can book at most 60 days ahead.")
    assert 'role="alert"' in text(too_far)
    assert count(Booking) == 0

    ops.book(erik, erik, desk(hub, "P1"), at(TUESDAY, "09:00"), at(TUESDAY, "10:00"))
    taken = client.post("/book", data=wish(hub, desk=str(desk(hub, "P1").id)))
    assert taken.status_code == 409
    assert shows(taken, "P1 is already booked then. Choose another time or desk.")
    assert count(Booking) == 1

    off_grid = client.post(
        "/book",
        data=wish(hub, choice="custom", start="09:10", end="10:00", desk=str(desk(hub, "P2").id)),
    )
    assert off_grid.status_code == 422
    assert shows(off_grid, "Bookings start and end on whole 30 minutes")
    assert count(Booking) == 1


@frozen(MONDAY, "12:00")
def test_any_desk_picks_one_with_the_wished_equipment(app, hub, anna):
    client = as_user(app, anna)
    response = client.post("/book", data=wish(hub, equipment=["docking_station"]))
    assert response.status_code == 302
    (booking,) = bookings()
    assert booking.desk.label == "P1"
    # Without wishes, the desk with the fewest extras is chosen.
    response = client.post("/book", data=wish(hub, choice="afternoon"))
    assert bookings()[1].desk.label == "P3"


@frozen(MONDAY, "12:00")
def test_a_manager_books_on_someones_behalf(app, hub, anna, maria, orgs):
    outsider = make_user(orgs["UTB"], display_name="Olle Utanför")
    client = as_user(app, maria)
    page = client.get("/book", query_string=wish(hub))
    assert shows(page, "Book for")
    assert shows(page, "Anna Berg") and not shows(page, "Olle Utanför")
    page = client.get("/book", query_string=wish(hub, for_user=str(anna.id)))
    assert shows(page, "Booking for Anna Berg (Kulturförvaltningen)")

    response = client.post(
        "/book", data=wish(hub, for_user=str(anna.id), desk=str(desk(hub, "P1").id))
    )
    assert response.status_code == 302
    (booking,) = bookings()
    assert (booking.user_id, booking.booked_by_id) == (anna.id, maria.id)
    assert shows(client.get(location(response)), "is booked for Anna Berg")

    mine = as_user(app, anna).get("/bookings")
    assert shows(mine, "<strong>P1</strong>")
    assert shows(mine, "Booked for you by Maria Holmberg.")

    not_admitted = client.post("/book", data=wish(hub, for_user=str(outsider.id)))
    assert not_admitted.status_code == 422
    assert shows(not_admitted, "Choose a person from the list.")
    assert count(Booking) == 1


@frozen(MONDAY, "12:00")
def test_only_managers_book_on_someones_behalf(app, hub, anna, erik):
    client = as_user(app, anna)
    page = client.get("/book", query_string=wish(hub))
    assert not shows(page, "Book for")
    response = client.post("/book", data=wish(hub, for_user=str(erik.id)))
    assert response.status_code == 403
    assert client.get("/book", query_string=wish(hub, for_user=str(erik.id))).status_code == 403
    assert count(Booking) == 0


@frozen(MONDAY, "12:00")
def test_weekly_booking_lists_each_date_and_why_some_were_not_booked(app, hub, anna, erik):
    p1 = desk(hub, "P1")
    ops.book(erik, erik, p1, at("2026-04-08", "09:00"), at("2026-04-08", "10:00"))
    client = as_user(app, anna)
    query = {"desk": p1.id, "date": "2026-03-30", "start": "08:00", "end": "12:00"}
    form = client.get("/book/weekly", query_string=query)
    assert form.status_code == 200
    assert shows(form, "Book every week") and 'checked id="weekdays-0"' in text(form)

    result = client.post(
        "/book/weekly",
        data={**query, "weekdays": ["0", "2", "4"], "until": "2026-04-10"},
    )
    assert result.status_code == 200
    body = text(result)
    assert "3 of 6 dates are booked." in body
    assert re.search(
        r"Friday 2026-04-03</strong>:\s*<span[^>]*>.*?Not booked</span>\s*The hub"
        r" is closed on 2026-04-03: Good Friday\.",
        body,
        re.S,
    )
    assert "The hub is closed on 2026-04-06: Easter Monday." in body
    assert "P1 is already booked then." in body
    booked = [b for b in bookings() if b.user_id == anna.id]
    assert [b.starts_at.astimezone(STOCKHOLM).date().isoformat() for b in booked] == [
        "2026-03-30",
        "2026-04-01",
        "2026-04-10",
    ]
    assert len({b.series_id for b in booked}) == 1


@frozen(MONDAY, "12:00")
def test_weekly_booking_refuses_bad_input_without_saving(app, hub, anna):
    client = as_user(app, anna)
    base = {"desk": desk(hub, "P1").id, "date": TUESDAY, "start": "08:00", "end": "12:00"}
    no_days = client.post("/book/weekly", data={**base, "until": "2026-03-20"})
    assert no_days.status_code == 422 and shows(no_days, "Choose at least one weekday.")
    before = client.post("/book/weekly", data={**base, "weekdays": ["1"], "until": "2026-03-01"})
    assert before.status_code == 422 and shows(before, "The last date cannot be before the first.")
    assert count(Booking) == 0


# --- my bookings: cancel, check in, check out, .ics ---------------------------------------


def test_cancel_check_in_and_check_out_change_the_status(app, hub, anna):
    with frozen(MONDAY, "12:00"):
        morning = ops.book(anna, anna, desk(hub, "P1"), at(TUESDAY, "09:00"), at(TUESDAY, "12:00"))
        later = ops.book(anna, anna, desk(hub, "P1"), at(TUESDAY, "14:00"), at(TUESDAY, "16:00"))
        client = as_user(app, anna)
    with frozen(TUESDAY, "08:00"):
        page = client.get("/bookings")
        assert shows(page, "Check in between 08:45 and 09:30, or the desk is released.")
        assert f'action="/bookings/{morning.id}/check-in"' not in text(page)  # not open yet
        early = client.post(f"/bookings/{morning.id}/check-in")
        assert location(early) == "/bookings"
        assert shows(
            client.get("/bookings"), "Check-in opens at 08:45, 15 minutes before the start."
        )
        assert reload(morning).status is BookingStatus.CONFIRMED

        cancelled = client.post(f"/bookings/{later.id}/cancel", data={"next": "/bookings"})
        assert cancelled.status_code == 302
        assert reload(later).status is BookingStatus.CANCELLED
    with frozen(TUESDAY, "09:05"):
        page = client.get("/bookings")
        assert f'action="/bookings/{morning.id}/check-in"' in text(page)
        assert shows(page, "Check in by 09:30, or the desk is released.")
        client.post(f"/bookings/{morning.id}/check-in")
        assert reload(morning).status is BookingStatus.CHECKED_IN
        assert shows(client.get("/bookings"), "You are checked in at P1. Welcome!")
    with frozen(TUESDAY, "10:30"):
        page = client.get("/bookings")
        assert f'action="/bookings/{morning.id}/check-out"' in text(page)
        client.post(f"/bookings/{morning.id}/check-out")
        morning = reload(morning)
        assert morning.status is BookingStatus.COMPLETED
        assert morning.checked_out_at == at(TUESDAY, "10:30")
        page = client.get("/bookings")
        assert shows(page, "You have no upcoming bookings.")
        assert shows(page, "Completed") and shows(page, "Cancelled")


def test_someone_elses_booking_is_not_found(app, hub, anna, erik):
    with frozen(MONDAY, "12:00"):
        booking = ops.book(erik, erik, desk(hub, "P1"), at(TUESDAY, "09:00"), at(TUESDAY, "12:00"))
        client = as_user(app, anna)
        for method, url in [
            ("GET", f"/bookings/{booking.id}"),
            ("GET", f"/bookings/{booking.id}.ics"),
            ("POST", f"/bookings/{booking.id}/cancel"),
            ("POST", f"/bookings/{booking.id}/check-in"),
            ("POST", f"/bookings/{booking.id}/check-out"),
            ("GET", "/bookings/987654"),
            ("POST", "/bookings/987654/cancel"),
        ]:
            response = client.open(url, method=method)
            assert response.status_code == 404, url
        assert reload(booking).status is BookingStatus.CONFIRMED


def test_the_ics_file_has_the_uid_zone_and_times(app, hub, anna):
    # The day after the spring DST change: the wall-clock times stay as booked.
    with frozen("2026-03-27", "12:00"):
        booking = ops.book(
            anna, anna, desk(hub, "P2"), at("2026-03-30", "08:00"), at("2026-03-30", "12:30")
        )
        response = as_user(app, anna).get(f"/bookings/{booking.id}.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert "attachment" in response.headers["Content-Disposition"]
    calendar = icalendar.Calendar.from_ical(response.data)
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]) == f"booking-{booking.id}@hubbar"
    assert event["DTSTART"].params["TZID"] == "Europe/Stockholm"
    assert event.decoded("DTSTART") == at("2026-03-30", "08:00")
    assert event.decoded("DTSTART").utcoffset().total_seconds() == 7200
    assert event.decoded("DTEND") == at("2026-03-30", "12:30")
    assert str(event["SUMMARY"]) == "Touch-down desk P2 – Kungsklippan 6"
    assert str(event["LOCATION"]) == "Kungsklippan 6, Stockholm"
    assert str(event["STATUS"]) == "CONFIRMED"
    (zone,) = calendar.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "Europe/Stockholm"

    with frozen("2026-03-27", "13:00"):
        ops.cancel(anna, booking)
        cancelled = as_user(app, anna).get(f"/bookings/{booking.id}.ics")
    (event,) = icalendar.Calendar.from_ical(cancelled.data).walk("VEVENT")
    assert str(event["STATUS"]) == "CANCELLED" and int(event["SEQUENCE"]) == 1


# --- check-in by QR code --------------------------------------------------------------------


def test_qr_page_has_one_code_per_active_desk_for_managers_only(app, hub, anna, maria):
    page = as_user(app, maria).get(f"/manage/hubs/{hub.id}/qr")
    assert page.status_code == 200
    body = text(page)
    assert body.count("<svg") == 3
    for label in ("P1", "P2", "P3"):
        url = f"http://localhost/checkin/desk/{desk(hub, label).id}"
        assert url in body and f'<span class="qr-label">{label}</span>' in body
    assert '<span class="qr-label">P9</span>' not in body  # the inactive desk
    manage = as_user(app, maria).get(f"/manage/hubs/{hub.id}")
    assert f'href="/manage/hubs/{hub.id}/qr"' in text(manage) and shows(manage, "Print QR codes")

    assert as_user(app, anna).get(f"/manage/hubs/{hub.id}/qr").status_code == 403
    assert as_user(app, maria).get("/manage/hubs/987654/qr").status_code == 404


def test_the_qr_link_checks_in_at_start_time(app, hub, anna):
    p2 = desk(hub, "P2")
    with frozen(MONDAY, "12:00"):
        booking = ops.book(anna, anna, p2, at(TUESDAY, "09:00"), at(TUESDAY, "12:00"))
    # Logged out, the QR link goes to the login page and comes back.
    client = app.test_client()
    response = client.get(f"/checkin/desk/{p2.id}")
    assert response.status_code == 302 and "/login" in location(response)
    next_url = re.search(r"next=([^&]+)", location(response)).group(1)
    with frozen(TUESDAY, "09:00"):
        from urllib.parse import unquote

        back = login_next(client, anna, unquote(next_url))
        assert location(back) == f"/checkin/desk/{p2.id}"
        page = client.get(f"/checkin/desk/{p2.id}")
        assert page.status_code == 200
        assert shows(page, "Tuesday 2026-03-03, 09:00–12:00")
        assert f'action="/bookings/{booking.id}/check-in"' in text(page)
        assert "button-large" in text(page)
        done = client.post(
            f"/bookings/{booking.id}/check-in", data={"next": f"/checkin/desk/{p2.id}"}
        )
        assert location(done) == f"/checkin/desk/{p2.id}"
        assert reload(booking).status is BookingStatus.CHECKED_IN
        assert reload(booking).checked_in_at == at(TUESDAY, "09:00")
        assert shows(client.get(location(done)), "Checked in")


def login_next(client, user, next_url):
    from tests.factories import PASSWORD

    return client.post(
        "/login", query_string={"next": next_url}, data={"email": user.email, "password": PASSWORD}
    )


def test_the_qr_link_without_a_booking_offers_the_free_desk(app, hub, anna, erik):
    p3 = desk(hub, "P3")
    with frozen(MONDAY, "12:00"):
        ops.book(erik, erik, p3, at(TUESDAY, "13:00"), at(TUESDAY, "15:00"))
        ops.book(anna, anna, desk(hub, "P1"), at(TUESDAY, "15:00"), at(TUESDAY, "16:00"))
        client = as_user(app, anna)  # a session made now counts as from the future at once
    with frozen(TUESDAY, "10:10"):
        page = client.get(f"/checkin/desk/{p3.id}")
        assert page.status_code == 200
        assert shows(page, "You have no booking at this desk now.")
        assert shows(page, "Your booking today is at P1, 15:00–16:00.")
        assert shows(page, "Book it now, 10:00–13:00")
        response = client.post(
            "/book",
            data={
                "hub": hub.id,
                "desk": p3.id,
                "date": TUESDAY,
                "choice": "custom",
                "start": "10:00",
                "end": "13:00",
                "next": f"/checkin/desk/{p3.id}",
            },
        )
        assert location(response) == f"/checkin/desk/{p3.id}"
        page = client.get(location(response))
        new = next(b for b in bookings() if b.desk_id == p3.id and b.user_id == anna.id)
        assert f'action="/bookings/{new.id}/check-in"' in text(page)
    with frozen(TUESDAY, "13:30"):
        page = as_user(app, make_user(hub.admitted_organisations[0], locale="en")).get(
            f"/checkin/desk/{p3.id}"
        )
        assert shows(page, "The desk is not free right now.")


def test_qr_links_refuse_unknown_desks_and_other_hubs(app, hub, orgs):
    outsider = as_user(app, make_user(orgs["UTB"], locale="en"))
    assert outsider.get(f"/checkin/desk/{desk(hub, 'P1').id}").status_code == 403
    assert outsider.get("/checkin/desk/987654").status_code == 404


# --- the day view ---------------------------------------------------------------------------


@frozen(MONDAY, "12:00")
def test_the_day_view_hides_names_from_colleagues_and_shows_them_to_managers(
    app, hub, anna, erik, maria
):
    ops.book(erik, erik, desk(hub, "P1"), at(TUESDAY, "09:00"), at(TUESDAY, "11:30"))
    make_out_of_service(desk(hub, "P2"), at(TUESDAY, "13:00"), at(TUESDAY, "15:00"), "Ny skärm")
    url = f"/hubs/{hub.id}/day?date={TUESDAY}"

    colleague = as_user(app, anna).get(url)
    assert colleague.status_code == 200
    body = text(colleague)
    assert "Tuesday 2026-03-03" in body and "Open 08:00–17:00." in body
    assert re.search(r"09:00–11:30</span>\s*<span[^>]*>.*?Booked", body, re.S)
    assert "08:00–09:00" in body and "11:30–17:00" in body
    assert "13:00–15:00" in body and "Ny skärm" in body
    assert "Erik Sund" not in body

    manager = as_user(app, maria).get(url)
    assert "Erik Sund" in text(manager)
    own = as_user(app, erik).get(url)
    assert shows(own, "your booking")


def test_the_day_view_names_a_holiday_and_refuses_outsiders(app, hub, anna, orgs):
    closed = as_user(app, anna).get(f"/hubs/{hub.id}/day?date=2026-12-24")
    assert closed.status_code == 200 and shows(closed, "Closed: Christmas Eve")
    outsider = as_user(app, make_user(orgs["UTB"], locale="en"))
    assert outsider.get(f"/hubs/{hub.id}/day").status_code == 403
    assert outsider.get("/hubs/987654/day").status_code == 404


# --- who may see what -----------------------------------------------------------------------


def test_pages_refuse_hubs_the_user_may_not_book(app, hub, orgs):
    outsider = as_user(app, make_user(orgs["UTB"], locale="en"))
    page = outsider.get("/book")
    assert page.status_code == 200 and shows(page, "Your organisation has no hubs to book yet.")
    assert outsider.get("/book", query_string=wish(hub)).status_code == 403
    assert outsider.post("/book", data=wish(hub)).status_code == 403
    assert outsider.get("/book", query_string={"hub": "987654"}).status_code == 404
    assert (
        outsider.get("/book/weekly", query_string={"desk": desk(hub, "P1").id}).status_code == 403
    )
    assert count(Booking) == 0


def test_every_page_needs_a_login(client, hub):
    for url in ["/book", "/bookings", f"/hubs/{hub.id}/day", f"/manage/hubs/{hub.id}/qr"]:
        response = client.get(url)
        assert response.status_code == 302 and "/login" in location(response), url


@frozen(MONDAY, "12:00")
def test_search_marks_the_desk_already_yours_and_says_why_you_cannot_book(app, hub, anna):
    ops.book(anna, anna, desk(hub, "P3"), at(TUESDAY, "08:00"), at(TUESDAY, "12:00"))
    page = as_user(app, anna).get("/book", query_string=wish(hub))
    assert shows(page, "You cannot book this time:")
    assert shows(page, "You already have a booking then: P3 at Kungsklippan 6, 2026-03-03 08:00.")
    assert shows(page, "(your booking)")
    assert 'method="post" action="/book#results"' not in text(page)  # no buttons that would fail


@pytest.fixture()
def protected_client(database_url):
    """A client of an app with CSRF protection on, as in production."""
    protected = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "WTF_CSRF_ENABLED": True,
            "HUBBAR_PASSWORD_HASH": "pbkdf2:sha256:1000",
            "SECRET_KEY": "csrf-test-secret",
        }
    )
    yield protected.test_client()
    with protected.app_context():
        db.engine.dispose()


@frozen(MONDAY, "12:00")
def test_the_booking_buttons_carry_the_csrf_token(protected_client, hub, anna):
    from tests.factories import PASSWORD

    client = protected_client
    page = text(client.get("/login"))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/login", data={"email": anna.email, "password": PASSWORD, "csrf_token": token})
    assert client.post("/book", data=wish(hub, desk=str(desk(hub, "P1").id))).status_code == 400
    assert count(Booking) == 0

    page = text(client.get("/book", query_string=wish(hub)))
    form = re.search(
        r'<form method="post" action="/book#results" class="book-any">(.*?)</form>', page, re.S
    ).group(1)
    data: dict[str, list[str]] = {}
    for name, value in re.findall(r'name="([^"]+)" value="([^"]*)"', form):
        data.setdefault(name, []).append(value)
    response = client.post("/book", data=data)
    assert response.status_code == 302
    (booking,) = bookings()
    page = text(client.get("/bookings"))
    cancel = re.search(
        rf'action="/bookings/{booking.id}/cancel".*?name="csrf_token" value="([^"]+)"', page, re.S
    )
    client.post(f"/bookings/{booking.id}/cancel", data={"csrf_token": cancel.group(1)})
    assert reload(booking).status is BookingStatus.CANCELLED
