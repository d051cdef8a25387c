"""The today view of a hub: each desk's state now, the next booking, and the day's remaining
capacity, computed by hand. The manager reads English here (locale "en"), so the page tests
assert on msgids; one test reads the Swedish time format."""

from __future__ import annotations

import re
from datetime import date, time

import pytest
from sqlalchemy import event

from hubbar.bookings import operations as booking_ops
from hubbar.bookings.models import BookingStatus
from hubbar.extensions import db
from hubbar.occupancy import live
from hubbar.occupancy.metrics import compute
from tests.bookings.clock import at, frozen
from tests.factories import (
    login,
    make_admin,
    make_closure,
    make_hub_manager,
    make_out_of_service,
    make_user,
)
from tests.helpers import location, shows, text
from tests.occupancy.conftest import book, hub_with_desks

DAY = "2026-03-10"  # a Tuesday
EARLIER = at("2026-03-09", "12:00")
S = BookingStatus


@pytest.fixture()
def hub(ssa):
    return hub_with_desks(2, host=ssa, name="Kungsklippan 6")


@pytest.fixture()
def ulla(kuf):
    return make_user(kuf, display_name="Ulla Ek")


@pytest.fixture()
def sven(ssa):
    return make_user(ssa, display_name="Sven Berg")


@pytest.fixture()
def manager(hub):
    return make_hub_manager(hub, display_name="Maja Lokal", locale="en")


def states(hub, now) -> dict[str, live.DeskNow]:
    return {d.desk.label: d for d in live.desk_states(hub, now)}


def page(client, hub):
    return client.get(f"/hubs/{hub.id}/today")


