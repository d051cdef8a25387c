"""Pilot pages for evaluators: the terms of each pilot they evaluate (no names)."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask_login import current_user, login_required

from hubbar.pilots import operations as ops

bp = Blueprint("pilots", __name__)


@bp.get("/pilots")
@login_required
def index():
    return render_template("pilots/index.html", pilots=ops.visible_pilots(current_user))


@bp.get("/pilots/<int:pilot_id>")
@login_required
def detail(pilot_id: int):
    pilot = ops.get_pilot_for(current_user, pilot_id)
    return render_template(
        "pilots/detail.html",
        pilot=pilot,
        per_organisation=ops.participants_by_organisation(
            pilot, current_app.config["HUBBAR_SMALL_GROUP_K"]
        ),
        k=current_app.config["HUBBAR_SMALL_GROUP_K"],
    )
