"""Hub managers add desks, set their equipment and take them out of service."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import time_machine

from hubbar.hubs.models import Desk, Equipment, OutOfService
from tests.factories import (
    login,
    make_desk,
    make_out_of_service,
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
)


def _desk(**changes) -> dict:
    data = {
        "label": "Plats 1",
        "zone": "Plan 2",
        "equipment": ["screen", "docking_station"],
        "active": "y",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def _checked(response) -> set[str]:
    """The equipment boxes ticked on the desk form."""
    inputs = re.findall(r'<input[^>]*name="equipment"[^>]*>', response.get_data(as_text=True))
    return {re.search(r'value="([^"]*)"', i).group(1) for i in inputs if "checked" in i}


def test_create_desk_with_equipment(client, hub, manager):
    response = client.post(f"/manage/hubs/{hub.id}/desks/new", data=_desk())
    assert response.status_code == 302
    assert location(response) == f"/manage/hubs/{hub.id}#desks"
    page = client.get(f"/manage/hubs/{hub.id}")
    assert shows(page, sv("%(label)s is added.", label="Plats 1"))
    assert shows(page, sv("External screen"))
    [desk] = reload(hub).desks
    assert (desk.label, desk.zone, desk.active) == ("Plats 1", "Plan 2", True)
    assert desk.equipment == [Equipment.SCREEN, Equipment.DOCKING_STATION]
    [event] = audit_events("desk.create")
    assert event.actor_id == manager.id
    assert event.object_id == desk.id


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"label": "plats 1"}, "The hub has a desk with that label already."),
        ({"label": " Plats 1 "}, "The hub has a desk with that label already."),
        ({"label": ""}, "Enter a label."),
    ],
)
def test_invalid_desk_is_refused(client, hub, manager, changes, message):
    make_desk(hub, label="Plats 1")
    before = count(Desk)
    response = client.post(f"/manage/hubs/{hub.id}/desks/new", data=_desk(**changes))
    assert response.status_code == 422
    assert field_error(response, sv(message))
    assert count(Desk) == before
    assert audit_events() == []


def test_unknown_equipment_is_refused(client, hub, manager):
    response = client.post(f"/manage/hubs/{hub.id}/desks/new", data=_desk(equipment=["laser"]))
    assert response.status_code == 422
    assert field_error(response, "laser")
    assert count(Desk) == 0


def test_edit_equipment(client, hub, manager):
    desk = make_desk(hub, label="Plats 1", equipment=[Equipment.SCREEN])
    page = client.get(f"/manage/hubs/{hub.id}/desks/{desk.id}")
    assert _checked(page) == {"screen"}

    response = client.post(
        f"/manage/hubs/{hub.id}/desks/{desk.id}",
        data=_desk(equipment=["quiet_zone", "height_adjustable"], zone="Tyst zon"),
    )
    assert response.status_code == 302
    assert shows(client.get(location(response)), sv("%(label)s is saved.", label="Plats 1"))
    desk = reload(desk)
    assert desk.equipment == [Equipment.HEIGHT_ADJUSTABLE, Equipment.QUIET_ZONE]
    assert desk.zone == "Tyst zon"
    [event] = audit_events("desk.update")
    assert event.actor_id == manager.id
    assert event.changes["equipment"] == [["screen"], ["quiet_zone", "height_adjustable"]]


def test_edit_to_another_desks_label_is_refused(client, hub, manager):
    make_desk(hub, label="Plats 1")
    desk = make_desk(hub, label="Plats 2", equipment=[Equipment.SCREEN])
    response = client.post(f"/manage/hubs/{hub.id}/desks/{desk.id}", data=_desk(label="PLATS 1"))
    assert response.status_code == 422
    assert field_error(response, sv("The hub has a desk with that label already."))
    desk = reload(desk)
    assert desk.label == "Plats 2"
    assert desk.equipment == [Equipment.SCREEN]
    assert audit_events() == []


# --- out of service ------------------------------------------------------------------------


def _period(start_date, start_time, end_date, end_time, reason="Trasig stol") -> dict:
    return {
        "oos-start_date": start_date,
        "oos-start_time": start_time,
        "oos-end_date": end_date,
        "oos-end_time": end_time,
        "oos-reason": reason,
    }


def test_out_of_service_period_is_shown_on_the_desk_and_the_hub(client, hub, manager):
    desk = make_desk(hub, label="Plats 3")
    response = client.post(
        f"/manage/hubs/{hub.id}/desks/{desk.id}/out-of-service",
        data=_period("2026-06-01", "08:00", "2026-06-03", "17:00"),
    )
    assert response.status_code == 302
    assert location(response) == f"/manage/hubs/{hub.id}/desks/{desk.id}"
    page = client.get(location(response))
    assert shows(page, sv("%(label)s is out of service for that period.", label="Plats 3"))
    assert shows(page, "2026-06-01 08.00")
    assert shows(page, "2026-06-03 17.00")
    assert shows(page, "Trasig stol")

    [period] = reload(desk).out_of_service
    # Hub-local wall-clock times, stored in UTC (summer time: UTC+2).
    assert period.starts_at == datetime(2026, 6, 1, 6, tzinfo=UTC)
    assert period.ends_at == datetime(2026, 6, 3, 15, tzinfo=UTC)
    assert period.created_by_id == manager.id
    [event] = audit_events("desk.out_of_service")
    assert event.actor_id == manager.id

    with time_machine.travel(datetime(2026, 6, 2, 10, tzinfo=STOCKHOLM), tick=False):
        login(client, manager)
        page = client.get(f"/manage/hubs/{hub.id}")
    assert shows(page, sv("Out of service until %(when)s", when="2026-06-03 17.00"))
    assert shows(page, "Trasig stol")


def test_desk_in_service_outside_the_period(client, hub, manager):
    desk = make_desk(hub, label="Plats 3")
    make_out_of_service(
        desk, datetime(2026, 6, 1, 8, tzinfo=STOCKHOLM), datetime(2026, 6, 3, 17, tzinfo=STOCKHOLM)
    )
    with time_machine.travel(datetime(2026, 6, 3, 17, 0, tzinfo=STOCKHOLM), tick=False):
        login(client, manager)
        page = client.get(f"/manage/hubs/{hub.id}")
    assert shows(page, sv("In service"))
    assert not shows(page, "Trasig stol")


DATE_RANGE = (
    "Choose a date between %(first)s and %(last)s.",
    {"first": "2000-01-01", "last": "2099-12-31"},
)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_period("2026-06-03", "08:00", "2026-06-01", "17:00"), "The end must be after the start."),
        (_period("2026-06-01", "10:00", "2026-06-01", "10:00"), "The end must be after the start."),
        # 02.30 does not exist on 29 March (clocks go from 02.00 to 03.00).
        (
            _period("2026-03-29", "02:30", "2026-03-29", "03:00"),
            "That time does not exist that night: the clocks go forward.",
        ),
        (_period("2026-06-01", "08:00", "2026-06-03", "17:00", reason=""), "Give a reason."),
        (_period("2026-06-01", "08:00", "2026-06-03", "17:00", reason="  "), "Give a reason."),
        (_period("2026-06-01", "", "2026-06-03", "17:00"), "Enter a time."),
        # Year 1 (midnight in Stockholm is still year 0 in UTC) is a typo, not a date.
        (_period("0001-01-01", "00:00", "0001-01-01", "01:00"), DATE_RANGE),
    ],
    ids=["end-before-start", "empty", "dst-gap", "no-reason", "blank-reason", "no-time", "year-1"],
)
def test_invalid_out_of_service_period_is_refused(client, hub, manager, data, message):
    desk = make_desk(hub, label="Plats 3", equipment=[Equipment.SCREEN, Equipment.QUIET_ZONE])
    response = client.post(f"/manage/hubs/{hub.id}/desks/{desk.id}/out-of-service", data=data)
    assert response.status_code == 422
    assert shows(response, sv_of(message))
    assert count(OutOfService) == 0
    assert audit_events() == []
    # The desk form on the same page still shows the desk's equipment.
    assert _checked(response) == {"screen", "quiet_zone"}


def test_back_in_service(client, hub, manager):
    desk = make_desk(hub, label="Plats 3")
    period = make_out_of_service(
        desk, datetime(2026, 6, 1, 8, tzinfo=STOCKHOLM), datetime(2026, 6, 3, 17, tzinfo=STOCKHOLM)
    )
    response = client.post(
        f"/manage/hubs/{hub.id}/desks/{desk.id}/out-of-service/{period.id}/delete"
    )
    assert response.status_code == 302
    assert shows(
        client.get(location(response)), sv("%(label)s is back in service.", label="Plats 3")
    )
    assert count(OutOfService) == 0
    [event] = audit_events("desk.back_in_service")
    assert event.actor_id == manager.id
