"""Hubs and their desks, opening hours, closures and out-of-service periods."""

from __future__ import annotations

import enum
from datetime import date, datetime, time
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Numeric,
    SmallInteger,
    String,
    Table,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hubbar.accounts.models import Organisation, User
from hubbar.db import UTCDateTime, enum_type, utcnow
from hubbar.extensions import db

hub_admissions = Table(
    "hub_admissions",
    db.metadata,
    Column("hub_id", ForeignKey("hubs.id", ondelete="CASCADE"), primary_key=True),
    Column("organisation_id", ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True),
)


class Hub(db.Model):
    """A shared office hub hosted by one organisation, open to the organisations it admits."""

    __tablename__ = "hubs"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    host_organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    address: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Stockholm")
    # What a desk includes and the service level employees can expect (DESIGN.md).
    desk_includes: Mapped[str] = mapped_column(Text, default="")
    service_level: Mapped[str] = mapped_column(Text, default="")
    contact_name: Mapped[str] = mapped_column(String(120), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    # The secret of the hub's calendar feed for its managers (None: no feed yet).
    calendar_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Booking policy.
    slot_minutes: Mapped[int] = mapped_column(SmallInteger, default=30)
    min_duration_minutes: Mapped[int] = mapped_column(SmallInteger, default=30)
    max_duration_minutes: Mapped[int] = mapped_column(SmallInteger, default=600)
    max_days_ahead: Mapped[int] = mapped_column(SmallInteger, default=30)
    max_active_bookings: Mapped[int] = mapped_column(SmallInteger, default=10)
    checkin_required: Mapped[bool] = mapped_column(Boolean, default=True)
    checkin_grace_minutes: Mapped[int] = mapped_column(SmallInteger, default=30)
    close_early_before_holidays: Mapped[bool] = mapped_column(Boolean, default=False)
    # Cost parameters (SEK).
    cost_per_desk_month: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal("0"))
    fixed_cost_per_month: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal("0"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    host_organisation: Mapped[Organisation] = relationship()
    admitted_organisations: Mapped[list[Organisation]] = relationship(
        secondary=hub_admissions, order_by=Organisation.name
    )
    desks: Mapped[list[Desk]] = relationship(
        back_populates="hub", order_by="Desk.label", cascade="all, delete-orphan"
    )
    opening_hours: Mapped[list[OpeningHours]] = relationship(
        back_populates="hub", order_by="OpeningHours.weekday", cascade="all, delete-orphan"
    )
    closures: Mapped[list[Closure]] = relationship(
        back_populates="hub", order_by="Closure.start_date", cascade="all, delete-orphan"
    )

    __table_args__ = (
        CheckConstraint("slot_minutes IN (15, 30, 60)", name="valid_slot"),
        CheckConstraint("min_duration_minutes >= slot_minutes", name="min_duration_at_least_slot"),
        CheckConstraint(
            "max_duration_minutes >= min_duration_minutes", name="max_duration_at_least_min"
        ),
        CheckConstraint("max_duration_minutes <= 1440", name="max_duration_within_day"),
        CheckConstraint("max_days_ahead BETWEEN 1 AND 365", name="valid_days_ahead"),
        CheckConstraint("max_active_bookings BETWEEN 1 AND 100", name="valid_max_active"),
        CheckConstraint("checkin_grace_minutes BETWEEN 0 AND 240", name="valid_grace"),
        CheckConstraint(
            "cost_per_desk_month >= 0 AND fixed_cost_per_month >= 0", name="costs_not_negative"
        ),
    )

    def can_manage(self, user: User) -> bool:
        """Hub managers of this hub and system admins run its desks, hours and closures."""
        return user.is_system_admin or self.id in user.managed_hub_ids

    def admits(self, organisation: Organisation) -> bool:
        """The host's own staff may always book; others when their organisation is admitted."""
        return organisation.id == self.host_organisation_id or any(
            o.id == organisation.id for o in self.admitted_organisations
        )

    def can_view(self, user: User) -> bool:
        return self.can_manage(user) or (self.active and self.admits(user.organisation))

    @property
    def active_desks(self) -> list[Desk]:
        return [d for d in self.desks if d.active]

    def __repr__(self) -> str:
        return f"<Hub {self.name}>"


class OpeningHours(db.Model):
    """Weekly opening hours: one interval per weekday (0 = Monday); no row means closed.

    An optional lunch break (``break_starts``–``break_ends``, e.g. 12.00–13.00) closes the hub
    inside the day: it is not bookable open time, and the occupancy metrics do not count it.
    """

    __tablename__ = "opening_hours"

    hub_id: Mapped[int] = mapped_column(ForeignKey("hubs.id", ondelete="CASCADE"), primary_key=True)
    weekday: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    opens: Mapped[time] = mapped_column(Time)
    closes: Mapped[time] = mapped_column(Time)
    break_starts: Mapped[time | None] = mapped_column(Time)
    break_ends: Mapped[time | None] = mapped_column(Time)

    hub: Mapped[Hub] = relationship(back_populates="opening_hours")

    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="valid_weekday"),
        CheckConstraint("closes > opens", name="closes_after_opens"),
        CheckConstraint(
            "(break_starts IS NULL AND break_ends IS NULL) OR "
            "(break_starts IS NOT NULL AND break_ends IS NOT NULL)",
            name="break_both_or_neither",
        ),
        CheckConstraint(
            "break_starts IS NULL OR "
            "(opens < break_starts AND break_starts < break_ends AND break_ends < closes)",
            name="break_within_opening_hours",
        ),
    )

    @property
    def has_break(self) -> bool:
        return self.break_starts is not None and self.break_ends is not None


