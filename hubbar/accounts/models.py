"""Organisations, users and their scoped roles."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hubbar.db import UTCDateTime, enum_type, utcnow
from hubbar.extensions import db


class OrganisationKind(enum.Enum):
    ADMINISTRATION = "administration"
    MUNICIPALITY = "municipality"
    COMPANY = "company"

    @property
    def label(self) -> str:
        return str(ORGANISATION_KIND_LABELS[self])


ORGANISATION_KIND_LABELS = {
    OrganisationKind.ADMINISTRATION: _l("City administration"),
    OrganisationKind.MUNICIPALITY: _l("Municipality"),
    OrganisationKind.COMPANY: _l("Municipal company"),
}


class Organisation(db.Model):
    """A public organisation whose staff use hubs, and which may host hubs."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    kind: Mapped[OrganisationKind] = mapped_column(
        enum_type(OrganisationKind, "valid_kind"), default=OrganisationKind.ADMINISTRATION
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    users: Mapped[list[User]] = relationship(back_populates="organisation")

    __table_args__ = (CheckConstraint("length(code) >= 2", name="code_not_too_short"),)

    def can_manage_users(self, user: User) -> bool:
        return user.is_system_admin or self.id in user.admin_organisation_ids

    def __repr__(self) -> str:
        return f"<Organisation {self.code}>"


class Role(enum.Enum):
    SYSTEM_ADMIN = "system_admin"
    HUB_MANAGER = "hub_manager"
    EVALUATOR = "evaluator"
    ORG_ADMIN = "org_admin"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])


ROLE_LABELS = {
    Role.SYSTEM_ADMIN: _l("System administrator"),
    Role.HUB_MANAGER: _l("Hub manager"),
    Role.EVALUATOR: _l("Evaluator"),
    Role.ORG_ADMIN: _l("Organisation administrator"),
}

LOCALES = ("sv", "en")


