"""No 500 for bad input: garbage in every form field, query parameter and id is refused politely,
and nothing is saved."""

from __future__ import annotations

import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from tests.factories import (
    login,
    make_admin,
    make_closure,
    make_desk,
    make_hub,
    make_organisation,
    make_out_of_service,
    make_pilot,
    make_user,
)
from tests.helpers import snapshot

LONG = "å" * 10_000
NUL = "Kungs\x00klippan"
TEXT_GARBAGE = [LONG, NUL, "   "]
NUMBER_GARBAGE = [
    "",
    "abc",
    "-1",
    "1.5",
    "1e999",
    "99999999999999999999999",
    "NaN",
    "sNaN",
    "Infinity",
    "-0x10",
    NUL,
]
CHOICE_GARBAGE = ["nonsense", "-1", "99999999999999999999999", "1.5", NUL, LONG]
DATE_GARBAGE = ["", "2026-02-30", "2026-13-01", "31/12/2026", "99999-01-01", "imorgon", NUL]
TIME_GARBAGE = ["", "25:00", "08:60", "8", "08.00", "noon", NUL]
EMAIL_GARBAGE = [
    "",
    "inte-en-adress",
    "a@",
    "@b.se",
    LONG + "@example.org",
    "a\x00@example.org",
    "  ",
]


@pytest.fixture()
def world(client):
    """An admin logged in, and one of everything the forms can point at."""
    admin = make_admin()
    ssa = make_organisation(name="Stadsarkivet", code="SSA")
    hub = make_hub(host=ssa, name="Kungsklippan 6")
    desk = make_desk(hub, label="Plats 1")
    zone = ZoneInfo("Europe/Stockholm")
    make_closure(hub, date(2026, 12, 4))
    make_out_of_service(
        desk, datetime(2026, 6, 1, 8, tzinfo=zone), datetime(2026, 6, 2, 8, tzinfo=zone)
    )
    pilot = make_pilot([hub])
    user = make_user(organisation=ssa)
    login(client, admin)
    return {"admin": admin, "org": ssa, "hub": hub, "desk": desk, "pilot": pilot, "user": user}


