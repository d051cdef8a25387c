"""Private calendar feeds: a user's bookings and a hub's bookings for its managers, fetched
without login by their secret address, built from the database on every fetch. Cancelled and
released bookings are left out; every address is under HUBBAR_BASE_URL whatever Host a request
names; a hub's address is renewed when one of its managers leaves; the VTIMEZONE gives the right
instants around both DST changes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from icalendar import Calendar

from hubbar.accounts.models import Role, RoleAssignment
from hubbar.bookings import feeds
from hubbar.bookings import operations as ops
from hubbar.bookings.ical import booking_uid
from hubbar.errors import NotAllowed
from hubbar.extensions import db
from tests.api.helpers import call, token_for
from tests.bookings.clock import at, frozen
from tests.factories import (
    login,
    make_admin,
    make_hub,
    make_hub_manager,
    make_organisation,
    make_user,
)
from tests.helpers import STOCKHOLM, audit_events, reload, snapshot

BASE = "http://localhost:5000"  # HUBBAR_BASE_URL in the tests

MONDAY = "2026-11-30"
TUESDAY = "2026-12-01"
WEDNESDAY = "2026-12-02"


@pytest.fixture()
def hub():
    host = make_organisation(name="Stadsarkivet", code="SSA")
    return make_hub(host=host, name="Kungsklippan 6", desks=2, max_days_ahead=90)


@pytest.fixture()
def anna(hub):
    return make_user(
        hub.host_organisation, display_name="Anna Berg", email="anna.berg@ssa.example.org"
    )


@pytest.fixture()
def erik(hub):
    return make_user(hub.host_organisation, display_name="Erik Ek", email="erik.ek@example.org")


def fetch(client, url: str) -> Calendar:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Cache-Control"] == "private, max-age=300"
    return Calendar.from_ical(response.data)


def user_url(user) -> str:
    return f"/calendar/{user.calendar_token}.ics"


def hub_url(hub, lang: str = "") -> str:
    return f"/calendar/hub/{hub.calendar_token}.ics" + (f"?lang={lang}" if lang else "")


def events(calendar: Calendar) -> dict[str, object]:
    """The feed's events by UID."""
    return {str(e["uid"]): e for e in calendar.walk("VEVENT")}


def book(user, desk, day: str, start: str, end: str, now: tuple[str, str] = (MONDAY, "07:00")):
    with frozen(*now):
        return ops.book(user, user, desk, at(day, start), at(day, end))


# --- a user's feed -------------------------------------------------------------------------


def test_user_feed_holds_the_bookings_in_hub_time_with_stable_uids(client, hub, anna, erik):
    desk = hub.desks[0]
    too_old = book(anna, desk, "2026-09-30", "09:00", "10:00", now=("2026-09-29", "12:00"))
    old = book(anna, desk, "2026-10-02", "09:00", "10:00", now=("2026-10-01", "12:00"))
    morning = book(anna, desk, TUESDAY, "09:00", "12:00")
    cancelled = book(anna, desk, WEDNESDAY, "13:00", "15:30")
    others = book(erik, hub.desks[1], TUESDAY, "09:00", "12:00")
    with frozen(MONDAY, "07:30"):
        ops.cancel(anna, cancelled)
    token = feeds.create_or_regenerate_feed(anna)
    assert len(token) == 43 and reload(anna).calendar_token == token

    with frozen(MONDAY, "08:00"):
        calendar = fetch(client, user_url(anna))

    assert str(calendar["X-WR-CALNAME"]) == "hubbar – Anna Berg"
    assert calendar["REFRESH-INTERVAL"].to_ical() == b"PT1H"
    assert calendar["REFRESH-INTERVAL"].params["VALUE"] == "DURATION"
    assert calendar["X-PUBLISHED-TTL"].to_ical() == b"PT1H"
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Stockholm"]

    found = events(calendar)
    # 59 days back is in, 61 days back is out; Erik's booking is not Anna's; a cancelled one
    # is left out, so the subscribed calendar drops it.
    assert set(found) == {booking_uid(b) for b in (old, morning)}
    for left_out in (too_old, others, cancelled):
        assert booking_uid(left_out) not in found
    assert booking_uid(morning) == f"booking-{morning.id}@hubbar"

    event = found[booking_uid(morning)]
    assert event["DTSTART"].params["TZID"] == "Europe/Stockholm"
    assert event["DTSTART"].dt == datetime(2026, 12, 1, 9, 0, tzinfo=STOCKHOLM)
    assert event["DTEND"].dt == datetime(2026, 12, 1, 12, 0, tzinfo=STOCKHOLM)
    assert event["DTSTART"].dt.utcoffset().total_seconds() == 3600
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["LOCATION"]) == hub.address
    assert str(event["URL"]) == f"{BASE}/bookings/{morning.id}"


