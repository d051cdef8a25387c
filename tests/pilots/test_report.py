"""The pilot evaluation report: criteria at their boundaries, versions and the scheduler, the
formats, the API and the CLI, and that no participant's name reaches an evaluator."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from openpyxl import load_workbook
from sqlalchemy import select

from hubbar.accounts.models import Notification, User
from hubbar.bookings.models import Booking, BookingStatus
from hubbar.extensions import db
from hubbar.pilots import report as reports
from hubbar.pilots.models import Comparator, Criterion, CriterionChange, PilotReport, PilotStatus
from tests.api.helpers import call, error_of, token_for
from tests.bookings.clock import at
from tests.factories import login, make_admin, make_evaluator, make_pilot, make_user
from tests.helpers import count
from tests.occupancy.conftest import book, hub_with_desks

MONDAY = date(2026, 9, 7)
AFTER = at("2026-11-10", "12:00")  # the pilot (1 September – 31 October) is over


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(AFTER, tick=False) as traveller:
        yield traveller


@pytest.fixture()
def pilot():
    """One hub of two desks open 08–17; three participants of the guest organisation and one
    host employee booked on Monday 7 September: 4 bookings, 3 people checked in."""
    hub = hub_with_desks(2)
    guest = make_user().organisation
    people = [make_user(guest, display_name=n) for n in ("Ulla Ek", "Sven Berg", "Tove Lind")]
    host_person = make_user(hub.host_organisation, display_name="Hanna Värd")
    pilot = make_pilot(
        [hub],
        guest_organisations=[guest],
        participants=people,
        status=PilotStatus.ENDED,
    )
    created = at("2026-09-01", "10:00")
    d1, d2 = hub.desks
    book(
        d1,
        people[0],
        at("2026-09-07", "08:00"),
        at("2026-09-07", "12:00"),
        created=created,
        checked_in=at("2026-09-07", "08:05"),
    )
    book(
        d1,
        people[1],
        at("2026-09-07", "13:00"),
        at("2026-09-07", "17:00"),
        created=created,
        checked_in=at("2026-09-07", "13:00"),
    )
    book(
        d2,
        people[2],
        at("2026-09-07", "08:00"),
        at("2026-09-07", "17:00"),
        created=created,
        checked_in=at("2026-09-07", "08:30"),
    )
    book(
        d2,
        host_person,
        at("2026-09-08", "08:00"),
        at("2026-09-08", "10:00"),
        created=created,
        status=BookingStatus.RELEASED,
        released=at("2026-09-08", "08:30"),
    )
    return pilot


def criterion(pilot, metric, comparator, target, baseline=None):
    row = Criterion(
        pilot=pilot,
        metric=metric,
        comparator=comparator,
        target=target,
        baseline=baseline,
        position=len(pilot.criteria),
    )
    db.session.add(row)
    db.session.commit()
    return row


# --- criteria ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("comparator", "value", "target", "expected"),
    [
        (Comparator.AT_LEAST, 0.5, 0.5, reports.MET),
        (Comparator.AT_LEAST, 0.49, 0.5, reports.NOT_MET),
        (Comparator.AT_MOST, 0.15, 0.15, reports.MET),
        (Comparator.AT_MOST, 0.16, 0.15, reports.NOT_MET),
        (Comparator.AT_LEAST, 0.1 + 0.2, 0.3, reports.MET),  # 0.30000000000000004 is 0.3
        (Comparator.AT_MOST, 0.1 + 0.2, 0.3, reports.MET),
        (Comparator.AT_LEAST, None, 0.5, reports.NOT_MEASURABLE),
        (Comparator.AT_MOST, None, 0.5, reports.NOT_MEASURABLE),
    ],
)
def test_a_value_exactly_at_its_target_meets_it_and_no_value_is_never_a_pass(
    comparator, value, target, expected
):
    assert reports.outcome(comparator, value, target) == expected


def test_the_report_measures_each_criterion_at_its_boundary(app, pilot):
    # 3 unique users exactly (the released host booking has a booked interval too: 4 people;
    # see below), 1 no-show of 4 bookings needing check-in = 25 %.
    criterion(pilot, "unique_users", Comparator.AT_LEAST, 4)
    criterion(pilot, "unique_users", Comparator.AT_MOST, 4)
    criterion(pilot, "no_show_rate", Comparator.AT_MOST, 0.25)
    criterion(pilot, "no_show_rate", Comparator.AT_LEAST, 0.26)
    criterion(pilot, "mean_rating", Comparator.AT_LEAST, 4.0)  # no feedback yet
    shown = reports.preview(pilot)
    outcomes = [(c.metric, c.value, c.outcome) for c in shown.criteria]
    assert outcomes == [
        ("unique_users", 4, reports.MET),
        ("unique_users", 4, reports.MET),
        ("no_show_rate", 0.25, reports.MET),
        ("no_show_rate", 0.25, reports.NOT_MET),
        ("mean_rating", None, reports.NOT_MEASURABLE),
    ]
    assert shown.met == 3


def test_a_criterion_hidden_to_protect_a_small_group_is_not_measurable(app, pilot):
    # One host person and three guests: the host side is under k = 3, so the cross-organisation
    # share is hidden from evaluators, and a criterion on it cannot be judged.
    criterion(pilot, "cross_org_share", Comparator.AT_LEAST, 0.5)
    shown = reports.preview(pilot)
    assert shown.criteria[0].outcome == reports.NOT_MEASURABLE
    assert shown.criteria[0].value is None


# --- versions, the scheduler and notifications -------------------------------------------


def test_the_scheduler_reports_an_ended_pilot_once_and_tells_its_evaluators(app, pilot):
    evaluator = make_evaluator(pilot)
    made = reports.generate_due(date(2026, 11, 10))
    again = reports.generate_due(date(2026, 11, 10))
    assert len(made) == 1 and again == []
    assert count(PilotReport) == 1
    stored = db.session.scalar(select(PilotReport))
    assert stored.scheduled_for == pilot.end_date and stored.version == 1
    assert db.session.get(type(pilot), pilot.id).status is PilotStatus.REPORTED
    told = db.session.scalars(select(Notification).where(Notification.user_id == evaluator.id))
    assert [(n.kind, n.subject_id) for n in told] == [(reports.REPORT_READY, stored.id)]
    # Each participant hears once that there is a summary to read.
    assert count(Notification, Notification.kind == reports.SUMMARY_READY) == 3


def test_a_pilot_that_has_not_ended_gets_no_automatic_report(app, pilot):
    assert reports.generate_due(pilot.end_date) == []  # the end date itself is still the pilot
    assert count(PilotReport) == 0


def test_a_second_process_making_the_same_automatic_report_is_refused_by_the_database(app, pilot):
    reports.generate(None, pilot, scheduled_for=pilot.end_date)
    with pytest.raises(Exception):  # noqa: B017 - the unique (pilot, scheduled_for)
        reports.generate(None, pilot, scheduled_for=pilot.end_date)
    db.session.rollback()
    assert count(PilotReport) == 1


def test_a_stored_version_never_changes_and_a_new_one_sees_the_new_data(app, pilot, clock):
    first = reports.generate(None, pilot)
    before = reports.stored(first)
    person = make_user(pilot.guest_organisations[0])
    book(
        pilot.hubs[0].desks[0],
        person,
        at("2026-09-09", "08:00"),
        at("2026-09-09", "12:00"),
        created=at("2026-09-01", "10:00"),
        checked_in=at("2026-09-09", "08:00"),
    )
    criterion(pilot, "bookings", Comparator.AT_LEAST, 5)
    db.session.add(CriterionChange(pilot_id=pilot.id, before="", after="Bookings ≥ 5"))
    db.session.commit()
    second = reports.generate(None, pilot)
    assert (first.version, second.version) == (1, 2)
    assert reports.stored(first).value("bookings") == before.value("bookings") == 4
    assert reports.stored(second).value("bookings") == 5
    assert reports.stored(second).changes[0].after == "Bookings ≥ 5"
    assert reports.stored(first).changes == []


# --- pages, formats, the API and the CLI ------------------------------------------------------


def test_evaluators_read_every_version_and_others_may_not(app, client, pilot):
    evaluator = make_evaluator(pilot)
    reports.generate(None, pilot)
    reports.generate(None, pilot)
    login(client, evaluator)
    assert client.get(f"/pilots/{pilot.id}/report").status_code == 200
    page = client.get(f"/pilots/{pilot.id}/report?version=1")
    assert page.status_code == 200 and "version 1" in page.get_data(as_text=True).lower()
    assert client.get(f"/pilots/{pilot.id}/report?version=9").status_code == 404
    assert client.get(f"/pilots/{pilot.id}/report?version=x").status_code in (400, 422)
    for fmt in ("pdf", "xlsx", "csv", "json"):
        response = client.get(f"/pilots/{pilot.id}/report.{fmt}?version=1")
        assert response.status_code == 200, fmt
        assert "v1" in response.headers["Content-Disposition"]
    assert client.get(f"/pilots/{pilot.id}/report.doc").status_code == 404
    other = app.test_client()
    login(other, make_user())
    assert other.get(f"/pilots/{pilot.id}/report").status_code == 403
    assert other.get(f"/pilots/{pilot.id}/report.pdf").status_code == 403


def test_an_evaluator_generates_a_new_version_from_the_page(app, client, pilot):
    login(client, make_evaluator(pilot))
    response = client.post(f"/pilots/{pilot.id}/report/generate")
    assert response.status_code == 302
    assert count(PilotReport) == 1
    assert "version=1" in response.headers["Location"]


def test_a_planned_pilot_has_nothing_to_report(app, client):
    pilot = make_pilot(
        status=PilotStatus.PLANNED, start_date=date(2027, 1, 4), end_date=date(2027, 3, 3)
    )
    login(client, make_evaluator(pilot))
    response = client.post(f"/pilots/{pilot.id}/report/generate", follow_redirects=True)
    assert response.status_code == 200
    assert count(PilotReport) == 0


def test_the_api_lists_pilots_and_serves_the_report_in_every_format(app, pilot):
    evaluator = make_evaluator(pilot)
    token = token_for(evaluator)
    client = app.test_client()
    listed = call(client, "GET", "/api/v1/pilots", token).get_json()
    assert [(p["id"], p["name"], [h["id"] for h in p["hubs"]]) for p in listed] == [
        (pilot.id, pilot.name, [pilot.hubs[0].id])
    ]
    assert listed[0]["from"] == "2026-09-01" and listed[0]["to"] == "2026-10-31"
    data = call(client, "GET", f"/api/v1/pilots/{pilot.id}/report", token).get_json()
    assert data["version"] is None  # nothing stored yet: a preview
    metrics = {row["metric"]: row["value"] for row in data["tables"]["metrics"]}
    assert metrics["bookings"] == 4 and metrics["unique_users"] == 4
    for fmt, kind in (("pdf", "application/pdf"), ("xlsx", "spreadsheet"), ("csv", "zip")):
        response = call(client, "GET", f"/api/v1/pilots/{pilot.id}/report?format={fmt}", token)
        assert response.status_code == 200 and kind in response.content_type
    bad = call(client, "GET", f"/api/v1/pilots/{pilot.id}/report?format=doc", token)
    assert error_of(bad, 422, "invalid_input")
    stranger = token_for(make_user())
    assert call(client, "GET", "/api/v1/pilots", stranger).get_json() == []
    assert call(client, "GET", f"/api/v1/pilots/{pilot.id}/report", stranger).status_code == 403
    assert call(client, "GET", "/api/v1/pilots/99999/report", token).status_code == 404


def test_the_cli_writes_the_report(app, pilot, tmp_path):
    runner = app.test_cli_runner()
    out = tmp_path / "report.xlsx"
    result = runner.invoke(
        args=["hubbar", "report", pilot.name, "--format", "xlsx", "--out", str(out), "--new"]
    )
    assert result.exit_code == 0, result.output
    assert "version 1" in result.output
    book = load_workbook(out)
    assert "Bokningar" in book.sheetnames
    result = runner.invoke(args=["hubbar", "report", "No such pilot", "--out", str(out)])
    assert result.exit_code != 0 and "No pilot" in result.output


def test_participants_read_the_summary_once_the_pilot_is_reported(app, client, pilot):
    participant = pilot.participants[0]
    login(client, participant)
    assert client.get(f"/pilots/{pilot.id}/summary").status_code == 404
    reports.generate(None, pilot)
    page = client.get(f"/pilots/{pilot.id}/summary")
    assert page.status_code == 200
    notices = client.get("/notifications")
    assert pilot.name in notices.get_data(as_text=True)
    stranger = app.test_client()
    login(stranger, make_user())
    assert stranger.get(f"/pilots/{pilot.id}/summary").status_code == 404


# --- no names for evaluators --------------------------------------------------------------------


def test_no_participant_name_or_email_reaches_any_evaluator_output(app, client, pilot):
    people = db.session.scalars(select(User).where(User.id.in_(select(Booking.user_id)))).all()
    assert len(people) == 4
    secrets = {p.display_name for p in people} | {p.email for p in people}
    reports.generate(None, pilot)
    login(client, make_evaluator(pilot))
    texts = {"page": client.get(f"/pilots/{pilot.id}/report").get_data(as_text=True)}
    texts["json"] = client.get(f"/pilots/{pilot.id}/report.json").get_data(as_text=True)
    with zipfile.ZipFile(io.BytesIO(client.get(f"/pilots/{pilot.id}/report.csv").data)) as z:
        texts["csv"] = "".join(z.read(name).decode("utf-8-sig") for name in z.namelist())
    book = load_workbook(io.BytesIO(client.get(f"/pilots/{pilot.id}/report.xlsx").data))
    texts["xlsx"] = " ".join(
        str(cell.value) for sheet in book for row in sheet.iter_rows() for cell in row
    )
    texts["pdf"] = pdf_text(client.get(f"/pilots/{pilot.id}/report.pdf").data)
    for fmt, text in texts.items():
        assert "P-" in text or fmt in ("page", "pdf"), fmt  # pseudonyms where bookings are
        for secret in secrets:
            assert secret not in text, (fmt, secret)


def pdf_text(data: bytes) -> str:
    import pypdfium2

    document = pypdfium2.PdfDocument(data)
    return "\n".join(page.get_textpage().get_text_range() for page in document)


def test_json_report_is_valid_json_with_every_table(app, client, pilot):
    login(client, make_admin())
    data = json.loads(client.get(f"/pilots/{pilot.id}/report.json").data)
    assert {
        "terms",
        "criteria",
        "metrics",
        "organisations",
        "desks",
        "satisfaction",
        "comments",
        "costs",
        "criterion_changes",
        "data_quality",
    } <= set(data["tables"])
    quality = {row["figure"]: row["value"] for row in data["tables"]["data_quality"]}
    # 4 bookings needing check-in, the released one without.
    assert quality["checkin_required"] == 4 and quality["without_checkin"] == 1
    assert datetime.fromisoformat(data["generated_at"]).astimezone(UTC) == AFTER.astimezone(UTC)
    assert len(data["bookings"]) == 4
    assert timedelta(0) <= AFTER - datetime.fromisoformat(data["counted_until"])


def test_the_report_is_swedish_by_default_and_english_on_request(app, client, pilot):
    login(client, make_evaluator(pilot))
    swedish = pdf_text(client.get(f"/pilots/{pilot.id}/report.pdf").data)
    english = pdf_text(client.get(f"/pilots/{pilot.id}/report.pdf?lang=en").data)
    assert "Utvärderingsrapport" in swedish and "Sida 1 av" in swedish
    assert "Evaluation report" in english and "Page 1 of" in english
    page = client.get(f"/pilots/{pilot.id}/report").get_data(as_text=True)
    assert "lang=en" in page  # the page offers the other language
    bad = client.get(f"/pilots/{pilot.id}/report.pdf?lang=de")
    assert bad.status_code in (400, 422)
    token = token_for(make_evaluator(pilot))
    api = call(app.test_client(), "GET", f"/api/v1/pilots/{pilot.id}/report?lang=en", token)
    assert api.get_json()["tables"]["metrics"][0]["name"] == "Capacity"


def test_cost_scenarios_never_name_an_organisation_hidden_as_a_small_group(app, pilot):
    # The host has one person (< 3), so its row is hidden, and with it the next smallest
    # (the guests' 3), as in the figures: the costs charge them together as "< 3".
    shown = reports.preview(pilot)
    assert shown.occupancy.hidden_organisations == {
        pilot.host_organisation_id,
        pilot.guest_organisations[0].id,
    }
    names = {share.organisation_name for s in shown.scenarios for share in s.shares}
    assert names == {"< 3"}
    balances = [b for s in shown.scenarios for b in s.balances]
    assert balances == []  # one party: nothing to net
    by_hours = next(
        s for s in shown.scenarios if s.key is not None and s.key.value == "booked_hours"
    )
    assert sum(share.amount for share in by_hours.shares) == by_hours.total


def test_a_version_that_is_not_a_plain_number_is_refused_not_a_crash(app, client, pilot):
    evaluator = make_evaluator(pilot)
    login(client, evaluator)
    for bad in ("%C2%B2", "-1", "1.0", "99999999999999999999"):
        assert client.get(f"/pilots/{pilot.id}/report?version={bad}").status_code in (400, 422)
        assert client.get(f"/pilots/{pilot.id}/report.pdf?version={bad}").status_code in (
            400,
            422,
        )
        api = call(
            app.test_client(),
            "GET",
            f"/api/v1/pilots/{pilot.id}/report?version={bad}",
            token_for(evaluator),
        )
        assert api.status_code == 422


def test_the_cli_refuses_to_report_a_pilot_that_has_not_started(app, tmp_path):
    pilot = make_pilot(start_date=date(2027, 1, 4), end_date=date(2027, 3, 3))
    result = app.test_cli_runner().invoke(
        args=["hubbar", "report", str(pilot.id), "--new", "--out", str(tmp_path / "r.pdf")]
    )
    assert result.exit_code != 0 and count(PilotReport) == 0


def test_outcomes_have_stable_codes_and_terms_have_typed_cells(app, client, pilot):
    criterion(pilot, "bookings", Comparator.AT_LEAST, 4)
    login(client, make_evaluator(pilot))
    data = json.loads(client.get(f"/pilots/{pilot.id}/report.json").data)
    assert [(c["metric"], c["outcome"]) for c in data["tables"]["criteria"]] == [
        ("bookings", "met")
    ]
    book = load_workbook(io.BytesIO(client.get(f"/pilots/{pilot.id}/report.xlsx").data))
    terms = {row[0].value: row[2].value for row in book.worksheets[0].iter_rows(min_row=2)}
    assert terms["first_day"] == datetime(2026, 9, 1)  # a date cell, not text
    assert terms["participants"] == 3
    assert isinstance(terms["hub_cost"], int | float)  # a number, not "0,00 kr"
