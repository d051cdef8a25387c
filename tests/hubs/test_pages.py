"""What employees see of hubs: the hubs they may use, each hub's week with its closed days."""

from __future__ import annotations

import pytest

from hubbar.extensions import db
from hubbar.hubs.models import Equipment
from tests.factories import (
    login,
    make_desk,
    make_hub,
    make_hub_manager,
    make_organisation,
    make_user,
)
from tests.helpers import shows, sv, text


@pytest.fixture()
def orgs():
    return {
        "SSA": make_organisation(name="Stadsarkivet", code="SSA"),
        "KuF": make_organisation(name="Kulturförvaltningen", code="KuF"),
        "UTB": make_organisation(name="Utbildningsförvaltningen", code="UTB"),
    }


@pytest.fixture()
def kungsklippan(orgs):
    hub = make_hub(host=orgs["SSA"], name="Kungsklippan 6", close_early_before_holidays=True)
    hub.admitted_organisations = [orgs["KuF"]]
    make_desk(hub, label="Plats 1", equipment=[Equipment.SCREEN, Equipment.DOCKING_STATION])
    make_desk(hub, label="Plats 2", equipment=[Equipment.SCREEN])
    return hub


def test_midsummer_eve_is_closed_and_named(client, orgs, kungsklippan):
    login(client, make_user(organisation=orgs["KuF"]))
    page = client.get(f"/hubs/{kungsklippan.id}?week=2026-06-15")
    assert page.status_code == 200
    assert shows(
        page,
        sv("Week %(n)d, %(from)s – %(to)s", n=25, **{"from": "2026-06-15", "to": "2026-06-21"}),
    )
    assert shows(page, f"{sv('Closed')}: Midsommarafton")
    assert shows(page, f"{sv('Closed')}: Midsommardagen")
    # The day before closes at 14.00, and says why.
    assert shows(page, "08.00–14.00")
    assert shows(page, sv("closes early: %(name)s", name="Dag före Midsommarafton"))
    assert text(page).count("08.00–17.00") == 3  # Monday to Wednesday


def test_hub_page_shows_desks_and_equipment(client, orgs, kungsklippan):
    login(client, make_user(organisation=orgs["KuF"]))
    page = client.get(f"/hubs/{kungsklippan.id}")
    assert shows(page, "Plats 1") and shows(page, "Plats 2")
    assert shows(page, f"{sv('External screen')}: {sv('%(num)d desk', '%(num)d desks', num=2)}")
    assert shows(page, f"{sv('Docking station')}: {sv('%(num)d desk', '%(num)d desks', num=1)}")


def test_employees_see_the_hubs_their_organisation_may_use(app, orgs, kungsklippan):
    make_hub(host=orgs["UTB"], name="Skolhubben")
    for org, expected, refused in [
        ("SSA", ["Kungsklippan 6"], ["Skolhubben"]),  # the host's own staff
        ("KuF", ["Kungsklippan 6"], ["Skolhubben"]),  # admitted
        ("UTB", ["Skolhubben"], ["Kungsklippan 6"]),  # not admitted to Kungsklippan
    ]:
        client = app.test_client()
        login(client, make_user(organisation=orgs[org]))
        page = client.get("/hubs")
        assert page.status_code == 200
        for name in expected:
            assert shows(page, name), (org, name)
        for name in refused:
            assert not shows(page, name), (org, name)


def test_employee_of_an_organisation_not_admitted_gets_403(client, orgs, kungsklippan):
    login(client, make_user(organisation=orgs["UTB"]))
    response = client.get(f"/hubs/{kungsklippan.id}")
    assert response.status_code == 403
    assert shows(response, sv("You do not have permission to see or change this."))
    assert not shows(response, "Plats 1")
    assert not shows(client.get("/"), "Kungsklippan 6")


def test_inactive_hub_is_hidden_from_employees_but_not_its_manager(app, orgs, kungsklippan):
    kungsklippan.active = False
    db.session.commit()
    employee = app.test_client()
    login(employee, make_user(organisation=orgs["KuF"]))
    assert not shows(employee.get("/hubs"), "Kungsklippan 6")
    assert employee.get(f"/hubs/{kungsklippan.id}").status_code == 403

    manager = app.test_client()
    login(manager, make_hub_manager(kungsklippan))
    assert manager.get(f"/hubs/{kungsklippan.id}").status_code == 200
