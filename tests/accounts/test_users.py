"""Admins add, edit and deactivate users; organisation admins only within their organisation."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from hubbar.accounts.models import User
from hubbar.extensions import db
from hubbar.mail.models import OutboxMessage
from tests.factories import login, make_admin, make_org_admin, make_organisation, make_user
from tests.helpers import audit_events, count, field_error, location, reload, shows, sv, wtforms_sv


@pytest.fixture()
def admin(client):
    user = make_admin(display_name="Alex Admin")
    login(client, user)
    return user


def _new_user(org, **changes):
    data = {
        "email": "sara.nystrom@kuf.example.org",
        "display_name": "Sara Nyström",
        "organisation_id": org.id,
        "locale": "sv",
    }
    data.update(changes)
    return data


def _edit(user, **changes):
    data = {
        "display_name": user.display_name,
        "organisation_id": user.organisation_id,
        "locale": user.locale,
        "active": "y",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_create_user_shows_the_invitation_link(client, admin):
    kuf = make_organisation(name="Kulturförvaltningen", code="KuF")
    before = count(User)
    response = client.post(
        "/admin/users/new", data=_new_user(kuf, email="Sara.Nystrom@KuF.example.org")
    )
    assert response.status_code == 302
    assert count(User) == before + 1
    user = db.session.scalar(select(User).where(User.display_name == "Sara Nyström"))
    assert user.email == "sara.nystrom@kuf.example.org"
    assert user.organisation_id == kuf.id
    assert not user.has_password
    assert location(response) == f"/admin/users/{user.id}"

    page = client.get(location(response))
    assert shows(
        page, sv("%(name)s is added. Send the invitation link below.", name="Sara Nyström")
    )
    assert shows(page, sv("Invitation link"))
    assert re.search(r'value="https?://[^"]+/invitation/[^"]+"', page.get_data(as_text=True))
    [event] = audit_events("user.create")
    assert event.actor_id == admin.id
    assert event.object_id == user.id

    # Shown once, e-mailed once: reloading the page neither shows nor sends it again.
    again = client.get(location(response))
    assert not shows(again, sv("Invitation link"))
    assert count(OutboxMessage, OutboxMessage.kind == "invitation") == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"email": "ANNA.BERG@kuf.example.org"}, "A user with that e-mail address exists already."),
        ({"email": "inte-en-adress"}, "Enter a valid e-mail address."),
        ({"email": "anna@"}, "Enter a valid e-mail address."),
        ({"email": ""}, "Enter an e-mail address."),
        ({"display_name": ""}, "Enter a name."),
        ({"display_name": "   "}, "Enter a name."),
    ],
)
def test_invalid_user_is_refused(client, admin, changes, message):
    kuf = make_organisation()
    make_user(organisation=kuf, email="anna.berg@kuf.example.org")
    before = count(User)
    response = client.post("/admin/users/new", data=_new_user(kuf, **changes))
    assert response.status_code == 200
    assert field_error(response, sv(message))
    assert count(User) == before
    assert audit_events() == []


def test_edit_user(client, admin):
    kuf, ssa = make_organisation(code="KuF"), make_organisation(code="SSA")
    user = make_user(organisation=kuf, display_name="Sara Nyström")
    response = client.post(
        f"/admin/users/{user.id}",
        data=_edit(user, display_name="Sara Nyström Ek", organisation_id=ssa.id, locale="en"),
    )
    assert response.status_code == 302
    assert location(response) == f"/admin/users/{user.id}"
    assert shows(client.get(location(response)), sv("%(name)s is saved.", name="Sara Nyström Ek"))
    user = reload(user)
    assert (user.display_name, user.organisation_id, user.locale) == (
        "Sara Nyström Ek",
        ssa.id,
        "en",
    )
    [event] = audit_events("user.update")
    assert event.actor_id == admin.id
    # The log outlives an erased account: that the name changed, not the names.
    assert event.changes["display_name"] == ["…", "…"]
    assert "Sara" not in event.summary


def test_deactivated_user_cannot_log_in(app, client, admin):
    user = make_user()
    response = client.post(f"/admin/users/{user.id}", data=_edit(user, active=None))
    assert response.status_code == 302
    assert reload(user).active is False
    [event] = audit_events("user.update")
    assert event.changes["active"] == [True, False]
    assert shows(client.get("/admin/users"), sv("Deactivated"))

    other = app.test_client()
    response = login(other, user)
    assert response.status_code == 200
    assert shows(response, "Fel e-postadress eller lösenord.")


def test_cannot_deactivate_oneself(client, admin):
    response = client.post(f"/admin/users/{admin.id}", data=_edit(admin, active=None))
    assert response.status_code == 200
    assert field_error(response, sv("You cannot deactivate your own account."))
    assert reload(admin).active is True
    assert audit_events() == []


def test_edit_refuses_an_empty_name(client, admin):
    user = make_user(display_name="Sara Nyström")
    response = client.post(f"/admin/users/{user.id}", data=_edit(user, display_name=""))
    assert response.status_code == 200
    assert field_error(response, sv("Enter a name."))
    assert reload(user).display_name == "Sara Nyström"


def test_users_list_filters_by_organisation_and_name(client, admin):
    kuf, ssa = make_organisation(), make_organisation()
    make_user(organisation=kuf, display_name="Anna Berg")
    make_user(organisation=ssa, display_name="Erik Sund")
    page = client.get(f"/admin/users?organisation={kuf.id}")
    assert shows(page, "Anna Berg") and not shows(page, "Erik Sund")
    page = client.get("/admin/users?q=erik")
    assert shows(page, "Erik Sund") and not shows(page, "Anna Berg")


# --- organisation admins -------------------------------------------------------------------


@pytest.fixture()
def kuf_admin(client):
    kuf = make_organisation(name="Kulturförvaltningen", code="KuF")
    user = make_org_admin(kuf, display_name="Karin Personal")
    login(client, user)
    return user


def test_org_admin_sees_only_their_organisations_users(client, kuf_admin):
    ssa = make_organisation(name="Stadsarkivet", code="SSA")
    make_user(organisation=kuf_admin.organisation, display_name="Anna Berg")
    make_user(organisation=ssa, display_name="Erik Sund")
    page = client.get("/admin/users")
    assert page.status_code == 200
    assert shows(page, "Anna Berg")
    assert not shows(page, "Erik Sund")
    # Asking for the other organisation's list shows nobody from it.
    page = client.get(f"/admin/users?organisation={ssa.id}")
    assert not shows(page, "Erik Sund")


def test_org_admin_adds_users_to_their_organisation(client, kuf_admin):
    before = count(User)
    response = client.post("/admin/users/new", data=_new_user(kuf_admin.organisation))
    assert response.status_code == 302
    assert count(User) == before + 1
    [event] = audit_events("user.create")
    assert event.actor_id == kuf_admin.id


def test_org_admin_cannot_create_users_in_another_organisation(client, kuf_admin):
    ssa = make_organisation(name="Stadsarkivet", code="SSA")
    before = count(User)
    response = client.post("/admin/users/new", data=_new_user(ssa))
    assert response.status_code in (200, 403)
    assert field_error(response, wtforms_sv("Not a valid choice."))
    assert count(User) == before
    assert audit_events() == []


def test_org_admin_cannot_open_or_change_another_organisations_user(client, kuf_admin):
    ssa = make_organisation(name="Stadsarkivet", code="SSA")
    erik = make_user(organisation=ssa, display_name="Erik Sund")
    assert client.get(f"/admin/users/{erik.id}").status_code == 403
    response = client.post(
        f"/admin/users/{erik.id}", data=_edit(erik, organisation_id=kuf_admin.organisation_id)
    )
    assert response.status_code == 403
    assert shows(response, sv("You do not have permission to do that."))
    assert client.post(f"/admin/users/{erik.id}/invitation").status_code == 403
    erik = reload(erik)
    assert (erik.display_name, erik.organisation_id, erik.active) == ("Erik Sund", ssa.id, True)
    assert audit_events() == []


def test_org_admin_cannot_move_a_user_to_another_organisation(client, kuf_admin):
    ssa = make_organisation(name="Stadsarkivet", code="SSA")
    anna = make_user(organisation=kuf_admin.organisation)
    response = client.post(f"/admin/users/{anna.id}", data=_edit(anna, organisation_id=ssa.id))
    assert response.status_code == 200
    assert field_error(response, wtforms_sv("Not a valid choice."))
    assert reload(anna).organisation_id == kuf_admin.organisation_id


def test_org_admin_cannot_grant_roles(client, kuf_admin):
    anna = make_user(organisation=kuf_admin.organisation)
    response = client.post(
        f"/admin/users/{anna.id}/roles",
        data={"role-role": "org_admin", "role-organisation_id": kuf_admin.organisation_id},
    )
    assert response.status_code == 403
    assert reload(anna).roles == []


def test_employee_cannot_manage_users(client):
    user = make_user()
    login(client, user)
    for url in [
        "/admin/users",
        "/admin/users/new",
        f"/admin/users/{user.id}",
        "/admin/users/import",
    ]:
        assert client.get(url).status_code == 403, url
    before = count(User)
    response = client.post("/admin/users/new", data=_new_user(user.organisation))
    assert response.status_code == 403
    assert shows(response, sv("You do not have permission to see or change this."))
    assert count(User) == before


def test_org_admin_cannot_take_over_a_colleague_who_holds_a_role(client):
    """An organisation admin may manage the employees of their organisation, but not reset
    the password of (and so become) an evaluator, hub manager or admin employed there."""
    from tests.factories import make_evaluator, make_pilot

    kuf = make_organisation(name="Kulturförvaltningen", code="KuF")
    evaluator = make_evaluator(make_pilot(), organisation=kuf)
    employee = make_user(organisation=kuf)
    org_admin = make_org_admin(kuf)
    login(client, org_admin)
    before = reload(evaluator).password_hash

    assert client.get(f"/admin/users/{evaluator.id}").status_code == 403
    assert client.post(f"/admin/users/{evaluator.id}/invitation").status_code == 403
    response = client.post(
        f"/admin/users/{evaluator.id}",
        data={"display_name": "X", "organisation_id": kuf.id, "locale": "sv"},
    )
    assert response.status_code == 403
    assert reload(evaluator).password_hash == before and reload(evaluator).active
    # An ordinary employee of the organisation is still theirs to help.
    assert client.post(f"/admin/users/{employee.id}/invitation").status_code == 200
    [event] = audit_events("user.password_link")
    assert event.actor_id == org_admin.id and event.object_id == employee.id


def test_changing_the_password_ends_other_sessions(client, app):
    user = make_user()
    other_device = app.test_client()
    login(client, user)
    login(other_device, user)
    assert other_device.get("/profile").status_code == 200
    response = client.post(
        "/profile",
        data={
            "password-current_password": "correct horse battery",
            "password-password": "a brand new passphrase",
            "password-confirm": "a brand new passphrase",
        },
    )
    assert response.status_code == 302
    assert client.get("/profile").status_code == 200  # this session was renewed
    assert other_device.get("/profile").status_code == 302  # the other one is logged out
