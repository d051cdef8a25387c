"""The employee's main steps by keyboard alone: log in, search, book, see the booking, cancel.

Only Tab, Shift+Tab, Enter and Space move and act (and typing into fields; a radio group's own
arrow keys choose within it, as in every browser). After every key the focused element must
show it: an outline or a box-shadow (on the element, or on the label drawn for a hidden radio
input). On each page, Tab goes through every control once and leaves the page (no trap), and
Shift+Tab goes back through them in reverse.

A participant other than the journeys' books an afternoon at Stadsarkivet Liljeholmskajen, so
this test wants nothing the other journeys want.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.helpers import demo_data, hub_named, hub_today, open_days_after
from tests.helpers import sv

pytestmark = pytest.mark.browser

HUB = "Stadsarkivet Liljeholmskajen"

# What has focus: None when nothing in the page has (focus left it), else where it is, a key
# that names it (a radio group counts as one stop) and whether the focus is drawn.
FOCUS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const drawn = (e) => {
    const s = getComputedStyle(e);
    return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0)
      || (s.boxShadow && s.boxShadow !== 'none');
  };
  const labels = el.labels ? Array.from(el.labels) : [];
  const index = Array.prototype.indexOf.call(document.querySelectorAll('*'), el);
  const radio = el.type === 'radio' && el.name;
  const text = (el.innerText || el.value || el.getAttribute('aria-label') || '').trim();
  return {
    key: radio ? 'radio:' + el.name : String(index),
    name: el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
      (el.name ? '[name=' + el.name + ']' : '') + ' "' + text.slice(0, 40) + '"',
    visible: drawn(el) || labels.some(drawn),
  };
}"""

# How many Tab presses can be needed at most: one per control, and a few more for date and time
# fields (Tab goes through their day, month and year parts).
FOCUSABLE = """() => document.querySelectorAll(
  'a[href], button, input, select, textarea, summary, [tabindex]').length
  + 3 * document.querySelectorAll('input[type=date], input[type=time]').length"""


def focus(page) -> dict | None:
    return page.evaluate(FOCUS)


def press(page, key: str) -> dict | None:
    """Press ``key`` and check the focus is drawn wherever it lands."""
    page.keyboard.press(key)
    now = focus(page)
    if now is not None:
        assert now["visible"], f"focus not visible on {now['name']} after {key}"
    return now


def activate(page, key: str = "Enter") -> None:
    """Press ``key`` on a link or a form's button and wait for the page it opens."""
    with page.expect_navigation():
        page.keyboard.press(key)


def tab_to(page, selector: str, *, key: str = "Tab") -> None:
    """Press Tab (or ``key``) until the element matching ``selector`` has focus (going round
    the page, and out of it and in again, if need be)."""
    target = page.locator(selector).first
    for _ in range(2 * page.evaluate(FOCUSABLE) + 2):  # from anywhere, round the page once
        if target.evaluate("el => el === document.activeElement"):
            return
        press(page, key)
    pytest.fail(f"{key} did not reach {selector}")


def tab_through(page) -> list[str]:
    """Tab through the whole page: from its first control (the skip link) through each control
    once, and out of the page or round to the first again (no trap); then Shift+Tab back
    through them in mirrored order. Returns the controls' names, in Tab order."""
    limit = page.evaluate(FOCUSABLE) + 2
    tab_to(page, "a.skip-link")  # from wherever focus is, round to the start
    start = focus(page)
    forward = [(start["key"], start["name"])]
    for _ in range(limit):
        now = press(page, "Tab")
        if now is None or now["key"] == start["key"]:
            break  # out of the page, or round to the start
        if forward[-1][0] == now["key"]:
            continue  # the next part of a date field
        assert now["key"] not in [k for k, _ in forward], f"focus came back to {now['name']}"
        forward.append((now["key"], now["name"]))
    else:
        pytest.fail(f"Tab never left {page.url}: a focus trap")
    backward = []
    for _ in range(limit):
        now = press(page, "Shift+Tab")
        if now is None:
            if backward:
                break
            continue  # from outside the page back into it, at its end
        if not backward or backward[-1][0] != now["key"]:
            backward.append((now["key"], now["name"]))
        if now["key"] == start["key"]:
            break
    else:
        pytest.fail(f"Shift+Tab never left {page.url}: a focus trap")
    assert [k for k, _ in backward] == [k for k, _ in reversed(forward)], (
        f"Shift+Tab does not retrace Tab on {page.url}:\n"
        f"forward {[n for _, n in forward]}\nbackward {[n for _, n in backward]}"
    )
    return [name for _, name in forward]


