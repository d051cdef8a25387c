"""The pilot evaluation report (DESIGN.md "The pilot evaluation report").

A report is built in two steps. :func:`build` gathers everything the report says as plain JSON
data (numbers, dates and keys, no words): the terms, the occupancy figures of the pilot's hubs
over its period as an evaluator sees them (pseudonyms, small groups hidden), the feedback, the
criteria and their changes, the cost-sharing scenarios, the data-quality figures and the
pseudonymised raw bookings. A stored report (:class:`~hubbar.pilots.models.PilotReport`) is that
data, never changed afterwards. :func:`load` turns the data into a :class:`Report` that every
format is written from, in the reader's language: the page, the PDF, the XLSX, the CSV and the
JSON can therefore never disagree.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from hubbar.accounts.models import Notification, Role, RoleAssignment, User
from hubbar.audit.operations import record
from hubbar.costs import operations as costs
from hubbar.db import utcnow
from hubbar.errors import InvalidInput, NotAllowed, NotFound
from hubbar.extensions import db
from hubbar.occupancy import operations as occupancy_ops
from hubbar.occupancy import quality, snapshot
from hubbar.occupancy.definitions import BY_KEY
from hubbar.occupancy.feedback import Satisfaction, satisfaction
from hubbar.occupancy.metrics import Occupancy, compute
from hubbar.pilots.models import (
    ChargingModel,
    Comparator,
    Pilot,
    PilotReport,
    PilotStatus,
)
from hubbar.pilots.operations import participants_by_organisation

LAYOUT = 1  # the layout of the stored data; a later layout must still read this one
MET, NOT_MET, NOT_MEASURABLE = "met", "not_met", "not_measurable"
REPORT_READY = "report_ready"  # the kind of the evaluators' notification
SUMMARY_READY = "summary_ready"  # the participants' notification: what came of it


@dataclass(frozen=True)
class CriterionResult:
    metric: str
    comparator: Comparator
    target: float
    baseline: float | None
    reason: str
    value: float | None
    outcome: str  # MET, NOT_MET or NOT_MEASURABLE

    @property
    def name(self) -> str:
        definition = BY_KEY.get(self.metric)
        return str(definition.name) if definition else self.metric

    @property
    def unit(self) -> str:
        definition = BY_KEY.get(self.metric)
        return definition.unit if definition else ""


@dataclass(frozen=True)
class Change:
    changed_at: datetime
    by: str
    before: str
    after: str


@dataclass
class Report:
    """Everything a report says, as values; the formats write it out."""

    pilot_id: int
    name: str
    version: int | None  # None: a preview, not stored
    generated_at: datetime
    automatic: bool
    status: PilotStatus
    first: date
    last: date
    host: str
    guests: list[str]
    charging_model: ChargingModel
    participants: int
    participants_by_organisation: list[tuple[str, int | None]]
    cost_per_desk_month: Decimal
    fixed_cost_per_month: Decimal
    price_per_booking: Decimal
    hub_cost: Decimal
    occupancy: Occupancy
    satisfaction: Satisfaction
    criteria: list[CriterionResult]
    changes: list[Change]
    scenarios: list[costs.Scenario]
    quality: quality.Quality
    bookings: list[list[str]]
    k: int
    # A stored version's fingerprint (SHA-256 of its snapshot), by which its rendered files
    # are remembered; None for a preview.
    digest: str | None = None

    @property
    def hubs(self) -> list[snapshot.HubFacts]:
        return self.occupancy.hubs

    @property
    def access(self) -> occupancy_ops.Access:
        """What the report shows is what an evaluator sees: aggregated, no names."""
        return occupancy_ops.Access(
            occupancy_ops.EVALUATOR, tuple(self.hubs), None, names=False, k=self.k
        )

    def value(self, key: str):
        """A metric of the report: an occupancy figure or a satisfaction figure."""
        if key in self.occupancy.metrics:
            return self.occupancy.value(key)
        return self.satisfaction.metric_values().get(key)

    @property
    def met(self) -> int:
        return sum(1 for c in self.criteria if c.outcome == MET)


# --- building ----------------------------------------------------------------------------------


def build(pilot: Pilot, *, now: datetime | None = None) -> dict:
    """The data of ``pilot``'s report as of ``now``: everything it says, as JSON data."""
    now = (now or utcnow()).replace(microsecond=0)
    config = current_app.config
    k = config["HUBBAR_SMALL_GROUP_K"]
    hubs = list(pilot.hubs)
    first, last = pilot.start_date, pilot.end_date
    result = compute(hubs, first, last, now=now)
    seen = occupancy_ops.Access(occupancy_ops.EVALUATOR, tuple(hubs), None, names=False, k=k)
    occupancy_ops.protect(result, seen)
    # The response rate counts the participants' visits: only they are asked.
    feedback = satisfaction(hubs, first, last, now=now, person_ids=pilot.participant_person_ids())
    values = {**{key: m.value for key, m in result.metrics.items()}, **feedback.metric_values()}
    suppressed = result.suppressed_metrics
    criteria = []
    for criterion in pilot.criteria:
        value = None if criterion.metric in suppressed else values.get(criterion.metric)
        criteria.append(
            {
                "metric": criterion.metric,
                "comparator": criterion.comparator.value,
                "target": criterion.target,
                "baseline": criterion.baseline,
                "reason": criterion.reason,
                "value": value,
                "outcome": outcome(criterion.comparator, value, criterion.target),
            }
        )
    # The desks the hubs had in the period (a desk removed since still cost its share then).
    desks = sum(1 for row in result.desks if row.capacity_hours > 0)
    today = now.astimezone(ZoneInfo(hubs[0].timezone)).date() if hubs else last
    cost = costs.hub_cost(
        desks, pilot.cost_per_desk_month, pilot.fixed_cost_per_month, first, min(last, today)
    )
    parties = {o.id: o.name for o in [pilot.host_organisation, *pilot.guest_organisations]}
    hidden = result.hidden_organisations
    usage, parties, registered = _grouped_small(
        costs.usage_for(hubs, first, last, now=now),
        parties,
        costs.registered_users(parties),
        hidden,
        k,
    )
    scenarios = costs.scenarios(
        cost,
        usage,
        price_per_booking=pilot.price_per_booking,
        registered_users=registered,
        organisations=parties,
        capacity_hours=result.value("capacity_hours"),
    )
    bookings = list(
        occupancy_ops.raw_bookings(
            seen, first, last, config["HUBBAR_PSEUDONYM_KEY"], hidden=result.hidden_organisations
        )
    )
    return {
        "layout": LAYOUT,
        "pilot_id": pilot.id,
        "name": pilot.name,
        "generated_at": now.isoformat(),
        "status": pilot.status.value,
        "first": first.isoformat(),
        "last": last.isoformat(),
        "host": pilot.host_organisation.name,
        "guests": [o.name for o in pilot.guest_organisations],
        "charging_model": pilot.charging_model.value,
        "participants": pilot.participant_count,
        "participants_by_organisation": participants_by_organisation(pilot, k),
        "cost_per_desk_month": str(pilot.cost_per_desk_month),
        "fixed_cost_per_month": str(pilot.fixed_cost_per_month),
        "price_per_booking": str(pilot.price_per_booking),
        "hub_cost": str(cost),
        "occupancy": snapshot.to_data(result),
        "satisfaction": satisfaction_data(feedback),
        "criteria": criteria,
        "changes": [
            {
                "changed_at": change.changed_at.isoformat(),
                # Evaluators read the report: the change is an administrator's, unnamed.
                "by": "",
                "before": change.before,
                "after": change.after,
            }
            for change in pilot.criterion_changes
        ],
        "scenarios": [s.to_data() for s in scenarios],
        "quality": asdict(quality.quality(hubs, first, last, now=now)),
        "bookings": bookings,
        "k": k,
    }


