"""The e-mails hubbar sends: what each one says, to whom, with which attachment, and when the
ones driven by the clock (reminders, a pilot ending soon) are queued.

Each message is written in the recipient's language (``force_locale(user.locale)``), as plain
text and HTML from ``templates/mail/``, and queued with ``hubbar.mail.operations.queue`` in the
caller's session: it is committed with the change that caused it and sent by the worker after
the commit. Links point at ``HUBBAR_BASE_URL``, never at the address a request came in on (a
password-reset link must not follow a forged Host header).

Booking e-mails carry their booking as a calendar invitation (one event, see
``transport.build_message``): REQUEST for a new booking (Outlook adds it to the calendar),
REQUEST with the same UID and a higher SEQUENCE for a change of time (Outlook moves it),
CANCEL with the same UID and a higher SEQUENCE for a cancellation or a release. Each booking of
a weekly series gets its own confirmation, queued with that booking: Outlook takes one event
from an invitation.

A reminder not yet sent is withdrawn with a cancellation, change, release or check-in of its
booking (``withdraw_reminders``), in the same transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import selectinload

from hubbar.accounts.models import User
from hubbar.bookings.ical import bookings_calendar
from hubbar.bookings.models import Booking, BookingEvent, BookingStatus
from hubbar.db import utcnow
from hubbar.extensions import db
from hubbar.formats import fmt_date, fmt_time, fmt_weekday, local_today
from hubbar.mail.models import OutboxMessage, OutboxStatus
from hubbar.mail.operations import OPTIONAL_KINDS, Attachment, queue, wants

log = logging.getLogger(__name__)

# What the user reads on the page where optional messages are turned on and off.
OPTIONAL_KIND_LABELS = {
    "reminder": _l("A reminder the afternoon before a booking"),
    "checkin_reminder": _l("A reminder to check in when a booking starts"),
    "pilot_ending": _l("A notice a week before a pilot I evaluate ends"),
    "report_ready": _l("A notice when the report of a pilot I evaluate is ready"),
}
# Only evaluators are offered these (nobody else gets them).
EVALUATOR_KINDS = ("pilot_ending", "report_ready")

# A reminder the afternoon before comes at most about 32 hours before the start (16.00 the day
# before a booking at 23.59): the job looks at bookings starting within this window only.
REMINDER_LOOKAHEAD = timedelta(hours=48)
# The longest check-in grace period a hub may have: a booking that started longer ago than this
# is checked in, released or needs no reminder any more.
CHECKIN_LOOKBACK = timedelta(minutes=240)
DEFAULT_REMINDER_TIME = time(16, 0)
PILOT_ENDING_NOTICE = timedelta(days=7)
# A second reset link within this time is not sent (one click must not flood an inbox).
RESET_PAUSE = timedelta(minutes=5)


# --- shared --------------------------------------------------------------------------------


def link(endpoint: str, **values) -> str:
    """An absolute address in the app, under HUBBAR_BASE_URL (the jobs have no request, and a
    request's Host header is the sender's to choose)."""
    base = urlsplit(current_app.config["HUBBAR_BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc or "localhost",
        script_name=base.path or "/",
        url_scheme=base.scheme or "https",
    )
    return adapter.build(endpoint, values, force_external=True)


def _queue(
    kind: str,
    user: User,
    template: str,
    subject: str,
    *,
    attachments: Sequence[Attachment] = (),
    dedupe_key: str | None = None,
    **context,
) -> OutboxMessage | None:
    """Render ``mail/<template>.txt`` and ``.html`` (call inside ``force_locale``) and queue."""
    context.update(
        subject=subject,
        user=user,
        locale=user.locale,
        optional=kind in OPTIONAL_KINDS,
        preferences_url=link("mail.preferences"),
    )
    return queue(
        kind,
        user,
        subject=subject,
        text=render_template(f"mail/{template}.txt", **context),
        html=render_template(f"mail/{template}.html", **context),
        attachments=attachments,
        locale=user.locale,
        dedupe_key=dedupe_key,
    )


def _getting(user: User | None, kind: str) -> bool:
    """Whether a message of ``kind`` would reach ``user`` (skip composing it otherwise)."""
    return user is not None and user.active and wants(user, kind)


def _zone(booking: Booking) -> ZoneInfo:
    return ZoneInfo(booking.hub.timezone)


def _when(booking: Booking) -> str:
    """ "2026-12-01 09.00–12.00" at the hub, in the current language."""
    zone = _zone(booking)
    starts, ends = booking.starts_at.astimezone(zone), booking.ends_at.astimezone(zone)
    return f"{fmt_date(starts)} {fmt_time(starts)}–{fmt_time(ends)}"


def _day_and_time(booking: Booking) -> str:
    """ "Tuesday 2026-12-01, 09.00–12.00"."""
    zone = _zone(booking)
    starts, ends = booking.starts_at.astimezone(zone), booking.ends_at.astimezone(zone)
    return f"{fmt_weekday(starts.date())} {fmt_date(starts)}, {fmt_time(starts)}–{fmt_time(ends)}"


def _checkin_text(booking: Booking) -> str:
    """What the booker must do to keep the desk, or an empty string."""
    from hubbar.bookings.operations import checkin_opens, releases_at

    if not booking.checkin_required:
        return ""
    zone = _zone(booking)
    opens = fmt_time(checkin_opens(booking).astimezone(zone))
    deadline = releases_at(booking) if booking.status is BookingStatus.CONFIRMED else None
    if deadline is None:
        return _("Check in at the desk from %(time)s.", time=opens)
    return _(
        "Check in at the desk from %(opens)s. If nobody has checked in by %(deadline)s, the desk "
        "is released for others.",
        opens=opens,
        deadline=fmt_time(deadline.astimezone(zone)),
    )


def booking_facts(booking: Booking) -> list[tuple[str, str]]:
    """The facts of a booking as (label, value) rows, in the current language."""
    hub = booking.hub
    facts = [
        (_("Hub"), hub.name),
        (_("Address"), hub.address),
        (_("Desk"), booking.desk.label),
        (_("When"), _day_and_time(booking)),
    ]
    checkin = _checkin_text(booking) if booking.status is BookingStatus.CONFIRMED else ""
    if checkin:
        facts.append((_("Check-in"), checkin))
    return facts


def _ics(bookings: Sequence[Booking], method: str) -> Attachment:
    """The bookings as an .ics attachment with the iTIP method Outlook acts on."""
    content = bookings_calendar(
        bookings, lambda b: link("bookings.detail", booking_id=b.id), method=method
    )
    filename = "cancel.ics" if method == "CANCEL" else "booking.ics"
    return Attachment(filename, f"text/calendar; method={method}; charset=utf-8", content)


# --- bookings ------------------------------------------------------------------------------


def booking_confirmed(booking: Booking, actor: User | None = None) -> OutboxMessage | None:
    """The confirmation to the booker, with the booking as a calendar invitation; a booking a
    manager made on someone's behalf says who made it. Call after a flush (the UID needs the
    id), before the commit."""
    user = booking.user
    on_behalf = actor is not None and user is not None and actor.id != user.id
    kind = "booking_on_behalf" if on_behalf else "booking_confirmed"
    if not _getting(user, kind):
        return None
    with force_locale(user.locale):
        if on_behalf:
            subject = _(
                "Booked for you: %(hub)s, %(when)s", hub=booking.hub.name, when=_when(booking)
            )
            heading = _("%(name)s booked a desk for you", name=actor.display_name)
        else:
            subject = _("Booked: %(hub)s, %(when)s", hub=booking.hub.name, when=_when(booking))
            heading = _("Your desk is booked")
        return _queue(
            kind,
            user,
            "booking",
            subject,
            attachments=[_ics([booking], "REQUEST")],
            heading=heading,
            intro=_("The booking is attached as a calendar event."),
            facts=booking_facts(booking),
            url=link("bookings.detail", booking_id=booking.id),
            link_text=_("See or cancel the booking"),
        )


def booking_changed(booking: Booking, actor: User | None = None) -> OutboxMessage | None:
    """The new time to the booker, as an update of the calendar event (REQUEST with the same
    UID and a higher SEQUENCE, so the calendar moves the event). Call after the change is
    flushed, before the commit."""
    user = booking.user
    if not _getting(user, "booking_changed"):
        return None
    with force_locale(user.locale):
        by_other = actor is not None and actor.id != user.id
        return _queue(
            "booking_changed",
            user,
            "booking",
            _("Changed: %(hub)s, %(when)s", hub=booking.hub.name, when=_when(booking)),
            attachments=[_ics([booking], "REQUEST")],
            heading=_("Your booking is changed"),
            intro=(
                _("%(name)s changed the time of your booking.", name=actor.display_name)
                if by_other
                else _("The new time is attached as a calendar event. It replaces the old one.")
            ),
            facts=booking_facts(booking),
            url=link("bookings.detail", booking_id=booking.id),
            link_text=_("See or cancel the booking"),
        )


def booking_cancelled(booking: Booking, actor: User | None = None) -> OutboxMessage | None:
    """The cancellation to the booker, with a CANCEL for the calendar event (same UID, higher
    SEQUENCE). Call after the change is flushed, before the commit."""
    user = booking.user
    if not _getting(user, "booking_cancelled"):
        return None
    with force_locale(user.locale):
        by_other = actor is not None and actor.id != user.id
        return _queue(
            "booking_cancelled",
            user,
            "cancelled",
            _("Cancelled: %(hub)s, %(when)s", hub=booking.hub.name, when=_when(booking)),
            attachments=[_ics([booking], "CANCEL")],
            heading=_("Your booking is cancelled"),
            intro=(
                _("%(name)s cancelled your booking.", name=actor.display_name)
                if by_other
                else _("You cancelled this booking. The desk is free for others.")
            ),
            facts=booking_facts(booking),
            url=link("bookings.find"),
            link_text=_("Book a desk"),
        )


def booking_released(booking: Booking) -> OutboxMessage | None:
    """The no-show notice: nobody checked in, so the desk was released. Always sent (it cannot
    be turned off): its CANCEL takes the event out of the booker's calendar."""
    user = booking.user
    if not _getting(user, "released"):
        return None
    with force_locale(user.locale):
        zone = _zone(booking)
        released_at = booking.released_at or utcnow()
        return _queue(
            "released",
            user,
            "released",
            _("Released: %(hub)s, %(when)s", hub=booking.hub.name, when=_when(booking)),
            attachments=[_ics([booking], "CANCEL")],
            heading=_("Your booking was released"),
            intro=_(
                "Nobody checked in by %(time)s, so the desk was released for others and the "
                "booking counts as a no-show.",
                time=fmt_time(released_at.astimezone(zone)),
            ),
            facts=booking_facts(booking),
            url=link("bookings.find"),
            link_text=_("Book a desk"),
        )


