"""Every role sees and changes only what its scope allows; everything else is a 403 that
changes nothing."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from hubbar.accounts.models import Role
from tests.factories import (
    login,
    make_closure,
    make_desk,
    make_hub,
    make_hub_manager,
    make_organisation,
    make_out_of_service,
    make_pilot,
    make_user,
)
from tests.helpers import STOCKHOLM, shows, snapshot, sv


@pytest.fixture()
def kuf_hub():
    """Kulturförvaltningen Rinkeby with a desk, a closure and an out-of-service period."""
    kuf = make_organisation(name="Kulturförvaltningen", code="KuF")
    hub = make_hub(host=kuf, name="Kulturförvaltningen Rinkeby")
    desk = make_desk(hub, label="R1")
    closure = make_closure(hub, date(2026, 12, 4))
    period = make_out_of_service(
        desk, datetime(2026, 6, 1, 8, tzinfo=STOCKHOLM), datetime(2026, 6, 2, 8, tzinfo=STOCKHOLM)
    )
    return {"hub": hub, "desk": desk, "closure": closure, "period": period, "org": kuf}


def manage_requests(w) -> list[tuple[str, str, dict]]:
    """Every manage address of a hub, with data that would change something if allowed."""
    h, d = w["hub"].id, w["desk"].id
    return [
        ("GET", f"/manage/hubs/{h}", {}),
        ("GET", f"/manage/hubs/{h}/information", {}),
        ("POST", f"/manage/hubs/{h}/information", {"description": "Övertagen"}),
        ("GET", f"/manage/hubs/{h}/opening-hours", {}),
        (
            "POST",
            f"/manage/hubs/{h}/opening-hours",
            {"day_6-opens": "10:00", "day_6-closes": "12:00"},
        ),
        (
            "POST",
            f"/manage/hubs/{h}/closures",
            {
                "closure-start_date": "2026-12-10",
                "closure-end_date": "2026-12-10",
                "closure-reason": "x",
            },
        ),
        ("POST", f"/manage/hubs/{h}/closures/{w['closure'].id}/delete", {}),
        ("GET", f"/manage/hubs/{h}/desks/new", {}),
        ("POST", f"/manage/hubs/{h}/desks/new", {"label": "Ny", "active": "y"}),
        ("GET", f"/manage/hubs/{h}/desks/{d}", {}),
        ("POST", f"/manage/hubs/{h}/desks/{d}", {"label": "Omdöpt", "active": "y"}),
        (
            "POST",
            f"/manage/hubs/{h}/desks/{d}/out-of-service",
            {
                "oos-start_date": "2026-07-01",
                "oos-start_time": "08:00",
                "oos-end_date": "2026-07-02",
                "oos-end_time": "08:00",
                "oos-reason": "x",
            },
        ),
        ("POST", f"/manage/hubs/{h}/desks/{d}/out-of-service/{w['period'].id}/delete", {}),
    ]


def admin_requests(w) -> list[tuple[str, str, dict]]:
    org, h = w["org"].id, w["hub"].id
    user = w["user"].id
    return [
        ("GET", "/admin/organisations", {}),
        ("GET", "/admin/organisations/new", {}),
        (
            "POST",
            "/admin/organisations/new",
            {"name": "Ny", "code": "NY", "kind": "administration"},
        ),
        ("GET", f"/admin/organisations/{org}", {}),
        (
            "POST",
            f"/admin/organisations/{org}",
            {"name": "Omdöpt", "code": "OM", "kind": "company"},
        ),
        ("GET", "/admin/hubs", {}),
        ("GET", "/admin/hubs/new", {}),
        ("GET", f"/admin/hubs/{h}/settings", {}),
        ("POST", f"/admin/hubs/{h}/settings", {"name": "Omdöpt"}),
        ("GET", "/admin/audit", {}),
        ("GET", "/admin/users", {}),
        ("GET", "/admin/users/new", {}),
        (
            "POST",
            "/admin/users/new",
            {"email": "ny@example.org", "display_name": "Ny", "organisation_id": org},
        ),
        ("GET", f"/admin/users/{user}", {}),
        ("POST", f"/admin/users/{user}", {"display_name": "Omdöpt", "organisation_id": org}),
        ("POST", f"/admin/users/{user}/invitation", {}),
        ("POST", f"/admin/users/{user}/roles", {"role-role": "system_admin"}),
        ("GET", "/admin/users/import", {}),
    ]


def assert_refused(client, requests) -> None:
    before = snapshot()
    for method, url, data in requests:
        response = client.open(url, method=method, data=data)
        assert response.status_code == 403, (method, url, response.status_code)
        assert shows(response, sv("Access denied")), url
    assert snapshot() == before


def test_hub_manager_of_one_hub_cannot_manage_another(client, kuf_hub):
    ssa = make_organisation(name="Stadsarkivet", code="SSA")
    kungsklippan = make_hub(host=ssa, name="Kungsklippan 6")
    manager = make_hub_manager(kungsklippan)
    kuf_hub["user"] = make_user(organisation=kuf_hub["org"])
    login(client, manager)

    assert client.get(f"/manage/hubs/{kungsklippan.id}").status_code == 200
    page = client.get("/manage/hubs")
    assert shows(page, "Kungsklippan 6")
    assert not shows(page, "Kulturförvaltningen Rinkeby")
    assert_refused(client, manage_requests(kuf_hub))
    assert_refused(client, admin_requests(kuf_hub))


def test_employee_cannot_manage_or_administer(client, kuf_hub):
    employee = make_user(organisation=kuf_hub["org"])
    kuf_hub["user"] = make_user(organisation=kuf_hub["org"])
    login(client, employee)
    assert client.get(f"/hubs/{kuf_hub['hub'].id}").status_code == 200  # may see it, as staff
    assert_refused(client, [("GET", "/manage/hubs", {})])
    assert_refused(client, manage_requests(kuf_hub))
    assert_refused(client, admin_requests(kuf_hub))


def test_org_admin_manages_users_but_nothing_else(client, kuf_hub):
    org_admin = make_user(
        organisation=kuf_hub["org"], roles=[(Role.ORG_ADMIN, {"organisation": kuf_hub["org"]})]
    )
    kuf_hub["user"] = make_user(organisation=kuf_hub["org"])
    login(client, org_admin)
    for url in [
        "/admin/users",
        "/admin/users/new",
        "/admin/users/import",
        f"/admin/users/{kuf_hub['user'].id}",
    ]:
        assert client.get(url).status_code == 200, url
    user_pages = {"/admin/users", "/admin/users/new", "/admin/users/import"}
    others = [
        r
        for r in admin_requests(kuf_hub)
        if r[1] not in user_pages and not r[1].startswith(f"/admin/users/{kuf_hub['user'].id}")
    ]
    # Roles are for system admins only, even within the organisation.
    others.append(
        ("POST", f"/admin/users/{kuf_hub['user'].id}/roles", {"role-role": "system_admin"})
    )
    assert_refused(client, others)
    assert_refused(client, manage_requests(kuf_hub))


def test_evaluator_sees_only_their_pilot(client, kuf_hub):
    theirs = make_pilot([kuf_hub["hub"]], name="Touch down Rinkeby")
    other = make_pilot(name="Annan pilot")
    evaluator = make_user(roles=[(Role.EVALUATOR, {"pilot": theirs})])
    login(client, evaluator)

    page = client.get("/pilots")
    assert shows(page, "Touch down Rinkeby")
    assert not shows(page, "Annan pilot")
    assert client.get(f"/pilots/{theirs.id}").status_code == 200
    response = client.get(f"/pilots/{other.id}")
    assert response.status_code == 403
    assert shows(response, sv("You do not have permission to see this pilot."))
    assert not shows(response, "Annan pilot")
    kuf_hub["user"] = make_user(organisation=kuf_hub["org"])
    assert_refused(client, manage_requests(kuf_hub))
    assert_refused(client, admin_requests(kuf_hub))
