"""Fixes from the review of the foundation: each a behaviour a user or operator notices."""

from __future__ import annotations

from datetime import date

from hubbar import create_app
from hubbar.config import SECRET_KEY_FILE
from hubbar.extensions import db
from hubbar.hubs.calendar import closed_holidays, early_closing_days, hub_days
from hubbar.hubs.models import OutOfService
from hubbar.pilots.models import Pilot
from hubbar.pilots.operations import participants_by_organisation
from tests.factories import login, make_admin, make_desk, make_hub, make_organisation, make_user
from tests.helpers import count, shows, sv


def test_without_a_configured_key_a_random_one_is_kept_in_the_instance_folder(
    tmp_path, monkeypatch, database_url
):
    monkeypatch.delenv("HUBBAR_SECRET_KEY", raising=False)
    monkeypatch.setenv("HUBBAR_INSTANCE_PATH", str(tmp_path))
    first = create_app({"SQLALCHEMY_DATABASE_URI": database_url}).config["SECRET_KEY"]
    second = create_app({"SQLALCHEMY_DATABASE_URI": database_url}).config["SECRET_KEY"]
    assert len(first) >= 40 and first == second
    assert (tmp_path / SECRET_KEY_FILE).read_text().strip() == first


def test_user_search_finds_swedish_capitals(client, admin):
    make_user(display_name="Daniel Åkesson")
    for query in ("Åkesson", "åkesson", "ÅKESSON"):
        assert shows(client.get("/admin/users", query_string={"q": query}), "Daniel Åkesson")


def test_easter_and_whitsun_eves_are_closed_days_by_name():
    days = closed_holidays(date(2026, 4, 1), date(2026, 5, 31))
    assert days[date(2026, 4, 4)] == "Påskafton"
    assert days[date(2026, 5, 23)] == "Pingstafton"
    assert closed_holidays(date(2026, 4, 4), date(2026, 4, 4), "en") == {
        date(2026, 4, 4): "Easter Eve"
    }


def test_early_closing_names_do_not_repeat_the_time():
    assert early_closing_days(date(2026, 12, 23), date(2026, 12, 23)) == {
        date(2026, 12, 23): "Dag före Julafton"
    }
    hub = make_hub(close_early_before_holidays=True)
    [day] = hub_days(hub, date(2026, 12, 23), date(2026, 12, 23))
    assert day.closes.hour == 14 and day.early_closing == "Dag före Julafton"


def test_a_wall_clock_time_the_clocks_skip_is_refused(client):
    hub = make_hub()
    desk = make_desk(hub)
    login(client, make_admin())
    response = client.post(
        f"/manage/hubs/{hub.id}/desks/{desk.id}/out-of-service",
        data={
            "oos-start_date": "2026-03-29",
            "oos-start_time": "02:30",
            "oos-end_date": "2026-03-29",
            "oos-end_time": "05:00",
            "oos-reason": "Ny stol",
        },
    )
    assert response.status_code == 422
    assert shows(response, sv("That time does not exist that night: the clocks go forward."))
    assert count(OutOfService) == 0


def test_small_groups_are_hidden_by_an_operation():
    kuf, ssa = make_organisation(name="KuF"), make_organisation(name="SSA")
    pilot = Pilot(
        name="P",
        host_organisation=ssa,
        start_date=date(2026, 9, 1),
        end_date=date(2026, 10, 31),
        participants=[make_user(organisation=kuf) for _ in range(3)]
        + [make_user(organisation=ssa)],
        hubs=[make_hub(host=ssa)],
    )
    db.session.add(pilot)
    db.session.commit()
    # SSA's 1 is hidden, and KuF's 3 with it: beside the total of 4 it would give SSA away.
    assert participants_by_organisation(pilot, 3) == [("KuF", None), ("SSA", None)]


def test_create_pilot_from_the_command_line(app):
    ssa = make_organisation(name="Stadsarkivet", code="SSA")
    make_organisation(name="Kulturförvaltningen", code="KuF")
    make_hub(host=ssa, name="Kungsklippan 6")
    result = app.test_cli_runner().invoke(
        args=[
            "hubbar",
            "create-pilot",
            "Touch down",
            "--host",
            "SSA",
            "--hub",
            "Kungsklippan 6",
            "--guest",
            "KuF",
            "--start",
            "2027-01-11",
        ]
    )
    assert result.exit_code == 0, result.output
    pilot = db.session.query(Pilot).one()
    assert (pilot.start_date, pilot.end_date) == (date(2027, 1, 11), date(2027, 3, 11))
    assert [o.code for o in pilot.guest_organisations] == ["KuF"]
    refused = app.test_cli_runner().invoke(
        args=[
            "hubbar",
            "create-pilot",
            "X",
            "--host",
            "NOPE",
            "--hub",
            "Kungsklippan 6",
            "--start",
            "2027-01-11",
        ]
    )
    assert refused.exit_code != 0 and "NOPE" in refused.output
    assert count(Pilot) == 1


def test_no_redirect_leaves_the_site(client):
    user = make_user()
    for target in ("//evil.example/", "/\\evil.example/", "https://evil.example/"):
        response = client.post(
            "/login?next=" + target, data={"email": user.email, "password": "correct horse battery"}
        )
        assert response.headers["Location"] == "/", target
        client.post("/logout")
        response = client.post("/language", data={"locale": "en", "next": target})
        assert response.headers["Location"] == "/", target
