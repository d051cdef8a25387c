"""System admins create hubs and set their policy, admissions and costs."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from hubbar.extensions import db
from hubbar.hubs.models import Hub
from tests.factories import login, make_hub, make_hub_manager, make_organisation
from tests.helpers import audit_events, count, field_error, location, reload, shows, sv, wtforms_sv


@pytest.fixture()
def ssa():
    return make_organisation(name="Stadsarkivet", code="SSA")


def _settings(host, **changes) -> dict:
    data = {
        "name": "Kungsklippan 6",
        "host_organisation_id": host.id,
        "address": "Kungsklippan 6, 112 25 Stockholm",
        "timezone": "Europe/Stockholm",
        "slot_minutes": "30",
        "min_duration_minutes": "60",
        "max_duration_minutes": "480",
        "max_days_ahead": "14",
        "max_active_bookings": "5",
        "checkin_required": "y",
        "checkin_grace_minutes": "20",
        "close_early_before_holidays": "y",
        "cost_per_desk_month": "2800",
        "fixed_cost_per_month": "4000.50",
        "active": "y",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_a_hub_without_cost_fields_costs_nothing(client, admin, ssa):
    """A form that leaves out the amounts (an old page, a script) is no error: they are 0."""
    response = client.post(
        "/admin/hubs/new", data=_settings(ssa, cost_per_desk_month=None, fixed_cost_per_month=None)
    )
    assert response.status_code == 302
    hub = db.session.scalar(select(Hub))
    assert hub.cost_per_desk_month == 0 and hub.fixed_cost_per_month == 0


def test_create_hub(client, admin, ssa):
    kuf = make_organisation(name="Kulturförvaltningen", code="KuF")
    response = client.post(
        "/admin/hubs/new", data=_settings(ssa, admitted_organisation_ids=[kuf.id])
    )
    assert response.status_code == 302
    hub = db.session.scalar(select(Hub))
    assert location(response) == f"/manage/hubs/{hub.id}"
    page = client.get(location(response))
    assert shows(
        page, sv("Hub %(name)s is created. Now add desks and opening hours.", name="Kungsklippan 6")
    )
    assert hub.host_organisation_id == ssa.id
    assert [o.code for o in hub.admitted_organisations] == ["KuF"]
    assert (hub.slot_minutes, hub.min_duration_minutes, hub.max_duration_minutes) == (30, 60, 480)
    assert (hub.max_days_ahead, hub.max_active_bookings, hub.checkin_grace_minutes) == (14, 5, 20)
    assert hub.checkin_required and hub.close_early_before_holidays and hub.active
    assert hub.cost_per_desk_month == Decimal("2800.00")
    assert hub.fixed_cost_per_month == Decimal("4000.50")
    [event] = audit_events("hub.create")
    assert event.actor_id == admin.id
    assert event.object_id == hub.id


def test_edit_hub_settings(client, admin, ssa):
    hub = make_hub(host=ssa, name="Kungsklippan 6")
    page = client.get(f"/admin/hubs/{hub.id}/settings")
    assert page.status_code == 200
    assert shows(page, sv("Settings for %(hub)s", hub="Kungsklippan 6"))

    response = client.post(
        f"/admin/hubs/{hub.id}/settings",
        data=_settings(ssa, max_days_ahead="60", checkin_required=None, active=None),
    )
    assert response.status_code == 302
    assert shows(
        client.get(location(response)),
        sv("The settings of %(name)s are saved.", name="Kungsklippan 6"),
    )
    hub = reload(hub)
    assert hub.max_days_ahead == 60
    assert hub.checkin_required is False
    assert hub.active is False
    [event] = audit_events("hub.update")
    assert event.actor_id == admin.id
    assert event.changes["max_days_ahead"] == [30, 60]


INVALID = [
    ({"min_duration_minutes": "en timme"}, "Enter a whole number."),
    ({"max_days_ahead": "-5"}, "Enter a whole number."),
    ({"max_days_ahead": "366"}, "Enter a whole number."),
    ({"max_active_bookings": "0"}, "Enter a whole number."),
    ({"checkin_grace_minutes": "-1"}, "Enter a whole number."),
    ({"checkin_grace_minutes": "1.5"}, "Enter a whole number."),
    ({"min_duration_minutes": "45"}, "The shortest booking must be a whole number of time slots."),
    (
        {"slot_minutes": "60", "min_duration_minutes": "30"},
        "The shortest booking must be a whole number of time slots.",
    ),
    (
        {"min_duration_minutes": "120", "max_duration_minutes": "60"},
        "The longest booking must be between the shortest booking and 24 hours.",
    ),
    ({"timezone": "Europe/Gotham"}, "Unknown time zone."),
    ({"timezone": "../../etc/passwd"}, "Unknown time zone."),
    ({"name": "kungsklippan 6"}, "A hub with that name exists already."),
    ({"name": ""}, "Enter a name."),
    ({"name": "   "}, "Enter a name."),
    ({"address": ""}, "Enter the address."),
    ({"cost_per_desk_month": "-100"}, "Enter an amount of 0 or more."),
    ({"fixed_cost_per_month": "gratis"}, "Enter an amount of 0 or more."),
    ({"cost_per_desk_month": "NaN"}, "Enter an amount of 0 or more."),
    ({"cost_per_desk_month": "sNaN"}, "Enter an amount of 0 or more."),
    ({"fixed_cost_per_month": "Infinity"}, "Enter an amount of 0 or more."),
]


@pytest.mark.parametrize(
    ("changes", "message"), INVALID, ids=lambda v: v if isinstance(v, str) else ",".join(v)
)
def test_invalid_new_hub_is_refused(client, admin, ssa, changes, message):
    make_hub(host=ssa, name="Kungsklippan 6")
    before = count(Hub)
    response = client.post("/admin/hubs/new", data=_settings(ssa, **{"name": "Ny hubb", **changes}))
    assert response.status_code == 422
    assert field_error(response, sv(message))
    assert count(Hub) == before
    assert audit_events() == []


@pytest.mark.parametrize(
    ("changes", "message"), INVALID[:11], ids=lambda v: v if isinstance(v, str) else ",".join(v)
)
def test_invalid_settings_change_nothing(client, admin, ssa, changes, message):
    hub = make_hub(host=ssa, name="Liljeholmskajen")
    make_hub(host=ssa, name="Kungsklippan 6")
    response = client.post(
        f"/admin/hubs/{hub.id}/settings",
        data=_settings(ssa, **{"name": "Liljeholmskajen", **changes}),
    )
    assert response.status_code == 422
    assert field_error(response, sv(message))
    hub = reload(hub)
    assert (hub.name, hub.min_duration_minutes, hub.max_days_ahead, hub.timezone) == (
        "Liljeholmskajen",
        30,
        30,
        "Europe/Stockholm",
    )
    assert audit_events() == []


def test_unknown_slot_length_is_refused(client, admin, ssa):
    before = count(Hub)
    response = client.post("/admin/hubs/new", data=_settings(ssa, slot_minutes="45"))
    assert response.status_code == 422
    assert field_error(response, wtforms_sv("Not a valid choice."))
    assert count(Hub) == before


def test_duplicate_name_with_swedish_capitals_is_refused(client, admin, ssa):
    make_hub(host=ssa, name="Östermalms bibliotek")
    before = count(Hub)
    response = client.post("/admin/hubs/new", data=_settings(ssa, name="Östermalms bibliotek"))
    assert response.status_code == 422
    assert field_error(response, sv("A hub with that name exists already."))
    assert count(Hub) == before


def test_hub_manager_cannot_change_settings(client, ssa):
    hub = make_hub(host=ssa, name="Kungsklippan 6")
    login(client, make_hub_manager(hub))
    assert client.get(f"/admin/hubs/{hub.id}/settings").status_code == 403
    response = client.post(
        f"/admin/hubs/{hub.id}/settings", data=_settings(ssa, max_days_ahead="90")
    )
    assert response.status_code == 403
    assert reload(hub).max_days_ahead == 30
    assert client.post("/admin/hubs/new", data=_settings(ssa, name="Egen hubb")).status_code == 403
    assert count(Hub) == 1
    assert audit_events() == []
