"""What the pilots part does: pilots and their terms, participants (chosen or imported),
evaluation criteria and the record of changes to them after the start, listing pilots within
scope and moving their status."""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from dateutil.relativedelta import relativedelta
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from hubbar.accounts.models import Organisation, User
from hubbar.accounts.operations import HEADER_WORDS
from hubbar.audit.operations import apply_changes, record
from hubbar.errors import InvalidInput, NotAllowed, NotFound
from hubbar.extensions import db
from hubbar.formats import fmt_number, fmt_percent, local_today
from hubbar.hubs.models import Hub
from hubbar.occupancy import definitions
from hubbar.occupancy.operations import hidden_groups
from hubbar.operations import check_calendar_date, commit_or_refuse, require
from hubbar.pilots.models import (
    ChargingModel,
    Comparator,
    Criterion,
    CriterionChange,
    Pilot,
    PilotStatus,
)

MAX_AMOUNT = Decimal("99999999.99")  # what a Numeric(10, 2) column holds
MAX_NAME_LENGTH = 120
MAX_REASON_LENGTH = 300
MAX_IMPORT_ADDRESSES = 5000
MAX_CRITERION_VALUE = 1_000_000_000


def default_end_date(start: date) -> date:
    """Two months after the start (DESIGN.md: evaluated after two months)."""
    return start + relativedelta(months=2)


# --- terms ---------------------------------------------------------------------------------


def _refuse_if_reported(pilot: Pilot, message: str) -> None:
    if pilot.status is PilotStatus.REPORTED:
        raise InvalidInput(message)


def _amount(value, field_name: str) -> Decimal:
    """An amount in kronor, rounded to öre: 0 or more and small enough for the column."""
    try:
        amount = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise InvalidInput(_("Enter an amount of 0 or more."), field=field_name) from exc
    if not amount.is_finite() or amount < 0:
        raise InvalidInput(_("Enter an amount of 0 or more."), field=field_name)
    amount = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if amount > MAX_AMOUNT:
        raise InvalidInput(_("Enter a smaller amount."), field=field_name)
    return amount


def _check_terms(
    name: str,
    host_organisation: Organisation | None,
    hubs: list[Hub],
    guest_organisations: list[Organisation],
    start_date: date | None,
    end_date: date | None,
    costs: dict[str, Decimal | None],
    exclude_id: int | None = None,
) -> tuple[str, date, dict[str, Decimal]]:
    """The cleaned name, the end date (two months after the start when left empty) and the
    costs (from the first hub when left empty), or InvalidInput naming the field."""
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_("Enter a name."), field="name")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidInput(
            _("The name may have at most %(n)d characters.", n=MAX_NAME_LENGTH), field="name"
        )
    if host_organisation is None:
        raise InvalidInput(_("Choose an organisation."), field="host_organisation")
    if not hubs:
        raise InvalidInput(_("Choose at least one hub."), field="hubs")
    if any(o.id == host_organisation.id for o in guest_organisations):
        raise InvalidInput(
            _("The host organisation cannot also be a guest."), field="guest_organisations"
        )
    if start_date is None:
        raise InvalidInput(_("Enter a date."), field="start_date")
    check_calendar_date(start_date, "start_date")
    if end_date is not None:
        check_calendar_date(end_date, "end_date")
    end_date = end_date or default_end_date(start_date)
    if end_date <= start_date:
        raise InvalidInput(_("The end must be after the start."), field="end_date")
    query = select(Pilot.id).where(Pilot.name == name)
    if exclude_id is not None:
        query = query.where(Pilot.id != exclude_id)
    if db.session.scalar(query) is not None:
        raise InvalidInput(_("A pilot with that name exists already."), field="name")
    defaults = {
        "cost_per_desk_month": hubs[0].cost_per_desk_month,
        "fixed_cost_per_month": hubs[0].fixed_cost_per_month,
        "price_per_booking": Decimal("0"),
    }
    checked = {
        key: _amount(value if value is not None else defaults[key] or 0, key)
        for key, value in costs.items()
    }
    return name, end_date, checked


