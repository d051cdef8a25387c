"""Each person downloads everything hubbar holds about them: every table that refers to a user
is in the export, and the export holds that person's rows and nobody else's."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date, timedelta

import pytest

from hubbar.accounts.models import LoginAttempt, Notification
from hubbar.api.operations import create_token
from hubbar.audit.operations import record
from hubbar.bookings import operations as booking_ops
from hubbar.bookings.models import BookingSeries
from hubbar.costs.models import Agreement
from hubbar.db import utcnow
from hubbar.extensions import db
from hubbar.mail.models import OutboxMessage, OutboxStatus
from hubbar.pilots.models import CriterionChange, Feedback, Otherwise
from hubbar.privacy import operations as ops
from tests.bookings.clock import at
from tests.factories import (
    login,
    make_agreement,
    make_hub,
    make_hub_manager,
    make_organisation,
    make_pilot,
    make_user,
    make_visit,
)

START = at("2026-03-02", "09:00")


def tables_referring_to_users() -> set[tuple[str, str]]:
    """Every (table, column) with a foreign key to users.id, plus the users table itself and
    the login attempts (kept under a hash of the e-mail)."""
    found = {("users", "id"), ("login_attempts", "account_key")}
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if any(fk.column.table.name == "users" for fk in column.foreign_keys):
                found.add((table.name, column.name))
    return found


def test_every_table_that_refers_to_a_user_is_exported():
    covered = {pair for section in ops.SECTIONS for pair in section.covers}
    covered.discard(("feedback", "booking_id"))  # reached through the person's bookings
    assert tables_referring_to_users() <= covered, (
        "A table refers to users but is not in the personal-data export: "
        f"{sorted(tables_referring_to_users() - covered)}"
    )


@pytest.fixture()
def anna(app):
    """Anna with something in every section, and Bo beside her."""
    kuf = make_organisation(name="Kulturförvaltningen", code="KuF")
    hub = make_hub(host=kuf, desks=2)
    anna = make_hub_manager(hub, organisation=kuf, display_name="Anna Berg")
    bo = make_user(kuf, display_name="Bo Ek")
    d1, d2 = hub.desks
    visit = make_visit(d1, anna, START, START + timedelta(hours=2))
    db.session.add(
        Feedback(
            booking_id=visit.id,
            rating=4,
            comment="Lugnt och bra",
            otherwise=Otherwise.HOME,
            minutes_saved=30,
        )
    )
    make_visit(d2, bo, START, START + timedelta(hours=2))
    booking_ops.book(
        anna, bo, d2, START + timedelta(days=1), START + timedelta(days=1, hours=1), now=START
    )
    db.session.add(BookingSeries(user_id=anna.id, weekdays="0,2", until=date(2026, 4, 1)))
    pilot = make_pilot([hub])
    pilot.participants.append(anna)
    db.session.add(CriterionChange(pilot_id=pilot.id, user_id=anna.id, before="a", after="b"))
    agreement = make_agreement(hub)
    db.session.get(Agreement, agreement.id).created_by_id = anna.id
    db.session.add(Notification(user_id=anna.id, kind="report_ready", subject_id=1))
    db.session.add(
        OutboxMessage(
            kind="booking",
            user_id=anna.id,
            recipient=anna.email,
            subject="Bokad",
            text_body="x",
            html_body="",
            attachments="[]",
            status=OutboxStatus.SENT,
            attempts=1,
            next_attempt_at=utcnow(),
            last_error="",
        )
    )
    db.session.add(
        LoginAttempt(
            account_key=ops.attempt_keys(anna.email)[0], address="10.0.0.7", succeeded=False
        )
    )
    db.session.add(
        LoginAttempt(account_key=ops.attempt_keys(bo.email)[0], address="10.0.0.8", succeeded=True)
    )
    create_token(anna, "Excel")
    record(anna, "hub.updated", hub, "Öppettider")
    db.session.commit()
    return anna


def test_the_export_holds_the_persons_data_in_every_section(anna):
    data = ops.export_personal_data(anna)
    sections = data["sections"]
    assert [key for key, rows in sections.items() if not rows] == []
    assert sections["profile"][0]["email"] == anna.email
    assert sections["roles"][0]["role"] == "hub_manager"
    assert [t["name"] for t in sections["api_tokens"]] == ["Excel"]
    assert len(sections["bookings"]) == 1
    assert len(sections["bookings_made_for_others"]) == 1
    assert sections["visit_feedback"][0]["comment"] == "Lugnt och bra"
    assert "Bokad" in {m["subject"] for m in sections["emails"]}
    assert [a["address"] for a in sections["login_attempts"]] == ["10.0.0.7"]
    assert {a["action"] for a in sections["audit_log"]} >= {"hub.updated"}
    assert {m["what"] for m in sections["made_by_you"]} == {"agreement", "criterion_change"}


def test_the_export_names_nobody_else(anna):
    text = json.dumps(ops.export_personal_data(anna), ensure_ascii=False)
    assert "Bo Ek" not in text
    assert "10.0.0.8" not in text


def test_downloads_from_the_profile_and_the_api(client, anna):
    login(client, anna)
    as_json = client.get("/profile/export.json")
    assert as_json.status_code == 200
    assert "attachment" in as_json.headers["Content-Disposition"]
    sections = as_json.get_json()["sections"]
    assert sections["profile"][0]["email"] == anna.email

    as_zip = client.get("/profile/export.zip")
    assert as_zip.status_code == 200
    with zipfile.ZipFile(io.BytesIO(as_zip.data)) as archive:
        names = set(archive.namelist())
        assert names == {f"{s.key}.csv" for s in ops.SECTIONS}
        bookings = archive.read("bookings.csv").decode("utf-8-sig").splitlines()
        assert bookings[0].startswith("booking_id,hub,desk")
        assert len(bookings) == 2

    _row, token = create_token(anna, "export")
    api = client.get("/api/v1/me/export", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200
    assert api.get_json()["sections"]["bookings"] == sections["bookings"]


def test_anonymous_callers_get_no_export(client):
    assert client.get("/profile/export.json").status_code == 302
    assert client.get("/api/v1/me/export").status_code == 401
