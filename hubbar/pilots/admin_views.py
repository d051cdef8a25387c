"""Pilots for system admins: terms, participants and evaluation criteria."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from hubbar.accounts.operations import list_organisations
from hubbar.errors import DomainError
from hubbar.hubs.operations import managed_hubs
from hubbar.occupancy import definitions
from hubbar.pilots import operations as ops
from hubbar.pilots.forms import CriterionForm, PilotForm, RemoveCriterionForm
from hubbar.pilots.models import ChargingModel, Comparator, Criterion, Pilot, PilotStatus
from hubbar.web import form_error

bp = Blueprint("pilot_admin", __name__)


def _admin_pilot(pilot_id: int) -> Pilot:
    """The pilot, for a system admin; everyone else gets a 403."""
    if not current_user.is_system_admin:
        abort(403)
    return ops.get_pilot_for(current_user, pilot_id)


# --- terms and participants ----------------------------------------------------------------


def _pilot_form(pilot: Pilot | None) -> tuple[PilotForm, list]:
    """The form with its choices, filled from the pilot on a GET; and the participant groups."""
    if pilot is not None and request.method == "GET":
        form = PilotForm(
            data={
                "name": pilot.name,
                "host_organisation": pilot.host_organisation_id,
                "hubs": [h.id for h in pilot.hubs],
                "guest_organisations": [o.id for o in pilot.guest_organisations],
                "start_date": pilot.start_date,
                "end_date": pilot.end_date,
                "charging_model": pilot.charging_model.value,
                "cost_per_desk_month": pilot.cost_per_desk_month,
                "fixed_cost_per_month": pilot.fixed_cost_per_month,
                "price_per_booking": pilot.price_per_booking,
                "participants": [u.id for u in pilot.participants],
            }
        )
    else:
        form = PilotForm()
    if pilot is not None and pilot.status is not PilotStatus.PLANNED:
        # The operation refuses a new start date once the pilot has started (its criteria are
        # locked from then on); say so before the admin tries.
        form.start_date.render_kw = {"readonly": True}
        form.start_date.description = _("Fixed since the pilot started. The end date can change.")
    organisations = list_organisations()
    form.host_organisation.choices = [(o.id, f"{o.name} ({o.code})") for o in organisations]
    form.guest_organisations.choices = [(o.id, o.name) for o in organisations]
    form.hubs.choices = [(h.id, h.name) for h in managed_hubs(current_user)]
    groups = ops.participant_candidates(pilot)
    form.participants.choices = [
        (u.id, f"{u.display_name} ({u.email})") for _org, users in groups for u in users
    ]
    return form, groups


def _read_imports(form: PilotForm) -> list[tuple[str, ops.ImportResult]]:
    """The pasted list and the uploaded file, each read on its own (line numbers are theirs)."""
    sources = []
    if (form.participant_list.data or "").strip():
        sources.append((_("Pasted addresses"), form.participant_list.data))
    upload = form.participant_file.data
    if upload and getattr(upload, "filename", ""):
        sources.append((_("File %(name)s", name=upload.filename), upload.read()))
    return [(title, ops.read_participants(data)) for title, data in sources]


@bp.route("/pilots/new", methods=["GET", "POST"], endpoint="new")
@bp.route("/pilots/<int:pilot_id>/edit", methods=["GET", "POST"], endpoint="edit")
@login_required
def edit(pilot_id: int | None = None):
    pilot = _admin_pilot(pilot_id) if pilot_id is not None else None
    if pilot is None and not current_user.is_system_admin:
        abort(403)
    form, groups = _pilot_form(pilot)
    imports: list[tuple[str, ops.ImportResult]] = []
    if form.validate_on_submit():
        try:
            imports = _read_imports(form)
        except DomainError as error:
            form_error(form, error)
        else:
            if any(not result.ok for _title, result in imports):
                form.participant_list.errors = [
                    *form.participant_list.errors,
                    _("Some lines cannot be used (see below). Nothing is saved."),
                ]
            else:
                saved = _save_pilot(form, pilot, imports)
                if saved is not None:
                    return redirect(url_for("pilots.detail", pilot_id=saved.id))
    status = 422 if request.method == "POST" else 200
    chosen = set(form.participants.data or [])
    return (
        render_template(
            "pilots/admin_pilot_form.html",
            pilot=pilot,
            form=form,
            groups=groups,
            options={option.data: option for option in form.participants},
            chosen=chosen,
            imports=imports,
            reported=pilot is not None and pilot.status is PilotStatus.REPORTED,
        ),
        status,
    )


def _save_pilot(
    form: PilotForm, pilot: Pilot | None, imports: list[tuple[str, ops.ImportResult]]
) -> Pilot | None:
    """Create or update the pilot from a valid form; None (with the error shown) if refused."""
    organisations = {o.id: o for o in list_organisations()}
    hubs = {h.id: h for h in managed_hubs(current_user)}
    people = {u.id: u for _org, users in ops.participant_candidates(pilot) for u in users}
    participants = [people[i] for i in form.participants.data or [] if i in people]
    for _title, result in imports:
        participants += result.users
    values = {
        "name": form.name.data,
        "host_organisation": organisations.get(form.host_organisation.data),
        "hubs": [hubs[i] for i in form.hubs.data or [] if i in hubs],
        "guest_organisations": [
            organisations[i] for i in form.guest_organisations.data or [] if i in organisations
        ],
        "start_date": form.start_date.data,
        "end_date": form.end_date.data,
        "charging_model": ChargingModel(form.charging_model.data),
        "cost_per_desk_month": form.cost_per_desk_month.data,
        "fixed_cost_per_month": form.fixed_cost_per_month.data,
        "price_per_booking": form.price_per_booking.data,
        "participants": participants,
    }
    try:
        if pilot is None:
            pilot = ops.create_pilot(current_user, **values)
            flash(_("The pilot %(name)s is created.", name=pilot.name), "success")
        else:
            ops.update_pilot(current_user, pilot, **values)
            flash(_("The pilot %(name)s is saved.", name=pilot.name), "success")
    except DomainError as error:
        form_error(form, error)
        return None
    return pilot


# --- criteria ------------------------------------------------------------------------------


def _metric_choices() -> list[tuple[str, str]]:
    """Every metric, its unit in the label: the target is entered in that unit."""
    units = {definitions.FRACTION: "%", definitions.HOURS: "h", "minutes": "min"}
    choices = []
    for definition in ops.metric_definitions():
        unit = "1–5" if definition.key == "mean_rating" else units.get(definition.unit)
        label = str(definition.name)
        choices.append((definition.key, f"{label} ({unit})" if unit else label))
    return choices


def _criterion_form(
    criterion: Criterion | None = None, filled: bool = False, **kwargs
) -> CriterionForm:
    """The criterion form; ``filled`` with the criterion's values (rates in percent)."""
    if criterion is not None and filled:
        kwargs["data"] = {
            "metric": criterion.metric,
            "comparator": criterion.comparator.value,
            "target": ops.entered_value(criterion.metric, criterion.target),
            "baseline": ops.entered_value(criterion.metric, criterion.baseline),
            "reason": criterion.reason,
        }
    return CriterionForm(metric_choices=_metric_choices(), **kwargs)


