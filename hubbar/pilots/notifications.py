"""In-app notifications: what a user is told in the menu, in their own language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from hubbar.accounts.models import Notification, User
from hubbar.db import utcnow
from hubbar.errors import NotFound
from hubbar.extensions import db
from hubbar.pilots.models import Pilot, PilotReport
from hubbar.pilots.report import REPORT_READY, SUMMARY_READY


@dataclass(frozen=True)
class Item:
    id: int
    text: str
    url: str
    created_at: datetime
    unread: bool


def unread_count(user: User) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
    )


def for_user(user: User, limit: int = 50) -> list[Item]:
    """The user's notifications, newest first, with their words and where they lead."""
    rows = db.session.scalars(
        select(Notification)
        .where(Notification.user_id == user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(limit)
    ).all()
    items = []
    for row in rows:
        described = _describe(row)
        if described is not None:
            text, url = described
            items.append(Item(row.id, text, url, row.created_at, row.read_at is None))
    return items


def open_notification(user: User, notification_id: int) -> str:
    """Mark one of the user's notifications read and say where it leads."""
    row = db.session.get(Notification, notification_id)
    if row is None or row.user_id != user.id:
        raise NotFound(_("No such notification."))
    described = _describe(row)
    if row.read_at is None:
        row.read_at = utcnow()
        db.session.commit()
    return described[1] if described else url_for("pilots.notifications_page")


def _describe(row: Notification) -> tuple[str, str] | None:
    """The words and the link of a notification; None when what it is about is gone."""
    if row.kind == REPORT_READY:
        report = db.session.get(PilotReport, row.subject_id)
        if report is None:
            return None
        return (
            _(
                "The evaluation report of %(pilot)s is ready (version %(n)d).",
                pilot=report.pilot.name,
                n=report.version,
            ),
            url_for("pilots.report", pilot_id=report.pilot_id, version=report.version),
        )
    if row.kind == SUMMARY_READY:
        pilot = db.session.get(Pilot, row.subject_id)
        if pilot is None:
            return None
        return (
            _("%(pilot)s has been evaluated: see what came of it.", pilot=pilot.name),
            url_for("pilots.summary", pilot_id=pilot.id),
        )
    return None
