"""The accessibility statement (public) and its form for reporting a problem."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from hubbar.accessibility import operations as ops
from hubbar.accessibility.forms import ReportForm
from hubbar.accounts.models import LOCALES
from hubbar.errors import DomainError, InvalidInput
from hubbar.privacy.pages import placeholder_values

bp = Blueprint("accessibility", __name__)

# The supervisory authority's page for reporting lacking accessibility.
DIGG_REPORT_URL = "https://www.digg.se/anmal-bristande-tillganglighet"


def _locale() -> str:
    locale = str(get_locale() or "sv")
    return locale if locale in LOCALES else "sv"


@bp.route("/accessibility", methods=["GET", "POST"])
def statement():
    form = ReportForm()
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate_on_submit():
            try:
                sent = ops.submit_report(
                    form.where.data,
                    form.description.data,
                    form.email.data,
                    reporter=current_user._get_current_object()
                    if current_user.is_authenticated
                    else None,
                    address=request.remote_addr,
                    locale=_locale(),
                )
            except InvalidInput as error:
                _show_error(form, error)
            except DomainError as error:
                flash(str(error.message), "error")
                status = error.status
            else:
                flash(_confirmation(sent), "success")
                return redirect(url_for("accessibility.statement"))
    return (
        render_template(
            "accessibility/statement.html",
            form=form,
            reviewed_on=ops.REVIEWED_ON,
            answer_within_days=ops.ANSWER_WITHIN_DAYS,
            digg_url=DIGG_REPORT_URL,
            # The public actor behind the service, as the privacy notice names it.
            organisations=placeholder_values(_locale())["host_organisations"],
        ),
        status,
    )


def _confirmation(sent: ops.Sent) -> str:
    if sent.answered:
        return _(
            "Thank you. Your report has been sent. We answer you within %(days)d days at the "
            "e-mail address you gave.",
            days=sent.within_days,
        )
    return _(
        "Thank you. Your report has been sent. You gave no e-mail address, so you will get no "
        "answer, but we look into the problem all the same."
    )


def _show_error(form: ReportForm, error: DomainError) -> None:
    """Show a refusal next to its field, else as a message."""
    field = form._fields.get(error.field or "")
    if field is not None and field.name != "csrf_token":
        field.errors = [*field.errors, str(error.message)]
    else:
        flash(str(error.message), "error")
