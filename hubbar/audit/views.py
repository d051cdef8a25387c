"""The audit log page for system admins."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required

from hubbar.audit.operations import list_events
from hubbar.web import int_arg

bp = Blueprint("audit", __name__)

PER_PAGE = 50
OBJECT_TYPES = ("Organisation", "User", "Hub", "Desk", "Closure", "Pilot")


@bp.get("/admin/audit")
@login_required
def index():
    if not current_user.is_system_admin:
        abort(403)
    page = max(int_arg("page", 1), 1)
    object_type = request.args.get("type", "")
    if object_type not in OBJECT_TYPES:
        object_type = ""
    events, total = list_events(page, PER_PAGE, object_type or None)
    return render_template(
        "audit/index.html",
        events=events,
        page=page,
        pages=max((total + PER_PAGE - 1) // PER_PAGE, 1),
        total=total,
        object_type=object_type,
        object_types=OBJECT_TYPES,
    )
