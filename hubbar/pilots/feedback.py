"""Visit feedback: offer the short form after a visit, save the answers or a "no thanks".

Feedback is collected for a pilot's evaluation report, and only what it uses: a visit is
offered feedback when its booker takes part in a pilot at its hub and the visit started within
the pilot's period; when the booker checked in and the visit is over; for two weeks after it
(never nagging about old ones), until it is answered or declined. Once per booking: the unique
booking_id of ``feedback`` is the final guard when two answers race.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import and_, false, or_, select
from sqlalchemy.exc import IntegrityError

from hubbar.accounts.models import User
from hubbar.bookings.models import Booking
from hubbar.db import utcnow
from hubbar.errors import InvalidInput, NotFound
from hubbar.extensions import db
from hubbar.occupancy.feedback import visit_over
from hubbar.pilots.models import Feedback, Otherwise, Pilot, pilot_participants

OFFER_DAYS = 14  # visits older than this are not offered feedback
MAX_OFFERS = 3  # at most this many offers on "My bookings"
MAX_COMMENT = 2000
MAX_MINUTES_SAVED = 600


def during_own_pilot(user: User):
    """SQL: the booking is at a hub of a pilot ``user`` takes part in, and starts within the
    pilot's period: its start to its end date, as local dates at the hub (so 00.30 on the
    first day counts, whatever the date in UTC). False when the user is in no pilot."""
    pilots = db.session.scalars(
        select(Pilot)
        .join(pilot_participants, pilot_participants.c.pilot_id == Pilot.id)
        .where(pilot_participants.c.user_id == user.id)
        .order_by(Pilot.id)
    )
    periods = []
    for pilot in pilots:
        for hub in pilot.hubs:
            zone = ZoneInfo(hub.timezone)
            periods.append(
                and_(
                    Booking.hub_id == hub.id,
                    Booking.starts_at >= datetime.combine(pilot.start_date, time(), zone),
                    Booking.starts_at
                    < datetime.combine(pilot.end_date + timedelta(days=1), time(), zone),
                )
            )
    return or_(*periods) if periods else false()


def _eligible(user: User, now: datetime) -> list:
    """SQL: the user's own visits during a pilot they take part in, checked in, over, of the
    last OFFER_DAYS days."""
    return [
        Booking.user_id == user.id,
        during_own_pilot(user),
        visit_over(now),
        Booking.starts_at >= now - timedelta(days=OFFER_DAYS),
    ]


def feedback_offers(user: User, now: datetime | None = None) -> list[Booking]:
    """The user's recent visits still waiting for feedback, newest first, at most a few."""
    now = now or utcnow()
    return list(
        db.session.scalars(
            select(Booking)
            .outerjoin(Feedback, Feedback.booking_id == Booking.id)
            .where(*_eligible(user, now), Feedback.id.is_(None))
            .order_by(Booking.starts_at.desc(), Booking.id.desc())
            .limit(MAX_OFFERS)
        )
    )


def offers_feedback(user: User, booking: Booking, now: datetime | None = None) -> bool:
    """Whether ``booking`` is one of the user's visits waiting for feedback."""
    now = now or utcnow()
    return (
        db.session.scalar(
            select(Booking.id)
            .outerjoin(Feedback, Feedback.booking_id == Booking.id)
            .where(Booking.id == booking.id, *_eligible(user, now), Feedback.id.is_(None))
        )
        is not None
    )


def _already() -> InvalidInput:
    return InvalidInput(_("You have already given feedback on this visit."), code="already_given")


