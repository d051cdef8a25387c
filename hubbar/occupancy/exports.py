"""CSV and XLSX downloads of the occupancy tables and the raw bookings.

``GET /dashboard/export.csv?table=…`` and ``GET /dashboard/export.xlsx`` take the dashboard's
query string (hubs, period, organisation), so a download holds what the page showed, under the
same permissions. The tables come from :mod:`hubbar.occupancy.tables` (the API uses them too);
this module only writes them: CSV with machine keys and plain ISO/decimal-point values, XLSX with
translated headers, number formats and one sheet per table.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, current_app, request, stream_with_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from sqlalchemy import select

from hubbar.accounts.models import Organisation, User
from hubbar.db import utcnow
from hubbar.errors import InvalidInput
from hubbar.extensions import db
from hubbar.formats import local_today
from hubbar.occupancy import operations as ops
from hubbar.occupancy import selection as selections
from hubbar.occupancy import tables as t
from hubbar.occupancy.definitions import DEFINITIONS
from hubbar.occupancy.metrics import Occupancy

bp = Blueprint("occupancy_exports", __name__)

FORMATS = ("csv", "xlsx")
BOOKINGS = "bookings"
CSV_TABLES = (*t.TABLE_KEYS, BOOKINGS)
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIMETYPE = "text/csv; charset=utf-8"
BOM = "\ufeff"  # so that Excel reads the file as UTF-8
CSV_BATCH = 500  # rows per streamed chunk
DECIMALS = 6  # enough for any figure; drops floating-point noise such as 0.30000000000000004


# --- the page ------------------------------------------------------------------------------


@bp.get("/dashboard/export.<fmt>")
@login_required
def export(fmt: str):
    if fmt not in FORMATS:
        abort(404)
    user = current_user._get_current_object()
    chosen = selections.read(request.args, user, local_today())
    k = current_app.config["HUBBAR_SMALL_GROUP_K"]
    secret = current_app.config["HUBBAR_PSEUDONYM_KEY"]
    if fmt == "csv":
        key = request.args.get("table") or "metrics"
        if key not in CSV_TABLES:
            raise InvalidInput(
                _("Choose a table: %(tables)s.", tables=", ".join(CSV_TABLES)), field="table"
            )
        name = filename(key, chosen.first, chosen.last, "csv")
        if key == BOOKINGS:
            rows = ops.bookings_for(
                user,
                chosen.hubs,
                chosen.first,
                chosen.last,
                k=k,
                secret=secret,
                organisation_id=chosen.organisation_id,
            )
            return csv_response(list(ops.RAW_COLUMNS), rows, name)
        result, seen = _occupancy(user, chosen, k)
        table = t.table(key, result, seen)
        return csv_response(table.keys, table.rows, name)
    result, seen = _occupancy(user, chosen, k)
    bookings = ops.bookings_for(
        user,
        chosen.hubs,
        chosen.first,
        chosen.last,
        k=k,
        secret=secret,
        organisation_id=chosen.organisation_id,
        result=result,
    )
    content = workbook(result, seen, bookings)
    return Response(
        content,
        content_type=XLSX_MIMETYPE,
        headers=_attachment(filename("occupancy", chosen.first, chosen.last, "xlsx")),
    )


def _occupancy(user: User, chosen: selections.Selection, k: int):
    return ops.occupancy(
        user,
        chosen.hubs,
        chosen.first,
        chosen.last,
        k=k,
        organisation_id=chosen.organisation_id,
    )


def filename(what: str, first: date, last: date, extension: str) -> str:
    """``hubbar-days-2026-03-02-2026-03-08.csv``: ASCII only, whatever the table."""
    what = re.sub(r"[^a-z0-9_]+", "-", what.lower()).strip("-") or "export"
    return f"hubbar-{what}-{first.isoformat()}-{last.isoformat()}.{extension}"


def _attachment(name: str) -> dict:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


# --- CSV -----------------------------------------------------------------------------------


def csv_value(value) -> str:
    """A cell as plain text: ISO dates, a decimal point, no thousands separator, nothing for
    None, and text that a spreadsheet would run as a formula made inert."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = f"{value:.{DECIMALS}f}".rstrip("0").rstrip(".")
        return "0" if text in ("-0", "") else text
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return inert(str(value))


