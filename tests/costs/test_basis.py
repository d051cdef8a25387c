"""The quarterly charging basis of an agreement: on its page and as XLSX and CSV, from the
hub's real bookings (through the occupancy figures).

The hub: Kungsklippan 6, hosted by Stadsarkivet, 2 desks open Monday to Friday 08–17.
Bookings in 2026-Q1 (all completed):

    Mon 2 March 09–16   Kulturförvaltningen   7 h
    Tue 3 March 08–12   Stadsarkivet          4 h
    Wed 4 March 10–12   Miljöförvaltningen    2 h
                                              13 h booked in all

Agreement: actual use by booked desk-hours, 1000.00 per desk-month, 500.00 fixed per month.
Hub cost of the quarter: (2 × 1000 + 500) × 3 months = 7500.00.
Shares, in öre: 750000 × 7/13 = 403846.15, × 4/13 = 230769.23, × 2/13 = 115384.62 (.615);
floored 403846 + 230769 + 115384 = 749999, the last öre to the largest fraction (MF, .615):
KuF 4038.46, SSA 2307.69, MF 1153.85 = 7500.00. Rate 7500 / 13 = 576.92 per hour.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal

import pytest
import time_machine
from openpyxl import load_workbook

from hubbar.costs.models import CostKey
from hubbar.costs.operations import (
    AgreementTerms,
    charging_basis,
    create_agreement,
    pick,
    scenarios,
    usage_for,
)
from hubbar.extensions import db
from hubbar.pilots.models import ChargingModel
from tests.bookings.clock import at
from tests.costs.helpers import shown
from tests.factories import login, make_hub_manager, make_organisation, make_user
from tests.helpers import location, text
from tests.occupancy.conftest import book, hub_with_desks

D = Decimal


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(at("2026-04-15", "12:00"), tick=False):
        yield


@pytest.fixture()
def orgs():
    return {
        "ssa": make_organisation(name="Stadsarkivet", code="SSA"),
        "kuf": make_organisation(name="Kulturförvaltningen", code="KuF"),
        "mf": make_organisation(name="Miljöförvaltningen", code="MF"),
    }


@pytest.fixture()
def hub(orgs):
    hub = hub_with_desks(2, host=orgs["ssa"], name="Kungsklippan 6")
    hub.admitted_organisations = [orgs["kuf"], orgs["mf"]]
    db.session.commit()
    d1, d2 = hub.desks
    people = {key: make_user(org) for key, org in orgs.items()}
    created = at("2026-02-20", "09:00")
    book(d1, people["kuf"], at("2026-03-02", "09:00"), at("2026-03-02", "16:00"), created=created)
    book(d2, people["ssa"], at("2026-03-03", "08:00"), at("2026-03-03", "12:00"), created=created)
    book(d1, people["mf"], at("2026-03-04", "10:00"), at("2026-03-04", "12:00"), created=created)
    return hub


def agreement_for(hub, **overrides):
    values = {
        "hub": hub,
        "model": ChargingModel.ACTUAL_USE,
        "key": CostKey.BOOKED_HOURS,
        "start_date": date(2026, 1, 1),
        "cost_per_desk_month": D("1000.00"),
        "fixed_cost_per_month": D("500.00"),
    }
    values.update(overrides)
    return create_agreement(None, AgreementTerms(**values))


def by_name(scenario) -> dict[str, Decimal]:
    return {s.organisation_name: s.amount for s in scenario.shares}


def test_basis_of_a_quarter(hub):
    basis = charging_basis(agreement_for(hub), "2026-Q1")
    assert (basis.first, basis.last) == (date(2026, 1, 1), date(2026, 3, 31))
    assert basis.desks == 2 and basis.cost == D("7500.00")
    scenario = basis.scenario
    assert scenario.model is ChargingModel.ACTUAL_USE and scenario.key is CostKey.BOOKED_HOURS
    assert by_name(scenario) == {
        "Kulturförvaltningen": D("4038.46"),
        "Miljöförvaltningen": D("1153.85"),
        "Stadsarkivet": D("2307.69"),
    }
    assert {s.organisation_name: s.basis for s in scenario.shares} == {
        "Kulturförvaltningen": 7.0,
        "Miljöförvaltningen": 2.0,
        "Stadsarkivet": 4.0,
    }
    assert scenario.rate == D("576.92") and scenario.charged == D("7500.00")
    assert not basis.partial


def test_basis_clipped_to_the_agreement(hub):
    # From 15 February: 14 of February's 28 days and all of March = 1.5 months × 2500.00.
    basis = charging_basis(agreement_for(hub, start_date=date(2026, 2, 15)), "2026-Q1")
    assert (basis.first, basis.last) == (date(2026, 2, 15), date(2026, 3, 31))
    assert basis.clipped and basis.cost == D("3750.00")
    # In öre: 375000 × 7/13 = 201923.08, × 4/13 = 115384.62 (.615), × 2/13 = 57692.31;
    # floored 201923 + 115384 + 57692 = 374999, the last öre to the largest fraction, SSA.
    assert by_name(basis.scenario) == {
        "Kulturförvaltningen": D("2019.23"),
        "Miljöförvaltningen": D("576.92"),
        "Stadsarkivet": D("1153.85"),
    }


def test_quarter_outside_the_agreement(hub):
    basis = charging_basis(agreement_for(hub, start_date=date(2026, 4, 1)), "2026-Q1")
    assert not basis.covered and basis.scenario is None and basis.cost == D("0.00")


def test_other_models_for_the_same_quarter(hub, orgs):
    # Equal split among host and admitted organisations: 7500 / 3 = 2500.00 each.
    equal = charging_basis(agreement_for(hub, model=ChargingModel.EQUAL_SPLIT), "2026-Q1")
    assert set(by_name(equal.scenario).values()) == {D("2500.00")}


def test_per_booking_and_headcount(hub, orgs):
    per_booking = agreement_for(
        hub, model=ChargingModel.PER_BOOKING, key=None, price_per_booking=D("120.00")
    )
    scenario = charging_basis(per_booking, "2026-Q1").scenario
    # One booking each at 120.00.
    assert set(by_name(scenario).values()) == {D("120.00")} and scenario.total == D("360.00")
    per_booking.end_date = date(2026, 3, 31)
    db.session.commit()
    heads = agreement_for(
        hub,
        model=ChargingModel.STIPULATED,
        key=CostKey.HEADCOUNT,
        start_date=date(2026, 4, 1),
        headcounts={orgs["ssa"].id: 30, orgs["kuf"].id: 10, orgs["mf"].id: 0},
    )
    # 2026-Q2 counted up to now (15 April): the cost of the whole quarter, 7500.00, by
    # headcount 30:10:0 → 5625.00 and 1875.00.
    basis = charging_basis(heads, "2026-Q2")
    assert basis.partial
    assert by_name(basis.scenario) == {
        "Kulturförvaltningen": D("1875.00"),
        "Miljöförvaltningen": D("0.00"),
        "Stadsarkivet": D("5625.00"),
    }


def test_page_shows_the_basis_of_the_last_finished_quarter(client, hub):
    agreement = agreement_for(hub)
    login(client, make_hub_manager(hub))
    page = client.get(f"/agreements/{agreement.id}")
    assert page.status_code == 200
    body = text(page)
    assert "2026-Q1" in body
    # Amounts as the Swedish page writes them.
    for amount in ("4\u00a0038,46 kr", "1\u00a0153,85 kr", "2\u00a0307,69 kr", "7\u00a0500,00 kr"):
        assert amount in body
    assert "576,92 kr" in body
    assert f"/agreements/{agreement.id}/basis.xlsx?quarter=2026-Q1" in body


def test_bad_quarter_is_a_message_not_an_error(client, admin, hub):
    agreement = agreement_for(hub)
    for path in ("", "/basis.csv", "/basis.xlsx"):
        response = client.get(f"/agreements/{agreement.id}{path}?quarter=2026-Q9")
        assert response.status_code == 302, path
        assert location(response) == f"/agreements/{agreement.id}"
        page = client.get(location(response))
        assert shown("Write the quarter as year and quarter, for example 2026-Q3.") in text(page)
    # A quarter the agreement does not cover: the page says so, a download is refused.
    page = client.get(f"/agreements/{agreement.id}?quarter=2025-Q4")
    assert page.status_code == 200
    message = shown("The agreement does not cover %(quarter)s.", quarter="2025-Q4")
    assert message in text(page)
    response = client.get(f"/agreements/{agreement.id}/basis.csv?quarter=2025-Q4")
    assert response.status_code == 302
    assert message in text(client.get(location(response)))


def test_csv(client, admin, hub):
    agreement = agreement_for(hub)
    response = client.get(f"/agreements/{agreement.id}/basis.csv?quarter=2026-Q1")
    assert response.status_code == 200
    assert response.content_type == "text/csv; charset=utf-8"
    assert "hubbar-charging-basis" in response.headers["Content-Disposition"]
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")
    header, *rows = list(csv.reader(io.StringIO(body[1:])))
    assert header == [
        "quarter", "from", "to", "hub", "model", "key", "organisation_id", "organisation",
        "basis", "unit", "rate", "amount",
    ]  # fmt: skip
    records = [dict(zip(header, row, strict=True)) for row in rows]
    assert [(r["organisation"], r["basis"], r["amount"]) for r in records] == [
        ("Kulturförvaltningen", "7", "4038.46"),
        ("Miljöförvaltningen", "2", "1153.85"),
        ("Stadsarkivet", "4", "2307.69"),
    ]
    first = records[0]
    assert (first["quarter"], first["from"], first["to"]) == ("2026-Q1", "2026-01-01", "2026-03-31")
    assert (first["model"], first["key"], first["unit"], first["rate"]) == (
        "actual_use",
        "booked_hours",
        "hour",
        "576.92",
    )
    assert sum(D(r["amount"]) for r in records) == D("7500.00")


def test_xlsx(client, admin, hub):
    agreement = agreement_for(hub)
    response = client.get(f"/agreements/{agreement.id}/basis.xlsx?quarter=2026-Q1")
    assert response.status_code == 200
    assert response.content_type.startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    cells = {row[0].value: row[1:] for row in sheet.iter_rows() if row[0].value is not None}
    assert cells[shown("Hub")][0].value == "Kungsklippan 6"
    assert cells[shown("Quarter")][0].value == "2026-Q1"
    start = cells[shown("From")][0]
    assert start.value == datetime(2026, 1, 1) and start.is_date
    assert cells[shown("To")][0].value == datetime(2026, 3, 31)
    cost = cells[shown("Hub cost for the period (SEK)")][0]
    assert cost.value == 7500 and cost.number_format == "#,##0.00"
    rate, unit, *_rest = cells[shown("Rate (SEK)")]
    assert rate.value == pytest.approx(576.92) and unit.value == shown("per hour")
    for name, hours, amount in [
        ("Kulturförvaltningen", 7, 4038.46),
        ("Miljöförvaltningen", 2, 1153.85),
        ("Stadsarkivet", 4, 2307.69),
    ]:
        basis, rate, money = cells[name]
        assert basis.value == hours and rate.value == pytest.approx(576.92)
        assert money.value == pytest.approx(amount) and money.number_format == "#,##0.00"
    assert cells[shown("Total")][2].value == pytest.approx(7500.00)


def test_a_name_like_a_formula_stays_text(client, admin, hub, orgs):
    orgs["mf"].name = '=HYPERLINK("http://x")'
    db.session.commit()
    agreement = agreement_for(hub)
    response = client.get(f"/agreements/{agreement.id}/basis.xlsx?quarter=2026-Q1")
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    names = [row[0] for row in sheet.iter_rows() if row[0].value == orgs["mf"].name]
    assert len(names) == 1 and names[0].data_type == "s"
    body = client.get(f"/agreements/{agreement.id}/basis.csv?quarter=2026-Q1").get_data(
        as_text=True
    )
    assert "'=HYPERLINK" in body


def test_time_bank_across_two_hubs_hosted_by_different_organisations(orgs):
    # Kulturförvaltningen's staff book 30 h at Stadsarkivet's hub (3 × 8 h + 6 h); Stadsarkivet's
    # staff book 12 h at Kulturförvaltningen's hub (8 h + 4 h): KuF owes SSA 18 h.
    ssa_hub = hub_with_desks(1, host=orgs["ssa"], name="Arkivet")
    kuf_hub = hub_with_desks(1, host=orgs["kuf"], name="Kulturhuset")
    kuf_person, ssa_person = make_user(orgs["kuf"]), make_user(orgs["ssa"])
    created = at("2026-02-20", "09:00")
    for day, end in (("02", "16:00"), ("03", "16:00"), ("04", "16:00"), ("05", "14:00")):
        book(ssa_hub.desks[0], kuf_person, at(f"2026-03-{day}", "08:00"),
             at(f"2026-03-{day}", end), created=created)  # fmt: skip
    book(kuf_hub.desks[0], ssa_person, at("2026-03-02", "08:00"), at("2026-03-02", "16:00"),
         created=created)  # fmt: skip
    book(kuf_hub.desks[0], ssa_person, at("2026-03-03", "08:00"), at("2026-03-03", "12:00"),
         created=created)  # fmt: skip
    usage = usage_for([ssa_hub, kuf_hub], date(2026, 3, 1), date(2026, 3, 31))
    assert sorted((u.hub_name, u.organisation_name, u.booked_hours, u.bookings) for u in usage) == [
        ("Arkivet", "Kulturförvaltningen", 30.0, 4),
        ("Kulturhuset", "Stadsarkivet", 12.0, 2),
    ]
    assert {(u.hub_name, u.host_organisation_id) for u in usage} == {
        ("Arkivet", orgs["ssa"].id),
        ("Kulturhuset", orgs["kuf"].id),
    }
    # 840.00 over the 42 booked hours: 20.00 an hour; 18 h → 360.00.
    scenario = pick(
        scenarios(D("840.00"), usage, price_per_booking=D("0")), ChargingModel.TIME_BANK, None
    )
    (balance,) = scenario.balances
    assert (balance.debtor_name, balance.creditor_name) == ("Kulturförvaltningen", "Stadsarkivet")
    assert (balance.hours, balance.amount) == (18.0, D("360.00"))
    assert by_name(scenario) == {"Kulturförvaltningen": D("360.00"), "Stadsarkivet": D("-360.00")}


def test_a_desk_deactivated_after_the_quarter_does_not_change_its_basis(hub):
    # The quarter had 2 desks; one retired in April must not make Q1 cheaper afterwards.
    agreement = agreement_for(hub)
    hub.desks[1].active = False
    hub.desks[1].inactive_since = at("2026-04-10", "12:00")
    db.session.commit()
    basis = charging_basis(agreement, "2026-Q1")
    assert basis.desks == 2 and basis.cost == D("7500.00")
