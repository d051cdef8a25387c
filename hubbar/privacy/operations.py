"""What hubbar does with a person's data: export it, erase it, and keep it no longer than the
retention rules say (DESIGN.md, privacy).

Erasure and retention keep the statistics right: a booking keeps its hub, desk, home
organisation, times and status, and its ``person_id`` keeps counting one person as one, but no
longer leads to anyone.

- A booking's ``person_id`` is a keyed hash of its user's id (``bookings.models.person_of``).
- Retention pseudonymises bookings older than HUBBAR_RETENTION_MONTHS: the user link is cut,
  ``person_id`` stays, so a person stays one person across the boundary. Re-identifying it
  needs the secret key and the user's id, kept apart from the data: pseudonymisation in GDPR's
  sense.
- Erasing an account (by its owner, an administrator or the inactive-account rule) gives all of
  the person's bookings, linked or pseudonymised, one fresh random ``person_id``; the user row
  goes, and nothing leads back to the person any more.
"""

from __future__ import annotations

import csv
import io
import secrets
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from dateutil.relativedelta import relativedelta
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, delete, or_, select, update

from hubbar.accounts.models import LoginAttempt, Role, RoleAssignment, User
from hubbar.api.models import ApiToken
from hubbar.audit.models import AuditEvent
from hubbar.audit.operations import record
from hubbar.bookings.feeds import renew_hub_feeds_after_manager_left
from hubbar.bookings.models import (
    ACTIVE_STATUSES,
    Booking,
    BookingEvent,
    BookingSeries,
    person_of,
)
from hubbar.costs.models import Agreement
from hubbar.db import utcnow
from hubbar.errors import InvalidInput, NotAllowed
from hubbar.extensions import db
from hubbar.hubs.models import OutOfService
from hubbar.mail.models import OutboxMessage, OutboxStatus
from hubbar.occupancy.exports import csv_value
from hubbar.operations import commit_bookkeeping
from hubbar.pilots.models import CriterionChange, Feedback, Pilot, PilotReport, pilot_participants
from hubbar.privacy.models import SiteText

# --- export --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Section:
    """One part of a person's export: a name, the columns, and the rows for a user. ``covers``
    names the (table, column) pairs whose data about the user it holds, so a test can check
    that every table that refers to a user is exported."""

    key: str
    columns: tuple[str, ...]
    rows: Callable[[User], list[tuple]]
    covers: tuple[tuple[str, str], ...]


def _iso(moment: datetime | None) -> str:
    return moment.astimezone(UTC).isoformat() if moment else ""


def _profile(user: User) -> list[tuple]:
    return [
        (
            user.id,
            user.email,
            user.display_name,
            user.organisation.name,
            user.locale,
            user.active,
            user.show_name,
            user.has_password,
            user.calendar_token is not None,
            ",".join(sorted(k for k in user.mail_off.split(",") if k)),
            _iso(user.created_at),
            _iso(user.last_login_at),
            _iso(user.last_seen_at),
            _iso(user.deletion_warned_at),
        )
    ]


def _roles(user: User) -> list[tuple]:
    rows = db.session.scalars(select(RoleAssignment).where(RoleAssignment.user_id == user.id))
    return [(a.role.value, a.scope_label, _iso(a.created_at)) for a in rows]


def _tokens(user: User) -> list[tuple]:
    rows = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)
    )
    return [
        (t.name, _iso(t.created_at), _iso(t.expires_at), _iso(t.last_used_at), _iso(t.revoked_at))
        for t in rows
    ]


def _booking_row(b: Booking) -> tuple:
    return (
        b.id,
        b.hub.name,
        b.desk.label,
        b.organisation.code,
        b.status.value,
        _iso(b.starts_at),
        _iso(b.ends_at),
        _iso(b.created_at),
        _iso(b.checked_in_at),
        _iso(b.checked_out_at),
        _iso(b.cancelled_at),
        _iso(b.released_at),
    )


BOOKING_COLUMNS = (
    "booking_id",
    "hub",
    "desk",
    "organisation",
    "status",
    "start",
    "end",
    "created_at",
    "checked_in_at",
    "checked_out_at",
    "cancelled_at",
    "released_at",
)


def _bookings(user: User) -> list[tuple]:
    """The user's bookings, also those the retention rule has unlinked (while the account
    exists, they can still be found by the person's key)."""
    rows = db.session.scalars(
        select(Booking)
        .where(or_(Booking.user_id == user.id, Booking.person_id == person_of(user.id)))
        .order_by(Booking.starts_at)
    )
    return [(*_booking_row(b), b.booked_by_id not in (None, user.id)) for b in rows]


