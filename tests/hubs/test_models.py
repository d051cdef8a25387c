"""The database refuses hubs, hours, closures, desks and out-of-service periods that break the
rules, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import column, insert, table

from hubbar.extensions import db
from hubbar.hubs.models import Closure, Desk, DeskEquipment, Hub, OpeningHours, OutOfService
from tests.factories import make_desk, make_hub, make_organisation
from tests.helpers import count, refused_by


@pytest.mark.parametrize(
    ("values", "constraint"),
    [
        ({"slot_minutes": 20}, "ck_hubs_valid_slot"),
        ({"slot_minutes": 60, "min_duration_minutes": 30}, "ck_hubs_min_duration_at_least_slot"),
        (
            {"min_duration_minutes": 120, "max_duration_minutes": 60},
            "ck_hubs_max_duration_at_least_min",
        ),
        ({"max_duration_minutes": 1500}, "ck_hubs_max_duration_within_day"),
        ({"max_days_ahead": 0}, "ck_hubs_valid_days_ahead"),
        ({"max_days_ahead": 366}, "ck_hubs_valid_days_ahead"),
        ({"max_active_bookings": 0}, "ck_hubs_valid_max_active"),
        ({"max_active_bookings": 101}, "ck_hubs_valid_max_active"),
        ({"checkin_grace_minutes": -1}, "ck_hubs_valid_grace"),
        ({"checkin_grace_minutes": 241}, "ck_hubs_valid_grace"),
        ({"cost_per_desk_month": -1}, "ck_hubs_costs_not_negative"),
        ({"fixed_cost_per_month": -1}, "ck_hubs_costs_not_negative"),
    ],
    ids=lambda v: v if isinstance(v, str) else ",".join(f"{k}={x}" for k, x in v.items()),
)
def test_hub_policy_checks(values, constraint):
    org = make_organisation()
    with refused_by(constraint):
        db.session.add(Hub(name="Hubben", host_organisation=org, address="Gatan 1", **values))
        db.session.commit()
    assert count(Hub) == 0


def test_hub_name_is_unique(is_postgres):
    hub = make_hub(name="Kungsklippan 6")
    with refused_by("uq_hubs_name" if is_postgres else None):
        db.session.add(
            Hub(name="Kungsklippan 6", host_organisation=hub.host_organisation, address="x")
        )
        db.session.commit()
    assert count(Hub) == 1


def test_opening_hours_close_after_they_open_on_a_real_weekday():
    hub = make_hub()
    before = count(OpeningHours)
    with refused_by("ck_opening_hours_closes_after_opens"):
        db.session.add(OpeningHours(hub_id=hub.id, weekday=5, opens=time(12), closes=time(12)))
        db.session.commit()
    with refused_by("ck_opening_hours_closes_after_opens"):
        db.session.add(OpeningHours(hub_id=hub.id, weekday=5, opens=time(17), closes=time(8)))
        db.session.commit()
    with refused_by("ck_opening_hours_valid_weekday"):
        db.session.add(OpeningHours(hub_id=hub.id, weekday=7, opens=time(8), closes=time(17)))
        db.session.commit()
    assert count(OpeningHours) == before


def test_closure_does_not_end_before_it_starts():
    hub = make_hub()
    with refused_by("ck_closures_end_not_before_start"):
        db.session.add(
            Closure(
                hub_id=hub.id, start_date=date(2026, 7, 2), end_date=date(2026, 7, 1), reason="x"
            )
        )
        db.session.commit()
    # A one-day closure (end = start) is fine.
    db.session.add(
        Closure(hub_id=hub.id, start_date=date(2026, 7, 2), end_date=date(2026, 7, 2), reason="x")
    )
    db.session.commit()
    assert count(Closure) == 1


def test_desk_label_is_unique_within_its_hub(is_postgres):
    hub, other = make_hub(), make_hub()
    make_desk(hub, label="A1")
    make_desk(other, label="A1")  # the same label in another hub is fine
    with refused_by("uq_desks_hub_id" if is_postgres else None):
        db.session.add(Desk(hub_id=hub.id, label="A1", zone=""))
        db.session.commit()
    assert count(Desk) == 2


def test_desk_belongs_to_an_existing_hub():
    with refused_by(None):  # foreign keys are enforced (on SQLite too)
        db.session.add(Desk(hub_id=987654, label="A1", zone=""))
        db.session.commit()
    assert count(Desk) == 0


def test_equipment_tag_must_be_known():
    desk = make_desk(make_hub())
    with refused_by("ck_desk_equipment_valid_tag"):
        db.session.execute(
            insert(table("desk_equipment", column("desk_id"), column("tag"))).values(
                desk_id=desk.id, tag="espresso_machine"
            )
        )
        db.session.flush()
    assert count(DeskEquipment) == 0


def test_out_of_service_ends_after_it_starts():
    desk = make_desk(make_hub())
    moment = datetime(2026, 6, 1, 8, tzinfo=UTC)
    with refused_by("ck_out_of_service_end_after_start"):
        db.session.add(OutOfService(desk_id=desk.id, starts_at=moment, ends_at=moment, reason="x"))
        db.session.commit()
    assert count(OutOfService) == 0
