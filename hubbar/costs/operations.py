"""What the costs part does: the cost-sharing models of DESIGN.md "Cost sharing", and the
collaboration agreements with their quarterly charging basis.

The calculation is pure (no database): :func:`hub_cost` prices a hub for a period and
:func:`scenarios` shares that cost by every model, so the pilot report and the agreement pages
show the same figures. :func:`usage_for` builds its input from :mod:`hubbar.occupancy`, where
every number shown anywhere comes from. Money is ``Decimal`` SEK with two decimals (öre); a
split adds up to its total to the öre (largest-remainder rounding).
"""

from __future__ import annotations

import math
import re
from calendar import monthrange
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from dateutil.relativedelta import relativedelta
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select

from hubbar.accounts.models import Organisation, User
from hubbar.audit.operations import apply_changes, record
from hubbar.costs.models import Agreement, CostKey, FollowUp, Headcount
from hubbar.errors import InvalidInput, NotAllowed, NotFound
from hubbar.extensions import db
from hubbar.formats import fmt_money, fmt_number
from hubbar.hubs.models import Hub
from hubbar.operations import EARLIEST_DATE, LATEST_DATE, check_calendar_date, require
from hubbar.pilots.models import ChargingModel

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MAX_AMOUNT = Decimal("10000000")  # as the hub settings allow; the columns hold up to 10^8
MAX_NOTICE_MONTHS = 36
MAX_HEADCOUNT = 1_000_000
NOTE_LENGTH = 200

# The key each model may (and, where it has a choice, must) share by.
MODEL_KEYS: dict[ChargingModel, tuple[CostKey, ...]] = {
    ChargingModel.NONE: (),
    ChargingModel.ACTUAL_USE: (CostKey.BOOKED_HOURS, CostKey.USED_HOURS),
    ChargingModel.STIPULATED: (CostKey.USERS, CostKey.HEADCOUNT),
    ChargingModel.PER_BOOKING: (),
    ChargingModel.EQUAL_SPLIT: (),
    ChargingModel.TIME_BANK: (),
}

# What a scenario's rate is per, by model and key.
RATE_UNITS = {
    (ChargingModel.ACTUAL_USE, CostKey.BOOKED_HOURS): "hour",
    (ChargingModel.ACTUAL_USE, CostKey.USED_HOURS): "hour",
    (ChargingModel.STIPULATED, CostKey.USERS): "user",
    (ChargingModel.STIPULATED, CostKey.HEADCOUNT): "head",
    (ChargingModel.PER_BOOKING, None): "booking",
    (ChargingModel.EQUAL_SPLIT, None): "organisation",
    (ChargingModel.TIME_BANK, None): "hour",
    (ChargingModel.NONE, None): "",
}


# --- money ---------------------------------------------------------------------------------


def _exact(value: Decimal | float | int) -> Fraction:
    """A number as an exact fraction; a float (hours) by the decimal it prints as."""
    if isinstance(value, float):
        return Fraction(repr(value))
    return Fraction(value)


def _ore(value: Fraction) -> Decimal:
    """An exact amount rounded to öre, half away from zero, as a ``Decimal`` with 2 places."""
    cents = math.floor(abs(value) * 100 + Fraction(1, 2))
    return (Decimal(cents if value >= 0 else -cents) / 100).quantize(CENT)


def months(first: date, last: date) -> Fraction:
    """How many months the dates ``first``..``last`` (inclusive) make: for each calendar month
    touched, the days of the period in it divided by the days of that month."""
    total = Fraction(0)
    month = first.replace(day=1)
    while month <= last:
        length = monthrange(month.year, month.month)[1]
        month_end = month.replace(day=length)
        days = (min(last, month_end) - max(first, month)).days + 1
        total += Fraction(days, length)
        month = month_end + timedelta(days=1)
    return total


def hub_cost(
    desks: int,
    cost_per_desk_month: Decimal,
    fixed_cost_per_month: Decimal,
    first: date,
    last: date,
) -> Decimal:
    """What a hub costs over ``first``..``last``: desks × cost per desk-month plus the fixed
    cost per month, both pro-rated by days (:func:`months`), rounded to öre at the end only."""
    if last < first:
        return ZERO
    per_month = desks * _exact(cost_per_desk_month) + _exact(fixed_cost_per_month)
    return _ore(per_month * months(first, last))


def split(
    total: Decimal, weights: dict[int, Fraction], names: dict[int, str]
) -> dict[int, Decimal]:
    """``total`` shared in proportion to ``weights`` so that the parts add up to it to the öre:
    each part is floored to öre, and the öre left over go one each to the largest fractional
    parts (ties by organisation name). All parts are 0 when the weights sum to 0."""
    weight = sum(weights.values(), Fraction(0))
    if weight <= 0 or total <= 0:
        return {key: ZERO for key in weights}
    cents = int(total * 100)
    exact = {key: cents * w / weight for key, w in weights.items()}
    floors = {key: math.floor(value) for key, value in exact.items()}
    left = cents - sum(floors.values())
    order = sorted(exact, key=lambda k: (-(exact[k] - floors[k]), names.get(k, ""), k))
    for key in order[:left]:
        floors[key] += 1
    return {key: (Decimal(n) / 100).quantize(CENT) for key, n in floors.items()}