def test_user_feed_is_in_the_users_language(client, hub, anna):
    anna.locale = "en"
    db.session.commit()
    book(anna, hub.desks[0], TUESDAY, "09:00", "12:00")
    feeds.create_or_regenerate_feed(anna)
    with frozen(MONDAY, "08:00"):
        (event,) = fetch(client, user_url(anna)).walk("VEVENT")
    assert str(event["SUMMARY"]) == "Touch-down desk D1 – Kungsklippan 6"


def test_a_booking_made_after_a_fetch_is_in_the_next_fetch(client, hub, anna):
    first = book(anna, hub.desks[0], TUESDAY, "09:00", "12:00")
    feeds.create_or_regenerate_feed(anna)
    with frozen(MONDAY, "08:00"):
        assert set(events(fetch(client, user_url(anna)))) == {booking_uid(first)}
    later = book(anna, hub.desks[1], WEDNESDAY, "10:00", "11:00", now=(MONDAY, "08:05"))
    with frozen(MONDAY, "08:10"):
        found = events(fetch(client, user_url(anna)))
    assert set(found) == {booking_uid(first), booking_uid(later)}
    assert str(found[booking_uid(later)]["STATUS"]) == "CONFIRMED"
    with frozen(MONDAY, "08:15"):
        ops.cancel(anna, later)
        found = events(fetch(client, user_url(anna)))
    assert set(found) == {booking_uid(first)}  # the cancelled one is gone from the calendar


def test_cancelled_and_released_bookings_are_left_out_of_both_feeds(client, hub, anna, erik):
    """Outlook shows an event marked CANCELLED as if it stood; a subscription replaces the
    whole calendar at each fetch, so leaving the booking out removes it."""
    kept = book(anna, hub.desks[0], TUESDAY, "09:00", "10:00")
    done = book(anna, hub.desks[0], MONDAY, "09:00", "10:00")
    cancelled = book(anna, hub.desks[0], TUESDAY, "13:00", "14:00")
    released = book(erik, hub.desks[1], MONDAY, "09:00", "12:00")
    with frozen(MONDAY, "08:00"):
        ops.cancel(anna, cancelled)
    with frozen(MONDAY, "08:50"):
        ops.check_in(anna, done)
    with frozen(MONDAY, "09:30"):
        assert ops.release_no_shows() == [released]
    feeds.create_or_regenerate_feed(anna)
    feeds.create_or_regenerate_feed(erik)
    feeds.create_or_regenerate_hub_feed(make_admin(), hub)
    with frozen(MONDAY, "10:00"):
        assert set(events(fetch(client, user_url(anna)))) == {booking_uid(kept), booking_uid(done)}
        assert set(events(fetch(client, user_url(erik)))) == set()
        assert set(events(fetch(client, hub_url(hub)))) == {booking_uid(kept), booking_uid(done)}


def test_an_empty_feed_is_a_valid_calendar(client, anna):
    feeds.create_or_regenerate_feed(anna)
    with frozen(MONDAY, "08:00"):
        calendar = fetch(client, user_url(anna))
    assert calendar.walk("VEVENT") == []
    assert str(calendar["X-WR-CALNAME"]) == "hubbar – Anna Berg"


def test_another_users_token_never_shows_your_bookings(client, hub, anna, erik):
    mine = book(anna, hub.desks[0], TUESDAY, "09:00", "12:00")
    theirs = book(erik, hub.desks[1], TUESDAY, "09:00", "12:00")
    feeds.create_or_regenerate_feed(anna)
    feeds.create_or_regenerate_feed(erik)
    assert anna.calendar_token != erik.calendar_token
    with frozen(MONDAY, "08:00"):
        assert set(events(fetch(client, user_url(erik)))) == {booking_uid(theirs)}
        assert set(events(fetch(client, user_url(anna)))) == {booking_uid(mine)}


