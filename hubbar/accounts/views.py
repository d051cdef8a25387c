"""Login, profile, invitations, and the admin pages for organisations, users and roles."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField
from wtforms.validators import DataRequired, Length

from hubbar import security
from hubbar.accounts import operations as ops
from hubbar.accounts.forms import (
    ChangePasswordForm,
    ImportUsersForm,
    LoginForm,
    OrganisationForm,
    ProfileForm,
    RoleForm,
    SetPasswordForm,
    UserForm,
)
from hubbar.accounts.models import OrganisationKind, Role
from hubbar.accounts.throttle import TooManyAttempts, login_window
from hubbar.api import operations as api_ops
from hubbar.api.forms import TokenForm
from hubbar.db import utcnow
from hubbar.errors import DomainError
from hubbar.web import form_error, int_arg, local_path

SHOWN_INVITE = "new_invitation"  # session key: the link made when a user was added

bp = Blueprint("accounts", __name__)


def _safe_next(target: str | None) -> str:
    return local_path(target) or url_for("web.home")


# --- login ---------------------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("web.home"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = ops.authenticate(form.email.data, form.password.data, request.remote_addr)
        except TooManyAttempts as error:
            form_error(form, error)
            page = render_template("accounts/login.html", form=form)
            return page, 429, {"Retry-After": str(int(login_window().total_seconds()))}
        except DomainError as error:
            form_error(form, error)
        else:
            _log_in(user, remember=form.remember.data)
            flash(_("Welcome, %(name)s!", name=user.display_name), "success")
            return redirect(_safe_next(request.args.get("next")))
    return render_template("accounts/login.html", form=form)


def _log_in(user, remember: bool = False) -> None:
    """Log ``user`` in on a new session (language kept): nothing planted in the session before,
    such as a known CSRF token, outlives the login, and a remember cookie of whoever was logged
    in before is deleted unless this login sets a new one."""
    security.renew_session()
    logout_user()  # after the new session: it marks an earlier remember cookie for deletion
    login_user(user, remember=remember)


@bp.post("/logout")
@login_required
def logout():
    locale = current_user.locale
    security.renew_session()
    logout_user()  # after the new session: it marks the remember cookie for deletion
    session["locale"] = locale  # the login page goes on in the user's language
    flash(_("You are logged out."), "success")
    return redirect(url_for("accounts.login"))


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm(obj=current_user, prefix="profile")
    password_form = ChangePasswordForm(prefix="password")
    if request.method == "POST" and "profile-display_name" in request.form:
        if form.validate():
            try:
                ops.update_profile(current_user, form.display_name.data, form.locale.data)
            except DomainError as error:
                form_error(form, error)
            else:
                flash(_("Your profile is saved."), "success")
                return redirect(url_for("accounts.profile"))
    elif request.method == "POST" and password_form.validate():
        try:
            ops.change_password(
                current_user, password_form.current_password.data, password_form.password.data
            )
        except DomainError as error:
            form_error(password_form, error)
        else:
            # Sessions carry a password fingerprint: renew this one, the others end.
            login_user(current_user._get_current_object())
            flash(_("Your password is changed."), "success")
            return redirect(url_for("accounts.profile"))
    return _profile_page(form, password_form)


def _profile_page(form=None, password_form=None, token_form=None, new_token=None, status=200):
    """The profile page, with the API tokens section (and a new token, shown this once)."""
    if form is None:
        form = ProfileForm(obj=current_user, prefix="profile", formdata=None)
    if password_form is None:
        password_form = ChangePasswordForm(prefix="password", formdata=None)
    if token_form is None:
        token_form = TokenForm(prefix="token", formdata=None)
    page = render_template(
        "accounts/profile.html",
        form=form,
        password_form=password_form,
        token_form=token_form,
        tokens=api_ops.tokens_of(current_user),
        new_token=new_token,
        now=utcnow(),
        token_days=api_ops.TOKEN_LIFETIME.days,
    )
    return page, status


@bp.post("/profile/tokens")
@login_required
def token_create():
    """A personal access token for the API, shown on this page once and never again."""
    form = TokenForm(prefix="token")
    if form.validate():
        try:
            _row, token = api_ops.create_token(current_user, form.name.data)
        except DomainError as error:
            form_error(form, error)
        else:
            return _profile_page(new_token=token)
    return _profile_page(token_form=form, status=422)


@bp.post("/profile/tokens/<int:token_id>/revoke")
@login_required
def token_revoke(token_id: int):
    token = api_ops.revoke_token(current_user, token_id)
    flash(_("The access token %(name)s is revoked.", name=token.name), "success")
    return redirect(url_for("accounts.profile"))


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    try:
        user = ops.user_for_invite(token)
    except DomainError as error:
        return render_template("accounts/invitation_invalid.html", message=error.message), 400
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            user = ops.accept_invite(token, form.password.data)
        except DomainError as error:
            form_error(form, error)
        else:
            _log_in(user)
            flash(_("Your password is set. Welcome to hubbar!"), "success")
            return redirect(url_for("web.home"))
    return render_template("accounts/invitation.html", form=form, invited=user)


# --- password reset ------------------------------------------------------------------------


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        _l("E-mail address"),
        validators=[DataRequired(_l("Enter your e-mail address.")), Length(max=254)],
        render_kw={"autocomplete": "username"},
    )


@bp.route("/password/forgot", methods=["GET", "POST"])
def password_forgot():
    """Ask for a reset link. The answer is the same whether or not the address has an account."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        ops.request_password_reset(form.email.data, request.remote_addr)
        return render_template("accounts/password_sent.html", email=form.email.data.strip())
    status = 422 if form.is_submitted() else 200
    return render_template("accounts/password_forgot.html", form=form), status


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def password_reset(token: str):
    try:
        user = ops.user_for_password_reset(token)
    except DomainError as error:
        return render_template("accounts/password_invalid.html", message=error.message), 400
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            user = ops.reset_password(token, form.password.data)
        except DomainError as error:
            form_error(form, error)
        else:
            _log_in(user)
            flash(_("Your password is changed."), "success")
            return redirect(url_for("web.home"))
    status = 422 if form.is_submitted() else 200
    return render_template("accounts/password_reset.html", form=form, person=user), status