def inert(text: str) -> str:
    """Text starting like a formula (=, +, -, @) gets a leading apostrophe, so that a name such
    as "=HYPERLINK(…)" stays text in Excel (OWASP: CSV injection)."""
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def csv_lines(header: list[str], rows: Iterable[list]) -> Iterator[str]:
    """The CSV text in chunks: a byte-order mark and the header, then batches of rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    yield BOM + buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    for n, row in enumerate(rows, start=1):
        writer.writerow([csv_value(v) for v in row])
        if n % CSV_BATCH == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def csv_response(header: list[str], rows: Iterable[list], name: str) -> Response:
    """A streamed CSV download (the rows may come from a database cursor)."""
    return Response(
        stream_with_context(csv_lines(header, rows)),
        content_type=CSV_MIMETYPE,
        headers=_attachment(name),
    )


# --- XLSX ----------------------------------------------------------------------------------

NUMBER_FORMATS = {
    t.DATE: "yyyy-mm-dd",
    t.HOURS: "0.00",
    t.FRACTION: "0.0%",
    t.COUNT: "0",
}
UNIT_FORMATS = {"hours": "0.00", "fraction": "0.0%", "count": "General", "desks": "0"}
UNIT_NAMES = {
    "hours": _l("hours"),
    "fraction": _l("share (0–1, shown in per cent)"),
    "count": _l("number"),
    "desks": _l("desks"),
}
BOOKING_WIDTHS = {"booking_id": 11, "status": 11, "user": 24}
TIME_WIDTH = 26  # 2026-03-02T09:00:00+01:00
SHEET_NAME = re.compile(r"[\[\]:*?/\\]")
BOLD = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")


def workbook(result: Occupancy, seen: ops.Access, bookings: Iterable[list[str]]) -> bytes:
    """The XLSX file: an "About" sheet, one sheet per table, and the raw bookings."""
    book = Workbook(write_only=True)
    tables = t.all_tables(result, seen)
    names: set[str] = set()
    about_title = _sheet_title(_("About"), names)
    titles = [_sheet_title(str(table.title), names) for table in tables]
    bookings_title = _sheet_title(_("Bookings"), names)
    sheets = list(zip(titles, tables, strict=True))
    _about_sheet(book, about_title, result, seen, sheets, bookings_title)
    for title, table in zip(titles, tables, strict=True):
        _table_sheet(book, title, table)
    _bookings_sheet(book, bookings_title, bookings)
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def _sheet_title(title: str, taken: set[str]) -> str:
    """A valid, unique sheet name: at most 31 characters, none of []:*?/\\."""
    base = SHEET_NAME.sub(" ", title).strip()[:31] or "Sheet"
    name, n = base, 2
    while name.lower() in taken:
        suffix = f" {n}"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name.lower())
    return name


def _cell(sheet, value, number_format: str | None = None, font=None, alignment=None):
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # never a formula, whatever the text starts with
    if number_format and not isinstance(value, str):
        cell.number_format = number_format
    if font is not None:
        cell.font = font
    if alignment is not None:
        cell.alignment = alignment
    return cell


def _header(sheet, titles: list[str]) -> list:
    return [_cell(sheet, str(title), font=BOLD) for title in titles]


def _widths(sheet, widths: list[int], freeze: bool = True) -> None:
    # Write-only sheets write their columns and panes before the first row: set them first.
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    if freeze:
        sheet.freeze_panes = "A2"  # the header row stays in view


def _width(column: t.Column, values: list) -> int:
    if column.kind == t.DATE or column.kind in t.NUMBER_KINDS:
        longest = 10
    else:
        longest = max((len(str(v)) for v in values if v is not None), default=0)
    return max(8, min(60, max(longest, len(str(column.title))) + 2))


def _table_sheet(book: Workbook, title: str, table: t.Table) -> None:
    sheet = book.create_sheet(title)
    columns = [[row[i] for row in table.rows] for i in range(len(table.headers))]
    _widths(sheet, [_width(c, values) for c, values in zip(table.headers, columns, strict=True)])
    sheet.append(_header(sheet, [c.title for c in table.headers]))
    unit_index = table.keys.index("unit") if "unit" in table.keys else None
    for row in table.rows:
        cells = []
        for column, value in zip(table.headers, row, strict=True):
            if column.kind == t.UNIT:
                fmt = UNIT_FORMATS.get(row[unit_index]) if unit_index is not None else None
            else:
                fmt = NUMBER_FORMATS.get(column.kind)
            wrap = WRAP if column.key == "definition" else None
            cells.append(_cell(sheet, value, fmt, alignment=wrap))
        sheet.append(cells)


def _bookings_sheet(book: Workbook, title: str, rows: Iterable[list[str]]) -> None:
    """The raw bookings, streamed row by row into the file (a write-only sheet): the columns
    and the ISO times exactly as in the CSV, the booking id as a number."""
    sheet = book.create_sheet(title)
    widths = [
        BOOKING_WIDTHS.get(key, TIME_WIDTH if index >= 6 else 20)
        for index, key in enumerate(ops.RAW_COLUMNS)
    ]
    _widths(sheet, widths)
    sheet.append(_header(sheet, list(ops.RAW_COLUMNS)))
    for row in rows:
        booking_id, *rest = row
        sheet.append(
            [_cell(sheet, int(booking_id))] + [_cell(sheet, v if v != "" else None) for v in rest]
        )


def audience_text(seen: ops.Access) -> str:
    if seen.audience == ops.MANAGER:
        return _("Hub manager: the bookings show people's names.")
    if seen.audience == ops.ORGANISATION_ADMIN:
        return _(
            "Organisation admin: only your organisation's staff count; people are shown as "
            "pseudonyms, the same in every export."
        )
    return _(
        "Evaluator: people are shown as pseudonyms, the same in every export; per-organisation "
        'figures of fewer than %(k)d people are shown as "< %(k)d".',
        k=seen.k or 0,
    )


def _local(moment: datetime, seen: ops.Access) -> str:
    zone = ZoneInfo(seen.hubs[0].timezone) if seen.hubs else ZoneInfo("UTC")
    return moment.astimezone(zone).isoformat(timespec="minutes")


def _about_sheet(book, title: str, result: Occupancy, seen: ops.Access, sheets, bookings_title):
    """Where the figures come from: hubs, period, counted time, audience and definitions."""
    sheet = book.create_sheet(title)
    _widths(sheet, [28, 34, 14, 90], freeze=False)

    def line(label, *values) -> None:
        cells = [_cell(sheet, str(label), font=BOLD)]
        for value in values:
            cells.append(_cell(sheet, value, NUMBER_FORMATS[t.DATE]))  # used by dates only
        sheet.append(cells)

    line(_("Occupancy export"))
    line(_("Hubs"), ", ".join(h.name for h in seen.hubs))
    line(_("From"), result.first)
    line(_("To"), result.last)
    line(_("Counted until"), _local(result.counted_until, seen))
    if result.partial:
        line(
            "",
            _("The period reaches past the time of the export: it counts only up to then."),
        )
    if result.organisation_ids is not None:
        names = db.session.scalars(
            select(Organisation.name)
            .where(Organisation.id.in_(result.organisation_ids))
            .order_by(Organisation.name)
        )
        line(_("Only people from"), ", ".join(names))
    line(_("Audience"), audience_text(seen))
    line(_("Exported at"), _local(utcnow(), seen))
    line(_("Rates"), _("Rates are shares from 0 to 1, shown in per cent."))
    line(_("Times"), _("Times are ISO 8601 with the hub's offset from UTC."))
    sheet.append([])
    line(_("Sheets"))
    for sheet_title, table in sheets:
        line(sheet_title, table.key)
    line(bookings_title, BOOKINGS)
    sheet.append([])
    sheet.append(_header(sheet, [_("Metric"), _("Key"), _("Unit"), _("Definition")]))
    for d in DEFINITIONS:
        sheet.append(
            [
                _cell(sheet, str(d.name)),
                _cell(sheet, d.key),
                _cell(sheet, str(UNIT_NAMES.get(d.unit, d.unit))),
                _cell(sheet, str(d.definition), alignment=WRAP),
            ]
        )
