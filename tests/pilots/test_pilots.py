"""Evaluators see the terms of the pilots they evaluate, and no other pilot."""

from __future__ import annotations

from datetime import date

from hubbar.accounts.models import Role
from hubbar.pilots import operations as ops
from tests.factories import (
    login,
    make_admin,
    make_evaluator,
    make_hub,
    make_organisation,
    make_pilot,
    make_user,
)
from tests.helpers import shows, sv


def test_pilot_page_shows_the_terms(client):
    ssa = make_organisation(name="Stadsarkivet", code="SSA")
    kuf = make_organisation(name="Kulturförvaltningen", code="KuF")
    hub = make_hub(host=ssa, name="Kungsklippan 6")
    participants = [make_user(organisation=kuf) for _ in range(4)] + [make_user(organisation=ssa)]
    pilot = make_pilot(
        [hub],
        name="Touch down Kungsklippan",
        guest_organisations=[kuf],
        participants=participants,
        start_date=date(2026, 9, 1),
        end_date=date(2026, 10, 31),
    )
    login(client, make_evaluator(pilot))
    page = client.get(f"/pilots/{pilot.id}")
    assert page.status_code == 200
    assert shows(page, "2026-09-01 – 2026-10-31")
    assert shows(page, sv("weeks %(from)d–%(to)d", **{"from": 36, "to": 44}))
    assert shows(page, "Kungsklippan 6")
    assert shows(page, sv("No charging"))
    assert shows(page, sv("%(num)d person", "%(num)d people", num=5))
    # Small groups are not shown exactly (k = 3): SSA's single participant is "< 3", and so is
    # KuF, since its 4 beside the total of 5 would give SSA's 1 away.
    assert shows(page, "Kulturförvaltningen < 3")
    assert shows(page, "Stadsarkivet < 3")
    assert not shows(page, "Kulturförvaltningen 4")
    for person in participants:  # evaluators see no names
        assert not shows(page, person.display_name)


def test_evaluator_of_a_hub_sees_the_pilots_at_that_hub(client):
    hub = make_hub()
    at_hub = make_pilot([hub], name="Pilot vid hubben")
    elsewhere = make_pilot(name="Pilot någon annanstans")
    login(client, make_user(roles=[(Role.EVALUATOR, {"hub": hub})]))
    page = client.get("/pilots")
    assert shows(page, "Pilot vid hubben") and not shows(page, "Pilot någon annanstans")
    assert client.get(f"/pilots/{at_hub.id}").status_code == 200
    assert client.get(f"/pilots/{elsewhere.id}").status_code == 403


def test_system_admin_sees_every_pilot(client):
    pilots = [make_pilot(name="Första piloten"), make_pilot(name="Andra piloten")]
    login(client, make_admin())
    page = client.get("/pilots")
    assert shows(page, "Första piloten") and shows(page, "Andra piloten")
    for pilot in pilots:
        assert client.get(f"/pilots/{pilot.id}").status_code == 200


def test_employee_evaluates_no_pilot(client):
    pilot = make_pilot(name="Touch down Kungsklippan")
    login(client, make_user())
    page = client.get("/pilots")
    assert shows(page, sv("You do not evaluate any pilot."))
    assert not shows(page, "Touch down Kungsklippan")
    assert client.get(f"/pilots/{pilot.id}").status_code == 403


def test_unknown_pilot_is_not_found(client):
    login(client, make_admin())
    response = client.get("/pilots/987654")
    assert response.status_code == 404
    assert shows(response, sv("No such pilot."))


def _pilot_with(counts: dict[str, int]):
    """A pilot whose participants come from organisations named as in ``counts``."""
    people = []
    for name, n in counts.items():
        organisation = make_organisation(name=name)
        people += [make_user(organisation=organisation) for _ in range(n)]
    return make_pilot(participants=people)


def test_small_organisations_are_hidden_with_the_next_smallest_until_k_people():
    """Beside the total, one hidden organisation would be the total minus the others shown:
    the hidden ones hold at least k people together, as in the occupancy figures."""
    pilot = _pilot_with({"A": 10, "B": 2, "C": 4})
    # B (2) is under 3; C, the next smallest, goes too: together 6.
    assert ops.participants_by_organisation(pilot, 3) == [("A", 10), ("B", None), ("C", None)]
    # B and C (1 each) hold only 2 together: D, the next smallest, goes as well.
    pilot = _pilot_with({"W": 9, "X": 1, "Y": 1, "Z": 5})
    assert ops.participants_by_organisation(pilot, 3) == [
        ("W", 9),
        ("X", None),
        ("Y", None),
        ("Z", None),
    ]
    # Nobody under k: every count is shown; every one under k: all hidden.
    assert ops.participants_by_organisation(_pilot_with({"E": 3, "F": 4}), 3) == [
        ("E", 3),
        ("F", 4),
    ]
    assert ops.participants_by_organisation(_pilot_with({"G": 1, "H": 1}), 3) == [
        ("G", None),
        ("H", None),
    ]
    assert ops.participants_by_organisation(make_pilot(), 3) == []