def _unique(objects: list) -> list:
    """The objects without repeats, in their order (a form or a list may name one twice)."""
    seen: set[int] = set()
    return [o for o in objects if not (o.id in seen or seen.add(o.id))]


def create_pilot(
    actor: User | None,
    name: str,
    host_organisation: Organisation,
    hubs: list[Hub],
    guest_organisations: list[Organisation],
    start_date: date,
    end_date: date | None = None,
    participants: list[User] | None = None,
    charging_model: ChargingModel = ChargingModel.NONE,
    *,
    cost_per_desk_month: Decimal | None = None,
    fixed_cost_per_month: Decimal | None = None,
    price_per_booking: Decimal | None = None,
) -> Pilot:
    """Create a pilot. Left-out costs come from the first hub (the price per booking is 0)."""
    if actor is not None:
        require(actor.is_system_admin)
    hubs, guest_organisations = _unique(list(hubs)), _unique(list(guest_organisations))
    name, end_date, costs = _check_terms(
        name,
        host_organisation,
        hubs,
        guest_organisations,
        start_date,
        end_date,
        {
            "cost_per_desk_month": cost_per_desk_month,
            "fixed_cost_per_month": fixed_cost_per_month,
            "price_per_booking": price_per_booking,
        },
    )
    pilot = Pilot(
        name=name,
        host_organisation=host_organisation,
        hubs=hubs,
        guest_organisations=guest_organisations,
        participants=_unique(list(participants or [])),
        start_date=start_date,
        end_date=end_date,
        charging_model=charging_model,
        status=status_on(start_date, end_date, local_today(), PilotStatus.PLANNED),
        **costs,
    )
    with commit_or_refuse(_("A pilot with that name exists already."), field="name"):
        db.session.add(pilot)
        record(actor, "pilot.create", pilot, f"{name} {start_date}–{end_date}")
    return pilot


def _set_list(pilot: Pilot, attribute: str, new: list, label) -> dict:
    """Replace one of the pilot's lists; what changed as {attribute: [old, new]} labels."""
    old = getattr(pilot, attribute)
    if {o.id for o in old} == {o.id for o in new}:
        return {}
    setattr(pilot, attribute, new)
    return {attribute: [sorted(label(o) for o in old), sorted(label(o) for o in new)]}


def update_pilot(
    actor: User,
    pilot: Pilot,
    *,
    name: str,
    host_organisation: Organisation,
    hubs: list[Hub],
    guest_organisations: list[Organisation],
    start_date: date,
    end_date: date | None,
    charging_model: ChargingModel,
    cost_per_desk_month: Decimal | None,
    fixed_cost_per_month: Decimal | None,
    price_per_booking: Decimal | None,
    participants: list[User] | None = None,
) -> Pilot:
    """Change a pilot's terms (and, when given, its participants) until it is reported.
    The status follows the new dates. Once the pilot has started, its start date stays: moved
    into the future it would make the pilot planned again and unlock its criteria, to change
    them unrecorded. Its end date may still change (extended or shortened)."""
    require(actor.is_system_admin)
    _refuse_if_reported(pilot, _("The pilot is reported: its terms can no longer change."))
    hubs, guest_organisations = _unique(list(hubs)), _unique(list(guest_organisations))
    name, end_date, costs = _check_terms(
        name,
        host_organisation,
        hubs,
        guest_organisations,
        start_date,
        end_date,
        {
            "cost_per_desk_month": cost_per_desk_month,
            "fixed_cost_per_month": fixed_cost_per_month,
            "price_per_booking": price_per_booking,
        },
        exclude_id=pilot.id,
    )
    if pilot.status is not PilotStatus.PLANNED and start_date != pilot.start_date:
        raise InvalidInput(
            _("The pilot has started: its start date can no longer change."), field="start_date"
        )
    with commit_or_refuse(_("A pilot with that name exists already."), field="name"):
        changes = apply_changes(
            pilot,
            {
                "name": name,
                "start_date": start_date,
                "end_date": end_date,
                "charging_model": charging_model,
                **costs,
                "status": status_on(start_date, end_date, local_today(), pilot.status),
            },
        )
        if pilot.host_organisation_id != host_organisation.id:
            changes["host_organisation"] = [pilot.host_organisation.code, host_organisation.code]
            pilot.host_organisation = host_organisation
        changes.update(_set_list(pilot, "hubs", hubs, lambda h: h.name))
        changes.update(
            _set_list(pilot, "guest_organisations", guest_organisations, lambda o: o.code)
        )
        if participants is not None:
            changes.update(_set_list(pilot, "participants", _unique(participants), _user_id))
        if changes:
            record(actor, "pilot.update", pilot, f"{name} {start_date}–{end_date}", changes)
    return pilot


