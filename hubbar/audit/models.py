"""Audit events: who did what to which object, when."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hubbar.accounts.models import User
from hubbar.audit import guard
from hubbar.db import UTCDateTime, utcnow
from hubbar.extensions import db


class AuditEvent(db.Model):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int | None] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(String(300), default="")
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
    # No actor and by_system: a scheduled job or the command line did it. No actor and not by
    # the system: the actor's account has since been erased (its actor_id emptied).
    by_system: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    actor: Mapped[User | None] = relationship()

    __table_args__ = (Index("ix_audit_events_object", "object_type", "object_id"),)


# Events are written once and never changed or deleted from the app (the database refuses too).
guard.protect(AuditEvent)
