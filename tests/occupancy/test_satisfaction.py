"""The satisfaction figures (DESIGN.md "Metrics", satisfaction) against figures worked out by
hand, with visits just inside and just outside the period in the hub's local time."""

from __future__ import annotations

from datetime import date

import pytest

from hubbar.bookings.models import BookingStatus, person_of
from hubbar.extensions import db
from hubbar.occupancy.definitions import (
    BY_KEY,
    COUNT,
    DEFINITIONS,
    FRACTION,
    SATISFACTION_DEFINITIONS,
)
from hubbar.occupancy.feedback import Satisfaction, satisfaction
from hubbar.pilots.models import Feedback, Otherwise
from tests.bookings.clock import at
from tests.factories import make_user
from tests.occupancy.conftest import book, hub_with_desks

MON, FRI = date(2026, 3, 2), date(2026, 3, 6)
AFTER = at("2026-03-20", "12:00")
S = BookingStatus


def answer(booking, **values) -> Feedback:
    row = Feedback(booking_id=booking.id, **values)
    db.session.add(row)
    db.session.commit()
    return row


def visit(desk, user, day, start, end, **kwargs):
    """A checked-in, completed visit (checked in at its start unless told otherwise)."""
    kwargs.setdefault("checked_in", at(day, start))
    return book(
        desk, user, at(day, start), at(day, end), created=at("2026-02-20", "09:00"), **kwargs
    )


@pytest.fixture()
def feedback_week(ssa, kuf):
    """Monday 2 to Friday 6 March 2026 at Kungsklippan 6 (Stockholm).

    a  Mon 00.30–02.00 (just inside)  Ulla   rating 5, regular workplace, 40 min, a comment
    b  Tue 09–12                      Ulla   rating 4, home
    c  Wed 09–12                      Tove   rating 2, regular workplace, 30 min, blank comment
    d  Thu 09–12                      Tove   "no thanks"
    e  Fri 23.30–23.59 (just inside)  Ulla   no feedback
    f  Thu 13–15, checked in, still checked in at 14.00 on Thursday
                                      Sven   a comment only
    k  Thu 13–16, checked out 13.30   Ulla   no feedback
    Not counted: Sun 1 March 23.30 and Sat 7 March 00.30 (outside, local time), a no-show, a
    visit at another hub, each with a rating of 1.
    """
    hub = hub_with_desks(3, host=ssa, name="Kungsklippan 6")
    other = hub_with_desks(1, host=ssa, name="Liljeholmskajen")
    d1, d2, d3 = hub.desks
    ulla = make_user(kuf, display_name="Ulla Ek")
    tove = make_user(kuf, display_name="Tove Lind")
    sven = make_user(ssa, display_name="Sven Berg")
    a = visit(d1, ulla, "2026-03-02", "00:30", "02:00")
    answer(
        a,
        rating=5,
        otherwise=Otherwise.REGULAR_WORKPLACE,
        minutes_saved=40,
        comment="Lugnt och bra.",
    )
    b = visit(d1, ulla, "2026-03-03", "09:00", "12:00")
    answer(b, rating=4, otherwise=Otherwise.HOME)
    c = visit(d1, tove, "2026-03-04", "09:00", "12:00")
    answer(c, rating=2, otherwise=Otherwise.REGULAR_WORKPLACE, minutes_saved=30, comment="   ")
    d = visit(d1, tove, "2026-03-05", "09:00", "12:00")
    answer(d, declined=True)
    visit(d1, ulla, "2026-03-06", "23:30", "23:59")
    f = visit(d2, sven, "2026-03-05", "13:00", "15:00")
    answer(f, comment="Kallt i rummet.")
    visit(d3, ulla, "2026-03-05", "13:00", "16:00", checked_out=at("2026-03-05", "13:30"))
    # Not counted.
    before = visit(d1, ulla, "2026-03-01", "23:30", "23:59")
    after = visit(d1, ulla, "2026-03-07", "00:30", "01:00")
    no_show = book(
        d2,
        tove,
        at("2026-03-04", "13:00"),
        at("2026-03-04", "15:00"),
        created=at("2026-02-20", "09:00"),
        status=S.RELEASED,
        released=at("2026-03-04", "13:30"),
    )
    elsewhere = visit(other.desks[0], sven, "2026-03-03", "09:00", "12:00")
    for row in (before, after, no_show, elsewhere):
        answer(row, rating=1, comment="Räknas inte.")
    return hub, {"ulla": ulla, "tove": tove, "sven": sven}


def test_the_hand_computed_week(feedback_week):
    hub, people = feedback_week
    result = satisfaction([hub], MON, FRI, now=AFTER)

    assert result.visits == 7  # a b c d e f k
    assert result.responses == 4  # a b c f
    assert result.declined == 1  # d: declined, not a response
    assert result.ratings == {1: 0, 2: 1, 3: 0, 4: 1, 5: 1}
    assert result.otherwise == {"regular_workplace": 2, "home": 1, "other": 0}
    assert (result.minutes_saved_total, result.minutes_saved_answers) == (70, 2)
    assert result.response_rate == pytest.approx(4 / 7)
    assert result.mean_rating == pytest.approx(11 / 3)
    assert result.travel_replaced_share == pytest.approx(2 / 3)
    assert result.minutes_saved_mean == pytest.approx(35)
    # Newest first, by the visit's local date (a began on Monday in Stockholm, Sunday in UTC);
    # the blank comment is left out, and nothing says who wrote what.
    assert result.comments == [
        (date(2026, 3, 5), None, "Kallt i rummet."),
        (date(2026, 3, 2), 5, "Lugnt och bra."),
    ]
    for person in people.values():
        assert person.display_name not in repr(result.comments)
        assert person.email not in repr(result.comments)
    assert result.metric_values() == {
        "mean_rating": pytest.approx(11 / 3),
        "feedback_response_rate": pytest.approx(4 / 7),
        "travel_replaced_share": pytest.approx(2 / 3),
        "minutes_saved": 70,
    }