class Closure(db.Model):
    """A hub's own closed days (in addition to Swedish public holidays)."""

    __tablename__ = "closures"

    id: Mapped[int] = mapped_column(primary_key=True)
    hub_id: Mapped[int] = mapped_column(ForeignKey("hubs.id", ondelete="CASCADE"), index=True)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(200))

    hub: Mapped[Hub] = relationship(back_populates="closures")

    __table_args__ = (CheckConstraint("end_date >= start_date", name="end_not_before_start"),)

    def covers(self, day: date) -> bool:
        return self.start_date <= day <= self.end_date


class Equipment(enum.Enum):
    SCREEN = "screen"
    DOCKING_STATION = "docking_station"
    HEIGHT_ADJUSTABLE = "height_adjustable"
    QUIET_ZONE = "quiet_zone"
    ACCESSIBLE = "accessible"

    @property
    def label(self) -> str:
        return str(EQUIPMENT_LABELS[self])


EQUIPMENT_LABELS = {
    Equipment.SCREEN: _l("External screen"),
    Equipment.DOCKING_STATION: _l("Docking station"),
    Equipment.HEIGHT_ADJUSTABLE: _l("Height-adjustable desk"),
    Equipment.QUIET_ZONE: _l("Quiet zone"),
    Equipment.ACCESSIBLE: _l("Accessible desk"),
}


class Desk(db.Model):
    """A touch-down desk in a hub.

    For capacity a desk exists from ``created_at`` until ``inactive_since`` (or until now while
    it is active), minus its out-of-service periods. Deactivating sets ``inactive_since``;
    reactivating records the inactive stretch as an out-of-service period and clears it, so the
    capacity of past periods stays as it was.
    """

    __tablename__ = "desks"

    id: Mapped[int] = mapped_column(primary_key=True)
    hub_id: Mapped[int] = mapped_column(ForeignKey("hubs.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(40))
    zone: Mapped[str] = mapped_column(String(60), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the desk was last deactivated; None while it is active.
    inactive_since: Mapped[datetime | None] = mapped_column(UTCDateTime)

    hub: Mapped[Hub] = relationship(back_populates="desks")
    equipment_rows: Mapped[list[DeskEquipment]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )
    out_of_service: Mapped[list[OutOfService]] = relationship(
        back_populates="desk", order_by="OutOfService.starts_at", cascade="all, delete-orphan"
    )

    __table_args__ = (
        UniqueConstraint("hub_id", "label"),
        # Lets a booking refer to (hub, desk) together, so its hub is always its desk's hub.
        UniqueConstraint("hub_id", "id"),
    )

    @property
    def equipment(self) -> list[Equipment]:
        order = list(Equipment)
        return sorted((row.tag for row in self.equipment_rows), key=order.index)

    def out_of_service_at(self, moment: datetime) -> OutOfService | None:
        return next((p for p in self.out_of_service if p.starts_at <= moment < p.ends_at), None)

    def __repr__(self) -> str:
        return f"<Desk {self.label}>"


class DeskEquipment(db.Model):
    """One equipment tag on a desk (a row per tag, so SQL can filter desks by equipment)."""

    __tablename__ = "desk_equipment"

    desk_id: Mapped[int] = mapped_column(
        ForeignKey("desks.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[Equipment] = mapped_column(enum_type(Equipment, "valid_tag"), primary_key=True)


class OutOfService(db.Model):
    """A period when a desk cannot be booked, with the reason."""

    __tablename__ = "out_of_service"

    id: Mapped[int] = mapped_column(primary_key=True)
    desk_id: Mapped[int] = mapped_column(ForeignKey("desks.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(String(200))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    desk: Mapped[Desk] = relationship(back_populates="out_of_service")

    __table_args__ = (CheckConstraint("ends_at > starts_at", name="end_after_start"),)
