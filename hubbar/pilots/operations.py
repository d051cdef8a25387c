"""What the pilots part does so far: create pilots, list them within scope, move their status."""

from __future__ import annotations

from collections import Counter
from datetime import date

from dateutil.relativedelta import relativedelta
from flask_babel import gettext as _
from sqlalchemy import select

from hubbar.accounts.models import Organisation, User
from hubbar.audit.operations import apply_changes, record
from hubbar.errors import InvalidInput, NotAllowed, NotFound
from hubbar.extensions import db
from hubbar.formats import local_today
from hubbar.hubs.models import Hub
from hubbar.operations import require
from hubbar.pilots.models import ChargingModel, Pilot, PilotStatus


def default_end_date(start: date) -> date:
    """Two months after the start (DESIGN.md: evaluated after two months)."""
    return start + relativedelta(months=2)


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
) -> Pilot:
    if actor is not None:
        require(actor.is_system_admin)
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_("Enter a name."), field="name")
    if not hubs:
        raise InvalidInput(_("Choose at least one hub."), field="hubs")
    end_date = end_date or default_end_date(start_date)
    if end_date <= start_date:
        raise InvalidInput(_("The end must be after the start."), field="end_date")
    if db.session.scalar(select(Pilot.id).where(Pilot.name == name)) is not None:
        raise InvalidInput(_("A pilot with that name exists already."), field="name")
    pilot = Pilot(
        name=name,
        host_organisation=host_organisation,
        hubs=list(hubs),
        guest_organisations=list(guest_organisations),
        participants=list(participants or []),
        start_date=start_date,
        end_date=end_date,
        charging_model=charging_model,
        status=status_on(start_date, end_date, local_today(), PilotStatus.PLANNED),
    )
    db.session.add(pilot)
    record(actor, "pilot.create", pilot, f"{name} {start_date}–{end_date}")
    db.session.commit()
    return pilot


def status_on(start: date, end: date, today: date, current: PilotStatus) -> PilotStatus:
    """A pilot runs from its start date through its end date; a reported pilot stays so."""
    if current is PilotStatus.REPORTED:
        return current
    if today < start:
        return PilotStatus.PLANNED
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
    """Participants per home organisation for evaluators: a count under ``k`` is None (shown
    as "< k"), so that no small group can be singled out (DESIGN.md, privacy)."""
    counts = Counter(p.organisation.name for p in pilot.participants)
    return [(name, n if n >= k else None) for name, n in sorted(counts.items())]
