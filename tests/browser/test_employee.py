"""The employee's journey in a real browser, on a desktop and on a phone: log in, find a free
desk for the next open morning, book it, see it in My bookings, check in through the desk's QR
link when the morning comes, check out, give feedback on a visit, cancel another booking.

Every page on the way is scanned with axe in Swedish and again in English. Anna Berg makes the
journey at 1280 px; at 375 px another pilot participant does (the demo leaves each participant
a visit or two to give feedback on, Anna mostly one), so the two runs never want the same
booking. The server's clock moves to the booked morning for the check-in and stays there for
the rest of the journey (a session cookie signed "tomorrow" is refused "today").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.helpers import (
    click_label_of,
    demo_data,
    hub_named,
    hub_today,
    login,
    open_days_after,
    scan,
    server_clock_at,
    set_language,
    user_by_email,
)
from tests.helpers import sv

pytestmark = pytest.mark.browser

HUB = "Kungsklippan 6"
ANNA = "anna.berg@kuf.example.org"


@dataclass
class Plan:
    """Who makes the journey, which morning they book, and which other booking they cancel."""

    email: str
    day: date
    opens: datetime  # the morning's opening, hub-local
    other_booking_id: int
    other_desk: str
    other_hub: str
    hub_id: int


def _later_booking(session, user, after: datetime):
    """The user's first confirmed booking starting after ``after`` (one to cancel)."""
    from hubbar.bookings.models import Booking, BookingStatus

    return session.scalars(
        select(Booking)
        .where(
            Booking.user_id == user.id,
            Booking.status == BookingStatus.CONFIRMED,
            Booking.starts_at > after,
        )
        .order_by(Booking.starts_at)
    ).first()


def _free_mornings(session, user, hub, today: date):
    """The open mornings after today when the user has no booking and a desk is free all
    morning, as (day, opening time), in order."""
    from hubbar.bookings import operations as ops
    from hubbar.bookings.models import Booking

    zone = ZoneInfo(hub.timezone)
    for schedule in open_days_after(hub, today, count=5):
        opens, closes = schedule.interval(hub.timezone)
        noon = min(closes, datetime.combine(schedule.day, time(12), tzinfo=zone))
        own = session.scalars(
            select(Booking.id).where(
                Booking.user_id == user.id,
                Booking.is_active,
                Booking.starts_at < noon,
                Booking.occupied_until > opens,
            )
        ).first()
        if own is None and any(s.state == "free" for s in ops.availability(hub, opens, noon)):
            yield schedule.day, opens.astimezone(zone)


def _plan(session, user, hub, today: date) -> Plan | None:
    """The journey for ``user``: the first free morning at which they will have a visit to give
    feedback on and a booking later than that morning to cancel; None if there is none."""
    from hubbar.pilots.feedback import feedback_offers

    for day, opens in _free_mornings(session, user, hub, today):
        arrives = opens + timedelta(minutes=5)
        later = _later_booking(session, user, opens.replace(hour=12))
        if later is not None and feedback_offers(user, arrives):
            return Plan(user.email, day, opens, later.id, later.desk.label, later.hub.name, hub.id)
    return None


def plan_for(live_app, width: int) -> Plan:
    """Anna's journey at 1280 px (the demo keeps her a free morning and a later booking, and
    mostly a visit to give feedback on); at 375 px, and at 1280 px on a date when the demo left
    Anna nothing to give feedback on, the first other participant's that works out."""
    from hubbar.accounts.models import User

    with demo_data(live_app) as session:
        hub = hub_named(session, HUB)
        today = hub_today(hub)
        candidates = list(
            session.scalars(
                select(User)
                .where(User.email.like("deltagare%@kuf.example.org"))
                .order_by(User.email)
            )
        )
        if width == 1280:
            candidates.insert(0, user_by_email(session, ANNA))
        for user in candidates:
            plan = _plan(session, user, hub, today)
            if plan is not None:
                return plan
        pytest.fail("No demo participant has a journey to make")


def desk_id_of(live_app, hub_id: int, label: str) -> int:
    from hubbar.hubs.models import Desk

    with demo_data(live_app) as session:
        return session.scalars(
            select(Desk.id).where(Desk.hub_id == hub_id, Desk.label == label)
        ).one()


def scan_both(page, base: str) -> None:
    """Scan the page in Swedish, switch to English with the page's own switch and scan it
    again, then switch back."""
    scan(page)
    set_language(page, base, "en")
    scan(page)
    set_language(page, base, "sv")


def starts_with(text: str) -> re.Pattern:
    return re.compile("^" + re.escape(text))


def main_menu(page, name_sv: str):
    """A link in the main menu, by its Swedish name (the page is in Swedish)."""
    return page.get_by_role("navigation", name=sv("Main menu")).get_by_role(
        "link", name=name_sv, exact=True
    )


