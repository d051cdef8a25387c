"""Forms of a person's own data: the name opt-in and closing the account."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField
from wtforms.validators import DataRequired


class ShowNameForm(FlaskForm):
    show_name = BooleanField(
        _l("Show my name to colleagues on my bookings"),
        description=_l(
            "Off: colleagues see only that the desk is booked. Hub managers always see who "
            "booked their desks."
        ),
    )


class CloseAccountForm(FlaskForm):
    password = PasswordField(
        _l("Your password"),
        validators=[DataRequired(_l("Enter your password to close your account."))],
        render_kw={"autocomplete": "current-password"},
    )
    understood = BooleanField(
        _l("I understand that this cannot be undone"),
        validators=[DataRequired(_l("Confirm that you understand that this cannot be undone."))],
    )


class EraseUserForm(FlaskForm):
    understood = BooleanField(
        _l("I understand that this cannot be undone"),
        validators=[DataRequired(_l("Confirm that you understand that this cannot be undone."))],
    )
