"""Who may use which address: every route and API endpoint, requested as each of seven roles.

``TABLE`` has one row per rule of ``app.url_map``, saying for each method what each role gets.
A rule without a row fails ``test_every_route_has_a_row``, so no page ships before someone
decides who may use it. ``test_route_matrix`` builds one world per role and makes every request:

- allowed: a GET answers 200; a change answers 2xx or 3xx, or 4xx for its (here often
  incomplete) input;
- refused: 403, or 404 where the code hides that the object exists (someone else's booking),
  or for anonymous visitors a redirect to the login page (401 from the API); and the database
  is exactly as before.

The objects in the addresses belong to organisation A, its hub H1 and an employee of A
(``Employee Ägare``). Requests run refusals first (on the untouched world), then allowed reads,
then allowed changes, then what ends the session or an account (``row(last=…)``).

To add a route: one line in ``TABLE``, e.g. ``"/x/<int:hub_id>": row(GET=MANAGER_OF_HUB),``.
Address arguments are filled from ``World.ids`` by name; ``row(booking_id="visit")`` picks
another object, a tuple (``fmt=("csv", "xlsx")``) requests each value.
"""

from __future__ import annotations

import enum
import itertools
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from urllib.parse import urlencode

import pytest
import time_machine
from sqlalchemy import select

from hubbar.accounts.models import Notification, Role
from hubbar.bookings import feeds
from hubbar.extensions import db
from hubbar.mail.models import OutboxMessage
from hubbar.pilots import report as reports
from hubbar.pilots.models import PilotStatus
from tests.api.helpers import token_for
from tests.factories import (
    PASSWORD,
    login,
    make_admin,
    make_agreement,
    make_booking,
    make_closure,
    make_criterion,
    make_hub,
    make_hub_manager,
    make_org_admin,
    make_organisation,
    make_out_of_service,
    make_pilot,
    make_user,
    make_visit,
)
from tests.helpers import STOCKHOLM, location, snapshot

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=STOCKHOLM)  # a Monday, before opening

# --- roles and what they get ---------------------------------------------------------------

ANONYMOUS = "anonymous"
EMPLOYEE = "employee"  # of A; the owner of the bookings, token and notification in the URLs
OTHER_ORG = "other_org_employee"  # of B, which H1 does not admit
OTHER_MANAGER = "other_hub_manager"  # manages H2 (also A's); works at A, so may book at H1
EVALUATOR = "evaluator"  # of the pilot at H1; works at a third organisation
ORG_ADMIN = "org_admin"  # of A
ADMIN = "system_admin"
ROLES = (ANONYMOUS, EMPLOYEE, OTHER_ORG, OTHER_MANAGER, EVALUATOR, ORG_ADMIN, ADMIN)


class Expect(enum.Enum):
    OK = "allowed"
    AWAY = "allowed, redirected elsewhere"  # e.g. the login page for someone logged in
    OUT = "logged out"  # 302 to the login page itself
    SIGN_IN = "asked to log in"  # web: 302 to /login; API: 401
    DENIED = "403"
    HIDDEN = "404"


OK, AWAY, OUT, SIGN_IN, DENIED, HIDDEN = Expect
REFUSALS = (SIGN_IN, DENIED, HIDDEN)


def allow(*roles: str, others: Expect = DENIED) -> dict[str, Expect]:
    """``roles`` may; everyone else gets ``others`` (anonymous visitors: log in first)."""
    return {r: OK if r in roles else SIGN_IN if r == ANONYMOUS else others for r in ROLES}


