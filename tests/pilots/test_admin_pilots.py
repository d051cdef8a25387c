"""System admins create and edit pilots: terms, costs and participants (chosen or imported).

The admin here reads English, so the messages are the English ones until the Swedish
translations of these new pages exist.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from flask import render_template
from flask_login import login_user
from sqlalchemy import select

from hubbar.accounts.models import Role
from hubbar.errors import InvalidInput, NotAllowed
from hubbar.extensions import db
from hubbar.pilots import operations as ops
from hubbar.pilots.models import ChargingModel, CriterionChange, Pilot, PilotStatus
from tests.factories import (
    login,
    make_admin,
    make_evaluator,
    make_hub,
    make_hub_manager,
    make_organisation,
    make_pilot,
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
    sv,
    text,
)

BEFORE_THE_PILOTS = datetime(2026, 6, 1, 10, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _june_2026():
    """Every pilot here starts in the autumn of 2026: seen from June, they are planned."""
    with time_machine.travel(BEFORE_THE_PILOTS, tick=False):
        yield


@pytest.fixture()
def world(client):
    """Stadsarkivet hosts Kungsklippan 6; Kulturförvaltningen is the guest. An English-reading
    system admin is logged in."""
    ssa = make_organisation(name="Stadsarkivet", code="SSA")
    kuf = make_organisation(name="Kulturförvaltningen", code="KuF")
    hub = make_hub(
        host=ssa,
        name="Kungsklippan 6",
        desks=6,
        cost_per_desk_month=Decimal("2800.00"),
        fixed_cost_per_month=Decimal("4000.50"),
    )
    other_hub = make_hub(host=kuf, name="Rinkeby")
    anna = make_user(organisation=kuf, display_name="Anna Berg", email="anna.berg@kuf.example.org")
    erik = make_user(organisation=kuf, display_name="Erik Sund", email="erik.sund@kuf.example.org")
    karin = make_user(
        organisation=ssa, display_name="Karin Holm", email="karin.holm@ssa.example.org"
    )
    admin = make_admin(locale="en", display_name="Ada Admin")
    login(client, admin)
    return {
        "ssa": ssa,
        "kuf": kuf,
        "hub": hub,
        "other_hub": other_hub,
        "anna": anna,
        "erik": erik,
        "karin": karin,
        "admin": admin,
    }


def _terms(w, **changes) -> dict:
    data = {
        "name": "Touch down Kungsklippan",
        "host_organisation": w["ssa"].id,
        "hubs": [w["hub"].id],
        "guest_organisations": [w["kuf"].id],
        "start_date": "2026-09-01",
        "end_date": "2026-10-31",
        "charging_model": "none",
        "cost_per_desk_month": "2500",
        "fixed_cost_per_month": "1000.25",
        "price_per_booking": "75",
        "participants": [w["anna"].id],
        "participant_list": "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


# --- creating ------------------------------------------------------------------------------


def test_admin_creates_a_pilot_with_chosen_and_imported_participants(client, world):
    response = client.post(
        "/pilots/new",
        data=_terms(world, participant_list="email\nERIK.SUND@kuf.example.org\n"),
    )
    assert response.status_code == 302
    pilot = db.session.scalar(select(Pilot))
    assert location(response) == f"/pilots/{pilot.id}"
    assert shows(client.get(location(response)), "The pilot Touch down Kungsklippan is created.")
    assert pilot.name == "Touch down Kungsklippan"
    assert pilot.host_organisation_id == world["ssa"].id
    assert [h.name for h in pilot.hubs] == ["Kungsklippan 6"]
    assert [o.code for o in pilot.guest_organisations] == ["KuF"]
    assert (pilot.start_date, pilot.end_date) == (date(2026, 9, 1), date(2026, 10, 31))
    assert pilot.charging_model is ChargingModel.NONE
    assert pilot.status is PilotStatus.PLANNED
    assert pilot.cost_per_desk_month == Decimal("2500.00")
    assert pilot.fixed_cost_per_month == Decimal("1000.25")
    assert pilot.price_per_booking == Decimal("75.00")
    assert sorted(u.display_name for u in pilot.participants) == ["Anna Berg", "Erik Sund"]
    assert [e.summary for e in audit_events("pilot.create")] == [
        "Touch down Kungsklippan 2026-09-01–2026-10-31"
    ]


def test_end_date_left_empty_is_two_months_after_the_start(client, world):
    response = client.post("/pilots/new", data=_terms(world, start_date="2026-09-15", end_date=""))
    assert response.status_code == 302
    assert db.session.scalar(select(Pilot.end_date)) == date(2026, 11, 15)


def test_two_months_after_the_last_of_december_is_the_last_of_february(world):
    pilot = ops.create_pilot(
        world["admin"], "Vinterpiloten", world["ssa"], [world["hub"]], [], date(2026, 12, 31)
    )
    assert pilot.end_date == date(2027, 2, 28)


def test_costs_left_empty_come_from_the_first_hub(client, world):
    response = client.post(
        "/pilots/new",
        data=_terms(world, cost_per_desk_month="", fixed_cost_per_month="", price_per_booking=""),
    )
    assert response.status_code == 302
    pilot = db.session.scalar(select(Pilot))
    assert pilot.cost_per_desk_month == Decimal("2800.00")
    assert pilot.fixed_cost_per_month == Decimal("4000.50")
    assert pilot.price_per_booking == Decimal("0.00")


def test_create_pilot_keeps_working_without_costs_and_takes_them_when_given(world):
    plain = ops.create_pilot(
        None, "Utan kostnader", world["ssa"], [world["hub"]], [world["kuf"]], date(2026, 9, 1)
    )
    assert (plain.cost_per_desk_month, plain.price_per_booking) == (Decimal("2800"), Decimal(0))
    priced = ops.create_pilot(
        None,
        "Med kostnader",
        world["ssa"],
        [world["hub"]],
        [],
        date(2026, 9, 1),
        cost_per_desk_month=Decimal("1999.999"),
        fixed_cost_per_month=Decimal("0"),
        price_per_booking=Decimal("120.5"),
    )
    # Rounded to öre, half up.
    assert priced.cost_per_desk_month == Decimal("2000.00")
    assert priced.fixed_cost_per_month == Decimal("0.00")
    assert priced.price_per_booking == Decimal("120.50")


BAD_TERMS = [
    ({"name": ""}, "name", "Enter a name."),
    ({"name": "x" * 121}, "name", "Field cannot be longer than 120 characters."),
    ({"hubs": []}, "hubs", "Choose at least one hub."),
    ({"start_date": "2026-10-31", "end_date": "2026-09-01"}, "end_date", "after the start"),
    ({"start_date": "2026-09-01", "end_date": "2026-09-01"}, "end_date", "after the start"),
    ({"start_date": ""}, "start_date", "Enter a date."),
    ({"start_date": "2026-02-30"}, "start_date", "Enter a date."),
    ({"end_date": "2026-13-01"}, "end_date", "Not a valid date value."),
    ({"start_date": "0202-09-01"}, "start_date", "Choose a date between"),
    ({"cost_per_desk_month": "-1"}, "cost_per_desk_month", "Enter an amount of 0 or more."),
    ({"price_per_booking": "NaN"}, "price_per_booking", "Not a valid decimal value."),
    ({"charging_model": "barter"}, "charging_model", "Not a valid choice."),
    ({"hubs": ["abc"]}, "hubs", "could not be coerced"),
    ({"hubs": [987654]}, "hubs", "not a valid choice"),
    ({"participants": [987654]}, "participants", "not a valid choice"),
]


@pytest.mark.parametrize(("changes", "field", "message"), BAD_TERMS)
def test_bad_terms_are_refused_and_change_nothing(client, world, changes, field, message):
    before = snapshot()
    response = client.post("/pilots/new", data=_terms(world, **changes))
    assert response.status_code == 422
    assert field_error(response, message), message
    assert snapshot() == before


def test_host_cannot_be_its_own_guest(client, world):
    response = client.post(
        "/pilots/new", data=_terms(world, guest_organisations=[world["kuf"].id, world["ssa"].id])
    )
    assert response.status_code == 422
    assert field_error(response, "The host organisation cannot also be a guest.")
    assert count(Pilot) == 0


def test_a_pilot_name_is_unique(client, world):
    make_pilot([world["hub"]], name="Touch down Kungsklippan")
    response = client.post("/pilots/new", data=_terms(world))
    assert response.status_code == 422
    assert field_error(response, "A pilot with that name exists already.")
    assert count(Pilot) == 1


# --- editing -------------------------------------------------------------------------------


def test_edit_page_shows_the_pilots_values(client, world):
    pilot = make_pilot(
        [world["hub"]],
        name="Touch down Kungsklippan",
        host_organisation=world["ssa"],
        price_per_booking=Decimal("75"),
        participants=[world["anna"]],
    )
    page = client.get(f"/pilots/{pilot.id}/edit")
    assert page.status_code == 200
    assert shows(page, 'value="Touch down Kungsklippan"')
    assert shows(page, 'value="2026-09-01"') and shows(page, 'value="2026-10-31"')
    assert shows(page, 'value="75.00"')
    assert shows(page, "Kulturförvaltningen (1 of 2 chosen)")
    checked = re.findall(
        r'<input checked id="participants-\d+" name="participants" '
        r'type="checkbox" value="(\d+)">',
        text(page),
    )
    assert checked == [str(world["anna"].id)]


def test_admin_edits_the_terms_and_the_status_follows_the_dates(client, world):
    pilot = make_pilot([world["hub"]], name="Gammalt namn", host_organisation=world["ssa"])
    data = _terms(
        world,
        name="Touch down Kungsklippan",
        hubs=[world["hub"].id, world["other_hub"].id],
        start_date="2026-05-18",  # before June 1: it has started
        end_date="2026-07-17",
        charging_model="per_booking",
        participants=[world["anna"].id, world["karin"].id],
    )
    response = client.post(f"/pilots/{pilot.id}/edit", data=data)
    assert response.status_code == 302
    assert location(response) == f"/pilots/{pilot.id}"
    pilot = reload(pilot)
    assert pilot.name == "Touch down Kungsklippan"
    assert sorted(h.name for h in pilot.hubs) == ["Kungsklippan 6", "Rinkeby"]
    assert pilot.charging_model is ChargingModel.PER_BOOKING
    assert pilot.status is PilotStatus.RUNNING
    assert sorted(u.display_name for u in pilot.participants) == ["Anna Berg", "Karin Holm"]
    (event,) = audit_events("pilot.update")
    assert event.changes["name"] == ["Gammalt namn", "Touch down Kungsklippan"]
    assert event.changes["status"] == ["planned", "running"]
    assert event.changes["hubs"] == [["Kungsklippan 6"], ["Kungsklippan 6", "Rinkeby"]]


def test_bad_edit_changes_nothing(client, world):
    pilot = make_pilot([world["hub"]], name="Touch down Kungsklippan")
    before = snapshot()
    response = client.post(
        f"/pilots/{pilot.id}/edit",
        data=_terms(world, name="Nytt namn", start_date="2026-12-01", end_date="2026-11-01"),
    )
    assert response.status_code == 422
    assert field_error(response, "The end must be after the start.")
    assert snapshot() == before


def _started(world, status=PilotStatus.RUNNING, **dates) -> Pilot:
    """A pilot that started on 18 May (seen from 1 June), with a criterion fixed at its start."""
    values = {"start_date": date(2026, 5, 18), "end_date": date(2026, 7, 17), **dates}
    pilot = make_pilot(
        [world["hub"]],
        name="Touch down Kungsklippan",
        host_organisation=world["ssa"],
        guest_organisations=[world["kuf"]],
        participants=[world["anna"]],
        status=status,
        **values,
    )
    ops.add_criterion(
        world["admin"], pilot, metric="booking_rate", comparator="at_least", target=0.6,
        change_reason="Fastställt vid start",
    )  # fmt: skip
    db.session.query(CriterionChange).delete()
    db.session.commit()
    return pilot


def _terms_of(w, pilot: Pilot, **changes) -> dict:
    """The edit form as it comes filled with ``pilot``'s terms, with ``changes``."""
    present = {
        "start_date": pilot.start_date.isoformat(),
        "end_date": pilot.end_date.isoformat(),
        "cost_per_desk_month": str(pilot.cost_per_desk_month),
        "fixed_cost_per_month": str(pilot.fixed_cost_per_month),
        "price_per_booking": str(pilot.price_per_booking),
    }
    return _terms(w, **{**present, **changes})


