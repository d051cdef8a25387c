"""What the mail part does: queue a message with the change that caused it, and send what is
due (the worker behind the ``send_mail`` job and ``flask hubbar send-mail``).

A message is added to the caller's session and committed with the caller's change, so a change
that is rolled back sends nothing. The worker claims due messages in one commit, sends each
outside any transaction, and records the outcome of each in its own commit.

A message the server cannot take now (the server unreachable, a login or TLS failure, a 4xx
answer) is tried again with a growing pause, for ``HUBBAR_MAIL_GIVE_UP_HOURS`` (72) after it
was queued: an outage of a weekend loses nothing. A message the server refuses for good (a 5xx
answer to its recipient or content) fails at once. ``retry_failed`` puts failed messages back.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import NamedTuple

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import OperationalError

from hubbar.accounts.models import User
from hubbar.db import utcnow
from hubbar.errors import InvalidInput
from hubbar.extensions import db
from hubbar.mail import transport
from hubbar.mail.models import OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)

# The messages a user may turn off. Confirmations, changes, cancellations, released bookings
# (their calendar CANCEL takes the event out of Outlook), bookings made on someone's behalf,
# invitations and password resets always go.
OPTIONAL_KINDS: tuple[str, ...] = (
    "reminder",
    "checkin_reminder",
    "pilot_ending",
    "report_ready",
)

# How long a worker holds the messages it claimed; after that another run may take them over
# (a worker that died mid-run).
CLAIM_FOR = timedelta(minutes=5)
MAX_BACKOFF_MINUTES = 60
# How long a message that cannot be delivered is tried again, unless HUBBAR_MAIL_GIVE_UP_HOURS
# says otherwise: long enough for a mail server that is down over a weekend.
GIVE_UP_HOURS = 72
MAX_SUBJECT = 300
MAX_ERROR = 500


@dataclass(frozen=True)
class Attachment:
    filename: str
    mimetype: str  # the full Content-Type, e.g. "text/calendar; method=REQUEST; charset=utf-8"
    content: bytes


# --- preferences ---------------------------------------------------------------------------


def turned_off(user: User) -> set[str]:
    """The optional kinds ``user`` has turned off (a stored kind that can no longer be turned
    off, such as the released notice, does not count)."""
    stored = {kind.strip() for kind in (user.mail_off or "").split(",")}
    return stored & set(OPTIONAL_KINDS)


def wants(user: User, kind: str) -> bool:
    """Whether ``user`` gets messages of ``kind`` (only optional kinds can be turned off)."""
    return kind not in OPTIONAL_KINDS or kind not in turned_off(user)


def set_preferences(user: User, off: set[str]) -> None:
    """Turn off exactly the optional kinds in ``off`` for ``user`` (the others on)."""
    off = {str(kind).strip() for kind in off}
    unknown = sorted(off - set(OPTIONAL_KINDS))
    if unknown:
        raise InvalidInput(
            _("These messages cannot be turned off: %(kinds)s", kinds=", ".join(unknown)),
            field="mail_off",
        )
    user.mail_off = ",".join(sorted(off))
    db.session.commit()


# --- queueing ------------------------------------------------------------------------------


def queue(
    kind: str,
    recipient: User | str,
    *,
    subject: str,
    text: str,
    html: str = "",
    attachments: Iterable[Attachment] = (),
    locale: str = "sv",
    dedupe_key: str | None = None,
) -> OutboxMessage | None:
    """Queue a message in the current session, without committing: it goes with the change
    that caused it. ``recipient`` is a User (its address, id and locale are used; an inactive
    user, or one who turned ``kind`` off, gets nothing) or an address. With ``dedupe_key``, a
    message whose key was queued before is not queued again. Returns the message, or None when
    nothing was queued."""
    if isinstance(recipient, User):
        if not recipient.active or not wants(recipient, kind):
            return None
        if recipient.id is None:
            db.session.flush()
        address, user_id, locale = recipient.email, recipient.id, recipient.locale or locale
    else:
        address, user_id = (recipient or "").strip(), None
    if not address or "@" not in address or any(c.isspace() for c in address):
        raise InvalidInput(_("Enter a valid e-mail address."), field="email")
    values = {
        "kind": kind,
        "user_id": user_id,
        "recipient": address,
        "locale": locale if locale in ("sv", "en") else "sv",
        # A header is one line: line breaks in a subject would be refused when sending.
        "subject": " ".join(subject.split())[:MAX_SUBJECT],
        "text_body": text,
        "html_body": html or "",
        "attachments": _encode_attachments(attachments),
        "dedupe_key": dedupe_key,
    }
    if dedupe_key is None:
        message = OutboxMessage(**values)
        db.session.add(message)
        return message
    return _queue_once(values)


def _queue_once(values: dict) -> OutboxMessage | None:
    """Insert unless the key exists, in one statement (INSERT … ON CONFLICT DO NOTHING): safe
    against a concurrent insert of the same key, and part of the caller's transaction. (A
    SAVEPOINT would do on PostgreSQL, but pysqlite does not open a transaction before a
    SAVEPOINT, so on SQLite a rollback of the caller's change would not undo the message.)"""
    db.session.flush()  # the caller's pending changes first (and a message queued just before)
    table = OutboxMessage.__table__
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    insert = postgresql_insert if postgresql else sqlite_insert
    statement = (
        insert(table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=[table.c.dedupe_key])
        .returning(table.c.id)
    )
    new_id = db.session.execute(statement).scalar()
    return db.session.get(OutboxMessage, new_id) if new_id is not None else None


