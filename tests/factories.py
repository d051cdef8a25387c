"""Small factories for test objects: make_x(**overrides), committed, ready to use."""

from __future__ import annotations

import itertools
from datetime import date, datetime, time

from hubbar.accounts.models import Organisation, OrganisationKind, Role, RoleAssignment, User
from hubbar.accounts.operations import hash_password
from hubbar.extensions import db
from hubbar.hubs.models import Closure, Desk, DeskEquipment, Hub, OpeningHours, OutOfService
from hubbar.pilots.models import Pilot

PASSWORD = "correct horse battery"
_seq = itertools.count(1)


def make_organisation(**overrides) -> Organisation:
    n = next(_seq)
    values = {"name": f"Förvaltning {n}", "code": f"F{n}", "kind": OrganisationKind.ADMINISTRATION}
    values.update(overrides)
    org = Organisation(**values)
    db.session.add(org)
    db.session.commit()
    return org


def make_user(organisation: Organisation | None = None, roles=(), **overrides) -> User:
    """A user with PASSWORD; ``roles`` are (Role, scope-kwargs) pairs or bare Roles."""
    n = next(_seq)
    values = {
        "email": f"person{n}@example.org",
        "display_name": f"Person {n}",
        "organisation": organisation or make_organisation(),
        "password_hash": hash_password(PASSWORD),
        "locale": "sv",
    }
    values.update(overrides)
    user = User(**values)
    for role in roles:
        role, scope = (role, {}) if isinstance(role, Role) else role
        user.roles.append(RoleAssignment(role=role, **scope))
    db.session.add(user)
    db.session.commit()
    return user


def make_admin(**overrides) -> User:
    return make_user(roles=[Role.SYSTEM_ADMIN], **overrides)


def make_hub_manager(hub: Hub, **overrides) -> User:
    """A hub manager of ``hub`` (an employee of the host organisation unless told otherwise)."""
    overrides.setdefault("organisation", hub.host_organisation)
    return make_user(roles=[(Role.HUB_MANAGER, {"hub": hub})], **overrides)


def make_org_admin(organisation: Organisation, **overrides) -> User:
    """An organisation admin of ``organisation``, employed there."""
    return make_user(
        organisation=organisation,
        roles=[(Role.ORG_ADMIN, {"organisation": organisation})],
        **overrides,
    )


def make_hub(host: Organisation | None = None, desks: int = 0, **overrides) -> Hub:
    """A hub open Monday to Friday 08.00–17.00, with ``desks`` desks."""
    n = next(_seq)
    values = {
        "name": f"Hubb {n}",
        "host_organisation": host or make_organisation(),
        "address": f"Gatan {n}, Stockholm",
    }
    values.update(overrides)
    hub = Hub(**values)
    hub.opening_hours = [OpeningHours(weekday=d, opens=time(8), closes=time(17)) for d in range(5)]
    for i in range(1, desks + 1):
        hub.desks.append(Desk(label=f"D{i}", zone=""))
    db.session.add(hub)
    db.session.commit()
    return hub


def make_desk(hub: Hub, equipment=(), **overrides) -> Desk:
    n = next(_seq)
    values = {"label": f"P{n}", "zone": ""}
    values.update(overrides)
    desk = Desk(**values)
    desk.equipment_rows = [DeskEquipment(tag=t) for t in equipment]
    hub.desks.append(desk)
    db.session.commit()
    return desk


def make_closure(hub: Hub, start: date, end: date | None = None, reason="Personaldag") -> Closure:
    closure = Closure(start_date=start, end_date=end or start, reason=reason)
    hub.closures.append(closure)
    db.session.commit()
    return closure


def make_out_of_service(
    desk: Desk, starts: datetime, ends: datetime, reason: str = "Trasig stol"
) -> OutOfService:
    period = OutOfService(starts_at=starts, ends_at=ends, reason=reason)
    desk.out_of_service.append(period)
    db.session.commit()
    return period


def make_pilot(hubs: list[Hub] | None = None, **overrides) -> Pilot:
    """A pilot at ``hubs`` (one new hub unless given), 2026-09-01 to 2026-10-31."""
    n = next(_seq)
    hubs = hubs or [make_hub()]
    values = {
        "name": f"Pilot {n}",
        "host_organisation": hubs[0].host_organisation,
        "start_date": date(2026, 9, 1),
        "end_date": date(2026, 10, 31),
    }
    values.update(overrides)
    pilot = Pilot(hubs=hubs, **values)
    db.session.add(pilot)
    db.session.commit()
    return pilot


def make_evaluator(pilot: Pilot, **overrides) -> User:
    return make_user(roles=[(Role.EVALUATOR, {"pilot": pilot})], **overrides)


def login(client, user: User, password: str = PASSWORD):
    return client.post("/login", data={"email": user.email, "password": password})


def make_booking(desk: Desk, user: User, starts: datetime, ends: datetime, *, now=None):
    """A booking made by ``user`` through the booking engine (so it obeys every rule), as if
    made at ``now`` (default: the clock)."""
    from hubbar.bookings import operations as booking_ops

    return booking_ops.book(user, user, desk, starts, ends, now=now)


def make_visit(desk: Desk, user: User, starts: datetime, ends: datetime):
    """A past visit as the engine leaves it: booked the day before, checked in at the start and
    completed at the end."""
    from datetime import timedelta

    from hubbar.bookings import operations as booking_ops

    booking = make_booking(desk, user, starts, ends, now=starts - timedelta(days=1))
    booking_ops.check_in(user, booking, now=starts)
    booking_ops.check_out(user, booking, now=ends)
    return booking


def make_criterion(pilot: Pilot, **overrides):
    """An evaluation criterion of ``pilot``: booking rate at least 50 %."""
    from hubbar.pilots.models import Comparator, Criterion

    values = {"metric": "booking_rate", "comparator": Comparator.AT_LEAST, "target": 0.5}
    values.update(overrides)
    criterion = Criterion(pilot=pilot, position=len(pilot.criteria), **values)
    db.session.add(criterion)
    db.session.commit()
    return criterion


def make_agreement(hub: Hub, **overrides):
    """A collaboration agreement for ``hub``: no charging, from 2026-10-01, open-ended."""
    from hubbar.costs.models import Agreement
    from hubbar.pilots.models import ChargingModel

    values = {"model": ChargingModel.NONE, "start_date": date(2026, 10, 1), "notice_months": 3}
    values.update(overrides)
    agreement = Agreement(hub=hub, **values)
    db.session.add(agreement)
    db.session.commit()
    return agreement
