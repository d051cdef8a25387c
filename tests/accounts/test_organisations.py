"""System admins create and edit organisations."""

from __future__ import annotations

import pytest

from hubbar.accounts.models import Organisation, OrganisationKind
from tests.factories import make_organisation
from tests.helpers import audit_events, count, field_error, location, reload, shows, sv, wtforms_sv


def test_create_organisation(client, admin):
    before = count(Organisation)
    response = client.post(
        "/admin/organisations/new",
        data={"name": "Kulturförvaltningen", "code": "KuF", "kind": "administration"},
    )
    assert response.status_code == 302
    assert location(response) == "/admin/organisations"
    page = client.get("/admin/organisations")
    assert shows(page, sv("Organisation %(name)s created.", name="Kulturförvaltningen"))
    assert shows(page, "KuF")

    assert count(Organisation) == before + 1
    [event] = audit_events("organisation.create")
    assert event.actor_id == admin.id
    assert event.summary == "Kulturförvaltningen (KuF)"


def test_edit_organisation(client, admin):
    org = make_organisation(name="Kulturförvaltningen", code="KuF")
    page = client.get(f"/admin/organisations/{org.id}")
    assert page.status_code == 200
    assert shows(page, 'value="KuF"')

    response = client.post(
        f"/admin/organisations/{org.id}",
        data={"name": "Kulturförvaltningen Stockholm", "code": "KUF", "kind": "municipality"},
    )
    assert response.status_code == 302
    org = reload(org)
    assert (org.name, org.code, org.kind) == (
        "Kulturförvaltningen Stockholm",
        "KUF",
        OrganisationKind.MUNICIPALITY,
    )
    [event] = audit_events("organisation.update")
    assert event.actor_id == admin.id
    assert event.changes["code"] == ["KuF", "KUF"]
    assert event.changes["kind"] == ["administration", "municipality"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"name": "kulturförvaltningen", "code": "KF2"},
            "An organisation with that name exists already.",
        ),
        (
            {"name": "Annan förvaltning", "code": "kuf"},
            "An organisation with that code exists already.",
        ),
        (
            {"name": "Annan förvaltning", "code": "K"},
            "The short code must have 2 to 12 characters.",
        ),
        (
            {"name": "Annan förvaltning", "code": "ALLDELES-FÖR-LÅNG"},
            "The short code must have 2 to 12 characters.",
        ),
        ({"name": "", "code": "AF"}, "Enter a name."),
        ({"name": "   ", "code": "AF"}, "Enter a name."),
        ({"name": "Annan förvaltning", "code": ""}, "Enter a short code."),
    ],
)
def test_invalid_organisation_is_refused(client, admin, data, message):
    make_organisation(name="Kulturförvaltningen", code="KuF")
    before = count(Organisation)
    response = client.post("/admin/organisations/new", data={"kind": "administration", **data})
    assert response.status_code == 200
    assert field_error(response, sv(message))
    assert count(Organisation) == before
    assert audit_events() == []


def test_duplicate_name_with_swedish_capitals_is_refused(client, admin):
    make_organisation(name="Östermalms stadsdelsförvaltning", code="ÖSF")
    before = count(Organisation)
    response = client.post(
        "/admin/organisations/new",
        data={"name": "Östermalms stadsdelsförvaltning", "code": "OST", "kind": "administration"},
    )
    assert response.status_code == 200
    assert field_error(response, sv("An organisation with that name exists already."))
    response = client.post(
        "/admin/organisations/new",
        data={"name": "Östermalm", "code": "ÖSF", "kind": "administration"},
    )
    assert field_error(response, sv("An organisation with that code exists already."))
    assert count(Organisation) == before


def test_unknown_kind_is_refused(client, admin):
    before = count(Organisation)
    response = client.post(
        "/admin/organisations/new", data={"name": "Bolaget", "code": "BO", "kind": "ministry"}
    )
    assert response.status_code == 200
    assert field_error(response, wtforms_sv("Not a valid choice."))
    assert count(Organisation) == before


def test_edit_to_another_organisations_code_is_refused(client, admin):
    make_organisation(name="Stadsarkivet", code="SSA")
    org = make_organisation(name="Kulturförvaltningen", code="KuF")
    response = client.post(
        f"/admin/organisations/{org.id}",
        data={"name": "Kulturförvaltningen", "code": "SSA", "kind": "administration"},
    )
    assert response.status_code == 200
    assert field_error(response, sv("An organisation with that code exists already."))
    assert reload(org).code == "KuF"
    assert audit_events() == []


def test_lost_race_for_a_name_gets_the_same_refusal(client, admin, monkeypatch):
    """Two admins create the same organisation at once: both pass the pre-check, the database
    refuses the second at its flush, and the second admin reads the ordinary refusal."""
    from hubbar.accounts import operations

    make_organisation(name="Stadsarkivet", code="SSA")
    monkeypatch.setattr(operations, "_check_organisation_unique", lambda *a, **k: None)
    before = count(Organisation)
    response = client.post(
        "/admin/organisations/new",
        data={"name": "Stadsarkivet", "code": "SSA2", "kind": "administration"},
    )
    assert response.status_code == 200
    assert shows(response, sv("An organisation with that name or code exists already."))
    assert count(Organisation) == before
    assert audit_events("organisation.create") == []
