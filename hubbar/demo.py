"""The demo: the real pilot of DESIGN.md ("Demo data"), deterministic for a given date."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from sqlalchemy import func, select

from hubbar.accounts import operations as accounts
from hubbar.accounts.models import Organisation, OrganisationKind, Role, User
from hubbar.extensions import db
from hubbar.hubs import operations as hubs
from hubbar.hubs.models import Equipment as E
from hubbar.pilots.operations import create_pilot

DEMO_PASSWORD = "hubbar-demo"

PARTICIPANT_NAMES = [
    "Anna Berg",
    "Johan Lindqvist",
    "Sara Nyström",
    "Mikael Holm",
    "Elin Forsberg",
    "Ahmed Hassan",
    "Karin Sjöberg",
    "Oskar Wallin",
    "Maja Ekström",
    "Daniel Åkesson",
    "Leila Karimi",
    "Fredrik Blom",
    "Ida Lundgren",
    "Peter Jonsson",
    "Hanna Svedberg",
]


# Printed when the demo starts and listed in the README.
DEMO_LOGINS = [
    ("admin@hubbar.example.org", "system admin"),
    ("lokal@ssa.example.org", "hub manager of SSA's hubs"),
    ("lokal@kuf.example.org", "hub manager of Kulturförvaltningen Rinkeby"),
    ("utvardering@hubbar.example.org", "evaluator of the pilot"),
    ("personal@kuf.example.org", "organisation admin of KuF"),
    ("anna.berg@kuf.example.org", "employee at KuF, pilot participant"),
    ("deltagare02@kuf.example.org … deltagare15@…", "the other 14 participants"),
]


def last_friday_before(day: date) -> date:
    """The Friday before ``day`` (a week earlier when ``day`` is itself a Friday)."""
    return day - timedelta(days=(day.weekday() - 4) % 7 or 7)


def is_empty() -> bool:
    return not db.session.scalar(select(func.count(Organisation.id)))


def _user(email: str, name: str, org: Organisation, locale: str = "sv") -> User:
    user = accounts.create_user(None, email, name, org, locale)
    user.password_hash = accounts.hash_password(DEMO_PASSWORD)
    return user


def _weekdays(opens: time, closes: time) -> dict[int, tuple[time, time] | None]:
    return {d: (opens, closes) if d < 5 else None for d in range(7)}


def load_demo(today: date | None = None) -> None:
    """Create organisations, hubs, desks, users, roles and the pilot."""
    today = today or date.today()
    kuf = Organisation(name="Kulturförvaltningen", code="KuF", kind=OrganisationKind.ADMINISTRATION)
    ssa = Organisation(name="Stadsarkivet", code="SSA", kind=OrganisationKind.ADMINISTRATION)
    db.session.add_all([kuf, ssa])
    db.session.commit()

    kungsklippan = hubs.create_hub(
        None,
        hubs.HubSettings(
            name="Kungsklippan 6",
            host_organisation=ssa,
            address="Kungsklippan 6, 112 25 Stockholm",
            admitted_organisations=[kuf],
            close_early_before_holidays=True,
            cost_per_desk_month=Decimal("2800"),
            fixed_cost_per_month=Decimal("4000"),
        ),
        hubs.HubInformation(
            description=(
                "Stadsarkivets hus på Kungsholmen. Fem nedslagsplatser för medarbetare på "
                "Kulturförvaltningen under pilotperioden, i ett lugnt rum på plan 2."
            ),
            desk_includes=(
                "Skrivbord och ergonomisk stol, skärm med USB-C-docka (plats 1–4), trådlöst "
                "nätverk (Stockholms stads nät och eduroam), låsbart skåp för dagen, pentry "
                "med kaffe och te. Passerkort lämnas ut i receptionen mot legitimation."
            ),
            service_level=(
                "Receptionen är bemannad vardagar 08.00–16.00. Fel på plats eller utrustning "
                "anmäls till lokalansvarig och åtgärdas inom en arbetsdag. Stadsarkivet står "
                "för lokal, möbler, nätverk och städning; Kulturförvaltningen för egna datorer."
            ),
            contact_name="Maria Holmberg, lokalansvarig",
            contact_email="lokal@ssa.example.org",
            contact_phone="08-508 283 00",
        ),
    )
    liljeholmen = hubs.create_hub(
        None,
        hubs.HubSettings(
            name="Stadsarkivet Liljeholmskajen",
            host_organisation=ssa,
            address="Liljeholmskajen 10, 117 63 Stockholm",
            admitted_organisations=[kuf],
            cost_per_desk_month=Decimal("2400"),
        ),
        hubs.HubInformation(
            description="Flexkontor i Stadsarkivets lokaler vid Liljeholmskajen.",
            desk_includes=(
                "Skrivbord, skärm och docka på alla platser, höj- och sänkbara bord i den "
                "tysta zonen, trådlöst nätverk, skåp, kök."
            ),
            service_level="Felanmälan till lokalansvarig; åtgärd inom två arbetsdagar.",
            contact_name="Maria Holmberg, lokalansvarig",
            contact_email="lokal@ssa.example.org",
            contact_phone="08-508 283 00",
        ),
    )
    rinkeby = hubs.create_hub(
        None,
        hubs.HubSettings(
            name="Kulturförvaltningen Rinkeby",
            host_organisation=kuf,
            address="Rinkebytorget 1, 163 73 Spånga",
            admitted_organisations=[ssa],
            cost_per_desk_month=Decimal("2000"),
        ),
        hubs.HubInformation(
            description="Aktivitetsbaserat kontor i Rinkeby bibliotekets hus.",
            desk_includes="Skrivbord med skärm och docka, trådlöst nätverk, kök, skåp.",
            service_level="Biblioteksentrén är öppen under kontorets öppettider.",
            contact_name="Jonas Rask, enhetschef",
            contact_email="lokal@kuf.example.org",
            contact_phone="08-508 319 00",
        ),
    )
    hubs.set_opening_hours(None, kungsklippan, _weekdays(time(8), time(17)))
    hubs.set_opening_hours(None, liljeholmen, _weekdays(time(7, 30), time(18)))
    hubs.set_opening_hours(None, rinkeby, _weekdays(time(8), time(16, 30)))

    k_equipment = [
        [E.SCREEN, E.DOCKING_STATION],
        [E.SCREEN, E.DOCKING_STATION],
        [E.SCREEN, E.DOCKING_STATION, E.QUIET_ZONE],
        [E.SCREEN, E.DOCKING_STATION, E.HEIGHT_ADJUSTABLE],
        [E.HEIGHT_ADJUSTABLE, E.ACCESSIBLE],
    ]
    for number, equipment in enumerate(k_equipment, start=1):
        hubs.create_desk(None, kungsklippan, f"Plats {number}", "Plan 2", equipment)
    for number in range(1, 11):
        quiet = number > 6
        equipment = [E.SCREEN, E.DOCKING_STATION] + (
            [E.HEIGHT_ADJUSTABLE, E.QUIET_ZONE] if quiet else []
        )
        zone = "Tyst zon" if quiet else "Öppet landskap"
        hubs.create_desk(None, liljeholmen, f"L{number:02d}", zone, equipment)
    for number in range(1, 9):
        equipment = [E.SCREEN, E.DOCKING_STATION] + ([E.ACCESSIBLE] if number == 1 else [])
        hubs.create_desk(None, rinkeby, f"R{number}", "Plan 1", equipment)

    # Something to show on the manager pages: a desk out of service and a staff day closure.
    zone = ZoneInfo(liljeholmen.timezone)
    broken = next(d for d in liljeholmen.desks if d.label == "L07")
    hubs.add_out_of_service(
        None,
        broken,
        datetime.combine(today, time(0), tzinfo=zone),
        datetime.combine(today + timedelta(days=3), time(0), tzinfo=zone),
        "Trasig stol, ny är beställd",
    )
    staff_day = today + timedelta(days=(4 - today.weekday()) % 7 + 14)  # a Friday ahead
    hubs.add_closure(None, kungsklippan, staff_day, staff_day, "Personaldag, huset stängt")

    admin = _user("admin@hubbar.example.org", "Alex Admin", ssa)
    manager = _user("lokal@ssa.example.org", "Maria Holmberg", ssa)
    rinkeby_manager = _user("lokal@kuf.example.org", "Jonas Rask", kuf)
    evaluator = _user("utvardering@hubbar.example.org", "Eva Utvärderare", kuf)
    org_admin = _user("personal@kuf.example.org", "Karin Personal", kuf)
    participants = [_user("anna.berg@kuf.example.org", PARTICIPANT_NAMES[0], kuf)]
    for number, name in enumerate(PARTICIPANT_NAMES[1:], start=2):
        participants.append(_user(f"deltagare{number:02d}@kuf.example.org", name, kuf))
    for email, name in [
        ("erik.sund@ssa.example.org", "Erik Sund"),
        ("lina.ahl@ssa.example.org", "Lina Ahl"),
        ("omar.said@ssa.example.org", "Omar Said"),
    ]:
        _user(email, name, ssa)
    db.session.commit()

    # The pilot: two months ending on the last Friday before the demo is created.
    pilot_end = last_friday_before(today)
    pilot = create_pilot(
        None,
        "Touch down Kungsklippan",
        host_organisation=ssa,
        hubs=[kungsklippan],
        guest_organisations=[kuf],
        start_date=pilot_end - relativedelta(months=2) + timedelta(days=1),
        end_date=pilot_end,
        participants=participants,
    )

    accounts.assign_role(None, admin, Role.SYSTEM_ADMIN)
    accounts.assign_role(None, manager, Role.HUB_MANAGER, hub=kungsklippan)
    accounts.assign_role(None, manager, Role.HUB_MANAGER, hub=liljeholmen)
    accounts.assign_role(None, rinkeby_manager, Role.HUB_MANAGER, hub=rinkeby)
    accounts.assign_role(None, evaluator, Role.EVALUATOR, pilot=pilot)
    accounts.assign_role(None, org_admin, Role.ORG_ADMIN, organisation=kuf)
    db.session.commit()