# --- the models ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Usage:
    """One home organisation's use of one hub over the period."""

    hub_id: int
    hub_name: str
    host_organisation_id: int
    organisation_id: int
    organisation_name: str
    booked_hours: float
    used_hours: float
    bookings: int  # bookings not cancelled before start (what a price per booking charges)
    users: int  # distinct users with a booked interval


@dataclass
class Share:
    """What one organisation pays under a scenario, and the key's value it was charged by."""

    organisation_id: int
    organisation_name: str
    basis: float | None  # hours, users, headcount or bookings; None for an equal split
    amount: Decimal  # SEK; negative only in the time bank (a net balance to receive)

    def to_data(self) -> dict:
        return {
            "organisation_id": self.organisation_id,
            "organisation_name": self.organisation_name,
            "basis": self.basis,
            "amount": str(self.amount),
        }

    @classmethod
    def from_data(cls, data: dict) -> Share:
        return cls(
            data["organisation_id"],
            data["organisation_name"],
            data.get("basis"),
            Decimal(data["amount"]),
        )


@dataclass
class Balance:
    """Time bank: one pair of organisations, netted. The debtor's staff used ``hours`` more
    desk-hours at the creditor's hubs than the other way round."""

    debtor_id: int
    debtor_name: str
    creditor_id: int
    creditor_name: str
    hours: float
    amount: Decimal  # hours × the hourly rate, rounded to öre

    def to_data(self) -> dict:
        return {
            "debtor_id": self.debtor_id,
            "debtor_name": self.debtor_name,
            "creditor_id": self.creditor_id,
            "creditor_name": self.creditor_name,
            "hours": self.hours,
            "amount": str(self.amount),
        }

    @classmethod
    def from_data(cls, data: dict) -> Balance:
        return cls(
            data["debtor_id"],
            data["debtor_name"],
            data["creditor_id"],
            data["creditor_name"],
            data["hours"],
            Decimal(data["amount"]),
        )


