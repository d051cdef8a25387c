"""Reflow (WCAG 1.4.10): the main pages at 320 px, and at 1280 px zoomed to 200 %, read without
scrolling sideways. A table may scroll inside its own region; the page itself may not.

Browser zoom at 200 % on a 1280 px window lays the page out in 640 CSS pixels (media queries
included), so that is the viewport used for it; ``device_scale_factor`` only sharpens pixels.
The pages are only read here, by three demo users: an employee, a hub manager, an evaluator.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.browser.helpers import (
    demo_data,
    hub_named,
    hub_today,
    login,
    no_horizontal_scroll,
    open_days_after,
    set_language,
    user_by_email,
)

pytestmark = pytest.mark.browser

# (width, height) of the viewport: a small phone, and 1280 × 900 at 200 % zoom.
VIEWPORTS = {"320px": (320, 640), "1280px-at-200%": (640, 450)}

EMPLOYEE = "anna.berg@kuf.example.org"
MANAGER = "lokal@ssa.example.org"
EVALUATOR = "utvardering@hubbar.example.org"
HUB = "Kungsklippan 6"


def _ids(live_app) -> dict:
    """What the addresses need: the hub, its next open day, a booking of the employee's, the
    pilot."""
    from hubbar.bookings.models import Booking
    from hubbar.pilots.models import Pilot

    with demo_data(live_app) as session:
        hub = hub_named(session, HUB)
        day = open_days_after(hub, hub_today(hub), count=1)[0].day
        employee = user_by_email(session, EMPLOYEE)
        booking = session.scalars(
            select(Booking.id).where(Booking.user_id == employee.id).order_by(Booking.id.desc())
        ).first()
        pilot = session.scalars(select(Pilot.id).order_by(Pilot.id)).first()
        return {"hub": hub.id, "day": day.isoformat(), "booking": booking, "pilot": pilot}


def pages_of(role: str, ids: dict) -> list[str]:
    hub, day = ids["hub"], ids["day"]
    if role == "employee":
        return [
            "/",
            f"/book?hub={hub}&date={day}&choice=day",
            "/bookings",
            f"/bookings/{ids['booking']}",
            "/hubs",
            f"/hubs/{hub}",
            f"/hubs/{hub}/day?date={day}",
            "/profile",
        ]
    if role == "manager":
        return [
            "/dashboard",
            f"/hubs/{hub}/today",
            "/manage/hubs",
            f"/manage/hubs/{hub}",
        ]
    return ["/pilots", f"/pilots/{ids['pilot']}", f"/pilots/{ids['pilot']}/report"]


USERS = {"employee": EMPLOYEE, "manager": MANAGER, "evaluator": EVALUATOR}


@pytest.mark.parametrize("role", list(USERS))
@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_main_pages_reflow(live_server, live_app, new_page, role, viewport):
    width, height = VIEWPORTS[viewport]
    page = new_page(width=width, height=height)
    login(page, live_server, USERS[role])
    set_language(page, live_server, "sv")
    problems = []
    for path in pages_of(role, _ids(live_app)):
        response = page.goto(live_server + path)
        assert response.ok, f"{path}: {response.status}"
        try:
            no_horizontal_scroll(page)
        except AssertionError as error:
            problems.append(str(error))
    assert not problems, "\n".join(problems)