LOGGED_IN = ROLES[1:]
PUBLIC = allow(*ROLES)
EVERYONE_LOGGED_IN = allow(*LOGGED_IN)
ADMIN_ONLY = allow(ADMIN)
# H1's own manager is not one of the seven: of them only the system admin manages H1; the
# manager of another hub is refused.
MANAGER_OF_HUB = allow(ADMIN)
ANY_HUB_MANAGER = allow(OTHER_MANAGER, ADMIN)
USER_ADMIN = allow(ORG_ADMIN, ADMIN)
# Hub.can_view: A's staff (H1's host) and those who manage it. The API says "no such hub"
# (404) to the others.
STAFF = (EMPLOYEE, OTHER_MANAGER, ORG_ADMIN, ADMIN)
STAFF_OF_HUB = allow(*STAFF)
API_STAFF_OF_HUB = allow(*STAFF, others=HIDDEN)
# A hub's bookings with names: its managers; the other staff 403, those who cannot see it 404.
API_MANAGER_OF_HUB = allow(ADMIN, others=DENIED) | {r: HIDDEN for r in LOGGED_IN if r not in STAFF}
# Booking.can_act_on: the booker and the hub's managers; to anyone else the id does not exist.
OWNER = allow(EMPLOYEE, ADMIN, others=HIDDEN)
# Only the person themselves (feedback on their visit, their notification, their token).
SELF = allow(EMPLOYEE, others=HIDDEN)
OCCUPANCY_OF_HUB = allow(EVALUATOR, ORG_ADMIN, ADMIN)
PILOT_READERS = allow(EVALUATOR, ADMIN)
# The summary of a reported pilot: its participants and readers; to others it does not exist.
PARTICIPANTS = allow(EMPLOYEE, EVALUATOR, ADMIN, others=HIDDEN)
LOGOUT = {r: OUT for r in LOGGED_IN} | {ANONYMOUS: SIGN_IN}
# Logged in: redirected home; anonymous: the page.
LOGIN_PAGE = {r: OK if r == ANONYMOUS else AWAY for r in ROLES}


@dataclass(frozen=True)
class ref:  # noqa: N801  (reads as a word in the table: ref("org_id"))
    """A value taken from ``World.ids`` when the request is made."""

    name: str


@dataclass
class Check:
    access: dict[str, Expect]
    data: dict | None = None


def send(access: dict[str, Expect], **data) -> Check:
    """A change with this form (or, for the API, JSON) data."""
    return Check(access, data)


@dataclass
class Row:
    methods: dict[str, Check]
    args: dict = field(default_factory=dict)
    query: dict = field(default_factory=dict)
    # Ends the session (1), or the account (2): made after everything else, in that order.
    last: int = 0


def row(*, GET=None, POST=None, PATCH=None, DELETE=None, query=None, last=0, **args) -> Row:  # noqa: N803
    methods = {
        method: check if isinstance(check, Check) else Check(check)
        for method, check in (("GET", GET), ("POST", POST), ("PATCH", PATCH), ("DELETE", DELETE))
        if check is not None
    }
    """A row: what each role gets per method (an access map, or ``send(access, **data)`` for a
    change with data); ``query`` for the query string; other keywords name the World.ids
    value (or give the literal values) of the address's arguments."""
    return Row(methods, args, query or {}, last)


# --- the table -----------------------------------------------------------------------------

CLOSURE = {
    "closure-start_date": "2026-12-10",
    "closure-end_date": "2026-12-10",
    "closure-reason": "Städning",
}
OUT_OF_SERVICE = {
    "oos-start_date": "2026-12-08",
    "oos-start_time": "08:00",
    "oos-end_date": "2026-12-08",
    "oos-end_time": "12:00",
    "oos-reason": "Ny skärm",
}
NEW_USER = {
    "email": "ny.person@example.org",
    "display_name": "Ny Person",
    "organisation_id": ref("org_id"),
    "locale": "sv",
}
BOOK = {
    "hub": ref("hub_id"),
    "date": "2026-12-02",
    "choice": "morning",
    "desk": ref("free_desk_id"),
}
WEEKLY = {
    "desk": ref("free_desk_id"),
    "date": "2026-12-07",
    "weekdays": "0",
    "until": "2026-12-21",
    "start": "13:00",
    "end": "15:00",
}
NEW_HUB = {
    "name": "Ny hubb",
    "host_organisation_id": ref("org_id"),
    "address": "Nygatan 1",
    "timezone": "Europe/Stockholm",
    "slot_minutes": "30",
    "min_duration_minutes": "30",
    "max_duration_minutes": "600",
    "max_days_ahead": "30",
    "max_active_bookings": "10",
    "checkin_grace_minutes": "30",
    # Without the amounts the page fails (500): AmountField's default is the int 0.
    "cost_per_desk_month": "0",
    "fixed_cost_per_month": "0",
}
PERIOD = {"from": "2026-11-02", "to": "2026-11-27"}
DASHBOARD = {"hub": ref("hub_id"), "period": "custom", **PERIOD}
WINDOW = {"date": "2026-12-02", "start": "09:00", "end": "12:00"}
API_BOOKING = {
    "desk_id": ref("free_desk_id"),
    "start": "2026-12-03T09:00",
    "end": "2026-12-03T12:00",
}

