"""The cost-sharing calculation, checked against hand-computed shares for every model.

The usage below: three organisations and two hubs hosted by different organisations.

    hub           host  organisation         booked h  used h  bookings  users
    Arkivhubben   SSA   Stadsarkivet (SSA)       40      30        10       4
    Arkivhubben   SSA   Kulturförv. (KuF)        30      20         6       3
    Arkivhubben   SSA   Miljöförv. (MF)          10      10         2       1
    Kulturhubben  KuF   Stadsarkivet (SSA)       12       6         3       2
    Kulturhubben  KuF   Kulturförv. (KuF)         8       8         2       2

    per organisation    booked 52 / 38 / 10 = 100 h, used 36 / 28 / 10 = 74 h,
    (SSA / KuF / MF)    bookings 13 / 8 / 2, users 6 / 5 / 1 = 12
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from flask_babel import force_locale

from hubbar.costs.models import CostKey
from hubbar.costs.operations import (
    Scenario,
    Usage,
    hub_cost,
    months,
    pick,
    previous_quarter,
    quarter_dates,
    scenarios,
    split,
)
from hubbar.errors import InvalidInput
from hubbar.pilots.models import ChargingModel

SSA, KUF, MF = 1, 2, 3
NAMES = {SSA: "Stadsarkivet", KUF: "Kulturförvaltningen", MF: "Miljöförvaltningen"}
ARKIV, KULTUR = 10, 20
COST = Decimal("1000.00")
D = Decimal


def usage_row(hub_id, host, org, booked, used, bookings, users) -> Usage:
    hub_name = "Arkivhubben" if hub_id == ARKIV else "Kulturhubben"
    return Usage(hub_id, hub_name, host, org, NAMES[org], booked, used, bookings, users)


USAGE = [
    usage_row(ARKIV, SSA, SSA, 40.0, 30.0, 10, 4),
    usage_row(ARKIV, SSA, KUF, 30.0, 20.0, 6, 3),
    usage_row(ARKIV, SSA, MF, 10.0, 10.0, 2, 1),
    usage_row(KULTUR, KUF, SSA, 12.0, 6.0, 3, 2),
    usage_row(KULTUR, KUF, KUF, 8.0, 8.0, 2, 2),
]


def amounts(scenario: Scenario) -> dict[int, Decimal]:
    return {s.organisation_id: s.amount for s in scenario.shares}


def bases(scenario: Scenario) -> dict[int, float | None]:
    return {s.organisation_id: s.basis for s in scenario.shares}


@pytest.fixture(autouse=True)
def english():
    """The descriptions in English, with English number formats (1,000.00)."""
    with force_locale("en"):
        yield


@pytest.fixture()
def all_models() -> list[Scenario]:
    return scenarios(
        COST,
        USAGE,
        price_per_booking=D("25.50"),
        headcounts={SSA: 100, KUF: 50, MF: 50},
    )


def test_one_scenario_per_model_in_order(all_models):
    assert [(s.model, s.key) for s in all_models] == [
        (ChargingModel.NONE, None),
        (ChargingModel.ACTUAL_USE, CostKey.BOOKED_HOURS),
        (ChargingModel.ACTUAL_USE, CostKey.USED_HOURS),
        (ChargingModel.STIPULATED, CostKey.USERS),
        (ChargingModel.STIPULATED, CostKey.HEADCOUNT),
        (ChargingModel.PER_BOOKING, None),
        (ChargingModel.EQUAL_SPLIT, None),
        (ChargingModel.TIME_BANK, None),
    ]
    # Every scenario lists the same organisations, by name.
    for scenario in all_models:
        assert [s.organisation_name for s in scenario.shares] == [
            "Kulturförvaltningen",
            "Miljöförvaltningen",
            "Stadsarkivet",
        ]


def test_without_headcounts_there_is_no_headcount_scenario():
    found = scenarios(COST, USAGE, price_per_booking=D("0"))
    assert (ChargingModel.STIPULATED, CostKey.HEADCOUNT) not in [(s.model, s.key) for s in found]
    assert len(found) == 7


def test_no_charging(all_models):
    none = pick(all_models, ChargingModel.NONE, None)
    assert none.total == D("1000.00")  # what the host bears
    assert amounts(none) == {SSA: D("0.00"), KUF: D("0.00"), MF: D("0.00")}
    assert none.rate is None and none.rate_unit == ""
    assert "hub cost of 1,000.00 kr" in none.description


def test_actual_use_by_booked_hours(all_models):
    # 1000.00 over 100 h = 10.00 per hour: 52 h → 520.00, 38 h → 380.00, 10 h → 100.00.
    scenario = pick(all_models, ChargingModel.ACTUAL_USE, CostKey.BOOKED_HOURS)
    assert bases(scenario) == {SSA: 52.0, KUF: 38.0, MF: 10.0}
    assert amounts(scenario) == {SSA: D("520.00"), KUF: D("380.00"), MF: D("100.00")}
    assert scenario.rate == D("10.00") and scenario.rate_unit == "hour"
    assert scenario.total == scenario.charged == COST
    assert scenario.description == (
        "Shared by booked desk-hours: 100.0 hours at 10.00 kr per hour."
    )


def test_actual_use_by_used_hours_rounds_by_largest_remainder(all_models):
    # 1000.00 over 74 h: in öre 100000 × 36/74 = 48648.65, × 28/74 = 37837.84,
    # × 10/74 = 13513.51. Floored: 48648 + 37837 + 13513 = 99998 öre, 2 öre left: they go to
    # the largest fractions, KuF (.84) and SSA (.65), not MF (.51).
    scenario = pick(all_models, ChargingModel.ACTUAL_USE, CostKey.USED_HOURS)
    assert amounts(scenario) == {SSA: D("486.49"), KUF: D("378.38"), MF: D("135.13")}
    assert scenario.charged == COST
    assert scenario.rate == D("13.51")  # 1000 / 74 = 13.5135…
    assert scenario.description == "Shared by used desk-hours: 74.0 hours at 13.51 kr per hour."


def test_stipulated_by_users_from_usage(all_models):
    # 12 users: 6/12 → 500.00; 5/12 → 41666.67 öre; 1/12 → 8333.33 öre. Floored 99999, the
    # last öre to KuF (.67). Rate 1000 / 12 = 83.33 per user.
    scenario = pick(all_models, ChargingModel.STIPULATED, CostKey.USERS)
    assert bases(scenario) == {SSA: 6, KUF: 5, MF: 1}
    assert amounts(scenario) == {SSA: D("500.00"), KUF: D("416.67"), MF: D("83.33")}
    assert scenario.charged == COST
    assert scenario.rate == D("83.33") and scenario.rate_unit == "user"
    assert scenario.description == "Shared by registered users: 12 users at 83.33 kr per user."


def test_stipulated_by_registered_users_given():
    # 10 + 20 + 0 registered users: 1000 × 10/30 = 333.33…, × 20/30 = 666.66…; in öre 33333.33
    # and 66666.67, floored 99999, the last öre to KuF (.67).
    found = scenarios(
        COST, USAGE, price_per_booking=D("0"), registered_users={SSA: 10, KUF: 20, MF: 0}
    )
    scenario = pick(found, ChargingModel.STIPULATED, CostKey.USERS)
    assert amounts(scenario) == {SSA: D("333.33"), KUF: D("666.67"), MF: D("0.00")}
    assert scenario.rate == D("33.33")


def test_stipulated_by_headcount(all_models):
    # 100 + 50 + 50 = 200 people at 5.00 per head.
    scenario = pick(all_models, ChargingModel.STIPULATED, CostKey.HEADCOUNT)
    assert bases(scenario) == {SSA: 100, KUF: 50, MF: 50}
    assert amounts(scenario) == {SSA: D("500.00"), KUF: D("250.00"), MF: D("250.00")}
    assert scenario.rate == D("5.00") and scenario.rate_unit == "head"
    assert scenario.description == "Shared by headcount: 200 people at 5.00 kr per head."


def test_price_per_booking(all_models):
    # 13 × 25.50 = 331.50; 8 × 25.50 = 204.00; 2 × 25.50 = 51.00; total 586.50.
    scenario = pick(all_models, ChargingModel.PER_BOOKING, None)
    assert bases(scenario) == {SSA: 13, KUF: 8, MF: 2}
    assert amounts(scenario) == {SSA: D("331.50"), KUF: D("204.00"), MF: D("51.00")}
    assert scenario.total == scenario.charged == D("586.50")
    assert scenario.rate == D("25.50") and scenario.rate_unit == "booking"
    assert scenario.description == "Price per booking: 23 bookings at 25.50 kr per booking."


def test_equal_split_gives_the_odd_ore_by_name(all_models):
    # 1000.00 / 3 = 333.33⅓: floored 3 × 33333 = 99999 öre; the fractions tie, so the last
    # öre goes to the first by name, Kulturförvaltningen.
    scenario = pick(all_models, ChargingModel.EQUAL_SPLIT, None)
    assert amounts(scenario) == {SSA: D("333.33"), KUF: D("333.34"), MF: D("333.33")}
    assert bases(scenario) == {SSA: None, KUF: None, MF: None}
    assert scenario.charged == COST
    assert scenario.rate == D("333.33") and scenario.rate_unit == "organisation"
    assert scenario.description == "Shared equally by 3 organisations: 333.33 kr each."


def test_equal_split_includes_organisations_without_usage():
    found = scenarios(D("100.00"), USAGE, price_per_booking=D("0"), organisations={4: "Bolaget"})
    scenario = pick(found, ChargingModel.EQUAL_SPLIT, None)
    assert amounts(scenario) == {4: D("25.00"), SSA: D("25.00"), KUF: D("25.00"), MF: D("25.00")}


def test_time_bank_nets_each_pair_across_two_hubs(all_models):
    # KuF's staff booked 30 h at SSA's hub, SSA's staff 12 h at KuF's: KuF owes SSA 18 h.
    # MF's staff booked 10 h at SSA's hub and MF hosts no hub: MF owes SSA 10 h.
    # A host's own staff at its own hub (SSA 40 h, KuF 8 h) do not count.
    # Without a capacity the hour is worth 1000.00 / 100 booked hours = 10.00:
    # KuF owes 180.00, MF owes 100.00, SSA receives 280.00.
    scenario = pick(all_models, ChargingModel.TIME_BANK, None)
    assert scenario.rate == D("10.00") and scenario.rate_unit == "hour"
    pairs = [(b.debtor_id, b.creditor_id, b.hours, b.amount) for b in scenario.balances]
    assert pairs == [(KUF, SSA, 18.0, D("180.00")), (MF, SSA, 10.0, D("100.00"))]
    assert amounts(scenario) == {KUF: D("180.00"), MF: D("100.00"), SSA: D("-280.00")}
    assert bases(scenario) == {KUF: 18.0, MF: 10.0, SSA: -28.0}
    assert scenario.charged == D("0.00")  # net balances
    assert "at 10.00 kr per desk-hour (the hub cost of 1,000.00 kr over 100.0 desk-hours)" in (
        scenario.description
    )


def test_time_bank_rate_from_capacity():
    # 1000.00 / 300 capacity hours = 3.333… → 3.33 per hour, and the amounts are the hours
    # times the rate as shown: 18 × 3.33 = 59.94, 10 × 3.33 = 33.30.
    found = scenarios(COST, USAGE, price_per_booking=D("0"), capacity_hours=300.0)
    scenario = pick(found, ChargingModel.TIME_BANK, None)
    assert scenario.rate == D("3.33")
    assert [b.amount for b in scenario.balances] == [D("59.94"), D("33.30")]
    assert amounts(scenario) == {KUF: D("59.94"), MF: D("33.30"), SSA: D("-93.24")}
    assert "3.33 kr" in scenario.description and "300.0 desk-hours" in scenario.description


def test_time_bank_reverse_direction_and_even_pair():
    # SSA's staff 20 h at KuF's hub against KuF's 5 h at SSA's: SSA owes KuF 15 h.
    # MF 4 h at SSA's hub; SSA never at MF's (MF hosts none): MF owes SSA 4 h.
    usage = [
        usage_row(ARKIV, SSA, KUF, 5.0, 0.0, 1, 1),
        usage_row(KULTUR, KUF, SSA, 20.0, 0.0, 2, 1),
        usage_row(ARKIV, SSA, MF, 4.0, 0.0, 1, 1),
    ]
    found = scenarios(D("290.00"), usage, price_per_booking=D("0"))
    scenario = pick(found, ChargingModel.TIME_BANK, None)
    # 290.00 / 29 booked hours = 10.00 an hour.
    assert [(b.debtor_name, b.creditor_name, b.hours, b.amount) for b in scenario.balances] == [
        ("Miljöförvaltningen", "Stadsarkivet", 4.0, D("40.00")),
        ("Stadsarkivet", "Kulturförvaltningen", 15.0, D("150.00")),
    ]
    assert amounts(scenario) == {KUF: D("-150.00"), MF: D("40.00"), SSA: D("110.00")}
    assert sum(amounts(scenario).values()) == 0


def test_shares_add_up_to_the_total(all_models):
    for scenario in all_models:
        if scenario.model in (ChargingModel.NONE, ChargingModel.TIME_BANK):
            continue
        assert scenario.charged == scenario.total, scenario.model
        for share in scenario.shares:
            assert share.amount == share.amount.quantize(D("0.01"))


@pytest.mark.parametrize(
    ("total", "weights", "expected"),
    [
        # 100.00 in three: naive rounding gives 3 × 33.33 = 99.99.
        ("100.00", {1: 1, 2: 1, 3: 1}, {1: "33.34", 2: "33.33", 3: "33.33"}),
        # 0.05 by 1:1: 2.5 öre each; the tie goes by name ("A" before "B").
        ("0.05", {1: 1, 2: 1}, {1: "0.03", 2: "0.02"}),
        # 10.00 by 1:2:3: 166.67, 333.33 and 500 öre; floored 166 + 333 + 500 = 999, the last
        # öre to the largest fraction (.67).
        ("10.00", {1: 1, 2: 2, 3: 3}, {1: "1.67", 2: "3.33", 3: "5.00"}),
        # 200.00 in seven: 20000 öre / 7 = 2857.14…; floored 7 × 2857 = 19999, 1 öre to "A".
        (
            "200.00",
            dict.fromkeys(range(1, 8), 1),
            {1: "28.58"} | dict.fromkeys(range(2, 8), "28.57"),
        ),
    ],
)
def test_split_by_largest_remainder(total, weights, expected):
    names = {i: chr(ord("A") + i - 1) for i in weights}
    parts = split(D(total), {k: Fraction(v) for k, v in weights.items()}, names)
    assert sum(parts.values()) == D(total)
    assert parts == {k: D(v) for k, v in expected.items()}


def test_keys_without_any_value_charge_nobody():
    # Nobody booked anything: the hour-, user- and booking-based models charge nobody and say
    # so; an equal split still shares the cost among the organisations given.
    found = scenarios(
        D("500.00"),
        [],
        price_per_booking=D("40.00"),
        headcounts={},
        organisations={SSA: "Stadsarkivet", KUF: "Kulturförvaltningen"},
    )
    for model, key, words in [
        (ChargingModel.ACTUAL_USE, CostKey.BOOKED_HOURS, "none were booked"),
        (ChargingModel.ACTUAL_USE, CostKey.USED_HOURS, "none were used"),
        (ChargingModel.STIPULATED, CostKey.USERS, "there are none"),
        (ChargingModel.STIPULATED, CostKey.HEADCOUNT, "no headcount"),
        (ChargingModel.PER_BOOKING, None, "no bookings"),
        (ChargingModel.TIME_BANK, None, "no desk-hours"),
    ]:
        scenario = pick(found, model, key)
        assert set(amounts(scenario).values()) == {D("0.00")}, model
        assert scenario.rate is None or model is ChargingModel.PER_BOOKING
        assert words in scenario.description, (model, scenario.description)
    equal = pick(found, ChargingModel.EQUAL_SPLIT, None)
    assert amounts(equal) == {SSA: D("250.00"), KUF: D("250.00")}


def test_round_trip_through_data(all_models):
    import json

    for scenario in all_models:
        data = json.loads(json.dumps(scenario.to_data()))
        assert Scenario.from_data(data) == scenario
    booked = all_models[1].to_data()
    assert booked["model"] == "actual_use" and booked["key"] == "booked_hours"
    assert booked["total"] == "1000.00" and booked["rate"] == "10.00"
    assert booked["shares"][0] == {
        "organisation_id": KUF,
        "organisation_name": "Kulturförvaltningen",
        "basis": 38.0,
        "amount": "380.00",
    }


# --- hub cost ------------------------------------------------------------------------------


def test_hub_cost_of_whole_months():
    # 5 desks × 1000.00 + 3000.00 fixed = 8000.00 a month; a quarter is 3 months.
    assert hub_cost(5, D("1000.00"), D("3000.00"), date(2026, 3, 1), date(2026, 3, 31)) == D(
        "8000.00"
    )
    assert hub_cost(5, D("1000.00"), D("3000.00"), date(2026, 7, 1), date(2026, 9, 30)) == D(
        "24000.00"
    )


def test_hub_cost_across_a_month_boundary():
    # 2026-01-20..2026-02-10: 12 of January's 31 days and 10 of February's 28.
    # 8000 × (12/31 + 10/28) = 8000 × 323/434 = 5953.917… → 5953.92.
    assert months(date(2026, 1, 20), date(2026, 2, 10)) == pytest.approx(12 / 31 + 10 / 28)
    assert hub_cost(5, D("1000.00"), D("3000.00"), date(2026, 1, 20), date(2026, 2, 10)) == D(
        "5953.92"
    )


def test_hub_cost_in_a_leap_february():
    # 2028 is a leap year: 2028-02-15..2028-03-14 is 15 of February's 29 days and 14 of
    # March's 31. 2 desks × 1234.50 + 500.00 = 2969.00 a month;
    # 2969 × (15/29 + 14/31) = 2969 × 871/899 = 2876.5261… → 2876.53.
    assert hub_cost(2, D("1234.50"), D("500.00"), date(2028, 2, 15), date(2028, 3, 14)) == D(
        "2876.53"
    )
    # The whole leap February is one month: 2969.00.
    assert hub_cost(2, D("1234.50"), D("500.00"), date(2028, 2, 1), date(2028, 2, 29)) == D(
        "2969.00"
    )


def test_hub_cost_of_one_day_and_of_no_days():
    # One day of 31: 3100.00 / 31 = 100.00.
    assert hub_cost(1, D("3100.00"), D("0"), date(2026, 1, 5), date(2026, 1, 5)) == D("100.00")
    assert hub_cost(1, D("3100.00"), D("0"), date(2026, 1, 5), date(2026, 1, 4)) == D("0.00")


# --- quarters ------------------------------------------------------------------------------


def test_quarters():
    assert quarter_dates("2026-Q3") == (date(2026, 7, 1), date(2026, 9, 30))
    assert quarter_dates("2028-q1") == (date(2028, 1, 1), date(2028, 3, 31))
    assert previous_quarter(date(2026, 11, 24)) == "2026-Q3"
    assert previous_quarter(date(2026, 1, 1)) == "2025-Q4"
    for bad in ("", "2026", "2026-Q5", "2026-Q0", "Q3-2026", "0000-Q1", "1999-Q4", "x"):
        with pytest.raises(InvalidInput):
            quarter_dates(bad)
