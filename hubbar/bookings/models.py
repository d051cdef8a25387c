"""Bookings, their status history, recurring series and demand misses.

A booking *occupies* its desk from ``starts_at`` to ``occupied_until``: the booked end while it
is active, the check-out time after an early check-out, the release time for a no-show, the
cancel time for a cancellation after start, and ``starts_at`` itself (an empty interval) for a
cancellation before start. That interval is exactly DESIGN.md's *booked interval*, and the
database refuses two overlapping ones on one desk (an exclusion constraint on PostgreSQL,
triggers on SQLite; see the migration).
"""

from __future__ import annotations

import enum
import hashlib
import hmac
from datetime import date, datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    String,
    text,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hubbar.accounts.models import Organisation, User
from hubbar.db import UTCDateTime, enum_type, utcnow
from hubbar.extensions import db
from hubbar.hubs.models import Desk, Hub


class BookingStatus(enum.Enum):
    CONFIRMED = "confirmed"
    CHECKED_IN = "checked_in"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    RELEASED = "released"

    @property
    def label(self) -> str:
        return str(BOOKING_STATUS_LABELS[self])


BOOKING_STATUS_LABELS = {
    BookingStatus.CONFIRMED: _l("Booked"),
    BookingStatus.CHECKED_IN: _l("Checked in"),
    BookingStatus.COMPLETED: _l("Completed"),
    BookingStatus.CANCELLED: _l("Cancelled"),
    BookingStatus.RELEASED: _l("Released (no-show)"),
}

ACTIVE_STATUSES = (BookingStatus.CONFIRMED, BookingStatus.CHECKED_IN)


def person_of(user_id: int) -> int:
    """The ``person_id`` of a user's bookings: a keyed hash of the user's id (negative, 62
    bits). The same for all of a person's bookings, before and after the retention rule cuts
    their link to the account, and no way back to the account without the secret key."""
    secret = current_app.config["HUBBAR_PSEUDONYM_KEY"].encode()
    digest = hmac.new(secret, f"person:{user_id}".encode(), hashlib.sha256).digest()
    return -(int.from_bytes(digest[:8], "big") >> 2) - 1


def _person_of_booker(context) -> int | None:
    """A new booking's person is its user's."""
    user_id = context.get_current_parameters().get("user_id")
    return person_of(user_id) if user_id is not None else None


class BookingSeries(db.Model):
    """A weekly recurrence: the same desk and times on chosen weekdays until a date."""

    __tablename__ = "booking_series"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    weekdays: Mapped[str] = mapped_column(String(13))  # e.g. "0,2,4" (Monday, Wednesday, Friday)
    until: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Booking(db.Model):
    __tablename__ = "bookings"

    id: Mapped[int] = mapped_column(primary_key=True)
    desk_id: Mapped[int] = mapped_column()
    # The hub and the booker's home organisation are copied at booking time: every metric
    # groups by them, and they stay right after the user is pseudonymised or moves.
    hub_id: Mapped[int] = mapped_column(ForeignKey("hubs.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Who the booking was for, as a number that outlives the link to the account: a keyed hash
    # of the user's id (person_of), replaced by a random number when the account is erased.
    # Unique users and pseudonyms count it, so the statistics stay the same when a booking is
    # pseudonymised or a person erased.
    person_id: Mapped[int] = mapped_column(BigInteger, default=_person_of_booker)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT")
    )
    booked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    series_id: Mapped[int | None] = mapped_column(
        ForeignKey("booking_series.id", ondelete="SET NULL"), index=True
    )
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    occupied_until: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[BookingStatus] = mapped_column(
        enum_type(BookingStatus, "valid_status"), default=BookingStatus.CONFIRMED
    )
    checkin_required: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Optimistic locking: an update carries the version it read, so two changes made at the
    # same moment (a check-in and the release job) cannot silently overwrite each other.
    version: Mapped[int] = mapped_column(default=1, server_default=text("1"))

    desk: Mapped[Desk] = relationship()
    # Read-only: the hub is written through the desk (the composite key keeps them together).
    hub: Mapped[Hub] = relationship(viewonly=True)
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    booked_by: Mapped[User | None] = relationship(foreign_keys=[booked_by_id])
    organisation: Mapped[Organisation] = relationship()
    series: Mapped[BookingSeries | None] = relationship()
    events: Mapped[list[BookingEvent]] = relationship(
        back_populates="booking", order_by="BookingEvent.id", cascade="all, delete-orphan"
    )

    __table_args__ = (
        ForeignKeyConstraint(
            ["hub_id", "desk_id"], ["desks.hub_id", "desks.id"], ondelete="CASCADE"
        ),
        CheckConstraint("ends_at > starts_at", name="end_after_start"),
        CheckConstraint(
            "occupied_until >= starts_at AND occupied_until <= ends_at",
            name="occupied_within_booking",
        ),
        Index("ix_bookings_desk_id_starts_at", "desk_id", "starts_at"),
        Index("ix_bookings_hub_id_starts_at", "hub_id", "starts_at"),
        Index("ix_bookings_user_id_starts_at", "user_id", "starts_at"),
        Index("ix_bookings_status_starts_at", "status", "starts_at"),
    )

    __mapper_args__ = {"version_id_col": version}

    @hybrid_property
    def is_active(self) -> bool:
        """Booked or checked in: it still holds its desk for the rest of its time."""
        return self.status in ACTIVE_STATUSES

    @is_active.inplace.expression
    @classmethod
    def _is_active_expression(cls):
        return cls.status.in_(ACTIVE_STATUSES)

    def can_act_on(self, user: User) -> bool:
        """The person booked for, and the hub's present managers (one who booked on someone's
        behalf and has since left the role no longer can)."""
        return user.id == self.user_id or self.hub.can_manage(user)


class BookingEvent(db.Model):
    """Status history: every change of a booking, when, and by whom (None: the system)."""

    __tablename__ = "booking_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(
        ForeignKey("bookings.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[BookingStatus] = mapped_column(enum_type(BookingStatus, "valid_status"))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(String(40), default="")

    booking: Mapped[Booking] = relationship(back_populates="events")


class DemandMiss(db.Model):
    """A search or booking attempt that found no free desk: unmet demand, without a name."""

    __tablename__ = "demand_misses"

    id: Mapped[int] = mapped_column(primary_key=True)
    hub_id: Mapped[int] = mapped_column(ForeignKey("hubs.id", ondelete="CASCADE"))
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL")
    )
    wanted_start: Mapped[datetime] = mapped_column(UTCDateTime)
    wanted_end: Mapped[datetime] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        CheckConstraint("wanted_end > wanted_start", name="end_after_start"),
        CheckConstraint("source IN ('search', 'booking')", name="valid_source"),
        Index("ix_demand_misses_hub_id_wanted_start", "hub_id", "wanted_start"),
    )