# --- participants --------------------------------------------------------------------------


def _user_id(user: User) -> int:
    return user.id


def participant_candidates(pilot: Pilot | None = None) -> list[tuple[Organisation, list[User]]]:
    """The people an admin may choose as participants, by organisation: active users, and the
    pilot's present participants even if their account has been deactivated since."""
    current = {u.id for u in pilot.participants} if pilot is not None else set()
    users = db.session.scalars(select(User).order_by(User.display_name, User.email))
    groups: dict[int, tuple[Organisation, list[User]]] = {}
    for user in users:
        if user.active or user.id in current:
            groups.setdefault(user.organisation_id, (user.organisation, []))[1].append(user)
    return sorted(groups.values(), key=lambda group: group[0].name)


def set_participants(actor: User, pilot: Pilot, users: list[User]) -> Pilot:
    """Make ``users`` the pilot's participants (until the pilot is reported)."""
    require(actor.is_system_admin)
    _refuse_if_reported(pilot, _("The pilot is reported: its terms can no longer change."))
    changes = _set_list(pilot, "participants", _unique(list(users)), _user_id)
    if changes:
        summary = f"{pilot.name}: {len(pilot.participants)} participants"
        record(actor, "pilot.participants", pilot, summary, changes)
    db.session.commit()
    return pilot


@dataclass
class ImportProblem:
    """A line of a participant list that cannot be used, and why."""

    line: int
    address: str
    reason: str


@dataclass
class ImportResult:
    """What a participant list names: the users (in the list's order), those an import added
    to the pilot, and the lines it refuses. One refused line refuses the whole list."""

    users: list[User] = field(default_factory=list)
    added: list[User] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def already(self) -> list[User]:
        """Users on the list who were participants already."""
        added = {u.id for u in self.added}
        return [u for u in self.users if u.id not in added]


_ADDRESS = re.compile(r"[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+")
_SEPARATORS = re.compile(r"[,;\t]")


def decode_text(data: str | bytes) -> str:
    """The text of an uploaded list: UTF-8 (with or without BOM), UTF-16 or Windows-1252."""
    if isinstance(data, str):
        return data.lstrip("\ufeff")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace").lstrip("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")  # Excel's CSV in Swedish


def _cell_address(cell: str) -> str:
    """The address in a cell: "anna@x.se", "Anna Berg <anna@x.se>" or "'anna@x.se'"."""
    inside = re.search(r"<([^<>]*)>", cell)
    text = inside.group(1) if inside else cell
    return text.strip().strip("\"'").strip().lower()