STARTED_MESSAGE = "The pilot has started: its start date can no longer change."


def test_a_started_pilot_cannot_be_moved_back_to_planned(client, world):
    """Moving the start into the future would make the pilot planned again and unlock its
    criteria, to change them without a recorded change and then move the start back."""
    pilot = _started(world)
    page = text(client.get(f"/pilots/{pilot.id}/edit"))
    assert re.search(r'<input[^>]*id="start_date"[^>]*readonly[^>]*value="2026-05-18"', page)
    assert "Fixed since the pilot started. The end date can change." in page
    before = snapshot()

    response = client.post(
        f"/pilots/{pilot.id}/edit", data=_terms_of(world, pilot, start_date="2026-06-15")
    )

    assert response.status_code == 422
    assert field_error(response, STARTED_MESSAGE)
    assert snapshot() == before
    pilot = reload(pilot)
    assert (pilot.start_date, pilot.status) == (date(2026, 5, 18), PilotStatus.RUNNING)
    with pytest.raises(InvalidInput) as error:
        ops.update_pilot(
            world["admin"],
            pilot,
            name=pilot.name,
            host_organisation=world["ssa"],
            hubs=[world["hub"]],
            guest_organisations=[world["kuf"]],
            start_date=date(2026, 6, 15),
            end_date=date(2026, 8, 14),
            charging_model=ChargingModel.NONE,
            cost_per_desk_month=None,
            fixed_cost_per_month=None,
            price_per_booking=None,
        )
    # Outside a request the operation speaks the default language, Swedish.
    assert (error.value.field, str(error.value)) == ("start_date", sv(STARTED_MESSAGE))
    assert snapshot() == before
    # The criteria stay locked: a change still needs a reason, and is recorded.
    with pytest.raises(InvalidInput) as error:
        ops.update_criterion(
            world["admin"], reload(pilot).criteria[0], metric="booking_rate",
            comparator="at_least", target=0.3,
        )  # fmt: skip
    assert error.value.field == "change_reason"
    assert snapshot() == before


