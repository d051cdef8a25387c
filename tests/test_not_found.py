"""Unknown ids, and ids that belong to another hub or desk, are a 404 that changes nothing."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from hubbar.accounts.models import Role
from tests.factories import (
    login,
    make_admin,
    make_closure,
    make_desk,
    make_hub,
    make_hub_manager,
    make_out_of_service,
    make_user,
)
from tests.helpers import STOCKHOLM, shows, snapshot, sv

MISSING = 987654


@pytest.fixture()
def hubs():
    """Two hubs, each with a desk, a closure and an out-of-service period."""
    made = []
    for name in ("Kungsklippan 6", "Liljeholmskajen"):
        hub = make_hub(name=name)
        desk = make_desk(hub, label="A1")
        made.append(
            {
                "hub": hub,
                "desk": desk,
                "closure": make_closure(hub, date(2026, 12, 4)),
                "period": make_out_of_service(
                    desk,
                    datetime(2026, 6, 1, 8, tzinfo=STOCKHOLM),
                    datetime(2026, 6, 2, 8, tzinfo=STOCKHOLM),
                ),
            }
        )
    return made


def _not_found(client, method: str, url: str, message: str) -> None:
    response = client.open(url, method=method)
    assert response.status_code == 404, (method, url)
    assert shows(response, sv(message)), url


def test_unknown_ids_as_system_admin(client, hubs):
    user = make_user(roles=[(Role.HUB_MANAGER, {"hub": hubs[0]["hub"]})])
    login(client, make_admin())
    mine, other = hubs
    h = mine["hub"].id
    before = snapshot()
    for method, url, message in [
        ("GET", f"/hubs/{MISSING}", "No such hub."),
        ("GET", f"/manage/hubs/{MISSING}", "No such hub."),
        ("GET", f"/admin/hubs/{MISSING}/settings", "No such hub."),
        ("POST", f"/admin/hubs/{MISSING}/settings", "No such hub."),
        ("GET", f"/manage/hubs/{h}/desks/{MISSING}", "No such desk."),
        ("GET", f"/manage/hubs/{h}/desks/{other['desk'].id}", "No such desk."),
        ("POST", f"/manage/hubs/{h}/desks/{other['desk'].id}", "No such desk."),
        ("POST", f"/manage/hubs/{h}/desks/{other['desk'].id}/out-of-service", "No such desk."),
        ("POST", f"/manage/hubs/{h}/closures/{MISSING}/delete", "No such closure."),
        ("POST", f"/manage/hubs/{h}/closures/{other['closure'].id}/delete", "No such closure."),
        (
            "POST",
            f"/manage/hubs/{h}/desks/{mine['desk'].id}/out-of-service/{other['period'].id}/delete",
            "No such out-of-service period.",
        ),
        (
            "POST",
            f"/manage/hubs/{h}/desks/{mine['desk'].id}/out-of-service/{MISSING}/delete",
            "No such out-of-service period.",
        ),
        ("GET", f"/admin/users/{MISSING}", "No such user."),
        ("POST", f"/admin/users/{MISSING}", "No such user."),
        ("POST", f"/admin/users/{MISSING}/invitation", "No such user."),
        ("POST", f"/admin/users/{MISSING}/roles", "No such user."),
        ("POST", f"/admin/users/{user.id}/roles/{MISSING}/delete", "No such role."),
        ("GET", f"/admin/organisations/{MISSING}", "No such organisation."),
        ("POST", f"/admin/organisations/{MISSING}", "No such organisation."),
        ("GET", f"/pilots/{MISSING}", "No such pilot."),
    ]:
        _not_found(client, method, url, message)
    assert snapshot() == before


def test_hub_manager_cannot_reach_another_hubs_desk_through_their_own_hub(client, hubs):
    mine, other = hubs
    login(client, make_hub_manager(mine["hub"]))
    h = mine["hub"].id
    before = snapshot()
    _not_found(client, "GET", f"/manage/hubs/{h}/desks/{other['desk'].id}", "No such desk.")
    _not_found(client, "POST", f"/manage/hubs/{h}/desks/{other['desk'].id}", "No such desk.")
    _not_found(
        client,
        "POST",
        f"/manage/hubs/{h}/closures/{other['closure'].id}/delete",
        "No such closure.",
    )
    _not_found(
        client,
        "POST",
        f"/manage/hubs/{h}/desks/{other['desk'].id}/out-of-service/{other['period'].id}/delete",
        "No such desk.",
    )
    assert snapshot() == before


def test_id_zero_is_not_a_new_object(client, hubs):
    """/…/0 must not open the "new" form (0 is no id), let alone create something."""
    login(client, make_admin())
    h = hubs[0]["hub"].id
    before = snapshot()
    _not_found(client, "GET", f"/manage/hubs/{h}/desks/0", "No such desk.")
    _not_found(client, "POST", f"/manage/hubs/{h}/desks/0", "No such desk.")
    _not_found(client, "GET", "/admin/organisations/0", "No such organisation.")
    _not_found(client, "GET", "/admin/hubs/0/settings", "No such hub.")
    assert snapshot() == before