def read_participants(data: str | bytes) -> ImportResult:
    """The existing users a list of e-mail addresses names, changing nothing.

    The list is a CSV file or pasted text: one address a line, or several separated by comma,
    semicolon or tab; cells without an @ (names, organisations, a header such as "email") are
    skipped; case does not matter. An unknown address, a line without an address or a repeated
    address is a problem of its line."""
    text = decode_text(data)
    if "\x00" in text:
        raise InvalidInput(_("Choose a CSV file (.csv)."), field="participant_list")
    result = ImportResult()
    entries: list[tuple[int, str]] = []
    first = True
    for number, line in enumerate(text.splitlines(), start=1):
        cells = [c.strip() for c in _SEPARATORS.split(line) if c.strip()]
        if not cells:
            continue
        if first and cells[0].lower() in HEADER_WORDS:
            first = False
            continue
        first = False
        addresses = [_cell_address(c) for c in cells if "@" in c]
        if not addresses:
            result.problems.append(
                ImportProblem(number, line.strip()[:254], _("This line has no e-mail address."))
            )
            continue
        entries.extend((number, a) for a in addresses)
        if len(entries) > MAX_IMPORT_ADDRESSES:
            raise InvalidInput(
                _("The list has more than %(n)d addresses. Split it up.", n=MAX_IMPORT_ADDRESSES),
                field="participant_list",
            )
    valid = {a for _line, a in entries if len(a) <= 254 and _ADDRESS.fullmatch(a)}
    known = {}
    chunk = sorted(valid)
    for i in range(0, len(chunk), 500):
        for user in db.session.scalars(select(User).where(User.email.in_(chunk[i : i + 500]))):
            known[user.email] = user
    seen: dict[str, int] = {}
    for number, address in entries:
        if address not in valid:
            reason = _("Not an e-mail address.")
        elif address in seen:
            reason = _("The same address is on line %(line)d.", line=seen[address])
        elif address not in known:
            reason = _("No user has this e-mail address.")
        else:
            seen[address] = number
            result.users.append(known[address])
            continue
        result.problems.append(ImportProblem(number, address[:254], reason))
    result.problems.sort(key=lambda p: p.line)
    return result


def import_participants(actor: User, pilot: Pilot, csv_text: str | bytes) -> ImportResult:
    """Add the users a list of e-mail addresses names to the pilot's participants: all of them,
    or, when any line is refused, none (the result says which lines and why)."""
    require(actor.is_system_admin)
    _refuse_if_reported(pilot, _("The pilot is reported: its terms can no longer change."))
    result = read_participants(csv_text)
    if result.ok and not result.users:
        raise InvalidInput(_("The list has no e-mail addresses."), field="participant_list")
    if not result.ok:
        return result
    current = {u.id for u in pilot.participants}
    result.added = [u for u in result.users if u.id not in current]
    if result.added:
        old = sorted(current)
        pilot.participants = [*pilot.participants, *result.added]
        record(
            actor,
            "pilot.participants",
            pilot,
            f"{pilot.name}: {len(result.added)} imported",
            {"participants": [old, sorted(u.id for u in pilot.participants)]},
        )
    db.session.commit()
    return result


# --- criteria ------------------------------------------------------------------------------


def metric_definitions() -> list[definitions.Definition]:
    """The metrics a criterion may use: those of DESIGN.md "Metrics", as defined now."""
    return list(definitions.BY_KEY.values())


def _unit(metric: str) -> str:
    definition = definitions.BY_KEY.get(metric)
    return definition.unit if definition is not None else definitions.COUNT


def _places(value: float, most: int = 2) -> int:
    """The fewest decimals (up to ``most``) that show ``value`` as it is: 60, 57.5, 12.25."""
    for places in range(most + 1):
        if abs(value - round(value, places)) < 1e-9:
            return places
    return most


def format_metric_value(metric: str, value: float | None) -> str:
    """A value of a metric as a reader sees it: "60 %" for a rate, "24 h" for hours, "4.2" for
    a mean rating, a plain number for counts."""
    if value is None:
        return "–"
    unit = _unit(metric)
    if metric == "mean_rating":
        return fmt_number(value, 1)
    if unit == definitions.FRACTION:
        return fmt_percent(value, _places(value * 100, 1))
    number = fmt_number(value, _places(value, 1))
    if unit == definitions.HOURS:
        return _("%(number)s h", number=number)
    if unit == "minutes":
        return _("%(number)s min", number=number)
    return number