def test_an_earlier_start_is_refused_too(client, world):
    pilot = _started(world)
    before = snapshot()
    response = client.post(
        f"/pilots/{pilot.id}/edit", data=_terms_of(world, pilot, start_date="2026-05-11")
    )
    assert response.status_code == 422
    assert field_error(response, STARTED_MESSAGE)
    assert snapshot() == before


def test_a_started_pilot_may_be_extended_or_shortened(client, world):
    pilot = _started(world)
    response = client.post(
        f"/pilots/{pilot.id}/edit", data=_terms_of(world, pilot, end_date="2026-08-17")
    )
    assert response.status_code == 302
    pilot = reload(pilot)
    assert (pilot.start_date, pilot.end_date) == (date(2026, 5, 18), date(2026, 8, 17))
    assert pilot.status is PilotStatus.RUNNING
    (event,) = audit_events("pilot.update")
    assert event.changes == {"end_date": ["2026-07-17", "2026-08-17"]}

    # Shortened to end yesterday, it has ended; extended again, it runs again.
    response = client.post(
        f"/pilots/{pilot.id}/edit", data=_terms_of(world, pilot, end_date="2026-05-31")
    )
    assert response.status_code == 302
    assert reload(pilot).status is PilotStatus.ENDED
    response = client.post(
        f"/pilots/{pilot.id}/edit", data=_terms_of(world, reload(pilot), end_date="2026-06-30")
    )
    assert response.status_code == 302
    assert (reload(pilot).end_date, reload(pilot).status) == (
        date(2026, 6, 30),
        PilotStatus.RUNNING,
    )
    assert db.session.query(CriterionChange).count() == 0


