"""The privacy notice and the record of processing (public), and their editing (system admins)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from hubbar.accounts.models import LOCALES
from hubbar.errors import DomainError
from hubbar.formats import fmt_date
from hubbar.privacy import pages
from hubbar.privacy.forms import page_texts_form

bp = Blueprint("privacy_pages", __name__)

TITLES = {"notice": _l("Privacy notice"), "record": _l("Record of processing")}
LANGUAGES = {"sv": _l("Swedish"), "en": _l("English")}
EDIT_IN = {"sv": _l("Edit in Swedish"), "en": _l("Edit in English")}
PLACEHOLDER_HELP = {
    "retention_months": _l("months until bookings are pseudonymised"),
    "inactive_months": _l("months without use until an account is warned"),
    "notice_days": _l("days from the warning until the account is deleted"),
    "sent_mail_days": _l("days sent e-mails are kept"),
    "small_group_k": _l("the smallest group the statistics show"),
    "host_organisations": _l("the host organisations of the hubs"),
}


def _viewer_locale() -> str:
    locale = str(get_locale() or "sv")
    return locale if locale in LOCALES else "sv"


def _show(page: str):
    locale = _viewer_locale()
    return render_template(
        "privacy/page.html",
        page=page,
        title=TITLES[page],
        shown=pages.shown_page(page, locale),
    )


@bp.get("/privacy")
def notice():
    return _show("notice")


@bp.get("/privacy/record")
def record():
    return _show("record")


# --- editing -----------------------------------------------------------------------------------


def _require_admin() -> None:
    if not current_user.is_system_admin:
        abort(403)


@bp.get("/admin/privacy")
@login_required
def admin_index():
    _require_admin()
    return render_template(
        "privacy/admin_index.html",
        overview=pages.overview(),
        titles=TITLES,
        languages=LANGUAGES,
        edit_in=EDIT_IN,
        locales=LOCALES,
    )


@bp.route("/admin/privacy/<page>/<locale>", methods=["GET", "POST"])
@login_required
def edit(page: str, locale: str):
    _require_admin()
    sections = pages.sections(page)  # an unknown page or language is a 404 with a message
    states = pages.section_states(page, locale)
    form = page_texts_form(sections)
    for state in states:
        form.text_field(state.key).description = _describe(state)
    if request.method == "GET":
        for state in states:
            form.text_field(state.key).data = state.text
    elif form.validate_on_submit():
        unknown = _unknown_fields(form)
        if unknown:
            flash(_("The page has no section “%(section)s”.", section=unknown), "error")
        else:
            texts = {
                key: request.form[form.field_of(key)]
                for key in form.section_keys.values()
                if form.field_of(key) in request.form
            }
            reset = {key for key in form.section_keys.values() if form.reset_field(key).data}
            try:
                changed = pages.save_page(current_user, page, locale, texts, reset)
            except DomainError as error:
                _show_error(form, error)
            else:
                if changed:
                    flash(
                        ngettext(
                            "Saved: %(num)d section changed.",
                            "Saved: %(num)d sections changed.",
                            len(changed),
                        ),
                        "success",
                    )
                else:
                    flash(_("Nothing was changed."), "info")
                return redirect(url_for("privacy_pages.edit", page=page, locale=locale))
    status = 422 if request.method == "POST" else 200
    return (
        render_template(
            "privacy/edit.html",
            form=form,
            page=page,
            locale=locale,
            title=TITLES[page],
            language=LANGUAGES[locale],
            states=states,
            placeholders={
                name: (PLACEHOLDER_HELP[name], value)
                for name, value in pages.placeholder_values(locale).items()
            },
            max_length=pages.MAX_LENGTH,
        ),
        status,
    )


def _describe(state: pages.SectionState) -> str:
    """Whose text a section shows, for the hint under its text box."""
    if not state.edited:
        return _("The default text that comes with hubbar.")
    when = fmt_date(state.updated_at)
    if state.updated_by is None:
        return _("Edited %(date)s.", date=when)
    return _("Edited %(date)s by %(name)s.", date=when, name=state.updated_by.display_name)


def _unknown_fields(form) -> str:
    """A posted section field this page does not have (a stale or forged form), or ''."""
    for name in request.form:
        for prefix in ("text_", "reset_"):
            if name.startswith(prefix) and name[len(prefix) :] not in form.section_keys:
                return name[len(prefix) :]
    return ""


def _show_error(form, error: DomainError) -> None:
    """Show a refusal next to the section's text box, else as a message."""
    if error.field and error.field in form.section_keys.values():
        field = form.text_field(error.field)
        field.errors = [*field.errors, str(error.message)]
    else:
        flash(str(error.message), "error")