TABLE: dict[str, Row] = {
    # Pages for everyone
    "/": row(GET=EVERYONE_LOGGED_IN),
    "/login": row(GET=LOGIN_PAGE, POST=LOGIN_PAGE),  # empty form: no one logs in
    "/logout": row(POST=LOGOUT, last=1),
    "/language": row(POST=send(PUBLIC, locale="sv")),
    "/password/forgot": row(GET=PUBLIC, POST=PUBLIC),
    "/password/reset/<token>": row(GET=PUBLIC, POST=PUBLIC, token="reset_token"),
    "/invitation/<token>": row(GET=PUBLIC, POST=PUBLIC, token="invitation_token"),
    "/calendar/<token>.ics": row(GET=PUBLIC, token="calendar_token"),
    "/calendar/hub/<token>.ics": row(GET=PUBLIC, token="hub_calendar_token"),
    # Health checks for load balancers (issue 10): no login, nothing written
    "/healthz": row(GET=PUBLIC),
    "/readyz": row(GET=PUBLIC),
    # Profile: each user's own
    "/profile": row(
        GET=EVERYONE_LOGGED_IN,
        POST=send(EVERYONE_LOGGED_IN, **{"profile-display_name": "Nytt Namn"}),
    ),
    "/profile/calendar": row(POST=EVERYONE_LOGGED_IN),
    "/profile/calendar/off": row(POST=EVERYONE_LOGGED_IN),
    "/profile/mail": row(GET=EVERYONE_LOGGED_IN, POST=EVERYONE_LOGGED_IN),
    "/profile/tokens": row(POST=send(EVERYONE_LOGGED_IN, **{"token-name": "Ny"})),
    "/profile/tokens/<int:token_id>/revoke": row(POST=SELF),
    "/notifications": row(GET=EVERYONE_LOGGED_IN),
    "/notifications/<int:notification_id>/read": row(POST=SELF),
    # Hubs and booking
    "/hubs": row(GET=EVERYONE_LOGGED_IN),
    "/hubs/<int:hub_id>": row(GET=STAFF_OF_HUB),
    "/hubs/<int:hub_id>/day": row(GET=STAFF_OF_HUB),
    "/hubs/<int:hub_id>/today": row(GET=MANAGER_OF_HUB),
    "/checkin/desk/<int:desk_id>": row(GET=STAFF_OF_HUB),
    "/book": row(GET=EVERYONE_LOGGED_IN, POST=send(STAFF_OF_HUB, **BOOK)),
    "/book/weekly": row(
        GET=STAFF_OF_HUB, POST=send(STAFF_OF_HUB, **WEEKLY), query={"desk": ref("free_desk_id")}
    ),
    "/bookings": row(GET=EVERYONE_LOGGED_IN),
    "/bookings/<int:booking_id>": row(GET=OWNER),
    "/bookings/<int:booking_id>.ics": row(GET=OWNER),
    # Changes are made in this order: change, check in (too early: refused with a message),
    # check out, cancel.
    "/bookings/<int:booking_id>/change": row(
        POST=send(OWNER, date="2026-12-01", start="13:00", end="15:00")
    ),
    "/bookings/<int:booking_id>/check-in": row(POST=OWNER),
    "/bookings/<int:booking_id>/check-out": row(POST=OWNER),
    "/bookings/<int:booking_id>/cancel": row(POST=OWNER),
    "/bookings/<int:booking_id>/feedback": row(
        GET=SELF, POST=send(SELF, rating="4", comment="Lugnt"), booking_id="visit"
    ),
    "/bookings/<int:booking_id>/feedback/decline": row(POST=SELF, booking_id="visit"),
    # Running a hub
    "/manage/hubs": row(GET=ANY_HUB_MANAGER),
    "/manage/hubs/<int:hub_id>": row(GET=MANAGER_OF_HUB),
    "/manage/hubs/<int:hub_id>/information": row(
        GET=MANAGER_OF_HUB, POST=send(MANAGER_OF_HUB, description="Övertagen")
    ),
    "/manage/hubs/<int:hub_id>/opening-hours": row(
        GET=MANAGER_OF_HUB,
        POST=send(MANAGER_OF_HUB, **{"day_5-opens": "10:00", "day_5-closes": "12:00"}),
    ),
    "/manage/hubs/<int:hub_id>/closures": row(POST=send(MANAGER_OF_HUB, **CLOSURE)),
    "/manage/hubs/<int:hub_id>/closures/<int:closure_id>/delete": row(POST=MANAGER_OF_HUB),
    "/manage/hubs/<int:hub_id>/desks/new": row(
        GET=MANAGER_OF_HUB, POST=send(MANAGER_OF_HUB, label="Ny", active="y")
    ),
    "/manage/hubs/<int:hub_id>/desks/<int:desk_id>": row(
        GET=MANAGER_OF_HUB, POST=send(MANAGER_OF_HUB, label="Omdöpt", active="y")
    ),
    "/manage/hubs/<int:hub_id>/desks/<int:desk_id>/out-of-service": row(
        POST=send(MANAGER_OF_HUB, **OUT_OF_SERVICE)
    ),
    "/manage/hubs/<int:hub_id>/desks/<int:desk_id>/out-of-service/<int:period_id>/delete": row(
        POST=MANAGER_OF_HUB
    ),
    "/manage/hubs/<int:hub_id>/qr": row(GET=MANAGER_OF_HUB),
    "/manage/hubs/<int:hub_id>/calendar": row(POST=MANAGER_OF_HUB),
    "/manage/hubs/<int:hub_id>/calendar/off": row(POST=MANAGER_OF_HUB),
    # Occupancy
    "/dashboard": row(GET=OCCUPANCY_OF_HUB, query=DASHBOARD),
    # Someone who may see no hub's occupancy gets "no hub you can see" (404) from the
    # downloads, where the page itself says 403.
    "/dashboard/export.<fmt>": row(
        GET=OCCUPANCY_OF_HUB | {EMPLOYEE: HIDDEN, OTHER_ORG: HIDDEN},
        query=DASHBOARD,
        fmt=("csv", "xlsx"),
    ),
    # Pilots
    "/pilots": row(GET=EVERYONE_LOGGED_IN),
    "/pilots/new": row(GET=ADMIN_ONLY, POST=send(ADMIN_ONLY, name="Ny pilot")),
    "/pilots/<int:pilot_id>": row(GET=PILOT_READERS),
    "/pilots/<int:pilot_id>/edit": row(GET=ADMIN_ONLY, POST=send(ADMIN_ONLY, name="Omdöpt")),
    "/pilots/<int:pilot_id>/criteria": row(
        GET=ADMIN_ONLY,
        POST=send(
            ADMIN_ONLY,
            **{"new-metric": "utilisation", "new-comparator": "at_least", "new-target": "40"},
        ),
    ),
    "/pilots/<int:pilot_id>/criteria/<int:criterion_id>": row(
        GET=ADMIN_ONLY,
        POST=send(ADMIN_ONLY, metric="booking_rate", comparator="at_least", target="60"),
    ),
    "/pilots/<int:pilot_id>/criteria/<int:criterion_id>/remove": row(
        POST=send(ADMIN_ONLY, **{"remove-change_reason": "Fel mått"})
    ),
    "/pilots/<int:pilot_id>/report": row(GET=PILOT_READERS),
    "/pilots/<int:pilot_id>/report.<fmt>": row(
        GET=PILOT_READERS, fmt=("pdf", "xlsx", "csv", "json")
    ),
    "/pilots/<int:pilot_id>/report/generate": row(POST=PILOT_READERS),
    "/pilots/<int:pilot_id>/summary": row(GET=PARTICIPANTS),
    # Agreements: system admins edit; managers of the hub read
    "/agreements": row(GET=ANY_HUB_MANAGER),
    "/agreements/new": row(
        GET=ADMIN_ONLY,
        POST=send(ADMIN_ONLY, hub_id=ref("hub_id"), model="none", start_date="2027-01-01"),
    ),
    "/agreements/<int:agreement_id>": row(GET=MANAGER_OF_HUB),
    "/agreements/<int:agreement_id>/edit": row(
        GET=ADMIN_ONLY, POST=send(ADMIN_ONLY, notes="Ändrad")
    ),
    "/agreements/<int:agreement_id>/end": row(POST=send(ADMIN_ONLY, end_date="2027-06-30")),
    "/agreements/<int:agreement_id>/basis.csv": row(GET=MANAGER_OF_HUB),
    "/agreements/<int:agreement_id>/basis.xlsx": row(GET=MANAGER_OF_HUB),
    # Administration
    "/admin/organisations": row(GET=ADMIN_ONLY),
    "/admin/organisations/new": row(
        GET=ADMIN_ONLY, POST=send(ADMIN_ONLY, name="Ny", code="NY", kind="administration")
    ),
    "/admin/organisations/<int:org_id>": row(
        GET=ADMIN_ONLY, POST=send(ADMIN_ONLY, name="Omdöpt", code="OM", kind="company")
    ),
    "/admin/hubs": row(GET=ADMIN_ONLY),
    "/admin/hubs/new": row(GET=ADMIN_ONLY, POST=send(ADMIN_ONLY, **NEW_HUB)),
    "/admin/hubs/<int:hub_id>/settings": row(
        GET=ADMIN_ONLY, POST=send(ADMIN_ONLY, name="Omdöpt hubb")
    ),
    "/admin/audit": row(GET=ADMIN_ONLY),
    "/admin/users": row(GET=USER_ADMIN),
    "/admin/users/new": row(GET=USER_ADMIN, POST=send(USER_ADMIN, **NEW_USER)),
    "/admin/users/import": row(GET=USER_ADMIN, POST=USER_ADMIN),
    "/admin/users/<int:user_id>": row(
        GET=USER_ADMIN,
        POST=send(USER_ADMIN, display_name="Omdöpt", organisation_id=ref("org_id"), locale="sv"),
    ),
    "/admin/users/<int:user_id>/invitation": row(POST=USER_ADMIN),
    "/admin/users/<int:user_id>/roles": row(POST=send(ADMIN_ONLY, **{"role-role": "system_admin"})),
    # Roles are removed from someone who has one: H1's manager.
    "/admin/users/<int:user_id>/roles/<int:assignment_id>/delete": row(
        POST=ADMIN_ONLY, user_id="h1_manager_id"
    ),
    # Privacy (issue 7)
    "/privacy": row(GET=PUBLIC),
    "/privacy/record": row(GET=PUBLIC),
    "/accessibility": row(GET=PUBLIC, POST=send(PUBLIC, description="Knappen syns inte")),
    "/profile/privacy": row(GET=EVERYONE_LOGGED_IN, POST=send(EVERYONE_LOGGED_IN, show_name="y")),
    "/profile/export.json": row(GET=EVERYONE_LOGGED_IN),
    "/profile/export.zip": row(GET=EVERYONE_LOGGED_IN),
    # Closing one's own account logs one out; the last system admin may not close theirs.
    "/profile/close": row(
        GET=EVERYONE_LOGGED_IN,
        POST=send(LOGOUT | {ADMIN: OK}, password=PASSWORD, understood="y"),
        last=2,
    ),
    "/admin/privacy": row(GET=ADMIN_ONLY),
    "/admin/privacy/<page>/<locale>": row(
        GET=ADMIN_ONLY, POST=ADMIN_ONLY, page="notice", locale="sv"
    ),
    "/admin/users/<int:user_id>/delete": row(
        GET=USER_ADMIN, POST=send(USER_ADMIN, understood="y"), last=1
    ),
    "/admin/audit/export.<fmt>": row(GET=ADMIN_ONLY, fmt=("csv", "xlsx")),
    "/api/v1/me/export": row(GET=EVERYONE_LOGGED_IN),
    # The API: a bearer token per role; without one, 401
    "/api/v1/openapi.json": row(GET=PUBLIC),
    "/api/v1/auth/token": row(POST=send(PUBLIC)),  # no password: 422, for everyone
    "/api/v1/me": row(GET=EVERYONE_LOGGED_IN),
    "/api/v1/me/bookings": row(GET=EVERYONE_LOGGED_IN),
    "/api/v1/hubs": row(GET=EVERYONE_LOGGED_IN),
    "/api/v1/hubs/<int:hub_id>/availability": row(GET=API_STAFF_OF_HUB, query=WINDOW),
    "/api/v1/hubs/<int:hub_id>/occupancy": row(GET=OCCUPANCY_OF_HUB, query=PERIOD),
    "/api/v1/hubs/<int:hub_id>/bookings.csv": row(GET=OCCUPANCY_OF_HUB, query=PERIOD),
    "/api/v1/hubs/<int:hub_id>/desks": row(GET=API_STAFF_OF_HUB),
    "/api/v1/hubs/<int:hub_id>/bookings": row(GET=API_MANAGER_OF_HUB, query=PERIOD),
    "/api/v1/hubs/<int:hub_id>/occupancy/heatmap": row(GET=OCCUPANCY_OF_HUB, query=PERIOD),
    "/api/v1/organisations/<int:org_id>/occupancy": row(GET=USER_ADMIN, query=PERIOD),
    "/api/v1/bookings": row(POST=send(API_STAFF_OF_HUB, **API_BOOKING)),
    # The employee's other booking (the web pages cancel the first one).
    "/api/v1/bookings/<int:booking_id>/check-in": row(POST=OWNER, booking_id="api_booking"),
    "/api/v1/bookings/<int:booking_id>/check-out": row(POST=OWNER, booking_id="api_booking"),
    "/api/v1/bookings/<int:booking_id>": row(
        GET=OWNER,
        PATCH=send(OWNER, start="2026-12-03T14:00", end="2026-12-03T16:00"),
        DELETE=OWNER,
        booking_id="api_booking",
    ),
    "/api/v1/pilots": row(GET=EVERYONE_LOGGED_IN),
    "/api/v1/pilots/<int:pilot_id>/report": row(GET=PILOT_READERS),
}

