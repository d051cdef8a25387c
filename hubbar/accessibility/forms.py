"""The form for reporting an accessibility problem. The operation checks the same rules again
(``operations.check_report``), so a report that slips past the form is still refused."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from hubbar.accessibility.operations import MAX_DESCRIPTION, MAX_EMAIL, MAX_WHERE


class ReportForm(FlaskForm):
    where = StringField(
        _l("Page or function (optional)"),
        validators=[
            Optional(),
            Length(max=MAX_WHERE, message=_l("Write at most %(max)d characters.")),
        ],
        description=_l("For example the address of the page, or “booking a desk”."),
    )
    description = TextAreaField(
        _l("Describe the problem"),
        validators=[
            DataRequired(_l("Describe the problem.")),
            Length(max=MAX_DESCRIPTION, message=_l("Write at most %(max)d characters.")),
        ],
        description=_l(
            "What you tried to do and what happened. If you like, say which browser or "
            "assistive technology you use."
        ),
        render_kw={"rows": 6},
    )
    email = EmailField(
        _l("Your e-mail address (optional)"),
        validators=[Optional(), Length(max=MAX_EMAIL, message=_l("Enter a valid e-mail address."))],
        description=_l("If you want an answer. We use it only to answer you."),
        render_kw={"autocomplete": "email"},
    )
