"""The CSV and XLSX downloads of the dashboard, checked against the hand-computed week (see
tests/occupancy/conftest.py and the figures in test_metrics.py)."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime

import pytest
import time_machine
from flask_babel import force_locale
from openpyxl import load_workbook

from hubbar.bookings.models import BookingStatus
from hubbar.occupancy.definitions import DEFINITIONS
from hubbar.occupancy.operations import RAW_COLUMNS
from hubbar.occupancy.tables import COLUMNS, TABLE_KEYS
from tests.bookings.clock import at
from tests.factories import (
    login,
    make_desk,
    make_evaluator,
    make_hub_manager,
    make_org_admin,
    make_pilot,
    make_user,
)
from tests.helpers import location
from tests.occupancy.conftest import LONG_AGO, book, hub_with_desks

AFTER = at("2026-03-20", "12:00")  # long after the week: nothing is partial
MON, SUN = "2026-03-02", "2026-03-08"
NAMES = {"Ulla Ek", "Sven Berg", "Tove Lind"}


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(AFTER, tick=False) as traveller:
        yield traveller


def export(client, hub, fmt: str, first: str = MON, last: str = SUN, /, **extra):
    query = {"hub": hub.id, "period": "custom", "from": first, "to": last, **extra}
    return client.get(f"/dashboard/export.{fmt}", query_string=query)


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.content_type == "text/csv; charset=utf-8"
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")  # Excel reads UTF-8 only with the byte-order mark
    assert "\r\n" in body
    return list(csv.reader(io.StringIO(body[1:])))


def as_dicts(rows: list[list[str]]) -> list[dict]:
    header, *data = rows
    return [dict(zip(header, row, strict=True)) for row in data]


def workbook(response):
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.content_type.startswith("application/vnd.openxmlformats")
    return load_workbook(io.BytesIO(response.get_data()))


def sheet_rows(sheet) -> list[list]:
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def logged_in(client, user):
    login(client, user)
    return user


def manager_of(client, hub, **overrides):
    return logged_in(client, make_hub_manager(hub, **overrides))


def evaluator_of(client, hub, **overrides):
    pilot = make_pilot([hub], start_date=date(2026, 3, 1), end_date=date(2026, 4, 30))
    return logged_in(client, make_evaluator(pilot, **overrides))


# --- the tables as CSV ---------------------------------------------------------------------


def test_the_days_as_csv_hold_the_hand_computed_week(client, week):
    hub, _ = week
    manager_of(client, hub)

    response = export(client, hub, "csv", table="days")

    assert response.headers["Content-Disposition"] == (
        'attachment; filename="hubbar-days-2026-03-02-2026-03-08.csv"'
    )
    rows = csv_rows(response)
    assert rows[0] == [
        "date",
        "capacity_hours",
        "booked_hours",
        "used_hours",
        "booking_rate",
        "utilisation",
        "peak_occupancy",
        "peak_desks",
        "demand_misses",
        "desks_needed",
    ]
    assert rows[1:] == [
        # Mon: a 5 h + b 2 h booked; a 4 h 50 min + b 2 h used; both desks at 09–10.
        ["2026-03-02", "16", "7", "6.833333", "0.4375", "0.427083", "1", "2", "0", "2"],
        ["2026-03-03", "16", "0.5", "0", "0.03125", "0", "0.5", "1", "0", "1"],  # c released
        ["2026-03-04", "16", "0", "0", "0", "0", "0", "0", "1", "1"],  # d cancelled, a miss
        ["2026-03-05", "16", "5", "2", "0.3125", "0.125", "1", "2", "1", "3"],  # e 3 h + f 2 h
        ["2026-03-06", "16", "0", "0", "0", "0", "0", "0", "0", "0"],  # g cancelled before
    ]


def test_the_metrics_as_csv(client, week):
    hub, _ = week
    manager_of(client, hub)

    response = export(client, hub, "csv", table="metrics")

    rows = as_dicts(csv_rows(response))
    assert [r["metric"] for r in rows] == [d.key for d in DEFINITIONS]
    value = {r["metric"]: r["value"] for r in rows}
    assert value["capacity_hours"] == "80"
    assert value["booked_hours"] == "12.5"
    assert value["booking_rate"] == "0.15625"  # a fraction, not "15.6 %"
    assert value["used_hours"] == "8.833333"
    assert value["no_show_rate"] == "0.2"
    assert value["lead_time_median_hours"] == "23"
    assert value["lead_time_p90_hours"] == "72"
    assert value["unique_users"] == "3"
    assert value["cross_org_share"] == "0.68"
    assert value["turned_away_rate"] == "0.222222"
    assert value["desks_needed"] == "3"
    units = {r["metric"]: r["unit"] for r in rows}
    assert (units["booking_rate"], units["booked_hours"], units["bookings"]) == (
        "fraction",
        "hours",
        "count",
    )
    assert all(r["definition"] and r["name"] for r in rows)


def test_a_metric_that_does_not_exist_is_an_empty_cell(client, app, ssa):
    hub = hub_with_desks(1, host=ssa)
    manager_of(client, hub)

    # A weekend: no capacity, so no booking rate (not 0 %).
    rows = as_dicts(csv_rows(export(client, hub, "csv", "2026-03-07", "2026-03-08")))

    value = {r["metric"]: r["value"] for r in rows}
    assert value["capacity_hours"] == "0"
    assert value["booking_rate"] == ""
    assert value["desks_needed"] == ""


@pytest.mark.parametrize("key", TABLE_KEYS)
def test_every_table_has_its_machine_keys_as_csv_header(client, week, key):
    hub, _ = week
    manager_of(client, hub)

    response = export(client, hub, "csv", table=key)

    rows = csv_rows(response)
    assert rows[0] == [column.key for column in COLUMNS[key]]
    assert len(rows) > 1
    assert (
        f'filename="hubbar-{key}-2026-03-02-2026-03-08.csv"'
        in (response.headers["Content-Disposition"])
    )


def test_weeks_weekdays_hours_heatmap_desks_and_lead_times(client, week):
    hub, _ = week
    manager_of(client, hub)

    def table(key):
        return as_dicts(csv_rows(export(client, hub, "csv", table=key)))

    assert table("weeks") == [
        {
            "week": "2026-W10",
            "week_start": "2026-03-02",
            "capacity_hours": "80",
            "booked_hours": "12.5",
            "used_hours": "8.833333",
            "booking_rate": "0.15625",
            "utilisation": "0.110417",
            "open_days": "5",
        }
    ]
    weekdays = table("weekdays")
    assert [r["weekday"] for r in weekdays] == ["0", "1", "2", "3", "4"]
    assert weekdays[0]["booked_hours"] == "7"
    assert weekdays[0]["open_days"] == "1"
    hours = {r["hour"]: r for r in table("hours")}
    assert "12" not in hours  # lunch is closed
    assert hours["9"]["capacity_hours"] == "10"  # 2 desks × 5 days
    assert hours["9"]["booked_hours"] == "4"  # Mon a, b; Thu e, f
    heat = {(r["weekday"], r["hour"]): r["occupancy"] for r in table("heatmap")}
    assert (heat[("0", "9")], heat[("0", "14")], heat[("0", "16")]) == ("1", "0.5", "0")
    assert ("0", "12") not in heat
    desks = {r["desk"]: r for r in table("desks")}
    assert desks["D1"]["booked_hours"] == "8"
    assert desks["D2"]["booking_rate"] == "0.1125"  # 4.5 / 40
    assert (desks["D1"]["booked_days"], desks["D1"]["open_days"]) == ("2", "5")
    assert desks["D1"]["desk_day_usage"] == "0.4"
    assert desks["D1"]["hub"] == "Kungsklippan 6"
    leads = {r["bucket"]: r["bookings"] for r in table("lead_times")}
    assert leads == {
        "lead_1h": "1",
        "lead_1d": "2",
        "lead_3d": "1",
        "lead_7d": "1",
        "lead_more": "0",
    }


def test_the_organisations_for_a_hub_manager(client, week):
    hub, _ = week
    manager_of(client, hub)

    rows = as_dicts(csv_rows(export(client, hub, "csv", table="organisations")))

    assert [r["code"] for r in rows] == ["SSA", "KuF"]  # the host first
    ssa, kuf = rows
    assert (ssa["is_host"], ssa["users"], ssa["bookings"], ssa["booked_hours"]) == (
        "true",
        "1",
        "2",
        "4",
    )
    assert (kuf["users"], kuf["returning_users"], kuf["bookings"], kuf["visits"]) == (
        "2",
        "1",
        "5",
        "3",
    )
    assert (kuf["booked_hours"], kuf["share_of_booked"], kuf["released"]) == ("8.5", "0.68", "1")
    assert (kuf["cancelled"], kuf["demand_misses"]) == ("3", "2")


def test_organisations_of_fewer_than_k_people_are_suppressed_for_evaluators(client, app, week):
    hub, _ = week
    evaluator_of(client, hub)

    rows = as_dicts(csv_rows(export(client, hub, "csv", table="organisations")))

    # SSA has 1 person, KuF 2: both fewer than 3, so every number is "< 3".
    numbers = [c.key for c in COLUMNS["organisations"]][3:]
    for row in rows:
        assert {row[key] for key in numbers} == {"< 3"}, row
    assert [(r["organisation"], r["code"], r["is_host"]) for r in rows] == [
        ("Stadsarkivet", "SSA", "true"),
        ("Kulturförvaltningen", "KuF", "false"),
    ]
    # The figures of the whole hub stay.
    metrics = {r["metric"]: r["value"] for r in as_dicts(csv_rows(export(client, hub, "csv")))}
    assert metrics["booked_hours"] == "12.5"


def test_hiding_one_organisation_hides_the_next_smallest_too(client, app, week):
    """With k = 2 only SSA (1 person) is small, but KuF's row would then be the total minus
    nothing hidden: SSA could be worked out by subtraction, so KuF is hidden as well."""
    hub, _ = week
    evaluator_of(client, hub)
    app.config["HUBBAR_SMALL_GROUP_K"] = 2
    try:
        rows = as_dicts(csv_rows(export(client, hub, "csv", table="organisations")))
    finally:
        app.config["HUBBAR_SMALL_GROUP_K"] = 3

    ssa, kuf = rows
    assert (ssa["users"], ssa["booked_hours"], ssa["share_of_booked"]) == ("< 2", "< 2", "< 2")
    assert (kuf["users"], kuf["booked_hours"], kuf["share_of_booked"]) == ("< 2", "< 2", "< 2")


# --- the raw bookings ----------------------------------------------------------------------


def test_the_raw_bookings_carry_names_for_the_hub_manager(client, week):
    hub, bookings = week
    manager_of(client, hub)

    response = export(client, hub, "csv", table="bookings")

    assert response.headers["Content-Disposition"] == (
        'attachment; filename="hubbar-bookings-2026-03-02-2026-03-08.csv"'
    )
    header, *rows = csv_rows(response)
    assert header == [
        "booking_id",
        "hub",
        "desk",
        "organisation",
        "user",
        "status",
        "start",
        "end",
        "created_at",
        "checked_in_at",
        "checked_out_at",
        "cancelled_at",
        "released_at",
    ]
    b = bookings
    assert [int(r[0]) for r in rows] == [b[x].id for x in "bacdefg"]  # by start
    assert rows[0] == [
        str(b["b"].id),
        "Kungsklippan 6",
        "D2",
        "SSA",
        "Sven Berg",
        "completed",
        "2026-03-02T08:00:00+01:00",
        "2026-03-02T12:00:00+01:00",
        "2026-03-02T07:00:00+01:00",
        "2026-03-02T08:00:00+01:00",
        "2026-03-02T10:00:00+01:00",
        "",
        "",
    ]
    by_id = {int(r[0]): dict(zip(header, r, strict=True)) for r in rows}
    released = by_id[b["c"].id]
    assert (released["user"], released["status"], released["released_at"]) == (
        "Ulla Ek",
        "released",
        "2026-03-03T13:30:00+01:00",
    )
    assert released["checked_in_at"] == released["cancelled_at"] == ""
    cancelled = by_id[b["e"].id]
    assert (cancelled["status"], cancelled["cancelled_at"]) == (
        "cancelled",
        "2026-03-05T11:00:00+01:00",
    )
    assert {r[4] for r in rows} == NAMES


def test_summer_times_have_the_summer_offset(client, app, ssa):
    hub = hub_with_desks(1, host=ssa, name="Sommarhubben")
    user = make_user(ssa, display_name="Sara Sol")
    book(hub.desks[0], user, at("2026-06-15", "09:00"), at("2026-06-15", "10:30"), created=LONG_AGO)

    with time_machine.travel(at("2026-07-01", "12:00"), tick=False):
        manager_of(client, hub)
        rows = csv_rows(export(client, hub, "csv", "2026-06-15", "2026-06-15", table="bookings"))

    row = dict(zip(rows[0], rows[1], strict=True))
    assert (row["start"], row["end"]) == ("2026-06-15T09:00:00+02:00", "2026-06-15T10:30:00+02:00")
    assert row["created_at"] == "2026-01-01T01:00:00+01:00"  # LONG_AGO, in winter


def test_evaluators_see_stable_pseudonyms(client, week):
    hub, _ = week
    evaluator_of(client, hub)

    first = csv_rows(export(client, hub, "csv", table="bookings"))
    second = csv_rows(export(client, hub, "csv", table="bookings"))

    assert first == second
    users = [row[4] for row in first[1:]]
    assert len(users) == 7
    assert all(re.fullmatch(r"P-[0-9a-f]{12}", u) for u in users)
    assert len(set(users)) == 3  # three people, three pseudonyms
    body = "\n".join(",".join(row) for row in first)
    assert not any(name in body for name in NAMES)
    # SSA (1 person) and so KuF too are hidden in the figures: the rows do not name them.
    assert {row[3] for row in first[1:]} == {"< 3"}


def test_an_organisation_admin_sees_only_their_staff_under_pseudonyms(client, week, kuf):
    hub, bookings = week
    logged_in(client, make_org_admin(kuf))

    header, *rows = csv_rows(export(client, hub, "csv", table="bookings"))

    ids = {int(r[0]) for r in rows}
    assert ids == {bookings[x].id for x in "acdeg"}  # Ulla's and Tove's, not Sven's (SSA)
    assert {r[3] for r in rows} == {"KuF"}
    assert all(re.fullmatch(r"P-[0-9a-f]{12}", r[4]) for r in rows)
    assert len({r[4] for r in rows}) == 2
    # The figures are their staff's too.
    metrics = {r["metric"]: r["value"] for r in as_dicts(csv_rows(export(client, hub, "csv")))}
    assert metrics["booked_hours"] == "8.5"
    assert metrics["capacity_hours"] == "80"


def test_pseudonyms_are_the_same_for_an_evaluator_and_an_organisation_admin(app, week, kuf):
    hub, _ = week
    evaluator, admin = app.test_client(), app.test_client()
    evaluator_of(evaluator, hub)
    logged_in(admin, make_org_admin(kuf))

    seen_by_evaluator = {
        r[0]: r[4] for r in csv_rows(export(evaluator, hub, "csv", table="bookings"))
    }
    seen_by_admin = {r[0]: r[4] for r in csv_rows(export(admin, hub, "csv", table="bookings"))}

    assert seen_by_admin.items() <= seen_by_evaluator.items()


def test_the_organisation_filter_narrows_the_raw_bookings(client, week, kuf):
    hub, bookings = week
    manager_of(client, hub)

    rows = csv_rows(export(client, hub, "csv", table="bookings", organisation=kuf.id))

    assert {int(r[0]) for r in rows[1:]} == {bookings[x].id for x in "acdeg"}
    assert {r[4] for r in rows[1:]} == {"Ulla Ek", "Tove Lind"}  # names: the manager's hub


def test_text_that_looks_like_a_formula_stays_text(client, app, ssa):
    hub = hub_with_desks(0, host=ssa)
    desk = make_desk(hub, label="=1+2")
    user = make_user(ssa, display_name="@SUM(A1)")
    book(desk, user, at(MON, "09:00"), at(MON, "10:00"), created=LONG_AGO)
    manager_of(client, hub)

    rows = csv_rows(export(client, hub, "csv", table="bookings"))
    assert (rows[1][2], rows[1][4]) == ("'=1+2", "'@SUM(A1)")
    book_ = workbook(export(client, hub, "xlsx"))
    bookings = book_.worksheets[-1]
    assert (bookings["C2"].value, bookings["C2"].data_type) == ("=1+2", "s")
    assert bookings["E2"].value == "@SUM(A1)"


# --- XLSX ----------------------------------------------------------------------------------


def test_the_workbook_holds_every_table_and_the_bookings(client, week):
    hub, bookings = week
    manager_of(client, hub, locale="en")

    response = export(client, hub, "xlsx")

    assert response.headers["Content-Disposition"] == (
        'attachment; filename="hubbar-occupancy-2026-03-02-2026-03-08.xlsx"'
    )
    book_ = workbook(response)
    assert book_.sheetnames == [
        "About",
        "Key figures",
        "Days",
        "Weeks",
        "Weekdays",
        "Hours of the day",
        "Weekday × hour",
        "Organisations",
        "Desks",
        "Lead times",
        "Bookings",
    ]
    sheets = dict(zip(["about", *TABLE_KEYS, "bookings"], book_.worksheets, strict=True))

    about = "\n".join(str(v) for row in sheet_rows(sheets["about"]) for v in row if v is not None)
    assert "Kungsklippan 6" in about
    assert "2026-03-02" in about and "2026-03-08" in about
    assert "2026-03-09T00:00+01:00" in about  # counted until the end of the period
    assert "names" in about  # the audience: a hub manager sees names
    with force_locale("en"):
        assert all(str(d.definition) in about for d in DEFINITIONS)

    days = sheets["days"]
    assert days.freeze_panes == "A2"
    assert days["A1"].font.b
    assert [c.value for c in days[1]][:5] == [
        "Date",
        "Capacity (desk-hours)",
        "Booked desk-hours",
        "Used desk-hours",
        "Booking rate",
    ]
    monday = [c for c in days[2]]
    assert monday[0].value == datetime(2026, 3, 2)  # a date, not text
    assert monday[0].number_format == "yyyy-mm-dd"
    assert (monday[1].value, monday[2].value) == (16, 7)
    assert monday[3].value == pytest.approx(4 + 50 / 60 + 2)
    assert monday[4].value == 0.4375  # a fraction shown in per cent
    assert monday[4].number_format == "0.0%"
    assert [r[9] for r in sheet_rows(days)[1:]] == [2, 1, 1, 3, 0]  # desks needed per day
    assert days.column_dimensions["B"].width >= 10

    metrics = {row[0]: row for row in sheet_rows(sheets["metrics"])[1:]}
    assert metrics["booking_rate"][2] == 0.15625
    assert metrics["desks_needed"][2] == 3
    assert metrics["capacity_hours"][2] == 80
    value_cells = {row[0].value: row[2] for row in sheets["metrics"].iter_rows(min_row=2)}
    assert value_cells["booking_rate"].number_format == "0.0%"
    assert value_cells["booked_hours"].number_format == "0.00"

    organisations = sheet_rows(sheets["organisations"])
    assert organisations[1][:4] == ["Stadsarkivet", "SSA", True, 1]

    raw = sheet_rows(sheets["bookings"])
    assert raw[0] == list(RAW_COLUMNS)
    assert len(raw) == 8
    b = bookings["b"]
    assert raw[1] == [
        b.id,
        "Kungsklippan 6",
        "D2",
        "SSA",
        "Sven Berg",
        "completed",
        "2026-03-02T08:00:00+01:00",
        "2026-03-02T12:00:00+01:00",
        "2026-03-02T07:00:00+01:00",
        "2026-03-02T08:00:00+01:00",
        "2026-03-02T10:00:00+01:00",
        None,
        None,
    ]
    # The sheet and the CSV hold the same bookings.
    rows = csv_rows(export(client, hub, "csv", table="bookings"))
    assert [[str(v) if v is not None else "" for v in row] for row in raw] == rows


def test_the_evaluators_workbook_suppresses_and_pseudonymises(client, week):
    hub, _ = week
    evaluator_of(client, hub, locale="en")

    book_ = workbook(export(client, hub, "xlsx"))

    sheets = dict(zip(["about", *TABLE_KEYS, "bookings"], book_.worksheets, strict=True))
    organisations = sheet_rows(sheets["organisations"])[1:]
    assert [row[3:] for row in organisations] == [["< 3"] * 10, ["< 3"] * 10]
    users = {row[4] for row in sheet_rows(sheets["bookings"])[1:]}
    assert len(users) == 3 and all(re.fullmatch(r"P-[0-9a-f]{12}", u) for u in users)
    about = " ".join(str(v) for row in sheet_rows(sheets["about"]) for v in row if v)
    assert "pseudonyms" in about and "< 3" in about
    assert sheet_rows(sheets["metrics"])[1 + 2][2] == 0.15625  # booking_rate: the third metric


def test_a_period_that_reaches_now_says_so(client, week):
    hub, _ = week

    with time_machine.travel(at("2026-03-04", "10:30"), tick=False):
        manager_of(client, hub, locale="en")
        book_ = workbook(export(client, hub, "xlsx"))

    about = " ".join(str(v) for row in sheet_rows(book_.worksheets[0]) for v in row if v)
    assert "2026-03-04T10:30+01:00" in about
    assert "counts only up to then" in about


# --- refusals ------------------------------------------------------------------------------


def test_only_logged_in_people_may_export(client, week):
    hub, _ = week
    response = export(client, hub, "csv")
    assert response.status_code == 302
    assert location(response).startswith("/login")


def test_an_unknown_format_is_not_found(client, week):
    hub, _ = week
    manager_of(client, hub)
    assert export(client, hub, "pdf").status_code == 404
    assert client.get("/dashboard/export.").status_code == 404


@pytest.mark.parametrize(
    ("extra", "status"),
    [
        ({"table": "people"}, 400),
        ({"from": "2026-03-09"}, 400),  # after the last day
        ({"from": "2026-13-01"}, 400),
        ({"period": "someday"}, 400),
        ({"organisation": "x"}, 400),
        ({"organisation": "999999"}, 404),
        ({"hub": "999999"}, 404),
    ],
)
def test_bad_input_is_refused_with_a_message(client, week, extra, status):
    hub, _ = week
    manager_of(client, hub)
    assert export(client, hub, "csv", **extra).status_code == status


def test_someone_elses_hub_is_forbidden(client, week, ssa):
    hub, _ = week
    own = hub_with_desks(1, host=ssa)
    manager_of(client, own)  # manages another hub, not this one

    assert export(client, hub, "csv").status_code == 403
    assert export(client, hub, "xlsx").status_code == 403
    assert export(client, hub, "csv", table="bookings").status_code == 403


def test_an_employee_without_a_role_sees_no_occupancy(client, week, kuf):
    hub, _ = week
    logged_in(client, make_user(kuf))
    assert export(client, hub, "csv").status_code == 404  # no hub they may see


def test_an_organisation_admin_may_not_choose_another_organisation(client, week, kuf, ssa):
    hub, _ = week
    logged_in(client, make_org_admin(kuf))
    assert export(client, hub, "csv", table="bookings", organisation=ssa.id).status_code == 403
    assert export(client, hub, "csv", organisation=ssa.id).status_code == 403


def test_cancelled_status_is_written_as_its_value(client, week):
    hub, bookings = week
    manager_of(client, hub)
    rows = as_dicts(csv_rows(export(client, hub, "csv", table="bookings")))
    statuses = {int(r["booking_id"]): r["status"] for r in rows}
    assert statuses[bookings["d"].id] == BookingStatus.CANCELLED.value
