"""Forms of the costs part: a collaboration agreement, and ending one."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    FieldList,
    FormField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import HiddenInput

from hubbar.costs.models import CostKey
from hubbar.hubs.forms import INT_MSG, AmountField
from hubbar.pilots.models import CHARGING_MODEL_LABELS, ChargingModel

AMOUNT_MSG = _l("Enter an amount of 0 or more.")
BLANK_FOLLOW_UPS = 2  # empty rows offered for new follow-up dates


class FollowUpRow(FlaskForm):
    """One follow-up date with its note; an empty row is left out. (A FlaskForm without a token
    of its own, like the opening hours' day rows, so that WTForms' messages are translated.)"""

    class Meta:
        csrf = False

    day = DateField(_l("Date"), validators=[Optional()])
    note = StringField(_l("What to follow up"), validators=[Length(max=200)])


class HeadcountRow(FlaskForm):
    """One organisation's headcount; empty means none entered."""

    class Meta:
        csrf = False

    organisation_id = IntegerField(widget=HiddenInput(), validators=[Optional()])
    headcount = IntegerField(
        _l("Headcount"), validators=[Optional(), NumberRange(0, 1_000_000, INT_MSG)]
    )


class AgreementForm(FlaskForm):
    hub_id = SelectField(
        _l("Hub"), coerce=int, validators=[DataRequired(_l("Choose a hub."))], choices=[]
    )
    model = SelectField(
        _l("Charging model"),
        choices=[(m.value, CHARGING_MODEL_LABELS[m]) for m in ChargingModel],
        default=ChargingModel.ACTUAL_USE.value,
    )
    key = SelectField(
        _l("Key"),
        choices=[],
        description=_l(
            "What the cost is shared by: actual use by booked or used desk-hours, stipulated "
            "use by registered users or headcount. Other models have no key."
        ),
    )
    cost_per_desk_month = AmountField(
        _l("Cost per desk and month (SEK)"),
        places=2,
        validators=[Optional(), NumberRange(0, 10_000_000, AMOUNT_MSG)],
        description=_l("Leave empty to use the cost set on the hub."),
    )
    fixed_cost_per_month = AmountField(
        _l("Fixed hub cost per month (SEK)"),
        places=2,
        validators=[Optional(), NumberRange(0, 10_000_000, AMOUNT_MSG)],
        description=_l("Leave empty to use the cost set on the hub."),
    )
    price_per_booking = AmountField(
        _l("Price per booking (SEK)"),
        places=2,
        validators=[Optional(), NumberRange(0, 10_000_000, AMOUNT_MSG)],
        description=_l("Only for the model price per booking."),
    )
    start_date = DateField(_l("Starts"), validators=[DataRequired(_l("Enter a date."))])
    end_date = DateField(
        _l("Ends (last day)"),
        validators=[Optional()],
        description=_l("Leave empty for an agreement until further notice."),
    )
    notice_months = IntegerField(
        _l("Notice period (months)"),
        default=3,
        validators=[
            InputRequired(_l("Enter a number of months.")),
            NumberRange(0, 36, _l("Choose 0 to 36 months.")),
        ],
    )
    follow_ups = FieldList(FormField(FollowUpRow), label=_l("Follow-up dates"))
    headcounts = FieldList(FormField(HeadcountRow), label=_l("Headcount per organisation"))
    notes = TextAreaField(_l("Notes"), validators=[Length(max=4000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.key.choices = [("", _l("No key"))] + [(k.value, k.label) for k in CostKey]
        # Errors of a whole group of rows (an unknown organisation), shown above the rows.
        self.group_errors: dict[str, list[str]] = {}

    def add_blank_follow_ups(self) -> None:
        blanks = sum(1 for row in self.follow_ups if not row.day.data and not row.note.data)
        for _n in range(max(0, BLANK_FOLLOW_UPS - blanks)):
            self.follow_ups.append_entry()


class EndAgreementForm(FlaskForm):
    end_date = DateField(_l("Last day"), validators=[DataRequired(_l("Enter a date."))])