SMALL_GROUP_ID = 0  # no organisation has id 0: the organisations hidden as "< k", together


def _grouped_small(
    usage: list[costs.Usage],
    parties: dict[int, str],
    registered: dict[int, int],
    hidden: set[int],
    k: int,
) -> tuple[list[costs.Usage], dict[int, str], dict[int, int]]:
    """The cost scenarios as an evaluator may see them: the organisations hidden in the
    figures (fewer than k people, and enough others that none can be worked out) charged
    together as one party "< k", so no share or time-bank balance gives a small group away."""
    if not hidden:
        return usage, parties, registered
    name = f"< {k}"

    def party(organisation_id: int) -> int:
        return SMALL_GROUP_ID if organisation_id in hidden else organisation_id

    grouped = [
        replace(
            row,
            organisation_id=party(row.organisation_id),
            organisation_name=name if row.organisation_id in hidden else row.organisation_name,
            host_organisation_id=party(row.host_organisation_id),
        )
        for row in usage
    ]
    names = {party(i): (name if i in hidden else n) for i, n in parties.items()}
    names.update({row.organisation_id: row.organisation_name for row in grouped})
    counts: dict[int, int] = {}
    for organisation_id, n in registered.items():
        counts[party(organisation_id)] = counts.get(party(organisation_id), 0) + n
    return grouped, names, counts