def _forms(w) -> dict[str, tuple[str, dict, dict[str, list[str]], bool]]:
    """name -> (url, data, {field: garbage values}, whether posting nothing must be refused).

    New objects start from valid data; edit forms from the object's current values, so that a
    garbage value that got through would show as a change. An empty optional field is valid, so
    "" is garbage only for required fields.
    """
    hub, desk, org, user = w["hub"], w["desk"], w["org"], w["user"]
    hub_settings = {
        "name": "Ny hubb",
        "host_organisation_id": str(org.id),
        "address": "Gatan 1",
        "timezone": "Europe/Stockholm",
        "slot_minutes": "30",
        "min_duration_minutes": "30",
        "max_duration_minutes": "600",
        "max_days_ahead": "30",
        "max_active_bookings": "10",
        "checkin_required": "y",
        "checkin_grace_minutes": "30",
        "cost_per_desk_month": "0",
        "fixed_cost_per_month": "0",
        "active": "y",
    }
    current_hub = {**hub_settings, "name": hub.name, "address": hub.address}
    money = ["", "abc", "-0.01", "1e999", "10000001", "NaN", "sNaN", "Infinity", "-Infinity", NUL]
    hub_garbage = {
        "name": ["", *TEXT_GARBAGE],
        "address": ["", *TEXT_GARBAGE],
        "timezone": [*TEXT_GARBAGE, "Mars/Olympus", "../../etc/passwd", "/etc/localtime"],
        "host_organisation_id": ["", *CHOICE_GARBAGE],
        "admitted_organisation_ids": CHOICE_GARBAGE,
        "slot_minutes": ["", *CHOICE_GARBAGE, "45"],
        "min_duration_minutes": [*NUMBER_GARBAGE, "45"],
        "max_duration_minutes": [*NUMBER_GARBAGE, "1441"],
        "max_days_ahead": [*NUMBER_GARBAGE, "366"],
        "max_active_bookings": [*NUMBER_GARBAGE, "101"],
        "checkin_grace_minutes": [*NUMBER_GARBAGE, "241"],
        "cost_per_desk_month": money,
        "fixed_cost_per_month": money,
    }
    organisation = {"name": "Ny förvaltning", "code": "NF", "kind": "administration"}
    current_org = {"name": org.name, "code": org.code, "kind": org.kind.value}
    org_garbage = {
        "name": ["", *TEXT_GARBAGE],
        "code": ["", *TEXT_GARBAGE, "K", "ALLDELES-FÖR-LÅNG"],
        "kind": ["", *CHOICE_GARBAGE],
    }
    new_user = {
        "email": "ny@example.org",
        "display_name": "Ny Person",
        "organisation_id": str(org.id),
        "locale": "sv",
    }
    current_user = {
        "display_name": user.display_name,
        "organisation_id": str(user.organisation_id),
        "locale": user.locale,
        "active": "y",
    }
    user_garbage = {
        "display_name": TEXT_GARBAGE,
        "organisation_id": CHOICE_GARBAGE,
        "locale": ["xx", NUL, LONG],
    }
    week = {}
    for day in range(7):
        week[f"day_{day}-opens"] = "08:00" if day < 5 else ""
        week[f"day_{day}-closes"] = "17:00" if day < 5 else ""
    period = {
        "oos-start_date": "2026-07-01",
        "oos-start_time": "08:00",
        "oos-end_date": "2026-07-01",
        "oos-end_time": "12:00",
        "oos-reason": "Flytt",
    }
    return {
        "organisation-new": ("/admin/organisations/new", organisation, org_garbage, True),
        "organisation-edit": (f"/admin/organisations/{org.id}", current_org, org_garbage, True),
        "user-new": (
            "/admin/users/new",
            new_user,
            {**user_garbage, "email": EMAIL_GARBAGE, "display_name": ["", *TEXT_GARBAGE]},
            True,
        ),
        "user-edit": (f"/admin/users/{user.id}", current_user, user_garbage, True),
        "role-add": (
            f"/admin/users/{user.id}/roles",
            {"role-role": "hub_manager", "role-hub_id": str(hub.id)},
            {
                "role-role": ["", *CHOICE_GARBAGE],
                "role-hub_id": ["", *CHOICE_GARBAGE],
                "role-pilot_id": CHOICE_GARBAGE,
                "role-organisation_id": CHOICE_GARBAGE,
            },
            True,
        ),
        "hub-new": ("/admin/hubs/new", hub_settings, hub_garbage, True),
        "hub-settings": (f"/admin/hubs/{hub.id}/settings", current_hub, hub_garbage, True),
        "hub-information": (
            f"/manage/hubs/{hub.id}/information",
            {},
            {
                "description": [LONG, NUL],
                "desk_includes": [LONG, NUL],
                "service_level": [LONG, NUL],
                "contact_name": [LONG, NUL],
                "contact_email": ["inte en adress", LONG, NUL],
                "contact_phone": [LONG, NUL],
            },
            False,
        ),
        "opening-hours": (
            f"/manage/hubs/{hub.id}/opening-hours",
            week,
            {
                "day_0-opens": TIME_GARBAGE,
                "day_0-closes": [*TIME_GARBAGE, "07:00"],
                "day_6-opens": ["10:00", *TIME_GARBAGE[1:]],
            },
            False,
        ),
        "closure": (
            f"/manage/hubs/{hub.id}/closures",
            {
                "closure-start_date": "2026-12-07",
                "closure-end_date": "2026-12-08",
                "closure-reason": "Städning",
            },
            {
                "closure-start_date": DATE_GARBAGE,
                "closure-end_date": [*DATE_GARBAGE, "2026-12-06", "2028-01-01"],
                "closure-reason": ["", *TEXT_GARBAGE],
            },
            True,
        ),
        "desk-new": (
            f"/manage/hubs/{hub.id}/desks/new",
            {"label": "Plats 9", "zone": "Plan 2", "equipment": "screen", "active": "y"},
            {
                "label": ["", *TEXT_GARBAGE, "plats 1"],
                "zone": [LONG, NUL],
                "equipment": CHOICE_GARBAGE,
            },
            True,
        ),
        "desk-edit": (
            f"/manage/hubs/{hub.id}/desks/{desk.id}",
            {"label": desk.label, "zone": desk.zone, "active": "y"},
            {"label": ["", *TEXT_GARBAGE], "zone": [LONG, NUL], "equipment": CHOICE_GARBAGE},
            True,
        ),
        "out-of-service": (
            f"/manage/hubs/{hub.id}/desks/{desk.id}/out-of-service",
            period,
            {
                "oos-start_date": DATE_GARBAGE,
                "oos-start_time": TIME_GARBAGE,
                "oos-end_date": [*DATE_GARBAGE, "2026-06-30"],
                "oos-end_time": [*TIME_GARBAGE, "07:00"],
                "oos-reason": ["", *TEXT_GARBAGE],
            },
            True,
        ),
        "profile": (
            "/profile",
            {"profile-display_name": w["admin"].display_name, "profile-locale": "sv"},
            {"profile-display_name": ["", *TEXT_GARBAGE], "profile-locale": ["xx", NUL, LONG]},
            False,
        ),
        "password": (
            "/profile",
            {
                "password-current_password": "fel lösenord",
                "password-password": "nytt långt lösenord",
                "password-confirm": "nytt långt lösenord",
            },
            {"password-password": ["", "kort", LONG], "password-confirm": ["", "annat", NUL]},
            False,
        ),
        "language": (
            "/language",
            {"locale": "xx"},
            {
                "locale": ["", "sv\x00", LONG, "EN"],
                "next": ["//evil.example.com", "javascript:alert(1)", NUL, LONG],
            },
            False,
        ),
    }


