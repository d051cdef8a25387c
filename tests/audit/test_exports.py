"""Exports of the audit log: what the filter selects, as CSV and XLSX, and each export is itself
recorded."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook

from hubbar.audit import exports
from hubbar.audit.operations import record
from hubbar.extensions import db
from tests.factories import login, make_admin, make_hub, make_user
from tests.helpers import audit_events, shows


def _event(actor, action, obj=None, summary="", changes=None, at: datetime | None = None):
    event = record(actor, action, obj, summary, changes)
    if at is not None:
        event.occurred_at = at
    db.session.commit()
    return event


@pytest.fixture()
def admin(client):
    user = make_admin(display_name="Alex Andersson", email="alex@ssa.example.org", locale="en")
    login(client, user)
    return user


@pytest.fixture()
def log(admin):
    asa = make_user(display_name="Åsa Öberg", email="asa.oberg@kuf.example.org")
    hub = make_hub(name="Kungsklippan 6")
    hub_event = _event(
        asa,
        "hub.update",
        hub,
        '=HYPERLINK("http://evil.example")',
        {"name": ["Kungsklippan", "Kungsklippan 6"], "active": [True, False]},
        at=datetime(2026, 7, 1, 8, 30, tzinfo=UTC),
    )
    org_event = _event(
        admin, "organisation.create", None, "KuF", at=datetime(2026, 7, 2, 9, tzinfo=UTC)
    )
    return {"hub": hub, "hub_event": hub_event, "org_event": org_event}


def _csv(response) -> list[dict]:
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")  # Excel reads the file as UTF-8
    return list(csv.DictReader(io.StringIO(body[1:])))


def test_csv_holds_the_filtered_events(client, log, admin):
    response = client.get("/admin/audit/export.csv?action=hub.update&from=2026-07-01")
    assert response.status_code == 200
    assert response.content_type == "text/csv; charset=utf-8"
    assert 'filename="hubbar-audit-log-' in response.headers["Content-Disposition"]
    [row] = _csv(response)
    assert list(row) == list(exports.CSV_COLUMNS)
    assert row["event_id"] == str(log["hub_event"].id)
    assert row["occurred_at"] == "2026-07-01T10:30:00+02:00"  # Stockholm summer time
    assert (row["actor"], row["actor_email"]) == ("Åsa Öberg", "asa.oberg@kuf.example.org")
    assert (row["action"], row["action_text"]) == ("hub.update", "Hub settings changed")
    assert (row["object_type"], row["object_id"]) == ("Hub", str(log["hub"].id))
    assert row["summary"] == '\'=HYPERLINK("http://evil.example")'  # never a formula
    assert row["changes"] == '{"active": [true, false], "name": ["Kungsklippan", "Kungsklippan 6"]}'


def test_an_export_is_recorded_and_not_part_of_itself(client, log, admin):
    rows = _csv(client.get("/admin/audit/export.csv"))
    assert [r["summary"] for r in rows] == ["KuF", '\'=HYPERLINK("http://evil.example")']
    [exported] = audit_events("audit.exported")
    assert exported.actor_id == admin.id
    assert exported.summary == "csv, 2 events: all events"
    client.get("/admin/audit/export.xlsx?actor=%C3%85sa&to=2026-07-01")
    assert [e.summary for e in audit_events("audit.exported")] == [
        "csv, 2 events: all events",
        "xlsx, 1 events: actor=Åsa, to=2026-07-01",
    ]
    # The next export holds the earlier exports.
    rows = _csv(client.get("/admin/audit/export.csv?action=audit.exported"))
    assert len(rows) == 2


def test_xlsx_has_dates_as_dates(client, log):
    response = client.get("/admin/audit/export.xlsx?type=Hub")
    assert response.status_code == 200
    assert response.content_type == exports.XLSX_MIMETYPE
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["About", "Audit log"]
    sheet = book["Audit log"]
    header, *rows = list(sheet.iter_rows(values_only=True))
    assert header[:5] == ("Event", "Time", "Who", "E-mail address", "What")
    [row] = rows
    assert row[0] == log["hub_event"].id
    assert row[1] == datetime(2026, 7, 1, 10, 30)  # local time, a date the sheet can count with
    assert sheet["B2"].number_format == exports.DATETIME_FORMAT
    assert row[2:8] == (
        "Åsa Öberg",
        "asa.oberg@kuf.example.org",
        "Hub settings changed",
        "hub.update",
        "Hub",
        log["hub"].id,
    )
    assert sheet["I2"].data_type == "s" and row[8].startswith("=HYPERLINK")  # text, no formula
    assert row[9] == "name: Kungsklippan → Kungsklippan 6\nactive: yes → no"
    about = {r[0]: r[1] for r in book["About"].iter_rows(values_only=True)}
    assert about["Events"] == 1 and about["Object type"] == "Hub"
    assert about["Times"] == "Local time in Europe/Stockholm."


def test_xlsx_filter_dates_are_dates(client, log):
    response = client.get("/admin/audit/export.xlsx?from=2026-07-01&to=2026-07-31")
    about = {
        r[0]: r[1]
        for r in load_workbook(io.BytesIO(response.data))["About"].iter_rows(values_only=True)
    }
    assert about["From"] == datetime(2026, 7, 1) and about["To"].date() == date(2026, 7, 31)


def test_an_export_with_a_filter_that_cannot_be_is_refused_and_not_recorded(client, log):
    for fmt in ("csv", "xlsx"):
        response = client.get(f"/admin/audit/export.{fmt}?from=2026-13-01")
        assert response.status_code == 422
        assert shows(response, "Enter a valid date, like 2026-03-31.")
    assert audit_events("audit.exported") == []


def test_a_too_large_xlsx_is_refused_with_a_way_out(client, log, monkeypatch):
    monkeypatch.setattr(exports, "XLSX_LIMIT", 1)
    response = client.get("/admin/audit/export.xlsx")
    assert response.status_code == 422
    assert shows(response, "at most 1") and shows(response, "download CSV")
    assert audit_events("audit.exported") == []
    assert client.get("/admin/audit/export.xlsx?type=Hub").status_code == 200


def test_unknown_format_is_not_found(client, admin):
    assert client.get("/admin/audit/export.pdf").status_code == 404
    assert audit_events("audit.exported") == []


def test_csv_streams_every_event(client, admin):
    for n in range(1203):
        record(admin, "hub.update", None, f"ev-{n}")
    db.session.commit()
    rows = _csv(client.get("/admin/audit/export.csv"))
    assert len(rows) == 1203
    assert rows[0]["summary"] == "ev-1202" and rows[-1]["summary"] == "ev-0"
