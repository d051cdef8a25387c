"""Hub managers run their hub: the information for employees, opening hours and closures."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
import time_machine

from hubbar.hubs.models import Closure, OpeningHours
from tests.factories import (
    login,
    make_closure,
    make_user,
)
from tests.helpers import (
    STOCKHOLM,
    audit_events,
    count,
    field_error,
    location,
    reload,
    shows,
    sv,
    sv_of,
    text,
    wtforms_sv,
)

# --- information for employees -------------------------------------------------------------


INFORMATION = {
    "description": "Stadsarkivets hus på Kungsholmen.",
    "desk_includes": "Skärm, docka och skåp.",
    "service_level": "Felanmälan åtgärdas inom en arbetsdag.",
    "contact_name": "Maria Holmberg",
    "contact_email": "lokal@ssa.example.org",
    "contact_phone": "08-508 283 00",
}


def test_information_is_saved_and_shown_to_employees(client, hub, manager):
    response = client.post(f"/manage/hubs/{hub.id}/information", data=INFORMATION)
    assert response.status_code == 302
    assert location(response) == f"/manage/hubs/{hub.id}"
    assert shows(
        client.get(location(response)),
        sv("The information about %(hub)s is saved.", hub="Kungsklippan 6"),
    )
    hub = reload(hub)
    for key, value in INFORMATION.items():
        assert getattr(hub, key) == value
    [event] = audit_events("hub.information")
    assert event.actor_id == manager.id

    page = client.get(f"/hubs/{hub.id}")
    assert shows(page, "Skärm, docka och skåp.")
    assert shows(page, "lokal@ssa.example.org")


def test_invalid_contact_email_is_refused(client, hub, manager):
    data = {**INFORMATION, "contact_email": "inte en adress"}
    response = client.post(f"/manage/hubs/{hub.id}/information", data=data)
    assert response.status_code == 200
    assert field_error(response, sv("Enter a valid e-mail address."))
    assert reload(hub).description == ""
    assert audit_events() == []


def test_too_long_text_is_refused(client, hub, manager):
    response = client.post(
        f"/manage/hubs/{hub.id}/information", data={**INFORMATION, "description": "x" * 4001}
    )
    assert response.status_code == 200
    too_long = wtforms_sv(
        "Field cannot be longer than %(max)d character.",
        "Field cannot be longer than %(max)d characters.",
        4000,
    )
    assert field_error(response, too_long % {"max": 4000})
    assert reload(hub).description == ""


# --- opening hours -------------------------------------------------------------------------


def _week(**days) -> dict:
    """Form data for the week: days given as day_0=("08:00", "17:00"); the rest empty."""
    data = {}
    for weekday in range(7):
        opens, closes = days.get(f"day_{weekday}", ("", ""))
        data[f"day_{weekday}-opens"] = opens
        data[f"day_{weekday}-closes"] = closes
    return data


def _hours(hub) -> dict[int, tuple[time, time]]:
    count(OpeningHours)  # ends the test's transaction, so the rows are read afresh
    return {row.weekday: (row.opens, row.closes) for row in reload(hub).opening_hours}


def test_opening_hours_are_saved(client, hub, manager):
    weekdays = {f"day_{d}": ("07:30", "16:30") for d in range(5)}
    response = client.post(
        f"/manage/hubs/{hub.id}/opening-hours", data=_week(**weekdays, day_5=("10:00", "14:00"))
    )
    assert response.status_code == 302
    assert shows(
        client.get(location(response)),
        sv("The opening hours of %(hub)s are saved.", hub="Kungsklippan 6"),
    )
    expected = {d: (time(7, 30), time(16, 30)) for d in range(5)} | {5: (time(10), time(14))}
    assert _hours(hub) == expected
    [event] = audit_events("hub.opening_hours")
    assert event.actor_id == manager.id
    assert event.changes["opening_hours"][1]["5"] == ["10:00", "14:00"]


def test_empty_days_are_closed(client, hub, manager):
    response = client.post(
        f"/manage/hubs/{hub.id}/opening-hours", data=_week(day_2=("09:00", "12:00"))
    )
    assert response.status_code == 302
    assert _hours(hub) == {2: (time(9), time(12))}
    page = client.get(f"/manage/hubs/{hub.id}")
    assert shows(page, "09.00–12.00")
    assert text(page).count(sv("Closed")) >= 6


@pytest.mark.parametrize(
    ("day", "message"),
    [
        (("17:00", "08:00"), "Closing time must be after opening time."),
        (("08:00", "08:00"), "Closing time must be after opening time."),
        (("08:00", ""), "Give both times, or neither for a closed day."),
        (("", "17:00"), "Give both times, or neither for a closed day."),
    ],
)
def test_invalid_opening_hours_change_nothing(client, hub, manager, day, message):
    before = _hours(hub)
    response = client.post(
        f"/manage/hubs/{hub.id}/opening-hours", data=_week(day_0=("08:00", "17:00"), day_3=day)
    )
    assert response.status_code == 422
    assert field_error(response, sv(message))
    assert _hours(hub) == before
    assert audit_events() == []


def test_invalid_time_is_refused(client, hub, manager):
    before = _hours(hub)
    response = client.post(
        f"/manage/hubs/{hub.id}/opening-hours", data=_week(day_0=("25:00", "17:00"))
    )
    assert response.status_code == 422
    assert field_error(response, wtforms_sv("Not a valid time value."))
    assert _hours(hub) == before


# --- closures ------------------------------------------------------------------------------


def _closure(start: str, end: str, reason: str = "Personaldag, huset stängt") -> dict:
    return {"closure-start_date": start, "closure-end_date": end, "closure-reason": reason}


def test_closure_is_added_and_shown(client, hub, manager):
    with time_machine.travel(datetime(2026, 11, 23, 9, tzinfo=STOCKHOLM), tick=False):
        login(client, manager)  # afresh: a session cookie from the future is not valid
        response = client.post(
            f"/manage/hubs/{hub.id}/closures", data=_closure("2026-12-04", "2026-12-04")
        )
        assert response.status_code == 302
        assert location(response) == f"/manage/hubs/{hub.id}#closures"
        page = client.get(f"/manage/hubs/{hub.id}")
    assert shows(page, sv("The closure is added."))
    assert shows(page, "Personaldag, huset stängt")
    [closure] = reload(hub).closures
    assert (closure.start_date, closure.end_date) == (date(2026, 12, 4), date(2026, 12, 4))
    [event] = audit_events("closure.create")
    assert event.actor_id == manager.id

    employee = client.application.test_client()
    login(employee, make_user(organisation=hub.host_organisation))
    week = employee.get(f"/hubs/{hub.id}?week=2026-11-30")
    assert shows(week, f"{sv('Closed')}: Personaldag, huset stängt")


DATE_RANGE = (
    "Choose a date between %(first)s and %(last)s.",
    {"first": "2000-01-01", "last": "2099-12-31"},
)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_closure("2026-12-04", "2026-12-03"), "The last day cannot be before the first day."),
        (_closure("2026-12-04", "2026-12-04", ""), "Give a reason."),
        (_closure("2026-12-04", "2026-12-04", "   "), "Give a reason."),
        (_closure("2026-01-01", "2027-06-30"), "A closure can be at most one year long."),
        (_closure("", "2026-12-04"), "Enter a date."),
        (_closure("0202-12-04", "2026-12-04"), DATE_RANGE),
    ],
)
def test_invalid_closure_is_refused(client, hub, manager, data, message):
    response = client.post(f"/manage/hubs/{hub.id}/closures", data=data)
    assert response.status_code == 422
    assert field_error(response, sv_of(message))
    assert count(Closure) == 0
    assert audit_events() == []


def test_closure_is_removed(client, hub, manager):
    closure = make_closure(hub, date(2026, 12, 4), reason="Personaldag")
    response = client.post(f"/manage/hubs/{hub.id}/closures/{closure.id}/delete")
    assert response.status_code == 302
    assert shows(client.get(f"/manage/hubs/{hub.id}"), sv("The closure is removed."))
    assert count(Closure) == 0
    [event] = audit_events("closure.delete")
    assert event.actor_id == manager.id


def test_opening_hours_form_shows_the_current_hours(client, hub, manager):
    page = client.get(f"/manage/hubs/{hub.id}/opening-hours")
    assert page.status_code == 200
    assert shows(page, 'name="day_0-opens" type="time" value="08:00"')
    assert shows(page, 'name="day_4-closes" type="time" value="17:00"')
    assert shows(page, 'name="day_6-opens" type="time" value=""')
