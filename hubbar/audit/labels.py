"""How audit events read: actions and object types in words, actors, changes as old → new.

Events are stored language-neutral (an action code such as ``hub.update``, a class name as the
object type); this module turns them into the reader's language for the page and the exports.
An action or type without words here is shown as stored.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from hubbar.audit.models import AuditEvent

ACTION_NAMES = {
    "organisation.create": _l("Organisation created"),
    "organisation.update": _l("Organisation changed"),
    "user.create": _l("User added"),
    "user.update": _l("User changed"),
    "user.import": _l("Users imported"),
    "user.invite": _l("Invitation sent"),
    "user.password_link": _l("Password link sent"),
    "user.password_reset_request": _l("Password reset requested"),
    "user.password_reset": _l("Password reset"),
    "user.erased": _l("Account deleted"),
    "role.assign": _l("Role given"),
    "role.remove": _l("Role removed"),
    "hub.create": _l("Hub created"),
    "hub.update": _l("Hub settings changed"),
    "hub.information": _l("Hub information changed"),
    "hub.opening_hours": _l("Opening hours changed"),
    "hub.calendar_feed_create": _l("Hub calendar feed turned on"),
    "hub.calendar_feed_regenerate": _l("Hub calendar feed given a new address"),
    "hub.calendar_feed_off": _l("Hub calendar feed turned off"),
    "closure.create": _l("Closure added"),
    "closure.delete": _l("Closure removed"),
    "desk.create": _l("Desk added"),
    "desk.update": _l("Desk changed"),
    "desk.out_of_service": _l("Desk taken out of service"),
    "desk.back_in_service": _l("Desk back in service"),
    "booking.on_behalf": _l("Booked on someone's behalf"),
    "booking.change_on_behalf": _l("Booking changed on someone's behalf"),
    "booking.cancel_on_behalf": _l("Booking cancelled on someone's behalf"),
    "pilot.create": _l("Pilot created"),
    "pilot.update": _l("Pilot changed"),
    "pilot.participants": _l("Pilot participants changed"),
    "accessibility.report": _l("Accessibility problem reported"),
    "pilot.status": _l("Pilot status changed"),
    "pilot.report": _l("Pilot report generated"),
    "criterion.add": _l("Evaluation criterion added"),
    "criterion.update": _l("Evaluation criterion changed"),
    "criterion.remove": _l("Evaluation criterion removed"),
    "agreement.create": _l("Agreement created"),
    "agreement.update": _l("Agreement changed"),
    "agreement.end": _l("Agreement ended"),
    "site_text.update": _l("Privacy page text changed"),
    "site_text.reset": _l("Privacy page text reset to the default"),
    "audit.exported": _l("Audit log exported"),
}

OBJECT_TYPE_NAMES = {
    "Organisation": _l("Organisation"),
    "User": _l("User"),
    "Hub": _l("Hub"),
    "Desk": _l("Desk"),
    "Closure": _l("Closure"),
    "Booking": _l("Booking"),
    "Pilot": _l("Pilot"),
    "Criterion": _l("Evaluation criterion"),
    "PilotReport": _l("Pilot report"),
    "Agreement": _l("Agreement"),
    "SiteText": _l("Page text"),
}


def action_name(action: str) -> str:
    return str(ACTION_NAMES.get(action, action))


def object_type_name(object_type: str) -> str:
    return str(OBJECT_TYPE_NAMES.get(object_type, object_type))


def actor_name(event: AuditEvent) -> str:
    """The acting user's name; else the system (a scheduled job, the command line) or, when
    the actor's account has since been erased, "a deleted account"."""
    if event.actor is not None:
        return event.actor.display_name
    return _("the system") if event.by_system else _("a deleted account")


def value_text(value) -> str:
    """A stored old or new value as text: "–" for nothing, yes/no, lists and mappings spelt
    out."""
    if value is None or value == "" or value == [] or value == {}:
        return "–"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(value_text(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {value_text(v)}" for k, v in value.items())
    return str(value)


def change_rows(changes: dict | None) -> list[tuple[str, str, str | None]]:
    """``(field, old, new)`` for each change stored as ``[old, new]``; anything else recorded
    under a field comes as ``(field, text, None)``."""
    rows: list[tuple[str, str, str | None]] = []
    for field, change in (changes or {}).items():
        if isinstance(change, list) and len(change) == 2:
            rows.append((str(field), value_text(change[0]), value_text(change[1])))
        else:
            rows.append((str(field), value_text(change), None))
    return rows


def changes_text(changes: dict | None) -> str:
    """All changes on one line each, for an export: ``field: old → new``."""
    lines = []
    for field, old, new in change_rows(changes):
        lines.append(f"{field}: {old} → {new}" if new is not None else f"{field}: {old}")
    return "\n".join(lines)
