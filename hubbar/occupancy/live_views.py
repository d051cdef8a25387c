"""The today view of a hub: every desk's state now, for the hub's managers."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_babel import get_locale
from flask_login import current_user, login_required

from hubbar.db import utcnow
from hubbar.formats import fmt_number
from hubbar.hubs.operations import get_hub
from hubbar.occupancy import live

bp = Blueprint("occupancy_live", __name__)


@bp.get("/hubs/<int:hub_id>/today")
@login_required
def today(hub_id: int):
    hub = get_hub(hub_id)
    if not hub.can_manage(current_user):
        abort(403)
    return render_template(
        "occupancy/today.html",
        hub=hub,
        view=live.today_at(hub, utcnow(), str(get_locale())),
        live=live,
        fmt_number=fmt_number,
    )