@pytest.mark.parametrize(
    "address",
    [
        "/calendar/nope.ics",
        "/calendar/" + "A" * 43 + ".ics",
        "/calendar/" + "A" * 300 + ".ics",
        "/calendar/%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00.ics",
        "/calendar/hub/" + "A" * 43 + ".ics",
        "/calendar/.ics",
    ],
)
def test_unknown_tokens_are_404(client, anna, address):
    feeds.create_or_regenerate_feed(anna)
    assert client.get(address).status_code == 404


def test_a_users_token_is_no_hub_token_and_the_other_way_round(client, hub, anna):
    feeds.create_or_regenerate_feed(anna)
    feeds.create_or_regenerate_hub_feed(make_admin(), hub)
    assert client.get(f"/calendar/hub/{anna.calendar_token}.ics").status_code == 404
    assert client.get(f"/calendar/{hub.calendar_token}.ics").status_code == 404


def test_an_inactive_users_feed_is_gone(client, anna):
    feeds.create_or_regenerate_feed(anna)
    anna.active = False
    db.session.commit()
    assert client.get(user_url(anna)).status_code == 404


def test_profile_creates_regenerates_and_turns_off_the_feed(client, hub, anna):
    book(anna, hub.desks[0], TUESDAY, "09:00", "12:00")
    login(client, anna)
    page = client.get("/profile").get_data(as_text=True)
    assert "Create a subscription link" in page or "/profile/calendar" in page
    assert "/calendar/" not in page.replace("/profile/calendar", "")

    response = client.post("/profile/calendar")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/profile#calendar")
    first = reload(anna).calendar_token
    assert first and len(first) == 43
    page = client.get("/profile").get_data(as_text=True)
    assert f'value="{BASE}/calendar/{first}.ics"' in page
    assert "/profile/calendar/off" in page
    assert client.get(f"/calendar/{first}.ics").status_code == 200

    client.post("/profile/calendar")
    second = reload(anna).calendar_token
    assert second and second != first
    assert client.get(f"/calendar/{first}.ics").status_code == 404
    assert client.get(f"/calendar/{second}.ics").status_code == 200

    response = client.post("/profile/calendar/off")
    assert response.status_code == 302
    assert reload(anna).calendar_token is None
    assert client.get(f"/calendar/{second}.ics").status_code == 404


def test_feed_buttons_need_login(client, anna):
    before = snapshot()
    for address in ("/profile/calendar", "/profile/calendar/off"):
        response = client.post(address)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert snapshot() == before


# --- a hub's feed --------------------------------------------------------------------------


def test_hub_feed_shows_desk_and_name_for_the_managers_window(client, hub, anna, erik):
    desk, other = hub.desks
    too_old = book(anna, desk, "2026-11-13", "09:00", "10:00", now=("2026-11-12", "12:00"))
    recent = book(anna, desk, "2026-11-17", "09:00", "10:00", now=("2026-11-16", "12:00"))
    tuesday = book(anna, desk, TUESDAY, "09:00", "12:00")
    cancelled = book(erik, other, TUESDAY, "13:00", "14:00")
    near_end = book(erik, other, "2027-01-27", "09:00", "10:00")  # 58 days ahead
    too_far = book(erik, other, "2027-02-01", "09:00", "10:00")  # 63 days ahead
    away = make_hub(host=hub.host_organisation, desks=1).desks[0]
    elsewhere = book(anna, away, TUESDAY, "13:00", "14:00")
    with frozen(MONDAY, "07:30"):
        ops.cancel(erik, cancelled)
    manager = make_hub_manager(hub)
    feeds.create_or_regenerate_hub_feed(manager, hub)

    with frozen(MONDAY, "08:00"):
        response = client.get(hub_url(hub, "en"))
        calendar = fetch(client, hub_url(hub, "en"))
    assert "anna.berg@" not in response.get_data(as_text=True)
    assert "erik.ek@" not in response.get_data(as_text=True)
    assert str(calendar["X-WR-CALNAME"]) == "hubbar – Kungsklippan 6"
    assert calendar["X-PUBLISHED-TTL"].to_ical() == b"PT1H"
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Stockholm"]

    found = events(calendar)
    assert set(found) == {booking_uid(b) for b in (recent, tuesday, near_end)}
    for left_out in (too_old, too_far, elsewhere, cancelled):
        assert booking_uid(left_out) not in found
    assert str(found[booking_uid(tuesday)]["SUMMARY"]) == "Desk D1: Anna Berg"
    assert str(found[booking_uid(near_end)]["SUMMARY"]) == "Desk D2: Erik Ek"
    assert found[booking_uid(tuesday)]["DTSTART"].params["TZID"] == "Europe/Stockholm"
    assert found[booking_uid(tuesday)]["DTSTART"].dt == datetime(2026, 12, 1, 9, tzinfo=STOCKHOLM)

    with frozen(MONDAY, "08:00"):
        default = events(fetch(client, hub_url(hub)))  # the default language, Swedish
    assert "Anna Berg" in str(default[booking_uid(tuesday)]["SUMMARY"])
    assert "D1" in str(default[booking_uid(tuesday)]["SUMMARY"])


