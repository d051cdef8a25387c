"""The visit feedback form: every question optional."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField, TextAreaField
from wtforms.validators import Length, Optional, ValidationError

from hubbar.pilots.feedback import MAX_COMMENT, MAX_MINUTES_SAVED
from hubbar.pilots.models import OTHERWISE_LABELS

RATING_LABELS = {
    1: _l("Very poor"),
    2: _l("Poor"),
    3: _l("Okay"),
    4: _l("Good"),
    5: _l("Very good"),
}


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _minutes_in_range(form, field) -> None:
    """0 to MAX_MINUTES_SAVED; a value that is no whole number has its own message already."""
    if field.data is not None and not 0 <= field.data <= MAX_MINUTES_SAVED:
        raise ValidationError(_l("Enter whole minutes from 0 to %(max)d.", max=MAX_MINUTES_SAVED))


class FeedbackForm(FlaskForm):
    rating = RadioField(
        _l("How was your visit?"),
        coerce=int,
        choices=list(RATING_LABELS.items()),
        validators=[Optional()],
    )
    comment = TextAreaField(
        _l("Comment"),
        filters=[_strip],
        description=_l(
            "Shown to evaluators in the pilot report, without your name. Leave out names "
            "and other personal details."
        ),
        validators=[
            Length(
                max=MAX_COMMENT,
                message=_l("Keep the comment to %(max)d characters or fewer."),
            )
        ],
    )
    otherwise = RadioField(
        _l("What would you have done otherwise?"),
        choices=[(o.value, label) for o, label in OTHERWISE_LABELS.items()],
        validators=[Optional()],
    )
    minutes_saved = IntegerField(
        _l("Travel time saved (minutes)"),
        description=_l("Optional. About how many minutes of travel did this visit save you?"),
        validators=[Optional(), _minutes_in_range],
    )