@pytest.mark.parametrize("width", [1280, 375])
def test_employee_journey(live_server, live_app, new_page, width):
    base = live_server
    plan = plan_for(live_app, width)
    page = new_page(width=width)

    # Log in (the login page is scanned before, the home page after).
    page.goto(f"{base}/login")
    scan_both(page, base)
    login(page, base, plan.email)
    set_language(page, base, "sv")
    expect(page.get_by_role("status")).to_contain_text(re.compile(r"\w"))
    scan_both(page, base)

    # Find a free desk for the morning: the booking search, as a user fills it in.
    main_menu(page, sv("Book")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(sv("Book a desk"))
    scan_both(page, base)
    page.get_by_label(sv("Hub"), exact=True).select_option(label=HUB)
    day_radio = page.locator(f"input[name=date][value='{plan.day.isoformat()}']")
    if day_radio.count():
        click_label_of(page, f"input[name=date][value='{plan.day.isoformat()}']")
    else:  # beyond the day buttons: "Another day" and the date field
        click_label_of(page, "#date-other")
        page.fill("#other_date", plan.day.isoformat())
    click_label_of(page, "#choice-morning")
    page.get_by_role("button", name=sv("Show free desks")).click()
    results = page.locator("#results")
    expect(results.get_by_role("heading", level=2)).to_have_text(HUB)
    scan_both(page, base)

    # Book the first desk free all morning.
    card = results.locator(".desk-card:has(.avail-free)").first
    label = card.get_by_role("heading", level=4).inner_text()
    card.get_by_role("button", name=f"{sv('Book')} {label}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(sv("Your booking"))
    expect(page.get_by_role("status")).to_contain_text(label)
    booking_id = int(re.search(r"/bookings/(\d+)", page.url).group(1))
    scan_both(page, base)

    # See it in My bookings.
    main_menu(page, sv("My bookings")).click()
    upcoming = page.locator("section[aria-labelledby=upcoming-title]")
    booked = upcoming.locator(f"article[aria-labelledby=booking-{booking_id}-title]")
    expect(booked).to_contain_text(label)
    expect(booked).to_contain_text(sv("Booked"))
    scan_both(page, base)

    # The morning comes (the server's clock moves to it, and stays there to the end): the
    # desk's QR code opens its check-in page; check in, later out.
    desk_id = desk_id_of(live_app, plan.hub_id, label)
    with server_clock_at(plan.opens + timedelta(minutes=5)):
        page.goto(f"{base}/checkin/desk/{desk_id}")
        expect(page.get_by_role("heading", level=1)).to_have_text(label)
        scan_both(page, base)
        page.get_by_role("button", name=starts_with(sv("Check in"))).click()
        expect(page.get_by_role("status")).to_contain_text(
            sv("You are checked in at %(desk)s. Welcome!", desk=label)
        )
        scan_both(page, base)
        page.get_by_role("button", name=starts_with(sv("Check out"))).click()
        expect(page.get_by_role("status")).to_contain_text(
            sv("You are checked out; %(desk)s is free for others.", desk=label)
        )
        scan_both(page, base)

        # Feedback on one of the pilot's visits, offered on My bookings.
        main_menu(page, sv("My bookings")).click()
        offers = page.locator("section[aria-labelledby=feedback-offers-title]")
        expect(offers).to_be_visible()
        scan_both(page, base)
        offers.get_by_role("link", name=starts_with(sv("Give feedback"))).first.click()
        expect(page.get_by_role("heading", level=1)).to_have_text(sv("Feedback on your visit"))
        feedback_id = int(re.search(r"/bookings/(\d+)/feedback", page.url).group(1))
        scan_both(page, base)
        click_label_of(page, "#rating-4")
        page.get_by_label(sv("Travelled to my regular workplace")).check()
        page.get_by_label(sv("Travel time saved (minutes)")).fill("35")
        page.get_by_label(sv("Comment"), exact=True).fill(f"Lugnt och bra ({width} px).")
        page.get_by_role("button", name=sv("Send feedback")).click()
        expect(page.get_by_role("status")).to_contain_text(sv("Thank you for your feedback."))
        scan_both(page, base)

        # Cancel another booking.
        other = upcoming.locator(f"article[aria-labelledby=booking-{plan.other_booking_id}-title]")
        other.get_by_role("button", name=starts_with(sv("Cancel booking"))).click()
        expect(page.get_by_role("status")).to_contain_text(
            sv(
                "Your booking of %(desk)s at %(hub)s is cancelled.",
                desk=plan.other_desk,
                hub=plan.other_hub,
            )
        )
        expect(other).to_have_count(0)
        scan_both(page, base)

    # What the database holds now.
    from hubbar.bookings.models import Booking, BookingStatus
    from hubbar.pilots.models import Feedback

    with demo_data(live_app) as session:
        visit = session.get(Booking, booking_id)
        assert visit.status is BookingStatus.COMPLETED and visit.checked_in_at is not None
        assert session.get(Booking, plan.other_booking_id).status is BookingStatus.CANCELLED
        answer = session.scalars(select(Feedback).where(Feedback.booking_id == feedback_id)).one()
        assert answer.rating == 4 and answer.minutes_saved == 35