SKIPPED_METHODS = {"HEAD", "OPTIONS"}
SKIPPED_ENDPOINTS = {"static"}


def routes(app) -> set[tuple[str, str]]:
    """Every (rule, method) the app answers, but static files, HEAD and OPTIONS."""
    return {
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in SKIPPED_ENDPOINTS
        for method in rule.methods - SKIPPED_METHODS
    }


def test_every_route_has_a_row(app):
    missing = sorted(
        f"{method} {rule}"
        for rule, method in routes(app)
        if method not in TABLE.get(rule, Row({})).methods
    )
    assert not missing, "No row in TABLE for: " + ", ".join(missing)
    stale = sorted(
        f"{method} {rule}"
        for rule, r in TABLE.items()
        for method in r.methods
        if (rule, method) not in routes(app)
    )
    assert not stale, "TABLE has rows for routes the app does not have: " + ", ".join(stale)


# --- the world -----------------------------------------------------------------------------


@dataclass
class World:
    ids: dict[str, object]
    users: dict[str, object]  # role -> User
    tokens: dict[str, str]  # role -> API token


def _link(kind_path: str) -> str:
    """The token of the last link to ``kind_path`` put in the outbox (as the user gets it)."""
    db.session.rollback()
    body = db.session.scalars(select(OutboxMessage.text_body).order_by(OutboxMessage.id.desc()))
    for text in body:
        found = re.search(rf"{kind_path}/(\S+)", text)
        if found:
            return found.group(1)
    raise AssertionError(f"no {kind_path} link in the outbox")


