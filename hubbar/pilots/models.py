"""Pilots: terms, hubs, organisations and participants."""

from __future__ import annotations

import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Column, Date, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hubbar.accounts.models import Organisation, User
from hubbar.db import UTCDateTime, enum_type, utcnow
from hubbar.extensions import db
from hubbar.hubs.models import Hub

pilot_hubs = Table(
    "pilot_hubs",
    db.metadata,
    Column("pilot_id", ForeignKey("pilots.id", ondelete="CASCADE"), primary_key=True),
    Column("hub_id", ForeignKey("hubs.id", ondelete="CASCADE"), primary_key=True),
)

pilot_guest_organisations = Table(
    "pilot_guest_organisations",
    db.metadata,
    Column("pilot_id", ForeignKey("pilots.id", ondelete="CASCADE"), primary_key=True),
    Column("organisation_id", ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True),
)

pilot_participants = Table(
    "pilot_participants",
    db.metadata,
    Column("pilot_id", ForeignKey("pilots.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class PilotStatus(enum.Enum):
    PLANNED = "planned"
    RUNNING = "running"
    ENDED = "ended"
    REPORTED = "reported"

    @property
    def label(self) -> str:
        return str(PILOT_STATUS_LABELS[self])


PILOT_STATUS_LABELS = {
    PilotStatus.PLANNED: _l("Planned"),
    PilotStatus.RUNNING: _l("Running"),
    PilotStatus.ENDED: _l("Ended"),
    PilotStatus.REPORTED: _l("Reported"),
}


class ChargingModel(enum.Enum):
    NONE = "none"
    ACTUAL_USE = "actual_use"
    STIPULATED = "stipulated"
    PER_BOOKING = "per_booking"
    EQUAL_SPLIT = "equal_split"
    TIME_BANK = "time_bank"

    @property
    def label(self) -> str:
        return str(CHARGING_MODEL_LABELS[self])


CHARGING_MODEL_LABELS = {
    ChargingModel.NONE: _l("No charging"),
    ChargingModel.ACTUAL_USE: _l("Charging for actual use"),
    ChargingModel.STIPULATED: _l("Stipulated consumption"),
    ChargingModel.PER_BOOKING: _l("Price per booking"),
    ChargingModel.EQUAL_SPLIT: _l("Equal split"),
    ChargingModel.TIME_BANK: _l("Time bank"),
}


class Pilot(db.Model):
    """A time-limited trial of a hub's desks by guest organisations, evaluated at its end."""

    __tablename__ = "pilots"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    host_organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    charging_model: Mapped[ChargingModel] = mapped_column(
        enum_type(ChargingModel, "valid_charging_model"), default=ChargingModel.NONE
    )
    status: Mapped[PilotStatus] = mapped_column(
        enum_type(PilotStatus, "valid_status"), default=PilotStatus.PLANNED
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    host_organisation: Mapped[Organisation] = relationship()
    hubs: Mapped[list[Hub]] = relationship(secondary=pilot_hubs, order_by=Hub.name)
    guest_organisations: Mapped[list[Organisation]] = relationship(
        secondary=pilot_guest_organisations, order_by=Organisation.name
    )
    participants: Mapped[list[User]] = relationship(
        secondary=pilot_participants, order_by=User.display_name
    )

    __table_args__ = (CheckConstraint("end_date > start_date", name="end_after_start"),)

    def can_view(self, user: User) -> bool:
        """System admins and the pilot's evaluators, or evaluators of one of its hubs."""
        return (
            user.is_system_admin
            or self.id in user.evaluated_pilot_ids
            or any(h.id in user.evaluated_hub_ids for h in self.hubs)
        )