def satisfaction_data(feedback: Satisfaction) -> dict:
    data = asdict(feedback)
    data["ratings"] = {str(k): v for k, v in feedback.ratings.items()}
    data["comments"] = [[day.isoformat(), rating, text] for day, rating, text in feedback.comments]
    return data


def satisfaction_from(data: dict) -> Satisfaction:
    values = dict(data)
    values["ratings"] = {int(k): v for k, v in data["ratings"].items()}
    values["comments"] = [
        (date.fromisoformat(day), rating, text) for day, rating, text in data["comments"]
    ]
    return Satisfaction(**values)


def outcome(comparator: Comparator, value: float | None, target: float) -> str:
    """Met or not met, or not measurable when there is no value (no feedback yet, nothing to
    divide by, or hidden to protect a small group): never a silent pass. Compared at the
    precision of a stored float, so a value exactly at its target meets it."""
    if value is None:
        return NOT_MEASURABLE
    return MET if comparator.holds(round(value, 9), round(target, 9)) else NOT_MET


def load(data: dict, *, version: int | None = None, automatic: bool = False) -> Report:
    """The report written in ``data`` (see :func:`build`)."""
    return Report(
        pilot_id=data["pilot_id"],
        name=data["name"],
        version=version,
        generated_at=datetime.fromisoformat(data["generated_at"]),
        automatic=automatic,
        status=PilotStatus(data["status"]),
        first=date.fromisoformat(data["first"]),
        last=date.fromisoformat(data["last"]),
        host=data["host"],
        guests=data["guests"],
        charging_model=ChargingModel(data["charging_model"]),
        participants=data["participants"],
        participants_by_organisation=[tuple(p) for p in data["participants_by_organisation"]],
        cost_per_desk_month=Decimal(data["cost_per_desk_month"]),
        fixed_cost_per_month=Decimal(data["fixed_cost_per_month"]),
        price_per_booking=Decimal(data["price_per_booking"]),
        hub_cost=Decimal(data["hub_cost"]),
        occupancy=snapshot.from_data(data["occupancy"]),
        satisfaction=satisfaction_from(data["satisfaction"]),
        criteria=[
            CriterionResult(
                c["metric"],
                Comparator(c["comparator"]),
                c["target"],
                c["baseline"],
                c["reason"],
                c["value"],
                c["outcome"],
            )
            for c in data["criteria"]
        ],
        changes=[
            Change(datetime.fromisoformat(c["changed_at"]), c["by"], c["before"], c["after"])
            for c in data["changes"]
        ],
        scenarios=[costs.Scenario.from_data(s) for s in data["scenarios"]],
        quality=quality.Quality(**data["quality"]),
        bookings=data["bookings"],
        k=data["k"],
    )


def preview(pilot: Pilot, *, now: datetime | None = None) -> Report:
    """The report as it would be generated now, not stored (a running pilot's interim view)."""
    return load(build(pilot, now=now))


def stored(report: PilotReport) -> Report:
    shown = load(
        json.loads(report.data), version=report.version, automatic=report.scheduled_for is not None
    )
    shown.digest = hashlib.sha256(report.data.encode()).hexdigest()
    return shown


# --- generating and storing ------------------------------------------------------------------


def generate(
    actor: User | None,
    pilot: Pilot,
    *,
    now: datetime | None = None,
    scheduled_for: date | None = None,
) -> PilotReport:
    """Build the report and store it as the pilot's next version. A report of an ended pilot
    marks it reported and tells its evaluators. ``scheduled_for`` is set by the scheduler (the
    end date the report is for), so that it makes one automatic report per end date."""
    if pilot.status is PilotStatus.PLANNED:
        raise InvalidInput(_("The pilot has not started: there is nothing to report yet."))
    data = build(pilot, now=now)
    number = (
        db.session.scalar(
            select(func.max(PilotReport.version)).where(PilotReport.pilot_id == pilot.id)
        )
        or 0
    ) + 1
    report = PilotReport(
        pilot=pilot,
        version=number,
        generated_at=datetime.fromisoformat(data["generated_at"]),
        generated_by_id=actor.id if actor is not None else None,
        scheduled_for=scheduled_for,
        data=json.dumps(data, ensure_ascii=False, separators=(",", ":")),
    )
    try:
        _store(actor, pilot, report)
    except IntegrityError:
        db.session.rollback()
        if scheduled_for is not None:
            raise  # the scheduler's twin in another process made it: the caller skips it
        raise InvalidInput(
            _("Another version of the report was made at the same moment. Try again.")
        ) from None
    return report