def at(day: str, hhmm: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), time.fromisoformat(hhmm), tzinfo=STOCKHOLM)


def build_world() -> World:
    """Organisations A and B; A hosts H1 (three desks) and H2; a pilot at H1 that has ended and
    been reported; the employee's booking tomorrow and visit last week at H1; an agreement, a
    closure and an out-of-service period at H1; a user per role, with an API token each."""
    from hubbar.accounts import operations as accounts_ops

    org_a = make_organisation(name="Förvaltning A", code="FA")
    org_b = make_organisation(name="Förvaltning B", code="FB")
    h1 = make_hub(host=org_a, desks=3, name="Hubb H1")
    h2 = make_hub(host=org_a, desks=1, name="Hubb H2")
    desk, _other, free_desk = h1.desks
    closure = make_closure(h1, date(2026, 12, 11))
    period = make_out_of_service(desk, at("2026-12-04", "08:00"), at("2026-12-04", "12:00"))

    users = {
        EMPLOYEE: make_user(org_a, display_name="Employee Ägare", email="agare@a.example.org"),
        OTHER_ORG: make_user(org_b, display_name="Other Org", email="other@b.example.org"),
        OTHER_MANAGER: make_hub_manager(h2, display_name="Manager H2", email="m2@a.example.org"),
        ORG_ADMIN: make_org_admin(org_a, display_name="Org Admin", email="oa@a.example.org"),
        ADMIN: make_admin(display_name="System Admin", email="sysadmin@example.org"),
    }
    employee = users[EMPLOYEE]
    h1_manager = make_hub_manager(h1, display_name="Manager H1", email="m1@a.example.org")

    pilot = make_pilot(
        [h1], start_date=date(2026, 9, 1), end_date=date(2026, 11, 27), status=PilotStatus.ENDED
    )
    pilot.participants.append(employee)
    db.session.commit()
    criterion = make_criterion(pilot)
    users[EVALUATOR] = make_user(
        roles=[(Role.EVALUATOR, {"pilot": pilot})], display_name="Eva Evaluator"
    )

    visit = make_visit(desk, employee, at("2026-11-26", "09:00"), at("2026-11-26", "11:00"))
    booking = make_booking(desk, employee, at("2026-12-01", "09:00"), at("2026-12-01", "12:00"))
    api_booking = make_booking(desk, employee, at("2026-12-03", "13:00"), at("2026-12-03", "15:00"))
    reports.generate(None, pilot)  # reported: the evaluator and the participant are told
    agreement = make_agreement(h1)

    notification = db.session.scalar(
        select(Notification.id).where(Notification.user_id == employee.id)
    )
    spare_token_id = _spare_token(employee)
    calendar_token = feeds.create_or_regenerate_feed(employee)
    hub_calendar_token = feeds.create_or_regenerate_hub_feed(users[ADMIN], h1)
    invited = make_user(org_a, password_hash=None, display_name="Inbjuden Person")
    invitation_token = accounts_ops.invite_token(None, invited)
    accounts_ops.request_password_reset(employee.email)
    reset_token = _link("/password/reset")

    tokens = {role: token_for(user) for role, user in users.items()}
    ids = {
        "org_id": org_a.id,
        "hub_id": h1.id,
        "desk_id": desk.id,
        "free_desk_id": free_desk.id,
        "closure_id": closure.id,
        "period_id": period.id,
        "booking_id": booking.id,
        "api_booking": api_booking.id,
        "visit": visit.id,
        "user_id": employee.id,
        "h1_manager_id": h1_manager.id,
        "assignment_id": h1_manager.roles[0].id,
        "pilot_id": pilot.id,
        "criterion_id": criterion.id,
        "agreement_id": agreement.id,
        "notification_id": notification,
        "token_id": spare_token_id,
        "calendar_token": calendar_token,
        "hub_calendar_token": hub_calendar_token,
        "invitation_token": invitation_token,
        "reset_token": reset_token,
    }
    return World(ids, users, tokens)