def test_hub_feed_names_a_removed_user(client, hub, anna):
    booking = book(anna, hub.desks[0], TUESDAY, "09:00", "12:00")
    booking.user_id = None
    db.session.commit()
    feeds.create_or_regenerate_hub_feed(make_admin(), hub)
    with frozen(MONDAY, "08:00"):
        (event,) = fetch(client, hub_url(hub, "en")).walk("VEVENT")
    assert str(event["SUMMARY"]) == "Desk D1: a removed user"


def test_hub_managers_and_admins_create_regenerate_and_turn_off_the_hub_feed(client, hub):
    manager = make_hub_manager(hub)
    login(client, manager)
    page = client.get(f"/manage/hubs/{hub.id}").get_data(as_text=True)
    assert f"/manage/hubs/{hub.id}/calendar" in page
    assert "/calendar/hub/" not in page

    response = client.post(f"/manage/hubs/{hub.id}/calendar")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/manage/hubs/{hub.id}#calendar-feed")
    first = reload(hub).calendar_token
    assert first and len(first) == 43
    page = client.get(f"/manage/hubs/{hub.id}").get_data(as_text=True)
    assert f'value="{BASE}/calendar/hub/{first}.ics"' in page
    assert client.get(f"/calendar/hub/{first}.ics").status_code == 200

    client.post("/logout")
    admin = make_admin()
    login(client, admin)
    client.post(f"/manage/hubs/{hub.id}/calendar")
    second = reload(hub).calendar_token
    assert second and second != first
    assert client.get(f"/calendar/hub/{first}.ics").status_code == 404
    assert client.get(f"/calendar/hub/{second}.ics").status_code == 200

    response = client.post(f"/manage/hubs/{hub.id}/calendar/off")
    assert response.status_code == 302
    assert reload(hub).calendar_token is None
    assert client.get(f"/calendar/hub/{second}.ics").status_code == 404

    assert [(e.action, e.actor_id, e.object_id) for e in audit_events()] == [
        ("hub.calendar_feed_create", manager.id, hub.id),
        ("hub.calendar_feed_regenerate", admin.id, hub.id),
        ("hub.calendar_feed_off", admin.id, hub.id),
    ]
    assert all(first not in e.summary and second not in e.summary for e in audit_events())


def test_english_managers_see_a_feed_link_in_english(client, hub):
    manager = make_hub_manager(hub, locale="en")
    feeds.create_or_regenerate_hub_feed(manager, hub)
    login(client, manager)
    page = client.get(f"/manage/hubs/{hub.id}").get_data(as_text=True)
    assert f'value="{BASE}/calendar/hub/{hub.calendar_token}.ics?lang=en"' in page


@pytest.mark.parametrize("who", ["employee", "other_manager"])
def test_only_the_hubs_managers_and_admins_may_touch_its_feed(client, hub, anna, who):
    feeds.create_or_regenerate_hub_feed(make_admin(), hub)
    token = hub.calendar_token
    other_hub = make_hub(host=hub.host_organisation)
    user = anna if who == "employee" else make_hub_manager(other_hub)
    login(client, user)
    before = snapshot()
    assert client.post(f"/manage/hubs/{hub.id}/calendar").status_code == 403
    assert client.post(f"/manage/hubs/{hub.id}/calendar/off").status_code == 403
    assert snapshot() == before
    assert reload(hub).calendar_token == token
    with pytest.raises(NotAllowed):
        feeds.create_or_regenerate_hub_feed(user, hub)
    with pytest.raises(NotAllowed):
        feeds.turn_off_hub_feed(user, hub)
    db.session.rollback()
    assert reload(hub).calendar_token == token