def test_a_started_pilot_never_becomes_planned_again(client, world):
    """A pilot marked running whose dates lie ahead (started early by hand) stays running when
    its other terms change: its criteria stay locked."""
    pilot = _started(world, start_date=date(2026, 9, 1), end_date=date(2026, 10, 31))
    response = client.post(
        f"/pilots/{pilot.id}/edit", data=_terms_of(world, pilot, name="Nytt namn")
    )
    assert response.status_code == 302
    pilot = reload(pilot)
    assert (pilot.name, pilot.status) == ("Nytt namn", PilotStatus.RUNNING)
    assert (
        ops.status_on(date(2026, 9, 1), date(2026, 10, 31), date(2026, 6, 1), PilotStatus.ENDED)
        is PilotStatus.RUNNING
    )
    assert (
        ops.status_on(date(2026, 9, 1), date(2026, 10, 31), date(2026, 6, 1), PilotStatus.PLANNED)
        is PilotStatus.PLANNED
    )


def test_a_planned_pilot_may_move_its_start(client, world):
    pilot = make_pilot([world["hub"]], name="Touch down Kungsklippan")
    page = text(client.get(f"/pilots/{pilot.id}/edit"))
    assert "readonly" not in page and "Fixed since the pilot started." not in page
    response = client.post(
        f"/pilots/{pilot.id}/edit",
        data=_terms_of(world, pilot, start_date="2026-09-15", end_date="2026-11-15"),
    )
    assert response.status_code == 302
    pilot = reload(pilot)
    assert (pilot.start_date, pilot.status) == (date(2026, 9, 15), PilotStatus.PLANNED)


