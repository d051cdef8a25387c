"""Hub pages: what employees see, what hub managers run, what system admins set."""

from __future__ import annotations

from dataclasses import fields
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from hubbar.accounts.operations import get_organisation, list_organisations
from hubbar.errors import DomainError
from hubbar.formats import local_today
from hubbar.hubs import operations as ops
from hubbar.hubs.calendar import hub_days, week_of
from hubbar.hubs.forms import (
    ClosureForm,
    DeskForm,
    HubInformationForm,
    HubSettingsForm,
    OpeningHoursForm,
    OutOfServiceForm,
)
from hubbar.hubs.models import Equipment, Hub
from hubbar.web import form_error

bp = Blueprint("hubs", __name__)


def _week_start() -> date:
    try:
        day = date.fromisoformat(request.args.get("week", ""))
    except ValueError:
        day = local_today()
    # The page shows the week and links to the weeks before and after: those must exist.
    if not date.min + timedelta(days=7) <= day <= date.max - timedelta(days=14):
        day = local_today()
    return week_of(day)[0]


def _viewable_hub(hub_id: int) -> Hub:
    hub = ops.get_hub(hub_id)
    if not hub.can_view(current_user):
        abort(403)
    return hub


def _managed_hub(hub_id: int) -> Hub:
    hub = ops.get_hub(hub_id)
    if not hub.can_manage(current_user):
        abort(403)
    return hub


# --- employees -----------------------------------------------------------------------------


@bp.get("/hubs")
@login_required
def index():
    hubs = ops.bookable_hubs(current_user)
    monday, sunday = week_of(local_today())
    locale = str(get_locale())
    weeks = {hub.id: hub_days(hub, monday, sunday, locale) for hub in hubs}
    return render_template("hubs/index.html", hubs=hubs, weeks=weeks)


@bp.get("/hubs/<int:hub_id>")
@login_required
def detail(hub_id: int):
    hub = _viewable_hub(hub_id)
    monday = _week_start()
    days = hub_days(hub, monday, monday + timedelta(days=6), str(get_locale()))
    return render_template(
        "hubs/detail.html",
        hub=hub,
        days=days,
        monday=monday,
        previous_week=monday - timedelta(days=7),
        next_week=monday + timedelta(days=7),
        equipment=ops.equipment_summary(hub),
    )


# --- hub managers --------------------------------------------------------------------------


@bp.get("/manage/hubs")
@login_required
def manage_index():
    hubs = ops.managed_hubs(current_user)
    if not hubs and not current_user.is_system_admin:
        abort(403)
    return render_template("hubs/manage_index.html", hubs=hubs)


@bp.get("/manage/hubs/<int:hub_id>")
@login_required
def manage(hub_id: int):
    hub = _managed_hub(hub_id)
    return _manage_page(hub, ClosureForm(prefix="closure"))


def _manage_page(hub: Hub, closure_form: ClosureForm, status: int = 200):
    """The hub manager's overview: desks, hours, closed days ahead, closures."""
    today = local_today(hub.timezone)
    weekly = {row.weekday for row in hub.opening_hours}
    upcoming = [  # days the hub would otherwise be open
        d
        for d in hub_days(hub, today, today + timedelta(days=90), str(get_locale()))
        if (d.holiday or d.closure or d.early_closing) and d.day.weekday() in weekly
    ]
    page = render_template(
        "hubs/manage.html",
        hub=hub,
        upcoming=upcoming,
        closure_form=closure_form,
        now=datetime.now(ZoneInfo(hub.timezone)),
    )
    return page, status


@bp.route("/manage/hubs/<int:hub_id>/information", methods=["GET", "POST"])
@login_required
def information(hub_id: int):
    hub = _managed_hub(hub_id)
    form = HubInformationForm(obj=hub)
    if form.validate_on_submit():
        info = ops.HubInformation(
            **{f.name: form[f.name].data or "" for f in fields(ops.HubInformation)}
        )
        try:
            ops.update_hub_information(current_user, hub, info)
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("The information about %(hub)s is saved.", hub=hub.name), "success")
            return redirect(url_for("hubs.manage", hub_id=hub.id))
    return render_template("hubs/information_form.html", hub=hub, form=form)