def feedback_booking(user: User, booking_id: int, now: datetime | None = None) -> Booking:
    """The user's own visit that may get feedback now. Someone else's booking is "not found",
    so ids cannot be probed; an answered or not (yet, or any longer) eligible visit is refused
    with the reason."""
    now = now or utcnow()
    booking = db.session.get(Booking, booking_id)
    if booking is None or booking.user_id != user.id:
        raise NotFound(_("No such booking."))
    if db.session.scalar(select(Feedback.id).where(Feedback.booking_id == booking.id)):
        raise _already()
    if booking.checked_in_at is None:
        raise InvalidInput(_("Feedback is for visits you checked in to."), code="not_checked_in")
    eligible = db.session.scalar(
        select(Booking.id).where(Booking.id == booking.id, *_eligible(user, now))
    )
    if eligible is None:
        in_pilot = db.session.scalar(
            select(Booking.id).where(Booking.id == booking.id, during_own_pilot(user))
        )
        if in_pilot is None:
            raise InvalidInput(
                _("Feedback is asked for visits during a pilot you take part in."),
                code="not_in_pilot",
            )
        if booking.starts_at < now - timedelta(days=OFFER_DAYS):
            raise InvalidInput(
                _("Feedback can be given for %(days)d days after a visit.", days=OFFER_DAYS),
                code="too_old",
            )
        raise InvalidInput(_("You can give feedback once the visit is over."), code="not_over")
    return booking


def _save(feedback: Feedback) -> Feedback:
    """Commit; the unique booking_id refuses a second row written at the same moment."""
    db.session.add(feedback)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise _already() from None
    return feedback


def _rating(value) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise InvalidInput(_("Choose a rating from 1 to 5."), field="rating")
    return value


def _otherwise(value) -> Otherwise | None:
    if value is None or value == "":
        return None
    if isinstance(value, Otherwise):
        return value
    try:
        return Otherwise(value)
    except ValueError:
        raise InvalidInput(_("Choose one of the options."), field="otherwise") from None


def _minutes(value) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_MINUTES_SAVED:
        raise InvalidInput(
            _("Enter whole minutes from 0 to %(max)d.", max=MAX_MINUTES_SAVED),
            field="minutes_saved",
        )
    return value


def _comment(value) -> str:
    comment = (value or "").strip()
    if "\x00" in comment:
        raise InvalidInput(
            _("The comment contains a character that cannot be saved."), field="comment"
        )
    if len(comment) > MAX_COMMENT:
        raise InvalidInput(
            _("Keep the comment to %(max)d characters or fewer.", max=MAX_COMMENT),
            field="comment",
        )
    return comment


def give_feedback(
    user: User,
    booking_id: int,
    *,
    rating: int | None,
    comment: str | None,
    otherwise: Otherwise | str | None,
    minutes_saved: int | None,
    now: datetime | None = None,
) -> Feedback:
    """Save the booker's answers on a visit, once. Every answer is optional, but at least one
    is given (a "no thanks" is :func:`decline_feedback`)."""
    rating = _rating(rating)
    comment = _comment(comment)
    otherwise = _otherwise(otherwise)
    minutes_saved = _minutes(minutes_saved)
    booking = feedback_booking(user, booking_id, now)
    if rating is None and not comment and otherwise is None and minutes_saved is None:
        raise InvalidInput(
            _("Answer at least one question, or choose No thanks."), code="no_answers"
        )
    return _save(
        Feedback(
            booking_id=booking.id,
            declined=False,
            rating=rating,
            comment=comment,
            otherwise=otherwise,
            minutes_saved=minutes_saved,
            created_at=now or utcnow(),
        )
    )


def decline_feedback(user: User, booking_id: int, now: datetime | None = None) -> Feedback:
    """ "No thanks": record it, so the visit is never offered feedback again. Saying it twice
    (a double click) is no error."""
    now = now or utcnow()
    try:
        booking = feedback_booking(user, booking_id, now)
        return _save(Feedback(booking_id=booking.id, declined=True, created_at=now))
    except InvalidInput as error:
        if error.code == "already_given":
            existing = db.session.scalar(select(Feedback).where(Feedback.booking_id == booking_id))
            if existing is not None and existing.declined:
                return existing
        raise