class User(UserMixin, db.Model):
    """A person who logs in. Every user is an employee of their home organisation."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    password_hash: Mapped[str | None] = mapped_column(String(255))
    locale: Mapped[str] = mapped_column(String(5), default="sv")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The secret of the private calendar feed (a URL the user pastes into Outlook, so it is
    # kept to be shown again; regenerating it revokes the old URL). None: no feed.
    calendar_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The optional e-mails the user has turned off: a comma-separated list of message kinds.
    mail_off: Mapped[str] = mapped_column(String(300), default="")
    # Colleagues see that a desk is taken; they see by whom only if the booker opts in.
    show_name: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The last day the account was used (a page or the API), for the inactive-account rule.
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the inactive-account warning was sent; the account is deleted a while after it.
    deletion_warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation] = relationship(back_populates="users")
    roles: Mapped[list[RoleAssignment]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    __table_args__ = (
        CheckConstraint("email = lower(email)", name="email_lowercase"),
        CheckConstraint("locale IN ('sv', 'en')", name="valid_locale"),
    )

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active

    @property
    def has_password(self) -> bool:
        return self.password_hash is not None

    def _scoped(self, role: Role, attr: str) -> set[int]:
        return {getattr(r, attr) for r in self.roles if r.role is role}

    @property
    def is_system_admin(self) -> bool:
        return any(r.role is Role.SYSTEM_ADMIN for r in self.roles)

    @property
    def managed_hub_ids(self) -> set[int]:
        return self._scoped(Role.HUB_MANAGER, "hub_id")

    @property
    def admin_organisation_ids(self) -> set[int]:
        return self._scoped(Role.ORG_ADMIN, "organisation_id")

    @property
    def evaluated_pilot_ids(self) -> set[int]:
        return self._scoped(Role.EVALUATOR, "pilot_id") - {None}

    @property
    def evaluated_hub_ids(self) -> set[int]:
        return self._scoped(Role.EVALUATOR, "hub_id") - {None}

    @property
    def is_evaluator(self) -> bool:
        return any(r.role is Role.EVALUATOR for r in self.roles)

    @property
    def is_hub_manager(self) -> bool:
        return bool(self.managed_hub_ids)

    @property
    def can_manage_any_users(self) -> bool:
        return self.is_system_admin or bool(self.admin_organisation_ids)

    def can_edit_user(self, other: User) -> bool:
        """System admins edit everyone. Organisation admins edit the employees of their
        organisation, but nobody who holds a role: an organisation admin must not be able to
        reset the password of (and so become) an evaluator, a hub manager or an admin."""
        if self.is_system_admin:
            return True
        return (
            other.organisation_id in self.admin_organisation_ids
            and not other.roles
            and other.id != self.id
        )

    def get_id(self) -> str:
        """The session's user id carries a fingerprint of the password, so a password change
        or reset ends every other session of the account."""
        return f"{self.id}:{(self.password_hash or '')[-8:]}"

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class RoleAssignment(db.Model):
    """A role held by a user within a scope: hub managers a hub, evaluators a pilot or a hub,
    organisation admins an organisation; system admins have no scope."""

    __tablename__ = "role_assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(enum_type(Role, "valid_role"))
    hub_id: Mapped[int | None] = mapped_column(
        ForeignKey("hubs.id", ondelete="CASCADE"), index=True
    )
    pilot_id: Mapped[int | None] = mapped_column(
        ForeignKey("pilots.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="roles")
    hub = relationship("Hub")
    pilot = relationship("Pilot")
    organisation: Mapped[Organisation | None] = relationship()

    __table_args__ = (
        CheckConstraint(
            "(role = 'system_admin' AND hub_id IS NULL AND pilot_id IS NULL"
            " AND organisation_id IS NULL)"
            " OR (role = 'hub_manager' AND hub_id IS NOT NULL AND pilot_id IS NULL"
            " AND organisation_id IS NULL)"
            " OR (role = 'evaluator' AND organisation_id IS NULL"
            " AND ((hub_id IS NULL) <> (pilot_id IS NULL)))"
            " OR (role = 'org_admin' AND organisation_id IS NOT NULL AND hub_id IS NULL"
            " AND pilot_id IS NULL)",
            name="valid_scope",
        ),
        # One row per (user, role, scope): partial unique indexes, because NULLs are distinct.
        Index(
            "uq_role_assignments_system_admin",
            "user_id",
            unique=True,
            sqlite_where=text("role = 'system_admin'"),
            postgresql_where=text("role = 'system_admin'"),
        ),
        Index(
            "uq_role_assignments_hub",
            "user_id",
            "role",
            "hub_id",
            unique=True,
            sqlite_where=text("hub_id IS NOT NULL"),
            postgresql_where=text("hub_id IS NOT NULL"),
        ),
        Index(
            "uq_role_assignments_pilot",
            "user_id",
            "pilot_id",
            unique=True,
            sqlite_where=text("pilot_id IS NOT NULL"),
            postgresql_where=text("pilot_id IS NOT NULL"),
        ),
        Index(
            "uq_role_assignments_organisation",
            "user_id",
            "organisation_id",
            unique=True,
            sqlite_where=text("organisation_id IS NOT NULL"),
            postgresql_where=text("organisation_id IS NOT NULL"),
        ),
    )

    @property
    def scope_label(self) -> str:
        if self.hub is not None:
            return self.hub.name
        if self.pilot is not None:
            return self.pilot.name
        if self.organisation is not None:
            return self.organisation.name
        return ""


class Notification(db.Model):
    """A message for one user in the app (the bell in the menu), such as "the report of a
    pilot you evaluate is ready". ``kind`` and ``subject_id`` say what it is about; the text is
    written when shown, in the reader's language."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoginAttempt(db.Model):
    """One login attempt, kept for a day so that failures can be counted per account and per
    address across every app instance. The account is kept as a hash of the e-mail typed, so
    the table names nobody, not even someone who mistyped their address."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    account_key: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(45))
    succeeded: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        Index("ix_login_attempts_account_key_attempted_at", "account_key", "attempted_at"),
        Index("ix_login_attempts_address_attempted_at", "address", "attempted_at"),
    )
