"""Forms of the pilots part for system admins: a pilot's terms and participants, and its
evaluation criteria. Choices are filled in by the view from the database."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms import DateField, DecimalField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import TextInput

from hubbar.hubs.forms import AmountField, CheckboxList
from hubbar.pilots.models import CHARGING_MODEL_LABELS, ChargingModel, Comparator

AMOUNT_MSG = _l("Enter an amount of 0 or more.")

# Lazy, so that the choices are in the reader's language, not the one at import.
COMPARATOR_CHOICES = {Comparator.AT_LEAST: _l("≥ at least"), Comparator.AT_MOST: _l("≤ at most")}


class NumberField(DecimalField):
    """A number typed the Swedish or the English way ("57,5" or "57.5", spaces allowed);
    NaN and infinities are no numbers. A text field: a number field would refuse the comma."""

    widget = TextInput()

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("places", None)
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        raw = valuelist[0].strip().replace("\u00a0", "").replace(" ", "")
        if "," in raw and "." not in raw:
            raw = raw.replace(",", ".")
        if not raw:
            self.data = None
            return
        try:
            value = Decimal(raw)
        except (InvalidOperation, ValueError) as exc:
            self.data = None
            raise ValueError(_l("Enter a number.")) from exc
        if not value.is_finite():
            self.data = None
            raise ValueError(_l("Enter a number."))
        self.data = value


class PilotForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter a name.")), Length(max=120)])
    host_organisation = SelectField(
        _l("Host organisation"),
        coerce=int,
        validators=[DataRequired(_l("Choose an organisation."))],
    )
    hubs = CheckboxList(_l("Hubs"), coerce=int)
    guest_organisations = CheckboxList(
        _l("Guest organisations"),
        coerce=int,
        description=_l("The organisations whose staff try the hub."),
    )
    start_date = DateField(_l("Start date"), validators=[DataRequired(_l("Enter a date."))])
    end_date = DateField(
        _l("End date"),
        validators=[Optional()],
        description=_l("Leave empty for two months."),
    )
    charging_model = SelectField(
        _l("Charging during the pilot"),
        choices=[(m.value, CHARGING_MODEL_LABELS[m]) for m in ChargingModel],
        default=ChargingModel.NONE.value,
    )
    cost_per_desk_month = AmountField(
        _l("Cost per desk and month (SEK)"),
        places=2,
        validators=[Optional(), NumberRange(0, 10_000_000, AMOUNT_MSG)],
        description=_l("Leave empty to use the first hub's cost."),
    )
    fixed_cost_per_month = AmountField(
        _l("Fixed hub cost per month (SEK)"),
        places=2,
        validators=[Optional(), NumberRange(0, 10_000_000, AMOUNT_MSG)],
        description=_l("Leave empty to use the first hub's cost."),
    )
    price_per_booking = AmountField(
        _l("Price per booking (SEK)"),
        places=2,
        validators=[Optional(), NumberRange(0, 10_000_000, AMOUNT_MSG)],
        description=_l("For the scenario of charging per booking. Empty means 0."),
    )
    participants = CheckboxList(_l("Participants"), coerce=int)
    participant_list = TextAreaField(
        _l("Import participants (e-mail addresses)"),
        validators=[Length(max=200_000)],
        description=_l(
            "One address a line, or separated by comma or semicolon. They must have an "
            "account already. They are added to the participants chosen above."
        ),
    )
    participant_file = FileField(
        _l("Or a CSV file of e-mail addresses"),
        validators=[FileAllowed(["csv", "txt"], _l("Choose a CSV file (.csv)."))],
    )


class CriterionForm(FlaskForm):
    metric = SelectField(_l("Metric"), validators=[DataRequired(_l("Choose a metric."))])
    comparator = SelectField(
        _l("Comparator"),
        choices=[(c.value, COMPARATOR_CHOICES[c]) for c in Comparator],
        default=Comparator.AT_LEAST.value,
    )
    target = NumberField(
        _l("Target"),
        validators=[InputRequired(_l("Enter a target."))],
        description=_l("Rates in percent (60 for 60 %), hours in hours, mean rating 1–5."),
    )
    baseline = NumberField(
        _l("Baseline (optional)"),
        validators=[Optional()],
        description=_l("The value before the pilot, to compare with. Same unit as the target."),
    )
    reason = StringField(
        _l("Why this target"),
        validators=[Length(max=300)],
        description=_l("A short reason, shown in the report."),
    )
    change_reason = StringField(
        _l("Reason for the change"),
        validators=[Length(max=300)],
        description=_l("Required once the pilot has started. Shown in the report."),
    )

    def __init__(self, *args, metric_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.metric.choices = [("", _l("Choose a metric"))] + list(metric_choices)


class RemoveCriterionForm(FlaskForm):
    change_reason = StringField(
        _l("Reason for the change"),
        validators=[Length(max=300)],
        description=_l("Required once the pilot has started. Shown in the report."),
    )