def _encode_attachments(attachments: Iterable[Attachment]) -> str:
    return json.dumps(
        [
            {
                "filename": a.filename,
                "mimetype": a.mimetype,
                "content": base64.b64encode(a.content).decode("ascii"),
            }
            for a in attachments
        ]
    )


def decode_attachments(message: OutboxMessage) -> list[Attachment]:
    """The attachments stored with ``message``."""
    return [
        Attachment(a["filename"], a["mimetype"], base64.b64decode(a["content"]))
        for a in json.loads(message.attachments or "[]")
    ]


def as_email(message: OutboxMessage):
    """The ``email.message.EmailMessage`` that ``message`` is sent as."""
    sender = current_app.config["HUBBAR_MAIL_SENDER"]
    stamp = message.created_at.strftime("%Y%m%d%H%M%S") if message.created_at else "0"
    return transport.build_message(
        sender=sender,
        recipient=message.recipient,
        subject=message.subject,
        text=message.text_body,
        html=message.html_body,
        attachments=decode_attachments(message),
        locale=message.locale,
        message_id=transport.make_message_id(f"hubbar.{message.id}.{stamp}", sender),
    )


# --- sending -------------------------------------------------------------------------------


class Claimed(NamedTuple):
    """A message claimed by this run: its id, how the log names it (``described``) and the
    e-mail to send (None: it could not be built)."""

    message_id: int
    label: str
    email: EmailMessage | None


def described(message: OutboxMessage) -> str:
    """How the log names a message: ``Mail #12 (reminder, user 7)`` (``user -``: an address
    without an account). Never its address or subject: the log is kept and shipped elsewhere,
    and the people in it are named by id only (as in hubbar.observability's request lines);
    the outbox row has the rest, for an admin."""
    return f"Mail #{message.id} ({message.kind}, user {message.user_id or '-'})"


def _without_address(reason: str, message: OutboxMessage) -> str:
    """``reason`` for the log, with the recipient's address (which an SMTP server's answer
    often quotes: "550 5.1.1 <anna@example.org>: no such user") replaced."""
    if not message.recipient:
        return reason
    return re.sub(re.escape(message.recipient), "<recipient>", reason, flags=re.IGNORECASE)