def describe_criterion(
    metric: str | Criterion,
    comparator: Comparator | None = None,
    target: float | None = None,
    baseline: float | None = None,
) -> str:
    """A criterion in words: "Booking rate ≥ 60 % (baseline 40 %)". Takes a Criterion, or its
    metric key, comparator, target and baseline (rates as fractions)."""
    if isinstance(metric, Criterion):
        criterion = metric
        metric, comparator = criterion.metric, criterion.comparator
        target, baseline = criterion.target, criterion.baseline
    definition = definitions.BY_KEY.get(metric)
    name = str(definition.name) if definition is not None else metric
    text = f"{name} {comparator.symbol} {format_metric_value(metric, target)}"
    if baseline is not None:
        text = _(
            "%(criterion)s (baseline %(baseline)s)",
            criterion=text,
            baseline=format_metric_value(metric, baseline),
        )
    return text


def entered_value(metric: str, stored: float | None) -> Decimal | None:
    """A stored value as the form shows it: rates in percent (0.6 → 60)."""
    if stored is None:
        return None
    value = Decimal(repr(float(stored)))
    if _unit(metric) == definitions.FRACTION:
        value *= 100
    return Decimal(format(value.normalize(), "f"))


def stored_value(metric: str, entered: Decimal | float | None) -> float | None:
    """A value as entered in the form, as stored: rates from percent (60 → 0.6)."""
    if entered is None:
        return None
    value = Decimal(repr(entered)) if isinstance(entered, float) else Decimal(entered)
    if not value.is_finite():
        return float(value)
    if _unit(metric) == definitions.FRACTION:
        value /= 100
    return float(value)


@dataclass(frozen=True)
class CriterionValues:
    """What a criterion says, checked (rates as fractions)."""

    metric: str
    comparator: Comparator
    target: float
    baseline: float | None
    reason: str


def _criterion_number(metric: str, value, field_name: str) -> float:
    """A target or baseline within the metric's range, or InvalidInput in the form's units."""
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError) as exc:
        raise InvalidInput(_("Enter a number."), field=field_name) from exc
    if not math.isfinite(number):
        raise InvalidInput(_("Enter a number."), field=field_name)
    if metric == "mean_rating":
        if not 1 <= number <= 5:
            raise InvalidInput(_("Enter a rating from 1 to 5."), field=field_name)
    elif _unit(metric) == definitions.FRACTION:
        if not 0 <= number <= 1:
            raise InvalidInput(_("Enter a percentage from 0 to 100."), field=field_name)
    elif number < 0:
        raise InvalidInput(_("Enter a number of 0 or more."), field=field_name)
    elif number > MAX_CRITERION_VALUE:
        raise InvalidInput(_("Enter a smaller number."), field=field_name)
    return number


def _check_criterion(
    pilot: Pilot,
    metric: str,
    comparator,
    target,
    baseline,
    reason: str,
    exclude: Criterion | None = None,
) -> CriterionValues:
    if metric not in definitions.BY_KEY:
        raise InvalidInput(_("Choose a metric."), field="metric")
    if not isinstance(comparator, Comparator):
        try:
            comparator = Comparator(comparator)
        except ValueError as exc:
            raise InvalidInput(_("Choose at least or at most."), field="comparator") from exc
    if target is None:
        raise InvalidInput(_("Enter a target."), field="target")
    target = _criterion_number(metric, target, "target")
    if baseline is not None:
        baseline = _criterion_number(metric, baseline, "baseline")
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON_LENGTH:
        raise InvalidInput(
            _("The reason may have at most %(n)d characters.", n=MAX_REASON_LENGTH),
            field="reason",
        )
    for other in pilot.criteria:
        if other is not exclude and (other.metric, other.comparator) == (metric, comparator):
            raise InvalidInput(
                _("The pilot has a criterion with this metric and comparator already."),
                field="metric",
            )
    return CriterionValues(metric, comparator, target, baseline, reason)


