"""What the bookings part does: availability, book, cancel, check in, check out, release.

One operation per thing the product does, used by the web pages, the API, the CLI and the
scheduler alike. Every refusal is a domain error whose ``code`` names the rule and whose message
says it in words the user understands. The database itself refuses overlapping bookings; this
module checks first so that the user gets a precise reason, and turns the database's refusal
(two requests racing for one desk) into the same conflict.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from hubbar.accounts.models import User
from hubbar.audit.operations import record
from hubbar.bookings.models import (
    Booking,
    BookingEvent,
    BookingSeries,
    BookingStatus,
    DemandMiss,
)
from hubbar.db import utcnow
from hubbar.errors import BookingConflict, InvalidInput, NotAllowed, NotFound, PolicyViolation
from hubbar.extensions import db
from hubbar.formats import fmt_date, fmt_datetime, fmt_time
from hubbar.hubs.calendar import DaySchedule, hub_days
from hubbar.hubs.models import Desk, Equipment, Hub, OutOfService
from hubbar.hubs.operations import DeskSummary, desk_summaries
from hubbar.mail import messages
from hubbar.operations import require

CHECKIN_OPENS_BEFORE = timedelta(minutes=15)
DEMAND_MISS_DEDUPE = timedelta(minutes=10)
NOON = time(12, 0)
MAX_SERIES_WEEKS = 26


# --- time helpers --------------------------------------------------------------------------


def hub_zone(hub: Hub) -> ZoneInfo:
    return ZoneInfo(hub.timezone)


def local_datetime(hub: Hub, day: date, at: time) -> datetime:
    """A wall-clock time at the hub as an aware datetime (DST-safe: zoneinfo picks the offset
    that the wall clock has on that date)."""
    return datetime.combine(day, at, tzinfo=hub_zone(hub))


def schedule_of(hub: Hub, day: date) -> DaySchedule:
    """The day's opening hours, with a holiday's or closure's name in the caller's language."""
    return hub_days(hub, day, day, str(get_locale()))[0]


QUICK_CHOICES = ("morning", "afternoon", "day")


def quick_window(
    hub: Hub, day: date, choice: str, *, now: datetime | None = None
) -> tuple[datetime, datetime]:
    """Förmiddag (opening to 12.00), eftermiddag (12.00 to closing) or heldag. A lunch break
    under way at 12.00 ends the morning at its start and starts the afternoon at its end; a
    break wholly before or after noon lies inside the morning or afternoon, and the whole day
    spans any break. With ``now``, a window that has begun starts at the current slot
    instead (today's morning at 10.15 is 10.00–12.00), or after lunch while the hub is closed
    for it, and one that is over is refused."""
    if choice not in QUICK_CHOICES:
        raise InvalidInput(_("Choose morning, afternoon or the whole day."), field="choice")
    schedule = schedule_of(hub, day)
    _require_open(schedule)
    opens, closes = schedule.opens, schedule.closes
    lunch = (schedule.break_starts, schedule.break_ends) if schedule.has_break else None
    if choice == "morning":
        closes = min(closes, NOON)
        if lunch and lunch[0] <= NOON <= lunch[1]:  # a morning may span an earlier break
            closes = min(closes, lunch[0])
    elif choice == "afternoon":
        opens = max(opens, NOON)
        if lunch and lunch[0] <= NOON < lunch[1]:
            opens = max(opens, lunch[1])
    if closes <= opens:
        raise PolicyViolation(_("The hub is not open then that day."), code="outside_opening_hours")
    starts, ends = local_datetime(hub, day, opens), local_datetime(hub, day, closes)
    if now is not None:
        starts = max(starts, floor_to_slot(now, hub))
        if lunch and _during_break(schedule, hub, starts):
            starts = local_datetime(hub, day, lunch[1])
        if starts >= ends:
            raise PolicyViolation(_("That time has passed."), code="in_the_past")
    return starts, ends


def _during_break(schedule: DaySchedule, hub: Hub, moment: datetime) -> bool:
    """Whether ``moment`` falls in the day's lunch break [break_starts, break_ends)."""
    lunch = schedule.break_interval(hub.timezone)
    return lunch is not None and lunch[0] <= moment < lunch[1]


def _require_open(schedule: DaySchedule) -> None:
    if schedule.is_open:
        return
    reason = schedule.holiday or schedule.closure
    if reason:
        message = _(
            "The hub is closed on %(day)s: %(reason)s.",
            day=fmt_date(schedule.day),
            reason=reason,
        )
    else:
        message = _("The hub is closed on %(day)s.", day=fmt_date(schedule.day))
    raise PolicyViolation(message, code="closed_day")


def _in_utc(starts: datetime, ends: datetime) -> tuple[datetime, datetime]:
    """The window in UTC; a time without a zone is refused rather than read in the server's."""
    if starts.tzinfo is None or ends.tzinfo is None:
        raise InvalidInput(_("Give times with a time zone."), field="start")
    return starts.astimezone(UTC), ends.astimezone(UTC)


def floor_to_slot(moment: datetime, hub: Hub) -> datetime:
    """The start of the hub's time slot that holds ``moment``, in hub-local time."""
    local = moment.astimezone(hub_zone(hub))
    minutes = local.hour * 60 + local.minute
    floored = minutes - minutes % hub.slot_minutes
    return local.replace(hour=floored // 60, minute=floored % 60, second=0, microsecond=0)


def ceil_to_slot(moment: datetime, hub: Hub) -> datetime:
    """The first slot boundary at or after ``moment``, in hub-local time."""
    floored = floor_to_slot(moment, hub)
    if floored == moment.astimezone(hub_zone(hub)):
        return floored
    return floored + timedelta(minutes=hub.slot_minutes)


def _fmt(moment: datetime, hub: Hub) -> str:
    return fmt_datetime(moment, hub.timezone)


def _fmt_time(moment: datetime, hub: Hub) -> str:
    return fmt_time(moment.astimezone(hub_zone(hub)))


# Longer than any booking can be: one day's opening hours, a DST night's extra hour included.
LONGEST_BOOKING = timedelta(days=2)


def occupying(starts: datetime, ends: datetime, *, ignore: Booking | None = None) -> tuple:
    """Conditions for bookings that hold their desk (and their user) at some moment of
    [starts, ends). A booking cancelled before its start occupies the empty interval, which
    overlaps nothing, exactly as the database's guarantee sees it. ``ignore``: a booking being
    changed, which does not stand in its own way."""
    conditions = (
        Booking.starts_at < ends,
        # Redundant but fast: a booking lies within one day's opening hours, so it starts less
        # than LONGEST_BOOKING before any moment it holds. With this bound the (desk, start)
        # and (user, start) indexes read those days only, not the desk's whole history.
        Booking.starts_at > starts - LONGEST_BOOKING,
        Booking.occupied_until > starts,
        Booking.occupied_until > Booking.starts_at,
    )
    if ignore is not None and ignore.id is not None:
        conditions += (Booking.id != ignore.id,)
    return conditions


# --- policy --------------------------------------------------------------------------------


def check_policy(
    hub: Hub,
    desk: Desk | None,
    user: User,
    starts: datetime,
    ends: datetime,
    now: datetime,
    *,
    ignore: Booking | None = None,
) -> None:
    """Every booking rule of DESIGN.md except the desk being free; the first broken one is
    raised as PolicyViolation with the rule's code. ``ignore``: the booking being changed to
    this time, which counts neither as an overlap nor towards the most upcoming bookings."""
    if starts.tzinfo is None or ends.tzinfo is None:
        raise InvalidInput(_("Give times with a time zone."), field="start")
    if ends <= starts:
        raise InvalidInput(
            _("The end must be after the start."), field="end", code="invalid_window"
        )
    if not hub.active:
        raise PolicyViolation(_("The hub does not take bookings."), code="hub_inactive")
    if not hub.admits(user.organisation):
        raise PolicyViolation(
            _(
                "%(hub)s does not take bookings from %(org)s.",
                hub=hub.name,
                org=user.organisation.name,
            ),
            code="organisation_not_admitted",
        )
    if desk is not None and not desk.active:
        raise PolicyViolation(
            _("%(label)s cannot be booked.", label=desk.label), code="desk_inactive"
        )
    zone = hub_zone(hub)
    local_start, local_end = starts.astimezone(zone), ends.astimezone(zone)
    for moment in (local_start, local_end):
        if moment.second or moment.microsecond or moment.minute % hub.slot_minutes:
            raise PolicyViolation(
                _(
                    "Bookings start and end on whole %(n)d minutes (for example 09.00 or 09.30).",
                    n=hub.slot_minutes,
                ),
                code="granularity",
            )
    minutes = (ends - starts).total_seconds() / 60
    if minutes < hub.min_duration_minutes:
        raise PolicyViolation(
            _("A booking must be at least %(n)d minutes.", n=hub.min_duration_minutes),
            code="too_short",
        )
    if minutes > hub.max_duration_minutes:
        raise PolicyViolation(
            _("A booking can be at most %(n)d minutes.", n=hub.max_duration_minutes),
            code="too_long",
        )
    if starts < floor_to_slot(now, hub):
        raise PolicyViolation(_("That time has passed."), code="in_the_past")
    today = now.astimezone(zone).date()
    if local_start.date() > today + timedelta(days=hub.max_days_ahead):
        raise PolicyViolation(
            _("You can book at most %(n)d days ahead.", n=hub.max_days_ahead),
            code="too_far_ahead",
        )
    schedule = schedule_of(hub, local_start.date())
    _require_open(schedule)
    opens, closes = schedule.interval(hub.timezone)
    if local_start < opens or local_end > closes:
        raise PolicyViolation(
            _(
                "The hub is open %(opens)s–%(closes)s that day.",
                opens=fmt_time(schedule.opens),
                closes=fmt_time(schedule.closes),
            ),
            code="outside_opening_hours",
        )
    lunch = schedule.break_interval(hub.timezone)
    # A booking may span the lunch break (its booked hours then count only open time), but
    # nobody arrives or leaves while the hub is closed for lunch.
    if lunch is not None and (lunch[0] <= starts < lunch[1] or lunch[0] < ends <= lunch[1]):
        raise PolicyViolation(
            _(
                "The hub is closed for lunch %(starts)s–%(ends)s that day.",
                starts=fmt_time(schedule.break_starts),
                ends=fmt_time(schedule.break_ends),
            ),
            code="outside_opening_hours",
        )
    held = held_from(starts, now)  # what the booking will hold, if it is made
    if desk is not None:
        broken = db.session.scalar(
            select(OutOfService).where(
                OutOfService.desk_id == desk.id,
                OutOfService.starts_at < ends,
                OutOfService.ends_at > held,
            )
        )
        if broken is not None:
            raise PolicyViolation(
                _(
                    "%(label)s is out of service then: %(reason)s.",
                    label=desk.label,
                    reason=broken.reason,
                ),
                code="desk_out_of_service",
            )
    own = db.session.scalar(
        select(Booking).where(
            Booking.user_id == user.id,
            *occupying(held, ends, ignore=ignore),
        )
    )
    if own is not None:
        raise PolicyViolation(
            _(
                "You already have a booking then: %(desk)s at %(hub)s, %(start)s.",
                desk=own.desk.label,
                hub=own.hub.name,
                start=_fmt(own.starts_at, own.hub),
            ),
            code="user_overlap",
        )
    upcoming = db.session.scalar(
        select(func.count(Booking.id)).where(
            Booking.user_id == user.id,
            Booking.hub_id == hub.id,
            Booking.is_active,
            Booking.ends_at > now,
            *((Booking.id != ignore.id,) if ignore is not None and ignore.id is not None else ()),
        )
    )
    if upcoming >= hub.max_active_bookings:
        raise PolicyViolation(
            _(
                "You have %(n)d upcoming bookings at this hub, the most it allows.",
                n=hub.max_active_bookings,
            ),
            code="too_many_bookings",
        )


# --- booking -------------------------------------------------------------------------------


def _add_event(booking: Booking, status: BookingStatus, at: datetime, actor, note="") -> None:
    event = BookingEvent(
        status=status, occurred_at=at, actor_id=actor.id if actor else None, note=note
    )
    if booking.id is None:
        booking.events.append(event)
    else:  # added directly, so the jobs do not load every booking's history
        event.booking_id = booking.id
        db.session.add(event)


def _desk_taken(
    desk: Desk, starts: datetime, ends: datetime, *, ignore: Booking | None = None
) -> Booking | None:
    return db.session.scalar(
        select(Booking).where(
            Booking.desk_id == desk.id,
            *occupying(starts, ends, ignore=ignore),
        )
    )


def _conflict(desk: Desk) -> BookingConflict:
    return BookingConflict(
        _("%(label)s is already booked then. Choose another time or desk.", label=desk.label)
    )


def _refusal_from_database(error: IntegrityError, desk: Desk, user: User) -> Exception:
    """Which guarantee the database applied: the desk's, or the person's. PostgreSQL may also
    end one of two racing inserts as a deadlock (or serialization failure): the same conflict."""
    if getattr(error.orig, "sqlstate", None) in ("40P01", "40001"):
        return _conflict(desk)
    text = str(error.orig)
    if "booking_user_overlap" in text:
        return PolicyViolation(_("You already have a booking then."), code="user_overlap")
    if "booking_desk_overlap" in text:
        return _conflict(desk)
    return error


def _may_book_for(actor: User | None, user: User, hub: Hub) -> None:
    """Everyone books for themselves; hub managers also on someone's behalf at their hubs."""
    if actor is None or actor.id == user.id:
        return
    if not hub.can_manage(actor):
        raise NotAllowed(_("Only the hub's managers can book on someone's behalf."))


def book(
    actor: User | None,
    user: User,
    desk: Desk,
    starts: datetime,
    ends: datetime,
    *,
    now: datetime | None = None,
    series: BookingSeries | None = None,
) -> Booking:
    """Book ``desk`` for ``user`` from ``starts`` to ``ends`` (aware datetimes)."""
    now = now or utcnow()
    hub = desk.hub
    _may_book_for(actor, user, hub)
    starts, ends = _in_utc(starts, ends)
    check_policy(hub, desk, user, starts, ends, now)
    starts = held_from(starts, now)
    if _desk_taken(desk, starts, ends) is not None:
        record_demand_miss(hub, user, starts, ends, "booking", now=now)
        raise _conflict(desk)
    booking = Booking(
        desk=desk,
        hub_id=hub.id,
        user_id=user.id,
        organisation_id=user.organisation_id,
        booked_by_id=actor.id if actor is not None and actor.id != user.id else None,
        series=series,
        starts_at=starts,
        ends_at=ends,
        occupied_until=ends,
        status=BookingStatus.CONFIRMED,
        checkin_required=hub.checkin_required,
        created_at=now,
    )
    _add_event(booking, BookingStatus.CONFIRMED, now, actor)
    try:
        db.session.add(booking)
        if booking.booked_by_id is not None:
            # record() flushes to learn the booking's id: the database may refuse already here.
            record(
                actor,
                "booking.on_behalf",
                booking,
                f"{hub.name} {desk.label} {starts.isoformat()}–{ends.isoformat()} "
                f"for user #{user.id}",
            )
        db.session.flush()  # the database's guarantee first, and the id the e-mail's UID needs
        # Every booking, one of a series too, gets its own confirmation with its own calendar
        # event (Outlook imports one event per invitation), committed with the booking.
        messages.booking_confirmed(booking, actor)
        db.session.commit()
    except (IntegrityError, OperationalError) as error:
        db.session.rollback()
        refusal = _refusal_from_database(error, desk, user)
        if isinstance(refusal, BookingConflict):
            record_demand_miss(hub, user, starts, ends, "booking", now=now)
        raise refusal from error
    return booking


def held_from(starts: datetime, now: datetime) -> datetime:
    """A booking whose first slot has begun holds its desk from now, not from the slot's start:
    time freed earlier in the slot (an early check-out at 10.10) can be booked at 10.15, and no
    minute before the booking was made counts as booked."""
    return max(starts, now)


def matching_desks(hub: Hub, equipment: list[Equipment] | tuple = ()) -> list[DeskSummary]:
    """Active desks with all the wished equipment, best match first: an accessible desk last
    unless it was asked for (it should stay free for someone who needs it), then the fewest
    extras, then by label. Read as plain rows: a search at a big hub builds no ORM objects."""
    wanted = set(equipment)
    desks = [d for d in desk_summaries([hub.id])[hub.id] if d.active and wanted <= set(d.equipment)]

    def spare_accessible(desk: DeskSummary) -> bool:
        return Equipment.ACCESSIBLE in desk.equipment and Equipment.ACCESSIBLE not in wanted

    return sorted(
        desks, key=lambda d: (spare_accessible(d), len(d.equipment) - len(wanted), d.label)
    )


def book_any(
    actor: User | None,
    user: User,
    hub: Hub,
    starts: datetime,
    ends: datetime,
    equipment: list[Equipment] | tuple = (),
    *,
    now: datetime | None = None,
) -> Booking:
    """Book the best matching free desk at the hub."""
    now = now or utcnow()
    _may_book_for(actor, user, hub)
    starts, ends = _in_utc(starts, ends)
    check_policy(hub, None, user, starts, ends, now)
    for state in availability(hub, held_from(starts, now), ends, equipment):
        if state.state != "free":
            continue
        try:
            return book(actor, user, db.session.get(Desk, state.desk.id), starts, ends, now=now)
        except BookingConflict:
            continue  # someone took it a moment ago: try the next one
    record_demand_miss(hub, user, starts, ends, "booking", now=now)
    raise BookingConflict(
        _("No desk with what you asked for is free then. Try another time or hub."),
    )


@dataclass
class Occurrence:
    """One date of a recurring booking: the booking made, or why not."""

    day: date
    booking: Booking | None = None
    reason: str = ""
    code: str = ""


def book_weekly(
    actor: User | None,
    user: User,
    desk: Desk,
    first_day: date,
    start: time,
    end: time,
    weekdays: list[int],
    until: date,
    *,
    now: datetime | None = None,
) -> list[Occurrence]:
    """Book the same desk and times on the chosen weekdays from ``first_day`` to ``until``.
    Each date is judged on its own; the result says which were booked and why others were not.
    Each booking is committed with its own confirmation e-mail (see ``book``).
    """
    now = now or utcnow()
    _may_book_for(actor, user, desk.hub)
    weekdays = sorted(set(weekdays))
    if not weekdays or any(not 0 <= d <= 6 for d in weekdays):
        raise InvalidInput(_("Choose at least one weekday."), field="weekdays")
    if until < first_day:
        raise InvalidInput(_("The last date cannot be before the first."), field="until")
    if until > first_day + timedelta(weeks=MAX_SERIES_WEEKS):
        raise InvalidInput(
            _("A series can run for at most %(n)d weeks.", n=MAX_SERIES_WEEKS), field="until"
        )
    series = BookingSeries(
        user_id=user.id, weekdays=",".join(map(str, weekdays)), until=until, created_at=now
    )
    results = []
    day = first_day
    while day <= until:
        if day.weekday() in weekdays:
            occurrence = Occurrence(day)
            try:
                occurrence.booking = book(
                    actor,
                    user,
                    desk,
                    local_datetime(desk.hub, day, start),
                    local_datetime(desk.hub, day, end),
                    now=now,
                    series=series,
                )
            except (PolicyViolation, BookingConflict, InvalidInput) as refusal:
                occurrence.reason, occurrence.code = str(refusal.message), refusal.code
            results.append(occurrence)
        day += timedelta(days=1)
    return results


# --- changes to a booking ------------------------------------------------------------------


def get_booking_for(actor: User, booking_id: int) -> Booking:
    """A booking the actor may act on; others' bookings are 'not found', not 'forbidden', so
    guessing ids tells nothing."""
    booking = db.session.get(Booking, booking_id)
    if booking is None or not booking.can_act_on(actor):
        raise NotFound(_("No such booking."))
    return booking


def _require_actor(actor: User | None, booking: Booking) -> None:
    if actor is not None:
        require(booking.can_act_on(actor))


def cancel(actor: User | None, booking: Booking, *, now: datetime | None = None) -> Booking:
    """Before start the booking is withdrawn; after start it ends now and frees the rest."""
    now = now or utcnow()
    _require_actor(actor, booking)
    if not booking.is_active:
        raise PolicyViolation(
            _(
                "The booking is %(status)s and cannot be cancelled.",
                status=booking.status.label.lower(),
            ),
            code="not_active",
        )
    if now >= booking.occupied_until:
        raise PolicyViolation(_("The booking has already ended."), code="ended")
    if booking.status is BookingStatus.CHECKED_IN:
        # Someone at the desk who ends early is checking out (used time stays right).
        return check_out(actor, booking, now=now)
    _refuse_if_released(booking, now)
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at = now
    booking.occupied_until = max(booking.starts_at, now)
    _add_event(booking, BookingStatus.CANCELLED, now, actor)
    if actor is not None and actor.id != booking.user_id:
        record(actor, "booking.cancel_on_behalf", booking, f"booking #{booking.id}")
    _commit_change(lambda: _tell_cancelled(booking, actor, now))
    return booking


def _tell_cancelled(booking: Booking, actor: User | None, now: datetime) -> None:
    """The cancellation (with the CANCEL of the calendar event) instead of any reminder still
    waiting."""
    messages.withdraw_reminders(booking, now)
    messages.booking_cancelled(booking, actor)


def change(
    actor: User | None,
    booking: Booking,
    starts: datetime,
    ends: datetime,
    *,
    now: datetime | None = None,
) -> Booking:
    """Move a booking that has not started to another time on the same desk. The new time
    must pass every rule a new booking must (the booking itself not counting against it) and
    the desk must be free apart from this booking. The booker gets the change as an update of
    the same calendar event. Nothing changes when refused."""
    now = now or utcnow()
    _require_actor(actor, booking)
    user = booking.user
    require(user is not None)  # a pseudonymised booker's booking is history, not a plan
    if booking.status is not BookingStatus.CONFIRMED:
        raise PolicyViolation(
            _(
                "The booking is %(status)s and cannot be changed.",
                status=booking.status.label.lower(),
            ),
            code="not_active",
        )
    if now >= booking.starts_at:
        raise PolicyViolation(
            _("The booking has started and can no longer be changed."), code="started"
        )
    starts, ends = _in_utc(starts, ends)
    hub, desk = booking.hub, booking.desk
    check_policy(hub, desk, user, starts, ends, now, ignore=booking)
    starts = held_from(starts, now)
    if starts == booking.starts_at and ends == booking.ends_at:
        return booking  # the same time: nothing to change, nothing to tell
    if _desk_taken(desk, starts, ends, ignore=booking) is not None:
        raise _conflict(desk)
    before = f"{booking.starts_at.isoformat()}–{booking.ends_at.isoformat()}"
    booking.starts_at = starts
    booking.ends_at = ends
    booking.occupied_until = ends
    _add_event(booking, BookingStatus.CONFIRMED, now, actor, note="changed")
    try:
        if actor is not None and actor.id != booking.user_id:
            record(
                actor,
                "booking.change_on_behalf",
                booking,
                f"booking #{booking.id} {before} → {starts.isoformat()}–{ends.isoformat()}",
            )
        # The database's guarantee is applied at the flush, before the e-mail is queued.
        _commit_change(lambda: _tell_changed(booking, actor, now))
    except (IntegrityError, OperationalError) as error:
        db.session.rollback()
        raise _refusal_from_database(error, desk, user) from error
    return booking


def _tell_changed(booking: Booking, actor: User | None, now: datetime) -> None:
    """The change as an update of the calendar event. A reminder not yet sent named the old
    time: it is withdrawn, and the job queues one for the new time if it is still due."""
    messages.withdraw_reminders(booking, now)
    messages.booking_changed(booking, actor)


def checkin_opens(booking: Booking) -> datetime:
    return booking.starts_at - CHECKIN_OPENS_BEFORE


def release_deadline(booking: Booking) -> datetime:
    """When a booking that required check-in is released if nobody checked in: the grace
    period after its start, or after its creation for a booking made after its own start."""
    grace = timedelta(minutes=booking.hub.checkin_grace_minutes)
    return max(booking.starts_at, booking.created_at) + grace


def releases_at(booking: Booking) -> datetime | None:
    """When this booking will be released if nobody checks in, or None: no check-in needed,
    or a grace period that outlasts the booking (it is never released before its grace period
    has run; it simply completes)."""
    if not booking.checkin_required or booking.status is not BookingStatus.CONFIRMED:
        return None
    deadline = release_deadline(booking)
    return deadline if deadline < booking.ends_at else None


def booking_actions(booking: Booking, now: datetime) -> dict:
    """What can be done with a booking now, by the same rules the operations apply, and when
    check-in opens and closes (for the pages that offer the buttons)."""
    active = booking.is_active and now < booking.occupied_until
    deadline = releases_at(booking)
    released_by_rule = deadline is not None and now >= deadline
    confirmed = booking.status is BookingStatus.CONFIRMED and active and not released_by_rule
    opens = checkin_opens(booking)
    return {
        "active": active and not released_by_rule,
        "can_check_in": confirmed and now >= opens,
        "checkin_opens": opens,
        "checkin_closes": deadline,
        "checkin_later": confirmed and now < opens,
        "can_check_out": booking.status is BookingStatus.CHECKED_IN and active,
        "can_cancel": confirmed,
        "can_change": confirmed and now < booking.starts_at,
        "started": now >= booking.starts_at,
    }


def _refuse_if_released(booking: Booking, now: datetime) -> None:
    """Past its deadline a booking is a no-show, even if the minute job has not released it
    yet: refuse without writing (the job records the release)."""
    deadline = releases_at(booking)
    if deadline is not None and now >= deadline:
        raise PolicyViolation(
            _(
                "Check-in closed at %(time)s; the desk is released for others.",
                time=_fmt_time(deadline, booking.hub),
            ),
            code="checkin_closed",
        )


def _committed(before_commit: Callable[[], object] | None = None) -> bool:
    """Commit a change to one booking. False (and nothing saved) when someone changed it at
    the same moment: the version check refused this change. ``before_commit`` queues what goes
    with the change (its e-mail), once the change itself is flushed and accepted."""
    try:
        if before_commit is not None:
            db.session.flush()
            before_commit()
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        return False
    return True


def _commit_change(before_commit: Callable[[], object] | None = None) -> None:
    """Commit a person's change to a booking, or tell them to look again."""
    if not _committed(before_commit):
        raise BookingConflict(
            _("The booking changed at the same moment. Look at it again."), code="changed"
        )


def check_in(actor: User | None, booking: Booking, *, now: datetime | None = None) -> Booking:
    now = now or utcnow()
    _require_actor(actor, booking)
    if booking.status is BookingStatus.CHECKED_IN:
        raise PolicyViolation(_("You are already checked in."), code="already_checked_in")
    _refuse_if_released(booking, now)
    if booking.status is not BookingStatus.CONFIRMED or now >= booking.occupied_until:
        raise PolicyViolation(
            _(
                "The booking is %(status)s; check-in is closed.",
                status=booking.status.label.lower(),
            ),
            code="not_active",
        )
    if now < checkin_opens(booking):
        raise PolicyViolation(
            _(
                "Check-in opens at %(time)s, %(n)d minutes before the start.",
                time=_fmt_time(checkin_opens(booking), booking.hub),
                n=int(CHECKIN_OPENS_BEFORE.total_seconds() // 60),
            ),
            code="too_early",
        )
    booking.status = BookingStatus.CHECKED_IN
    booking.checked_in_at = now
    _add_event(booking, BookingStatus.CHECKED_IN, now, actor)
    # A check-in reminder still waiting in the outbox would arrive after the check-in.
    _commit_change(lambda: messages.withdraw_reminders(booking, now))
    return booking


def check_out(actor: User | None, booking: Booking, *, now: datetime | None = None) -> Booking:
    """Leave early: the booking completes now and the rest of its time is free again."""
    now = now or utcnow()
    _require_actor(actor, booking)
    if booking.status is not BookingStatus.CHECKED_IN:
        raise PolicyViolation(_("Check in before you check out."), code="not_checked_in")
    end = min(max(now, booking.starts_at), booking.ends_at)
    booking.status = BookingStatus.COMPLETED
    booking.checked_out_at = end
    booking.occupied_until = end
    _add_event(booking, BookingStatus.COMPLETED, end, actor, note="check_out")
    _commit_change()
    return booking


def release_no_shows(now: datetime | None = None) -> list[Booking]:
    """Release bookings that required check-in and got none within the grace period; they
    count as no-shows and their desks are free from the deadline on (run every minute)."""
    now = now or utcnow()
    due = db.session.scalars(
        select(Booking)
        .where(
            Booking.status == BookingStatus.CONFIRMED,
            Booking.checkin_required,
            Booking.starts_at <= now,
        )
        .order_by(Booking.starts_at)
    ).all()
    released = []
    for booking in due:
        deadline = releases_at(booking)
        if deadline is None or deadline > now:
            continue
        booking.status = BookingStatus.RELEASED
        booking.released_at = deadline
        booking.occupied_until = deadline
        _add_event(booking, BookingStatus.RELEASED, deadline, None)
        # One at a time: a check-in committed a moment ago wins, and the job moves on.
        if _committed(lambda booking=booking: _tell_released(booking, now)):
            released.append(booking)
    return released


def _tell_released(booking: Booking, now: datetime) -> None:
    """The released notice (with the CANCEL of the calendar event) instead of any reminder
    still waiting."""
    messages.withdraw_reminders(booking, now)
    messages.booking_released(booking)


def complete_past(now: datetime | None = None) -> list[Booking]:
    """Bookings whose time is over become completed (a no-show is released first)."""
    now = now or utcnow()
    release_no_shows(now)
    done = db.session.scalars(
        select(Booking).where(Booking.is_active, Booking.ends_at <= now)
    ).all()
    completed = []
    for booking in done:
        booking.status = BookingStatus.COMPLETED
        _add_event(booking, BookingStatus.COMPLETED, booking.ends_at, None)
        if _committed():
            completed.append(booking)
    return completed


# --- availability --------------------------------------------------------------------------


@dataclass
class DeskState:
    """A desk over a wanted window: free for all of it, partly, or not, and why."""

    desk: DeskSummary
    state: str  # free | partly | booked | out_of_service | closed
    reason: str = ""
    free: list[tuple[datetime, datetime]] = field(default_factory=list)


def availability(
    hub: Hub,
    starts: datetime,
    ends: datetime,
    equipment: list[Equipment] | tuple = (),
) -> list[DeskState]:
    """For each active desk with the wished equipment: free for the whole window, partly free
    (with the free stretches), or not, with the reason. Two queries, whatever the hub's size."""
    starts, ends = starts.astimezone(UTC), ends.astimezone(UTC)
    desks = matching_desks(hub, equipment)
    zone = hub_zone(hub)
    schedule = schedule_of(hub, starts.astimezone(zone).date())
    if not schedule.is_open:
        reason = schedule.holiday or schedule.closure or _("Closed")
        return [DeskState(d, "closed", reason) for d in desks]
    opens, closes = (t.astimezone(UTC) for t in schedule.interval(hub.timezone))
    window = (max(starts, opens), min(ends, closes))
    if window[0] >= window[1]:
        return [DeskState(d, "closed", _("Outside opening hours")) for d in desks]
    # The open parts of the wanted window: the lunch break is closed time, not free time.
    open_parts = [
        (max(window[0], a.astimezone(UTC)), min(window[1], b.astimezone(UTC)))
        for a, b in schedule.open_intervals(hub.timezone)
    ]
    open_parts = [(a, b) for a, b in open_parts if a < b]
    if not open_parts:
        return [DeskState(d, "closed", _("Closed for lunch")) for d in desks]
    ids = [d.id for d in desks]
    busy: dict[int, list[tuple[datetime, datetime, str]]] = {i: [] for i in ids}
    for desk_id, b_start, b_end in db.session.execute(
        select(Booking.desk_id, Booking.starts_at, Booking.occupied_until).where(
            Booking.desk_id.in_(ids),
            *occupying(starts, ends),
        )
    ):
        busy[desk_id].append((b_start, b_end, "booked"))
    for desk_id, o_start, o_end, reason in db.session.execute(
        select(
            OutOfService.desk_id, OutOfService.starts_at, OutOfService.ends_at, OutOfService.reason
        ).where(
            OutOfService.desk_id.in_(ids),
            OutOfService.starts_at < ends,
            OutOfService.ends_at > starts,
        )
    ):
        busy[desk_id].append((o_start, o_end, reason))
    states = []
    for desk in desks:
        free = [f for part in open_parts for f in _free_stretches(part, busy[desk.id])]
        # Judged over the open parts of the wanted window: a desk free all the time the hub is
        # open is free, even if the wish reached past closing time or across lunch.
        if free == open_parts:
            states.append(DeskState(desk, "free", free=free))
        elif free:
            states.append(DeskState(desk, "partly", _("Partly free"), free=free))
        else:
            oos = next((r for *_, r in busy[desk.id] if r != "booked"), None)
            if oos is not None:
                states.append(DeskState(desk, "out_of_service", oos))
            else:
                states.append(DeskState(desk, "booked", _("Booked")))
    return states


def _free_stretches(window, busy) -> list[tuple[datetime, datetime]]:
    free, cursor = [], window[0]
    for b_start, b_end, _reason in sorted(busy):
        if b_start > cursor:
            free.append((cursor, min(b_start, window[1])))
        cursor = max(cursor, b_end)
        if cursor >= window[1]:
            break
    if cursor < window[1]:
        free.append((cursor, window[1]))
    return [(a, b) for a, b in free if b > a]


def record_demand_miss(
    hub: Hub, user: User | None, starts: datetime, ends: datetime, source: str, *, now=None
) -> None:
    """Unmet demand for the needs analysis: hub, wanted window, organisation; no name. The
    same organisation's miss for the same window within a few minutes counts once."""
    now = now or utcnow()
    organisation_id = user.organisation_id if user is not None else None
    recent = db.session.scalar(
        select(DemandMiss.id).where(
            DemandMiss.hub_id == hub.id,
            DemandMiss.organisation_id == organisation_id,
            DemandMiss.wanted_start == starts,
            DemandMiss.wanted_end == ends,
            DemandMiss.created_at > now - DEMAND_MISS_DEDUPE,
        )
    )
    if recent is not None:
        return
    db.session.add(
        DemandMiss(
            hub_id=hub.id,
            organisation_id=organisation_id,
            wanted_start=starts,
            wanted_end=ends,
            source=source,
            created_at=now,
        )
    )
    db.session.commit()


def search(
    user: User,
    hub: Hub,
    starts: datetime,
    ends: datetime,
    equipment: list[Equipment] | tuple = (),
    *,
    now: datetime | None = None,
) -> list[DeskState]:
    """Availability as an employee searches it: a search that finds no desk free for the whole
    window is recorded as unmet demand."""
    now = now or utcnow()
    states = availability(hub, starts, ends, equipment)
    open_window = any(s.state != "closed" for s in states)
    if open_window and ends > now and not any(s.state == "free" for s in states):
        record_demand_miss(
            hub, user, starts.astimezone(UTC), ends.astimezone(UTC), "search", now=now
        )
    return states


# --- lists ---------------------------------------------------------------------------------


def my_bookings(user: User, now: datetime | None = None) -> tuple[list[Booking], list[Booking]]:
    """The user's upcoming and ongoing bookings (soonest first) and past ones (newest first)."""
    now = now or utcnow()
    loaded = (joinedload(Booking.desk).lazyload(Desk.equipment_rows), joinedload(Booking.hub))
    upcoming = db.session.scalars(
        select(Booking)
        .where(
            Booking.user_id == user.id,
            Booking.is_active,
            Booking.occupied_until > now,
            # Redundant, for the (user, start) index: only the last days can still be going on.
            Booking.starts_at > now - LONGEST_BOOKING,
        )
        .order_by(Booking.starts_at)
        .options(*loaded)
    ).all()
    past = db.session.scalars(
        select(Booking)
        .where(
            Booking.user_id == user.id,
            or_(~Booking.is_active, Booking.occupied_until <= now),
        )
        .order_by(Booking.starts_at.desc())
        .limit(50)
        .options(*loaded)
    ).all()
    return list(upcoming), list(past)


MAX_LIST_DAYS = 31


def hub_bookings(user: User, hub: Hub, first: date, last: date) -> list[Booking]:
    """Every booking of a hub starting on the local dates ``first``..``last`` (at most a
    month), by start and desk, with desk and booker loaded: for the hub's managers."""
    if not hub.can_manage(user):
        raise NotAllowed(_("Only the hub's managers can list its bookings."))
    if last < first:
        raise InvalidInput(_("The last day must not be before the first."), field="to")
    if (last - first).days + 1 > MAX_LIST_DAYS:
        raise InvalidInput(_("Choose a period of at most %(n)d days.", n=MAX_LIST_DAYS), field="to")
    starts = local_datetime(hub, first, time(0))
    ends = local_datetime(hub, last + timedelta(days=1), time(0))
    return list(
        db.session.scalars(
            select(Booking)
            .where(Booking.hub_id == hub.id, Booking.starts_at >= starts, Booking.starts_at < ends)
            .options(
                # The desk and the booker with the booking; not the desks' equipment or the
                # bookers' roles, which they would otherwise fetch as well.
                joinedload(Booking.desk).lazyload(Desk.equipment_rows),
                joinedload(Booking.user).lazyload(User.roles),
            )
            .order_by(Booking.starts_at, Booking.desk_id, Booking.id)
        )
    )


def bookings_on_desk(desk: Desk, starts: datetime, ends: datetime) -> list[Booking]:
    return list(
        db.session.scalars(
            select(Booking)
            .where(
                Booking.desk_id == desk.id,
                *occupying(starts, ends),
            )
            .order_by(Booking.starts_at)
        )
    )