# --- organisations (system admins) ---------------------------------------------------------


def _require_system_admin() -> None:
    if not current_user.is_system_admin:
        abort(403)


@bp.get("/admin/organisations")
@login_required
def organisations():
    _require_system_admin()
    return render_template("accounts/organisations.html", organisations=ops.list_organisations())


@bp.route("/admin/organisations/new", methods=["GET", "POST"])
@bp.route("/admin/organisations/<int:org_id>", methods=["GET", "POST"])
@login_required
def organisation_form(org_id: int | None = None):
    _require_system_admin()
    org = ops.get_organisation(org_id) if org_id is not None else None
    form = OrganisationForm(obj=org)
    if request.method == "GET" and org is not None:
        form.kind.data = org.kind.value
    if form.validate_on_submit():
        kind = OrganisationKind(form.kind.data)
        try:
            if org is None:
                org = ops.create_organisation(current_user, form.name.data, form.code.data, kind)
                flash(_("Organisation %(name)s created.", name=org.name), "success")
            else:
                ops.update_organisation(current_user, org, form.name.data, form.code.data, kind)
                flash(_("Organisation %(name)s saved.", name=org.name), "success")
        except DomainError as error:
            form_error(form, error)
        else:
            return redirect(url_for("accounts.organisations"))
    return render_template("accounts/organisation_form.html", form=form, organisation=org)


# --- users (system admins, and organisation admins within their organisation) --------------


def _require_user_admin() -> None:
    if not current_user.can_manage_any_users:
        abort(403)


def _organisation_choices() -> list[tuple[int, str]]:
    return [
        (o.id, f"{o.name} ({o.code})")
        for o in ops.list_organisations()
        if o.can_manage_users(current_user)
    ]


@bp.get("/admin/users")
@login_required
def users():
    _require_user_admin()
    org_id = int_arg("organisation")
    q = request.args.get("q", "")[:100]
    return render_template(
        "accounts/users.html",
        users=ops.visible_users(current_user, organisation_id=org_id or None, q=q),
        organisations=[o for o in ops.list_organisations() if o.can_manage_users(current_user)],
        selected_organisation=org_id,
        q=q,
    )


