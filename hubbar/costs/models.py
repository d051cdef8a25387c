"""Collaboration agreements: how the organisations share a hub's cost after a pilot."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Date, ForeignKey, Numeric, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hubbar.accounts.models import Organisation, User
from hubbar.db import UTCDateTime, enum_type, utcnow
from hubbar.extensions import db
from hubbar.hubs.models import Hub
from hubbar.pilots.models import ChargingModel


class CostKey(enum.Enum):
    """What a model shares by, where it has a choice: actual use by booked or used
    desk-hours, stipulated use by registered users or an entered headcount."""

    BOOKED_HOURS = "booked_hours"
    USED_HOURS = "used_hours"
    USERS = "users"
    HEADCOUNT = "headcount"

    @property
    def label(self) -> str:
        return str(COST_KEY_LABELS[self])


COST_KEY_LABELS = {
    CostKey.BOOKED_HOURS: _l("Booked desk-hours"),
    CostKey.USED_HOURS: _l("Used desk-hours"),
    CostKey.USERS: _l("Registered users"),
    CostKey.HEADCOUNT: _l("Headcount"),
}


class Agreement(db.Model):
    """The collaboration agreement of a hub: the charging model chosen after the pilot, its
    rate and key, when it starts, the notice period and when it is followed up."""

    __tablename__ = "agreements"

    id: Mapped[int] = mapped_column(primary_key=True)
    hub_id: Mapped[int] = mapped_column(ForeignKey("hubs.id", ondelete="CASCADE"), index=True)
    model: Mapped[ChargingModel] = mapped_column(enum_type(ChargingModel, "valid_model"))
    key: Mapped[CostKey | None] = mapped_column(enum_type(CostKey, "valid_key"), nullable=True)
    cost_per_desk_month: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal("0"))
    fixed_cost_per_month: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal("0"))
    price_per_booking: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal("0"))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    notice_months: Mapped[int] = mapped_column(SmallInteger, default=3)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    hub: Mapped[Hub] = relationship()
    created_by: Mapped[User | None] = relationship()
    follow_ups: Mapped[list[FollowUp]] = relationship(
        order_by="FollowUp.day", cascade="all, delete-orphan"
    )
    headcounts: Mapped[list[Headcount]] = relationship(cascade="all, delete-orphan")

    __table_args__ = (
        CheckConstraint(
            "cost_per_desk_month >= 0 AND fixed_cost_per_month >= 0 AND price_per_booking >= 0",
            name="costs_not_negative",
        ),
        CheckConstraint("end_date IS NULL OR end_date > start_date", name="end_after_start"),
        CheckConstraint("notice_months >= 0 AND notice_months <= 36", name="notice_in_range"),
    )


class FollowUp(db.Model):
    """A date on which the agreement is to be followed up."""

    __tablename__ = "agreement_follow_ups"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(
        ForeignKey("agreements.id", ondelete="CASCADE"), index=True
    )
    day: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(200), default="")


class Headcount(db.Model):
    """An entered headcount of one organisation, the key of stipulated use by headcount."""

    __tablename__ = "agreement_headcounts"

    agreement_id: Mapped[int] = mapped_column(
        ForeignKey("agreements.id", ondelete="CASCADE"), primary_key=True
    )
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    headcount: Mapped[int] = mapped_column(default=0)

    organisation: Mapped[Organisation] = relationship()

    __table_args__ = (CheckConstraint("headcount >= 0", name="headcount_not_negative"),)