def _values_of(criterion: Criterion) -> CriterionValues:
    return CriterionValues(
        criterion.metric,
        criterion.comparator,
        criterion.target,
        criterion.baseline,
        criterion.reason,
    )


def _check_change_reason(pilot: Pilot, change_reason: str) -> str:
    """Criteria of a reported pilot never change; after the start, a change needs a reason."""
    _refuse_if_reported(pilot, _("The pilot is reported: its criteria can no longer change."))
    change_reason = (change_reason or "").strip()
    if pilot.criteria_locked and not change_reason:
        raise InvalidInput(_("Give the reason for the change."), field="change_reason")
    if len(change_reason) > MAX_REASON_LENGTH:
        raise InvalidInput(
            _("The reason may have at most %(n)d characters.", n=MAX_REASON_LENGTH),
            field="change_reason",
        )
    return change_reason


def _recorded_text(values: CriterionValues | None, with_reason: bool) -> str:
    if values is None:
        return ""
    text = describe_criterion(values.metric, values.comparator, values.target, values.baseline)
    if with_reason:
        text = _("%(criterion)s; reason: %(reason)s", criterion=text, reason=values.reason or "–")
    return text


def _record_change(
    actor: User,
    pilot: Pilot,
    before: CriterionValues | None,
    after: CriterionValues | None,
    change_reason: str,
) -> CriterionChange:
    """A change after the start, in the words of the report (the service's language, Swedish
    by default, whatever the admin's): before → after, the reason for the change last. The
    criterion's own reason is shown only when it is what changed."""
    reason_changed = before is not None and after is not None and before.reason != after.reason
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        before_text = _recorded_text(before, reason_changed)
        if after is None:
            after_text = _("Removed — reason for the change: %(reason)s", reason=change_reason)
        else:
            after_text = _(
                "%(criterion)s — reason for the change: %(reason)s",
                criterion=_recorded_text(after, reason_changed),
                reason=change_reason,
            )
    change = CriterionChange(user=actor, before=before_text, after=after_text)
    pilot.criterion_changes.append(change)
    return change


def _audit_text(values: CriterionValues) -> str:
    """A criterion for the audit log, language-neutral."""
    baseline = f" (baseline {values.baseline:g})" if values.baseline is not None else ""
    return f"{values.metric} {values.comparator.symbol} {values.target:g}{baseline}"


def get_criterion(pilot: Pilot, criterion_id: int) -> Criterion:
    criterion = db.session.get(Criterion, criterion_id)
    if criterion is None or criterion.pilot_id != pilot.id:
        raise NotFound(_("No such criterion."))
    return criterion


def add_criterion(
    actor: User,
    pilot: Pilot,
    *,
    metric: str,
    comparator: Comparator,
    target: float,
    baseline: float | None = None,
    reason: str = "",
    change_reason: str = "",
) -> Criterion:
    """Add an evaluation criterion (rates as fractions). After the start it needs a reason
    for the change, and the change is recorded for the report."""
    require(actor.is_system_admin)
    change_reason = _check_change_reason(pilot, change_reason)
    values = _check_criterion(pilot, metric, comparator, target, baseline, reason)
    position = max((c.position for c in pilot.criteria), default=-1) + 1
    criterion = Criterion(
        pilot=pilot,
        position=position,
        metric=values.metric,
        comparator=values.comparator,
        target=values.target,
        baseline=values.baseline,
        reason=values.reason,
    )
    db.session.add(criterion)
    if pilot.criteria_locked:
        _record_change(actor, pilot, None, values, change_reason)
    record(actor, "criterion.add", criterion, f"{pilot.name}: {_audit_text(values)}")
    db.session.commit()
    return criterion