@dataclass
class SendResult:
    sent: int
    retried: int  # failed this time, tried again later
    failed: int  # refused for good, or given up after HUBBAR_MAIL_GIVE_UP_HOURS
    postponed: int = 0  # claimed but not tried this run (the server is down): next run


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: 1, 2, 4, 8 … minutes, at most 60."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), MAX_BACKOFF_MINUTES))


def give_up_after() -> timedelta:
    """How long after it was queued a message that cannot be delivered is given up."""
    value = current_app.config.get("HUBBAR_MAIL_GIVE_UP_HOURS", GIVE_UP_HOURS)
    try:
        hours = float(value)
    except (TypeError, ValueError):
        hours = 0
    if not 0 < hours < 24 * 365:
        log.error("HUBBAR_MAIL_GIVE_UP_HOURS %r is no number of hours; using 72", value)
        hours = GIVE_UP_HOURS
    return timedelta(hours=hours)


def send_due(*, now: datetime | None = None, limit: int = 50) -> SendResult:
    """Send the pending messages that are due (at most ``limit``), each at most once.

    Delivery is at-least-once at the SMTP boundary: a message is marked sent in its own commit
    right after the server accepts it; only a process that dies (or a database that fails) in
    that moment leaves it claimed but unmarked, and it is sent again after ``CLAIM_FOR``. The
    Message-ID stays the same, so a receiving server may still recognise the duplicate.
    """
    now = now or utcnow()
    result = SendResult(sent=0, retried=0, failed=0)
    claimed = _claim(now, max(1, limit))
    started = time.monotonic()
    timeout = float(current_app.config.get("HUBBAR_MAIL_TIMEOUT", 10))
    for index, (message_id, label, email) in enumerate(claimed):
        if email is None:  # could not even be built: it never will be
            continue
        # Stop well before the claim runs out, so no other run takes over a message we send.
        if time.monotonic() - started > CLAIM_FOR.total_seconds() - 3 * timeout:
            result.postponed += _release(claimed[index:])
            break
        try:
            where = transport.deliver(email)
        except Exception as error:
            if isinstance(error, transport.DeliveryError):
                failure = error
            else:  # not a delivery problem we know of: keep the worker going all the same
                log.exception("%s: unexpected error while sending", label)
                failure = transport.DeliveryError(f"{type(error).__name__}: {error}")
            gave_up = _record_failure(message_id, failure, now)
            result.failed += gave_up
            result.retried += not gave_up
            if failure.server_down:  # the rest would fail the same way: leave them for later
                result.postponed += _release(claimed[index + 1 :])
                break
            continue
        _record_sent(message_id, now)
        result.sent += 1
        log.info("%s sent via %s", label, where)
    result.failed += sum(1 for message in claimed if message.email is None)
    return result


def _claim(now: datetime, limit: int) -> list[Claimed]:
    """Claim the due messages in one commit and build their e-mails (None: unbuildable, which
    is recorded as failed at once).

    Each message is claimed by a compare-and-swap: an UPDATE that sets ``claimed_until`` only
    while the row is still pending and unclaimed, kept only when it changed the row. Of two
    workers that read the same due message, only one changes it; the other moves on. (On
    PostgreSQL the candidates are also read FOR UPDATE SKIP LOCKED, so workers rarely even
    meet; on SQLite the writes are serialised and the UPDATE decides.)
    """
    due = (
        OutboxMessage.status == OutboxStatus.PENDING,
        OutboxMessage.next_attempt_at <= now,
        or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until <= now),
    )
    query = (
        select(OutboxMessage.id)
        .where(*due)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    try:
        candidates = db.session.scalars(query).all()
        claimed_ids = []
        for message_id in sorted(candidates):  # one order for every worker: no deadlock
            changed = db.session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message_id, *due)
                .values(claimed_until=now + CLAIM_FOR)
                .execution_options(synchronize_session=False)
            )
            if changed.rowcount == 1:
                claimed_ids.append(message_id)
        db.session.commit()
    except OperationalError as error:  # SQLite busy past its timeout: the next run goes on
        db.session.rollback()
        log.warning("Mail: could not claim messages this run (%s)", error.orig)
        return []
    order = {message_id: index for index, message_id in enumerate(candidates)}
    messages = sorted(
        db.session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(claimed_ids))),
        key=lambda message: order[message.id],
    )
    claimed = []
    for message in messages:
        try:
            email = as_email(message)
        except Exception as error:  # a stored message that cannot become an e-mail
            message.status = OutboxStatus.FAILED
            message.attempts += 1
            message.claimed_until = None
            message.last_error = f"cannot build the message: {error}"[:MAX_ERROR]
            log.error(
                "%s cannot be built: %s",
                described(message),
                _without_address(str(error), message),
            )
            claimed.append(Claimed(message.id, described(message), None))
            continue
        claimed.append(Claimed(message.id, described(message), email))
    db.session.commit()
    return claimed