def test_reported_pilot_terms_cannot_change(client, world):
    pilot = make_pilot([world["hub"]], name="Rapporterad", status=PilotStatus.REPORTED)
    page = client.get(f"/pilots/{pilot.id}/edit")
    assert page.status_code == 200
    assert shows(page, "The pilot is reported: its terms can no longer change.")
    assert not shows(page, 'name="name"')
    before = snapshot()
    response = client.post(f"/pilots/{pilot.id}/edit", data=_terms(world, name="Ändrad"))
    assert response.status_code == 422
    assert shows(response, "The pilot is reported: its terms can no longer change.")
    assert snapshot() == before
    with pytest.raises(InvalidInput):
        ops.set_participants(world["admin"], reload(pilot), [world["anna"]])
    with pytest.raises(InvalidInput):
        ops.import_participants(world["admin"], reload(pilot), "anna.berg@kuf.example.org")
    assert reload(pilot).participants == []


# --- participants --------------------------------------------------------------------------


def test_set_participants_replaces_them(world):
    pilot = make_pilot([world["hub"]], participants=[world["anna"], world["erik"]])
    ops.set_participants(world["admin"], pilot, [world["erik"], world["karin"], world["karin"]])
    assert sorted(u.display_name for u in reload(pilot).participants) == [
        "Erik Sund",
        "Karin Holm",
    ]
    (event,) = audit_events("pilot.participants")
    ids = sorted([world["anna"].id, world["erik"].id])
    assert event.changes["participants"] == [ids, sorted([world["erik"].id, world["karin"].id])]