def _store(actor: User | None, pilot: Pilot, report: PilotReport) -> None:
    """Store a new version; an ended pilot becomes reported and its readers are told (the
    evaluators in the app and, unless they turned it off, by e-mail)."""
    from hubbar.mail import messages

    db.session.add(report)
    if pilot.status in (PilotStatus.ENDED, PilotStatus.REPORTED):
        pilot.status = PilotStatus.REPORTED
        db.session.flush()
        readers = evaluators(pilot)
        for evaluator in readers:
            db.session.add(
                Notification(user_id=evaluator.id, kind=REPORT_READY, subject_id=report.id)
            )
        messages.report_ready(report, readers)
        if not _summary_told(pilot):
            for participant in pilot.participants:
                db.session.add(
                    Notification(user_id=participant.id, kind=SUMMARY_READY, subject_id=pilot.id)
                )
    record(actor, "pilot.report", pilot, f"{pilot.name}: version {report.version}")
    db.session.commit()


def _summary_told(pilot: Pilot) -> bool:
    """Participants hear once that the pilot is reported, not of every later version."""
    return (
        db.session.scalar(
            select(Notification.id).where(
                Notification.kind == SUMMARY_READY, Notification.subject_id == pilot.id
            )
        )
        is not None
    )


def evaluators(pilot: Pilot) -> list[User]:
    """The people told when the report is ready: the pilot's evaluators and the evaluators of
    its hubs."""
    hub_ids = [h.id for h in pilot.hubs]
    query = (
        select(User)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(
            RoleAssignment.role == Role.EVALUATOR,
            (RoleAssignment.pilot_id == pilot.id) | RoleAssignment.hub_id.in_(hub_ids),
            User.active.is_(True),
        )
        .distinct()
        .order_by(User.id)
    )
    return list(db.session.scalars(query))


# --- who may see and make what -----------------------------------------------------------------


def may_generate(user: User, pilot: Pilot) -> bool:
    """System admins and the pilot's evaluators may generate a new version, once it has begun."""
    return pilot.can_view(user) and pilot.status is not PilotStatus.PLANNED


def generate_by(actor: User, pilot: Pilot, *, now: datetime | None = None) -> PilotReport:
    """A new version of the report, made on request."""
    if not pilot.can_view(actor):
        raise NotAllowed(_("You do not have permission to see this pilot."))
    return generate(actor, pilot, now=now)


MAX_VERSION = 32767  # the column is a small integer


def parse_version(raw: str | None) -> int | None:
    """A version number from a query string: None when not given."""
    if raw in (None, ""):
        return None
    if not (raw.isascii() and raw.isdigit()) or int(raw) > MAX_VERSION:
        raise InvalidInput(_("The version must be a whole number."), field="version")
    return int(raw)


def report_for(pilot: Pilot, version: int | None = None) -> Report:
    """Stored version ``version``, else the latest stored version, else a preview built now."""
    if version is not None:
        found = next((r for r in pilot.reports if r.version == version), None)
        if found is None:
            raise NotFound(_("No such version of the report."))
        return stored(found)
    if pilot.latest_report is not None:
        return stored(pilot.latest_report)
    return preview(pilot)


def summary_for(user: User, pilot_id: int) -> tuple[Pilot, PilotReport]:
    """The reported pilot and its latest report, for a participant (or anyone who may see the
    pilot). Before the report exists there is nothing to show."""
    pilot = db.session.get(Pilot, pilot_id)
    if pilot is None or not (pilot.can_view(user) or user in pilot.participants):
        raise NotFound(_("No such pilot."))
    if pilot.status is not PilotStatus.REPORTED or pilot.latest_report is None:
        raise NotFound(_("The pilot has not been reported yet."))
    return pilot, pilot.latest_report


# --- the scheduler -------------------------------------------------------------------------------


def generate_due(today: date, *, now: datetime | None = None) -> list[PilotReport]:
    """The automatic report of every pilot whose end date has passed and that has none for that
    end date yet: once, even when two processes run the job at the same time (the second one's
    insert is refused by the unique (pilot, scheduled_for) and skipped)."""
    made = []
    due = db.session.scalars(
        select(Pilot).where(Pilot.end_date < today).order_by(Pilot.end_date, Pilot.id)
    ).all()
    for pilot in due:
        done = db.session.scalar(
            select(PilotReport.id).where(
                PilotReport.pilot_id == pilot.id, PilotReport.scheduled_for == pilot.end_date
            )
        )
        if done is not None:
            continue
        if pilot.status in (PilotStatus.PLANNED, PilotStatus.RUNNING):
            pilot.status = PilotStatus.ENDED
        try:
            made.append(generate(None, pilot, now=now, scheduled_for=pilot.end_date))
        except IntegrityError:
            db.session.rollback()  # another process made it first
    return made
