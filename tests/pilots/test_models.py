"""The database refuses pilots that end before they start or have an unknown status."""

from __future__ import annotations

from datetime import date

from sqlalchemy import column, insert, table

from hubbar.extensions import db
from hubbar.pilots.models import Pilot
from tests.factories import make_hub, make_pilot
from tests.helpers import count, refused_by


def _insert_pilot(**values) -> None:
    row = {
        "name": "Rå pilot",
        "host_organisation_id": make_hub().host_organisation_id,
        "start_date": "2026-09-01",
        "end_date": "2026-10-31",
        "charging_model": "none",
        "status": "planned",
        "created_at": "2026-08-01 00:00:00",
    }
    row.update(values)
    db.session.execute(insert(table("pilots", *map(column, row))).values(**row))
    db.session.flush()


def test_pilot_ends_after_it_starts():
    hub = make_hub()
    with refused_by("ck_pilots_end_after_start"):
        db.session.add(
            Pilot(
                name="Noll dagar",
                host_organisation=hub.host_organisation,
                hubs=[hub],
                start_date=date(2026, 9, 1),
                end_date=date(2026, 9, 1),
            )
        )
        db.session.commit()
    assert count(Pilot) == 0


def test_pilot_status_and_charging_model_must_be_known():
    with refused_by("ck_pilots_valid_status"):
        _insert_pilot(status="paused")
    with refused_by("ck_pilots_valid_charging_model"):
        _insert_pilot(charging_model="barter")
    _insert_pilot()  # the same row with known values is accepted
    db.session.commit()
    assert count(Pilot) == 1


def test_pilot_name_is_unique(is_postgres):
    pilot = make_pilot(name="Touch down Kungsklippan")
    with refused_by("uq_pilots_name" if is_postgres else None):
        db.session.add(
            Pilot(
                name="Touch down Kungsklippan",
                host_organisation_id=pilot.host_organisation_id,
                start_date=date(2026, 9, 1),
                end_date=date(2026, 11, 1),
            )
        )
        db.session.commit()
    assert count(Pilot) == 1
