"""The demo pilot's report, as the evaluator reads it: the page and the four formats agree with
each other and with the occupancy API for the pilot's period, and the PDF renders."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import datetime

import pypdfium2
import time_machine
from openpyxl import load_workbook
from sqlalchemy import select

from hubbar.accounts.models import User
from hubbar.demo import DEMO_PASSWORD, load_demo
from hubbar.extensions import db
from hubbar.formats import fmt_percent
from hubbar.hubs.models import Hub
from hubbar.occupancy.definitions import DEFINITIONS
from hubbar.occupancy.tables import UNIT
from hubbar.pilots import report as reports
from hubbar.pilots.models import Pilot, PilotStatus
from hubbar.pilots.tables import display
from tests.api.helpers import call, token_for
from tests.helpers import STOCKHOLM

DEMO_NOW = datetime(2026, 11, 23, 9, 30, tzinfo=STOCKHOLM)


def test_the_demo_report_agrees_with_the_occupancy_api_in_every_format(app):
    with time_machine.travel(DEMO_NOW, tick=False):
        load_demo()
        pilot = db.session.scalar(select(Pilot))
        hub = db.session.scalar(select(Hub).where(Hub.name == "Kungsklippan 6"))
        evaluator = db.session.scalar(
            select(User).where(User.email == "utvardering@hubbar.example.org")
        )
        # The scheduler reports the ended pilot.
        made = reports.generate_due(DEMO_NOW.date())
        assert [r.pilot_id for r in made] == [pilot.id]
        assert db.session.get(Pilot, pilot.id).status is PilotStatus.REPORTED
        period = {"from": pilot.start_date.isoformat(), "to": pilot.end_date.isoformat()}
        token = token_for(evaluator)
        api = call(
            app.test_client(),
            "GET",
            f"/api/v1/hubs/{hub.id}/occupancy",
            token,
            query_string=period,
        ).get_json()
        report_json = call(
            app.test_client(), "GET", f"/api/v1/pilots/{pilot.id}/report", token
        ).get_json()

        web = app.test_client()
        response = web.post("/login", data={"email": evaluator.email, "password": DEMO_PASSWORD})
        assert response.status_code == 302
        assert web.get(f"/pilots/{pilot.id}").status_code == 200
        page = web.get(f"/pilots/{pilot.id}/report")
        assert page.status_code == 200
        files = {}
        for fmt in ("pdf", "xlsx", "csv", "json"):
            response = web.get(f"/pilots/{pilot.id}/report.{fmt}")
            assert response.status_code == 200, fmt
            files[fmt] = response.data
        with app.test_request_context():
            booking_rate_text = fmt_percent(api["metrics"]["booking_rate"]["value"])
            # Every key figure as the PDF writes it, beside its name.
            in_words = {
                d.key: (
                    api["metrics"][d.key]["name"],
                    display(api["metrics"][d.key]["value"], UNIT, d.unit),
                )
                for d in DEFINITIONS
            }

    expected = {d.key: api["metrics"][d.key]["value"] for d in DEFINITIONS}
    assert expected["bookings"] > 100  # a real history

    # JSON (the API's report): the same figures as the occupancy API.
    in_json = {row["metric"]: row["value"] for row in report_json["tables"]["metrics"]}
    assert in_json == expected
    assert report_json["version"] == 1 and report_json["automatic"] is True
    assert report_json["criteria_total"] == 5

    # XLSX: the key-figure sheet holds the same numbers, as numbers.
    book = load_workbook(io.BytesIO(files["xlsx"]))
    sheet = next(s for s in book.worksheets if s.cell(2, 1).value == DEFINITIONS[0].key)
    in_xlsx = {row[0].value: row[2].value for row in sheet.iter_rows(min_row=2)}
    for key, value in expected.items():
        if value is None:
            assert in_xlsx[key] is None, key
        else:
            assert abs(in_xlsx[key] - value) < 1e-6, key
    bookings = book.worksheets[-1]
    assert isinstance(bookings.cell(2, 1).value, int)
    assert isinstance(bookings.cell(2, 7).value, datetime)  # start: a date-time, not text

    # CSV (a zip of tables): the same numbers again.
    with zipfile.ZipFile(io.BytesIO(files["csv"])) as archive:
        assert "metrics.csv" in archive.namelist() and "bookings.csv" in archive.namelist()
        rows = list(csv.DictReader(io.StringIO(archive.read("metrics.csv").decode("utf-8-sig"))))
    in_csv = {row["metric"]: row["value"] for row in rows}
    for key, value in expected.items():
        if value is None:
            assert in_csv[key] == "", key
        else:
            assert abs(float(in_csv[key]) - value) < 1e-6, key

    # PDF: A4 pages that render, numbered, showing the same booking rate as the page.
    document = pypdfium2.PdfDocument(files["pdf"])
    assert len(document) >= 5
    text = ""
    for number, pdf_page in enumerate(document, start=1):
        width, height = pdf_page.get_size()
        assert abs(width - 595.3) < 1 and abs(height - 841.9) < 1
        bitmap = pdf_page.render(scale=0.5).to_pil().convert("L")
        assert bitmap.getextrema()[0] < 128  # something is drawn on every page
        page_text = pdf_page.get_textpage().get_text_range()
        assert f"{number} av {len(document)}" in page_text
        text += page_text
    assert booking_rate_text.replace("\xa0", " ") in text.replace("\xa0", " ")
    # The key-figure table: each metric's value follows its name (a wrapped name may put the
    # value between its words, so look just after the name's first word).
    flat = " ".join(text.replace("\xa0", " ").split())
    figures = flat[flat.index("Nyckeltal") :]
    for key, (name, value) in in_words.items():
        at = figures.index(name.split()[0])
        assert value.replace("\xa0", " ") in figures[at : at + len(name) + 40], (key, value)
        figures = figures[at + len(name.split()[0]) :]
    assert booking_rate_text in page.get_data(as_text=True)
    assert "Bokningsgrad" in text and "Utvärderingsrapport" in text
