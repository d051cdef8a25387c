"""Visit feedback, the operations: which visits are offered it, answers and "no thanks", once
per booking (the unique constraint deciding a race)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from hubbar.bookings.models import BookingStatus
from hubbar.errors import InvalidInput, NotFound
from hubbar.extensions import db
from hubbar.pilots import feedback as ops
from hubbar.pilots.models import Feedback, Otherwise, Pilot, PilotStatus
from tests.bookings.clock import at
from tests.factories import make_organisation, make_pilot, make_user
from tests.helpers import count, sv
from tests.occupancy.conftest import book, hub_with_desks

NOW = at("2026-03-12", "12:00")  # a Thursday
S = BookingStatus


def visit(desk, user, day, start, end, **kwargs):
    """A booking, checked in at its start and completed unless told otherwise."""
    kwargs.setdefault("checked_in", at(day, start))
    return book(
        desk, user, at(day, start), at(day, end), created=at("2026-02-01", "09:00"), **kwargs
    )


@pytest.fixture()
def place():
    """A hub in a pilot running from 16 February to 15 April 2026, Anna and Erik of KuF its
    participants."""
    kuf = make_organisation(name="Kulturförvaltningen", code="KuF")
    hub = hub_with_desks(3, host=make_organisation(name="Stadsarkivet", code="SSA"))
    hub.admitted_organisations = [kuf]
    db.session.commit()
    anna = make_user(kuf, display_name="Anna Berg", locale="en")
    erik = make_user(kuf, display_name="Erik Sund", locale="en")
    make_pilot(
        [hub],
        guest_organisations=[kuf],
        participants=[anna, erik],
        start_date=date(2026, 2, 16),
        end_date=date(2026, 4, 15),
        status=PilotStatus.RUNNING,
    )
    return hub, anna, erik


def ids(bookings) -> list[int]:
    return [b.id for b in bookings]


def test_offered_visits(place):
    hub, anna, erik = place
    d1, d2, d3 = hub.desks
    done = visit(d1, anna, "2026-03-09", "09:00", "12:00")
    left_early = visit(  # ends at 16.00, but she checked out at 10.00: the visit is over
        d1, anna, "2026-03-12", "08:00", "16:00", checked_out=at("2026-03-12", "10:00")
    )
    just_in_time = visit(d2, anna, "2026-02-26", "12:00", "13:00")  # exactly 14 days ago
    # Not offered:
    visit(d2, anna, "2026-02-26", "11:30", "12:00")  # began more than 14 days ago
    visit(d2, anna, "2026-03-12", "10:00", "14:00", status=S.CHECKED_IN)  # still there
    visit(d3, anna, "2026-03-11", "13:00", "14:00", checked_in=None)  # never checked in
    book(
        d3,
        anna,
        at("2026-03-11", "09:00"),
        at("2026-03-11", "12:00"),
        created=at("2026-03-10", "09:00"),
        status=S.RELEASED,
        released=at("2026-03-11", "09:30"),
    )  # a no-show
    visit(d3, erik, "2026-03-10", "09:00", "12:00")  # Erik's visit, not Anna's

    assert ids(ops.feedback_offers(anna, NOW)) == ids([left_early, done, just_in_time])
    assert ops.offers_feedback(anna, done, NOW)
    assert not ops.offers_feedback(erik, done, NOW)
    # A minute later the visit of 26 February is more than 14 days old.
    later = at("2026-03-12", "12:01")
    assert ids(ops.feedback_offers(anna, later)) == ids([left_early, done])


def test_only_participants_visits_to_a_pilot_hub_during_the_pilot_are_offered(place):
    """Feedback is collected for the pilot's report: from its participants, on their visits to
    its hubs within its period (the hub's local dates), and from nobody else."""
    hub, anna, erik = place
    kuf = anna.organisation
    olle = make_user(kuf, display_name="Olle Ny", locale="en")  # no participant
    elsewhere = hub_with_desks(1, host=hub.host_organisation)  # in no pilot
    short = hub_with_desks(1, host=hub.host_organisation)  # a pilot of 3 to 10 March
    make_pilot(
        [short],
        participants=[anna],
        start_date=date(2026, 3, 3),
        end_date=date(2026, 3, 10),
        status=PilotStatus.ENDED,
    )
    desk = short.desks[0]
    # 00.30 on the first day and 23.30 on the last are in the period, as the hub's clock says
    # (in UTC the first is still 2 March, and 00.30 on 11 March is still 10 March).
    first = visit(desk, anna, "2026-03-03", "00:30", "01:30")
    last = visit(desk, anna, "2026-03-10", "23:30", "23:45")
    before = visit(desk, anna, "2026-03-02", "23:00", "23:59")
    after = visit(desk, anna, "2026-03-11", "00:30", "01:00")
    not_a_pilot_hub = visit(elsewhere.desks[0], anna, "2026-03-09", "09:00", "12:00")
    not_a_participant = visit(hub.desks[0], olle, "2026-03-09", "09:00", "12:00")
    participant = visit(hub.desks[1], erik, "2026-03-09", "09:00", "12:00")

    assert ids(ops.feedback_offers(anna, NOW)) == ids([last, first])
    assert ops.feedback_offers(olle, NOW) == []
    assert ids(ops.feedback_offers(erik, NOW)) == [participant.id]
    for user, booking in (
        (anna, before),
        (anna, after),
        (anna, not_a_pilot_hub),
        (olle, not_a_participant),
    ):
        assert not ops.offers_feedback(user, booking, NOW)
        with pytest.raises(InvalidInput) as error:
            ops.give_feedback(
                user, booking.id, rating=4, comment="", otherwise=None, minutes_saved=None, now=NOW
            )
        assert error.value.code == "not_in_pilot"
        with pytest.raises(InvalidInput) as error:
            ops.decline_feedback(user, booking.id, NOW)
        assert error.value.code == "not_in_pilot"
    assert count(Feedback) == 0

    # Once Olle takes part, his visit during the pilot is offered too.
    pilot = db.session.scalar(select(Pilot).where(Pilot.hubs.any(id=hub.id)))
    pilot.participants = [*pilot.participants, olle]
    db.session.commit()
    assert ids(ops.feedback_offers(olle, NOW)) == [not_a_participant.id]


def test_a_visit_ending_now_is_over(place):
    hub, anna, _ = place
    ending = visit(hub.desks[0], anna, "2026-03-12", "09:00", "12:00", status=S.CHECKED_IN)
    assert ids(ops.feedback_offers(anna, NOW)) == [ending.id]
    assert ops.feedback_offers(anna, at("2026-03-12", "11:59")) == []


def test_at_most_three_offers_newest_first(place):
    hub, anna, _ = place
    days = ["2026-03-05", "2026-03-09", "2026-03-06", "2026-03-10"]
    visits = {day: visit(hub.desks[0], anna, day, "09:00", "11:00") for day in days}
    offers = ops.feedback_offers(anna, NOW)
    assert ids(offers) == ids([visits["2026-03-10"], visits["2026-03-09"], visits["2026-03-06"]])
    assert ops.offers_feedback(anna, visits["2026-03-05"], NOW)  # still on its own page


def test_give_feedback_saves_the_answers_once(place):
    hub, anna, _ = place
    done = visit(hub.desks[0], anna, "2026-03-09", "09:00", "12:00")

    ops.give_feedback(
        anna,
        done.id,
        rating=4,
        comment="  Lugnt och bra skärm.  ",
        otherwise="regular_workplace",
        minutes_saved=45,
        now=NOW,
    )
    row = db.session.scalar(select(Feedback))
    assert (row.booking_id, row.declined, row.rating) == (done.id, False, 4)
    assert (row.comment, row.otherwise, row.minutes_saved) == (
        "Lugnt och bra skärm.",
        Otherwise.REGULAR_WORKPLACE,
        45,
    )
    assert row.created_at == NOW
    assert ops.feedback_offers(anna, NOW) == []
    assert not ops.offers_feedback(anna, done, NOW)

    with pytest.raises(InvalidInput) as error:
        ops.give_feedback(
            anna, done.id, rating=1, comment="", otherwise=None, minutes_saved=None, now=NOW
        )
    assert str(error.value) == sv("You have already given feedback on this visit.")
    with pytest.raises(InvalidInput) as error:
        ops.decline_feedback(anna, done.id, NOW)
    assert error.value.code == "already_given"
    assert count(Feedback) == 1
    assert db.session.scalar(select(Feedback.rating)) == 4


def test_every_answer_is_optional_but_one_is_given(place):
    hub, anna, _ = place
    done = visit(hub.desks[0], anna, "2026-03-09", "09:00", "12:00")
    with pytest.raises(InvalidInput) as error:
        ops.give_feedback(
            anna, done.id, rating=None, comment="   ", otherwise="", minutes_saved=None, now=NOW
        )
    assert error.value.code == "no_answers"
    assert count(Feedback) == 0

    ops.give_feedback(
        anna, done.id, rating=None, comment=None, otherwise=None, minutes_saved=0, now=NOW
    )
    row = db.session.scalar(select(Feedback))
    assert (row.rating, row.comment, row.otherwise, row.minutes_saved) == (None, "", None, 0)


@pytest.mark.parametrize(
    ("answers", "field"),
    [
        ({"rating": 0}, "rating"),
        ({"rating": 6}, "rating"),
        ({"rating": True}, "rating"),
        ({"rating": "5"}, "rating"),
        ({"minutes_saved": -1}, "minutes_saved"),
        ({"minutes_saved": 601}, "minutes_saved"),
        ({"minutes_saved": 30.5}, "minutes_saved"),
        ({"comment": "x" * 2001}, "comment"),
        ({"comment": "a\x00b"}, "comment"),
        ({"otherwise": "bus"}, "otherwise"),
    ],
)
def test_bad_answers_are_refused_and_nothing_is_saved(place, answers, field):
    hub, anna, _ = place
    done = visit(hub.desks[0], anna, "2026-03-09", "09:00", "12:00")
    values = {"rating": 4, "comment": "", "otherwise": None, "minutes_saved": None, **answers}
    with pytest.raises(InvalidInput) as error:
        ops.give_feedback(anna, done.id, now=NOW, **values)
    assert error.value.field == field
    assert count(Feedback) == 0


def test_the_limits_themselves_are_fine(place):
    hub, anna, _ = place
    done = visit(hub.desks[0], anna, "2026-03-09", "09:00", "12:00")
    ops.give_feedback(
        anna,
        done.id,
        rating=1,
        comment="y" * 2000,
        otherwise=Otherwise.OTHER,
        minutes_saved=600,
        now=NOW,
    )
    row = db.session.scalar(select(Feedback))
    assert (row.rating, len(row.comment), row.minutes_saved) == (1, 2000, 600)


def test_no_thanks_is_never_offered_again(place):
    hub, anna, _ = place
    done = visit(hub.desks[0], anna, "2026-03-09", "09:00", "12:00")

    ops.decline_feedback(anna, done.id, NOW)
    row = db.session.scalar(select(Feedback))
    assert (row.declined, row.rating, row.otherwise, row.minutes_saved) == (True, None, None, None)
    assert ops.feedback_offers(anna, NOW) == []
    assert not ops.offers_feedback(anna, done, NOW)

    assert ops.decline_feedback(anna, done.id, NOW).id == row.id  # a double click is no error
    with pytest.raises(InvalidInput) as error:
        ops.give_feedback(
            anna, done.id, rating=5, comment="", otherwise=None, minutes_saved=None, now=NOW
        )
    assert str(error.value) == sv("You have already given feedback on this visit.")
    assert count(Feedback) == 1


def test_only_the_visitor_can_answer(place):
    hub, anna, erik = place
    done = visit(hub.desks[0], anna, "2026-03-09", "09:00", "12:00")
    for call in (
        lambda: ops.give_feedback(
            erik, done.id, rating=1, comment="", otherwise=None, minutes_saved=None, now=NOW
        ),
        lambda: ops.decline_feedback(erik, done.id, NOW),
        lambda: ops.feedback_booking(anna, done.id + 1000, NOW),
    ):
        with pytest.raises(NotFound):
            call()
    assert count(Feedback) == 0


@pytest.mark.parametrize(
    ("kind", "code"),
    [
        ("not_checked_in", "not_checked_in"),
        ("ongoing", "not_over"),
        ("old", "too_old"),
        ("not_a_pilot_hub", "not_in_pilot"),
    ],
)
def test_visits_not_offered_cannot_be_answered(place, kind, code):
    hub, anna, _ = place
    desk = hub.desks[0]
    booking = {
        "not_checked_in": lambda: visit(
            desk, anna, "2026-03-09", "09:00", "12:00", checked_in=None
        ),
        "ongoing": lambda: visit(desk, anna, "2026-03-12", "11:00", "14:00", status=S.CHECKED_IN),
        "old": lambda: visit(desk, anna, "2026-02-20", "09:00", "12:00"),
        "not_a_pilot_hub": lambda: visit(
            hub_with_desks(1).desks[0], anna, "2026-03-09", "09:00", "12:00"
        ),
    }[kind]()
    for call in (
        lambda: ops.give_feedback(
            anna, booking.id, rating=5, comment="", otherwise=None, minutes_saved=None, now=NOW
        ),
        lambda: ops.decline_feedback(anna, booking.id, NOW),
    ):
        with pytest.raises(InvalidInput) as error:
            call()
        assert error.value.code == code
    assert count(Feedback) == 0


def test_two_answers_at_once_save_one(place, monkeypatch):
    """Both requests pass the check before either saves: the unique booking_id refuses the
    second, which is told the same as if the check had caught it."""
    hub, anna, _ = place
    done = visit(hub.desks[0], anna, "2026-03-09", "09:00", "12:00")
    db.session.add(Feedback(booking_id=done.id, rating=5))  # the other request, just saved
    db.session.commit()
    monkeypatch.setattr(ops, "feedback_booking", lambda user, booking_id, now=None: done)

    with pytest.raises(InvalidInput) as error:
        ops.give_feedback(
            anna, done.id, rating=2, comment="", otherwise=None, minutes_saved=None, now=NOW
        )
    assert str(error.value) == sv("You have already given feedback on this visit.")
    with pytest.raises(InvalidInput) as error:  # "no thanks" racing an answer
        ops.decline_feedback(anna, done.id, NOW)
    assert error.value.code == "already_given"
    # The session was rolled back and works; the first answer stands.
    assert db.session.scalars(select(Feedback.rating)).all() == [5]