def reminder_key(booking: Booking) -> str:
    """The reminder's dedupe key: once per booking and start time."""
    return f"reminder:{booking.id}:{booking.starts_at.isoformat()}"


def checkin_reminder_key(booking: Booking) -> str:
    return f"checkin_reminder:{booking.id}:{booking.starts_at.isoformat()}"


def withdraw_reminders(booking: Booking, now: datetime | None = None) -> int:
    """Delete the booking's reminders that are queued but not sent (nor being sent): after a
    cancellation, change, release or check-in they would tell of a booking that is no longer
    so. Call in the transaction of that change. Returns how many were withdrawn."""
    now = now or utcnow()
    withdrawn = db.session.execute(
        delete(OutboxMessage)
        .where(
            or_(
                OutboxMessage.dedupe_key.startswith(f"reminder:{booking.id}:", autoescape=True),
                OutboxMessage.dedupe_key.startswith(
                    f"checkin_reminder:{booking.id}:", autoescape=True
                ),
            ),
            OutboxMessage.status == OutboxStatus.PENDING,
            or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until <= now),
        )
        .execution_options(synchronize_session=False)
    )
    return withdrawn.rowcount


def booking_reminder(booking: Booking) -> OutboxMessage | None:
    """The reminder before the booking (optional), once per booking and start time."""
    user = booking.user
    if not _getting(user, "reminder"):
        return None
    with force_locale(user.locale):
        return _queue(
            "reminder",
            user,
            "reminder",
            _("Reminder: %(hub)s, %(when)s", hub=booking.hub.name, when=_when(booking)),
            dedupe_key=reminder_key(booking),
            heading=_("Your booking is coming up"),
            intro=_("If you cannot come, cancel the booking so that someone else can sit there."),
            facts=booking_facts(booking),
            url=link("bookings.detail", booking_id=booking.id),
            link_text=_("See or cancel the booking"),
        )