def _booked_for_others(user: User) -> list[tuple]:
    """Bookings the user made for someone else: when and where, not for whom."""
    rows = db.session.scalars(
        select(Booking)
        .where(Booking.booked_by_id == user.id, Booking.user_id.is_distinct_from(user.id))
        .order_by(Booking.starts_at)
    )
    return [(b.id, b.hub.name, b.desk.label, _iso(b.starts_at), _iso(b.ends_at)) for b in rows]


def _booking_events(user: User) -> list[tuple]:
    """The history of the user's bookings, and every booking change the user made."""
    rows = db.session.scalars(
        select(BookingEvent)
        .join(Booking, Booking.id == BookingEvent.booking_id)
        .where(or_(Booking.user_id == user.id, BookingEvent.actor_id == user.id))
        .order_by(BookingEvent.occurred_at, BookingEvent.id)
    )
    return [
        (e.booking_id, e.status.value, _iso(e.occurred_at), e.actor_id == user.id, e.note)
        for e in rows
    ]


def _series(user: User) -> list[tuple]:
    rows = db.session.scalars(select(BookingSeries).where(BookingSeries.user_id == user.id))
    return [(s.id, s.weekdays, s.until.isoformat(), _iso(s.created_at)) for s in rows]


def _feedback(user: User) -> list[tuple]:
    rows = db.session.scalars(
        select(Feedback)
        .join(Booking, Booking.id == Feedback.booking_id)
        .where(Booking.user_id == user.id)
        .order_by(Feedback.created_at)
    )
    return [
        (
            f.booking_id,
            f.declined,
            f.rating,
            f.comment,
            f.otherwise.value if f.otherwise else "",
            f.minutes_saved,
            _iso(f.created_at),
        )
        for f in rows
    ]


def _pilots(user: User) -> list[tuple]:
    rows = db.session.scalars(
        select(Pilot)
        .join(pilot_participants, pilot_participants.c.pilot_id == Pilot.id)
        .where(pilot_participants.c.user_id == user.id)
        .order_by(Pilot.start_date)
    )
    return [(p.name, p.start_date.isoformat(), p.end_date.isoformat()) for p in rows]


def _notifications(user: User) -> list[tuple]:
    from hubbar.accounts.models import Notification

    rows = db.session.scalars(
        select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
    )
    return [(n.kind, n.subject_id, _iso(n.created_at), _iso(n.read_at)) for n in rows]


def _mail(user: User) -> list[tuple]:
    rows = db.session.scalars(
        select(OutboxMessage)
        .where(or_(OutboxMessage.user_id == user.id, OutboxMessage.recipient == user.email))
        .order_by(OutboxMessage.id)
    )
    return [
        (m.kind, m.recipient, m.subject, m.status.value, _iso(m.created_at), _iso(m.sent_at))
        for m in rows
    ]


def _login_attempts(user: User) -> list[tuple]:
    login_key, reset_key = attempt_keys(user.email)
    rows = db.session.scalars(
        select(LoginAttempt)
        .where(LoginAttempt.account_key.in_((login_key, reset_key)))
        .order_by(LoginAttempt.attempted_at)
    )
    return [
        (
            _iso(a.attempted_at),
            "password_reset" if a.account_key == reset_key else "login",
            a.address,
            a.succeeded,
        )
        for a in rows
    ]


def _actions(user: User) -> list[tuple]:
    """What the user did that the audit log records, and what was recorded about them."""
    rows = db.session.scalars(
        select(AuditEvent)
        .where(
            or_(
                AuditEvent.actor_id == user.id,
                and_(AuditEvent.object_type == "User", AuditEvent.object_id == user.id),
            )
        )
        .order_by(AuditEvent.occurred_at, AuditEvent.id)
    )

    def about_someone_else(e: AuditEvent) -> bool:
        return e.object_type == "User" and e.object_id != user.id

    # What the user did to another person's account is exported without its summary, which
    # may name that person.
    return [
        (
            _iso(e.occurred_at),
            e.actor_id == user.id,
            e.action,
            e.object_type,
            e.object_id,
            "" if about_someone_else(e) else e.summary,
        )
        for e in rows
    ]