def update_criterion(
    actor: User,
    criterion: Criterion,
    *,
    metric: str,
    comparator: Comparator,
    target: float,
    baseline: float | None = None,
    reason: str = "",
    change_reason: str = "",
) -> Criterion:
    """Change a criterion. Nothing changed is no change; after the start a change needs a
    reason and is recorded for the report."""
    require(actor.is_system_admin)
    pilot = criterion.pilot
    _refuse_if_reported(pilot, _("The pilot is reported: its criteria can no longer change."))
    values = _check_criterion(
        pilot, metric, comparator, target, baseline, reason, exclude=criterion
    )
    before = _values_of(criterion)
    if values == before:
        return criterion
    change_reason = _check_change_reason(pilot, change_reason)
    if pilot.criteria_locked:
        _record_change(actor, pilot, before, values, change_reason)
    changes = apply_changes(
        criterion,
        {
            "metric": values.metric,
            "comparator": values.comparator,
            "target": values.target,
            "baseline": values.baseline,
            "reason": values.reason,
        },
    )
    record(actor, "criterion.update", criterion, f"{pilot.name}: {_audit_text(values)}", changes)
    db.session.commit()
    return criterion


def remove_criterion(actor: User, criterion: Criterion, *, change_reason: str = "") -> None:
    """Remove a criterion. After the start it needs a reason and is recorded for the report."""
    require(actor.is_system_admin)
    pilot = criterion.pilot
    change_reason = _check_change_reason(pilot, change_reason)
    values = _values_of(criterion)
    if pilot.criteria_locked:
        _record_change(actor, pilot, values, None, change_reason)
    record(actor, "criterion.remove", criterion, f"{pilot.name}: {_audit_text(values)}")
    pilot.criteria.remove(criterion)
    db.session.commit()


# --- status and scope ----------------------------------------------------------------------


def status_on(start: date, end: date, today: date, current: PilotStatus) -> PilotStatus:
    """A pilot runs from its start date through its end date; a reported pilot stays so, and
    a pilot that has started never becomes planned again (its criteria stay locked)."""
    if current is PilotStatus.REPORTED:
        return current
    if today < start:
        return PilotStatus.PLANNED if current is PilotStatus.PLANNED else PilotStatus.RUNNING
    if today <= end:
        return PilotStatus.RUNNING
    return PilotStatus.ENDED


def advance_statuses(today: date) -> list[Pilot]:
    """Move every pilot to the status its dates give (run daily by the scheduler)."""
    changed = []
    for pilot in db.session.scalars(select(Pilot)):
        new = status_on(pilot.start_date, pilot.end_date, today, pilot.status)
        changes = apply_changes(pilot, {"status": new})
        if changes:
            record(None, "pilot.status", pilot, f"{pilot.name}: {new.value}", changes)
            changed.append(pilot)
    db.session.commit()
    return changed


def visible_pilots(user: User) -> list[Pilot]:
    pilots = db.session.scalars(select(Pilot).order_by(Pilot.start_date.desc())).all()
    return [p for p in pilots if p.can_view(user)]


def get_pilot_for(user: User, pilot_id: int) -> Pilot:
    pilot = db.session.get(Pilot, pilot_id)
    if pilot is None:
        raise NotFound(_("No such pilot."))
    if not pilot.can_view(user):
        raise NotAllowed(_("You do not have permission to see this pilot."))
    return pilot


def participants_by_organisation(pilot: Pilot, k: int) -> list[tuple[str, int | None]]:
    """Participants per home organisation for evaluators, by name: the counts of organisations
    under ``k``, and of the next smallest until the hidden ones hold at least ``k`` people
    together, are None (shown as "< k"). Shown beside the total, a single hidden count would
    be the total minus the others (DESIGN.md, privacy; the rule of the occupancy figures)."""
    departed = [d["organisation_id"] for d in pilot.departed_participants or []]
    counts = Counter([p.organisation_id for p in pilot.participants] + departed)
    organisations = {
        o.id: o for o in db.session.scalars(select(Organisation).where(Organisation.id.in_(counts)))
    }
    hidden = hidden_groups([(i, organisations[i].name, n) for i, n in counts.items()], k)
    return [
        (organisations[i].name, None if i in hidden else n)
        for i, n in sorted(counts.items(), key=lambda item: organisations[item[0]].name)
    ]