def checkin_reminder(booking: Booking) -> OutboxMessage | None:
    """The reminder to check in at the start of a booking that requires it (optional)."""
    user = booking.user
    if not _getting(user, "checkin_reminder"):
        return None
    with force_locale(user.locale):
        return _queue(
            "checkin_reminder",
            user,
            "checkin_reminder",
            _("Check in: %(desk)s, %(hub)s", desk=booking.desk.label, hub=booking.hub.name),
            dedupe_key=checkin_reminder_key(booking),
            heading=_("Your booking starts now"),
            intro=_checkin_text(booking),
            facts=booking_facts(booking),
            url=link("bookings.detail", booking_id=booking.id),
            link_text=_("Check in"),
        )


def reminder_time() -> time:
    """HUBBAR_REMINDER_TIME ("16:00"), hub-local; a value that is no time is logged and the
    default used."""
    value = str(current_app.config.get("HUBBAR_REMINDER_TIME") or "").strip()
    try:
        return time.fromisoformat(value.replace(".", ":"))
    except ValueError:
        log.error("HUBBAR_REMINDER_TIME %r is not a time such as 16:00; using 16:00", value)
        return DEFAULT_REMINDER_TIME


def reminder_due(booking: Booking, at: time | None = None) -> datetime:
    """When the reminder of a booking is due: the day before its start, at the reminder time
    where the hub is."""
    zone = _zone(booking)
    day = booking.starts_at.astimezone(zone).date() - timedelta(days=1)
    return datetime.combine(day, at or reminder_time(), tzinfo=zone)