def _record_sent(message_id: int, now: datetime) -> None:
    message = db.session.get(OutboxMessage, message_id)
    message.status = OutboxStatus.SENT
    message.sent_at = now
    message.attempts += 1
    message.claimed_until = None
    message.last_error = ""
    db.session.commit()


def _record_failure(message_id: int, failure: transport.DeliveryError, now: datetime) -> bool:
    """Record the failed attempt: fail a message refused for good at once, give up one that
    has waited longer than HUBBAR_MAIL_GIVE_UP_HOURS, else schedule the next attempt. True:
    failed for good."""
    message = db.session.get(OutboxMessage, message_id)
    message.attempts += 1
    message.last_error = failure.reason[:MAX_ERROR]
    message.claimed_until = None
    give_up_at = message.created_at + give_up_after()
    what = f"{described(message)} not sent"
    reason = _without_address(failure.reason, message)
    if failure.permanent:
        message.status = OutboxStatus.FAILED
        log.error("%s: refused for good, not tried again: %s", what, reason)
    elif now >= give_up_at:
        message.status = OutboxStatus.FAILED
        log.error(
            "%s, given up after %d attempt%s over %s: %s",
            what,
            message.attempts,
            "" if message.attempts == 1 else "s",
            _duration(now - message.created_at),
            reason,
        )
    else:
        message.next_attempt_at = min(now + backoff(message.attempts), give_up_at)
        log.warning(
            "%s (attempt %d, next at %s UTC, given up at %s UTC): %s",
            what,
            message.attempts,
            message.next_attempt_at.strftime("%Y-%m-%d %H:%M"),
            give_up_at.strftime("%Y-%m-%d %H:%M"),
            reason,
        )
    db.session.commit()
    return message.status is OutboxStatus.FAILED


def _duration(span: timedelta) -> str:
    hours = span.total_seconds() / 3600
    return f"{hours:.0f} hours" if hours >= 2 else f"{span.total_seconds() / 60:.0f} minutes"


def _release(claimed: list[Claimed]) -> int:
    """Give back claimed messages untried: the next run takes them."""
    message_ids = [message.message_id for message in claimed if message.email is not None]
    for message_id in message_ids:
        db.session.get(OutboxMessage, message_id).claimed_until = None
    db.session.commit()
    return len(message_ids)


def retry_failed(now: datetime | None = None) -> int:
    """Put every failed message back in the queue, due now (after the mail server or its
    configuration is fixed). Each is queued anew: it gets a fresh HUBBAR_MAIL_GIVE_UP_HOURS,
    and its attempts and last error stay for the record. Returns how many."""
    now = now or utcnow()
    changed = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.FAILED)
        .values(
            status=OutboxStatus.PENDING,
            next_attempt_at=now,
            claimed_until=None,
            created_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if changed.rowcount:
        log.info("Mail: %d failed message(s) put back in the queue", changed.rowcount)
    return changed.rowcount
