"""Forms of the bookings part.

The find form is read from the query string (a search is a GET, so the result can be
bookmarked and the back button works) and, unchanged, from each booking button's POST: the
buttons carry the same wish plus the desk, so both requests read the wish the same way.
"""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired

from hubbar.hubs.forms import CheckboxList
from hubbar.hubs.models import Equipment

QUICK_LABELS = {
    "morning": _l("Morning"),
    "afternoon": _l("Afternoon"),
    "day": _l("Whole day"),
    "custom": _l("Other times"),
}


class FindForm(FlaskForm):
    """Where, which day, which hours, with what: the wish behind a search or a booking."""

    class Meta:
        csrf = False  # a search is a GET; the booking buttons post the page's CSRF token

    hub = StringField(_l("Hub"))
    # One of the day buttons (an ISO date) or "other", then other_date counts.
    date = StringField(_l("Day"))
    other_date = StringField(_l("Another date"))
    choice = RadioField(_l("Time"), choices=list(QUICK_LABELS.items()), validate_choice=False)
    start = SelectField(_l("From"), validate_choice=False)
    end = SelectField(_l("To"), validate_choice=False)
    equipment = CheckboxList(
        _l("Equipment wishes"), description=_l("Only desks with all of these are shown.")
    )
    for_user = SelectField(
        _l("Book for"),
        validate_choice=False,
        description=_l("As a manager of the hub you can book for someone else."),
    )
    desk = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.equipment.choices = [(e.value, e.label) for e in Equipment]


class WeeklyForm(FlaskForm):
    """Repeat a booking of one desk on chosen weekdays until a date."""

    weekdays = CheckboxList(_l("Weekdays"), coerce=int)
    until = DateField(
        _l("Last date"), validators=[DataRequired(_l("Enter a valid date, like 2026-03-31."))]
    )
    start = SelectField(_l("From"), validate_choice=False)
    end = SelectField(_l("To"), validate_choice=False)
    # Carried over from the find page.
    desk = HiddenField()
    date = HiddenField()
    for_user = HiddenField()


class ChangeForm(FlaskForm):
    """Move a booking to another day or other hours on the same desk."""

    date = DateField(
        _l("Day"), validators=[DataRequired(_l("Enter a valid date, like 2026-03-31."))]
    )
    start = SelectField(_l("From"), validate_choice=False)
    end = SelectField(_l("To"), validate_choice=False)