def send_reminders(now: datetime | None = None) -> int:
    """Queue the reminders that are due (the job, every few minutes): the afternoon-before
    reminder of bookings made (or last moved) before it was due, and the check-in reminder of
    bookings that have started and wait for a check-in. Dedupe keys make a second run queue
    nothing new. Only the bookings starting in a bounded window are read, with their hub, desk
    and booker, and the keys already queued are looked up at once: a run costs a few queries,
    plus two for each reminder it queues. Returns how many were queued."""
    from hubbar.bookings.operations import releases_at

    now = now or utcnow()
    at = reminder_time()
    # When the booking was last moved to another time (None: never).
    changed_at = (
        select(func.max(BookingEvent.occurred_at))
        .where(BookingEvent.booking_id == Booking.id, BookingEvent.note == "changed")
        .correlate(Booking)
        .scalar_subquery()
    )
    loaded = (selectinload(Booking.hub), selectinload(Booking.desk), selectinload(Booking.user))
    upcoming = db.session.execute(
        select(Booking, changed_at)
        .where(
            Booking.status == BookingStatus.CONFIRMED,
            Booking.starts_at > now,
            Booking.starts_at <= now + REMINDER_LOOKAHEAD,
        )
        .options(*loaded)
        .order_by(Booking.starts_at, Booking.id)
    ).all()
    # A booking made, or moved, after its reminder was due needs none: its confirmation (or the
    # change) just came.
    wanted = [
        booking
        for booking, moved_at in upcoming
        if (moved_at or booking.created_at) < reminder_due(booking, at) <= now
    ]
    started = db.session.scalars(
        select(Booking)
        .where(
            Booking.status == BookingStatus.CONFIRMED,
            Booking.checkin_required,
            Booking.starts_at <= now,
            Booking.starts_at > now - CHECKIN_LOOKBACK,
            Booking.occupied_until > now,
        )
        .options(*loaded)
        .order_by(Booking.starts_at, Booking.id)
    ).all()
    checkin_wanted = [
        booking
        for booking in started
        # Too late (the release job takes it), or booked after its start: the booker is at
        # the hub already, or about to be.
        if ((deadline := releases_at(booking)) is None or now < deadline)
        and booking.created_at < booking.starts_at
    ]
    keys = [reminder_key(b) for b in wanted] + [checkin_reminder_key(b) for b in checkin_wanted]
    queued_before = _queued_keys(keys)
    queued = 0
    for booking in wanted:
        if reminder_key(booking) not in queued_before and booking_reminder(booking) is not None:
            queued += 1
    for booking in checkin_wanted:
        if (
            checkin_reminder_key(booking) not in queued_before
            and checkin_reminder(booking) is not None
        ):
            queued += 1
    db.session.commit()
    return queued


