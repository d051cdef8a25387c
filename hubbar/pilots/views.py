"""Pilot pages: the terms of each pilot (evaluators and system admins), its evaluation report as
a page and as files, the stored versions, the summary participants see once it is reported, and
the in-app notifications."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from hubbar.accounts.models import LOCALES
from hubbar.errors import DomainError, InvalidInput
from hubbar.occupancy.views import occupancy_charts
from hubbar.pilots import exports, notifications
from hubbar.pilots import operations as ops
from hubbar.pilots import report as reports
from hubbar.pilots import tables as report_tables

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
        may_generate=reports.may_generate(current_user, pilot),
        describe=ops.describe_criterion,
    )


@bp.get("/pilots/<int:pilot_id>/report")
@login_required
def report(pilot_id: int):
    pilot = ops.get_pilot_for(current_user, pilot_id)
    shown = _report(pilot)
    tables = {t.key: t for t in report_tables.all_tables(shown)}
    return render_template(
        "pilots/report.html",
        pilot=pilot,
        report=shown,
        tables=tables,
        rows=report_tables.display_rows,
        pick=report_tables.pick,
        charts=exports.remembered(
            shown,
            "charts",
            lambda: occupancy_charts(shown.occupancy, shown.access, len(shown.hubs) > 1),
        ),
        metric_text=report_tables.metric_text,
        display=report_tables.display,
        may_generate=reports.may_generate(current_user, pilot),
        version_arg=_version_arg(),
    )


@bp.get("/pilots/<int:pilot_id>/report.<fmt>")
@login_required
def report_file(pilot_id: int, fmt: str):
    pilot = ops.get_pilot_for(current_user, pilot_id)
    if fmt not in exports.FORMATS:
        abort(404)
    return report_response(_report(pilot), fmt, language=report_language())


@bp.post("/pilots/<int:pilot_id>/report/generate")
@login_required
def generate(pilot_id: int):
    pilot = ops.get_pilot_for(current_user, pilot_id)
    try:
        stored = reports.generate_by(current_user, pilot)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for(".report", pilot_id=pilot.id))
    flash(_("Version %(n)d of the report is ready.", n=stored.version), "success")
    return redirect(url_for(".report", pilot_id=pilot.id, version=stored.version))


@bp.get("/pilots/<int:pilot_id>/summary")
@login_required
def summary(pilot_id: int):
    """What came of the pilot, for its participants once it is reported."""
    pilot, stored = reports.summary_for(current_user, pilot_id)
    shown = reports.stored(stored)
    return render_template(
        "pilots/summary.html",
        pilot=pilot,
        report=shown,
        metric_text=report_tables.metric_text,
        metric_name=report_tables.metric_name,
        outcome_labels=report_tables.OUTCOME_LABELS,
    )


@bp.get("/notifications")
@login_required
def notifications_page():
    return render_template("pilots/notifications.html", items=notifications.for_user(current_user))


@bp.post("/notifications/<int:notification_id>/read")
@login_required
def open_notification(notification_id: int):
    target = notifications.open_notification(current_user, notification_id)
    return redirect(target)


def report_language() -> str | None:
    """The language asked for with ?lang=sv|en (the report in another language than the
    reader's own), or None for the reader's."""
    asked = request.args.get("lang")
    if asked in (None, ""):
        return None
    if asked not in LOCALES:
        raise InvalidInput(
            _("Choose a language: %(languages)s.", languages=", ".join(LOCALES)), field="lang"
        )
    return asked


def report_response(
    shown: reports.Report, fmt: str, *, download: bool = True, language: str | None = None
) -> Response:
    """The report in ``fmt``, in ``language`` if given: a file to save, or for the API's JSON
    (``download`` false) a plain JSON answer."""
    if language is not None:
        with force_locale(language):
            return report_response(shown, fmt, download=download)
    content = exports.render_cached(shown, fmt)
    if fmt == "json" and not download:
        return current_app.response_class(content, mimetype="application/json")
    return Response(
        content,
        content_type=exports.MIMETYPES[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="{exports.filename(shown, fmt)}"',
            "Cache-Control": "private, no-store",
        },
    )


def _version_arg() -> int | None:
    return reports.parse_version(request.args.get("version"))


def _report(pilot) -> reports.Report:
    """The version asked for, else the latest stored version, else a preview built now."""
    return reports.report_for(pilot, _version_arg())