def _spare_token(user) -> int:
    from hubbar.api import operations as api_ops

    row, _token = api_ops.create_token(user, "spare")
    return row.id


# --- making the requests -------------------------------------------------------------------


@dataclass
class Request:
    rule: str
    method: str
    url: str
    expect: Expect
    data: dict | None
    last: int

    @property
    def api(self) -> bool:
        return self.rule.startswith("/api/")

    def __str__(self) -> str:
        return f"{self.method} {self.url}"


def _resolve(value, ids: dict):
    if isinstance(value, ref):
        return ids[value.name]
    if isinstance(value, dict):
        return {k: _resolve(v, ids) for k, v in value.items()}
    return value


def requests_for(role: str, ids: dict) -> list[Request]:
    made = []
    for rule, r in TABLE.items():
        names = re.findall(r"<(?:[^:>]+:)?([^>]+)>", rule)
        choices = []
        for name in names:
            value = r.args.get(name, name)
            value = ids.get(value, value) if isinstance(value, str) else value
            choices.append(value if isinstance(value, tuple) else (value,))
        for values in itertools.product(*choices):
            url = rule
            for name, value in zip(names, values, strict=True):
                url = re.sub(rf"<(?:[^:>]+:)?{name}>", str(value), url)
            query = _resolve(r.query, ids)
            if query:
                url += "?" + urlencode(query)
            for method, check in r.methods.items():
                data = _resolve(check.data, ids) if check.data is not None else None
                made.append(Request(rule, method, url, check.access[role], data, r.last))
    return made