def _queued_keys(keys: list[str]) -> set[str]:
    """Which of ``keys`` the outbox holds already (one query)."""
    if not keys:
        return set()
    return set(
        db.session.scalars(
            select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.in_(keys))
        )
    )


# --- accounts ------------------------------------------------------------------------------


def invitation(user: User, url: str, actor: User | None = None) -> OutboxMessage | None:
    """The invitation link (or, for a user with a password, a link to choose a new one) that an
    administrator created."""
    if user is None or not user.active:
        return None
    with force_locale(user.locale):
        days = current_app.config["HUBBAR_INVITE_MAX_AGE_DAYS"]
        if user.has_password:
            subject = _("Choose a new password for hubbar")
            heading = _("Choose a new password")
            intro = _("An administrator has made you a link to choose a new password.")
            link_text = _("Choose a new password")
        else:
            subject = _("Your invitation to hubbar")
            heading = _("Welcome to hubbar")
            intro = (
                _("%(name)s has invited you to hubbar.", name=actor.display_name)
                if actor is not None
                else _("You are invited to hubbar.")
            )
            link_text = _("Choose a password")
        return _queue(
            "invitation",
            user,
            "link",
            subject,
            heading=heading,
            intro=intro,
            facts=[(_("E-mail address"), user.email)],
            url=url,
            link_text=link_text,
            note=_("The link works once, for %(n)d days.", n=days),
        )


def password_reset(user: User, token: str) -> OutboxMessage | None:
    """The password-reset link, unless one was queued for ``user`` a moment ago."""
    if user is None or not user.active:
        return None
    recent = db.session.scalar(
        select(OutboxMessage.id).where(
            OutboxMessage.kind == "password_reset",
            OutboxMessage.user_id == user.id,
            OutboxMessage.created_at > utcnow() - RESET_PAUSE,
        )
    )
    if recent is not None:
        return None
    with force_locale(user.locale):
        return _queue(
            "password_reset",
            user,
            "link",
            _("Reset your hubbar password"),
            heading=_("Choose a new password"),
            intro=_("Someone asked to reset the password of your hubbar account."),
            facts=[(_("E-mail address"), user.email)],
            url=link("accounts.password_reset", token=token),
            link_text=_("Choose a new password"),
            note=_(
                "The link works once, for one hour. If you did not ask for it, ignore this "
                "e-mail: your password stays as it is."
            ),
        )


