"""The agreement pages: system admins create, edit and end agreements; hub managers read
their hubs' agreements; everyone else is refused."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from hubbar.costs.models import Agreement, CostKey, FollowUp, Headcount
from hubbar.costs.operations import AgreementTerms, create_agreement
from hubbar.extensions import db
from hubbar.pilots.models import ChargingModel
from tests.bookings.clock import frozen
from tests.costs.helpers import shown
from tests.factories import (
    login,
    make_hub,
    make_hub_manager,
    make_organisation,
    make_user,
)
from tests.helpers import (
    audit_events,
    count,
    field_error,
    location,
    reload,
    shows,
    snapshot,
    text,
)


@pytest.fixture(autouse=True)
def clock():
    with frozen("2026-11-24", "10:00"):
        yield


@pytest.fixture()
def ssa():
    return make_organisation(name="Stadsarkivet", code="SSA")


@pytest.fixture()
def kuf():
    return make_organisation(name="Kulturförvaltningen", code="KuF")


@pytest.fixture()
def hub(ssa, kuf):
    hub = make_hub(
        host=ssa,
        desks=5,
        name="Kungsklippan 6",
        cost_per_desk_month=Decimal("1800.00"),
        fixed_cost_per_month=Decimal("2500.00"),
    )
    hub.admitted_organisations = [kuf]
    db.session.commit()
    return hub


def agreement_for(hub, **overrides) -> Agreement:
    values = {
        "hub": hub,
        "model": ChargingModel.ACTUAL_USE,
        "key": CostKey.BOOKED_HOURS,
        "start_date": date(2026, 1, 1),
        "cost_per_desk_month": Decimal("1800.00"),
        "fixed_cost_per_month": Decimal("2500.00"),
    }
    values.update(overrides)
    return create_agreement(None, AgreementTerms(**values))


def form(hub, kuf=None, **overrides) -> dict:
    data = {
        "hub_id": hub.id,
        "model": "actual_use",
        "key": "booked_hours",
        "cost_per_desk_month": "1800.00",
        "fixed_cost_per_month": "2500",
        "price_per_booking": "",
        "start_date": "2027-01-01",
        "end_date": "",
        "notice_months": "6",
        "notes": "Beslutat i styrgruppen",
        "follow_ups-0-day": "2027-06-30",
        "follow_ups-0-note": "Halvårsavstämning",
        "follow_ups-1-day": "2027-03-31",
        "follow_ups-1-note": "",
        "follow_ups-2-day": "",
        "follow_ups-2-note": "",
    }
    if kuf is not None:
        data |= {"headcounts-0-organisation_id": kuf.id, "headcounts-0-headcount": "40"}
    data.update(overrides)
    return data


# --- creating ------------------------------------------------------------------------------


def test_admin_creates_an_agreement(client, admin, hub, kuf):
    page = client.get(f"/agreements/new?hub={hub.id}")
    assert page.status_code == 200
    # Prefilled from the hub's own cost parameters.
    assert 'value="1800.00"' in text(page) and 'value="2500.00"' in text(page)
    response = client.post("/agreements/new", data=form(hub, kuf))
    assert response.status_code == 302
    agreement = db.session.scalars(db.select(Agreement)).one()
    assert location(response) == f"/agreements/{agreement.id}"
    assert agreement.hub_id == hub.id
    assert agreement.model is ChargingModel.ACTUAL_USE and agreement.key is CostKey.BOOKED_HOURS
    assert agreement.cost_per_desk_month == Decimal("1800.00")
    assert agreement.fixed_cost_per_month == Decimal("2500.00")
    assert agreement.price_per_booking == Decimal("0.00")
    assert (agreement.start_date, agreement.end_date) == (date(2027, 1, 1), None)
    assert agreement.notice_months == 6
    assert agreement.created_by_id == admin.id
    assert [(f.day, f.note) for f in agreement.follow_ups] == [
        (date(2027, 3, 31), ""),
        (date(2027, 6, 30), "Halvårsavstämning"),
    ]
    assert [(h.organisation_id, h.headcount) for h in agreement.headcounts] == [(kuf.id, 40)]
    (event,) = audit_events("agreement.create")
    assert event.actor_id == admin.id and event.object_id == agreement.id
    assert "Kungsklippan 6" in event.summary
    detail = client.get(location(response))
    assert detail.status_code == 200
    assert shows(detail, "Halvårsavstämning") and shows(detail, "Beslutat i styrgruppen")


def test_empty_costs_take_the_hubs_own(client, admin, hub):
    data = form(hub, cost_per_desk_month="", fixed_cost_per_month="", key="used_hours")
    assert client.post("/agreements/new", data=data).status_code == 302
    agreement = db.session.scalars(db.select(Agreement)).one()
    assert agreement.cost_per_desk_month == Decimal("1800.00")
    assert agreement.fixed_cost_per_month == Decimal("2500.00")
    assert agreement.key is CostKey.USED_HOURS


def test_a_model_without_a_key_drops_the_key(client, admin, hub):
    data = form(hub, model="equal_split", key="booked_hours")
    assert client.post("/agreements/new", data=data).status_code == 302
    agreement = db.session.scalars(db.select(Agreement)).one()
    assert agreement.model is ChargingModel.EQUAL_SPLIT and agreement.key is None


def test_the_new_form_asks_for_a_hub(client, admin, hub):
    page = client.get("/agreements/new")
    assert page.status_code == 200
    response = client.post("/agreements/new", data=form(hub, hub_id="0"))
    assert response.status_code == 422
    assert field_error(response, shown("Choose a hub."))
    assert count(Agreement) == 0


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"end_date": "2026-12-31"}, "end_date", "The end must be after the start."),
        ({"end_date": "2027-01-01"}, "end_date", "The end must be after the start."),
        ({"cost_per_desk_month": "-1"}, "cost_per_desk_month", "Enter an amount of 0 or more."),
        ({"fixed_cost_per_month": "abc"}, "fixed_cost_per_month", None),
        ({"price_per_booking": "NaN"}, "price_per_booking", None),
        ({"notice_months": "37"}, "notice_months", "Choose 0 to 36 months."),
        ({"notice_months": "-1"}, "notice_months", "Choose 0 to 36 months."),
        ({"key": ""}, "key", None),
        ({"model": "stipulated", "key": "booked_hours"}, "key", None),
        ({"model": "free_lunch"}, "model", None),
        ({"start_date": ""}, "start_date", "Enter a date."),
        ({"start_date": "0202-01-01"}, "start_date", None),
        ({"follow_ups-2-note": "Utan datum"}, "follow_ups-2-day", None),
        ({"headcounts-0-headcount": "-3"}, "headcounts-0-headcount", None),
        ({"headcounts-0-headcount": "tio"}, "headcounts-0-headcount", None),
        ({"headcounts-0-organisation_id": "999999"}, "headcounts", "Unknown organisation."),
        ({"model": "stipulated", "key": "headcount", "headcounts-0-headcount": ""}, "headcounts",
         "Enter the headcount of at least one organisation."),
    ],
)  # fmt: skip
def test_edit_with_bad_input_changes_nothing(client, admin, hub, kuf, changes, field, message):
    agreement = agreement_for(hub, notes="Som förut")
    before = snapshot()
    response = client.post(f"/agreements/{agreement.id}/edit", data=form(hub, kuf, **changes))
    assert response.status_code == 422
    assert snapshot() == before
    page = text(response)
    assert shown("Check the form") in page
    assert f'href="#{field}"' in page
    if message is not None:
        assert shown(message) in page


def test_edit_changes_the_terms(client, admin, hub, kuf):
    agreement = agreement_for(hub)
    data = form(
        hub,
        kuf,
        model="stipulated",
        key="headcount",
        start_date="2026-01-01",
        end_date="2027-06-30",
        **{"follow_ups-0-day": "", "follow_ups-0-note": ""},
    )
    response = client.post(f"/agreements/{agreement.id}/edit", data=data)
    assert response.status_code == 302
    agreement = reload(agreement)
    assert agreement.model is ChargingModel.STIPULATED and agreement.key is CostKey.HEADCOUNT
    assert agreement.end_date == date(2027, 6, 30)
    assert [(f.day, f.note) for f in agreement.follow_ups] == [(date(2027, 3, 31), "")]
    assert {h.organisation_id: h.headcount for h in agreement.headcounts} == {kuf.id: 40}
    (event,) = audit_events("agreement.update")
    assert event.changes["model"] == ["actual_use", "stipulated"]
    assert event.changes["end_date"] == [None, "2027-06-30"]
    assert count(FollowUp) == 1 and count(Headcount) == 1


def test_the_edit_form_shows_the_terms(client, admin, hub, kuf):
    agreement = agreement_for(
        hub, follow_ups=[(date(2026, 6, 30), "Halvår")], headcounts={kuf.id: 12}
    )
    page = text(client.get(f"/agreements/{agreement.id}/edit"))
    assert 'value="2026-06-30"' in page and 'value="Halvår"' in page
    assert 'value="12"' in page and "Kulturförvaltningen" in page


def test_one_agreement_at_a_time_per_hub(client, admin, hub):
    agreement_for(hub, start_date=date(2026, 1, 1), end_date=date(2026, 12, 31))
    before = snapshot()
    response = client.post("/agreements/new", data=form(hub, start_date="2026-12-01"))
    assert response.status_code == 422
    assert field_error(
        response,
        shown(
            "%(hub)s has another agreement from %(start)s. One agreement at a time: end one "
            "before the other starts.",
            hub="Kungsklippan 6",
            start="2026-01-01",
        ),
    )
    assert snapshot() == before
    # The day after it ends is fine.
    assert (
        client.post("/agreements/new", data=form(hub, start_date="2027-01-01")).status_code == 302
    )
    assert count(Agreement) == 2


def test_admin_ends_an_agreement(client, admin, hub):
    agreement = agreement_for(hub)
    page = client.get(f"/agreements/{agreement.id}")
    # The suggested last day is the end of the notice period (3 months) from today.
    assert 'value="2027-02-24"' in text(page)
    response = client.post(f"/agreements/{agreement.id}/end", data={"end_date": "2027-03-31"})
    assert response.status_code == 302
    assert reload(agreement).end_date == date(2027, 3, 31)
    (event,) = audit_events("agreement.end")
    assert event.changes == {"end_date": [None, "2027-03-31"]}


def test_ending_before_the_start_changes_nothing(client, admin, hub):
    agreement = agreement_for(hub)
    before = snapshot()
    response = client.post(f"/agreements/{agreement.id}/end", data={"end_date": "2025-12-31"})
    assert response.status_code == 422
    assert field_error(response, shown("The end must be after the start."))
    response = client.post(f"/agreements/{agreement.id}/end", data={"end_date": "31/12"})
    assert response.status_code == 422
    assert snapshot() == before


# --- who sees what -------------------------------------------------------------------------


def test_the_list_shows_agreements_and_hubs_without(client, admin, hub, ssa):
    other = make_hub(host=ssa, name="Medborgarhuset")
    agreement_for(hub, follow_ups=[(date(2026, 12, 15), "Årsavstämning")])
    page = client.get("/agreements")
    assert page.status_code == 200
    assert shows(page, "Kungsklippan 6") and shows(page, "2026-12-15")
    assert f'href="/agreements/new?hub={other.id}"' in text(page)
    assert 'href="/agreements"' in text(page)  # in the menu


def test_hub_manager_reads_only(client, hub, ssa):
    agreement = agreement_for(hub)
    elsewhere = agreement_for(make_hub(host=ssa, name="Annan hubb"))
    manager = make_hub_manager(hub)
    login(client, manager)
    listing = client.get("/agreements")
    assert listing.status_code == 200
    assert shows(listing, "Kungsklippan 6") and not shows(listing, "Annan hubb")
    assert 'href="/agreements"' in text(listing)  # in the menu
    assert 'href="/agreements/new' not in text(listing)
    page = client.get(f"/agreements/{agreement.id}")
    assert page.status_code == 200
    assert f'href="/agreements/{agreement.id}/edit"' not in text(page)
    assert f"/agreements/{agreement.id}/end" not in text(page)
    before = snapshot()
    assert client.get(f"/agreements/{agreement.id}/edit").status_code == 403
    assert client.post(f"/agreements/{agreement.id}/edit", data=form(hub)).status_code == 403
    assert (
        client.post(f"/agreements/{agreement.id}/end", data={"end_date": "2027-01-31"}).status_code
        == 403
    )
    assert client.post("/agreements/new", data=form(hub)).status_code == 403
    assert client.get(f"/agreements/{elsewhere.id}").status_code == 403
    assert snapshot() == before


def test_employee_is_refused(client, hub, kuf):
    agreement = agreement_for(hub)
    login(client, make_user(kuf))
    for path in (
        "/agreements",
        f"/agreements/{agreement.id}",
        f"/agreements/{agreement.id}/basis.csv",
        f"/agreements/{agreement.id}/basis.xlsx",
        "/agreements/new",
        f"/agreements/{agreement.id}/edit",
    ):
        assert client.get(path).status_code == 403, path
    assert 'href="/agreements"' not in text(client.get("/hubs"))


def test_unknown_agreement_is_not_found(client, admin):
    assert client.get("/agreements/4711").status_code == 404
    assert client.get("/agreements/4711/edit").status_code == 404


def test_logged_out_goes_to_login(client, hub):
    agreement = agreement_for(hub)
    response = client.get(f"/agreements/{agreement.id}")
    assert response.status_code == 302 and location(response).startswith("/login")
