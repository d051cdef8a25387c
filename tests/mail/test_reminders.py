"""Reminders: the afternoon before a booking (16.00 at the hub unless configured), and a
check-in reminder at the start when check-in is required; each once, however often the job
runs, none for someone who turned them off, and none that still waits when its booking is
cancelled, moved, released or checked in. A run costs a few queries, not a few per booking."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select

from hubbar import jobs
from hubbar.bookings import operations as ops
from hubbar.extensions import db
from hubbar.mail import messages
from hubbar.mail import operations as mail
from hubbar.mail.models import OutboxMessage, OutboxStatus
from tests.bookings.clock import at, frozen
from tests.factories import make_hub, make_user
from tests.helpers import sv

DAY = "2026-12-01"  # a Tuesday; the reminder is due Monday 30 November at 16.00


@pytest.fixture()
def hub():
    return make_hub(desks=3, name="Kungsklippan 6")


@pytest.fixture()
def anna(hub):
    return make_user(
        hub.host_organisation, email="anna@example.org", display_name="Anna Berg", locale="en"
    )


def book(user, desk, day=DAY, start="09:00", end="12:00", made=("2026-11-27", "10:00")):
    with frozen(*made):
        return ops.book(user, user, desk, at(day, start), at(day, end))


def reminders(day: str, hhmm: str) -> int:
    with frozen(day, hhmm):
        return messages.send_reminders()


def queued(kind: str | None = None) -> list[OutboxMessage]:
    db.session.rollback()
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if kind is not None:
        query = query.where(OutboxMessage.kind == kind)
    return list(db.session.scalars(query))


def plain(message) -> str:
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")


def test_the_reminder_goes_the_afternoon_before_once(smtp_server, hub, anna):
    booking = book(anna, hub.desks[0])
    assert reminders("2026-11-30", "15:55") == 0
    assert reminders("2026-11-30", "16:00") == 1
    assert reminders("2026-11-30", "16:05") == 0  # the job again: nothing new
    assert reminders("2026-12-01", "08:55") == 0
    [reminder] = queued("reminder")
    assert reminder.dedupe_key == f"reminder:{booking.id}:{booking.starts_at.isoformat()}"

    mail.send_due(now=at("2026-11-30", "16:06"))
    [message] = [m for m in smtp_server.messages if m["Subject"].startswith("Reminder")]
    assert message["To"] == "anna@example.org"
    assert message["Subject"] == "Reminder: Kungsklippan 6, 2026-12-01 09:00–12:00"
    body = plain(message)
    assert body.startswith("Your booking is coming up\n")
    assert "If you cannot come, cancel the booking so that someone else can sit there." in body
    assert "When: Tuesday 2026-12-01, 09:00–12:00\n" in body
    assert f"http://localhost:5000/bookings/{booking.id}\n" in body
    assert "Choose which e-mails you get: http://localhost:5000/profile/mail" in body
    assert (
        '<a href="http://localhost:5000/profile/mail">' in message.get_body(("html",)).get_content()
    )
    assert not list(message.iter_attachments())


def test_a_swedish_user_gets_the_reminder_in_swedish(smtp_server, hub):
    erik = make_user(hub.host_organisation, email="erik@example.org", locale="sv")
    book(erik, hub.desks[0], start="13:00", end="15:00")
    assert reminders("2026-11-30", "16:00") == 1
    mail.send_due(now=at("2026-11-30", "16:01"))
    [message] = [m for m in smtp_server.messages if m["To"] == "erik@example.org"][1:]
    assert message["Content-Language"] == "sv"
    assert "2026-12-01 13.00–15.00" in message["Subject"]
    assert f"{sv('When')}: Tisdag 2026-12-01, 13.00–15.00\n" in plain(message)


def test_the_job_wrapper_queues_each_reminder_once(app, smtp_server, hub, anna):
    book(anna, hub.desks[0])
    with frozen("2026-11-30", "16:00"):
        assert jobs.send_reminders(app) == 1
        assert jobs.send_reminders(app) == 0
    mail.send_due(now=at("2026-11-30", "16:01"))
    mail.send_due(now=at("2026-11-30", "16:30"))
    subjects = [m["Subject"] for m in smtp_server.messages]
    assert subjects.count("Reminder: Kungsklippan 6, 2026-12-01 09:00–12:00") == 1


def test_the_reminder_time_is_configurable_and_hub_local(app, hub, anna):
    saved = app.config["HUBBAR_REMINDER_TIME"]
    app.config["HUBBAR_REMINDER_TIME"] = "18:30"
    try:
        book(anna, hub.desks[0])
        assert reminders("2026-11-30", "18:29") == 0
        assert reminders("2026-11-30", "18:30") == 1
    finally:
        app.config["HUBBAR_REMINDER_TIME"] = saved


def test_a_bad_reminder_time_falls_back_to_four_in_the_afternoon(app, hub, anna):
    saved = app.config["HUBBAR_REMINDER_TIME"]
    app.config["HUBBAR_REMINDER_TIME"] = "teatime"
    try:
        book(anna, hub.desks[0])
        assert reminders("2026-11-30", "15:59") == 0
        assert reminders("2026-11-30", "16:00") == 1
    finally:
        app.config["HUBBAR_REMINDER_TIME"] = saved


def test_no_reminder_for_someone_who_turned_it_off(hub, anna):
    mail.set_preferences(anna, {"reminder"})
    book(anna, hub.desks[0])
    assert reminders("2026-11-30", "16:00") == 0
    assert queued("reminder") == []


def test_no_reminder_for_a_booking_made_after_it_was_due_or_cancelled(hub, anna):
    erik = make_user(hub.host_organisation)
    late = book(anna, hub.desks[0], made=("2026-11-30", "17:00"))
    cancelled = book(erik, hub.desks[1])
    with frozen("2026-11-28", "09:00"):
        ops.cancel(erik, cancelled)
    assert reminders("2026-11-30", "17:05") == 0
    assert late.id is not None and queued("reminder") == []


def test_only_bookings_of_the_next_two_days_are_read(hub, anna):
    """A reminder due now for a booking far ahead cannot exist; the job reads a bounded window
    (here the booking of 3 December is not even looked at on 30 November)."""
    book(anna, hub.desks[0], day="2026-12-03")
    assert reminders("2026-11-30", "16:00") == 0
    assert reminders("2026-12-02", "16:00") == 1


def test_the_checkin_reminder_goes_at_the_start_once(smtp_server, hub, anna):
    booking = book(anna, hub.desks[0])
    reminders("2026-11-30", "16:00")  # the afternoon-before reminder
    assert reminders(DAY, "08:59") == 0
    assert reminders(DAY, "09:00") == 1
    assert reminders(DAY, "09:05") == 0
    [checkin] = queued("checkin_reminder")
    assert checkin.dedupe_key == f"checkin_reminder:{booking.id}:{booking.starts_at.isoformat()}"
    mail.send_due(now=at(DAY, "09:06"))
    [message] = [m for m in smtp_server.messages if m["Subject"].startswith("Check in")]
    assert message["Subject"] == "Check in: D1, Kungsklippan 6"
    body = plain(message)
    assert body.startswith("Your booking starts now\n")
    assert (
        "Check in at the desk from 08:45. If nobody has checked in by 09:30, the desk is "
        "released for others." in body
    )


def test_no_checkin_reminder_when_checked_in_not_required_or_too_late(hub, anna):
    erik, sara = make_user(hub.host_organisation), make_user(hub.host_organisation)
    there = book(anna, hub.desks[0])
    book(erik, hub.desks[1], start="10:00")
    no_checkin = make_hub(host=sara.organisation, desks=1, checkin_required=False)
    book(sara, no_checkin.desks[0])
    with frozen(DAY, "08:50"):
        ops.check_in(anna, there)
    reminders(DAY, "09:00")  # Anna is in; Sara's hub needs no check-in
    reminders(DAY, "10:30")  # Erik's check-in closed at 10.30: too late
    assert queued("checkin_reminder") == []
    # Erik's reminder of the afternoon before, never sent while the job was not running,
    # still goes before his start.
    assert [m.recipient for m in queued("reminder")] == [erik.email]


def test_no_checkin_reminder_for_someone_who_turned_it_off(hub, anna):
    mail.set_preferences(anna, {"checkin_reminder"})
    book(anna, hub.desks[0])
    assert reminders(DAY, "09:00") == 0


# --- a reminder and the changes to its booking ---------------------------------------------


def reminder_subjects(smtp_server) -> list[str]:
    return [m["Subject"] for m in smtp_server.messages if not m["Subject"].startswith("Booked")]


def test_a_waiting_reminder_is_withdrawn_when_the_booking_is_cancelled(smtp_server, hub, anna):
    booking = book(anna, hub.desks[0])
    mail.send_due(now=at("2026-11-27", "10:01"))  # the confirmation
    with frozen("2026-11-30", "16:05"):
        assert messages.send_reminders() == 1
        ops.cancel(anna, booking)  # before the worker's next run
    assert [m.kind for m in queued()] == ["booking_confirmed", "booking_cancelled"]
    mail.send_due(now=at("2026-11-30", "16:06"))
    assert reminder_subjects(smtp_server) == ["Cancelled: Kungsklippan 6, 2026-12-01 09:00–12:00"]


def test_a_waiting_reminder_is_withdrawn_when_the_booking_is_moved(smtp_server, hub, anna):
    """The reminder named the old time; the job queues one for the new time."""
    booking = book(anna, hub.desks[0], day="2026-12-02")
    with frozen("2026-12-01", "16:00"):
        assert messages.send_reminders() == 1
    with frozen("2026-12-01", "16:01"):
        ops.change(anna, booking, at("2026-12-03", "09:00"), at("2026-12-03", "12:00"))
    assert [m.kind for m in queued()] == ["booking_confirmed", "booking_changed"]
    assert reminders("2026-12-02", "16:00") == 1
    [reminder] = queued("reminder")
    assert reminder.subject == "Reminder: Kungsklippan 6, 2026-12-03 09:00–12:00"


def test_no_reminder_right_after_a_change_made_when_it_was_due(hub, anna):
    """Moved at 17.00 the day before to 09.00 tomorrow: the change e-mail has just told the new
    time, so the reminder due at 16.00 is not sent after it."""
    booking = book(anna, hub.desks[0], day="2026-12-03")
    with frozen("2026-11-30", "17:00"):
        ops.change(anna, booking, at(DAY, "09:00"), at(DAY, "12:00"))
    assert reminders("2026-11-30", "17:05") == 0
    assert reminders(DAY, "08:55") == 0
    assert queued("reminder") == []


def test_a_booking_moved_before_its_reminder_was_due_gets_it(hub, anna):
    booking = book(anna, hub.desks[0], day="2026-12-03")
    with frozen("2026-11-30", "10:00"):
        ops.change(anna, booking, at(DAY, "09:00"), at(DAY, "12:00"))
    assert reminders("2026-11-30", "16:00") == 1


def test_a_waiting_checkin_reminder_is_withdrawn_at_check_in_and_release(hub, anna):
    erik = make_user(hub.host_organisation)
    there = book(anna, hub.desks[0])
    absent = book(erik, hub.desks[1])
    assert reminders(DAY, "09:00") == 2  # the worker has not sent them yet
    with frozen(DAY, "09:01"):
        ops.check_in(anna, there)
    assert [m.recipient for m in queued("checkin_reminder")] == [erik.email]
    with frozen(DAY, "09:30"):
        assert ops.release_no_shows() == [absent]
    assert queued("checkin_reminder") == []
    assert [m.recipient for m in queued("released")] == [erik.email]


def test_a_reminder_already_sent_or_being_sent_stays(hub, anna):
    """Only a reminder still waiting is withdrawn: one that went (or that a worker is sending
    now) is history."""
    erik = make_user(hub.host_organisation)
    sent = book(anna, hub.desks[0])
    sending = book(erik, hub.desks[1])
    assert reminders("2026-11-30", "16:00") == 2
    anna_reminder, erik_reminder = queued("reminder")
    anna_reminder.status = OutboxStatus.SENT
    erik_reminder.claimed_until = at("2026-11-30", "16:06")
    db.session.commit()
    with frozen("2026-11-30", "16:01"):
        ops.cancel(anna, sent)
        ops.cancel(erik, sending)
    assert len(queued("reminder")) == 2


# --- cost of a run -------------------------------------------------------------------------


def statements_of(run) -> int:
    """How many SQL statements ``run()`` sends to the database."""
    count = 0

    def counted(*_args):
        nonlocal count
        count += 1

    db.session.expunge_all()  # nothing loaded beforehand: every object is read by the run
    event.listen(db.engine, "before_cursor_execute", counted)
    try:
        run()
    finally:
        event.remove(db.engine, "before_cursor_execute", counted)
    return count


@pytest.mark.parametrize("bookings", [2, 10])
def test_a_run_costs_a_few_queries_however_many_bookings(hub, bookings):
    """The bookings are read with their hub, desk and booker, and the reminders queued before
    are looked up at once: a run that queues nothing costs the same for 2 or 10 bookings, and
    each reminder queued costs its insert and its read back."""
    big = make_hub(host=hub.host_organisation, desks=10)
    for n in range(bookings):
        user = make_user(big.host_organisation)
        book(user, big.desks[n])
    with frozen("2026-11-30", "16:00"):
        first = statements_of(messages.send_reminders)
    with frozen("2026-11-30", "16:05"):
        again = statements_of(messages.send_reminders)
    assert len(queued("reminder")) == bookings
    assert again <= 10
    assert first <= again + 2 * bookings
