"""The hub manager's journey in a real browser: add a desk, set a closure, take a desk out of
service, open the dashboard and the today view, book on a colleague's behalf. At desktop and
phone width; every page scanned with axe in Swedish and in English."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from hubbar.hubs.calendar import closed_holidays
from tests.browser.helpers import (
    check_both,
    either,
    login,
)

pytestmark = pytest.mark.browser

MANAGER = "lokal@ssa.example.org"
# Per width: its own desk, closure day, colleague and booking day, so that the two runs (one
# live server, one demo) never meet, nor meet the employee journeys (tomorrow, Anna Berg).
RUNS = {
    1280: {
        "desk": "Plats B1280",
        "colleague": "Lars Persson",
        "email": "lars.persson@kuf.example.org",
        "offset": 0,
    },
    375: {
        "desk": "Plats B375",
        "colleague": "Stina Hedlund",
        "email": "stina.hedlund@kuf.example.org",
        "offset": 1,
    },
}


def open_weekdays(first: date, count: int) -> list[date]:
    """The next ``count`` Mondays to Thursdays from ``first`` that are no public holiday (the
    demo's staff day at Kungsklippan is a Friday)."""
    closed = closed_holidays(first, first + timedelta(days=60))
    days, day = [], first
    while len(days) < count:
        if day.weekday() < 4 and day not in closed:
            days.append(day)
        day += timedelta(days=1)
    return days


def nav(page, sv: str, en: str) -> None:
    page.get_by_role("navigation", name=either("Huvudmeny", "Main menu")).get_by_role(
        "link", name=either(sv, en)
    ).click()


@pytest.mark.parametrize("width", [1280, 375])
def test_hub_manager_journey(live_server, new_page, width):
    base = live_server
    run = RUNS[width]
    today = datetime.now(ZoneInfo("Europe/Stockholm")).date()
    page = new_page(width=width, locale="sv")
    login(page, base, MANAGER)

    # Manage hubs → Stadsarkivet Liljeholmskajen: a new desk there (Kungsklippan's five desks
    # stay as the employee journeys expect them).
    nav(page, "Hantera hubbar", "Manage hubs")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    check_both(page, base, width)
    page.get_by_role("link", name="Stadsarkivet Liljeholmskajen").first.click()
    expect(
        page.get_by_role("heading", level=1, name="Stadsarkivet Liljeholmskajen")
    ).to_be_visible()
    check_both(page, base, width)

    page.get_by_role("link", name=either("Lägg till en plats", "Add a desk")).click()
    expect(
        page.get_by_role("heading", level=1, name=either("Ny plats", "New desk"))
    ).to_be_visible()
    check_both(page, base, width)

    # Without a label: the error is summarised, linked to the field and announced.
    def add_without_label():
        page.get_by_role("button", name=either("Lägg till plats", "Add desk")).click()
        expect(page.get_by_role("alert")).to_be_visible()

    add_without_label()
    label = page.get_by_label(either("Beteckning", "Label"))
    expect(label).to_have_attribute("aria-invalid", "true")
    check_both(page, base, width, redo=add_without_label)

    page.get_by_label(either("Beteckning", "Label")).fill(run["desk"])
    page.get_by_label(either("Zon", "Zone")).fill("Provzon")
    page.get_by_label(either("Extern skärm", "External screen")).check()
    page.get_by_role("button", name=either("Lägg till plats", "Add desk")).click()
    expect(page.get_by_role("status")).to_contain_text(run["desk"])
    check_both(page, base, width)

    # Out of service for two days ahead.
    page.get_by_role("link", name=run["desk"], exact=True).click()
    expect(page.get_by_role("heading", level=1, name=run["desk"])).to_be_visible()
    starts = today + timedelta(days=40 + run["offset"] * 5)
    page.get_by_label(either("Från datum", "From date"), exact=True).fill(starts.isoformat())
    page.get_by_label(either("Från klockan", "From time"), exact=True).fill("08:00")
    page.get_by_label(either("Till datum", "To date"), exact=True).fill(
        (starts + timedelta(days=2)).isoformat()
    )
    page.get_by_label(either("Till klockan", "To time"), exact=True).fill("17:00")
    page.get_by_label(either("Orsak", "Reason")).fill(f"Ny skärm monteras ({width})")
    page.get_by_role("button", name=either("Ta ur drift", "Take out of service")).click()
    expect(page.get_by_role("status")).to_contain_text(run["desk"])
    expect(page.get_by_role("table")).to_contain_text(f"Ny skärm monteras ({width})")
    check_both(page, base, width)

    # Kungsklippan 6: a closure, then the today view.
    nav(page, "Hantera hubbar", "Manage hubs")
    page.get_by_role("link", name="Kungsklippan 6").first.click()
    expect(page.get_by_role("heading", level=1, name="Kungsklippan 6")).to_be_visible()

    # Without dates: errors on the page that answers the post. The language switch there leads
    # back to the hub's page (the post's own address has no page to show).
    def add_closure_without_dates():
        expect(page.get_by_role("heading", level=1, name="Kungsklippan 6")).to_be_visible()
        page.get_by_role("button", name=either("Lägg till stängning", "Add closure")).click()
        expect(page.get_by_role("alert")).to_be_visible()

    add_closure_without_dates()
    expect(page.get_by_label(either("Första dagen", "First day"))).to_have_attribute(
        "aria-invalid", "true"
    )
    check_both(page, base, width, redo=add_closure_without_dates)
    closed = today + timedelta(days=50 + run["offset"] * 7)
    page.get_by_label(either("Första dagen", "First day")).fill(closed.isoformat())
    page.get_by_label(either("Sista dagen", "Last day")).fill(closed.isoformat())
    page.get_by_label(either("Orsak", "Reason")).fill(f"Golvet slipas ({width})")
    page.get_by_role("button", name=either("Lägg till stängning", "Add closure")).click()
    expect(page.get_by_role("status")).to_be_visible()
    closures = page.get_by_role(
        "table", name=either("Hubbens egna stängningar", "The hub's own closures")
    )
    expect(closures).to_contain_text(f"Golvet slipas ({width})")
    check_both(page, base, width)

    page.get_by_role("link", name=either("Dagsläge: platser nu", "Today: desks now")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Kungsklippan 6")
    check_both(page, base, width)

    nav(page, "Beläggning", "Occupancy")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    check_both(page, base, width)

    # Book on a colleague's behalf, a morning some weeks ahead.
    day = open_weekdays(today + timedelta(days=18), 2)[run["offset"]]
    nav(page, "Boka", "Book")
    check_both(page, base, width)
    page.get_by_label(either("Hubb", "Hub"), exact=True).select_option(label="Kungsklippan 6")
    page.get_by_label(either("Annan dag", "Another day")).check()
    page.get_by_label(either("Datum", "Date"), exact=True).fill(day.isoformat())
    page.get_by_label(re.compile(r"^(Förmiddag|Morning) ")).check()  # and its hours
    booker = page.get_by_label(either("Boka åt", "Book for"))
    booker.select_option(label=f"{run['colleague']} ({run['email']})")
    page.get_by_role("button", name=either("Visa lediga platser", "Show free desks")).click()
    results = page.get_by_role("region", name="Kungsklippan 6")
    expect(results).to_contain_text(run["colleague"])
    check_both(page, base, width)

    page.get_by_role("button", name=either("Boka valfri ledig plats", "Book any free desk")).click()
    expect(page.get_by_role("status")).to_contain_text(run["colleague"])
    check_both(page, base, width)
