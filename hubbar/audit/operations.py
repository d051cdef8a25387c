"""Writing and reading the audit log. Operations call ``record`` inside their transaction.

The log is append-only: this module only adds events and reads them (the ORM and the database
refuse changes, see :mod:`hubbar.audit.guard`).
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import joinedload

from hubbar.accounts.models import User
from hubbar.audit.models import AuditEvent
from hubbar.extensions import db


def _plain(value):
    """A JSON-safe rendering of a column value for the audit log."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (date, datetime, time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    return value


def apply_changes(obj, values: dict) -> dict:
    """Set attributes on ``obj`` and return what changed as ``{field: [old, new]}``."""
    changes = {}
    for field, new in values.items():
        old = getattr(obj, field)
        if old != new:
            changes[field] = [_plain(old), _plain(new)]
            setattr(obj, field, new)
    return changes


def record(
    actor: User | None,
    action: str,
    obj,
    summary: str = "",
    changes: dict | None = None,
) -> AuditEvent:
    """Add an audit event to the current transaction (committed with the change itself)."""
    if obj is not None and getattr(obj, "id", None) is None:
        db.session.flush()
    event = AuditEvent(
        actor_id=actor.id if actor is not None else None,
        by_system=actor is None,
        action=action,
        object_type=type(obj).__name__ if obj is not None else "",
        object_id=getattr(obj, "id", None),
        summary=summary[:300],
        changes=changes or {},
    )
    db.session.add(event)
    return event


# --- reading ---------------------------------------------------------------------------------

EXPORTED = "audit.exported"


@dataclass(frozen=True)
class AuditFilter:
    """Which events to show. ``actor`` is part of the acting user's name or e-mail address;
    ``first`` and ``last`` are whole dates in ``timezone``, both included; ``up_to_id`` holds an
    export to the events that existed when it started."""

    actor: str = ""
    action: str = ""
    object_type: str = ""
    object_id: int | None = None
    first: date | None = None
    last: date | None = None
    timezone: str = "Europe/Stockholm"
    up_to_id: int | None = None

    def describe(self) -> str:
        """The filter as language-neutral text for the audit log (``action=hub.update, …``)."""
        parts = [
            ("actor", self.actor),
            ("action", self.action),
            ("type", self.object_type),
            ("object_id", self.object_id),
            ("from", self.first.isoformat() if self.first else None),
            ("to", self.last.isoformat() if self.last else None),
        ]
        return ", ".join(f"{key}={value}" for key, value in parts if value not in (None, ""))


def _midnight(day: date, timezone: str, days_later: int = 0) -> datetime | None:
    """The start of ``day`` (or a day ``days_later``) where ``timezone`` is, in UTC; None for a
    date so far off that no event lies beyond it and the time cannot be expressed in UTC."""
    try:
        day += timedelta(days=days_later)
        return datetime.combine(day, time(0), ZoneInfo(timezone)).astimezone(ZoneInfo("UTC"))
    except OverflowError:
        return None


def _like(text: str) -> str:
    """A LIKE pattern finding ``text`` anywhere, its own % and _ taken literally."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _conditions(filters: AuditFilter) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if filters.actor.strip():
        pattern = _like(filters.actor.strip())
        where.append(
            AuditEvent.actor_id.in_(
                select(User.id).where(
                    or_(
                        func.lower(User.display_name).like(pattern, escape="\\"),
                        func.lower(User.email).like(pattern, escape="\\"),
                    )
                )
            )
        )
    if filters.action:
        where.append(AuditEvent.action == filters.action)
    if filters.object_type:
        where.append(AuditEvent.object_type == filters.object_type)
    if filters.object_id is not None:
        where.append(AuditEvent.object_id == filters.object_id)
    start = _midnight(filters.first, filters.timezone) if filters.first else None
    if start is not None:
        where.append(AuditEvent.occurred_at >= start)
    end = _midnight(filters.last, filters.timezone, days_later=1) if filters.last else None
    if end is not None:
        where.append(AuditEvent.occurred_at < end)
    if filters.up_to_id is not None:
        where.append(AuditEvent.id <= filters.up_to_id)
    return where


def _events(filters: AuditFilter) -> Select:
    """The filtered events, newest first, each with its actor."""
    return (
        select(AuditEvent)
        .where(*_conditions(filters))
        .options(joinedload(AuditEvent.actor))
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    )


def count_events(filters: AuditFilter) -> int:
    query = select(func.count(AuditEvent.id)).where(*_conditions(filters))
    return db.session.scalar(query) or 0


def list_events(
    filters: AuditFilter | None = None, page: int = 1, per_page: int = 50
) -> tuple[list[AuditEvent], int]:
    """A page of the filtered events, newest first, with the number of all of them."""
    filters = filters or AuditFilter()
    total = count_events(filters)
    events = db.session.scalars(
        _events(filters).limit(per_page).offset((max(page, 1) - 1) * per_page)
    ).all()
    return list(events), total


def iter_events(filters: AuditFilter, batch: int = 500) -> Iterator[AuditEvent]:
    """Every filtered event, newest first, fetched ``batch`` at a time (for a streamed
    export)."""
    result = db.session.scalars(_events(filters).execution_options(yield_per=batch))
    yield from result


def last_event_id() -> int:
    """The id of the newest event (0 in an empty log): where an export stops."""
    return db.session.scalar(select(func.max(AuditEvent.id))) or 0


def actions_in_log() -> list[str]:
    """The actions that occur in the log, for the filter's choices."""
    return list(
        db.session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action))
    )


def object_types_in_log() -> list[str]:
    """The object types that occur in the log (events about no object left out)."""
    query = (
        select(AuditEvent.object_type)
        .where(AuditEvent.object_type != "")
        .distinct()
        .order_by(AuditEvent.object_type)
    )
    return list(db.session.scalars(query))


def existing_ids(model, ids: set[int]) -> set[int]:
    """Which of ``ids`` still name a row of ``model`` (an event may outlive its object)."""
    if not ids:
        return set()
    return set(db.session.scalars(select(model.id).where(model.id.in_(ids))))


def desk_hubs(desk_ids: set[int]) -> dict[int, int]:
    """The hub of each desk that still exists, by desk id (a desk's page lies under its hub)."""
    from hubbar.hubs.models import Desk

    query = select(Desk.id, Desk.hub_id).where(Desk.id.in_(desk_ids))
    return {desk_id: hub_id for desk_id, hub_id in db.session.execute(query)}


def record_export(actor: User, fmt: str, filters: AuditFilter, count: int) -> None:
    """Log that ``actor`` exported ``count`` events with ``filters``. Commits, so the event is
    kept even if the download is broken off."""
    described = filters.describe() or "all events"
    record(actor, EXPORTED, None, f"{fmt}, {count} events: {described}")
    db.session.commit()


def user_names(ids: set[int]) -> dict[int, str]:
    """The current names of the users with these ids that still exist."""
    if not ids:
        return {}
    return dict(
        db.session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all()
    )
