"""Forms of the hubs part."""

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    EmailField,
    FormField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from hubbar.hubs.models import Equipment


class CheckboxList(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


INT_MSG = _l("Enter a whole number.")


class AmountField(DecimalField):
    """An amount of money: a DecimalField that also refuses NaN and infinities, which Decimal
    parses but no amount is (and NumberRange fails on a signalling NaN)."""

    NOT_A_NUMBER = "Not a valid decimal value."  # WTForms' own message, in WTForms' catalogue

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        # A field left out of the form keeps its default (an int), which is always finite.
        if isinstance(self.data, Decimal) and not self.data.is_finite():
            self.data = None
            raise ValueError(self.gettext(self.NOT_A_NUMBER))


class HubSettingsForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter a name.")), Length(max=120)])
    host_organisation_id = SelectField(
        _l("Host organisation"),
        coerce=int,
        validators=[DataRequired(_l("Choose an organisation."))],
    )
    address = StringField(
        _l("Address"), validators=[DataRequired(_l("Enter the address.")), Length(max=200)]
    )
    timezone = StringField(
        _l("Time zone"), default="Europe/Stockholm", validators=[DataRequired(), Length(max=64)]
    )
    admitted_organisation_ids = CheckboxList(
        _l("Organisations whose staff may book"),
        coerce=int,
        description=_l("The host organisation's staff may always book."),
    )
    slot_minutes = SelectField(
        _l("Time slots"), coerce=int, choices=[(15, "15 min"), (30, "30 min"), (60, "60 min")]
    )
    min_duration_minutes = IntegerField(
        _l("Shortest booking (minutes)"), default=30, validators=[NumberRange(15, 1440, INT_MSG)]
    )
    max_duration_minutes = IntegerField(
        _l("Longest booking (minutes)"), default=600, validators=[NumberRange(15, 1440, INT_MSG)]
    )
    max_days_ahead = IntegerField(
        _l("Bookable days ahead"), default=30, validators=[NumberRange(1, 365, INT_MSG)]
    )
    max_active_bookings = IntegerField(
        _l("Most future bookings per person"), default=10, validators=[NumberRange(1, 100, INT_MSG)]
    )
    checkin_required = BooleanField(_l("Check-in required"), default=True)
    checkin_grace_minutes = IntegerField(
        _l("Minutes to check in before the desk is released"),
        default=30,
        validators=[NumberRange(0, 240, INT_MSG)],
    )
    close_early_before_holidays = BooleanField(
        _l("Close at 14.00 on days before holidays"), default=False
    )
    cost_per_desk_month = AmountField(
        _l("Cost per desk and month (SEK)"),
        places=2,
        default=0,
        validators=[NumberRange(0, 10_000_000, _l("Enter an amount of 0 or more."))],
    )
    fixed_cost_per_month = AmountField(
        _l("Fixed hub cost per month (SEK)"),
        places=2,
        default=0,
        validators=[NumberRange(0, 10_000_000, _l("Enter an amount of 0 or more."))],
    )
    active = BooleanField(_l("Active (shown to employees)"), default=True)


class HubInformationForm(FlaskForm):
    description = TextAreaField(_l("About the hub"), validators=[Length(max=4000)])
    desk_includes = TextAreaField(
        _l("What a desk includes"),
        validators=[Length(max=4000)],
        description=_l("Equipment, wifi, screens, lockers, access card, coffee …"),
    )
    service_level = TextAreaField(
        _l("Service level"),
        validators=[Length(max=4000)],
        description=_l("What employees can expect, and who provides it."),
    )
    contact_name = StringField(_l("Contact person"), validators=[Length(max=120)])
    contact_email = EmailField(_l("Contact e-mail"), validators=[Optional(), Length(max=254)])
    contact_phone = StringField(_l("Contact phone"), validators=[Length(max=40)])


class DayHoursForm(FlaskForm):
    """One weekday's opening hours; both times empty means closed. An optional lunch break
    (both times or neither) must lie inside the opening hours.

    A FlaskForm (without a token of its own: OpeningHoursForm has it) so that WTForms' own
    messages, such as an invalid time, are translated like the rest of the page.
    """

    class Meta:
        csrf = False

    opens = TimeField(_l("Opens"), validators=[Optional()])
    closes = TimeField(_l("Closes"), validators=[Optional()])
    break_starts = TimeField(_l("Closed for lunch from"), validators=[Optional()])
    break_ends = TimeField(_l("Closed for lunch until"), validators=[Optional()])

    def validate(self, extra_validators=None) -> bool:
        # Checked here, not in validate_closes: Optional() ends an empty field's validation, so
        # an opening time without a closing time would pass unnoticed.
        if not super().validate(extra_validators):
            return False
        opens, closes = self.opens.data, self.closes.data
        starts, ends = self.break_starts.data, self.break_ends.data
        if (opens is None) != (closes is None):
            self.closes.errors.append(_l("Give both times, or neither for a closed day."))
            return False
        if opens is not None and closes <= opens:
            self.closes.errors.append(_l("Closing time must be after opening time."))
            return False
        if starts is None and ends is None:
            return True
        if (starts is None) != (ends is None):
            self.break_ends.errors.append(_l("Give both lunch times, or neither for no break."))
            return False
        if opens is None:
            self.break_starts.errors.append(_l("A closed day has no lunch break."))
            return False
        if ends <= starts:
            self.break_ends.errors.append(_l("The lunch break must end after it starts."))
            return False
        if not opens < starts or not ends < closes:
            self.break_starts.errors.append(
                _l("The lunch break must lie inside the opening hours.")
            )
            return False
        return True


class OpeningHoursForm(FlaskForm):
    """The week's opening hours, one DayHoursForm per weekday (day_0 = Monday)."""

    day_0 = FormField(DayHoursForm)
    day_1 = FormField(DayHoursForm)
    day_2 = FormField(DayHoursForm)
    day_3 = FormField(DayHoursForm)
    day_4 = FormField(DayHoursForm)
    day_5 = FormField(DayHoursForm)
    day_6 = FormField(DayHoursForm)

    def days(self):
        return [getattr(self, f"day_{i}") for i in range(7)]

    def week(self) -> dict:
        """The week as set_opening_hours takes it: (opens, closes, break_starts, break_ends)
        per open weekday, None for a closed one."""
        return {
            i: (day.opens.data, day.closes.data, day.break_starts.data, day.break_ends.data)
            if day.opens.data is not None
            else None
            for i, day in enumerate(self.days())
        }


class ClosureForm(FlaskForm):
    start_date = DateField(_l("First day"), validators=[DataRequired(_l("Enter a date."))])
    end_date = DateField(_l("Last day"), validators=[DataRequired(_l("Enter a date."))])
    reason = StringField(
        _l("Reason"), validators=[DataRequired(_l("Give a reason.")), Length(max=200)]
    )


class DeskForm(FlaskForm):
    label = StringField(
        _l("Label"),
        validators=[DataRequired(_l("Enter a label.")), Length(max=40)],
        description=_l("As written on the desk, for example A1."),
    )
    zone = StringField(_l("Zone"), validators=[Length(max=60)])
    equipment = CheckboxList(_l("Equipment"))
    active = BooleanField(_l("Active (can be booked)"), default=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.equipment.choices = [(e.value, e.label) for e in Equipment]


class OutOfServiceForm(FlaskForm):
    start_date = DateField(_l("From date"), validators=[DataRequired(_l("Enter a date."))])
    start_time = TimeField(_l("From time"), validators=[DataRequired(_l("Enter a time."))])
    end_date = DateField(_l("To date"), validators=[DataRequired(_l("Enter a date."))])
    end_time = TimeField(_l("To time"), validators=[DataRequired(_l("Enter a time."))])
    reason = StringField(
        _l("Reason"), validators=[DataRequired(_l("Give a reason.")), Length(max=200)]
    )