@bp.route("/manage/hubs/<int:hub_id>/opening-hours", methods=["GET", "POST"])
@login_required
def opening_hours(hub_id: int):
    hub = _managed_hub(hub_id)
    if request.method == "GET":
        current = {row.weekday: row for row in hub.opening_hours}
        data = {
            f"day_{i}": {
                "opens": row.opens,
                "closes": row.closes,
                "break_starts": row.break_starts,
                "break_ends": row.break_ends,
            }
            for i, row in current.items()
        }
        form = OpeningHoursForm(data=data)
    else:
        form = OpeningHoursForm()
    if form.validate_on_submit():
        try:
            ops.set_opening_hours(current_user, hub, form.week())
        except DomainError as error:
            _day_error(form, error)
        else:
            flash(_("The opening hours of %(hub)s are saved.", hub=hub.name), "success")
            return redirect(url_for("hubs.manage", hub_id=hub.id))
    status = 422 if request.method == "POST" else 200
    return render_template("hubs/opening_hours_form.html", hub=hub, form=form), status


def _day_error(form: OpeningHoursForm, error: DomainError) -> None:
    """An opening-hours error next to its time field ("day_3-break_starts"), else as a
    message (a weekday's sub-form takes no errors of its own)."""
    day, _sep, name = (error.field or "").partition("-")
    target = getattr(form, day, None) if day.startswith("day_") else None
    if target is not None and name in target.form:
        target.form[name].errors = [*target.form[name].errors, str(error.message)]
    else:
        flash(str(error.message), "error")


@bp.post("/manage/hubs/<int:hub_id>/closures")
@login_required
def closure_add(hub_id: int):
    hub = _managed_hub(hub_id)
    form = ClosureForm(prefix="closure")
    if form.validate_on_submit():
        try:
            ops.add_closure(
                current_user, hub, form.start_date.data, form.end_date.data, form.reason.data
            )
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("The closure is added."), "success")
            return redirect(url_for("hubs.manage", hub_id=hub.id) + "#closures")
    return _manage_page(hub, form, 422)


@bp.post("/manage/hubs/<int:hub_id>/closures/<int:closure_id>/delete")
@login_required
def closure_delete(hub_id: int, closure_id: int):
    hub = _managed_hub(hub_id)
    ops.delete_closure(current_user, hub, closure_id)
    flash(_("The closure is removed."), "success")
    return redirect(url_for("hubs.manage", hub_id=hub.id) + "#closures")


@bp.route("/manage/hubs/<int:hub_id>/desks/new", methods=["GET", "POST"])
@bp.route("/manage/hubs/<int:hub_id>/desks/<int:desk_id>", methods=["GET", "POST"])
@login_required
def desk_form(hub_id: int, desk_id: int | None = None):
    hub = _managed_hub(hub_id)
    desk = ops.get_desk(hub, desk_id) if desk_id is not None else None
    form = DeskForm(obj=desk)
    if request.method == "GET" and desk is not None:
        form.equipment.data = [t.value for t in desk.equipment]
    if form.validate_on_submit():
        equipment = [Equipment(v) for v in form.equipment.data]
        try:
            if desk is None:
                desk = ops.create_desk(
                    current_user, hub, form.label.data, form.zone.data, equipment, form.active.data
                )
                flash(_("%(label)s is added.", label=desk.label), "success")
            else:
                ops.update_desk(
                    current_user,
                    desk,
                    form.label.data,
                    form.zone.data,
                    equipment,
                    form.active.data,
                )
                flash(_("%(label)s is saved.", label=desk.label), "success")
        except DomainError as error:
            form_error(form, error)
        else:
            return redirect(url_for("hubs.manage", hub_id=hub.id) + "#desks")
    status = 422 if request.method == "POST" else 200
    oos_form = OutOfServiceForm(prefix="oos", formdata=None) if desk else None
    return (
        render_template("hubs/desk_form.html", hub=hub, desk=desk, form=form, oos_form=oos_form),
        status,
    )