@dataclass
class Scenario:
    """What one charging model would charge each organisation.

    ``total`` is what is to be shared: the hub cost (for a price per booking, bookings × price).
    The shares add up to it to the öre for actual use, stipulated use, price per booking and
    equal split, unless the key sums to 0 (nobody booked, no headcount…): then every share is 0
    and ``description`` says so. Under no charging every share is 0 (the host bears the cost).
    In the time bank the shares are each organisation's net balance (positive: to pay) and sum
    to 0; ``balances`` holds the pairs.
    """

    model: ChargingModel
    key: CostKey | None
    total: Decimal
    rate: Decimal | None  # SEK per hour / user / head / booking / organisation
    rate_unit: str  # "hour", "user", "head", "booking", "organisation" or ""
    shares: list[Share] = field(default_factory=list)
    balances: list[Balance] = field(default_factory=list)
    rate_basis: float | None = None  # what the rate divides the total by (hours, people…)

    @property
    def charged(self) -> Decimal:
        """What the shares add up to."""
        return sum((s.amount for s in self.shares), ZERO)

    @property
    def basis_total(self) -> float:
        return sum(s.basis for s in self.shares if s.basis is not None)

    @property
    def label(self) -> str:
        """The model and its key in words: "Charging for actual use (Booked desk-hours)"."""
        if self.key is None:
            return self.model.label
        return f"{self.model.label} ({self.key.label})"

    def to_data(self) -> dict:
        return {
            "model": self.model.value,
            "key": self.key.value if self.key else None,
            "total": str(self.total),
            "rate": None if self.rate is None else str(self.rate),
            "rate_unit": self.rate_unit,
            "shares": [s.to_data() for s in self.shares],
            "balances": [b.to_data() for b in self.balances],
            "rate_basis": self.rate_basis,
        }

    @classmethod
    def from_data(cls, data: dict) -> Scenario:
        return cls(
            model=ChargingModel(data["model"]),
            key=CostKey(data["key"]) if data.get("key") else None,
            total=Decimal(data["total"]),
            rate=None if data.get("rate") is None else Decimal(data["rate"]),
            rate_unit=data.get("rate_unit", ""),
            shares=[Share.from_data(s) for s in data.get("shares", [])],
            balances=[Balance.from_data(b) for b in data.get("balances", [])],
            rate_basis=data.get("rate_basis"),
        )

    @property
    def description(self) -> str:
        """The rate and the key in a sentence, in the reader's language."""
        rate = fmt_money(self.rate) if self.rate is not None else ""
        basis = self.basis_total
        if self.model is ChargingModel.NONE:
            return _(
                "No charging: nobody pays. The host bears the hub cost of %(cost)s.",
                cost=fmt_money(self.total),
            )
        if self.model is ChargingModel.TIME_BANK:
            if self.rate is None:
                return _("Time bank: no desk-hours to value, so there are no balances.")
            if not self.balances:
                return _(
                    "Time bank at %(rate)s per desk-hour: no organisation used another's hubs, "
                    "so there are no balances.",
                    rate=rate,
                )
            return _(
                "Time bank: desk-hours booked at other organisations' hubs, netted per pair of "
                "organisations, at %(rate)s per desk-hour (the hub cost of %(cost)s over "
                "%(hours)s desk-hours).",
                rate=rate,
                cost=fmt_money(self.total),
                hours=fmt_number(self.rate_basis or 0, 1),
            )
        if self.model is ChargingModel.PER_BOOKING:
            if not basis:
                return _("Price per booking: there were no bookings, so nobody is charged.")
            return ngettext(
                "Price per booking: %(num)d booking at %(rate)s per booking.",
                "Price per booking: %(num)d bookings at %(rate)s per booking.",
                int(basis),
                rate=rate,
            )
        if self.model is ChargingModel.EQUAL_SPLIT:
            parties = len([s for s in self.shares if s.basis is None])
            if self.rate is None or not parties:
                return _("Equal split: there is no organisation to share among.")
            return ngettext(
                "Shared equally by %(num)d organisation: %(rate)s each.",
                "Shared equally by %(num)d organisations: %(rate)s each.",
                parties,
                rate=rate,
            )
        return self._key_description(basis, rate)

    def _key_description(self, basis: float, rate: str) -> str:
        key = self.key
        if key in (CostKey.BOOKED_HOURS, CostKey.USED_HOURS):
            hours = fmt_number(basis, 1)
            if self.rate is None:
                if key is CostKey.BOOKED_HOURS:
                    return _("Shared by booked desk-hours: none were booked, so nobody is charged.")
                return _("Shared by used desk-hours: none were used, so nobody is charged.")
            if key is CostKey.BOOKED_HOURS:
                return _(
                    "Shared by booked desk-hours: %(hours)s hours at %(rate)s per hour.",
                    hours=hours,
                    rate=rate,
                )
            return _(
                "Shared by used desk-hours: %(hours)s hours at %(rate)s per hour.",
                hours=hours,
                rate=rate,
            )
        if key is CostKey.USERS:
            if self.rate is None:
                return _("Shared by registered users: there are none, so nobody is charged.")
            return ngettext(
                "Shared by registered users: %(num)d user at %(rate)s per user.",
                "Shared by registered users: %(num)d users at %(rate)s per user.",
                int(basis),
                rate=rate,
            )
        if self.rate is None:
            return _("Shared by headcount: no headcount is entered, so nobody is charged.")
        return ngettext(
            "Shared by headcount: %(num)d person at %(rate)s per head.",
            "Shared by headcount: %(num)d people at %(rate)s per head.",
            int(basis),
            rate=rate,
        )


def _rate(total: Decimal, basis: Fraction) -> Decimal | None:
    return _ore(_exact(total) / basis) if basis > 0 else None


def _shared(
    model: ChargingModel,
    key: CostKey | None,
    cost: Decimal,
    values: dict[int, Fraction],
    bases: dict[int, float | None],
    names: dict[int, str],
) -> Scenario:
    """A scenario that shares ``cost`` in proportion to ``values`` (the key per organisation)."""
    total_basis = sum(values.values(), Fraction(0))
    amounts = split(cost, values, names)
    shares = [
        Share(org_id, names[org_id], bases.get(org_id), amounts.get(org_id, ZERO))
        for org_id in _ordered(names)
    ]
    return Scenario(
        model=model,
        key=key,
        total=cost,
        rate=_rate(cost, total_basis),
        rate_unit=RATE_UNITS[model, key],
        shares=shares,
        rate_basis=float(total_basis) if total_basis > 0 else None,
    )


def _ordered(names: dict[int, str]) -> list[int]:
    return sorted(names, key=lambda org_id: (names[org_id].lower(), org_id))