def test_import_reads_addresses_in_any_case_with_comma_semicolon_and_names(world):
    pilot = make_pilot([world["hub"]], participants=[world["karin"]])
    text = (
        "E-mail;Name\n"
        "  Anna.Berg@KUF.example.org ; Anna Berg\n"
        "\n"
        '"Erik Sund" <erik.sund@kuf.example.org>, karin.holm@ssa.example.org\n'
    )
    result = ops.import_participants(world["admin"], pilot, text)
    assert result.ok
    assert [u.display_name for u in result.users] == ["Anna Berg", "Erik Sund", "Karin Holm"]
    assert [u.display_name for u in result.added] == ["Anna Berg", "Erik Sund"]
    assert [u.display_name for u in result.already] == ["Karin Holm"]
    assert sorted(u.display_name for u in reload(pilot).participants) == [
        "Anna Berg",
        "Erik Sund",
        "Karin Holm",
    ]
    assert [e.summary for e in audit_events("pilot.participants")] == [f"{pilot.name}: 2 imported"]


def test_import_is_all_or_nothing_and_names_the_bad_lines(world):
    pilot = make_pilot([world["hub"]])
    text = (
        "email\n"
        "anna.berg@kuf.example.org\n"
        "okand@kuf.example.org\n"
        "ERIK.SUND@kuf.example.org\n"
        "Anna.Berg@kuf.example.org\n"
        "Karin Holm\n"
        "inte@en adress\n"
    )
    result = ops.import_participants(world["admin"], pilot, text)
    assert not result.ok
    assert [(p.line, p.address, p.reason) for p in result.problems] == [
        (3, "okand@kuf.example.org", sv("No user has this e-mail address.")),
        (5, "anna.berg@kuf.example.org", sv("The same address is on line %(line)d.", line=2)),
        (6, "Karin Holm", sv("This line has no e-mail address.")),
        (7, "inte@en adress", sv("Not an e-mail address.")),
    ]
    assert reload(pilot).participants == []
    assert audit_events("pilot.participants") == []


def test_import_of_an_empty_list_is_refused(world):
    pilot = make_pilot([world["hub"]])
    with pytest.raises(InvalidInput) as refused:
        ops.import_participants(world["admin"], pilot, "email\n\n")
    assert refused.value.field == "participant_list"


def test_import_on_the_form_with_an_unknown_address_saves_nothing(client, world):
    pilot = make_pilot([world["hub"]], name="Touch down Kungsklippan")
    before = snapshot()
    response = client.post(
        f"/pilots/{pilot.id}/edit",
        data=_terms(
            world,
            name="Nytt namn",
            participant_list="erik.sund@kuf.example.org\nokand@kuf.example.org",
        ),
    )
    assert response.status_code == 422
    assert field_error(response, "Some lines cannot be used (see below). Nothing is saved.")
    assert shows(response, '<th scope="row">2</th><td>okand@kuf.example.org</td>')
    assert shows(response, "No user has this e-mail address.")
    assert snapshot() == before


def test_import_from_a_file_on_the_form(client, world):
    pilot = make_pilot([world["hub"]], name="Touch down Kungsklippan")
    data = _terms(world, participants=[])
    data["participant_file"] = (
        io.BytesIO("e-post\nkarin.holm@ssa.example.org;Karin Holm\n".encode("cp1252")),
        "deltagare.csv",
    )
    response = client.post(
        f"/pilots/{pilot.id}/edit", data=data, content_type="multipart/form-data"
    )
    assert response.status_code == 302
    assert [u.display_name for u in reload(pilot).participants] == ["Karin Holm"]