@bp.post("/manage/hubs/<int:hub_id>/desks/<int:desk_id>/out-of-service")
@login_required
def out_of_service_add(hub_id: int, desk_id: int):
    hub = _managed_hub(hub_id)
    desk = ops.get_desk(hub, desk_id)
    form = OutOfServiceForm(prefix="oos")
    if form.validate_on_submit():
        zone = ZoneInfo(hub.timezone)
        starts = datetime.combine(form.start_date.data, form.start_time.data, tzinfo=zone)
        ends = datetime.combine(form.end_date.data, form.end_time.data, tzinfo=zone)
        try:
            ops.add_out_of_service(current_user, desk, starts, ends, form.reason.data)
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("%(label)s is out of service for that period.", label=desk.label), "success")
            return redirect(url_for("hubs.desk_form", hub_id=hub.id, desk_id=desk.id))
    desk_form = DeskForm(obj=desk, formdata=None)
    desk_form.equipment.data = [t.value for t in desk.equipment]  # as on the desk page itself
    return (
        render_template(
            "hubs/desk_form.html",
            hub=hub,
            desk=desk,
            form=desk_form,
            oos_form=form,
        ),
        422,
    )


@bp.post("/manage/hubs/<int:hub_id>/desks/<int:desk_id>/out-of-service/<int:period_id>/delete")
@login_required
def out_of_service_delete(hub_id: int, desk_id: int, period_id: int):
    hub = _managed_hub(hub_id)
    desk = ops.get_desk(hub, desk_id)
    ops.delete_out_of_service(current_user, desk, period_id)
    flash(_("%(label)s is back in service.", label=desk.label), "success")
    return redirect(url_for("hubs.desk_form", hub_id=hub.id, desk_id=desk.id))


# --- system admins -------------------------------------------------------------------------


def _settings_form(hub: Hub | None) -> HubSettingsForm:
    form = HubSettingsForm(obj=hub)
    organisations = list_organisations()
    form.host_organisation_id.choices = [(o.id, f"{o.name} ({o.code})") for o in organisations]
    form.admitted_organisation_ids.choices = [(o.id, o.name) for o in organisations]
    if hub is not None and not request.form:
        # A GET, or a POST without any field (then the form falls back to the hub's values,
        # and the admissions must not be left empty).
        form.admitted_organisation_ids.data = [o.id for o in hub.admitted_organisations]
    elif hub is None and request.method == "GET":
        form.timezone.data = current_app.config["HUBBAR_DEFAULT_TIMEZONE"]
    return form


@bp.get("/admin/hubs")
@login_required
def admin_index():
    if not current_user.is_system_admin:
        abort(403)
    return render_template("hubs/admin_index.html", hubs=ops.managed_hubs(current_user))


@bp.route("/admin/hubs/new", methods=["GET", "POST"])
@bp.route("/admin/hubs/<int:hub_id>/settings", methods=["GET", "POST"])
@login_required
def settings(hub_id: int | None = None):
    if not current_user.is_system_admin:
        abort(403)
    hub = ops.get_hub(hub_id) if hub_id is not None else None
    form = _settings_form(hub)
    if form.validate_on_submit():
        organisations = {o.id: o for o in list_organisations()}
        values = {
            f.name: form[f.name].data
            for f in fields(ops.HubSettings)
            if f.name not in {"host_organisation", "admitted_organisations"}
        }
        settings = ops.HubSettings(
            **values,
            host_organisation=get_organisation(form.host_organisation_id.data),
            admitted_organisations=[
                organisations[i] for i in form.admitted_organisation_ids.data if i in organisations
            ],
        )
        try:
            if hub is None:
                hub = ops.create_hub(current_user, settings)
                flash(
                    _("Hub %(name)s is created. Now add desks and opening hours.", name=hub.name),
                    "success",
                )
                return redirect(url_for("hubs.manage", hub_id=hub.id))
            ops.update_hub_settings(current_user, hub, settings)
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("The settings of %(name)s are saved.", name=hub.name), "success")
            return redirect(url_for("hubs.manage", hub_id=hub.id))
    status = 422 if request.method == "POST" else 200
    return render_template("hubs/settings_form.html", hub=hub, form=form), status
