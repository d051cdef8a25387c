"""The pilot report as files: XLSX, CSV (a zip of the tables), JSON and PDF, each written from
the same :class:`~hubbar.pilots.report.Report` and the same tables (:mod:`hubbar.pilots.tables`).
"""

from __future__ import annotations

import io
import json
import re
import threading
import zipfile
from collections import OrderedDict
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import TypeVar

from flask_babel import get_locale
from flask_babel import gettext as _
from openpyxl import Workbook

from hubbar.occupancy import exports as occupancy_exports
from hubbar.occupancy import operations as occupancy_ops
from hubbar.occupancy import tables as occupancy_tables
from hubbar.occupancy.exports import csv_lines
from hubbar.pilots import tables as report_tables
from hubbar.pilots.report import Report

T = TypeVar("T")
FORMATS = ("pdf", "xlsx", "csv", "json")
MIMETYPES = {
    "pdf": "application/pdf",
    "xlsx": occupancy_exports.XLSX_MIMETYPE,
    "csv": "application/zip",
    "json": "application/json",
}
EXCEL_FORMATS = {
    **occupancy_exports.NUMBER_FORMATS,
    report_tables.MONEY: "#,##0.00",
    report_tables.DATETIME: "yyyy-mm-dd hh:mm",
    report_tables.NUMBER: "General",
}
TIME_COLUMNS = {
    "start",
    "end",
    "created_at",
    "checked_in_at",
    "checked_out_at",
    "cancelled_at",
    "released_at",
}


# What is drawn from a stored version (its files, the page's charts), by (snapshot digest,
# what, language): a stored version never changes, and drawing its PDF takes seconds. Per
# process, the most recently used RECENT of them.
RECENT = 16
_recent: OrderedDict[tuple, object] = OrderedDict()
_recent_lock = threading.Lock()


def remembered(report: Report, what: str, make: Callable[[], T]) -> T:
    """``make()``, remembered for a stored version (a preview is made every time, since its
    figures move with the bookings)."""
    if report.digest is None:
        return make()
    key = (report.pilot_id, report.version, report.automatic, report.digest, what)
    key += (str(get_locale()),)
    with _recent_lock:
        if key in _recent:
            _recent.move_to_end(key)
            return _recent[key]
    made = make()
    with _recent_lock:
        _recent[key] = made
        while len(_recent) > RECENT:
            _recent.popitem(last=False)
    return made


def render_cached(report: Report, fmt: str) -> bytes:
    """:func:`render`, remembered for stored versions."""
    return remembered(report, fmt, lambda: render(report, fmt))


def render(report: Report, fmt: str) -> bytes:
    """The report as the bytes of a file in ``fmt`` (one of FORMATS)."""
    if fmt == "pdf":
        from hubbar.pilots.pdf import report_pdf

        return report_pdf(report)
    if fmt == "xlsx":
        return xlsx(report)
    if fmt == "csv":
        return csv_zip(report)
    return json.dumps(json_data(report), ensure_ascii=False, indent=1).encode("utf-8")


