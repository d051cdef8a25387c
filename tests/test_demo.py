"""`flask hubbar demo` loads the real pilot, and every demo account can log in and do its job."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import time_machine
from sqlalchemy import func, select

from hubbar.accounts.models import Organisation, User
from hubbar.demo import DEMO_PASSWORD
from hubbar.extensions import db
from hubbar.hubs.models import Desk, Hub
from hubbar.pilots.models import Pilot, PilotStatus, pilot_participants
from tests.helpers import count, location, shows, sv

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=ZoneInfo("Europe/Stockholm"))  # a Monday


def _hub(name: str) -> Hub:
    return db.session.scalar(select(Hub).where(Hub.name == name))


def _login(app, email: str):
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": DEMO_PASSWORD})
    assert response.status_code == 302, email
    assert location(response) == "/", email
    return client


def test_demo_loads_the_pilot_and_every_account_works(app):
    runner = app.test_cli_runner()
    with time_machine.travel(NOW, tick=False):
        result = runner.invoke(args=["hubbar", "demo"])
        assert result.exit_code == 0, result.output
        assert "Demo data loaded." in result.output
        assert f"password: {DEMO_PASSWORD}" in result.output
        assert "admin@hubbar.example.org" in result.output

        assert sorted(db.session.scalars(select(Organisation.code))) == ["KuF", "SSA"]
        desks = dict(
            db.session.execute(
                select(Hub.name, func.count(Desk.id)).join(Desk).group_by(Hub.name)
            ).all()
        )
        assert desks == {
            "Kungsklippan 6": 5,
            "Stadsarkivet Liljeholmskajen": 10,
            "Kulturförvaltningen Rinkeby": 8,
        }
        pilot = db.session.scalar(select(Pilot))
        assert pilot.name == "Touch down Kungsklippan"
        assert [h.name for h in pilot.hubs] == ["Kungsklippan 6"]
        assert count(pilot_participants) == 15
        assert pilot.end_date == date(2026, 11, 20)  # the last Friday before the demo was made
        assert pilot.status is PilotStatus.ENDED

        # Every account logs in with the demo password and is greeted by name.
        users = db.session.scalars(select(User)).all()
        assert len(users) >= 20
        for user in users:
            client = _login(app, user.email)
            assert shows(client.get("/"), sv("Hello, %(name)s", name=user.display_name))

        kungsklippan = _hub("Kungsklippan 6").id
        rinkeby = _hub("Kulturförvaltningen Rinkeby").id

        admin = _login(app, "admin@hubbar.example.org")
        for url in [
            "/admin/users",
            "/admin/organisations",
            "/admin/hubs",
            "/admin/audit",
            "/pilots",
        ]:
            assert admin.get(url).status_code == 200, url

        manager = _login(app, "lokal@ssa.example.org")
        assert manager.get(f"/manage/hubs/{kungsklippan}").status_code == 200
        assert (
            manager.get(f"/manage/hubs/{_hub('Stadsarkivet Liljeholmskajen').id}").status_code
            == 200
        )
        assert manager.get(f"/manage/hubs/{rinkeby}").status_code == 403
        assert manager.get("/admin/users").status_code == 403

        rinkeby_manager = _login(app, "lokal@kuf.example.org")
        assert rinkeby_manager.get(f"/manage/hubs/{rinkeby}").status_code == 200
        assert rinkeby_manager.get(f"/manage/hubs/{kungsklippan}").status_code == 403

        evaluator = _login(app, "utvardering@hubbar.example.org")
        assert evaluator.get(f"/pilots/{pilot.id}").status_code == 200
        assert shows(evaluator.get("/pilots"), "Touch down Kungsklippan")
        assert evaluator.get("/admin/users").status_code == 403

        org_admin = _login(app, "personal@kuf.example.org")
        users_page = org_admin.get("/admin/users")
        assert users_page.status_code == 200
        assert shows(users_page, "Anna Berg")
        assert not shows(users_page, "Erik Sund")  # SSA's staff are not KuF's to manage

        anna = _login(app, "anna.berg@kuf.example.org")
        hubs_page = anna.get("/hubs")
        assert shows(hubs_page, "Kungsklippan 6")
        assert shows(hubs_page, "Stadsarkivet Liljeholmskajen")  # SSA admits KuF
        assert shows(hubs_page, "Kulturförvaltningen Rinkeby")  # her own organisation's
        assert anna.get(f"/hubs/{kungsklippan}").status_code == 200
        for url in [
            "/admin/users",
            "/admin/organisations",
            "/admin/hubs",
            "/admin/audit",
            "/manage/hubs",
        ]:
            assert anna.get(url).status_code == 403, url
        assert anna.get(f"/pilots/{pilot.id}").status_code == 403


def test_demo_if_empty_does_not_load_twice(app):
    runner = app.test_cli_runner()
    with time_machine.travel(NOW, tick=False):
        assert runner.invoke(args=["hubbar", "demo", "--if-empty"]).exit_code == 0
        users, desks = count(User), count(Desk)

        result = runner.invoke(args=["hubbar", "demo", "--if-empty"])
        assert result.exit_code == 0, result.output
        assert "not loaded again" in result.output
        assert (count(User), count(Desk), count(Organisation)) == (users, desks, 2)

        result = runner.invoke(args=["hubbar", "demo"])
        assert result.exit_code != 0
        assert "not empty" in result.output
        assert (count(User), count(Desk), count(Organisation)) == (users, desks, 2)