def account_inactive(user: User, deletion_on: date) -> OutboxMessage | None:
    """The warning that an unused account will be deleted (the retention rule), with a link to
    log in and keep it. Always sent: it is the only notice before the deletion."""
    if user is None:
        return None
    with force_locale(user.locale):
        return _queue(
            "account_inactive",
            user,
            "link",
            _("Your hubbar account will be deleted"),
            heading=_("Do you still use hubbar?"),
            intro=_(
                "You have not used your hubbar account for a long time. To keep no personal "
                "data longer than needed, it will be deleted on %(day)s unless you log in "
                "before then.",
                day=fmt_date(deletion_on),
            ),
            facts=[(_("E-mail address"), user.email)],
            url=link("accounts.login"),
            link_text=_("Log in to keep your account"),
            note=_(
                "Your past bookings stay in the statistics without your name. If you no longer "
                "need the account, you need not do anything."
            ),
        )


# --- pilots --------------------------------------------------------------------------------


def _pilot_facts(pilot) -> list[tuple[str, str]]:
    return [
        (_("Pilot"), pilot.name),
        (_("Period"), f"{fmt_date(pilot.start_date)} – {fmt_date(pilot.end_date)}"),
        (_("Hubs"), ", ".join(h.name for h in pilot.hubs)),
    ]


def report_ready(report, evaluators: Sequence[User]) -> int:
    """Tell each evaluator that a version of a pilot's report is ready (optional). Returns how
    many messages were queued."""
    pilot = report.pilot
    queued = 0
    for evaluator in evaluators:
        if not _getting(evaluator, "report_ready"):
            continue
        with force_locale(evaluator.locale):
            message = _queue(
                "report_ready",
                evaluator,
                "pilot",
                _("Report ready: %(pilot)s", pilot=pilot.name),
                dedupe_key=f"report_ready:{report.id}:{evaluator.id}",
                heading=_("The evaluation report is ready"),
                intro=_(
                    "Version %(n)d of the evaluation report of %(pilot)s is ready.",
                    n=report.version,
                    pilot=pilot.name,
                ),
                facts=_pilot_facts(pilot),
                url=link("pilots.report", pilot_id=pilot.id, version=report.version),
                link_text=_("Read the report"),
            )
        queued += message is not None
    return queued


def pilot_ending_soon(today: date | None = None) -> int:
    """Tell the evaluators of each running pilot that ends within a week (the job; once per
    pilot, end date and evaluator). Returns how many messages were queued."""
    from hubbar.pilots.models import Pilot, PilotStatus
    from hubbar.pilots.report import evaluators

    today = today or local_today()
    pilots = db.session.scalars(
        select(Pilot)
        .where(
            Pilot.status.in_((PilotStatus.PLANNED, PilotStatus.RUNNING)),
            Pilot.start_date <= today,
            Pilot.end_date >= today,
            Pilot.end_date <= today + PILOT_ENDING_NOTICE,
        )
        .order_by(Pilot.end_date, Pilot.id)
    ).all()
    queued = 0
    for pilot in pilots:
        for evaluator in evaluators(pilot):
            if not _getting(evaluator, "pilot_ending"):
                continue
            with force_locale(evaluator.locale):
                end = fmt_date(pilot.end_date)
                message = _queue(
                    "pilot_ending",
                    evaluator,
                    "pilot",
                    _("%(pilot)s ends on %(date)s", pilot=pilot.name, date=end),
                    dedupe_key=f"pilot_ending:{pilot.id}:{pilot.end_date.isoformat()}:"
                    f"{evaluator.id}",
                    heading=_("The pilot ends soon"),
                    intro=_(
                        "%(pilot)s ends on %(date)s. The evaluation report is made the day after.",
                        pilot=pilot.name,
                        date=end,
                    ),
                    facts=_pilot_facts(pilot),
                    url=link("pilots.detail", pilot_id=pilot.id),
                    link_text=_("See the pilot"),
                )
            queued += message is not None
    db.session.commit()
    return queued


# --- preferences ---------------------------------------------------------------------------


def offered_kinds(user: User) -> list[tuple[str, str]]:
    """The optional messages ``user`` can turn on and off, as (kind, label)."""
    return [
        (kind, str(OPTIONAL_KIND_LABELS[kind]))
        for kind in OPTIONAL_KINDS
        if kind not in EVALUATOR_KINDS or user.is_evaluator
    ]
