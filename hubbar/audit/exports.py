"""The audit log as CSV and XLSX: the events the page's filter selects, newest first.

CSV (UTF-8 with a byte-order mark, text that a spreadsheet would run as a formula made inert) is
streamed from a database cursor, however long the log; XLSX is built in memory, so it holds at
most ``XLSX_LIMIT`` events. Times are local to the service's time zone (as on the page).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from hubbar.audit.labels import action_name, actor_name, changes_text, object_type_name
from hubbar.audit.models import AuditEvent
from hubbar.audit.operations import AuditFilter
from hubbar.db import utcnow
from hubbar.occupancy.exports import CSV_MIMETYPE, XLSX_MIMETYPE, csv_lines

__all__ = ["CSV_MIMETYPE", "XLSX_MIMETYPE", "csv_lines", "csv_rows", "filename", "workbook"]

XLSX_LIMIT = 100_000
CSV_COLUMNS = (
    "event_id",
    "occurred_at",
    "actor",
    "actor_email",
    "action",
    "action_text",
    "object_type",
    "object_id",
    "summary",
    "changes",
)
BOLD = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"


def filename(extension: str, moment: datetime, timezone: str) -> str:
    """``hubbar-audit-log-2026-11-24-1530.csv``: ASCII only, the local time of the export."""
    local = moment.astimezone(ZoneInfo(timezone))
    return f"hubbar-audit-log-{local:%Y-%m-%d-%H%M}.{extension}"


def csv_rows(events: Iterable[AuditEvent], timezone: str) -> Iterator[list]:
    """One row per event, under ``CSV_COLUMNS``: the local time in ISO 8601 with its offset,
    the changes as JSON (``{"field": [old, new]}``), as stored."""
    zone = ZoneInfo(timezone)
    for event in events:
        yield [
            event.id,
            event.occurred_at.astimezone(zone).isoformat(timespec="seconds"),
            event.actor.display_name if event.actor else "",
            event.actor.email if event.actor else "",
            event.action,
            action_name(event.action),
            event.object_type,
            event.object_id,
            event.summary,
            json.dumps(event.changes, ensure_ascii=False, sort_keys=True) if event.changes else "",
        ]


def workbook(events: Iterable[AuditEvent], filters: AuditFilter, count: int) -> bytes:
    """The XLSX file: an "About" sheet (filter, time zone, time of export) and the events."""
    book = Workbook(write_only=True)
    zone = ZoneInfo(filters.timezone)
    _about_sheet(book, filters, count)
    sheet = book.create_sheet(_("Audit log"))
    widths = [10, 20, 24, 30, 30, 22, 18, 10, 50, 60]
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    headers = [
        _("Event"),
        _("Time"),
        _("Who"),
        _("E-mail address"),
        _("What"),
        _("Action code"),
        _("Object type"),
        _("Object number"),
        _("Summary"),
        _("Changes"),
    ]
    sheet.append([_cell(sheet, h, font=BOLD) for h in headers])
    for event in events:
        # Excel has no time zones: the local time, as a date and time the sheet can compute with.
        local = event.occurred_at.astimezone(zone).replace(tzinfo=None)
        sheet.append(
            [
                _cell(sheet, event.id),
                _cell(sheet, local, DATETIME_FORMAT),
                _cell(sheet, actor_name(event)),
                _cell(sheet, event.actor.email if event.actor else None),
                _cell(sheet, action_name(event.action)),
                _cell(sheet, event.action),
                _cell(sheet, object_type_name(event.object_type) if event.object_type else None),
                _cell(sheet, event.object_id),
                _cell(sheet, event.summary or None, alignment=WRAP),
                _cell(sheet, changes_text(event.changes) or None, alignment=WRAP),
            ]
        )
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def _cell(sheet, value, number_format: str | None = None, font=None, alignment=TOP):
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # never a formula, whatever the text starts with
    if number_format:
        cell.number_format = number_format
    if font is not None:
        cell.font = font
    cell.alignment = alignment
    return cell


def _about_sheet(book: Workbook, filters: AuditFilter, count: int) -> None:
    sheet = book.create_sheet(_("About"))
    sheet.column_dimensions["A"].width = 24
    sheet.column_dimensions["B"].width = 60
    local_now = utcnow().astimezone(ZoneInfo(filters.timezone)).replace(tzinfo=None)

    def line(label: str, value=None, number_format: str | None = None) -> None:
        sheet.append([_cell(sheet, label, font=BOLD), _cell(sheet, value, number_format)])

    line(_("Audit log export"))
    line(_("Exported at"), local_now, DATETIME_FORMAT)
    line(_("Times"), _("Local time in %(zone)s.", zone=filters.timezone))
    line(_("Events"), count)
    line(_("Who"), filters.actor or None)
    line(_("Action"), action_name(filters.action) if filters.action else None)
    line(_("Object type"), object_type_name(filters.object_type) if filters.object_type else None)
    line(_("Object number"), filters.object_id)
    line(_("From"), filters.first, "yyyy-mm-dd")
    line(_("To"), filters.last, "yyyy-mm-dd")
