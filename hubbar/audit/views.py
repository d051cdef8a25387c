"""The audit log page and its exports, for system admins.

``GET /admin/audit`` shows the events the filter selects, a page at a time;
``GET /admin/audit/export.csv`` and ``GET /admin/audit/export.xlsx`` download the same events
(all pages), and are themselves recorded in the log.
"""

from __future__ import annotations

from dataclasses import replace

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from hubbar.accounts.models import Organisation, User
from hubbar.audit import exports
from hubbar.audit import operations as ops
from hubbar.audit.forms import AuditFilterForm
from hubbar.audit.labels import action_name, actor_name, change_rows, object_type_name
from hubbar.audit.models import AuditEvent
from hubbar.costs.models import Agreement
from hubbar.db import utcnow
from hubbar.hubs.models import Hub
from hubbar.pilots.models import Pilot
from hubbar.web import int_arg

bp = Blueprint("audit", __name__)

PER_PAGE = 50
FORMATS = ("csv", "xlsx")

# Objects with a page an admin can open, and how to get there.
LINKS = {
    "Organisation": (Organisation, lambda i: url_for("accounts.organisation_form", org_id=i)),
    "User": (User, lambda i: url_for("accounts.user_detail", user_id=i)),
    "Hub": (Hub, lambda i: url_for("hubs.settings", hub_id=i)),
    "Pilot": (Pilot, lambda i: url_for("pilots.detail", pilot_id=i)),
    "Agreement": (Agreement, lambda i: url_for("costs.detail", agreement_id=i)),
}


def _require_admin() -> None:
    if not current_user.is_system_admin:
        abort(403)


def _timezone() -> str:
    return current_app.config.get("HUBBAR_DEFAULT_TIMEZONE", "Europe/Stockholm")


def _form() -> AuditFilterForm:
    form = AuditFilterForm(formdata=request.args)
    form.offer(ops.actions_in_log(), ops.object_types_in_log())
    return form


@bp.get("/admin/audit")
@login_required
def index():
    _require_admin()
    form = _form()
    if not form.validate():
        return _page(form, events=[], total=0, page=1), 422
    page = max(int_arg("page", 1), 1)
    events, total = ops.list_events(form.audit_filter(_timezone()), page, PER_PAGE)
    return _page(form, events, total, page)


def _page(form: AuditFilterForm, events: list[AuditEvent], total: int, page: int) -> str:
    # Events name a user by id only (the log outlives an erased account): the name shown is
    # the account's current one, while it exists.
    users = ops.user_names(
        {e.object_id for e in events if e.object_type == "User" and e.object_id is not None}
    )
    return render_template(
        "audit/index.html",
        form=form,
        rows=[
            _row(event, link, users.get(event.object_id) if event.object_type == "User" else None)
            for event, link in zip(events, _links(events), strict=True)
        ],
        total=total,
        page=page,
        pages=max((total + PER_PAGE - 1) // PER_PAGE, 1),
        args=form.query_args(),
        timezone=_timezone(),
        errors=[(f.id, str(m)) for f in form for m in f.errors]
        + [(None, str(m)) for m in form.form_errors],
    )


def _row(event: AuditEvent, link: str | None, user_name: str | None = None) -> dict:
    return {
        "event": event,
        "user_name": user_name,
        "actor": actor_name(event),
        "actor_email": event.actor.email if event.actor else None,
        "action": action_name(event.action),
        "object_type": object_type_name(event.object_type) if event.object_type else "",
        "link": link,
        "changes": change_rows(event.changes),
    }


def _links(events: list[AuditEvent]) -> list[str | None]:
    """A link to each event's object while it exists and has a page (one query per type)."""
    wanted: dict[str, set[int]] = {}
    for event in events:
        if event.object_type in LINKS and event.object_id is not None:
            wanted.setdefault(event.object_type, set()).add(event.object_id)
    existing = {kind: ops.existing_ids(LINKS[kind][0], ids) for kind, ids in wanted.items()}
    desks = {e.object_id for e in events if e.object_type == "Desk" and e.object_id is not None}
    desk_hubs = ops.desk_hubs(desks) if desks else {}
    links: list[str | None] = []
    for event in events:
        if event.object_id in existing.get(event.object_type, ()):
            links.append(LINKS[event.object_type][1](event.object_id))
        elif event.object_type == "Desk" and event.object_id in desk_hubs:
            hub_id = desk_hubs[event.object_id]
            links.append(url_for("hubs.desk_form", hub_id=hub_id, desk_id=event.object_id))
        else:
            links.append(None)
    return links


@bp.get("/admin/audit/export.<fmt>")
@login_required
def export(fmt: str):
    _require_admin()
    if fmt not in FORMATS:
        abort(404)
    form = _form()
    if not form.validate():
        return _page(form, events=[], total=0, page=1), 422
    timezone = _timezone()
    # The export holds the events there were when it was asked for, not its own record.
    filters = replace(form.audit_filter(timezone), up_to_id=ops.last_event_id())
    count = ops.count_events(filters)
    if fmt == "xlsx" and count > exports.XLSX_LIMIT:
        form.form_errors.append(
            _(
                "The export would hold %(count)d events; an Excel file holds at most %(limit)d. "
                "Narrow the filter or download CSV.",
                count=count,
                limit=exports.XLSX_LIMIT,
            )
        )
        return _page(form, events=[], total=0, page=1), 422
    ops.record_export(current_user._get_current_object(), fmt, filters, count)
    name = exports.filename(fmt, utcnow(), timezone)
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if fmt == "csv":
        rows = exports.csv_rows(ops.iter_events(filters), timezone)
        body = stream_with_context(exports.csv_lines(list(exports.CSV_COLUMNS), rows))
        return Response(body, content_type=exports.CSV_MIMETYPE, headers=headers)
    content = exports.workbook(ops.iter_events(filters), filters, count)
    return Response(content, content_type=exports.XLSX_MIMETYPE, headers=headers)