@bp.route("/admin/users/new", methods=["GET", "POST"])
@login_required
def user_new():
    _require_user_admin()
    form = UserForm()
    form.organisation_id.choices = _organisation_choices()
    if form.validate_on_submit():
        try:
            user = ops.create_user(
                current_user,
                form.email.data,
                form.display_name.data,
                ops.get_organisation(form.organisation_id.data),
                form.locale.data,
            )
        except DomainError as error:
            form_error(form, error)
        else:
            flash(
                _("%(name)s is added. Send the invitation link below.", name=user.display_name),
                "success",
            )
            # Made (and e-mailed) here, once: the page after the redirect shows it once, so
            # reloading it sends nothing again.
            session[SHOWN_INVITE] = {"user": user.id, "url": _invite_url(user)}
            return redirect(url_for("accounts.user_detail", user_id=user.id))
    return render_template("accounts/user_form.html", form=form, user=None)


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@login_required
def user_detail(user_id: int):
    _require_user_admin()
    user = ops.get_user_for(current_user, user_id)
    form = UserForm(obj=user)
    form.organisation_id.choices = _organisation_choices()
    if form.validate_on_submit():
        try:
            ops.update_user(
                current_user,
                user,
                form.display_name.data,
                ops.get_organisation(form.organisation_id.data),
                form.locale.data,
                form.active.data,
            )
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("%(name)s is saved.", name=user.display_name), "success")
            return redirect(url_for("accounts.user_detail", user_id=user.id))
    return render_template(
        "accounts/user_form.html",
        form=form,
        user=user,
        role_form=_role_form() if current_user.is_system_admin else None,
        invite_url=_new_invite_shown(user),
    )


def _new_invite_shown(user) -> str | None:
    """The invitation link made when ``user`` was added, shown on the next page once."""
    made = session.pop(SHOWN_INVITE, None)
    return made["url"] if isinstance(made, dict) and made.get("user") == user.id else None


def _invite_url(user) -> str:
    """A new invitation link, which is also e-mailed to the user."""
    url = url_for(
        "accounts.accept_invitation", token=ops.invite_token(current_user, user), _external=True
    )
    if user.active:  # a deactivated account is sent nothing
        flash(_("The link is e-mailed to %(email)s.", email=user.email), "success")
    return url


@bp.post("/admin/users/<int:user_id>/invitation")
@login_required
def user_invitation(user_id: int):
    """A fresh invitation (or password reset) link that an admin passes on to the user."""
    _require_user_admin()
    user = ops.get_user_for(current_user, user_id)
    return render_template(
        "accounts/user_form.html",
        form=_bound_user_form(user),
        user=user,
        role_form=_role_form() if current_user.is_system_admin else None,
        invite_url=_invite_url(user),
    )


def _bound_user_form(user) -> UserForm:
    form = UserForm(obj=user, formdata=None)
    form.organisation_id.choices = _organisation_choices()
    return form


def _role_form(formdata=None) -> RoleForm:
    from hubbar.hubs.operations import managed_hubs
    from hubbar.pilots.operations import visible_pilots

    return RoleForm(
        formdata=formdata,
        prefix="role",
        hubs=managed_hubs(current_user),
        pilots=visible_pilots(current_user),
        organisations=ops.list_organisations(),
    )


@bp.post("/admin/users/<int:user_id>/roles")
@login_required
def user_role_add(user_id: int):
    _require_system_admin()
    user = ops.get_user_for(current_user, user_id)
    form = _role_form(request.form)
    if form.validate():
        from hubbar.extensions import db
        from hubbar.hubs.models import Hub
        from hubbar.pilots.models import Pilot

        scope = {
            "hub": db.session.get(Hub, form.hub_id.data) if form.hub_id.data else None,
            "pilot": db.session.get(Pilot, form.pilot_id.data) if form.pilot_id.data else None,
            "organisation": ops.get_organisation(form.organisation_id.data)
            if form.organisation_id.data
            else None,
        }
        try:
            ops.assign_role(current_user, user, Role(form.role.data), **scope)
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("The role is added."), "success")
            return redirect(url_for("accounts.user_detail", user_id=user.id))
    return (
        render_template(
            "accounts/user_form.html",
            form=_bound_user_form(user),
            user=user,
            role_form=form,
            invite_url=None,
        ),
        422,
    )


@bp.post("/admin/users/<int:user_id>/roles/<int:assignment_id>/delete")
@login_required
def user_role_remove(user_id: int, assignment_id: int):
    _require_system_admin()
    user = ops.get_user_for(current_user, user_id)
    try:
        ops.remove_role(current_user, user, assignment_id)
    except DomainError as error:
        if error.status == 404:
            raise
        flash(str(error.message), "error")
    else:
        flash(_("The role is removed."), "success")
    return redirect(url_for("accounts.user_detail", user_id=user.id))


@bp.route("/admin/users/import", methods=["GET", "POST"])
@login_required
def users_import():
    _require_user_admin()
    form = ImportUsersForm()
    report = None
    if form.validate_on_submit():
        try:
            report = ops.import_users(current_user, form.file.data.read(), form.dry_run.data)
        except DomainError as error:
            form_error(form, error)
    status = 422 if request.method == "POST" and report is None else 200
    return render_template("accounts/import.html", form=form, report=report), status