def _criterion_values(form: CriterionForm) -> dict:
    """The form's values as the operations take them: rates from percent to fractions."""
    metric = form.metric.data
    return {
        "metric": metric,
        "comparator": Comparator(form.comparator.data),
        "target": ops.stored_value(metric, form.target.data),
        "baseline": ops.stored_value(metric, form.baseline.data),
        "reason": form.reason.data or "",
        "change_reason": form.change_reason.data or "",
    }


def _saved_message(pilot: Pilot, message: str) -> str:
    if pilot.criteria_locked:
        return _("%(message)s The change is recorded for the report.", message=message)
    return message


@bp.route("/pilots/<int:pilot_id>/criteria", methods=["GET", "POST"])
@login_required
def criteria(pilot_id: int):
    pilot = _admin_pilot(pilot_id)
    form = _criterion_form(prefix="new")
    if form.validate_on_submit():
        try:
            ops.add_criterion(current_user, pilot, **_criterion_values(form))
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_saved_message(pilot, _("The criterion is added.")), "success")
            return redirect(url_for("pilot_admin.criteria", pilot_id=pilot.id))
    status = 422 if request.method == "POST" else 200
    return (
        render_template(
            "pilots/admin_criteria.html",
            pilot=pilot,
            form=form,
            remove_form=RemoveCriterionForm(formdata=None),
            describe=ops.describe_criterion,
            value=ops.format_metric_value,
            metrics=definitions.BY_KEY,
        ),
        status,
    )


def _criterion_page(pilot, criterion, form, remove_form, status):
    return (
        render_template(
            "pilots/admin_criterion_form.html",
            pilot=pilot,
            criterion=criterion,
            form=form,
            remove_form=remove_form,
            describe=ops.describe_criterion,
        ),
        status,
    )


@bp.route("/pilots/<int:pilot_id>/criteria/<int:criterion_id>", methods=["GET", "POST"])
@login_required
def criterion(pilot_id: int, criterion_id: int):
    pilot = _admin_pilot(pilot_id)
    item = ops.get_criterion(pilot, criterion_id)
    form = _criterion_form(item, filled=request.method == "GET")
    if form.validate_on_submit():
        try:
            ops.update_criterion(current_user, item, **_criterion_values(form))
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_saved_message(pilot, _("The criterion is saved.")), "success")
            return redirect(url_for("pilot_admin.criteria", pilot_id=pilot.id))
    status = 422 if request.method == "POST" else 200
    remove_form = RemoveCriterionForm(formdata=None, prefix="remove")
    return _criterion_page(pilot, item, form, remove_form, status)


@bp.post("/pilots/<int:pilot_id>/criteria/<int:criterion_id>/remove")
@login_required
def criterion_remove(pilot_id: int, criterion_id: int):
    pilot = _admin_pilot(pilot_id)
    item = ops.get_criterion(pilot, criterion_id)
    remove_form = RemoveCriterionForm(prefix="remove")
    if remove_form.validate_on_submit():
        try:
            ops.remove_criterion(
                current_user, item, change_reason=remove_form.change_reason.data or ""
            )
        except DomainError as error:
            form_error(remove_form, error)
        else:
            flash(_saved_message(pilot, _("The criterion is removed.")), "success")
            return redirect(url_for("pilot_admin.criteria", pilot_id=pilot.id))
    form = _criterion_form(item, filled=True, formdata=None)
    return _criterion_page(pilot, item, form, remove_form, 422)
