"""The audit log: who did what to which object, when; shown to system admins."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal

from hubbar.accounts.models import OrganisationKind
from hubbar.audit.models import AuditEvent
from hubbar.audit.operations import apply_changes, record
from hubbar.extensions import db
from hubbar.hubs.models import Closure
from tests.factories import login, make_admin, make_hub, make_organisation
from tests.helpers import audit_events, count, shows, sv, text


def test_changes_are_recorded_as_plain_values():
    org = make_organisation(kind=OrganisationKind.ADMINISTRATION)
    hub = make_hub()
    changes = apply_changes(org, {"kind": OrganisationKind.COMPANY, "name": org.name})
    assert changes == {"kind": ["administration", "company"]}  # the unchanged name is left out
    changes = apply_changes(hub, {"cost_per_desk_month": Decimal("2800.00")})
    assert changes == {"cost_per_desk_month": ["0.00", "2800.00"]}
    closure = Closure(start_date=date(2026, 12, 4), end_date=date(2026, 12, 4), reason="x")
    assert apply_changes(closure, {"end_date": date(2026, 12, 5)}) == {
        "end_date": ["2026-12-04", "2026-12-05"]
    }
    assert apply_changes(hub.opening_hours[0], {"opens": time(7, 30)}) == {
        "opens": ["08:00:00", "07:30:00"]
    }


def test_record_is_saved_with_the_change_itself():
    admin = make_admin()
    org = make_organisation(name="Kulturförvaltningen")
    record(admin, "organisation.update", org, "Kulturförvaltningen", {"code": ["KF", "KuF"]})
    db.session.rollback()  # not committed: the event goes with the change it belongs to
    assert count(AuditEvent) == 0
    record(admin, "organisation.update", org, "x" * 400)
    db.session.commit()
    [event] = audit_events()
    assert (event.actor_id, event.object_type, event.object_id) == (
        admin.id,
        "Organisation",
        org.id,
    )
    assert len(event.summary) == 300


def test_audit_log_page(client):
    admin = make_admin(email="alex@ssa.example.org")
    login(client, admin)
    client.post(
        "/admin/organisations/new",
        data={"name": "Kulturförvaltningen", "code": "KuF", "kind": "administration"},
    )
    record(None, "pilot.status", None, "Touch down Kungsklippan: running")
    db.session.commit()

    page = client.get("/admin/audit")
    assert page.status_code == 200
    assert shows(page, sv("%(num)d event", "%(num)d events", num=2))
    assert shows(page, "organisation.create")
    assert shows(page, "alex@ssa.example.org")
    assert shows(page, "Kulturförvaltningen (KuF)")
    assert shows(page, admin.display_name)  # who acted, by name

    filtered = client.get("/admin/audit?type=Organisation")
    assert shows(filtered, "organisation.create")
    assert not shows(filtered, "Touch down Kungsklippan: running")


def test_audit_log_pages(client):
    admin = make_admin()
    for n in range(51):
        record(admin, "organisation.update", None, f"ändring {n:02d}")
    db.session.commit()
    login(client, admin)
    first = client.get("/admin/audit")
    assert shows(first, sv("Page %(page)d of %(pages)d", page=1, pages=2))
    assert shows(first, "ändring 50") and not shows(first, "ändring 00")
    second = client.get("/admin/audit?page=2")
    assert shows(second, "ändring 00") and not shows(second, "ändring 50")
    beyond = client.get("/admin/audit?page=9")
    assert beyond.status_code == 200
    assert "ändring " not in text(beyond)
