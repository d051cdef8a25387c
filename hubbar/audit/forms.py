"""The audit log's filter: a GET form, so a filtered view is a link (and an export of it)."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import Length, ValidationError
from wtforms.widgets import DateInput

from hubbar.audit.labels import action_name, object_type_name
from hubbar.audit.operations import AuditFilter
from hubbar.web import MAX_ID

DATE_MESSAGE = _l("Enter a valid date, like 2026-03-31.")


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _date(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError(DATE_MESSAGE) from None


class AuditFilterForm(FlaskForm):
    """Who, what, which object and when. The action and type lists offer what the log holds."""

    class Meta:
        csrf = False  # a search: it changes nothing

    actor = StringField(
        _l("Who"),
        description=_l("Part of the name or e-mail address of the person who acted."),
        filters=[_strip],
        validators=[Length(max=100, message=_l("Use at most 100 characters."))],
    )
    action = SelectField(_l("Action"), validate_choice=False)
    object_type = SelectField(_l("Object type"), name="type", validate_choice=False)
    object_id = StringField(
        _l("Object number"), filters=[_strip], render_kw={"inputmode": "numeric"}
    )
    first = StringField(_l("From"), name="from", filters=[_strip], widget=DateInput())
    last = StringField(_l("To"), name="to", filters=[_strip], widget=DateInput())

    def offer(self, actions: list[str], object_types: list[str]) -> None:
        """The choices: what occurs in the log, plus what was asked for (so it shows again,
        marked wrong, when it does not occur)."""
        self.action.choices = [("", str(_l("All")))] + [(a, action_name(a)) for a in actions]
        self.object_type.choices = [("", str(_l("All")))] + [
            (t, object_type_name(t)) for t in object_types
        ]
        for select in (self.action, self.object_type):
            known = {value for value, _label in select.choices}
            if select.data and select.data not in known:
                select.choices.append((select.data, select.data))
        self._actions, self._object_types = set(actions), set(object_types)

    def validate_action(self, field) -> None:
        if field.data and field.data not in self._actions:
            raise ValidationError(_l("No event has this action. Choose one from the list."))

    def validate_object_type(self, field) -> None:
        if field.data and field.data not in self._object_types:
            raise ValidationError(_l("No event is about this type. Choose one from the list."))

    def validate_object_id(self, field) -> None:
        if field.data and not (
            field.data.isascii() and field.data.isdigit() and 0 < int(field.data) <= MAX_ID
        ):
            raise ValidationError(_l("Enter an object number: a whole number from 1."))

    def validate_first(self, field) -> None:
        _date(field.data)

    def validate_last(self, field) -> None:
        last = _date(field.data)
        try:
            first = _date(self.first.data)
        except ValidationError:
            return
        if first and last and last < first:
            raise ValidationError(_l("The end date is before the start date."))

    def audit_filter(self, timezone: str) -> AuditFilter:
        """The filter the (valid) form describes."""
        return AuditFilter(
            actor=self.actor.data or "",
            action=self.action.data or "",
            object_type=self.object_type.data or "",
            object_id=int(self.object_id.data) if self.object_id.data else None,
            first=_date(self.first.data),
            last=_date(self.last.data),
            timezone=timezone,
        )

    def query_args(self) -> dict[str, str]:
        """The filter as query-string arguments, for the pages and export links."""
        fields = (self.actor, self.action, self.object_type, self.object_id, self.first, self.last)
        return {f.name: f.data for f in fields if f.data}