def _made(user: User) -> list[tuple]:
    """Things the user made or last changed as an administrator, manager or evaluator."""
    rows: list[tuple] = []
    for agreement in db.session.scalars(
        select(Agreement).where(Agreement.created_by_id == user.id)
    ):
        rows.append(("agreement", agreement.id, _iso(agreement.created_at)))
    for period in db.session.scalars(
        select(OutOfService).where(OutOfService.created_by_id == user.id)
    ):
        rows.append(("out_of_service", period.id, _iso(period.starts_at)))
    for report in db.session.scalars(
        select(PilotReport).where(PilotReport.generated_by_id == user.id)
    ):
        rows.append(("pilot_report", report.id, _iso(report.generated_at)))
    for change in db.session.scalars(
        select(CriterionChange).where(CriterionChange.user_id == user.id)
    ):
        rows.append(("criterion_change", change.id, _iso(change.changed_at)))
    for text in db.session.scalars(select(SiteText).where(SiteText.updated_by_id == user.id)):
        rows.append(("site_text", f"{text.key}/{text.locale}", _iso(text.updated_at)))
    return rows


SECTIONS: tuple[Section, ...] = (
    Section(
        "profile",
        (
            "user_id",
            "email",
            "name",
            "organisation",
            "language",
            "active",
            "name_shown_to_colleagues",
            "has_password",
            "calendar_feed",
            "emails_turned_off",
            "created_at",
            "last_login_at",
            "last_seen_at",
            "inactivity_warning_sent_at",
        ),
        _profile,
        (("users", "id"),),
    ),
    Section("roles", ("role", "scope", "created_at"), _roles, (("role_assignments", "user_id"),)),
    Section(
        "api_tokens",
        ("name", "created_at", "expires_at", "last_used_at", "revoked_at"),
        _tokens,
        (("api_tokens", "user_id"),),
    ),
    Section(
        "bookings",
        (*BOOKING_COLUMNS, "booked_by_someone_else"),
        _bookings,
        (("bookings", "user_id"),),
    ),
    Section(
        "bookings_made_for_others",
        ("booking_id", "hub", "desk", "start", "end"),
        _booked_for_others,
        (("bookings", "booked_by_id"),),
    ),
    Section(
        "booking_history",
        ("booking_id", "status", "at", "by_you", "note"),
        _booking_events,
        (("booking_events", "actor_id"),),
    ),
    Section(
        "weekly_series",
        ("series_id", "weekdays", "until", "created_at"),
        _series,
        (("booking_series", "user_id"),),
    ),
    Section(
        "visit_feedback",
        (
            "booking_id",
            "declined",
            "rating",
            "comment",
            "otherwise",
            "minutes_saved",
            "created_at",
        ),
        _feedback,
        (("feedback", "booking_id"),),
    ),
    Section("pilots", ("pilot", "start", "end"), _pilots, (("pilot_participants", "user_id"),)),
    Section(
        "notifications",
        ("kind", "about", "created_at", "read_at"),
        _notifications,
        (("notifications", "user_id"),),
    ),
    Section(
        "emails",
        ("kind", "recipient", "subject", "status", "created_at", "sent_at"),
        _mail,
        (("outbox", "user_id"),),
    ),
    Section(
        "login_attempts",
        ("at", "kind", "address", "succeeded"),
        _login_attempts,
        (("login_attempts", "account_key"),),
    ),
    Section(
        "audit_log",
        ("at", "by_you", "action", "object_type", "object_id", "summary"),
        _actions,
        (("audit_events", "actor_id"),),
    ),
    Section(
        "made_by_you",
        ("what", "id", "at"),
        _made,
        (
            ("agreements", "created_by_id"),
            ("out_of_service", "created_by_id"),
            ("pilot_reports", "generated_by_id"),
            ("pilot_criterion_changes", "user_id"),
            ("site_texts", "updated_by_id"),
        ),
    ),
)


def attempt_keys(email: str) -> tuple[str, ...]:
    """The keys the user's login attempts and password-reset requests are kept under (keyed
    hashes of the e-mail address)."""
    from hubbar.accounts.throttle import RESET_PREFIX, account_key

    reset = RESET_PREFIX + account_key(email, "password-reset")[: 64 - len(RESET_PREFIX)]
    return (account_key(email), reset)


def export_personal_data(user: User, now: datetime | None = None) -> dict:
    """Everything hubbar holds about ``user``: one section per kind of data, each a list of
    records (column → value). Times in UTC, ISO 8601."""
    now = now or utcnow()
    sections = {}
    for section in SECTIONS:
        sections[section.key] = [
            dict(zip(section.columns, row, strict=True)) for row in section.rows(user)
        ]
    return {
        "exported_at": _iso(now),
        "about": _(
            "All data hubbar holds about you. Times are in UTC (ISO 8601). Bookings of "
            "others and names of others are left out."
        ),
        "sections": sections,
    }


