"""Fixtures of the hub tests: SSA's hub Kungsklippan 6 and its manager, logged in."""

import pytest

from tests.factories import login, make_hub, make_hub_manager, make_organisation


@pytest.fixture()
def hub():
    return make_hub(host=make_organisation(name="Stadsarkivet", code="SSA"), name="Kungsklippan 6")


@pytest.fixture()
def manager(client, hub):
    user = make_hub_manager(hub, display_name="Maria Holmberg")
    login(client, user)
    return user