def scenarios(
    cost: Decimal,
    usage: list[Usage],
    *,
    price_per_booking: Decimal,
    headcounts: dict[int, int] | None = None,
    registered_users: dict[int, int] | None = None,
    organisations: dict[int, str] | None = None,
    capacity_hours: float | None = None,
) -> list[Scenario]:
    """What every model would charge each organisation for ``cost`` (the hub cost of the period)
    given ``usage``: no charging, actual use by booked hours and by used hours, stipulated by
    registered users, stipulated by headcount (only with ``headcounts``), price per booking,
    equal split and time bank, in that order.

    ``registered_users`` (organisation id → people) defaults to the distinct users in
    ``usage`` (summed over hubs: someone at two hubs counts twice). ``organisations`` (id →
    name) adds organisations without usage; the equal split is among those and the ones in
    ``usage``. The time bank values an hour at ``cost / capacity_hours``, or without a capacity
    at ``cost / all booked hours``. Every scenario lists the same organisations, by name.
    """
    cost = Decimal(cost).quantize(CENT)
    names: dict[int, str] = {}
    for row in usage:
        names.setdefault(row.organisation_id, row.organisation_name)
    for org_id, name in (organisations or {}).items():
        names[org_id] = name
    parties = set(names)  # who an equal split is among
    hosts = {row.host_organisation_id for row in usage}
    for org_id in (*(registered_users or {}), *(headcounts or {}), *hosts):
        names.setdefault(org_id, f"#{org_id}")

    booked: dict[int, Fraction] = dict.fromkeys(names, Fraction(0))
    used: dict[int, Fraction] = dict.fromkeys(names, Fraction(0))
    bookings: dict[int, int] = dict.fromkeys(names, 0)
    users: dict[int, int] = dict.fromkeys(names, 0)
    for row in usage:
        booked[row.organisation_id] += _exact(row.booked_hours)
        used[row.organisation_id] += _exact(row.used_hours)
        bookings[row.organisation_id] += row.bookings
        users[row.organisation_id] += row.users
    if registered_users is not None:
        users = {org_id: int(registered_users.get(org_id, 0)) for org_id in names}

    def as_float(values: dict[int, Fraction]) -> dict[int, float]:
        return {k: float(v) for k, v in values.items()}

    result = [
        Scenario(
            ChargingModel.NONE,
            None,
            cost,
            None,
            "",
            [Share(org_id, names[org_id], None, ZERO) for org_id in _ordered(names)],
        ),
        _shared(
            ChargingModel.ACTUAL_USE, CostKey.BOOKED_HOURS, cost, booked, as_float(booked), names
        ),
        _shared(ChargingModel.ACTUAL_USE, CostKey.USED_HOURS, cost, used, as_float(used), names),
        _shared(
            ChargingModel.STIPULATED,
            CostKey.USERS,
            cost,
            {k: Fraction(v) for k, v in users.items()},
            users,
            names,
        ),
    ]
    if headcounts is not None:
        heads = {org_id: int(headcounts.get(org_id, 0)) for org_id in names}
        result.append(
            _shared(
                ChargingModel.STIPULATED,
                CostKey.HEADCOUNT,
                cost,
                {k: Fraction(v) for k, v in heads.items()},
                heads,
                names,
            )
        )
    result.append(_per_booking(Decimal(price_per_booking).quantize(CENT), bookings, names))
    result.append(_equal_split(cost, parties, names))
    result.append(_time_bank(cost, usage, names, capacity_hours))
    return result


def _per_booking(price: Decimal, bookings: dict[int, int], names: dict[int, str]) -> Scenario:
    shares = [
        Share(org_id, names[org_id], bookings[org_id], (price * bookings[org_id]).quantize(CENT))
        for org_id in _ordered(names)
    ]
    return Scenario(
        ChargingModel.PER_BOOKING,
        None,
        sum((s.amount for s in shares), ZERO),
        price,
        RATE_UNITS[ChargingModel.PER_BOOKING, None],
        shares,
    )


def _equal_split(cost: Decimal, parties: set[int], names: dict[int, str]) -> Scenario:
    weights = {org_id: Fraction(1 if org_id in parties else 0) for org_id in names}
    # The basis of an equal split is none; an organisation outside it shows 0.
    bases = {org_id: None if org_id in parties else 0.0 for org_id in names}
    scenario = _shared(ChargingModel.EQUAL_SPLIT, None, cost, weights, bases, names)
    scenario.rate = _rate(cost, Fraction(len(parties))) if parties else None
    scenario.rate_basis = float(len(parties)) if parties else None
    return scenario