def filename(report: Report, extension: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", report.name.lower()).strip("-") or "pilot"
    version = f"-v{report.version}" if report.version else "-preview"
    return f"hubbar-{slug}-report{version}.{'zip' if extension == 'csv' else extension}"


# --- XLSX ------------------------------------------------------------------------------------


def xlsx(report: Report) -> bytes:
    """A sheet per table, then the pseudonymised raw bookings; numbers as numbers, dates and
    times as dates and times (in the hub's time zone)."""
    book = Workbook(write_only=True)
    names: set[str] = set()
    for table in report_tables.all_tables(report):
        _table_sheet(book, occupancy_exports._sheet_title(str(table.title), names), table)
    _bookings_sheet(book, occupancy_exports._sheet_title(_("Bookings"), names), report)
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def _table_sheet(book: Workbook, title: str, table: occupancy_tables.Table) -> None:
    sheet = book.create_sheet(title)
    columns = [[row[i] for row in table.rows] for i in range(len(table.headers))]
    occupancy_exports._widths(
        sheet,
        [occupancy_exports._width(c, v) for c, v in zip(table.headers, columns, strict=True)],
    )
    sheet.append(occupancy_exports._header(sheet, [c.title for c in table.headers]))
    unit_index = table.keys.index("unit") if "unit" in table.keys else None
    for row in table.rows:
        cells = []
        for column, value in zip(table.headers, row, strict=True):
            if column.kind == occupancy_tables.UNIT:
                unit = row[unit_index] if unit_index is not None else None
                fmt = occupancy_exports.UNIT_FORMATS.get(unit) or EXCEL_FORMATS.get(unit)
            else:
                fmt = EXCEL_FORMATS.get(column.kind)
            if isinstance(value, Decimal):
                value = float(value)
            wrap = occupancy_exports.WRAP if column.kind == occupancy_tables.TEXT else None
            cells.append(occupancy_exports._cell(sheet, value, fmt, alignment=wrap))
        sheet.append(cells)


def _bookings_sheet(book: Workbook, title: str, report: Report) -> None:
    sheet = book.create_sheet(title)
    columns = list(occupancy_ops.RAW_COLUMNS)
    occupancy_exports._widths(sheet, [18 if c in TIME_COLUMNS else 16 for c in columns])
    sheet.append(occupancy_exports._header(sheet, columns))
    for row in report.bookings:
        cells = []
        for key, value in zip(columns, row, strict=True):
            if key == "booking_id":
                cells.append(occupancy_exports._cell(sheet, int(value)))
            elif key in TIME_COLUMNS and value:
                local = datetime.fromisoformat(value).replace(tzinfo=None)
                cells.append(
                    occupancy_exports._cell(sheet, local, EXCEL_FORMATS[report_tables.DATETIME])
                )
            else:
                cells.append(occupancy_exports._cell(sheet, value or None))
        sheet.append(cells)


# --- CSV -------------------------------------------------------------------------------------


def csv_zip(report: Report) -> bytes:
    """A zip of one CSV file per table plus the raw bookings (UTF-8 with BOM, as the occupancy
    exports)."""
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        for table in report_tables.all_tables(report):
            rows = [[_plain(v) for v in row] for row in table.rows]
            archive.writestr(f"{table.key}.csv", _csv(table.keys, rows))
        archive.writestr("bookings.csv", _csv(list(occupancy_ops.RAW_COLUMNS), report.bookings))
    return output.getvalue()


def _csv(header: list[str], rows) -> bytes:
    return "".join(csv_lines(header, rows)).encode("utf-8")  # with its byte-order mark


def _plain(value):
    if isinstance(value, datetime):
        return value.isoformat(timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)  # a number: text starting with "-" would be taken for a formula
    return value


# --- JSON ------------------------------------------------------------------------------------


def json_data(report: Report) -> dict:
    """The report for the API: the figures with their definitions, the criteria with their
    outcomes, and every table as records keyed by its columns' machine names."""
    tables = report_tables.all_tables(report)
    return {
        "pilot": {"id": report.pilot_id, "name": report.name, "status": report.status.value},
        "version": report.version,
        "generated_at": report.generated_at.isoformat(),
        "automatic": report.automatic,
        "from": report.first.isoformat(),
        "to": report.last.isoformat(),
        "counted_until": report.occupancy.counted_until.isoformat(),
        "partial": report.occupancy.partial,
        "hubs": [{"id": h.id, "name": h.name, "desks": h.desks} for h in report.hubs],
        "criteria_met": report.met,
        "criteria_total": len(report.criteria),
        "tables": {
            table.key: [
                {key: _json_value(value) for key, value in record.items()}
                for record in table.records()
            ]
            for table in tables
        },
        "bookings": [
            dict(zip(occupancy_ops.RAW_COLUMNS, row, strict=True)) for row in report.bookings
        ],
    }


def _json_value(value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float):
        return round(value, occupancy_exports.DECIMALS)
    return _plain(value)