FORM_NAMES = [
    "organisation-new",
    "organisation-edit",
    "user-new",
    "user-edit",
    "role-add",
    "hub-new",
    "hub-settings",
    "hub-information",
    "opening-hours",
    "closure",
    "desk-new",
    "desk-edit",
    "out-of-service",
    "profile",
    "password",
    "language",
]


@pytest.mark.parametrize("name", FORM_NAMES)
def test_garbage_in_a_form_is_refused_and_saves_nothing(client, world, name):
    url, valid, garbage, empty_is_invalid = _forms(world)[name]
    before = snapshot()
    for field, values in garbage.items():
        for value in values:
            data = {**valid, field: value}
            response = client.post(url, data=data)
            assert response.status_code < 500, (name, field, value[:40])
        assert snapshot() == before, f"{name}: garbage in {field} was saved"
    if empty_is_invalid:
        assert client.post(url, data={}).status_code < 500
        assert snapshot() == before, f"{name}: an empty form was saved"


def test_garbage_login_is_refused(app):
    user = make_user()
    client = app.test_client()
    before = snapshot()
    for email in [*EMAIL_GARBAGE, user.email]:
        for password in ["", "fel", "å" * 100_000, "a\x00b"]:
            response = client.post(
                "/login", data={"email": email, "password": password, "remember": "kanske"}
            )
            assert response.status_code < 500, (email[:30], password[:30])
    assert client.post("/login", data={}).status_code == 200
    assert {**snapshot(), "login_attempts": []} == before  # only the attempts are recorded


def test_garbage_invitation_is_refused(app, world):
    invited = make_user(organisation=world["org"], password_hash=None)
    with app.test_request_context():
        from hubbar.accounts.operations import invite_token

        token = invite_token(None, invited)
    client = app.test_client()
    before = snapshot()
    for data in [
        {},
        {"password": "kort", "confirm": "kort"},
        {"password": "ett långt lösenord", "confirm": "ett annat lösenord"},
        {"password": LONG, "confirm": LONG + "x"},
        {"password": "a\x00" * 10, "confirm": "a\x00" * 10},
    ]:
        assert client.post(f"/invitation/{token}", data=data).status_code < 500
    for bad in ["x" * 5000, "%00", "..", token[::-1]]:
        assert client.get(f"/invitation/{bad}").status_code < 500
    assert snapshot() == before


