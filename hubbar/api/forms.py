"""The form for creating a personal access token on the profile page."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from hubbar.api.operations import MAX_NAME_LENGTH


class TokenForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(_l("Enter a name.")), Length(max=MAX_NAME_LENGTH)],
        description=_l("What the token is for, e.g. the name of a script or a tool."),
    )
