"""What the dashboard and its exports show: hubs, period and organisation, read from the query
string the same way by every page and download, so a download holds what the page showed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from hubbar.accounts.models import User
from hubbar.errors import InvalidInput, NotAllowed, NotFound
from hubbar.extensions import db
from hubbar.hubs.models import Hub
from hubbar.occupancy import operations as ops
from hubbar.pilots.models import Pilot

ID_LIMIT = 2**31 - 1


@dataclass(frozen=True)
class Selection:
    hubs: tuple[Hub, ...]
    first: date
    last: date
    preset: str
    organisation_id: int | None
    pilot: Pilot | None

    def query(self, **extra) -> dict:
        """The query-string arguments that reproduce this selection (for links and exports)."""
        args: dict = {"hub": [h.id for h in self.hubs], "period": self.preset}
        if self.preset == "custom":
            args["from"], args["to"] = self.first.isoformat(), self.last.isoformat()
        if self.pilot is not None:
            args["pilot"] = self.pilot.id
        if self.organisation_id is not None:
            args["organisation"] = self.organisation_id
        args.update(extra)
        return args


def _id(value: str | None, field: str) -> int | None:
    if value in (None, ""):
        return None
    if not value.isdigit() or not 0 < int(value) <= ID_LIMIT:
        raise InvalidInput(_("Choose from the list."), field=field)
    return int(value)


def _date(value: str | None, field: str) -> date:
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        raise InvalidInput(_("Give a date as YYYY-MM-DD."), field=field) from None


def read(args: MultiDict, user: User, today: date) -> Selection:
    """The selection in ``args``; by default all hubs the user may see, this week. Refuses
    hubs, pilots and organisations that do not exist, bad dates and periods."""
    visible = ops.visible_hubs(user)
    if not visible:
        raise NotFound(_("There is no hub whose occupancy you can see."))
    hub_ids = [_id(v, "hub") for v in args.getlist("hub") if v != ""]
    if hub_ids:
        by_id = {h.id: h for h in visible}
        unknown = [i for i in hub_ids if i not in by_id]
        if unknown:
            if any(db.session.get(Hub, i) is None for i in unknown):
                raise NotFound(_("No such hub."))
            raise NotAllowed(_("You do not have permission to see the occupancy of that hub."))
        hubs = tuple(by_id[i] for i in dict.fromkeys(hub_ids))
    else:
        hubs = default_hubs(user, visible)
    pilot_id = _id(args.get("pilot"), "pilot")
    pilot = db.session.get(Pilot, pilot_id) if pilot_id else None
    if pilot_id and pilot is None:
        raise NotFound(_("No such pilot."))
    if pilot is not None and pilot not in ops.evaluated_pilots(user):
        raise NotAllowed(_("You do not have permission to see that pilot."))
    preset = args.get("period") or ("pilot" if pilot else "this_week")
    if preset not in ops.PRESETS:
        raise InvalidInput(_("Choose a period."), field="period")
    if preset == "custom":
        first, last = _date(args.get("from"), "from"), _date(args.get("to"), "to")
    else:
        first, last = ops.preset_period(preset, today, pilot)
    ops.check_period(first, last)
    organisation_id = _id(args.get("organisation"), "organisation")
    return Selection(hubs, first, last, preset, organisation_id, pilot)


def default_hubs(user: User, visible: list[Hub]) -> tuple[Hub, ...]:
    """Managers start with their own hubs, evaluators with their pilots' hubs, organisation
    admins with every hub their staff may use."""
    managed = [h for h in visible if h.can_manage(user)]
    if managed and not user.is_system_admin:
        return tuple(managed)
    evaluated = ops.evaluated_hub_ids(user)
    if evaluated and not user.is_system_admin:
        return tuple(h for h in visible if h.id in evaluated)
    return tuple(h for h in visible if h.active) or tuple(visible)
