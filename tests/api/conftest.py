"""The API tests' world: Kungsklippan 6 (host SSA, admitting KuF) with three desks, Anna (KuF,
English) and Erik (KuF, Swedish) with tokens, on Monday 2026-11-30 at 08.00 with the clock
stopped."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import time_machine

from hubbar.accounts.models import User
from hubbar.extensions import db
from hubbar.hubs.models import Desk, Equipment, Hub
from tests.api.helpers import NOW, token_for
from tests.factories import make_desk, make_hub, make_organisation, make_user


@dataclass
class World:
    hub: Hub
    other_hub: Hub
    a1: Desk
    a2: Desk
    a3: Desk
    anna: User
    erik: User
    anna_token: str
    erik_token: str


@pytest.fixture()
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture()
def world(clock) -> World:
    ssa = make_organisation(name="Stadsarkivet", code="SSA")
    kuf = make_organisation(name="Kulturförvaltningen", code="KuF")
    hub = make_hub(host=ssa, name="Kungsklippan 6", address="Kungsklippan 6, Stockholm")
    hub.admitted_organisations.append(kuf)
    db.session.commit()
    a1 = make_desk(hub, label="A1", zone="Fönster", equipment=[Equipment.SCREEN])
    a2 = make_desk(hub, label="A2", equipment=[Equipment.SCREEN, Equipment.QUIET_ZONE])
    a3 = make_desk(hub, label="A3")
    # A hub that does not admit KuF: Anna and Erik cannot see it or its desk.
    other_hub = make_hub(name="Rinkeby", desks=1)
    anna = make_user(kuf, email="anna.berg@kuf.example.org", display_name="Anna Berg", locale="en")
    erik = make_user(kuf, display_name="Erik Ek", locale="sv")
    return World(hub, other_hub, a1, a2, a3, anna, erik, token_for(anna), token_for(erik))
