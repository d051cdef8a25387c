"""System admins give and take roles, each within its scope."""

from __future__ import annotations

import pytest

from hubbar.accounts.models import Role, RoleAssignment
from tests.factories import make_hub, make_organisation, make_pilot, make_user
from tests.helpers import audit_events, count, field_error, location, reload, shows, sv, wtforms_sv


@pytest.fixture()
def scope():
    hub = make_hub(name="Kungsklippan 6")
    return {
        "hub": hub,
        "pilot": make_pilot([hub], name="Touch down Kungsklippan"),
        "organisation": make_organisation(name="Kulturförvaltningen", code="KuF"),
    }


def _role_form(role: str, **ids) -> dict:
    data = {"role-role": role, "role-hub_id": 0, "role-pilot_id": 0, "role-organisation_id": 0}
    data.update({f"role-{k}_id": v.id for k, v in ids.items()})
    return data


@pytest.mark.parametrize(
    ("role", "given"),
    [
        (Role.SYSTEM_ADMIN, ()),
        (Role.HUB_MANAGER, ("hub",)),
        (Role.EVALUATOR, ("pilot",)),
        (Role.EVALUATOR, ("hub",)),
        (Role.ORG_ADMIN, ("organisation",)),
    ],
    ids=["system_admin", "hub_manager", "evaluator-pilot", "evaluator-hub", "org_admin"],
)
def test_add_role_with_its_scope(client, admin, scope, role, given):
    user = make_user()
    response = client.post(
        f"/admin/users/{user.id}/roles", data=_role_form(role.value, **{k: scope[k] for k in given})
    )
    assert response.status_code == 302
    assert location(response) == f"/admin/users/{user.id}"
    page = client.get(location(response))
    assert shows(page, sv("The role is added."))
    [assignment] = reload(user).roles
    assert assignment.role is role
    for key in ("hub", "pilot", "organisation"):
        expected = scope[key].id if key in given else None
        assert getattr(assignment, f"{key}_id") == expected
    [event] = audit_events("role.assign")
    assert event.actor_id == admin.id
    assert event.object_id == user.id


@pytest.mark.parametrize(
    ("role", "given", "message"),
    [
        ("system_admin", ("hub",), "A system administrator has no hub, pilot or organisation."),
        ("hub_manager", (), "Choose the hub the manager is responsible for."),
        ("hub_manager", ("organisation",), "Choose the hub the manager is responsible for."),
        ("evaluator", (), "An evaluator is given either a pilot or a hub."),
        ("evaluator", ("pilot", "hub"), "An evaluator is given either a pilot or a hub."),
        ("org_admin", (), "Choose the organisation the administrator is responsible for."),
        (
            "org_admin",
            ("organisation", "hub"),
            "Choose the organisation the administrator is responsible for.",
        ),
    ],
)
def test_role_with_the_wrong_scope_is_refused(client, admin, scope, role, given, message):
    user = make_user()
    response = client.post(
        f"/admin/users/{user.id}/roles", data=_role_form(role, **{k: scope[k] for k in given})
    )
    assert response.status_code == 422
    assert field_error(response, sv(message))
    assert count(RoleAssignment, RoleAssignment.user_id == user.id) == 0
    assert audit_events() == []


def test_duplicate_role_is_refused(client, admin, scope):
    user = make_user(roles=[(Role.HUB_MANAGER, {"hub": scope["hub"]})])
    response = client.post(
        f"/admin/users/{user.id}/roles", data=_role_form("hub_manager", hub=scope["hub"])
    )
    assert response.status_code == 422
    assert field_error(response, sv("The user has that role already."))
    assert count(RoleAssignment, RoleAssignment.user_id == user.id) == 1
    assert audit_events() == []


def test_unknown_role_or_scope_is_refused(client, admin, scope):
    user = make_user()
    response = client.post(f"/admin/users/{user.id}/roles", data=_role_form("emperor"))
    assert response.status_code == 422
    assert field_error(response, wtforms_sv("Not a valid choice."))
    response = client.post(
        f"/admin/users/{user.id}/roles", data={"role-role": "hub_manager", "role-hub_id": 987654}
    )
    assert response.status_code == 422
    assert field_error(response, wtforms_sv("Not a valid choice."))
    assert count(RoleAssignment, RoleAssignment.user_id == user.id) == 0


def test_remove_role(client, admin, scope):
    user = make_user(roles=[(Role.HUB_MANAGER, {"hub": scope["hub"]})])
    [assignment] = user.roles
    response = client.post(f"/admin/users/{user.id}/roles/{assignment.id}/delete")
    assert response.status_code == 302
    assert shows(client.get(location(response)), sv("The role is removed."))
    assert count(RoleAssignment, RoleAssignment.user_id == user.id) == 0
    [event] = audit_events("role.remove")
    assert event.actor_id == admin.id
    assert "Kungsklippan 6" in event.summary


def test_admin_cannot_remove_their_own_admin_role(client, admin):
    [assignment] = admin.roles
    response = client.post(f"/admin/users/{admin.id}/roles/{assignment.id}/delete")
    assert response.status_code == 302
    assert shows(
        client.get(location(response)), sv("You cannot remove your own administrator role.")
    )
    assert count(RoleAssignment, RoleAssignment.user_id == admin.id) == 1
    assert audit_events() == []


def test_role_of_another_user_cannot_be_removed_through_this_user(client, admin, scope):
    """The assignment id must belong to the user in the address."""
    user = make_user()
    other = make_user(roles=[(Role.HUB_MANAGER, {"hub": scope["hub"]})])
    [assignment] = other.roles
    response = client.post(f"/admin/users/{user.id}/roles/{assignment.id}/delete")
    assert response.status_code == 404
    assert shows(response, sv("No such role."))
    assert count(RoleAssignment, RoleAssignment.user_id == other.id) == 1