def test_hub_feed_buttons_for_a_missing_hub_are_404(client):
    login(client, make_admin())
    assert client.post("/manage/hubs/999999/calendar").status_code == 404
    assert client.post("/manage/hubs/999999/calendar/off").status_code == 404


# --- addresses under HUBBAR_BASE_URL -------------------------------------------------------

FOREIGN = {"Host": "evil.example"}  # a Host header the sender chose


def login_at_foreign_host(client, user) -> None:
    """Log in, and send the session cookie to the foreign host too (as a proxy that passes the
    Host header through would)."""
    login(client, user)
    for (domain, path, key), cookie in list(client._cookies.items()):
        if domain != "evil.example":
            client.set_cookie(key, cookie.value, domain="evil.example", path=path)


def test_feed_addresses_ignore_the_host_a_request_names(client, hub, anna):
    """A subscription link copied into Outlook must lead to the service, never to the host a
    forged request named: the profile, the hub's page, the API and the feed's own links."""
    booking = book(anna, hub.desks[0], TUESDAY, "09:00", "12:00")
    token = feeds.create_or_regenerate_feed(anna)
    manager = make_hub_manager(hub)
    hub_token = feeds.create_or_regenerate_hub_feed(manager, hub)

    login_at_foreign_host(client, anna)
    profile = client.get("/profile", headers=FOREIGN).get_data(as_text=True)
    assert f'value="{BASE}/calendar/{token}.ics"' in profile
    assert "evil.example/calendar" not in profile

    api = call(client, "GET", "/api/v1/me", token_for(anna), headers=FOREIGN).get_json()
    assert api["calendar_feed_url"] == f"{BASE}/calendar/{token}.ics"

    with frozen(MONDAY, "08:00"):
        response = client.get(f"/calendar/{token}.ics", headers=FOREIGN)
    (event,) = Calendar.from_ical(response.data).walk("VEVENT")
    assert str(event["URL"]) == f"{BASE}/bookings/{booking.id}"

    client.post("/logout")
    login_at_foreign_host(client, manager)
    page = client.get(f"/manage/hubs/{hub.id}", headers=FOREIGN).get_data(as_text=True)
    assert f'value="{BASE}/calendar/hub/{hub_token}.ics"' in page
    with frozen(MONDAY, "08:00"):
        response = client.get(f"/calendar/hub/{hub_token}.ics", headers=FOREIGN)
    (event,) = Calendar.from_ical(response.data).walk("VEVENT")
    assert str(event["URL"]) == f"{BASE}/bookings/{booking.id}"


# --- a manager who leaves ------------------------------------------------------------------


def test_the_feed_of_each_hub_a_manager_left_is_renewed(client, hub, anna):
    """A removed or deactivated manager may have kept the address of a feed that names who
    booked: every hub they managed whose feed is on gets a new address, recorded in the audit
    log; a hub without a feed, and hubs they did not manage, keep theirs."""
    second = make_hub(host=hub.host_organisation, name="Hamnen")
    no_feed = make_hub(host=hub.host_organisation, name="Torget")
    other = make_hub(host=hub.host_organisation, name="Elsewhere")
    leaving = make_hub_manager(hub)
    leaving.roles.append(RoleAssignment(role=Role.HUB_MANAGER, hub_id=second.id))
    leaving.roles.append(RoleAssignment(role=Role.HUB_MANAGER, hub_id=no_feed.id))
    db.session.commit()
    admin = make_admin()
    old = {h.id: feeds.create_or_regenerate_hub_feed(admin, h) for h in (hub, second, other)}

    renewed = feeds.renew_hub_feeds_after_manager_left(leaving, actor=admin)
    db.session.commit()  # the caller commits (with the role change)

    assert {h.id for h in renewed} == {hub.id, second.id}
    for renewed_hub in (hub, second):
        token = reload(renewed_hub).calendar_token
        assert token and len(token) == 43 and token != old[renewed_hub.id]
        assert client.get(f"/calendar/hub/{old[renewed_hub.id]}.ics").status_code == 404
        assert client.get(f"/calendar/hub/{token}.ics").status_code == 200
    assert reload(no_feed).calendar_token is None
    assert reload(other).calendar_token == old[other.id]
    regenerated = audit_events("hub.calendar_feed_regenerate")
    assert [(e.actor_id, e.object_id) for e in regenerated] == [
        (admin.id, hub.id),
        (admin.id, second.id),
    ]
    assert all(old[hub.id] not in e.summary for e in regenerated)