def test_only_visits_over_by_now_count(feedback_week):
    """On Thursday at 14.00: Sven is still at his desk (f) and Friday's visit (e) has not
    begun; k is over, because its visitor checked out."""
    hub, _ = feedback_week
    result = satisfaction([hub], MON, FRI, now=at("2026-03-05", "14:00"))

    assert result.visits == 5  # a b c d k
    assert (result.responses, result.declined) == (3, 1)
    assert result.comments == [(date(2026, 3, 2), 5, "Lugnt och bra.")]
    assert result.response_rate == pytest.approx(3 / 5)


def test_by_home_organisation(feedback_week, kuf, ssa):
    hub, _ = feedback_week
    guests = satisfaction([hub], MON, FRI, organisation_ids=[kuf.id], now=AFTER)
    assert (guests.visits, guests.responses, guests.declined) == (6, 3, 1)  # not Sven's f
    assert guests.mean_rating == pytest.approx(11 / 3)
    assert [c[2] for c in guests.comments] == ["Lugnt och bra."]

    hosts = satisfaction([hub], MON, FRI, organisation_ids=[ssa.id], now=AFTER)
    assert (hosts.visits, hosts.responses) == (1, 1)
    assert hosts.mean_rating is None  # Sven gave a comment, no rating
    assert hosts.metric_values()["minutes_saved"] is None

    nobody = satisfaction([hub], MON, FRI, organisation_ids=[], now=AFTER)
    assert nobody.visits == 0


def test_by_participant(feedback_week):
    """A pilot's report counts its participants' visits: only they are offered feedback."""
    hub, people = feedback_week
    participants = satisfaction(
        [hub],
        MON,
        FRI,
        person_ids=[person_of(people["ulla"].id), person_of(people["tove"].id)],
        now=AFTER,
    )
    assert (participants.visits, participants.responses, participants.declined) == (6, 3, 1)
    assert participants.response_rate == pytest.approx(3 / 6)  # a b c of a b c d e k
    assert [c[2] for c in participants.comments] == ["Lugnt och bra."]
    assert satisfaction([hub], MON, FRI, person_ids=[], now=AFTER).visits == 0


def test_one_day_periods_follow_local_dates(feedback_week):
    hub, _ = feedback_week
    monday = satisfaction([hub], MON, MON, now=AFTER)
    assert (monday.visits, monday.ratings[5]) == (1, 1)  # a, at 00.30 local time
    sunday = satisfaction([hub], date(2026, 3, 1), date(2026, 3, 1), now=AFTER)
    assert (sunday.visits, sunday.ratings[1]) == (1, 1)  # the visit at 23.30 on Sunday
    saturday = satisfaction([hub], date(2026, 3, 7), date(2026, 3, 7), now=AFTER)
    assert (saturday.visits, saturday.ratings[1]) == (1, 1)


def test_each_hub_in_its_own_time_zone(ssa, kuf):
    """23.30 on 1 March in Stockholm is 00.30 on 2 March in Helsinki: the same moment is
    inside a period from 2 March at a Helsinki hub and outside it at a Stockholm hub."""
    helsinki = hub_with_desks(1, host=ssa, timezone="Europe/Helsinki")
    stockholm = hub_with_desks(1, host=ssa)
    answer(visit(helsinki.desks[0], make_user(kuf), "2026-03-01", "23:30", "23:59"), rating=3)
    answer(visit(stockholm.desks[0], make_user(kuf), "2026-03-01", "23:30", "23:59"), rating=5)

    both = satisfaction([helsinki, stockholm], MON, FRI, now=AFTER)
    assert (both.visits, both.ratings[3], both.ratings[5]) == (1, 1, 0)
    assert both.comments == []
    assert satisfaction([stockholm], MON, FRI, now=AFTER).visits == 0
    day_before = satisfaction([stockholm], date(2026, 3, 1), date(2026, 3, 1), now=AFTER)
    assert day_before.mean_rating == 5


def test_no_feedback_measures_nothing(ssa):
    hub = hub_with_desks(1, host=ssa)
    result = satisfaction([hub], MON, FRI, now=AFTER)
    assert result == Satisfaction()
    assert result.ratings == {1: 0, 2: 0, 3: 0, 4: 0, 5: 0}
    assert result.otherwise == {"regular_workplace": 0, "home": 0, "other": 0}
    assert result.metric_values() == {
        "mean_rating": None,
        "feedback_response_rate": None,
        "travel_replaced_share": None,
        "minutes_saved": None,
    }
    assert satisfaction([], MON, FRI, now=AFTER) == Satisfaction()


def test_the_definitions_resolve_but_stay_out_of_the_occupancy_figures():
    keys = [d.key for d in SATISFACTION_DEFINITIONS]
    assert keys == [
        "mean_rating",
        "feedback_response_rate",
        "travel_replaced_share",
        "minutes_saved",
    ]
    assert {BY_KEY[k].unit for k in keys} == {COUNT, FRACTION}
    assert BY_KEY["feedback_response_rate"].is_rate and not BY_KEY["mean_rating"].is_rate
    assert not set(keys) & {d.key for d in DEFINITIONS}
    assert all(str(BY_KEY[k].name) and str(BY_KEY[k].definition) for k in keys)
