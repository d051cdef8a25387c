"""The demo: the real pilot of DESIGN.md ("Demo data"), deterministic for a given date."""

from __future__ import annotations

import math
import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from sqlalchemy import func, select

from hubbar.accounts import operations as accounts
from hubbar.accounts.models import Organisation, OrganisationKind, Role, User
from hubbar.bookings.models import (
    ACTIVE_STATUSES,
    Booking,
    BookingEvent,
    BookingSeries,
    BookingStatus,
    DemandMiss,
)
from hubbar.bookings.operations import DEMAND_MISS_DEDUPE
from hubbar.db import utcnow
from hubbar.extensions import db
from hubbar.hubs import operations as hubs
from hubbar.hubs.calendar import DaySchedule, hub_days
from hubbar.hubs.models import Desk, Hub
from hubbar.hubs.models import Equipment as E
from hubbar.pilots.models import Comparator, Criterion, Feedback, Otherwise, Pilot
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

# Staff who use the other hubs: SSA's at Liljeholmskajen, KuF's at Rinkeby.
SSA_STAFF_NAMES = [
    "Erik Sund",
    "Lina Ahl",
    "Omar Said",
    "Birgitta Lund",
    "Niklas Berglund",
    "Sofia Engström",
    "Patrik Nordin",
    "Amira Haddad",
    "Gustav Ek",
    "Therese Falk",
    "Viktor Strand",
    "Emma Lindberg",
]
KUF_STAFF_NAMES = [
    "Lars Persson",
    "Nadia Rahimi",
    "Stina Hedlund",
    "Tobias Ljung",
    "Rebecka Moberg",
    "Adam Nilsson",
    "Yasmin Ali",
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


def _user(email: str, name: str, org: Organisation, password_hash: str) -> User:
    user = accounts.create_user(None, email, name, org)
    user.password_hash = password_hash  # hashed once: every demo account has the same password
    return user


def _email(name: str, domain: str) -> str:
    plain = name.lower().translate(str.maketrans("åäöé", "aaoe")).replace(" ", ".")
    return f"{plain}@{domain}"


def _desk(hub: Hub, label: str) -> Desk:
    return next(d for d in hub.desks if d.label == label)


def _weekdays(opens: time, closes: time) -> dict[int, tuple[time, time] | None]:
    return {d: (opens, closes) if d < 5 else None for d in range(7)}


def load_demo(today: date | None = None, now: datetime | None = None) -> DemoSummary:
    """Create organisations, hubs, desks, users, roles, the pilot and its booking history.

    ``today`` (default: today in Stockholm) fixes everything: the same date gives the same
    data. ``now`` (default: the clock) only decides how far today's bookings have come; for a
    ``today`` other than the clock's, the history is as it stood at 07.00 that day.
    """
    now = now or utcnow()
    if today is None:
        today = now.astimezone(DEMO_ZONE).date()
    elif now.astimezone(DEMO_ZONE).date() != today:
        now = datetime.combine(today, time(7), tzinfo=DEMO_ZONE).astimezone(UTC)
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
    hubs.add_out_of_service(
        None,
        _desk(liljeholmen, "L07"),
        datetime.combine(today, time(0), tzinfo=zone),
        datetime.combine(today + timedelta(days=3), time(0), tzinfo=zone),
        "Trasig stol, ny är beställd",
    )
    staff_day = today + timedelta(days=(4 - today.weekday()) % 7 + 14)  # a Friday ahead
    hubs.add_closure(None, kungsklippan, staff_day, staff_day, "Personaldag, huset stängt")

    password = accounts.hash_password(DEMO_PASSWORD)
    admin = _user("admin@hubbar.example.org", "Alex Admin", ssa, password)
    manager = _user("lokal@ssa.example.org", "Maria Holmberg", ssa, password)
    rinkeby_manager = _user("lokal@kuf.example.org", "Jonas Rask", kuf, password)
    evaluator = _user("utvardering@hubbar.example.org", "Eva Utvärderare", kuf, password)
    org_admin = _user("personal@kuf.example.org", "Karin Personal", kuf, password)
    participants = [_user("anna.berg@kuf.example.org", PARTICIPANT_NAMES[0], kuf, password)]
    for number, name in enumerate(PARTICIPANT_NAMES[1:], start=2):
        participants.append(_user(f"deltagare{number:02d}@kuf.example.org", name, kuf, password))
    ssa_staff = [_user(_email(n, "ssa.example.org"), n, ssa, password) for n in SSA_STAFF_NAMES]
    kuf_staff = [_user(_email(n, "kuf.example.org"), n, kuf, password) for n in KUF_STAFF_NAMES]
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

    _criteria(pilot)

    accounts.assign_role(None, admin, Role.SYSTEM_ADMIN)
    accounts.assign_role(None, manager, Role.HUB_MANAGER, hub=kungsklippan)
    accounts.assign_role(None, manager, Role.HUB_MANAGER, hub=liljeholmen)
    accounts.assign_role(None, rinkeby_manager, Role.HUB_MANAGER, hub=rinkeby)
    accounts.assign_role(None, evaluator, Role.EVALUATOR, pilot=pilot)
    accounts.assign_role(None, org_admin, Role.ORG_ADMIN, organisation=kuf)
    db.session.commit()

    # A desk that broke during the pilot: Tuesday and Wednesday of its fourth week.
    fourth_week = pilot.start_date + timedelta(days=21 + (7 - pilot.start_date.weekday()) % 7)
    hubs.add_out_of_service(
        None,
        _desk(kungsklippan, "Plats 4"),
        datetime.combine(fourth_week + timedelta(days=1), time(0), tzinfo=zone),
        datetime.combine(fourth_week + timedelta(days=3), time(0), tzinfo=zone),
        "Höj- och sänkbara bordet går inte att sänka",
    )

    # Everything was set up three weeks before the pilot started, not at load time.
    set_up = datetime.combine(pilot.start_date - timedelta(days=21), time(10), tzinfo=zone)
    for model in (Organisation, User, Hub, Desk, Pilot):
        for row in db.session.scalars(select(model)):
            row.created_at = set_up
    db.session.commit()

    population = {
        kungsklippan: [(p, 1.0) for p in participants],
        liljeholmen: [(u, 1.0) for u in ssa_staff]
        + [(manager, 0.4)]
        + [(p, 0.12) for p in participants]
        + [(u, 0.1) for u in kuf_staff],
        rinkeby: [(u, 1.0) for u in kuf_staff]
        + [(rinkeby_manager, 0.4)]
        + [(p, 0.25) for p in participants]
        + [(u, 0.08) for u in ssa_staff],
    }
    history = _History(today, now, population, pilot.start_date)
    history.keep_free(participants[0], kungsklippan)

    # Some regulars book weekly: one participant from the pilot's second week, two others
    # from a fortnight ago, into the weeks ahead.
    second_week = pilot.start_date + timedelta(days=7 - pilot.start_date.weekday())
    fortnight_ago = today - timedelta(days=14)
    history.add_series(participants[6], _desk(kungsklippan, "Plats 3"), second_week, [2], 480, 720)
    history.add_series(ssa_staff[0], _desk(liljeholmen, "L08"), fortnight_ago, [1, 3], 480, 960)
    history.add_series(kuf_staff[1], _desk(rinkeby, "R3"), fortnight_ago, [0, 2], 780, 990)
    summary = history.load()
    _feedback(pilot, today, now)
    return summary


# --- the pilot's criteria and its visitors' feedback ----------------------------------------

# (metric, comparator, target, baseline, reason): fixed before the pilot started.
CRITERIA = [
    ("booking_rate", Comparator.AT_LEAST, 0.5, None, "Minst hälften av platstiden bokad"),
    ("no_show_rate", Comparator.AT_MOST, 0.15, None, "Få outnyttjade bokningar"),
    (
        "unique_users",
        Comparator.AT_LEAST,
        10,
        None,
        "Minst två tredjedelar av de 15 deltagarna använder hubben",
    ),
    ("mean_rating", Comparator.AT_LEAST, 4.0, None, "Nöjda besökare"),
    ("cross_org_share", Comparator.AT_LEAST, 0.5, 0.0, "Hubben används av gästorganisationen"),
]

FEEDBACK_SHARE = 0.40  # of the pilot's visits, answered
DECLINED_SHARE = 0.05  # and a few "no thanks"
RATING_WEIGHTS = {5: 40, 4: 42, 3: 15, 2: 3}
OTHERWISE_WEIGHTS = {Otherwise.REGULAR_WORKPLACE: 68, Otherwise.HOME: 24, Otherwise.OTHER: 8}
# Short comments as visitors write them, each with the rating that goes with it.
COMMENTS = [
    (5, "Lugnt och bra skärm, sparade en resa till Ringvägen."),
    (5, "Perfekt att kunna sitta här mellan två möten i stan."),
    (4, "Bra plats, men alla skåp var upptagna."),
    (4, "Trevligt bemötande i receptionen. Kaffet kunde vara bättre."),
    (3, "Lite kallt i rummet på förmiddagen."),
    (5, "Skönt att slippa pendla hela vägen, jag hann mer."),
    (4, "Dockan på plats 2 krånglade en stund, annars toppen."),
    (2, "Nätverket var segt hela eftermiddagen."),
    (5, "Fick prata med arkivets personal om ett gemensamt projekt."),
    (3, "Svårt att ta telefonmöten, det behövs ett litet rum."),
    (4, "Tyst och fokuserat, precis vad jag behövde."),
    (4, "Passerkortet tog tid att få ut första gången."),
]


def _criteria(pilot: Pilot) -> None:
    pilot.criteria = [
        Criterion(
            position=position,
            metric=metric,
            comparator=comparator,
            target=target,
            baseline=baseline,
            reason=reason,
        )
        for position, (metric, comparator, target, baseline, reason) in enumerate(CRITERIA)
    ]
    db.session.commit()


def _feedback(pilot: Pilot, today: date, now: datetime) -> None:
    """Feedback on about 40 % of the pilot's visits that are over, and a few "no thanks";
    the rest of the last fortnight's visits are left for their visitors to answer (the offer
    on My bookings). Seeded by the date on its own, so the booking history stays as it is."""
    rng = random.Random(f"hubbar-demo-feedback-{today.isoformat()}")
    hub_ids = [h.id for h in pilot.hubs]
    zone = DEMO_ZONE
    visits = [
        b
        for b in db.session.scalars(
            select(Booking).where(Booking.hub_id.in_(hub_ids), Booking.checked_in_at.is_not(None))
        )
        if pilot.start_date <= b.starts_at.astimezone(zone).date() <= pilot.end_date
        and (b.checked_out_at is not None or b.ends_at <= now)
    ]
    visits.sort(key=lambda b: (b.starts_at, b.desk.label))
    chosen = rng.sample(visits, round(len(visits) * (FEEDBACK_SHARE + DECLINED_SHARE)))
    declined = chosen[: round(len(visits) * DECLINED_SHARE)]
    answered = chosen[len(declined) :]
    commented = dict(zip(rng.sample(range(len(answered)), len(COMMENTS)), COMMENTS, strict=False))
    rows = []
    for booking in declined:
        rows.append(
            Feedback(booking_id=booking.id, declined=True, created_at=_answered(rng, booking, now))
        )
    for number, booking in enumerate(answered):
        comment_rating, comment = commented.get(number, (None, ""))
        rating = comment_rating or (
            rng.choices(list(RATING_WEIGHTS), list(RATING_WEIGHTS.values()))[0]
            if rng.random() < 0.95
            else None
        )
        otherwise = None
        if rng.random() < 0.85:
            otherwise = rng.choices(list(OTHERWISE_WEIGHTS), list(OTHERWISE_WEIGHTS.values()))[0]
        minutes = None
        if otherwise is Otherwise.REGULAR_WORKPLACE and rng.random() < 0.8:
            minutes = rng.randrange(20, 95, 5)
        rows.append(
            Feedback(
                booking_id=booking.id,
                rating=rating,
                comment=comment,
                otherwise=otherwise,
                minutes_saved=minutes,
                created_at=_answered(rng, booking, now),
            )
        )
    db.session.add_all(rows)
    db.session.commit()


def _answered(rng: random.Random, booking: Booking, now: datetime) -> datetime:
    """A while after the visit, when its visitor opened My bookings again."""
    over = booking.checked_out_at or booking.ends_at
    return min(over + timedelta(minutes=rng.randint(5, 26 * 60)), now)


# --- the booking history -------------------------------------------------------------------
#
# A deterministic story, seeded by the date: booking requests arrive (mostly 0–5 days ahead,
# a few on the spot), each gets a desk if one is free as things stood at that moment, or is
# recorded as unmet demand; then the booking goes as bookings go (attended, checked out early,
# cancelled in good time or late, or a no-show released after the grace period). The rows are
# written as the operations would have left them by ``now``, status history included; past
# bookings cannot go through bookings.operations.book, which refuses the past.

DEMO_ZONE = ZoneInfo("Europe/Stockholm")
UPCOMING_DAYS = 7
# Booking requests on an ordinary open day, and the weekday rhythm (Tuesday–Thursday busiest).
DAILY_REQUESTS = {
    "Kungsklippan 6": 8.5,
    "Stadsarkivet Liljeholmskajen": 8.0,
    "Kulturförvaltningen Rinkeby": 5.5,
}
WEEKDAY_RHYTHM = [0.7, 1.15, 1.25, 1.1, 0.5, 0.0, 0.0]
# (kind, weight, starts, ends) in minutes after midnight, on the half-hour grid; "short" ends
# are durations. Most people come for a morning, and most mornings start 08.00–09.30.
WINDOWS = [
    ("morning", 44, [480, 480, 510, 510, 540, 540, 570, 600], [690, 720, 720, 720, 750, 780]),
    ("day", 26, [480, 510, 510, 540, 540, 570], [900, 930, 960, 960, 990, 1020]),
    ("afternoon", 20, [720, 750, 780, 780, 810], [930, 960, 990, 1020]),
    ("short", 10, [600, 630, 660, 780, 840], [60, 90, 120, 150]),
]
# What becomes of a booking made in good time (weights, per cent); late means < 2 h before.
FATES = {
    "attended": 81,
    "no_show": 7,
    "cancelled_ahead": 8,
    "cancelled_late": 2.5,
    "cancelled_after_start": 1.5,
}
EARLY_CHECK_OUT = 0.2
MINUTE = timedelta(minutes=1)


@dataclass
class DemoSummary:
    """What the demo's history holds, for the one line `flask hubbar demo` prints."""

    bookings: int = 0
    upcoming: int = 0
    no_shows: int = 0
    cancellations: int = 0
    late_cancellations: int = 0
    early_check_outs: int = 0
    demand_misses: int = 0

    def __str__(self) -> str:
        return (
            f"Demo data loaded: {self.bookings} bookings ({self.upcoming} upcoming, "
            f"{self.no_shows} no-shows, {self.cancellations} cancellations of which "
            f"{self.late_cancellations} late, {self.early_check_outs} early check-outs), "
            f"{self.demand_misses} demand misses."
        )


@dataclass
class _Request:
    hub: Hub
    user: User
    starts: datetime
    ends: datetime
    created: datetime
    desk: Desk | None = None
    series: BookingSeries | None = None


@dataclass
class _Visit:
    """A booking as it goes: its times and the moments its status changes."""

    hub: Hub
    desk: Desk
    user: User
    starts: datetime
    ends: datetime
    created: datetime
    series: BookingSeries | None = None
    checked_in: datetime | None = None
    checked_out: datetime | None = None
    cancelled: datetime | None = None
    released: datetime | None = None

    @property
    def shrinks_at(self) -> datetime | None:
        """When the desk was given back before the end (cancel, release, check-out), if ever."""
        return self.cancelled or self.released or self.checked_out

    @property
    def occupied_until(self) -> datetime:
        if self.cancelled is not None:
            return max(self.starts, self.cancelled)
        return self.released or self.checked_out or self.ends

    def holds(self, moment: datetime) -> tuple[datetime, datetime]:
        """The stretch it holds as known at ``moment``."""
        shrinks = self.shrinks_at
        if shrinks is not None and shrinks <= moment:
            return self.starts, self.occupied_until
        return self.starts, self.ends

    def active_at(self, moment: datetime) -> bool:
        shrinks = self.shrinks_at
        return moment < self.ends and (shrinks is None or moment < shrinks)


def _overlaps(a: tuple[datetime, datetime], b: tuple[datetime, datetime]) -> bool:
    """Whether two half-open stretches share a moment (an empty one shares none)."""
    return a[0] < a[1] and b[0] < b[1] and a[0] < b[1] and b[0] < a[1]


class _History:
    """The demo's bookings from the pilot's first day to a week ahead, as they stand ``now``."""

    def __init__(
        self,
        today: date,
        now: datetime,
        population: dict[Hub, list[tuple[User, float]]],
        first_day: date,
    ):
        self.rng = random.Random(f"hubbar-demo-{today.isoformat()}")
        self.today, self.now, self.population = today, now, population
        self.first_day, self.last_day = first_day, today + timedelta(days=UPCOMING_DAYS)
        self.on_desk: dict[tuple[int, date], list[_Visit]] = defaultdict(list)
        self.of_user: dict[tuple[int, date], list[_Visit]] = defaultdict(list)
        self.at_hub: dict[tuple[int, int], list[_Visit]] = defaultdict(list)
        self.blocked: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
        self.kept_free: set[tuple[int, date]] = set()
        self.favourite: dict[tuple[int, int], Desk] = {}
        self.regulars: dict[int, tuple[list[User], list[float]]] = {}
        self.visits: list[_Visit] = []
        self.misses: list[DemandMiss] = []
        self.requests: list[_Request] = []
        for hub in population:
            for desk in hub.active_desks:
                self.blocked[desk.id] += [(p.starts_at, p.ends_at) for p in desk.out_of_service]

    # -- the special cases the demo journeys need ----------------------------------------

    def keep_free(self, user: User, hub: Hub) -> None:
        """The user books a desk at ``hub`` for the next open morning in the demo, so leave
        them free then and two desks free; and give them a booking later in the week that
        they can cancel."""
        ahead = hub_days(hub, self.today + timedelta(days=1), self.last_day)
        days = [d for d in ahead if d.is_open]
        if not days:
            return
        first = days[0]
        self.kept_free.add((user.id, first.day))
        opens, _closes = first.interval(hub.timezone)
        noon = datetime.combine(first.day, time(12), tzinfo=DEMO_ZONE)
        for desk in hub.active_desks[:2]:
            self.blocked[desk.id].append((opens.astimezone(UTC), noon.astimezone(UTC)))
        if len(days) < 2:
            return
        later = days[1].day
        yesterday = datetime.combine(self.today - timedelta(days=1), time(16, 12, 37), DEMO_ZONE)
        self._register(
            _Visit(
                hub,
                hub.active_desks[2],
                user,
                self._at(later, 13 * 60),
                self._at(later, 16 * 60),
                yesterday.astimezone(UTC),
            )
        )

    def add_series(
        self, user: User, desk: Desk, made: date, weekdays: list[int], start: int, end: int
    ) -> None:
        """A weekly booking made on ``made`` (09.14) for the next four weeks, as far ahead as
        the hub allows."""
        created = datetime.combine(made, time(9, 14, 5), DEMO_ZONE).astimezone(UTC)
        first = made + timedelta(days=1)
        until = made + timedelta(days=min(28, desk.hub.max_days_ahead))
        series = BookingSeries(
            user_id=user.id,
            weekdays=",".join(map(str, weekdays)),
            until=until,
            created_at=created,
        )
        for schedule in hub_days(desk.hub, first, until):
            if schedule.is_open and schedule.day.weekday() in weekdays:
                self.requests.append(
                    _Request(
                        desk.hub,
                        user,
                        self._at(schedule.day, start),
                        self._at(schedule.day, end),
                        created,
                        desk,
                        series,
                    )
                )

    # -- the story -----------------------------------------------------------------------

    def load(self) -> DemoSummary:
        for hub in self.population:
            self._ask(hub)
        self.requests.sort(key=lambda r: r.created)
        for request in self.requests:
            if request.created <= self.now:
                self._handle(request)
        bookings = [self._booking(v) for v in sorted(self.visits, key=_in_order)]
        summary = self._summary(bookings)
        db.session.add_all(bookings)
        db.session.add_all(self.misses)
        db.session.commit()
        return summary

    def _ask(self, hub: Hub) -> None:
        """The booking requests for every open day at the hub."""
        rng = self.rng
        schedules = hub_days(hub, self.first_day - timedelta(days=1), self.last_day + timedelta(1))
        users = [u for u, _w in self.population[hub]]
        weights = [w * rng.uniform(0.3, 1.7) for _u, w in self.population[hub]]
        self.regulars[hub.id] = (users, weights)
        for before, schedule, after in zip(schedules, schedules[1:], schedules[2:], strict=False):
            if not schedule.is_open:
                continue
            mean = DAILY_REQUESTS[hub.name] * WEEKDAY_RHYTHM[schedule.day.weekday()]
            if before.holiday or after.holiday:
                mean *= 0.6  # a bridge day: many take it off
            weeks_in = (schedule.day - self.first_day).days // 7
            if hub.name == "Kungsklippan 6" and weeks_in < 2:
                mean *= (0.55, 0.8)[weeks_in]  # the pilot takes a fortnight to catch on
            for _ in range(self._poisson(mean)):
                window = self._window(schedule)
                if window is None:
                    continue
                starts, ends = window
                user = rng.choices(users, weights)[0]
                self.requests.append(_Request(hub, user, starts, ends, self._created(starts)))

    def _handle(self, request: _Request) -> None:
        """Book a desk as the request would have found things, or record the unmet demand."""
        hub, moment = request.hub, request.created
        day = request.starts.astimezone(DEMO_ZONE).date()
        window = (request.starts, request.ends)
        candidates = [request.user]
        if request.series is None:  # someone else may want that time instead
            users, weights = self.regulars[hub.id]
            candidates += self.rng.choices(users, weights, k=2)
        user = next((u for u in candidates if self._may_ask(u, hub, day, window, moment)), None)
        if user is None:
            return
        request.user = user
        for desk in [request.desk] if request.desk else self._desks(hub, user):
            if self._free(desk, day, window, moment):
                self._register(self._go(request, desk))
                return
        if request.series is not None:
            self._miss(request, "booking")  # as book_weekly records a taken occurrence
        elif self.rng.random() < 0.8:  # the others searched first, or tried "any free desk"
            self._miss(request, self.rng.choice(["search", "search", "booking"]))

    def _may_ask(self, user: User, hub: Hub, day: date, window, moment: datetime) -> bool:
        """Not busy elsewhere then, not at the hub's limit of bookings, not kept free."""
        if (user.id, day) in self.kept_free:
            return False
        if any(_overlaps(window, v.holds(moment)) for v in self.of_user[(user.id, day)]):
            return False
        active = sum(v.active_at(moment) for v in self.at_hub[(user.id, hub.id)])
        return active < hub.max_active_bookings

    def _desks(self, hub: Hub, user: User) -> list[Desk]:
        """Their usual desk first, then as "any free desk" picks (fewest extras first)."""
        desks = sorted(hub.active_desks, key=lambda d: (len(d.equipment), d.label))
        usual = self.favourite.setdefault((hub.id, user.id), self.rng.choice(desks))
        return [usual] + [d for d in desks if d is not usual]

    def _free(self, desk: Desk, day: date, window, moment: datetime) -> bool:
        if any(_overlaps(window, block) for block in self.blocked[desk.id]):
            return False
        return not any(_overlaps(window, v.holds(moment)) for v in self.on_desk[(desk.id, day)])

    def _register(self, visit: _Visit) -> None:
        day = visit.starts.astimezone(DEMO_ZONE).date()
        self.visits.append(visit)
        self.on_desk[(visit.desk.id, day)].append(visit)
        self.of_user[(visit.user.id, day)].append(visit)
        self.at_hub[(visit.user.id, visit.hub.id)].append(visit)

    def _miss(self, request: _Request, source: str) -> None:
        organisation_id = request.user.organisation_id
        for miss in self.misses:  # the operations count a repeated miss within minutes once
            if (miss.hub_id, miss.organisation_id, miss.wanted_start, miss.wanted_end) == (
                request.hub.id,
                organisation_id,
                request.starts,
                request.ends,
            ) and request.created - miss.created_at < DEMAND_MISS_DEDUPE:
                return
        self.misses.append(
            DemandMiss(
                hub_id=request.hub.id,
                organisation_id=organisation_id,
                wanted_start=request.starts,
                wanted_end=request.ends,
                source=source,
                created_at=request.created,
            )
        )

    # -- how a booking goes --------------------------------------------------------------

    def _go(self, request: _Request, desk: Desk) -> _Visit:
        rng = self.rng
        visit = _Visit(
            request.hub,
            desk,
            request.user,
            request.starts,
            request.ends,
            request.created,
            request.series,
        )
        starts, ends, created = visit.starts, visit.ends, visit.created
        deadline = max(starts, created) + timedelta(minutes=request.hub.checkin_grace_minutes)
        if created > starts:  # booked on the spot, after the start
            fate = "no_show" if rng.random() < 0.03 else "attended"
        else:
            fate = rng.choices(list(FATES), list(FATES.values()))[0]
        two_hours = starts - timedelta(hours=2)
        if fate == "cancelled_ahead" and created + 10 * MINUTE < two_hours:
            visit.cancelled = self._between(created + 5 * MINUTE, two_hours)
        elif fate == "cancelled_late" and created < starts - 3 * MINUTE:
            visit.cancelled = self._between(max(created, two_hours) + MINUTE, starts - MINUTE)
        elif fate == "cancelled_after_start":
            visit.cancelled = self._between(starts + 2 * MINUTE, starts + 25 * MINUTE)
        elif fate == "no_show":
            visit.released = min(deadline, ends)
        else:
            visit.checked_in = self._check_in_time(starts, created, deadline)
            if rng.random() < EARLY_CHECK_OUT and ends - visit.checked_in >= timedelta(hours=2):
                visit.checked_out = self._between(
                    visit.checked_in + 60 * MINUTE, ends - 20 * MINUTE
                )
        return visit

    def _check_in_time(self, starts: datetime, created: datetime, deadline: datetime) -> datetime:
        """Most check in around the start; a few early, some a while after."""
        rng = self.rng
        r = rng.random()
        if r < 0.15:
            minutes = rng.randint(-15, -1)
        elif r < 0.75:
            minutes = rng.randint(0, 9)
        elif r < 0.95:
            minutes = rng.randint(10, 21)
        else:
            minutes = rng.randint(22, 28)
        moment = starts + timedelta(minutes=minutes, seconds=rng.randint(0, 59))
        if moment <= created:  # booked on the spot: checked in straight away
            moment = created + timedelta(seconds=rng.randint(20, 180))
        return min(moment, deadline - MINUTE)

    # -- rows ----------------------------------------------------------------------------

    def _booking(self, visit: _Visit) -> Booking:
        """The booking as the operations and the jobs would have left it by now."""
        now = self.now
        booking = Booking(
            desk_id=visit.desk.id,
            hub_id=visit.hub.id,
            user_id=visit.user.id,
            organisation_id=visit.user.organisation_id,
            series=visit.series,
            starts_at=visit.starts,
            ends_at=visit.ends,
            occupied_until=visit.ends,
            status=BookingStatus.CONFIRMED,
            checkin_required=visit.hub.checkin_required,
            created_at=visit.created,
        )
        events = [(BookingStatus.CONFIRMED, visit.created, visit.user.id, "")]
        if visit.cancelled is not None and visit.cancelled <= now:  # operations.cancel
            booking.status = BookingStatus.CANCELLED
            booking.cancelled_at = visit.cancelled
            booking.occupied_until = visit.occupied_until
            events.append((BookingStatus.CANCELLED, visit.cancelled, visit.user.id, ""))
        elif visit.released is not None and visit.released <= now:  # release_no_shows
            booking.status = BookingStatus.RELEASED
            booking.released_at = booking.occupied_until = visit.released
            events.append((BookingStatus.RELEASED, visit.released, None, ""))
        elif visit.checked_in is not None and visit.checked_in <= now:  # check_in
            booking.status = BookingStatus.CHECKED_IN
            booking.checked_in_at = visit.checked_in
            events.append((BookingStatus.CHECKED_IN, visit.checked_in, visit.user.id, ""))
            if visit.checked_out is not None and visit.checked_out <= now:  # check_out
                booking.status = BookingStatus.COMPLETED
                booking.checked_out_at = booking.occupied_until = visit.checked_out
                events.append(
                    (BookingStatus.COMPLETED, visit.checked_out, visit.user.id, "check_out")
                )
        if booking.status in ACTIVE_STATUSES and visit.ends <= now:  # complete_past
            booking.status = BookingStatus.COMPLETED
            events.append((BookingStatus.COMPLETED, visit.ends, None, ""))
        booking.events = [
            BookingEvent(status=status, occurred_at=at, actor_id=actor, note=note)
            for status, at, actor, note in events
        ]
        return booking

    def _summary(self, bookings: list[Booking]) -> DemoSummary:
        summary = DemoSummary(bookings=len(bookings), demand_misses=len(self.misses))
        for b in bookings:
            if b.status in ACTIVE_STATUSES and b.ends_at > self.now:
                summary.upcoming += 1
            elif b.status is BookingStatus.RELEASED:
                summary.no_shows += 1
            elif b.status is BookingStatus.CANCELLED:
                summary.cancellations += 1
                if b.cancelled_at > b.starts_at - timedelta(hours=2):
                    summary.late_cancellations += 1
            elif b.checked_out_at is not None and b.checked_out_at < b.ends_at:
                summary.early_check_outs += 1
        return summary

    # -- chance ---------------------------------------------------------------------------

    def _poisson(self, mean: float) -> int:
        """How many requests a day brings (Knuth's method; the means are small)."""
        limit, count, product = math.exp(-mean), 0, self.rng.random()
        while product > limit:
            count += 1
            product *= self.rng.random()
        return count

    def _window(self, schedule: DaySchedule) -> tuple[datetime, datetime] | None:
        rng = self.rng
        kind, _weight, starts, ends = rng.choices(WINDOWS, [w[1] for w in WINDOWS])[0]
        start, end = rng.choice(starts), rng.choice(ends)
        if kind == "short":
            end += start
        opens = schedule.opens.hour * 60 + schedule.opens.minute
        closes = schedule.closes.hour * 60 + schedule.closes.minute
        if kind in ("morning", "day") and opens < 480 and rng.random() < 0.12:
            start = opens  # the early birds at a hub that opens at 07.30
        start, end = max(start, opens), min(end, closes)
        if schedule.has_break:  # nobody arrives or leaves while the hub is closed for lunch
            lunch = schedule.break_starts.hour * 60 + schedule.break_starts.minute
            after_lunch = schedule.break_ends.hour * 60 + schedule.break_ends.minute
            if lunch <= start < after_lunch:
                start = after_lunch
            if lunch < end <= after_lunch:
                end = lunch
        if end - start < 60:
            return None  # e.g. an afternoon on a day that closes at 14.00: not worth it
        return self._at(schedule.day, start), self._at(schedule.day, end)

    def _created(self, starts: datetime) -> datetime:
        """When the booking was made: mostly 0–5 days ahead, a few on the spot."""
        rng = self.rng
        r = rng.random()
        if r < 0.04:  # walked in and booked on the spot, after the start
            return starts + timedelta(minutes=rng.randint(1, 25), seconds=rng.randint(0, 59))
        if r < 0.22:  # the same morning, or the evening before
            created = starts - timedelta(minutes=rng.randint(10, 150), seconds=rng.randint(0, 59))
            if created.astimezone(DEMO_ZONE).time() >= time(6, 45):
                return created
            days = 1
        elif r < 0.52:
            days = 1
        elif r < 0.70:
            days = 2
        elif r < 0.90:
            days = rng.randint(3, 5)
        else:
            days = rng.randint(6, 13)
        day = starts.astimezone(DEMO_ZONE).date() - timedelta(days=days)
        minute = rng.randint(7 * 60 + 30, 22 * 60)
        moment = time(minute // 60, minute % 60, rng.randint(0, 59))
        return datetime.combine(day, moment, DEMO_ZONE).astimezone(UTC)

    def _between(self, earliest: datetime, latest: datetime) -> datetime:
        seconds = max(0, int((latest - earliest).total_seconds()))
        return earliest + timedelta(seconds=self.rng.randint(0, seconds))

    @staticmethod
    def _at(day: date, minutes: int) -> datetime:
        """A wall-clock time in Stockholm on ``day``, in UTC (DST-safe)."""
        local = datetime.combine(day, time(minutes // 60, minutes % 60), DEMO_ZONE)
        return local.astimezone(UTC)


def _in_order(visit: _Visit) -> tuple:
    return visit.starts, visit.hub.id, visit.desk.label