def test_only_the_hubs_a_manager_left_are_renewed_when_told_which(hub):
    """When one role is removed, only that hub's feed changes (the lead calls it with the
    role's hub)."""
    second = make_hub(host=hub.host_organisation)
    manager = make_hub_manager(hub)
    manager.roles.append(RoleAssignment(role=Role.HUB_MANAGER, hub_id=second.id))
    db.session.commit()
    admin = make_admin()
    first_token = feeds.create_or_regenerate_hub_feed(admin, hub)
    second_token = feeds.create_or_regenerate_hub_feed(admin, second)
    feeds.renew_hub_feeds_after_manager_left(manager, [second.id], actor=admin)
    db.session.commit()
    assert reload(hub).calendar_token == first_token
    assert reload(second).calendar_token != second_token
    assert feeds.renew_hub_feeds_after_manager_left(manager, []) == []


def test_a_system_admin_who_leaves_renews_every_hub_feed(hub):
    """A system admin could read every hub's feed address on its page."""
    second = make_hub(host=hub.host_organisation)
    leaving, other = make_admin(), make_admin()
    tokens = [feeds.create_or_regenerate_hub_feed(other, h) for h in (hub, second)]
    renewed = feeds.renew_hub_feeds_after_manager_left(leaving, actor=other)
    db.session.commit()
    assert {h.id for h in renewed} == {hub.id, second.id}
    assert [reload(h).calendar_token for h in (hub, second)] != tokens
    assert None not in [h.calendar_token for h in (hub, second)]


def test_renewing_belongs_to_the_callers_transaction(hub):
    manager = make_hub_manager(hub)
    token = feeds.create_or_regenerate_hub_feed(manager, hub)
    feeds.renew_hub_feeds_after_manager_left(manager)
    db.session.rollback()  # the role change failed: nothing renewed
    assert reload(hub).calendar_token == token
    assert audit_events("hub.calendar_feed_regenerate") == []


# --- time zone -----------------------------------------------------------------------------


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_the_vtimezone_gives_the_right_instants_around_both_dst_changes(client, hub, anna):
    """Read as a calendar without its own copy of the zone reads it (dateutil's VTIMEZONE
    parser, not Python's zoneinfo): summer time starts on the last Sunday of March at 01.00
    UTC (02.00 local becomes 03.00) and ends on the last Sunday of October at 01.00 UTC
    (03.00 local becomes 02.00), the EU rule."""
    book(anna, hub.desks[0], TUESDAY, "09:00", "12:00")
    feeds.create_or_regenerate_feed(anna)
    with frozen(MONDAY, "08:00"):
        calendar = fetch(client, user_url(anna))
    [vtimezone] = calendar.walk("VTIMEZONE")
    daylight, standard = vtimezone.walk("DAYLIGHT")[0], vtimezone.walk("STANDARD")[0]
    assert daylight["DTSTART"].dt.time().isoformat() == "02:00:00"  # local time before
    assert daylight["TZOFFSETFROM"].to_ical() == "+0100"
    assert daylight["TZOFFSETTO"].to_ical() == "+0200"
    assert daylight["RRULE"].to_ical() == b"FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3"
    assert standard["DTSTART"].dt.time().isoformat() == "03:00:00"
    assert standard["TZOFFSETFROM"].to_ical() == "+0200"
    assert standard["TZOFFSETTO"].to_ical() == "+0100"
    assert standard["RRULE"].to_ical() == b"FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10"

    zone = vtimezone.to_tz(lookup_tzid=False)  # from the VTIMEZONE alone
    for moment, offset in [
        ("2026-03-29T00:59", 1),  # 01.59 winter time
        ("2026-03-29T01:00", 2),  # 03.00 summer time
        ("2026-10-25T00:59", 2),  # 02.59 summer time
        ("2026-10-25T01:00", 1),  # 02.00 winter time again
        ("2027-03-28T00:59", 1),
        ("2027-03-28T01:00", 2),
        ("2025-12-01T08:00", 1),
    ]:
        assert utc(moment).astimezone(zone).utcoffset().total_seconds() == offset * 3600, moment