def choose_radio(page, name: str, value: str) -> None:
    """Tab into a radio group and move within it with its arrow keys to ``value``."""
    tab_to(page, f"input[name={name}]:checked, input[name={name}]")
    wanted = page.locator(f"input[name={name}][value='{value}']")
    for _ in range(page.locator(f"input[name={name}]").count()):
        if wanted.is_checked():
            return
        press(page, "ArrowRight")
    expect(wanted).to_be_checked()


def _journey(live_app) -> tuple[str, date]:
    """The last participant (the employee journeys take the first ones) with an open afternoon
    at HUB among its day buttons: no booking of theirs then and a desk free all afternoon."""
    from hubbar.accounts.models import User
    from hubbar.bookings import operations as ops
    from hubbar.bookings.models import Booking

    with demo_data(live_app) as session:
        hub = hub_named(session, HUB)
        zone = ZoneInfo(hub.timezone)
        days = open_days_after(hub, hub_today(hub), count=3)
        users = session.scalars(
            select(User)
            .where(User.email.like("deltagare%@kuf.example.org"))
            .order_by(User.email.desc())
        )
        for user in users:
            for schedule in days:
                noon = datetime.combine(schedule.day, time(12), tzinfo=zone)
                closes = schedule.interval(hub.timezone)[1]
                own = session.scalars(
                    select(Booking.id).where(
                        Booking.user_id == user.id,
                        Booking.is_active,
                        Booking.starts_at < closes,
                        Booking.occupied_until > noon,
                    )
                ).first()
                states = ops.availability(hub, noon, closes)
                if own is None and any(s.state == "free" for s in states):
                    return user.email, schedule.day
    pytest.fail(f"No participant has a free afternoon at {HUB}")


def test_employee_steps_by_keyboard(live_server, live_app, new_page):
    base = live_server
    email, day = _journey(live_app)
    page = new_page(width=1280)

    # Log in.
    page.goto(f"{base}/login")
    tab_through(page)
    tab_to(page, "#email")
    page.keyboard.type(email)
    tab_to(page, "#password")
    page.keyboard.type("hubbar-demo")
    tab_to(page, "main form button[type=submit]")
    activate(page)
    expect(page.get_by_role("status")).to_contain_text(re.compile(r"\w"))
    if page.locator("html").get_attribute("lang") != "sv":  # the user's own language
        tab_to(page, "form[action$='/language'] button")
        activate(page)
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    tab_through(page)

    # Search: the main menu's "Book", the hub, the day, the afternoon.
    tab_to(page, "nav.main-nav a[href$='/book']")
    activate(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(sv("Book a desk"))
    tab_through(page)
    tab_to(page, "#hub")
    page.keyboard.type(HUB)  # a closed list box takes the typed name
    expect(page.locator("#hub option:checked")).to_have_text(HUB)
    choose_radio(page, "date", day.isoformat())
    choose_radio(page, "choice", "afternoon")
    tab_to(page, "form.find-form button[type=submit]")
    activate(page)
    results = page.locator("#results")
    expect(results.get_by_role("heading", level=2)).to_have_text(HUB)
    tab_through(page)

    # Book the first desk free all afternoon (Space on its button).
    card = results.locator(".desk-card:has(.avail-free)").first
    label = card.get_by_role("heading", level=4).inner_text()
    tab_to(page, "#results .desk-card:has(.avail-free) form button[type=submit]")
    activate(page, "Space")
    expect(page.get_by_role("heading", level=1)).to_have_text(sv("Your booking"))
    expect(page.get_by_role("status")).to_contain_text(label)
    booking_id = int(re.search(r"/bookings/(\d+)", page.url).group(1))
    tab_through(page)

    # See it in My bookings, and cancel it there.
    tab_to(page, "nav.main-nav a[href$='/bookings']")
    activate(page)
    card = page.locator(f"article[aria-labelledby=booking-{booking_id}-title]")
    expect(card).to_contain_text(label)
    tab_through(page)
    tab_to(
        page, f"article[aria-labelledby=booking-{booking_id}-title] form[action$='/cancel'] button"
    )
    activate(page)
    expect(page.get_by_role("status")).to_contain_text(
        sv("Your booking of %(desk)s at %(hub)s is cancelled.", desk=label, hub=HUB)
    )
    expect(card).to_have_count(0)
    tab_through(page)
