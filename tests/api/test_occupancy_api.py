"""GET /api/v1/hubs/<id>/occupancy and /bookings.csv: the hand-computed week (see
tests/occupancy/conftest.py and test_metrics.py), the same permissions as the dashboard, and the
same figures as the XLSX export and compute() on the demo pilot."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime

import flask_babel
import pytest
import time_machine
from openpyxl import load_workbook
from sqlalchemy import select

from hubbar.accounts.models import User
from hubbar.demo import DEMO_PASSWORD, load_demo
from hubbar.extensions import db
from hubbar.hubs.models import Hub
from hubbar.occupancy import operations as occupancy_ops
from hubbar.occupancy.definitions import BY_KEY, DEFINITIONS, KEY_FIGURES
from hubbar.occupancy.metrics import compute
from hubbar.occupancy.operations import RAW_COLUMNS
from hubbar.occupancy.tables import COLUMNS, TABLE_KEYS
from hubbar.occupancy.views import figure_text
from hubbar.pilots.models import Pilot
from tests.api.helpers import call, error_of, token_for
from tests.bookings.clock import at
from tests.factories import (
    login,
    make_evaluator,
    make_hub,
    make_hub_manager,
    make_org_admin,
    make_pilot,
    make_user,
)
from tests.helpers import STOCKHOLM
from tests.occupancy.conftest import kuf, ssa, week  # noqa: F401 (fixtures)

AFTER = at("2026-03-20", "12:00")  # long after the week: nothing is partial
WEEK = {"from": "2026-03-02", "to": "2026-03-08"}
NAMES = {"Ulla Ek", "Sven Berg", "Tove Lind"}


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(AFTER, tick=False) as traveller:
        yield traveller


def occupancy(client, hub_id, token, **query):
    return call(client, "GET", f"/api/v1/hubs/{hub_id}/occupancy", token, query_string=query)


def bookings_csv(client, hub_id, token, **query):
    return call(client, "GET", f"/api/v1/hubs/{hub_id}/bookings.csv", token, query_string=query)


def ok(response) -> dict:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.is_json
    return response.get_json()


def evaluator_of(hub, **overrides) -> User:
    pilot = make_pilot([hub], start_date=date(2026, 3, 1), end_date=date(2026, 4, 30))
    return make_evaluator(pilot, **overrides)


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.content_type == "text/csv; charset=utf-8"
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


# --- the week ------------------------------------------------------------------------------


def test_the_hand_computed_week(client, week):  # noqa: F811
    hub, _ = week
    token = token_for(make_hub_manager(hub, locale="en"))

    body = ok(occupancy(client, hub.id, token, **WEEK))

    assert set(body) == {
        "hub",
        "from",
        "to",
        "counted_until",
        "partial",
        "audience",
        "metrics",
        *(key for key in TABLE_KEYS if key != "metrics"),
    }
    assert body["hub"] == {"id": hub.id, "name": "Kungsklippan 6"}
    assert (body["from"], body["to"]) == ("2026-03-02", "2026-03-08")
    assert body["counted_until"] == "2026-03-09T00:00:00+01:00"
    assert body["partial"] is False
    assert body["audience"] == "manager"

    metrics = body["metrics"]
    assert set(metrics) == {d.key for d in DEFINITIONS}
    value = {key: m["value"] for key, m in metrics.items()}
    assert value["capacity_hours"] == 80
    assert value["booked_hours"] == 12.5
    assert value["booking_rate"] == 0.15625
    assert value["used_hours"] == 8.833333  # 4 h 50 min + 2 h + 2 h, floating noise rounded
    assert value["utilisation"] == 0.110417
    assert value["no_show_rate"] == 0.2
    assert value["cancellation_rate"] == round(3 / 7, 6)
    assert value["late_cancellation_rate"] == round(2 / 7, 6)
    assert value["mean_daily_peak"] == 0.5
    assert value["max_daily_peak"] == 1
    assert value["desk_day_usage"] == 0.5
    assert (value["lead_time_median_hours"], value["lead_time_p90_hours"]) == (23, 72)
    assert value["mean_duration_hours"] == 2.7
    assert (value["unique_users"], value["returning_users"]) == (3, 2)
    assert value["cross_org_share"] == 0.68
    assert (value["demand_misses"], value["turned_away_rate"]) == (2, 0.222222)
    assert value["desks_needed"] == 3
    assert metrics["booking_rate"]["unit"] == "fraction"
    assert metrics["booked_hours"]["unit"] == "hours"
    assert metrics["desks_needed"]["unit"] == "desks"
    with flask_babel.force_locale("en"):  # the caller reads English
        assert metrics["booking_rate"]["definition"] == str(BY_KEY["booking_rate"].definition)
    assert metrics["booking_rate"]["name"] == "Booking rate"

    assert body["days"][0] == {
        "date": "2026-03-02",
        "capacity_hours": 16,
        "booked_hours": 7,
        "used_hours": 6.833333,
        "booking_rate": 0.4375,
        "utilisation": 0.427083,
        "peak_occupancy": 1,
        "peak_desks": 2,
        "demand_misses": 0,
        "desks_needed": 2,
    }
    assert [d["desks_needed"] for d in body["days"]] == [2, 1, 1, 3, 0]
    assert [d["date"] for d in body["days"]] == [f"2026-03-0{n}" for n in range(2, 7)]
    heat = {(c["weekday"], c["hour"]): c["occupancy"] for c in body["heatmap"]}
    assert set(body["heatmap"][0]) == {"weekday", "hour", "occupancy"}
    assert (heat[0, 9], heat[0, 14], heat[0, 16]) == (1, 0.5, 0)
    assert (0, 12) not in heat  # closed for lunch
    organisations = {o["code"]: o for o in body["organisations"]}
    assert organisations["KuF"]["booked_hours"] == 8.5
    assert organisations["KuF"]["users"] == 2
    assert organisations["SSA"]["is_host"] is True
    desks = {d["desk"]: d for d in body["desks"]}
    assert desks["D2"]["booking_rate"] == 0.1125
    assert body["weeks"][0]["week"] == "2026-W10"
    assert [w["weekday"] for w in body["weekdays"]] == [0, 1, 2, 3, 4]
    assert {h["hour"] for h in body["hours"]} == {8, 9, 10, 11, 13, 14, 15, 16}
    assert {r["bucket"]: r["bookings"] for r in body["lead_times"]} == {
        "lead_1h": 1,
        "lead_1d": 2,
        "lead_3d": 1,
        "lead_7d": 1,
        "lead_more": 0,
    }
    for key in TABLE_KEYS:
        if key != "metrics":
            assert all(set(row) == {c.key for c in COLUMNS[key]} for row in body[key]), key


def test_definitions_come_in_the_callers_language(client, week):  # noqa: F811
    hub, _ = week
    token = token_for(make_hub_manager(hub, locale="sv"))

    body = ok(occupancy(client, hub.id, token, **WEEK))

    with flask_babel.force_locale("sv"):
        expected = str(BY_KEY["desks_needed"].definition)
        name = str(BY_KEY["desks_needed"].name)
    assert body["metrics"]["desks_needed"]["definition"] == expected
    assert body["metrics"]["desks_needed"]["name"] == name


def test_evaluators_get_small_organisations_suppressed(client, week):  # noqa: F811
    hub, _ = week
    token = token_for(evaluator_of(hub))

    body = ok(occupancy(client, hub.id, token, **WEEK))

    assert body["audience"] == "evaluator"
    assert body["metrics"]["booking_rate"]["value"] == 0.15625  # the hub's figures stay
    numbers = [c.key for c in COLUMNS["organisations"]][3:]
    for row in body["organisations"]:
        assert {row[key] for key in numbers} == {"< 3"}, row  # 1 and 2 people
        assert row["organisation"] in ("Stadsarkivet", "Kulturförvaltningen")


def test_an_organisation_admin_sees_their_staff(client, week, kuf):  # noqa: F811
    hub, _ = week
    token = token_for(make_org_admin(kuf))

    body = ok(occupancy(client, hub.id, token, **WEEK))

    assert body["audience"] == "organisation_admin"
    assert [o["code"] for o in body["organisations"]] == ["KuF"]
    assert body["metrics"]["booked_hours"]["value"] == 8.5
    assert body["metrics"]["capacity_hours"]["value"] == 80


def test_a_period_that_reaches_now_says_so(client, week):  # noqa: F811
    hub, _ = week
    with time_machine.travel(at("2026-03-04", "10:30"), tick=False):
        token = token_for(make_hub_manager(hub))
        body = ok(occupancy(client, hub.id, token, **WEEK))

    assert body["partial"] is True
    assert body["counted_until"] == "2026-03-04T10:30:00+01:00"
    assert [d["date"] for d in body["days"]][-1] == "2026-03-04"


# --- refusals ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"to": "2026-03-08"}, "from"),
        ({"from": "2026-03-02"}, "to"),
        ({"from": "2026-03-02", "to": ""}, "to"),
        ({"from": "2026-3-2", "to": "2026-03-08"}, "from"),
        ({"from": "2026-02-30", "to": "2026-03-08"}, "from"),
        ({"from": "yesterday", "to": "2026-03-08"}, "from"),
        ({"from": "2026-03-08", "to": "2026-03-02"}, "to"),  # reversed
        ({"from": "2020-01-01", "to": "2026-03-08"}, "to"),  # over three years
    ],
)
def test_bad_dates_are_422_with_the_field(client, week, query, field):  # noqa: F811
    hub, _ = week
    token = token_for(make_hub_manager(hub))

    for response in (
        occupancy(client, hub.id, token, **query),
        bookings_csv(client, hub.id, token, **query),
    ):
        error_of(response, 422, "invalid_input")
        assert response.get_json()["field"] == field


def test_an_unknown_hub_is_404(client, week):  # noqa: F811
    hub, _ = week
    token = token_for(make_hub_manager(hub))
    for hub_id in (hub.id + 1000, 2**31 - 1):
        error_of(occupancy(client, hub_id, token, **WEEK), 404, "not_found")
        error_of(bookings_csv(client, hub_id, token, **WEEK), 404, "not_found")


def test_a_hub_the_caller_may_not_see_is_403(client, week, kuf):  # noqa: F811
    hub, _ = week
    other = make_hub(desks=1)
    employee = token_for(make_user(kuf))  # may book at the hub, may not see its figures
    manager_elsewhere = token_for(make_hub_manager(other))
    for token in (employee, manager_elsewhere):
        error_of(occupancy(client, hub.id, token, **WEEK), 403, "forbidden")
        error_of(bookings_csv(client, hub.id, token, **WEEK), 403, "forbidden")


def test_no_token_is_401(client, week):  # noqa: F811
    hub, _ = week
    error_of(occupancy(client, hub.id, None, **WEEK), 401, "unauthorized")
    error_of(bookings_csv(client, hub.id, None, **WEEK), 401, "unauthorized")


# --- the raw bookings ----------------------------------------------------------------------


def test_the_bookings_csv_for_a_hub_manager(client, week):  # noqa: F811
    hub, bookings = week
    token = token_for(make_hub_manager(hub))

    response = bookings_csv(client, hub.id, token, **WEEK)

    assert response.headers["Content-Disposition"] == (
        'attachment; filename="hubbar-bookings-2026-03-02-2026-03-08.csv"'
    )
    header, *rows = csv_rows(response)
    assert header == list(RAW_COLUMNS)
    assert [int(r[0]) for r in rows] == [bookings[x].id for x in "bacdefg"]
    assert {r[4] for r in rows} == NAMES
    first = dict(zip(header, rows[0], strict=True))
    assert (first["start"], first["checked_out_at"], first["released_at"]) == (
        "2026-03-02T08:00:00+01:00",
        "2026-03-02T10:00:00+01:00",
        "",
    )


def test_the_bookings_csv_is_the_dashboards(app, client, week):  # noqa: F811
    hub, _ = week
    evaluator = evaluator_of(hub)
    web = app.test_client()
    login(web, evaluator)

    api = csv_rows(bookings_csv(client, hub.id, token_for(evaluator), **WEEK))
    page = csv_rows(
        web.get(
            "/dashboard/export.csv",
            query_string={"hub": hub.id, "period": "custom", "table": "bookings", **WEEK},
        )
    )

    assert api == page
    assert all(re.fullmatch(r"P-[0-9a-f]{12}", row[4]) for row in api[1:])
    assert not NAMES & {row[4] for row in api[1:]}


def test_an_organisation_admin_gets_only_their_staffs_bookings(client, week, kuf):  # noqa: F811
    hub, bookings = week
    token = token_for(make_org_admin(kuf))

    header, *rows = csv_rows(bookings_csv(client, hub.id, token, **WEEK))

    assert {int(r[0]) for r in rows} == {bookings[x].id for x in "acdeg"}
    assert {r[3] for r in rows} == {"KuF"}
    assert all(re.fullmatch(r"P-[0-9a-f]{12}", r[4]) for r in rows)


# --- one set of figures --------------------------------------------------------------------

DEMO_NOW = datetime(2026, 11, 23, 9, 30, tzinfo=STOCKHOLM)


def test_the_dashboard_the_api_the_xlsx_and_compute_agree_on_the_demo_pilot(app):
    with time_machine.travel(DEMO_NOW, tick=False):
        load_demo()
        pilot = db.session.scalar(select(Pilot))
        hub = db.session.scalar(select(Hub).where(Hub.name == "Kungsklippan 6"))
        evaluator = db.session.scalar(
            select(User).where(User.email == "utvardering@hubbar.example.org")
        )
        period = {"from": pilot.start_date.isoformat(), "to": pilot.end_date.isoformat()}
        api = ok(occupancy(app.test_client(), hub.id, token_for(evaluator), **period))
        web = app.test_client()
        response = web.post("/login", data={"email": evaluator.email, "password": DEMO_PASSWORD})
        assert response.status_code == 302
        response = web.get(
            "/dashboard/export.xlsx",
            query_string={"hub": hub.id, "period": "custom", **period},
        )
        assert response.status_code == 200
        page = web.get(
            "/dashboard", query_string={"hub": hub.id, "period": "pilot", "pilot": pilot.id}
        )
        assert page.status_code == 200
        # What the evaluator may see: the figures with small groups hidden.
        expected, _seen = occupancy_ops.occupancy(
            evaluator, [hub], pilot.start_date, pilot.end_date, k=3
        )
        assert expected.value("booking_rate") == compute(
            [hub], pilot.start_date, pilot.end_date
        ).value("booking_rate")
        with app.test_request_context():
            shown = {key: figure_text(key, expected.value(key)) for key in KEY_FIGURES}

    book = load_workbook(io.BytesIO(response.get_data()))
    sheets = dict(zip(["about", *TABLE_KEYS, "bookings"], book.worksheets, strict=True))
    xlsx = {row[0].value: row[2].value for row in sheets["metrics"].iter_rows(min_row=2)}
    assert expected.value("bookings") > 100  # a real history, not an empty period
    for d in DEFINITIONS:
        value = expected.value(d.key)
        if value is None:
            assert api["metrics"][d.key]["value"] is None and xlsx[d.key] is None, d.key
        else:
            assert api["metrics"][d.key]["value"] == pytest.approx(value, abs=1e-6), d.key
            assert xlsx[d.key] == pytest.approx(value, abs=1e-9), d.key
    days = [[c.value for c in row] for row in sheets["days"].iter_rows(min_row=2)]
    assert len(days) == len(api["days"]) == len(expected.days)
    for sheet_row, api_row, row in zip(days, api["days"], expected.days, strict=True):
        assert sheet_row[0].date() == row.day
        assert api_row["date"] == row.day.isoformat()
        assert api_row["booked_hours"] == pytest.approx(row.booked_hours, abs=1e-6)
        assert sheet_row[2] == pytest.approx(row.booked_hours)
        assert api_row["desks_needed"] == sheet_row[9] == row.desks_needed
    raw_rows = sheets["bookings"].max_row - 1
    assert raw_rows == expected.value("bookings")  # every booking starting in the period
    html = page.get_data(as_text=True)
    for key, text in shown.items():  # the dashboard's key figures, as the page formats them
        card = re.search(rf'id="figure-{key}".*?class="dash-value">([^<]*)', html, re.S)
        assert card is not None, key
        assert card.group(1).strip() == text, key


# --- an organisation's staff at the hubs open to them --------------------------------------


def test_an_organisation_admin_sees_their_staff_at_every_hub_open_to_them(
    client,
    week,  # noqa: F811
    ssa,  # noqa: F811
    kuf,  # noqa: F811
):
    from tests.occupancy.conftest import book, hub_with_desks

    hub, _ = week
    hub.admitted_organisations.append(kuf)  # SSA's hub takes KuF's staff
    own = hub_with_desks(1, lunch=True, host=kuf, name="Rinkeby")
    closed_to_kuf = hub_with_desks(1, lunch=True, host=ssa, name="Liljeholmen")
    [desk], [other_desk] = own.desks, closed_to_kuf.desks
    ulla, sven = make_user(kuf), make_user(ssa)
    # At KuF's own hub: KuF's Monday 09–11 counts (2 h); SSA's Tuesday visit does not.
    book(desk, ulla, at("2026-03-02", "09:00"), at("2026-03-02", "11:00"),
         created=at("2026-02-27", "09:00"), checked_in=at("2026-03-02", "09:00"))  # fmt: skip
    book(desk, sven, at("2026-03-03", "09:00"), at("2026-03-03", "10:00"),
         created=at("2026-02-27", "09:00"), checked_in=at("2026-03-03", "09:00"))  # fmt: skip
    book(other_desk, sven, at("2026-03-04", "09:00"), at("2026-03-04", "12:00"),
         created=at("2026-02-27", "09:00"), checked_in=at("2026-03-04", "09:00"))  # fmt: skip
    token = token_for(make_org_admin(kuf))

    body = ok(call(client, "GET", f"/api/v1/organisations/{kuf.id}/occupancy", token,
                   query_string=WEEK))  # fmt: skip

    assert body["organisation"]["code"] == "KuF"
    assert [h["name"] for h in body["hubs"]] == ["Kungsklippan 6", "Rinkeby"]
    assert body["audience"] == "organisation_admin"
    assert [o["code"] for o in body["organisations"]] == ["KuF"]
    # The hand-computed week's 8.5 h of KuF at Kungsklippan 6, and 2 h at Rinkeby.
    assert body["metrics"]["booked_hours"]["value"] == 10.5
    # Capacity: 2 desks × 5 days × 8 h, and 1 desk × 5 days × 8 h.
    assert body["metrics"]["capacity_hours"]["value"] == 120


def test_organisation_figures_are_for_its_admins_and_say_nothing_to_others(
    client,
    kuf,  # noqa: F811
    ssa,  # noqa: F811
):
    make_hub(host=kuf, desks=1)
    kuf_admin = token_for(make_org_admin(kuf))
    employee = token_for(make_user(kuf))
    for who, org_id in ((kuf_admin, ssa.id), (kuf_admin, 999_999), (employee, kuf.id)):
        response = call(
            client, "GET", f"/api/v1/organisations/{org_id}/occupancy", who, query_string=WEEK
        )
        assert response.status_code == 403, org_id
        assert response.get_json()["error"] == "forbidden"