def _time_bank(
    cost: Decimal, usage: list[Usage], names: dict[int, str], capacity_hours: float | None
) -> Scenario:
    """Desk-hours each organisation's staff booked at hubs hosted by another organisation,
    netted per pair; the one with more hours at the other's hubs owes the difference at the
    hourly rate. A host's own staff at its own hubs do not enter the bank."""
    at_other: dict[tuple[int, int], Fraction] = defaultdict(Fraction)  # (guest, host) → hours
    for row in usage:
        if row.organisation_id != row.host_organisation_id:
            at_other[row.organisation_id, row.host_organisation_id] += _exact(row.booked_hours)
    hours_basis = (
        _exact(capacity_hours)
        if capacity_hours is not None
        else sum((_exact(row.booked_hours) for row in usage), Fraction(0))
    )
    rate = _rate(cost, hours_basis)
    balances: list[Balance] = []
    net: dict[int, Decimal] = dict.fromkeys(names, ZERO)
    hours_net: dict[int, Fraction] = dict.fromkeys(names, Fraction(0))
    pairs = {tuple(sorted(pair)) for pair in at_other}
    for a, b in sorted(pairs):
        difference = at_other.get((a, b), Fraction(0)) - at_other.get((b, a), Fraction(0))
        if difference == 0:
            continue
        debtor, creditor = (a, b) if difference > 0 else (b, a)
        hours = abs(difference)
        # The amount is the hours times the rate as shown, so a reader can redo the sum.
        amount = _ore(hours * _exact(rate)) if rate is not None else ZERO
        balances.append(
            Balance(debtor, names[debtor], creditor, names[creditor], float(hours), amount)
        )
        net[debtor] += amount
        net[creditor] -= amount
        hours_net[debtor] += hours
        hours_net[creditor] -= hours
    balances.sort(key=lambda b: (b.debtor_name.lower(), b.creditor_name.lower()))
    return Scenario(
        ChargingModel.TIME_BANK,
        None,
        cost,
        rate,
        RATE_UNITS[ChargingModel.TIME_BANK, None],
        [
            Share(org_id, names[org_id], float(hours_net[org_id]), net[org_id])
            for org_id in _ordered(names)
        ],
        balances,
        float(hours_basis) if hours_basis > 0 else None,
    )


def pick(all_scenarios: Iterable[Scenario], model: ChargingModel, key: CostKey | None) -> Scenario:
    """The scenario of ``model`` with ``key`` (the key is ignored for models without one)."""
    keyed = bool(MODEL_KEYS[model])
    for scenario in all_scenarios:
        if scenario.model is model and (not keyed or scenario.key is key):
            return scenario
    raise NotFound(_("There is no such charging model."))


# --- usage from the occupancy figures -----------------------------------------------------


@dataclass
class Measured:
    """What the occupancy figures say about some hubs over a period, for the cost models."""

    usage: list[Usage]
    capacity_hours: float
    partial: bool  # the period reaches past now and counts only up to now
    desks: int = 0  # the desks that had open time in the period (desk history, not today's)


def measure(hubs: list[Hub], first: date, last: date, *, now: datetime | None = None) -> Measured:
    """Usage per hub and organisation, the hubs' capacity and whether the period is partial,
    all from :func:`hubbar.occupancy.metrics.compute` (one hub at a time, so each row knows the
    hub's host). ``bookings`` are the visits: bookings not cancelled before start."""
    from hubbar.occupancy.metrics import compute

    usage: list[Usage] = []
    capacity = 0.0
    partial = False
    desks = 0
    for hub in sorted(hubs, key=lambda h: h.name):
        result = compute([hub], first, last, now=now)
        capacity += float(result.value("capacity_hours") or 0)
        desks += sum(1 for row in result.desks if row.capacity_hours > 0)
        partial = partial or result.partial
        for row in result.organisations:
            if not (row.bookings or row.booked_hours or row.used_hours):
                continue  # only demand misses: no use to charge
            usage.append(
                Usage(
                    hub_id=hub.id,
                    hub_name=hub.name,
                    host_organisation_id=hub.host_organisation_id,
                    organisation_id=row.organisation_id,
                    organisation_name=row.name,
                    booked_hours=row.booked_hours,
                    used_hours=row.used_hours,
                    bookings=row.visits,
                    users=row.users,
                )
            )
    return Measured(usage, capacity, partial, desks)


def usage_for(
    hubs: list[Hub], first: date, last: date, *, now: datetime | None = None
) -> list[Usage]:
    """Each home organisation's use of each hub over the local dates ``first``..``last``."""
    return measure(hubs, first, last, now=now).usage


# --- quarters ------------------------------------------------------------------------------

QUARTER = re.compile(r"^\s*(\d{4})-?[Qq]([1-4])\s*$")