@pytest.mark.parametrize(
    "content",
    [
        b"\x00\xff\xfe" * 1000,
        "e-post;namn;organisation\r\n".encode("utf-16"),
        b"anna@example.org,Anna\x00Berg,SSA\n",
        b"anna@example.org,Anna Berg,SSA\n" + b"\n" * 1000,
        b"x\n" * 5001,
        b'"unterminated,quote\n',
        LONG.encode() + b",,\n",
    ],
    ids=["binary", "utf-16", "nul-in-name", "blank-lines", "too-many-rows", "quote", "long"],
)
def test_garbage_csv_is_refused(client, world, content):
    before = snapshot()
    for dry_run in ({}, {"dry_run": "y"}):
        response = client.post(
            "/admin/users/import",
            data={"file": (io.BytesIO(content), "users.csv"), **dry_run},
            content_type="multipart/form-data",
        )
        assert response.status_code < 500
    after = snapshot()
    # A file with one good row may create that user; nothing else may change.
    created = set(after["users"]) - set(before["users"])
    assert all("anna@example.org" in row for row in created)
    assert {k: v for k, v in after.items() if k not in ("users", "audit_events")} == {
        k: v for k, v in before.items() if k not in ("users", "audit_events")
    }


@pytest.mark.parametrize(
    "url",
    [
        "/hubs/{hub}?week=0001-01-01",
        "/hubs/{hub}?week=0001-01-08",
        "/hubs/{hub}?week=9999-12-31",
        "/hubs/{hub}?week=9999-12-20",
        "/hubs/{hub}?week=2026-02-30",
        "/hubs/{hub}?week=" + "9" * 5000,
        "/hubs/{hub}?week=%00",
        "/admin/users?organisation=abc",
        "/admin/users?organisation=99999999999999999999999",
        "/admin/users?organisation=-99999999999999999999999",
        "/admin/users?q=" + "%25" * 3000,
        "/admin/users?q=%00",
        "/admin/users?q=%5F%25%5C",
        "/admin/audit?page=abc",
        "/admin/audit?page=-5",
        "/admin/audit?page=0",
        "/admin/audit?page=99999999999999999999999",
        "/admin/audit?page=184467440737095516",
        "/admin/audit?type=Nonsense",
        "/admin/audit?type=%00",
    ],
)
def test_garbage_in_query_parameters(client, world, url):
    before = snapshot()
    response = client.get(url.format(hub=world["hub"].id))
    assert response.status_code < 500
    assert snapshot() == before


@pytest.mark.parametrize(
    "bad_id",
    [
        "abc",
        "-1",
        "1.5",
        "0",
        "99999999999999999999999",
        "9223372036854775808",
        "2147483648",
        "9" * 5000,
    ],
)
def test_garbage_ids_in_urls_are_not_found(client, world, bad_id):
    hub, desk = world["hub"].id, world["desk"].id
    urls = [
        f"/hubs/{bad_id}",
        f"/manage/hubs/{bad_id}",
        f"/manage/hubs/{hub}/desks/{bad_id}",
        f"/admin/users/{bad_id}",
        f"/admin/organisations/{bad_id}",
        f"/admin/hubs/{bad_id}/settings",
        f"/pilots/{bad_id}",
    ]
    posts = [
        f"/manage/hubs/{hub}/closures/{bad_id}/delete",
        f"/manage/hubs/{hub}/desks/{desk}/out-of-service/{bad_id}/delete",
        f"/admin/users/{world['user'].id}/roles/{bad_id}/delete",
    ]
    before = snapshot()
    for url in urls:
        assert client.get(url).status_code == 404, url
    for url in posts:
        assert client.post(url).status_code == 404, url
    assert snapshot() == before
