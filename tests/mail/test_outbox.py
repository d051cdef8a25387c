"""Queueing: a message is saved with the change that caused it, once per dedupe key, and only
to users who want it."""

from __future__ import annotations

import base64
import json

import pytest
from sqlalchemy import select

from hubbar.errors import InvalidInput
from hubbar.extensions import db
from hubbar.hubs.models import Hub
from hubbar.mail import operations as mail
from hubbar.mail.models import OutboxMessage, OutboxStatus
from tests.bookings.clock import at, frozen
from tests.factories import make_hub, make_user
from tests.helpers import count, reload


def outbox() -> list[OutboxMessage]:
    db.session.rollback()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


@frozen("2026-12-01", "09:00")
def test_a_message_is_saved_with_the_change_that_caused_it():
    user = make_user(locale="en")
    hub = make_hub(name="Kungsklippan 6")
    hub.name = "Kungsklippan 6A"  # the change
    ics = mail.Attachment("booking.ics", "text/calendar; method=REQUEST; charset=utf-8", b"ICS")
    message = mail.queue(
        "confirmation",
        user,
        subject="Booking confirmed",
        text="Desk D1",
        html="<p>Desk D1</p>",
        attachments=[ics],
        locale="sv",  # the user's own choice wins
    )
    assert message is not None
    db.session.commit()
    [saved] = outbox()
    assert db.session.get(Hub, hub.id).name == "Kungsklippan 6A"
    assert (saved.kind, saved.recipient, saved.user_id, saved.locale) == (
        "confirmation",
        user.email,
        user.id,
        "en",
    )
    assert (saved.subject, saved.text_body, saved.html_body) == (
        "Booking confirmed",
        "Desk D1",
        "<p>Desk D1</p>",
    )
    assert json.loads(saved.attachments) == [
        {
            "filename": "booking.ics",
            "mimetype": "text/calendar; method=REQUEST; charset=utf-8",
            "content": base64.b64encode(b"ICS").decode(),
        }
    ]
    assert mail.decode_attachments(saved) == [ics]
    assert saved.status is OutboxStatus.PENDING
    assert saved.attempts == 0
    assert saved.next_attempt_at == at("2026-12-01", "09:00")
    assert saved.claimed_until is None and saved.sent_at is None


@pytest.mark.parametrize("dedupe_key", [None, "reminder:1"])
def test_a_rolled_back_change_queues_nothing(dedupe_key):
    user = make_user()
    hub = make_hub(name="Kungsklippan 6")
    hub.name = "Renamed"
    queued = mail.queue("reminder", user, subject="S", text="T", dedupe_key=dedupe_key)
    assert queued is not None
    db.session.rollback()
    assert count(OutboxMessage) == 0
    assert reload(hub).name == "Kungsklippan 6"


def test_a_message_alone_in_its_transaction_is_rolled_back_too():
    """Nothing else pending: the dedupe insert itself must open the transaction (SQLite)."""
    user = make_user()
    db.session.commit()
    assert mail.queue("reminder", user, subject="S", text="T", dedupe_key="k") is not None
    db.session.rollback()
    assert count(OutboxMessage) == 0


def test_a_dedupe_key_queues_once():
    user = make_user()
    first = mail.queue("reminder", user, subject="S", text="T", dedupe_key="reminder:7")
    again = mail.queue("reminder", user, subject="S", text="T", dedupe_key="reminder:7")
    assert first is not None and again is None
    db.session.commit()
    later = mail.queue("reminder", user, subject="S", text="T", dedupe_key="reminder:7")
    other = mail.queue("reminder", user, subject="S", text="T", dedupe_key="reminder:8")
    assert later is None and other is not None
    db.session.commit()
    assert [m.dedupe_key for m in outbox()] == ["reminder:7", "reminder:8"]


def test_a_dedupe_key_keeps_the_callers_other_changes():
    user = make_user()
    mail.queue("reminder", user, subject="S", text="T", dedupe_key="reminder:1")
    db.session.commit()
    user.display_name = "Anna Andersson"
    assert mail.queue("reminder", user, subject="S", text="T", dedupe_key="reminder:1") is None
    db.session.commit()
    assert reload(user).display_name == "Anna Andersson"
    assert count(OutboxMessage) == 1


def test_an_address_without_a_user():
    message = mail.queue("invitation", "  ny@example.org ", subject="Welcome", text="Link")
    db.session.commit()
    assert (reload(message).recipient, message.user_id, message.locale) == (
        "ny@example.org",
        None,
        "sv",
    )


@pytest.mark.parametrize("address", ["", "   ", "no-at-sign", "a b@example.org", "a@x\r\nBcc: b"])
def test_a_bad_address_is_refused(address):
    with pytest.raises(InvalidInput) as refused:
        mail.queue("invitation", address, subject="S", text="T")
    assert refused.value.field == "email"
    assert count(OutboxMessage) == 0


def test_a_subject_is_one_line():
    message = mail.queue("invitation", "a@example.org", subject="Hello\r\nBcc: x@y.z", text="T")
    assert message.subject == "Hello Bcc: x@y.z"


def test_an_inactive_user_gets_nothing():
    user = make_user(active=False)
    assert mail.queue("confirmation", user, subject="S", text="T") is None
    db.session.commit()
    assert count(OutboxMessage) == 0


def test_preferences_turn_off_only_optional_messages():
    user = make_user()
    assert all(mail.wants(user, kind) for kind in (*mail.OPTIONAL_KINDS, "confirmation"))
    mail.set_preferences(user, {"reminder", "report_ready"})
    assert reload(user).mail_off == "reminder,report_ready"
    assert not mail.wants(user, "reminder")
    assert not mail.wants(user, "report_ready")
    assert mail.wants(user, "checkin_reminder")
    assert mail.wants(user, "confirmation")
    assert mail.queue("reminder", user, subject="S", text="T") is None
    assert mail.queue("checkin_reminder", user, subject="S", text="T") is not None
    db.session.commit()
    assert [m.kind for m in outbox()] == ["checkin_reminder"]

    mail.set_preferences(user, set())
    assert reload(user).mail_off == ""
    assert mail.wants(user, "reminder")


def test_the_released_notice_cannot_be_turned_off():
    """It carries the CANCEL that takes the booking out of the calendar. A setting stored
    while it could be turned off no longer counts."""
    user = make_user(mail_off="released,reminder")
    assert mail.turned_off(user) == {"reminder"}
    assert mail.wants(user, "released")
    with pytest.raises(InvalidInput) as refused:
        mail.set_preferences(user, {"released"})
    assert refused.value.field == "mail_off"
    assert reload(user).mail_off == "released,reminder"


@pytest.mark.parametrize("off", [{"confirmation"}, {"reminder", "nonsense"}, {"released"}])
def test_only_optional_messages_can_be_turned_off(off):
    user = make_user(mail_off="pilot_ending")
    with pytest.raises(InvalidInput) as refused:
        mail.set_preferences(user, off)
    assert refused.value.field == "mail_off"
    assert reload(user).mail_off == "pilot_ending"
    assert mail.wants(user, "confirmation")  # a confirmation always goes, whatever is stored
