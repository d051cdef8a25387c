"""The page where a user chooses which optional e-mails they get (/profile/mail)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from hubbar.errors import DomainError
from hubbar.hubs.forms import CheckboxList
from hubbar.mail import operations as ops
from hubbar.mail.messages import offered_kinds
from hubbar.web import form_error

bp = Blueprint("mail", __name__)


class MailPreferencesForm(FlaskForm):
    wanted = CheckboxList(
        _l("Send me"),
        description=_l(
            "Confirmations, changes, cancellations, notices of released bookings, invitations "
            "and password links always come."
        ),
    )


@bp.route("/profile/mail", methods=["GET", "POST"])
@login_required
def preferences():
    offered = offered_kinds(current_user)
    off = ops.turned_off(current_user)
    form = MailPreferencesForm()
    form.wanted.choices = offered
    if not form.is_submitted():
        form.wanted.data = [kind for kind, _label in offered if kind not in off]
    if form.validate_on_submit():
        shown = {kind for kind, _label in offered}
        # Kinds not shown here (an evaluator's, for someone who no longer is one) keep their
        # setting.
        new_off = (off - shown) | (shown - set(form.wanted.data or ()))
        try:
            ops.set_preferences(current_user, new_off)
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("Your e-mail choices are saved."), "success")
            return redirect(url_for("mail.preferences"))
    status = 422 if form.is_submitted() and form.errors else 200
    return render_template("mail/preferences.html", form=form), status
