"""No name or e-mail address appears in what an evaluator or an organisation admin can read of
occupancy and evaluation: pages, downloads (CSV, XLSX cell by cell, the report's ZIP of CSVs, the
PDF's text) and API answers, over the demo data (the real pilot, with two months of bookings and
feedback by named people).

Only the viewer's own name and address may appear (the menu greets them). Hub information pages
(a hub's contact person) and the user admin pages of an organisation admin are out of scope:
those name people on purpose.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import zipfile
from datetime import datetime

import pypdfium2
import pytest
import time_machine
from openpyxl import load_workbook
from sqlalchemy import select

from hubbar.accounts.models import User
from hubbar.demo import DEMO_PASSWORD, load_demo
from hubbar.extensions import db
from hubbar.hubs.models import Hub
from hubbar.occupancy.exports import CSV_TABLES
from hubbar.pilots import report as reports
from hubbar.pilots.exports import FORMATS as REPORT_FORMATS
from hubbar.pilots.models import Pilot
from tests.api.helpers import call, token_for
from tests.helpers import STOCKHOLM

DEMO_NOW = datetime(2026, 11, 23, 9, 30, tzinfo=STOCKHOLM)  # the Monday after the pilot
EVALUATOR = "utvardering@hubbar.example.org"
ORG_ADMIN = "personal@kuf.example.org"


# --- reading every kind of output as text --------------------------------------------------


def _strings(value) -> list[str]:
    """Every key and value of a JSON document, as text (names may hide behind \\u escapes)."""
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (str(k), *_strings(v))]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return [str(value)]


def _xlsx(data: bytes) -> str:
    book = load_workbook(io.BytesIO(data))
    cells = []
    for sheet in book.worksheets:
        cells.append(sheet.title)
        cells.extend(str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None)
    return "\n".join(cells)


def _pdf(data: bytes) -> str:
    document = pypdfium2.PdfDocument(data)
    try:
        pages = []
        for page in document:
            textpage = page.get_textpage()
            pages.append(textpage.get_text_range())
            textpage.close()
            page.close()
        return "\n".join(pages)
    finally:
        document.close()


def _csv(data: bytes) -> str:
    rows = csv.reader(io.StringIO(data.decode("utf-8-sig")))
    return "\n".join("\t".join(row) for row in rows)


def _zip(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        assert names, "an empty ZIP"
        return "\n".join(name + "\n" + read(archive.read(name), name) for name in names)


def read(data: bytes, name: str, content_type: str = "") -> str:
    """The text of an output, by its type (or its file name's extension)."""
    kind = content_type.split(";")[0].strip() or name.rsplit(".", 1)[-1]
    if kind in ("application/pdf", "pdf"):
        return _pdf(data)
    if "spreadsheetml" in kind or kind == "xlsx":
        return _xlsx(data)
    if kind in ("application/zip", "zip"):
        return _zip(data)
    if kind in ("text/csv", "csv"):
        return _csv(data)
    if kind in ("application/json", "json"):
        return "\n".join(_strings(json.loads(data)))
    return html.unescape(data.decode("utf-8"))


def _plain(text: str) -> str:
    """Case and line breaks do not hide a name (a PDF wraps lines where it likes)."""
    return re.sub(r"\s+", " ", text).casefold()


# --- the check -----------------------------------------------------------------------------


class Scan:
    """Fetches outputs as one viewer and records every other person's name or address found."""

    def __init__(self, app, viewer: User):
        self.viewer = viewer
        people = db.session.scalars(select(User).where(User.id != viewer.id)).all()
        self.forbidden = {_plain(s): s for p in people for s in (p.display_name, p.email)}
        assert len(self.forbidden) > 40, "the demo has its people"
        self.web = app.test_client()
        response = self.web.post("/login", data={"email": viewer.email, "password": DEMO_PASSWORD})
        assert response.status_code == 302
        self.api = app.test_client()
        self.token = token_for(viewer)
        self.scanned: list[str] = []
        self.found: list[str] = []

    def check(self, label: str, response, shows: str | None = None) -> None:
        """Read the output; ``shows``: a text it must contain (so the reading is known to
        work: a PDF whose text came out empty would hide nothing)."""
        assert response.status_code == 200, (label, response.status_code)
        disposition = response.headers.get("Content-Disposition", "")
        name = disposition.rsplit("filename=", 1)[-1].strip('"') if disposition else label
        content = _plain(read(response.data, name, response.content_type))
        assert response.data, f"{label} is empty"
        if shows is not None:
            assert _plain(shows) in content, f"{label} does not show {shows!r}"
        self.scanned.append(label)
        for needle, original in self.forbidden.items():
            if needle in content:
                self.found.append(f"{label}: {original!r}")

    def page(self, url: str, shows: str | None = None) -> None:
        self.check(url, self.web.get(url), shows)

    def call(self, url: str, shows: str | None = None, **query) -> None:
        label = url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")
        response = call(self.api, "GET", url, self.token, query_string=query)
        self.check("API " + label, response, shows)

    def refused(self, url: str) -> None:
        assert self.web.get(url).status_code in (403, 404), url

    def assert_clean(self) -> None:
        assert not self.found, "Names or addresses shown:\n" + "\n".join(self.found)


@pytest.fixture()
def demo(app):
    """The demo, a week after the pilot ended: reported by the scheduler, and a second version
    made by the system admin (a report must not say who made it)."""
    with time_machine.travel(DEMO_NOW, tick=False):
        load_demo()
        reports.generate_due(DEMO_NOW.date())
        pilot = db.session.scalar(select(Pilot))
        admin = db.session.scalar(select(User).where(User.email == "admin@hubbar.example.org"))
        reports.generate(admin, pilot)
        yield pilot


def _user(email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


def _hubs() -> list[Hub]:
    return list(db.session.scalars(select(Hub).order_by(Hub.name)))


def occupancy_outputs(scan: Scan, selection: dict, hubs: list[Hub], pilot: Pilot) -> None:
    """The dashboard for ``selection``, every CSV table and the XLSX of it; the API's figures
    and raw bookings of each of ``hubs`` over the pilot's period; the hubs' day pages."""
    query = "&".join(f"{k}={v}" for k, v in selection.items())
    scan.page(f"/dashboard?{query}")
    for table in CSV_TABLES:
        scan.page(f"/dashboard/export.csv?{query}&table={table}")
    scan.page(f"/dashboard/export.xlsx?{query}")
    period = {"from": pilot.start_date.isoformat(), "to": pilot.end_date.isoformat()}
    for hub in hubs:
        scan.call(f"/api/v1/hubs/{hub.id}/occupancy", **period)
        scan.call(f"/api/v1/hubs/{hub.id}/bookings.csv", **period)
        scan.page(f"/hubs/{hub.id}/day?date={pilot.end_date.isoformat()}")
        scan.page(f"/hubs/{hub.id}/day")


def test_the_evaluator_reads_no_names(app, demo):
    pilot = demo
    with time_machine.travel(DEMO_NOW, tick=False):
        scan = Scan(app, _user(EVALUATOR))
        scan.page("/", shows=scan.viewer.display_name)  # the greeting: the one name allowed
        for url in ("/pilots", "/notifications", "/dashboard"):
            scan.page(url)
        # The pilot and its report: the page of each version, every format of the latest (the
        # admin's) on the web and of the first (the scheduler's) from the API. A PDF takes two
        # seconds to draw: one of each version.
        scan.page(f"/pilots/{pilot.id}")
        scan.page(f"/pilots/{pilot.id}/summary")
        scan.page(f"/pilots/{pilot.id}/report")
        scan.page(f"/pilots/{pilot.id}/report?version=1")
        for fmt in REPORT_FORMATS:
            scan.page(f"/pilots/{pilot.id}/report.{fmt}", shows="Kungsklippan 6")
            scan.call(
                f"/api/v1/pilots/{pilot.id}/report", shows="Kungsklippan 6", format=fmt, version=1
            )
        scan.call("/api/v1/pilots")
        scan.call("/api/v1/hubs")
        hubs = [h for h in _hubs() if h in pilot.hubs]
        occupancy_outputs(scan, {"pilot": pilot.id, "period": "pilot"}, hubs, pilot)
        occupancy_outputs(scan, {"period": "last_4_weeks"}, hubs, pilot)
        # Agreements (the charging basis) are not theirs to read.
        scan.refused("/agreements")
        scan.assert_clean()
        assert len(scan.scanned) > 40


def test_the_organisation_admin_reads_no_names(app, demo):
    pilot = demo
    with time_machine.travel(DEMO_NOW, tick=False):
        org_admin = _user(ORG_ADMIN)
        scan = Scan(app, org_admin)
        scan.page("/", shows=scan.viewer.display_name)  # the greeting: the one name allowed
        for url in ("/pilots", "/notifications", "/dashboard"):
            scan.page(url)
        hubs = _hubs()
        for hub in hubs:
            occupancy_outputs(
                scan,
                {"hub": hub.id, "period": "custom", "from": pilot.start_date, "to": pilot.end_date},
                [hub],
                pilot,
            )
        occupancy_outputs(
            scan,
            {"period": "last_4_weeks", "organisation": org_admin.organisation_id},
            [],
            pilot,
        )
        scan.call("/api/v1/pilots")
        scan.call("/api/v1/hubs")
        # The pilot's report and the agreements are not theirs to read.
        scan.refused(f"/pilots/{pilot.id}/report")
        scan.refused("/agreements")
        scan.assert_clean()
        assert len(scan.scanned) > 40


def test_the_scan_finds_the_names_a_hub_manager_may_read(app, demo):
    """The check itself: the manager of the pilot's hub reads the bookers' names in the raw
    bookings (as a CSV and in the XLSX) and on the hub's day page, and the scan finds them."""
    pilot = demo
    hub = pilot.hubs[0]
    with time_machine.travel(DEMO_NOW, tick=False):
        scan = Scan(app, _user("lokal@ssa.example.org"))
        period = {"from": pilot.start_date.isoformat(), "to": pilot.end_date.isoformat()}
        scan.call(f"/api/v1/hubs/{hub.id}/bookings.csv", **period)
        scan.page(f"/dashboard/export.xlsx?hub={hub.id}&period=pilot&pilot={pilot.id}")
        scan.page(f"/hubs/{hub.id}/day")
        shown = {line.split(":", 1)[0] for line in scan.found}
        assert shown == set(scan.scanned), scan.found
        assert any("Anna Berg" in line for line in scan.found)