def send_request(client, request: Request, token: str | None):
    headers = {"Authorization": f"Bearer {token}"} if request.api and token else {}
    if request.api and request.method != "GET":
        return client.open(
            request.url, method=request.method, headers=headers, json=request.data or {}
        )
    return client.open(request.url, method=request.method, headers=headers, data=request.data)


ALLOWED_CHANGE = {200, 201, 204, 302, 303, 400, 409, 422}


def problem(request: Request, response) -> str | None:
    """What is wrong with the answer, or None."""
    status = response.status_code
    to_login = status == 302 and location(response).startswith("/login")
    expect = request.expect
    if expect is OK:
        if request.method == "GET":
            good = status == 200
        else:
            good = status in ALLOWED_CHANGE and not to_login
    elif expect is AWAY:
        good = status == 302 and not to_login
    elif expect is OUT:
        good = status == 302 and location(response) == "/login"
    elif expect is SIGN_IN:
        good = status == 401 if request.api else to_login
    elif expect is DENIED:
        good = status == 403
    else:
        good = status == 404
    if good:
        return None
    where = f" to {location(response)}" if 300 <= status < 400 else ""
    return f"{request}: expected {expect.value}, got {status}{where}"


def changes(before: dict, after: dict) -> str:
    lines = []
    for table in before:
        if before[table] != after[table]:
            gone = sorted(set(before[table]) - set(after[table]))[:2]
            new = sorted(set(after[table]) - set(before[table]))[:2]
            lines.append(f"{table}: -{gone} +{new}")
    return "; ".join(lines)


