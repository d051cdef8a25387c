"""A desk's history for past capacity: when it was inactive, kept as out-of-service time; and
out-of-service periods of one desk never overlap."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from hubbar.errors import InvalidInput
from hubbar.hubs import operations as ops
from hubbar.hubs.models import OutOfService
from tests.factories import login, make_admin, make_desk, make_hub, make_out_of_service
from tests.helpers import (
    STOCKHOLM,
    audit_events,
    count,
    field_error,
    location,
    reload,
    shows,
    snapshot,
    sv,
)

INACTIVE = "Inactive (deactivated by the hub manager)"


def said(msgid: str, **params) -> str:
    """The Swedish text of a message, or its English msgid while the catalogue lacks it."""
    try:
        return sv(msgid, **params)
    except pytest.fail.Exception:
        return msgid % params if params else msgid


def at(day: str, hhmm: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=STOCKHOLM)


def periods(desk) -> list[tuple[datetime, datetime, str]]:
    return [(p.starts_at, p.ends_at, p.reason) for p in reload(desk).out_of_service]


def _desk_form(label: str, active: bool) -> dict:
    data = {"label": label, "zone": ""}
    if active:
        data["active"] = "y"
    return data


# --- deactivating and reactivating ---------------------------------------------------------


def test_deactivating_and_reactivating_keeps_the_inactive_time(client, hub, manager):
    with time_machine.travel(at("2026-11-02", "09:00"), tick=False):
        desk = ops.create_desk(None, hub, "Plats 1")
    assert desk.created_at == at("2026-11-02", "09:00")
    assert desk.inactive_since is None

    with time_machine.travel(at("2026-11-10", "14:20"), tick=False):
        login(client, manager)
        response = client.post(
            f"/manage/hubs/{hub.id}/desks/{desk.id}", data=_desk_form("Plats 1", False)
        )
        assert response.status_code == 302
        page = client.get(f"/manage/hubs/{hub.id}")
    desk = reload(desk)
    assert not desk.active
    assert desk.inactive_since == datetime(2026, 11, 10, 13, 20, tzinfo=UTC)
    assert desk.out_of_service == []
    assert shows(page, sv("Not active"))
    assert shows(page, said("since %(when)s", when="2026-11-10 14.20"))

    with time_machine.travel(at("2026-11-20", "08:05"), tick=False):
        login(client, manager)
        response = client.post(
            f"/manage/hubs/{hub.id}/desks/{desk.id}", data=_desk_form("Plats 1", True)
        )
        assert response.status_code == 302
    desk = reload(desk)
    assert desk.active and desk.inactive_since is None
    [period] = desk.out_of_service
    assert (period.starts_at, period.ends_at) == (
        datetime(2026, 11, 10, 13, 20, tzinfo=UTC),
        datetime(2026, 11, 20, 7, 5, tzinfo=UTC),
    )
    assert period.reason == said(INACTIVE)
    assert period.created_by_id == manager.id
    changes = [e.changes for e in audit_events("desk.update")]
    assert changes == [{"active": [True, False]}, {"active": [False, True]}]


def test_a_second_inactive_stretch_is_a_second_period():
    hub_desk = make_desk(make_hub())
    admin = make_admin()
    for moment, active in (
        ("2026-11-02 10:00", False),
        ("2026-11-03 10:00", True),
        ("2026-11-05 12:00", False),
        ("2026-11-06 12:00", True),
    ):
        with time_machine.travel(at(*moment.split()), tick=False):
            ops.update_desk(admin, hub_desk, hub_desk.label, "", [], active)
    assert periods(hub_desk) == [
        (at("2026-11-02", "10:00"), at("2026-11-03", "10:00"), said(INACTIVE)),
        (at("2026-11-05", "12:00"), at("2026-11-06", "12:00"), said(INACTIVE)),
    ]


def test_saving_an_inactive_desk_again_keeps_its_date():
    desk = make_desk(make_hub())
    admin = make_admin()
    with time_machine.travel(at("2026-11-02", "10:00"), tick=False):
        ops.update_desk(admin, desk, desk.label, "", [], False)
    with time_machine.travel(at("2026-11-04", "10:00"), tick=False):
        ops.update_desk(admin, desk, "Nytt namn", "", [], False)
    assert reload(desk).inactive_since == at("2026-11-02", "10:00")
    assert reload(desk).label == "Nytt namn"


def test_a_desk_created_inactive_counts_from_its_activation():
    hub = make_hub()
    with time_machine.travel(at("2026-11-02", "09:00"), tick=False):
        desk = ops.create_desk(None, hub, "Reserv", active=False)
    assert reload(desk).inactive_since == at("2026-11-02", "09:00") == desk.created_at
    with time_machine.travel(at("2026-11-09", "09:00"), tick=False):
        ops.update_desk(make_admin(), desk, "Reserv", "", [], True)
    assert periods(desk) == [
        (at("2026-11-02", "09:00"), at("2026-11-09", "09:00"), said(INACTIVE)),
    ]
    assert reload(desk).inactive_since is None


def test_reactivation_fills_only_what_no_period_covers():
    """Broken from the 4th to the 6th while inactive from the 2nd to the 10th: the inactive
    time before and after the repair becomes two periods; the repair stays as it was."""
    desk = make_desk(make_hub())
    admin = make_admin()
    with time_machine.travel(at("2026-11-02", "10:00"), tick=False):
        ops.update_desk(admin, desk, desk.label, "", [], False)
    make_out_of_service(desk, at("2026-11-04", "00:00"), at("2026-11-06", "00:00"), "Ny skiva")
    make_out_of_service(desk, at("2026-11-20", "00:00"), at("2026-11-21", "00:00"), "Städning")
    with time_machine.travel(at("2026-11-10", "10:00"), tick=False):
        ops.update_desk(admin, desk, desk.label, "", [], True)
    assert periods(desk) == [
        (at("2026-11-02", "10:00"), at("2026-11-04", "00:00"), said(INACTIVE)),
        (at("2026-11-04", "00:00"), at("2026-11-06", "00:00"), "Ny skiva"),
        (at("2026-11-06", "00:00"), at("2026-11-10", "10:00"), said(INACTIVE)),
        (at("2026-11-20", "00:00"), at("2026-11-21", "00:00"), "Städning"),
    ]


def test_reactivation_inside_a_period_adds_nothing():
    desk = make_desk(make_hub())
    admin = make_admin()
    make_out_of_service(desk, at("2026-11-01", "00:00"), at("2026-11-30", "00:00"), "Ombyggnad")
    with time_machine.travel(at("2026-11-02", "10:00"), tick=False):
        ops.update_desk(admin, desk, desk.label, "", [], False)
    with time_machine.travel(at("2026-11-10", "10:00"), tick=False):
        ops.update_desk(admin, desk, desk.label, "", [], True)
    assert periods(desk) == [(at("2026-11-01", "00:00"), at("2026-11-30", "00:00"), "Ombyggnad")]


def test_the_desk_page_of_an_inactive_desk_says_so(client, hub, manager):
    with time_machine.travel(at("2026-11-02", "09:00"), tick=False):
        desk = ops.create_desk(None, hub, "Reserv", active=False)
    page = client.get(f"/manage/hubs/{hub.id}/desks/{desk.id}")
    assert page.status_code == 200
    assert shows(
        page,
        said(
            "Not active since %(when)s: the desk cannot be booked and adds no capacity.",
            when="2026-11-02 09.00",
        ),
    )
    assert shows(
        page,
        said(
            "When you activate it again, the inactive time is added below as an "
            "out-of-service period."
        ),
    )
    active = make_desk(hub, label="Plats 2")
    assert not shows(
        client.get(f"/manage/hubs/{hub.id}/desks/{active.id}"),
        said(
            "When you activate it again, the inactive time is added below as an "
            "out-of-service period."
        ),
    )


# --- out-of-service periods never overlap --------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (("2026-06-03", "10:00"), ("2026-06-04", "17:00")),  # overlaps the end
        (("2026-05-31", "10:00"), ("2026-06-01", "09:00")),  # overlaps the start
        (("2026-06-02", "10:00"), ("2026-06-02", "11:00")),  # inside
        (("2026-05-31", "10:00"), ("2026-06-05", "11:00")),  # around
        (("2026-06-01", "08:00"), ("2026-06-03", "17:00")),  # the same
    ],
    ids=["end", "start", "inside", "around", "same"],
)
def test_an_overlapping_period_is_refused(start, end):
    desk = make_desk(make_hub())
    make_out_of_service(desk, at("2026-06-01", "08:00"), at("2026-06-03", "17:00"))
    before = snapshot()
    with pytest.raises(InvalidInput) as raised:
        ops.add_out_of_service(None, desk, at(*start), at(*end), "Ny skärm")
    assert raised.value.field == "start_date"
    assert str(raised.value.message) == said(
        "The desk is already out of service from %(start)s to %(end)s. Remove that period "
        "first, or choose a time outside it.",
        start="2026-06-01 08.00",
        end="2026-06-03 17.00",
    )
    assert snapshot() == before


def test_periods_that_only_touch_are_fine():
    desk = make_desk(make_hub())
    make_out_of_service(desk, at("2026-06-01", "08:00"), at("2026-06-03", "17:00"))
    ops.add_out_of_service(None, desk, at("2026-06-03", "17:00"), at("2026-06-04", "08:00"), "A")
    ops.add_out_of_service(None, desk, at("2026-05-31", "08:00"), at("2026-06-01", "08:00"), "B")
    assert count(OutOfService) == 3
    # Another desk's period may overlap.
    other = make_desk(reload(desk).hub)
    ops.add_out_of_service(None, other, at("2026-06-02", "08:00"), at("2026-06-02", "17:00"), "C")
    assert count(OutOfService) == 4


def test_the_form_refuses_an_overlapping_period(client, hub, manager):
    desk = make_desk(hub, label="Plats 3")
    make_out_of_service(desk, at("2026-06-01", "08:00"), at("2026-06-03", "17:00"))
    response = client.post(
        f"/manage/hubs/{hub.id}/desks/{desk.id}/out-of-service",
        data={
            "oos-start_date": "2026-06-02",
            "oos-start_time": "12:00",
            "oos-end_date": "2026-06-05",
            "oos-end_time": "12:00",
            "oos-reason": "Ny skärm",
        },
    )
    assert response.status_code == 422
    assert field_error(
        response,
        said(
            "The desk is already out of service from %(start)s to %(end)s. Remove that period "
            "first, or choose a time outside it.",
            start="2026-06-01 08.00",
            end="2026-06-03 17.00",
        ),
    )
    assert count(OutOfService) == 1
    assert audit_events() == []

    # Right after it is fine.
    response = client.post(
        f"/manage/hubs/{hub.id}/desks/{desk.id}/out-of-service",
        data={
            "oos-start_date": "2026-06-03",
            "oos-start_time": "17:00",
            "oos-end_date": "2026-06-05",
            "oos-end_time": "12:00",
            "oos-reason": "Ny skärm",
        },
    )
    assert response.status_code == 302
    assert location(response) == f"/manage/hubs/{hub.id}/desks/{desk.id}"
    assert count(OutOfService) == 2