def export_as_csv_zip(data: dict) -> bytes:
    """The export as a zip with one CSV file per section (UTF-8 with BOM, for Excel)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for section in SECTIONS:
            text = io.StringIO()
            writer = csv.writer(text)
            writer.writerow(section.columns)
            for row in data["sections"][section.key]:
                writer.writerow(csv_value(row[c]) for c in section.columns)
            archive.writestr(f"{section.key}.csv", "\ufeff" + text.getvalue())
    return buffer.getvalue()


# --- erasure -------------------------------------------------------------------------------


def is_last_system_admin(user: User) -> bool:
    """The only active system administrator (who must stay)."""
    if not user.is_system_admin:
        return False
    others = db.session.scalar(
        select(RoleAssignment.id)
        .join(User, User.id == RoleAssignment.user_id)
        .where(
            RoleAssignment.role == Role.SYSTEM_ADMIN,
            RoleAssignment.user_id != user.id,
            User.active.is_(True),
        )
        .limit(1)
    )
    return others is None


def check_may_erase(actor: User, user: User) -> None:
    """The owner, or an administrator who may edit the user, erases an account; the last
    system administrator cannot be erased (nobody could administer hubbar afterwards)."""
    if actor.id != user.id and not actor.can_edit_user(user):
        raise NotAllowed(_("You may not delete this account."))
    if is_last_system_admin(user):
        raise NotAllowed(
            _("You are the last system administrator. Make someone else one first.")
            if actor.id == user.id
            else _("This is the last system administrator. Make someone else one first.")
        )


def erase_account(actor: User | None, user: User, now: datetime | None = None) -> None:
    """Delete ``user`` and everything that names them; keep their past bookings, unlinked.

    - bookings that have not started are deleted (they never happened, and a cancellation
      would count in the cancellation rate); started ones keep counting as one person under a
      fresh random ``person_id`` (pseudonymised ones too), so no number changes;
    - e-mails to them, login attempts under their address, tokens, roles, notifications and
      pilot participation go; what they did as an administrator keeps its row without them.

    ``actor`` None: the inactive-account rule. Commits.
    """
    if actor is not None:
        check_may_erase(actor, user)
    elif is_last_system_admin(user):
        return
    now = now or utcnow()
    user_id, email = user.id, user.email
    not_started = select(Booking.id).where(
        Booking.user_id == user_id, Booking.starts_at > now, Booking.status.in_(ACTIVE_STATUSES)
    )
    db.session.execute(
        delete(BookingEvent).where(BookingEvent.booking_id.in_(not_started)),
        execution_options={"synchronize_session": False},
    )
    db.session.execute(
        delete(Booking).where(Booking.id.in_(not_started.scalar_subquery())),
        execution_options={"synchronize_session": False},
    )
    fresh = -(secrets.randbits(62)) - 1
    # A participant leaves their pilots but still counts in them, under the new person id.
    for pilot in db.session.scalars(
        select(Pilot)
        .join(pilot_participants, pilot_participants.c.pilot_id == Pilot.id)
        .where(pilot_participants.c.user_id == user_id)
    ):
        departed = {"person_id": fresh, "organisation_id": user.organisation_id}
        pilot.departed_participants = [*(pilot.departed_participants or []), departed]
    db.session.execute(
        update(Booking)
        .where(or_(Booking.person_id == person_of(user_id), Booking.user_id == user_id))
        .values(person_id=fresh, version=Booking.version + 1),
        execution_options={"synchronize_session": False},
    )
    db.session.execute(
        delete(OutboxMessage).where(
            or_(OutboxMessage.user_id == user_id, OutboxMessage.recipient == email)
        )
    )
    db.session.execute(
        delete(LoginAttempt).where(LoginAttempt.account_key.in_(attempt_keys(email)))
    )
    renew_hub_feeds_after_manager_left(user, actor=actor)  # the feeds they saw show names
    record(
        actor,
        "user.erased",
        user,
        _("Account deleted") if actor is not None and actor.id != user_id else _("Account closed"),
    )
    db.session.delete(user)
    db.session.commit()
    db.session.expire_all()


def close_own_account(
    user: User, password: str, address: str | None = None, now: datetime | None = None
) -> None:
    """The owner closes their account, confirming with their password. The password check
    counts as a login attempt, with the login's limits: a stolen session cannot be used to
    guess the password at full speed."""
    from werkzeug.security import check_password_hash

    from hubbar.accounts import throttle

    now = now or utcnow()
    check_may_erase(user, user)  # the last system administrator: refused before anything
    key = throttle.account_key(user.email)
    throttle.check_login_allowed(key, address, now)
    attempt = throttle.begin_login_attempt(key, address, now)
    if not user.password_hash or not check_password_hash(user.password_hash, password or ""):
        raise InvalidInput(_("The password is wrong."), field="password")
    throttle.login_succeeded(attempt)
    erase_account(user, user, now)


# --- retention -----------------------------------------------------------------------------


def pseudonymise_old_bookings(now: datetime | None = None) -> int:
    """Cut the user link of bookings that ended more than HUBBAR_RETENTION_MONTHS ago, and of
    who booked them for whom and who changed them. Their ``person_id`` stays, so a person is
    still one person in the figures. Returns how many bookings. Commits."""
    now = now or utcnow()
    cutoff = now - relativedelta(months=current_app.config["HUBBAR_RETENTION_MONTHS"])
    count = db.session.execute(
        update(Booking)
        .where(
            Booking.ends_at < cutoff,
            or_(Booking.user_id.is_not(None), Booking.booked_by_id.is_not(None)),
        )
        .values(user_id=None, booked_by_id=None, version=Booking.version + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.execute(
        update(BookingEvent)
        .where(
            BookingEvent.actor_id.is_not(None),
            BookingEvent.booking_id.in_(select(Booking.id).where(Booking.ends_at < cutoff)),
        )
        .values(actor_id=None)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(BookingSeries)
        .where(BookingSeries.until < cutoff.date(), BookingSeries.user_id.is_not(None))
        .values(user_id=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return count


def _last_active(user: User) -> datetime:
    return max(m for m in (user.created_at, user.last_login_at, user.last_seen_at) if m)


def inactive_since(now: datetime) -> datetime:
    return now - relativedelta(months=current_app.config["HUBBAR_INACTIVE_ACCOUNT_MONTHS"])


def warn_inactive_accounts(now: datetime | None = None) -> int:
    """E-mail every account unused for HUBBAR_INACTIVE_ACCOUNT_MONTHS that it will be deleted
    HUBBAR_DELETION_NOTICE_DAYS later unless its owner logs in. Returns how many. Commits."""
    from hubbar.mail.messages import account_inactive

    now = now or utcnow()
    cutoff = inactive_since(now)
    days = current_app.config["HUBBAR_DELETION_NOTICE_DAYS"]
    candidates = db.session.scalars(
        select(User).where(User.deletion_warned_at.is_(None), User.created_at < cutoff)
    ).all()
    warned = 0
    for user in candidates:
        if _last_active(user) >= cutoff or is_last_system_admin(user):
            continue
        user.deletion_warned_at = now
        if user.active:  # a deactivated account cannot log in to keep itself: no e-mail
            account_inactive(user, (now + timedelta(days=days)).date())
        warned += 1
    db.session.commit()
    return warned


def delete_inactive_accounts(now: datetime | None = None) -> int:
    """Erase the accounts warned HUBBAR_DELETION_NOTICE_DAYS ago and not used since."""
    now = now or utcnow()
    days = current_app.config["HUBBAR_DELETION_NOTICE_DAYS"]
    due = db.session.scalars(
        select(User).where(User.deletion_warned_at <= now - timedelta(days=days))
    ).all()
    erased = 0
    for user in due:
        if _last_active(user) > user.deletion_warned_at:
            user.deletion_warned_at = None  # came back: the warning no longer holds
            db.session.commit()
            continue
        if is_last_system_admin(user):
            continue
        erase_account(None, user, now)
        erased += 1
    return erased


def delete_old_mail(now: datetime | None = None) -> int:
    """Delete sent and failed e-mails older than HUBBAR_SENT_MAIL_DAYS (their bodies name
    people). Commits."""
    now = now or utcnow()
    cutoff = now - timedelta(days=current_app.config["HUBBAR_SENT_MAIL_DAYS"])
    count = db.session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.status.in_((OutboxStatus.SENT, OutboxStatus.FAILED)),
            OutboxMessage.created_at < cutoff,
        )
    ).rowcount
    db.session.commit()
    return count


def seen(user: User, now: datetime | None = None) -> None:
    """Note that ``user`` used hubbar today (at most one write a day); a warned account that
    comes back is no longer due for deletion. Commits when something changed."""
    now = now or utcnow()
    latest = max((m for m in (user.last_seen_at, user.last_login_at) if m), default=None)
    if latest is not None and now - latest < timedelta(hours=12):
        return  # seen lately (a login counts): no write
    user.last_seen_at = now
    user.deletion_warned_at = None
    commit_bookkeeping()


def set_show_name(user: User, show: bool) -> None:
    """Whether colleagues see the user's name on their bookings (else only "booked")."""
    if not isinstance(show, bool):
        raise InvalidInput(_("Choose yes or no."), field="show_name")
    user.show_name = show
    db.session.commit()