def test_a_file_that_is_not_a_list_is_refused(client, world):
    data = _terms(world)
    data["participant_file"] = (io.BytesIO(b"\x89PNG\x00\x00"), "bild.png")
    response = client.post("/pilots/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert field_error(response, "Choose a CSV file (.csv).")
    assert count(Pilot) == 0


# --- who may ---------------------------------------------------------------------------------


def _admin_requests(pilot, criterion_id: int = 0) -> list[tuple[str, str, dict]]:
    return [
        ("GET", "/pilots/new", {}),
        ("POST", "/pilots/new", {"name": "Kapad"}),
        ("GET", f"/pilots/{pilot.id}/edit", {}),
        ("POST", f"/pilots/{pilot.id}/edit", {"name": "Kapad"}),
        ("GET", f"/pilots/{pilot.id}/criteria", {}),
        (
            "POST",
            f"/pilots/{pilot.id}/criteria",
            {"new-metric": "booking_rate", "new-comparator": "at_least", "new-target": "50"},
        ),
        ("GET", f"/pilots/{pilot.id}/criteria/{criterion_id}", {}),
        ("POST", f"/pilots/{pilot.id}/criteria/{criterion_id}", {"target": "10"}),
        ("POST", f"/pilots/{pilot.id}/criteria/{criterion_id}/remove", {}),
    ]


@pytest.mark.parametrize("who", ["employee", "evaluator", "hub_manager", "org_admin"])
def test_only_system_admins_reach_the_admin_pages(client, world, who):
    pilot = make_pilot([world["hub"]])
    criterion = ops.add_criterion(
        world["admin"], pilot, metric="booking_rate", comparator="at_least", target=0.5
    )
    user = {
        "employee": lambda: make_user(),
        "evaluator": lambda: make_evaluator(pilot),
        "hub_manager": lambda: make_hub_manager(world["hub"]),
        "org_admin": lambda: make_user(roles=[(Role.ORG_ADMIN, {"organisation": world["kuf"]})]),
    }[who]()
    client.post("/logout")
    login(client, user)
    before = snapshot()
    for method, url, data in _admin_requests(pilot, criterion.id):
        response = client.open(url, method=method, data=data)
        assert response.status_code == 403, (method, url)
    assert snapshot() == before
    with pytest.raises(NotAllowed):
        ops.set_participants(user, reload(pilot), [])


def test_system_admin_reaches_every_admin_page(client, world):
    pilot = make_pilot([world["hub"]])
    criterion = ops.add_criterion(
        world["admin"], pilot, metric="booking_rate", comparator="at_least", target=0.5
    )
    for url in (
        "/pilots/new",
        f"/pilots/{pilot.id}/edit",
        f"/pilots/{pilot.id}/criteria",
        f"/pilots/{pilot.id}/criteria/{criterion.id}",
    ):
        assert client.get(url).status_code == 200, url
    assert client.get("/pilots/987654/edit").status_code == 404
    assert client.get(f"/pilots/{pilot.id}/criteria/987654").status_code == 404


def test_pilot_list_offers_new_pilot_and_edit_links_to_admins_only(client, world):
    pilot = make_pilot([world["hub"]], name="Touch down Kungsklippan")
    page = client.get("/pilots")
    assert shows(page, 'href="/pilots/new"')
    assert shows(page, f'href="/pilots/{pilot.id}/edit"')
    assert shows(page, f'href="/pilots/{pilot.id}/criteria"')
    client.post("/logout")
    login(client, make_evaluator(pilot, locale="en"))
    page = client.get("/pilots")
    assert shows(page, "Touch down Kungsklippan")
    assert not shows(page, 'href="/pilots/new"')
    assert not shows(page, f'href="/pilots/{pilot.id}/edit"')


def test_admin_actions_include_links_for_system_admins_only(app, world):
    pilot = make_pilot([world["hub"]])
    with app.test_request_context():
        login_user(world["admin"])
        html = render_template("pilots/_admin_actions.html", pilot=pilot)
    assert f'href="/pilots/{pilot.id}/edit"' in html
    assert f'href="/pilots/{pilot.id}/criteria"' in html
    with app.test_request_context():
        login_user(make_evaluator(pilot))
        assert "href" not in render_template("pilots/_admin_actions.html", pilot=pilot)