def run(client, role: str, world: World) -> list[str]:
    """Make every request as ``role``; the list of what went wrong."""
    token = world.tokens.get(role)
    requests = requests_for(role, world.ids)
    refused = [r for r in requests if r.expect in REFUSALS]
    reads = [r for r in requests if r.expect not in REFUSALS and r.method == "GET"]
    changes_ = [r for r in requests if r.expect not in REFUSALS and r.method != "GET"]
    failures = []
    before = snapshot()
    for request in refused:
        failure = problem(request, send_request(client, request, token))
        after = snapshot()
        if after != before:
            failure = (failure or f"{request}: refused") + f", but changed {changes(before, after)}"
            before = after
        if failure:
            failures.append(failure)
    for request in reads + [r for r in changes_ if not r.last]:
        failure = problem(request, send_request(client, request, token))
        if failure:
            failures.append(failure)
    for request in sorted((r for r in changes_ if r.last), key=lambda r: r.last):
        if role != ANONYMOUS:
            login(client, world.users[role])
        failure = problem(request, send_request(client, request, token))
        if failure:
            failures.append(failure)
    return failures


@pytest.fixture()
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.mark.parametrize("role", ROLES)
def test_route_matrix(app, clock, role):
    world = build_world()
    client = app.test_client()
    if role != ANONYMOUS:
        assert login(client, world.users[role]).status_code == 302
        # The first request of the day notes that the account is in use: do it before comparing.
        assert client.get("/").status_code == 200
        headers = {"Authorization": f"Bearer {world.tokens[role]}"}
        assert client.get("/api/v1/me", headers=headers).status_code == 200
    failures = run(client, role, world)
    assert not failures, f"As {role}:\n" + "\n".join(failures)
