"""Forms of the accounts part. Messages are lazily translated (Swedish by default)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from hubbar.accounts.models import OrganisationKind, Role

LOCALE_CHOICES = [("sv", "Svenska"), ("en", "English")]


class LoginForm(FlaskForm):
    email = EmailField(
        _l("E-mail address"),
        validators=[DataRequired(_l("Enter your e-mail address.")), Length(max=254)],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Enter your password."))],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField(_l("Keep me logged in on this device"))


class ProfileForm(FlaskForm):
    display_name = StringField(
        _l("Name"), validators=[DataRequired(_l("Enter a name.")), Length(max=120)]
    )
    locale = SelectField(_l("Language"), choices=LOCALE_CHOICES)


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(_l("Enter your current password."))],
        render_kw={"autocomplete": "current-password"},
    )
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(_l("Enter a new password."))],
        description=_l("At least 12 characters."),
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[EqualTo("password", _l("The passwords are not the same."))],
        render_kw={"autocomplete": "new-password"},
    )


class SetPasswordForm(FlaskForm):
    password = PasswordField(
        _l("Choose a password"),
        validators=[DataRequired(_l("Enter a password."))],
        description=_l("At least 12 characters."),
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[EqualTo("password", _l("The passwords are not the same."))],
        render_kw={"autocomplete": "new-password"},
    )


class OrganisationForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter a name.")), Length(max=120)])
    code = StringField(
        _l("Short code"),
        validators=[
            DataRequired(_l("Enter a short code.")),
            Length(2, 12, _l("The short code must have 2 to 12 characters.")),
        ],
        description=_l("For example KuF or SSA."),
    )
    kind = SelectField(
        _l("Kind"),
        choices=[(k.value, k.label) for k in OrganisationKind],
        validators=[DataRequired()],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = [(k.value, k.label) for k in OrganisationKind]


class UserForm(FlaskForm):
    email = EmailField(
        _l("E-mail address"),
        validators=[DataRequired(_l("Enter an e-mail address.")), Length(max=254)],
    )
    display_name = StringField(
        _l("Name"), validators=[DataRequired(_l("Enter a name.")), Length(max=120)]
    )
    organisation_id = SelectField(
        _l("Home organisation"),
        coerce=int,
        validators=[DataRequired(_l("Choose an organisation."))],
    )
    locale = SelectField(_l("Language"), choices=LOCALE_CHOICES)
    active = BooleanField(_l("Active (can log in)"), default=True)


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), validators=[DataRequired(_l("Choose a role."))])
    hub_id = SelectField(_l("Hub"), coerce=int, validators=[Optional()])
    pilot_id = SelectField(_l("Pilot"), coerce=int, validators=[Optional()])
    organisation_id = SelectField(_l("Organisation"), coerce=int, validators=[Optional()])

    def __init__(self, *args, hubs=(), pilots=(), organisations=(), **kwargs):
        super().__init__(*args, **kwargs)
        none = [(0, _l("– none –"))]
        self.role.choices = [(r.value, r.label) for r in Role]
        self.hub_id.choices = none + [(h.id, h.name) for h in hubs]
        self.pilot_id.choices = none + [(p.id, p.name) for p in pilots]
        self.organisation_id.choices = none + [(o.id, o.name) for o in organisations]


class ImportUsersForm(FlaskForm):
    file = FileField(
        _l("CSV file"),
        validators=[
            FileRequired(_l("Choose a file.")),
            FileAllowed(["csv", "txt"], _l("Choose a CSV file (.csv).")),
        ],
        description=_l(
            "One user per row: e-mail, name, organisation (short code or name). "
            "Comma or semicolon between fields; a header row is allowed."
        ),
    )
    dry_run = BooleanField(_l("Only check the file, save nothing"))
