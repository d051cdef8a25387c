"""Pilots: terms, hubs, organisations, participants, evaluation criteria, visit feedback and
the stored versions of the evaluation report."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    Numeric,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
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
    # What the hub costs, for the cost-sharing scenarios of the report (SEK, excl. VAT).
    cost_per_desk_month: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal("0"))
    fixed_cost_per_month: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal("0"))
    price_per_booking: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal("0"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Participants whose accounts were erased, so that the report's figures stay the same:
    # [{"person_id": …, "organisation_id": …}], the person id their bookings now carry.
    departed_participants: Mapped[list] = mapped_column(
        JSON, default=list, server_default=text("'[]'")
    )

    host_organisation: Mapped[Organisation] = relationship()
    hubs: Mapped[list[Hub]] = relationship(secondary=pilot_hubs, order_by=Hub.name)
    guest_organisations: Mapped[list[Organisation]] = relationship(
        secondary=pilot_guest_organisations, order_by=Organisation.name
    )
    participants: Mapped[list[User]] = relationship(
        secondary=pilot_participants, order_by=User.display_name
    )

    @property
    def participant_count(self) -> int:
        """Participants, counting those whose accounts were erased since."""
        return len(self.participants) + len(self.departed_participants or [])

    def participant_person_ids(self) -> list[int]:
        """The person ids of every participant's bookings, erased ones' too."""
        from hubbar.bookings.models import person_of

        ids = [person_of(u.id) for u in self.participants]
        return ids + [d["person_id"] for d in self.departed_participants or []]

    criteria: Mapped[list[Criterion]] = relationship(
        back_populates="pilot", order_by="Criterion.position", cascade="all, delete-orphan"
    )
    criterion_changes: Mapped[list[CriterionChange]] = relationship(
        order_by="CriterionChange.changed_at", cascade="all, delete-orphan"
    )
    reports: Mapped[list[PilotReport]] = relationship(
        back_populates="pilot", order_by="PilotReport.version", cascade="all, delete-orphan"
    )

    __table_args__ = (
        CheckConstraint("end_date > start_date", name="end_after_start"),
        CheckConstraint(
            "cost_per_desk_month >= 0 AND fixed_cost_per_month >= 0 AND price_per_booking >= 0",
            name="costs_not_negative",
        ),
    )

    @property
    def criteria_locked(self) -> bool:
        """Criteria are fixed once the pilot has started; a later change is recorded."""
        return self.status is not PilotStatus.PLANNED

    @property
    def latest_report(self) -> PilotReport | None:
        return self.reports[-1] if self.reports else None

    def can_view(self, user: User) -> bool:
        """System admins and the pilot's evaluators, or evaluators of one of its hubs."""
        return (
            user.is_system_admin
            or self.id in user.evaluated_pilot_ids
            or any(h.id in user.evaluated_hub_ids for h in self.hubs)
        )


class Comparator(enum.Enum):
    AT_LEAST = "at_least"
    AT_MOST = "at_most"

    @property
    def symbol(self) -> str:
        return "≥" if self is Comparator.AT_LEAST else "≤"

    @property
    def label(self) -> str:
        return str(COMPARATOR_LABELS[self])

    def holds(self, value: float, target: float) -> bool:
        return value >= target if self is Comparator.AT_LEAST else value <= target


COMPARATOR_LABELS = {
    Comparator.AT_LEAST: _l("at least"),
    Comparator.AT_MOST: _l("at most"),
}


class Criterion(db.Model):
    """One evaluation criterion, fixed before the pilot starts: a metric of DESIGN.md, a
    comparator and a target, with an optional baseline to compare with and the reason for it.
    Rates are stored as fractions (0.6 for 60 %), like the metrics themselves."""

    __tablename__ = "pilot_criteria"

    id: Mapped[int] = mapped_column(primary_key=True)
    pilot_id: Mapped[int] = mapped_column(ForeignKey("pilots.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(SmallInteger, default=0)
    metric: Mapped[str] = mapped_column(String(40))
    comparator: Mapped[Comparator] = mapped_column(enum_type(Comparator, "valid_comparator"))
    target: Mapped[float] = mapped_column(Float)
    baseline: Mapped[float | None] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(String(300), default="")

    pilot: Mapped[Pilot] = relationship(back_populates="criteria")


class CriterionChange(db.Model):
    """A change to the criteria after the pilot started: who, when, what it was and became
    (as the words a reader of the report sees; empty for an added or a removed criterion)."""

    __tablename__ = "pilot_criterion_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    pilot_id: Mapped[int] = mapped_column(ForeignKey("pilots.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    before: Mapped[str] = mapped_column(Text, default="")
    after: Mapped[str] = mapped_column(Text, default="")

    user: Mapped[User | None] = relationship()


class Otherwise(enum.Enum):
    """What a visitor would have done without the hub."""

    REGULAR_WORKPLACE = "regular_workplace"
    HOME = "home"
    OTHER = "other"

    @property
    def label(self) -> str:
        return str(OTHERWISE_LABELS[self])


OTHERWISE_LABELS = {
    Otherwise.REGULAR_WORKPLACE: _l("Travelled to my regular workplace"),
    Otherwise.HOME: _l("Worked from home"),
    Otherwise.OTHER: _l("Something else"),
}


class Feedback(db.Model):
    """Short, optional feedback on one visit, at most once per booking. ``declined`` records a
    "no thanks", so the offer is not repeated; a declined row carries no answers."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(
        ForeignKey("bookings.id", ondelete="CASCADE"), unique=True
    )
    declined: Mapped[bool] = mapped_column(Boolean, default=False)
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    comment: Mapped[str] = mapped_column(Text, default="")
    otherwise: Mapped[Otherwise | None] = mapped_column(
        enum_type(Otherwise, "valid_otherwise"), nullable=True
    )
    minutes_saved: Mapped[int | None] = mapped_column(SmallInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        CheckConstraint("rating IS NULL OR (rating >= 1 AND rating <= 5)", name="rating_1_to_5"),
        CheckConstraint(
            "minutes_saved IS NULL OR (minutes_saved >= 0 AND minutes_saved <= 600)",
            name="minutes_saved_in_range",
        ),
        CheckConstraint(
            "NOT declined OR (rating IS NULL AND otherwise IS NULL AND minutes_saved IS NULL)",
            name="declined_has_no_answers",
        ),
    )


class PilotReport(db.Model):
    """One generated version of a pilot's evaluation report: an immutable snapshot of the data
    it was built from (JSON), from which every format is rendered. ``scheduled_for`` is the end
    date an automatic report was made for, unique per pilot, so the job makes it once."""

    __tablename__ = "pilot_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    pilot_id: Mapped[int] = mapped_column(ForeignKey("pilots.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(SmallInteger)
    generated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    generated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    scheduled_for: Mapped[date | None] = mapped_column(Date)
    data: Mapped[str] = mapped_column(Text)

    pilot: Mapped[Pilot] = relationship(back_populates="reports")
    generated_by: Mapped[User | None] = relationship()

    __table_args__ = (
        UniqueConstraint("pilot_id", "version", name="one_number_per_version"),
        UniqueConstraint("pilot_id", "scheduled_for", name="one_automatic_report_per_end"),
    )
