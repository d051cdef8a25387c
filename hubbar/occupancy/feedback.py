"""The satisfaction figures of DESIGN.md "Metrics": what visitors said about their visits.

A *visit* here is a booking that was checked in and is over (checked out, or its end has
passed): the visits that are offered feedback. The period is whole local dates at each hub,
as for every other metric (:func:`hubbar.occupancy.calendar.local_days`), and a visit counts
when its start falls in it, up to now. The database counts and groups; only the comments,
which are shown one by one, are read as rows, without names or ids.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, false, func, or_, select

from hubbar.bookings.models import Booking
from hubbar.db import utcnow
from hubbar.extensions import db
from hubbar.hubs.models import Hub
from hubbar.occupancy.calendar import EPOCH, local_days
from hubbar.occupancy.metrics import ratio
from hubbar.pilots.models import Feedback, Otherwise

RATINGS = (1, 2, 3, 4, 5)
TRAVEL_REPLACED = Otherwise.REGULAR_WORKPLACE


def visit_over(now: datetime):
    """SQL: the booking was checked in and the visit is over (checked out, or ended by now)."""
    return and_(
        Booking.checked_in_at.is_not(None),
        or_(Booking.checked_out_at.is_not(None), Booking.ends_at <= now),
    )


def _ratings() -> dict[int, int]:
    return dict.fromkeys(RATINGS, 0)


def _otherwise() -> dict[str, int]:
    return {o.value: 0 for o in Otherwise}


@dataclass
class Satisfaction:
    """Feedback on the visits of some hubs over some local dates."""

    visits: int = 0  # visits (checked in, over) starting in the period
    responses: int = 0  # answered feedback on those visits ("no thanks" not included)
    declined: int = 0
    ratings: dict[int, int] = field(default_factory=_ratings)  # 1..5 -> answers
    otherwise: dict[str, int] = field(default_factory=_otherwise)  # Otherwise value -> answers
    minutes_saved_total: int = 0
    minutes_saved_answers: int = 0
    # (local date of the visit, rating, comment): no names, no ids; newest first.
    comments: list[tuple[date, int | None, str]] = field(default_factory=list)

    @property
    def response_rate(self) -> float | None:
        return ratio(self.responses, self.visits)

    @property
    def mean_rating(self) -> float | None:
        answers = sum(self.ratings.values())
        total = sum(rating * n for rating, n in self.ratings.items())
        return ratio(total, answers)

    @property
    def travel_replaced_share(self) -> float | None:
        return ratio(self.otherwise.get(TRAVEL_REPLACED.value, 0), sum(self.otherwise.values()))

    @property
    def minutes_saved_mean(self) -> float | None:
        return ratio(self.minutes_saved_total, self.minutes_saved_answers)

    def metric_values(self) -> dict[str, float | int | None]:
        """The values of SATISFACTION_DEFINITIONS; None where nobody answered the question,
        so that a criterion on it is not measurable rather than silently met."""
        return {
            "mean_rating": self.mean_rating,
            "feedback_response_rate": self.response_rate,
            "travel_replaced_share": self.travel_replaced_share,
            "minutes_saved": self.minutes_saved_total if self.minutes_saved_answers else None,
        }


def satisfaction(
    hubs: Sequence[Hub],
    first: date,
    last: date,
    *,
    organisation_ids: Sequence[int] | None = None,
    person_ids: Sequence[int] | None = None,
    now: datetime | None = None,
) -> Satisfaction:
    """The feedback on the visits to ``hubs`` starting on the local dates ``first``..``last``
    (inclusive) and over by ``now``; with ``organisation_ids``, only the visits of people from
    those home organisations; with ``person_ids`` (``Booking.person_id``), only the visits of
    those people (a pilot's participants: only they are offered feedback, so only their visits
    can have a response)."""
    now = (now or utcnow()).replace(microsecond=0)
    result = Satisfaction()
    if not hubs:
        return result
    in_period = or_(
        *(
            and_(
                Booking.hub_id.in_(clock.hub_ids),
                Booking.starts_at >= EPOCH + timedelta(seconds=clock.start),
                Booking.starts_at < EPOCH + timedelta(seconds=clock.until),
            )
            for clock in local_days(hubs, first, last, now)
        )
    )
    where = [in_period, visit_over(now)]
    if organisation_ids is not None:
        orgs = list(organisation_ids)
        where.append(Booking.organisation_id.in_(orgs) if orgs else false())
    if person_ids is not None:
        people = list(person_ids)
        where.append(Booking.person_id.in_(people) if people else false())

    groups = db.session.execute(
        select(
            Feedback.declined,
            Feedback.rating,
            Feedback.otherwise,
            func.count(Booking.id),
            func.count(Feedback.minutes_saved),
            func.coalesce(func.sum(Feedback.minutes_saved), 0),
        )
        .select_from(Booking)
        .outerjoin(Feedback, Feedback.booking_id == Booking.id)
        .where(*where)
        .group_by(Feedback.declined, Feedback.rating, Feedback.otherwise)
    )
    for declined, rating, otherwise, n, minutes_answers, minutes in groups:
        result.visits += n
        if declined is None:  # no feedback row: not answered
            continue
        if declined:
            result.declined += n
            continue
        result.responses += n
        if rating is not None:
            result.ratings[int(rating)] += n
        if otherwise is not None:
            result.otherwise[Otherwise(otherwise).value] += n
        result.minutes_saved_answers += int(minutes_answers)
        result.minutes_saved_total += int(minutes)

    zones = {hub.id: ZoneInfo(hub.timezone) for hub in hubs}
    comments = db.session.execute(
        select(Booking.hub_id, Booking.starts_at, Feedback.rating, Feedback.comment)
        .join(Feedback, Feedback.booking_id == Booking.id)
        .where(*where, ~Feedback.declined, func.trim(Feedback.comment) != "")
        .order_by(Booking.starts_at.desc(), Feedback.id.desc())
    )
    result.comments = [
        (starts.astimezone(zones[hub_id]).date(), rating, comment.strip())
        for hub_id, starts, rating, comment in comments
    ]
    return result
