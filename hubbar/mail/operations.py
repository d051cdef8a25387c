"""What the mail part does: queue a message with the change that caused it, and send what is
due (the worker behind the ``send_mail`` job and ``flask hubbar send-mail``).

A message is added to the caller's session and committed with the caller's change, so a change
that is rolled back sends nothing. The worker claims due messages in one commit, sends each
outside any transaction, and records the outcome of each in its own commit.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from hubbar.accounts.models import User
from hubbar.db import utcnow
from hubbar.errors import InvalidInput
from hubbar.extensions import db
from hubbar.mail import transport
from hubbar.mail.models import OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)

# The messages a user may turn off. Confirmations, changes, cancellations, bookings made on
# someone's behalf, invitations and password resets always go.
OPTIONAL_KINDS: tuple[str, ...] = (
    "reminder",
    "checkin_reminder",
    "pilot_ending",
    "report_ready",
    "released",
)

# How long a worker holds the messages it claimed; after that another run may take them over
# (a worker that died mid-run).
CLAIM_FOR = timedelta(minutes=5)
MAX_BACKOFF_MINUTES = 60
MAX_SUBJECT = 300
MAX_ERROR = 500


@dataclass(frozen=True)
class Attachment:
    filename: str
    mimetype: str  # the full Content-Type, e.g. "text/calendar; method=REQUEST; charset=utf-8"
    content: bytes


# --- preferences ---------------------------------------------------------------------------


def turned_off(user: User) -> set[str]:
    """The optional kinds ``user`` has turned off."""
    return {kind.strip() for kind in (user.mail_off or "").split(",") if kind.strip()}


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


@dataclass
class SendResult:
    sent: int
    retried: int  # failed this time, tried again later
    failed: int  # given up after the last attempt
    postponed: int = 0  # claimed but not tried this run (the server is down): next run


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: 1, 2, 4, 8 … minutes, at most 60."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), MAX_BACKOFF_MINUTES))


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
    for index, (message_id, email) in enumerate(claimed):
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
                reason, server_down = error.reason, error.server_down
            else:  # not a delivery problem we know of: keep the worker going all the same
                log.exception("Mail #%d: unexpected error while sending", message_id)
                reason, server_down = f"{type(error).__name__}: {error}", False
            gave_up = _record_failure(message_id, email, reason, now)
            result.failed += gave_up
            result.retried += not gave_up
            if server_down:  # the rest would fail the same way: leave them for later
                result.postponed += _release(claimed[index + 1 :])
                break
            continue
        _record_sent(message_id, now)
        result.sent += 1
        log.info(
            "Mail #%d (%s) sent to %s via %s", message_id, email["Subject"], email["To"], where
        )
    result.failed += sum(1 for _m, email in claimed if email is None)
    return result


def _claim(now: datetime, limit: int) -> list[tuple[int, object]]:
    """Claim the due messages in one commit and build their e-mails (None: unbuildable, which
    is recorded as failed at once). On PostgreSQL, rows another worker has locked are skipped,
    so two workers never claim the same message."""
    query = (
        select(OutboxMessage)
        .where(
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.next_attempt_at <= now,
            or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until <= now),
        )
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    claimed = []
    for message in db.session.scalars(query).all():
        try:
            email = as_email(message)
        except Exception as error:  # a stored message that cannot become an e-mail
            message.status = OutboxStatus.FAILED
            message.attempts += 1
            message.last_error = f"cannot build the message: {error}"[:MAX_ERROR]
            log.error("Mail #%d to %s cannot be built: %s", message.id, message.recipient, error)
            claimed.append((message.id, None))
            continue
        message.claimed_until = now + CLAIM_FOR
        claimed.append((message.id, email))
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


def _record_failure(message_id: int, email, reason: str, now: datetime) -> bool:
    """Count the failed attempt; schedule the next one or give up. True: given up."""
    max_attempts = int(current_app.config.get("HUBBAR_MAIL_MAX_ATTEMPTS", 8))
    message = db.session.get(OutboxMessage, message_id)
    message.attempts += 1
    message.last_error = reason[:MAX_ERROR]
    message.claimed_until = None
    gave_up = message.attempts >= max_attempts
    if gave_up:
        message.status = OutboxStatus.FAILED
        log.error(
            "Mail #%d (%s) to %s not sent, given up after %d attempts: %s",
            message_id,
            email["Subject"],
            email["To"],
            message.attempts,
            reason,
        )
    else:
        message.next_attempt_at = now + backoff(message.attempts)
        log.warning(
            "Mail #%d (%s) to %s not sent (attempt %d of %d, next at %s UTC): %s",
            message_id,
            email["Subject"],
            email["To"],
            message.attempts,
            max_attempts,
            message.next_attempt_at.strftime("%Y-%m-%d %H:%M"),
            reason,
        )
    db.session.commit()
    return gave_up


def _release(claimed: list[tuple[int, object]]) -> int:
    """Give back claimed messages untried: the next run takes them."""
    message_ids = [message_id for message_id, email in claimed if email is not None]
    for message_id in message_ids:
        db.session.get(OutboxMessage, message_id).claimed_until = None
    db.session.commit()
    return len(message_ids)