def words(response) -> str:
    """The page's text without tags, its white space collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", text(response)))


# --- remaining capacity ----------------------------------------------------------------------


def test_remaining_capacity_computed_by_hand(hub, ulla):
    """08–17, two desks, now 10.00: D1 booked 09–12 (checked in), D2 out of service 13–17.
    Open from now: 7 h + 7 h, minus 4 h out of service = 10 h; bookings hold 10–12 = 2 h;
    free 14 − 2 − 4 = 8 desk-hours."""
    d1, d2 = hub.desks
    book(d1, ulla, at(DAY, "09:00"), at(DAY, "12:00"), created=EARLIER,
         status=S.CHECKED_IN, checked_in=at(DAY, "09:05"))  # fmt: skip
    make_out_of_service(d2, at(DAY, "13:00"), at(DAY, "17:00"))

    capacity = live.remaining_capacity(hub, at(DAY, "10:00"))

    assert capacity.open_hours == pytest.approx(10)
    assert capacity.booked_hours == pytest.approx(2)
    assert capacity.free_hours == pytest.approx(8)
    assert capacity.free_share == pytest.approx(0.8)


def test_before_opening_the_remaining_capacity_is_the_days_metrics(hub, ulla, sven):
    """One definition: before opening, what remains is the whole day as the metrics count it."""
    d1, d2 = hub.desks
    book(d1, ulla, at(DAY, "09:00"), at(DAY, "12:00"), created=EARLIER, status=S.CONFIRMED)
    book(d2, sven, at(DAY, "13:30"), at(DAY, "16:00"), created=EARLIER, status=S.CONFIRMED)
    make_out_of_service(d2, at(DAY, "08:00"), at(DAY, "10:00"))

    capacity = live.remaining_capacity(hub, at(DAY, "07:00"))
    (row,) = compute([hub], date(2026, 3, 10), date(2026, 3, 10), now=at(DAY, "23:59")).days

    assert capacity.open_hours == pytest.approx(row.capacity_hours) == pytest.approx(16)
    assert capacity.booked_hours == pytest.approx(row.booked_hours) == pytest.approx(5.5)


def test_lunch_break_is_not_remaining_capacity(ssa, ulla):
    """08–17 closed 12–13, one desk, now 11.00, booked 11–14 across lunch: open from now
    11–12 and 13–17 = 5 h; booked 11–12 and 13–14 = 2 h; free 3 h."""
    hub = hub_with_desks(1, lunch=True, host=ssa)
    book(hub.desks[0], ulla, at(DAY, "11:00"), at(DAY, "14:00"), created=EARLIER,
         status=S.CHECKED_IN, checked_in=at(DAY, "11:00"))  # fmt: skip

    capacity = live.remaining_capacity(hub, at(DAY, "11:00"))
    assert (capacity.open_hours, capacity.booked_hours) == (pytest.approx(5), pytest.approx(2))
    assert capacity.free_hours == pytest.approx(3)

    at_lunch = live.remaining_capacity(hub, at(DAY, "12:30"))  # only the afternoon remains
    assert (at_lunch.open_hours, at_lunch.booked_hours) == (pytest.approx(4), pytest.approx(1))


def test_after_closing_nothing_remains(hub, ulla):
    book(hub.desks[0], ulla, at(DAY, "09:00"), at(DAY, "17:00"), created=EARLIER)
    capacity = live.remaining_capacity(hub, at(DAY, "17:30"))
    assert (capacity.open_hours, capacity.free_hours, capacity.free_share) == (0, 0, None)


def test_a_desk_deactivated_today_leaves_the_capacity(hub):
    d1, _d2 = hub.desks
    d1.active, d1.inactive_since = False, at(DAY, "09:00")
    db.session.commit()

    assert live.remaining_capacity(hub, at(DAY, "10:00")).open_hours == pytest.approx(7)
    assert [d.desk.label for d in live.desk_states(hub, at(DAY, "10:00"))] == ["D2"]


# --- desk states ---------------------------------------------------------------------------


@pytest.fixture()
def four(hub, ulla, sven):
    """Four desks at 10.00: D1 checked in, D2 booked, D3 out of service, D4 free with a
    booking in the afternoon."""
    from tests.factories import make_desk
    from tests.occupancy.conftest import LONG_AGO

    d3, d4 = make_desk(hub, label="D3"), make_desk(hub, label="D4")
    d3.created_at = d4.created_at = LONG_AGO
    db.session.commit()
    d1, d2 = hub.desks[:2]
    book(d1, ulla, at(DAY, "09:00"), at(DAY, "12:00"), created=EARLIER,
         status=S.CHECKED_IN, checked_in=at(DAY, "09:05"))  # fmt: skip
    book(d2, sven, at(DAY, "09:45"), at(DAY, "11:30"), created=EARLIER, status=S.CONFIRMED)
    book(d2, ulla, at(DAY, "14:00"), at(DAY, "16:00"), created=EARLIER, status=S.CONFIRMED)
    make_out_of_service(d3, at(DAY, "08:00"), at(DAY, "14:00"), reason="Trasig stol")
    book(d4, sven, at(DAY, "13:00"), at(DAY, "15:00"), created=EARLIER, status=S.CONFIRMED)
    return hub


def test_each_desk_state_now(four, ulla, sven):
    now = at(DAY, "10:00")
    desks = states(four, now)

    assert {label: d.state for label, d in desks.items()} == {
        "D1": live.CHECKED_IN,
        "D2": live.BOOKED,
        "D3": live.OUT_OF_SERVICE,
        "D4": live.FREE,
    }
    assert desks["D1"].booking.user == ulla and desks["D1"].until == at(DAY, "12:00")
    assert desks["D2"].booking.user == sven and desks["D2"].until == at(DAY, "11:30")
    assert desks["D2"].check_in_by == at(DAY, "10:15")  # 30 min grace after 09.45
    assert desks["D2"].next_booking.starts_at == at(DAY, "14:00")
    assert (desks["D3"].reason, desks["D3"].until) == ("Trasig stol", at(DAY, "14:00"))
    assert desks["D4"].until == at(DAY, "13:00")  # free until its next booking
    assert desks["D4"].next_booking.user == sven
    assert desks["D1"].next_booking is None


def test_the_page_shows_states_in_text_and_shape(client, four, manager):
    with frozen(DAY, "10:00"):
        login(client, manager)
        response = page(client, four)

    assert response.status_code == 200
    page_text = text(response)
    for shape, state in (("○", "Free"), ("◐", "Booked"), ("●", "Checked in"),
                         ("▲", "Out of service")):  # fmt: skip
        assert f'aria-hidden="true">{shape}</span> {state}' in page_text
    assert 'class="today-desk today-checked_in"' in page_text
    assert "Ulla Ek" in page_text and "until 12:00" in page_text
    assert "Booked by Sven Berg" in page_text
    assert "Released at 10:15 unless someone checks in." in page_text
    assert "Trasig stol" in page_text and "Out of service until 14:00" in page_text
    assert "Free until 13:00" in words(response)


def test_the_page_shows_the_next_booking_and_the_counts(client, four, manager):
    with frozen(DAY, "10:00"):
        login(client, manager)
        response = page(client, four)
    page_text = words(response)

    assert "Next booking today: 13:00–15:00, Sven Berg (SSA)" in page_text
    assert "Next booking today: 14:00–16:00, Ulla Ek (KuF)" in page_text
    assert "No more bookings today." in page_text
    assert page_text.count("1 desk") == 4  # one desk in each state
    assert "1 free, 1 booked, 1 checked in, 1 out of service." in text(response)


def test_the_page_shows_the_days_hours_and_capacity(client, hub, manager, ulla):
    d1, d2 = hub.desks
    book(d1, ulla, at(DAY, "09:00"), at(DAY, "12:00"), created=EARLIER,
         status=S.CHECKED_IN, checked_in=at(DAY, "09:05"))  # fmt: skip
    make_out_of_service(d2, at(DAY, "13:00"), at(DAY, "17:00"))
    with frozen(DAY, "10:00"):
        login(client, manager)
        page_text = text(page(client, hub))

    assert "Open 08:00–17:00." in page_text
    assert "Open now, until 17:00." in page_text
    assert "8.0 of 10.0 h" in page_text
    assert "Updated 10:00" in page_text
    assert "Out of service from 13:00" in page_text  # D2 is free now, but not this afternoon


def test_lunch_break_on_the_page(client, ssa):
    hub = hub_with_desks(1, lunch=True, host=ssa)
    manager = make_hub_manager(hub, locale="en")
    with frozen(DAY, "12:15"):
        login(client, manager)
        page_text = text(page(client, hub))

    assert "Open 08:00–17:00, closed for lunch 12:00–13:00." in page_text
    assert "Closed for lunch until 13:00." in page_text
    assert "4.0 of 4.0 h" in page_text


@pytest.mark.parametrize(
    ("hhmm", "message"),
    [("07:30", "Not open yet: opens at 08:00."), ("17:05", "Closed for the day.")],
)
def test_the_page_says_where_the_day_stands(client, hub, manager, hhmm, message):
    with frozen(DAY, hhmm):
        login(client, manager)
        assert shows(page(client, hub), message)


def test_a_holiday_is_a_closed_day(client, hub, manager):
    with frozen("2026-05-01", "10:00"):  # May Day, a Friday
        login(client, manager)
        page_text = text(page(client, hub))
        capacity = live.remaining_capacity(hub, at("2026-05-01", "10:00"))

    assert "Closed today: May Day" in page_text
    assert "Open now" not in page_text
    assert "0.0 of 0.0 h" in page_text
    assert capacity.open_hours == 0


def test_a_closure_is_a_closed_day_with_its_reason(client, hub, manager):
    make_closure(hub, date(2026, 3, 10), reason="Flytt")
    with frozen(DAY, "10:00"):
        login(client, manager)
        assert shows(page(client, hub), "Closed today: Flytt")


def test_an_early_check_out_frees_the_rest(hub, ulla):
    d1, _d2 = hub.desks
    booking = book(d1, ulla, at(DAY, "09:00"), at(DAY, "15:00"), created=EARLIER,
                   status=S.CHECKED_IN, checked_in=at(DAY, "09:00"))  # fmt: skip
    now = at(DAY, "11:00")
    assert states(hub, now)["D1"].state == live.CHECKED_IN
    assert live.remaining_capacity(hub, now).free_hours == pytest.approx(12 - 4)

    booking_ops.check_out(ulla, booking, now=now)

    assert states(hub, now)["D1"].state == live.FREE
    assert states(hub, now)["D1"].booking is None
    assert live.remaining_capacity(hub, now).free_hours == pytest.approx(12)


def test_a_released_no_show_frees_the_desk(hub, ulla):
    d1, _d2 = hub.desks
    book(d1, ulla, at(DAY, "09:00"), at(DAY, "12:00"), created=EARLIER, status=S.CONFIRMED)
    before = states(hub, at(DAY, "09:20"))["D1"]
    assert (before.state, before.check_in_by) == (live.BOOKED, at(DAY, "09:30"))

    released = booking_ops.release_no_shows(now=at(DAY, "09:31"))

    assert len(released) == 1
    now = at(DAY, "09:45")
    assert states(hub, now)["D1"].state == live.FREE
    capacity = live.remaining_capacity(hub, now)
    assert capacity.booked_hours == 0
    assert capacity.free_hours == pytest.approx(2 * 7.25)


def test_a_cancelled_booking_is_not_the_next_booking(hub, ulla):
    d1, _d2 = hub.desks
    book(d1, ulla, at(DAY, "13:00"), at(DAY, "15:00"), created=EARLIER,
         status=S.CANCELLED, cancelled=at(DAY, "09:00"))  # fmt: skip
    desk = states(hub, at(DAY, "10:00"))["D1"]
    assert (desk.state, desk.next_booking, desk.until) == (live.FREE, None, None)


def test_the_number_of_queries_does_not_grow_with_the_desks(ssa, kuf):
    def queries(desks: int) -> int:
        hub = hub_with_desks(desks, host=ssa, name=f"Hubb med {desks}")
        for i, desk in enumerate(hub.desks):
            person = make_user(kuf)
            if i % 2:  # booked, not checked in yet: its check-in deadline is shown
                book(desk, person, at(DAY, "09:45"), at(DAY, "10:30"), created=EARLIER,
                     status=S.CONFIRMED)  # fmt: skip
            else:
                book(desk, person, at(DAY, "09:00"), at(DAY, "10:30"), created=EARLIER,
                     status=S.CHECKED_IN, checked_in=at(DAY, "09:00"))  # fmt: skip
            book(desk, person, at(DAY, "14:00"), at(DAY, "15:00"), created=EARLIER)
            make_out_of_service(desk, at(DAY, "16:00"), at(DAY, "17:00"))
        db.session.expire_all()
        hub = db.session.get(type(hub), hub.id)
        seen = []
        engine = db.engine
        listener = lambda *args: seen.append(1)  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            day = live.today_at(hub, at(DAY, "10:00"))
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        assert day.counts[live.BOOKED] == desks // 2
        assert all(d.next_booking is not None for d in day.desks)
        return len(seen)

    assert queries(2) == queries(8)
    assert queries(3) <= 10


# --- access and the page's working parts -----------------------------------------------------


def test_managers_and_admins_see_the_page_others_do_not(client, hub, ssa, kuf):
    other_hub = hub_with_desks(1, host=kuf)
    cases = [
        (make_hub_manager(hub), 200),
        (make_admin(), 200),
        (make_hub_manager(other_hub), 403),
        (make_user(ssa), 403),  # an employee of the host
    ]
    for user, status in cases:
        with frozen(DAY, "10:00"):
            client.post("/logout")
            login(client, user)
            assert page(client, hub).status_code == status, user.display_name


def test_anonymous_visitors_are_sent_to_log_in(client, hub):
    response = page(client, hub)
    assert response.status_code == 302
    assert location(response).startswith("/login")


@pytest.mark.parametrize("hub_id", ["999999", "99999999999999999999", "abc", "-1"])
def test_a_bad_hub_id_is_not_found(client, hub, manager, hub_id):
    login(client, manager)
    assert client.get(f"/hubs/{hub_id}/today").status_code == 404


def test_the_page_refreshes_itself_without_inline_script(client, hub, manager):
    with frozen(DAY, "10:00"):
        login(client, manager)
        page_text = page(client, hub).get_data(as_text=True)

    assert re.search(r'<script src="/static/today\.js[^"]*" defer></script>', page_text)
    assert not re.search(r"<script(?![^>]*\bsrc=)", page_text)  # no inline script
    assert 'http-equiv="refresh"' not in page_text
    assert f'href="/hubs/{hub.id}/today"' in page_text  # the Refresh link, without JavaScript
    assert 'role="status" aria-live="polite"' in page_text
    assert 'id="today-live"' in page_text and 'data-counts="2,0,0,0"' in page_text


def test_times_read_the_swedish_way(client, hub, ulla):
    manager = make_hub_manager(hub, locale="sv")
    book(hub.desks[0], ulla, at(DAY, "09:00"), at(DAY, "12:30"), created=EARLIER,
         status=S.CHECKED_IN, checked_in=at(DAY, "09:05"))  # fmt: skip
    with frozen(DAY, "10:00"):
        login(client, manager)
        page_text = text(page(client, hub))
    assert "12.30" in page_text and "12:30" not in page_text


def test_the_manage_pages_link_to_the_today_view(client, hub, manager):
    login(client, manager)
    assert f"/hubs/{hub.id}/today" in text(client.get(f"/manage/hubs/{hub.id}"))
    assert f"/hubs/{hub.id}/today" in text(client.get("/manage/hubs"))


def test_hours_with_a_break_show_in_the_schedule(hub):
    for row in hub.opening_hours:
        row.break_starts, row.break_ends = time(12), time(12, 30)
    db.session.commit()
    day = live.today_at(hub, at(DAY, "12:10"))
    assert (day.phase, day.phase_until) == (live.LUNCH, at(DAY, "12:30"))
