"""Writing and reading the audit log. Operations call ``record`` inside their transaction."""

from __future__ import annotations

import enum
from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import func, select

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
        action=action,
        object_type=type(obj).__name__ if obj is not None else "",
        object_id=getattr(obj, "id", None),
        summary=summary[:300],
        changes=changes or {},
    )
    db.session.add(event)
    return event


def list_events(
    page: int = 1, per_page: int = 50, object_type: str | None = None
) -> tuple[list[AuditEvent], int]:
    """The newest audit events first, a page at a time, with the total count."""
    query = select(AuditEvent)
    count_query = select(func.count(AuditEvent.id))
    if object_type:
        query = query.where(AuditEvent.object_type == object_type)
        count_query = count_query.where(AuditEvent.object_type == object_type)
    total = db.session.scalar(count_query) or 0
    events = db.session.scalars(
        query.order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .limit(per_page)
        .offset((max(page, 1) - 1) * per_page)
    ).all()
    return list(events), total
