"""A person's own data: what colleagues see, the download of everything held about them, and
closing the account; an administrator's deletion of an account; the last-seen note."""

from __future__ import annotations

import json

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from hubbar.accounts.operations import get_user_for
from hubbar.errors import DomainError
from hubbar.privacy import operations as ops
from hubbar.privacy.account_forms import CloseAccountForm, EraseUserForm, ShowNameForm
from hubbar.web import form_error

bp = Blueprint("privacy_account", __name__)


@bp.before_app_request
def _note_seen() -> None:
    """Keep the inactive-account rule honest: a person who uses hubbar is not inactive."""
    if current_user.is_authenticated and request.endpoint != "static":
        ops.seen(current_user._get_current_object())


@bp.route("/profile/privacy", methods=["GET", "POST"])
@login_required
def settings():
    # An unticked box sends nothing: read the posted form even when it is empty, never the
    # stored value.
    posted = request.form if request.method == "POST" else None
    form = ShowNameForm(formdata=posted, obj=current_user)
    if request.method == "POST":
        if form.validate():
            ops.set_show_name(current_user, bool(form.show_name.data))
            flash(
                _("Colleagues now see your name on your bookings.")
                if current_user.show_name
                else _("Colleagues now see only that your desk is booked."),
                "success",
            )
            return redirect(url_for("privacy_account.settings"))
        return render_template("privacy/account_settings.html", form=form), 422
    return render_template("privacy/account_settings.html", form=form)


def _download(body: bytes, filename: str, mimetype: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/profile/export.json")
@login_required
def export_json():
    data = ops.export_personal_data(current_user)
    body = json.dumps(data, ensure_ascii=False, indent=2).encode()
    return _download(body, "hubbar-my-data.json", "application/json")


@bp.get("/profile/export.zip")
@login_required
def export_csv():
    data = ops.export_personal_data(current_user)
    return _download(ops.export_as_csv_zip(data), "hubbar-my-data.zip", "application/zip")


@bp.route("/profile/close", methods=["GET", "POST"])
@login_required
def close():
    form = CloseAccountForm()
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                ops.close_own_account(
                    current_user._get_current_object(), form.password.data, request.remote_addr
                )
            except DomainError as error:
                form_error(form, error)
            else:
                logout_user()
                flash(_("Your account is closed and your name is removed from hubbar."), "success")
                return redirect(url_for("accounts.login"))
        status = 422
    last_admin = ops.is_last_system_admin(current_user)
    return render_template("privacy/account_close.html", form=form, last_admin=last_admin), status


@bp.route("/admin/users/<int:user_id>/delete", methods=["GET", "POST"])
@login_required
def erase(user_id: int):
    user = get_user_for(current_user, user_id)
    form = EraseUserForm()
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                ops.erase_account(current_user, user)
            except DomainError as error:
                form_error(form, error)
            else:
                flash(_("The account is deleted."), "success")
                return redirect(url_for("accounts.users"))
        status = 422
    return render_template("privacy/account_erase.html", form=form, user=user), status
