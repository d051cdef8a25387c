"""The data-quality figures of a report: how far the figures can be trusted.

Bookings that needed a check-in and got none are no-shows (released) or, while check-in was
not enforced at the time, bookings that may or may not have been used: the report says how many
there were, beside the figures they affect.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, select

from hubbar.bookings.models import Booking, BookingStatus
from hubbar.db import utcnow
from hubbar.extensions import db
from hubbar.hubs.models import Hub


@dataclass(frozen=True)
class Quality:
    bookings: int  # bookings whose start falls in the period, up to now
    checkin_required: int  # of those, needing check-in, started, not cancelled before start
    without_checkin: int  # of those, never checked in (released no-shows included)
    released: int  # of those, released as no-shows
    without_user: int  # bookings whose person has since been deleted (pseudonymised)

    @property
    def without_checkin_share(self) -> float | None:
        return self.without_checkin / self.checkin_required if self.checkin_required else None


def quality(hubs: list[Hub], first: date, last: date, *, now: datetime | None = None) -> Quality:
    """Count, per the rules of DESIGN.md "Metrics", the bookings of ``hubs`` starting on the
    local dates ``first``..``last`` (and before ``now``) that lacked a check-in."""
    now = now or utcnow()
    totals = [0, 0, 0, 0, 0]
    for hub in hubs:
        zone = ZoneInfo(hub.timezone)
        start = datetime.combine(first, time(0), zone)
        end = min(datetime.combine(last + timedelta(days=1), time(0), zone), now)
        cancelled_before = and_(
            Booking.status == BookingStatus.CANCELLED, Booking.cancelled_at <= Booking.starts_at
        )
        needs = and_(Booking.checkin_required.is_(True), ~cancelled_before)

        def counted(condition):
            return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

        row = db.session.execute(
            select(
                func.count(),
                counted(needs),
                counted(and_(needs, Booking.checked_in_at.is_(None))),
                counted(Booking.status == BookingStatus.RELEASED),
                counted(Booking.user_id.is_(None)),
            ).where(
                Booking.hub_id == hub.id,
                Booking.starts_at >= start,
                Booking.starts_at < end,
            )
        ).one()
        totals = [a + int(b) for a, b in zip(totals, row, strict=True)]
    return Quality(*totals)