def quarter_of(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def quarter_dates(quarter: str) -> tuple[date, date]:
    """The first and last day of a quarter written "2026-Q3"; anything else is refused."""
    match = QUARTER.match(quarter or "")
    if match is None:
        raise InvalidInput(
            _("Write the quarter as year and quarter, for example 2026-Q3."), field="quarter"
        )
    year, number = int(match.group(1)), int(match.group(2))
    if not EARLIEST_DATE.year <= year <= LATEST_DATE.year:
        check_calendar_date(EARLIEST_DATE - timedelta(days=1), "quarter")  # refuses, in words
    first = date(year, 3 * number - 2, 1)
    last_month = 3 * number
    return first, date(year, last_month, monthrange(year, last_month)[1])


def previous_quarter(today: date) -> str:
    """The last quarter that has ended before ``today``."""
    first, _last = quarter_dates(quarter_of(today))
    return quarter_of(first - timedelta(days=1))


# --- agreements ----------------------------------------------------------------------------


@dataclass
class AgreementTerms:
    """Everything a system admin sets on an agreement."""

    hub: Hub
    model: ChargingModel
    start_date: date
    key: CostKey | None = None
    cost_per_desk_month: Decimal | None = None  # None: the hub's own
    fixed_cost_per_month: Decimal | None = None  # None: the hub's own
    price_per_booking: Decimal | None = None  # None: no price
    end_date: date | None = None
    notice_months: int = 3
    notes: str = ""
    follow_ups: list[tuple[date, str]] = field(default_factory=list)
    headcounts: dict[int, int] = field(default_factory=dict)


def can_view(user: User, agreement: Agreement) -> bool:
    """System admins, and the hub managers of the agreement's hub (read only)."""
    return user.is_system_admin or agreement.hub_id in user.managed_hub_ids


def may_list(user: User) -> bool:
    return user.is_system_admin or user.is_hub_manager


def list_agreements(user: User) -> list[Agreement]:
    """The agreements the user may see, by hub and start date (newest first within a hub)."""
    require(may_list(user))
    query = select(Agreement).join(Agreement.hub).order_by(Hub.name, Agreement.start_date.desc())
    if not user.is_system_admin:
        query = query.where(Agreement.hub_id.in_(user.managed_hub_ids or {-1}))
    return list(db.session.scalars(query))


def hubs_without_agreement(user: User, today: date) -> list[Hub]:
    """Hubs with no agreement in force today or later, for a system admin to start one."""
    if not user.is_system_admin:
        return []
    covered = select(Agreement.hub_id).where(
        (Agreement.end_date.is_(None)) | (Agreement.end_date >= today)
    )
    return list(db.session.scalars(select(Hub).where(Hub.id.not_in(covered)).order_by(Hub.name)))


def get_agreement_for(user: User, agreement_id: int) -> Agreement:
    agreement = db.session.get(Agreement, agreement_id)
    if agreement is None:
        raise NotFound(_("No such agreement."))
    if not can_view(user, agreement):
        raise NotAllowed(_("You do not have permission to see this agreement."))
    return agreement


def is_in_force(agreement: Agreement, today: date) -> bool:
    return agreement.start_date <= today and (
        agreement.end_date is None or today <= agreement.end_date
    )


def _check_amount(value: Decimal | None, name: str) -> Decimal:
    if value is None or not Decimal(value).is_finite():
        raise InvalidInput(_("Enter an amount of 0 or more."), field=name)
    value = Decimal(value)
    if value < 0:
        raise InvalidInput(_("A cost cannot be negative."), field=name)
    if value > MAX_AMOUNT:
        raise InvalidInput(_("Enter an amount of at most 10 000 000 kr."), field=name)
    if value != value.quantize(CENT):
        raise InvalidInput(_("Give the amount in kronor and öre (two decimals)."), field=name)
    return value.quantize(CENT)


def _check_terms(terms: AgreementTerms, exclude_id: int | None = None) -> AgreementTerms:
    if terms.hub is None:
        raise InvalidInput(_("Choose a hub."), field="hub_id")
    keys = MODEL_KEYS.get(terms.model)
    if keys is None:
        raise InvalidInput(_("Choose a charging model."), field="model")
    if keys and terms.key not in keys:
        raise InvalidInput(
            _(
                "Choose what %(model)s shares by: %(keys)s.",
                model=terms.model.label,
                keys=", ".join(k.label for k in keys),
            ),
            field="key",
        )
    if not keys:
        terms.key = None
    # A cost left empty is the hub's own; a price per booking left empty is none.
    defaults = {
        "cost_per_desk_month": terms.hub.cost_per_desk_month,
        "fixed_cost_per_month": terms.hub.fixed_cost_per_month,
        "price_per_booking": ZERO,
    }
    for name, default in defaults.items():
        value = getattr(terms, name)
        setattr(terms, name, _check_amount(default if value is None else value, name))
    if terms.start_date is None:
        raise InvalidInput(_("Enter a date."), field="start_date")
    check_calendar_date(terms.start_date, "start_date")
    if terms.end_date is not None:
        check_calendar_date(terms.end_date, "end_date")
        if terms.end_date <= terms.start_date:
            raise InvalidInput(_("The end must be after the start."), field="end_date")
    if terms.notice_months is None or not 0 <= terms.notice_months <= MAX_NOTICE_MONTHS:
        raise InvalidInput(
            _("Choose a notice period of 0 to %(n)d months.", n=MAX_NOTICE_MONTHS),
            field="notice_months",
        )
    terms.notes = (terms.notes or "").strip()
    follow_ups = []
    for index, (day, note) in enumerate(terms.follow_ups):
        note = (note or "").strip()
        if day is None:
            if note:
                raise InvalidInput(
                    _("Enter the date of the follow-up."), field=f"follow_ups-{index}-day"
                )
            continue
        check_calendar_date(day, f"follow_ups-{index}-day")
        if len(note) > NOTE_LENGTH:
            raise InvalidInput(
                _("Keep the note to %(n)d characters.", n=NOTE_LENGTH),
                field=f"follow_ups-{index}-note",
            )
        follow_ups.append((day, note))
    terms.follow_ups = sorted(follow_ups, key=lambda f: f[0])
    known = set(db.session.scalars(select(Organisation.id)))
    headcounts = {}
    for org_id, n in terms.headcounts.items():
        if org_id not in known:
            raise InvalidInput(_("Unknown organisation."), field="headcounts")
        if n is None:
            continue
        if not 0 <= n <= MAX_HEADCOUNT:
            raise InvalidInput(_("A headcount is a whole number of 0 or more."), field="headcounts")
        headcounts[org_id] = int(n)
    if terms.key is CostKey.HEADCOUNT and not any(headcounts.values()):
        raise InvalidInput(
            _("Enter the headcount of at least one organisation."), field="headcounts"
        )
    terms.headcounts = headcounts
    _check_no_overlap(terms.hub, terms.start_date, terms.end_date, exclude_id, "start_date")
    return terms


def _check_no_overlap(
    hub: Hub, start: date, end: date | None, exclude_id: int | None, field_name: str
) -> None:
    """One agreement at a time per hub: a new one starts after the last one ends."""
    query = select(Agreement).where(Agreement.hub_id == hub.id)
    if exclude_id is not None:
        query = query.where(Agreement.id != exclude_id)
    for other in db.session.scalars(query):
        if (other.end_date is None or start <= other.end_date) and (
            end is None or other.start_date <= end
        ):
            raise InvalidInput(
                _(
                    "%(hub)s has another agreement from %(start)s. One agreement at a time: "
                    "end one before the other starts.",
                    hub=hub.name,
                    start=other.start_date.isoformat(),
                ),
                field=field_name,
            )


def _values(terms: AgreementTerms) -> dict:
    return {
        "hub_id": terms.hub.id,
        "model": terms.model,
        "key": terms.key,
        "cost_per_desk_month": terms.cost_per_desk_month,
        "fixed_cost_per_month": terms.fixed_cost_per_month,
        "price_per_booking": terms.price_per_booking,
        "start_date": terms.start_date,
        "end_date": terms.end_date,
        "notice_months": terms.notice_months,
        "notes": terms.notes,
    }


def _set_follow_ups(agreement: Agreement, follow_ups: list[tuple[date, str]]) -> dict:
    before = [[f.day.isoformat(), f.note] for f in agreement.follow_ups]
    after = [[day.isoformat(), note] for day, note in follow_ups]
    if before == after:
        return {}
    agreement.follow_ups = [FollowUp(day=day, note=note) for day, note in follow_ups]
    return {"follow_ups": [before, after]}


def _set_headcounts(agreement: Agreement, headcounts: dict[int, int]) -> dict:
    before = {h.organisation_id: h.headcount for h in agreement.headcounts}
    if before == headcounts:
        return {}
    existing = {h.organisation_id: h for h in agreement.headcounts}
    rows = []
    for org_id, n in sorted(headcounts.items()):
        row = existing.get(org_id) or Headcount(organisation_id=org_id)
        row.headcount = n
        rows.append(row)
    agreement.headcounts = rows
    return {
        "headcounts": [
            {str(k): v for k, v in sorted(before.items())},
            {str(k): v for k, v in sorted(headcounts.items())},
        ]
    }


def _summary(agreement: Agreement, hub: Hub) -> str:
    period = (
        agreement.start_date.isoformat()
        + "–"
        + (agreement.end_date.isoformat() if agreement.end_date else "")
    )
    return f"{hub.name}: {agreement.model.value} {period}"


def create_agreement(actor: User | None, terms: AgreementTerms) -> Agreement:
    """A new collaboration agreement for a hub (system admins)."""
    if actor is not None:
        require(actor.is_system_admin)
    terms = _check_terms(terms)
    agreement = Agreement(**_values(terms), created_by_id=actor.id if actor else None)
    db.session.add(agreement)
    _set_follow_ups(agreement, terms.follow_ups)
    _set_headcounts(agreement, terms.headcounts)
    record(actor, "agreement.create", agreement, _summary(agreement, terms.hub))
    db.session.commit()
    return agreement


def update_agreement(actor: User, agreement: Agreement, terms: AgreementTerms) -> Agreement:
    """Change an agreement's terms (system admins); the audit log keeps what it was."""
    require(actor.is_system_admin)
    terms = _check_terms(terms, exclude_id=agreement.id)
    changes = apply_changes(agreement, _values(terms))
    if "hub_id" in changes:
        agreement.hub = terms.hub
    changes |= _set_follow_ups(agreement, terms.follow_ups)
    changes |= _set_headcounts(agreement, terms.headcounts)
    if changes:
        record(actor, "agreement.update", agreement, _summary(agreement, terms.hub), changes)
    db.session.commit()
    return agreement


def end_agreement(actor: User, agreement: Agreement, end_date: date | None) -> Agreement:
    """End an agreement on ``end_date`` (its last day), for example after notice is given."""
    require(actor.is_system_admin)
    if end_date is None:
        raise InvalidInput(_("Enter a date."), field="end_date")
    check_calendar_date(end_date, "end_date")
    if end_date <= agreement.start_date:
        raise InvalidInput(_("The end must be after the start."), field="end_date")
    _check_no_overlap(agreement.hub, agreement.start_date, end_date, agreement.id, "end_date")
    changes = apply_changes(agreement, {"end_date": end_date})
    if changes:
        record(actor, "agreement.end", agreement, _summary(agreement, agreement.hub), changes)
    db.session.commit()
    return agreement


def notice_date(agreement: Agreement, today: date) -> date:
    """The earliest end if notice were given today: today plus the notice period."""
    return today + relativedelta(months=agreement.notice_months)


# --- the quarterly charging basis ----------------------------------------------------------


@dataclass
class ChargingBasis:
    """What each organisation is charged under an agreement for (part of) a quarter."""

    agreement: Agreement
    quarter: str
    quarter_first: date
    quarter_last: date
    first: date | None  # the quarter clipped to the agreement; None when it does not cover it
    last: date | None
    desks: int
    cost: Decimal
    scenario: Scenario | None
    partial: bool = False

    @property
    def covered(self) -> bool:
        return self.first is not None

    @property
    def clipped(self) -> bool:
        return self.covered and (self.first, self.last) != (self.quarter_first, self.quarter_last)


def registered_users(organisation_ids: Iterable[int]) -> dict[int, int]:
    """Active user accounts per organisation: the key of stipulated use by registered users."""
    ids = list(organisation_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(User.organisation_id, func.count(User.id))
        .where(User.organisation_id.in_(ids), User.active.is_(True))
        .group_by(User.organisation_id)
    )
    counts = dict.fromkeys(ids, 0)
    counts.update({org_id: int(n) for org_id, n in rows})
    return counts


def parties(hub: Hub) -> dict[int, str]:
    """The organisations of a hub's agreement: its host and the organisations it admits."""
    names = {hub.host_organisation_id: hub.host_organisation.name}
    names.update({o.id: o.name for o in hub.admitted_organisations})
    return names


def charging_basis(
    agreement: Agreement, quarter: str, *, now: datetime | None = None
) -> ChargingBasis:
    """The charging basis of ``quarter`` ("2026-Q3") under the agreement: the hub cost of the
    part of the quarter the agreement covers (with the desks the hub had then), shared by the
    agreement's model and key over the hub's usage in that part."""
    quarter_first, quarter_last = quarter_dates(quarter)
    quarter = quarter_of(quarter_first)
    hub = agreement.hub
    first = max(quarter_first, agreement.start_date)
    last = min(quarter_last, agreement.end_date or quarter_last)
    desks = len(hub.active_desks)
    if last < first:
        return ChargingBasis(
            agreement, quarter, quarter_first, quarter_last, None, None, desks, ZERO, None
        )
    measured = measure([hub], first, last, now=now)
    if measured.desks:
        desks = measured.desks  # the desks of the quarter, so an invoiced quarter stays put
    cost = hub_cost(
        desks, agreement.cost_per_desk_month, agreement.fixed_cost_per_month, first, last
    )
    names = parties(hub)
    headcounts = {h.organisation_id: h.headcount for h in agreement.headcounts}
    for h in agreement.headcounts:
        names.setdefault(h.organisation_id, h.organisation.name)
    for row in measured.usage:
        names.setdefault(row.organisation_id, row.organisation_name)
    found = scenarios(
        cost,
        measured.usage,
        price_per_booking=agreement.price_per_booking,
        headcounts=headcounts,
        registered_users=registered_users(names),
        organisations=names,
        capacity_hours=measured.capacity_hours,
    )
    return ChargingBasis(
        agreement,
        quarter,
        quarter_first,
        quarter_last,
        first,
        last,
        desks,
        cost,
        pick(found, agreement.model, agreement.key),
        measured.partial,
    )


def quarters_of(agreement: Agreement, today: date) -> list[str]:
    """The quarters the agreement covers up to the current one, newest first (at least the
    quarter it starts in)."""
    last_day = min(agreement.end_date or today, today)
    last_day = max(last_day, agreement.start_date)
    result = []
    day = date(agreement.start_date.year, 3 * ((agreement.start_date.month - 1) // 3) + 1, 1)
    while day <= last_day:
        result.append(quarter_of(day))
        day = quarter_dates(quarter_of(day))[1] + timedelta(days=1)
    return list(reversed(result))


def default_quarter(agreement: Agreement, today: date) -> str:
    """The last finished quarter, moved into the agreement's quarters when it lies outside."""
    choices = quarters_of(agreement, today)
    wanted = previous_quarter(today)
    if wanted in choices:
        return wanted
    # Before the agreement started: its first quarter; after it ended: its last one.
    return choices[-1] if wanted < choices[-1] else choices[0]
