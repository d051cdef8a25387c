"""Turning an outbox message into an e-mail and handing it to the SMTP server (or, without a
configured server, to the development outbox folder ``instance/outbox/``).

Configuration comes from ``HUBBAR_MAIL_*`` (see ``hubbar/config.py``): STARTTLS on port 587 by
default, implicit TLS with ``HUBBAR_MAIL_USE_SSL`` (or on port 465). A failed delivery raises
``DeliveryError`` with the server and the reason, never the password; the worker logs it and
tries again later, unless the server refused the message for good (a 5xx answer to the recipient
or the message).
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Iterable
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from typing import Protocol

from flask import current_app

from hubbar.db import utcnow

log = logging.getLogger(__name__)

OUTBOX_FOLDER = "outbox"
SMTPS_PORT = 465  # implicit TLS (RFC 8314)

_warned: set[tuple[str, str]] = set()  # the configuration warnings logged by this process


class DeliveryError(Exception):
    """The message was not delivered.

    ``server_down``: the server, not this message, is the problem (unreachable, login refused,
    TLS failure, the sender address refused): the other messages would fail the same way, so the
    worker stops its run there. ``permanent``: the server refused this message for good (a 5xx
    answer to its recipient or its content); trying again would only be refused again.
    Everything else (a 4xx answer, a broken connection) is temporary.
    """

    def __init__(self, reason: str, *, server_down: bool = False, permanent: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.server_down = server_down
        self.permanent = permanent


class AttachmentLike(Protocol):
    filename: str
    mimetype: str
    content: bytes


def build_message(
    *,
    sender: str,
    recipient: str,
    subject: str,
    text: str,
    html: str = "",
    attachments: Iterable[AttachmentLike] = (),
    locale: str = "sv",
    message_id: str | None = None,
    date: datetime | None = None,
) -> EmailMessage:
    """The e-mail: plain text, with an HTML alternative when ``html`` is given, and the
    attachments with the Content-Type given in their mimetype.

    A calendar invitation (an attachment of type ``text/calendar; method=…``) is also the last
    alternative of the body, the form Outlook acts on (it ignores a text/calendar attachment):

        multipart/mixed
          multipart/alternative: text/plain, text/html, text/calendar; method=REQUEST
          application/ics (booking.ics, for calendars that only import files)

    The file is sent as application/ics, as Google Calendar does, so that no client takes it
    for a second invitation.
    """
    email = EmailMessage()
    email["From"] = sender
    email["To"] = recipient
    email["Subject"] = subject
    email["Date"] = format_datetime(date or utcnow())
    email["Message-ID"] = message_id or make_msgid(domain=_domain(sender))
    # Quoted-printable keeps the text legible in the development .eml files.
    email.set_content(text, cte="quoted-printable")
    if html:
        email.add_alternative(html, subtype="html", cte="quoted-printable")
    attachments = list(attachments)
    invitation = next((a for a in attachments if _is_invitation(a)), None)
    if invitation is not None:
        _maintype, _subtype, params = parse_mimetype(invitation.mimetype)
        params.setdefault("charset", "utf-8")
        # Base64 keeps the calendar's CRLF line ends and folded lines exactly as written.
        email.add_alternative(
            invitation.content, maintype="text", subtype="calendar", params=params
        )
    for attachment in attachments:
        maintype, subtype, params = parse_mimetype(attachment.mimetype)
        if attachment is invitation:
            maintype, subtype, params = "application", "ics", {}
        email.add_attachment(
            attachment.content,
            maintype=maintype,
            subtype=subtype,
            filename=attachment.filename,
            params=params,
        )
    # Last: making the message multipart moves the Content-* headers set before to a part.
    email["Content-Language"] = locale
    return email


def _is_invitation(attachment: AttachmentLike) -> bool:
    maintype, subtype, params = parse_mimetype(attachment.mimetype)
    return (maintype, subtype) == ("text", "calendar") and "method" in params


def parse_mimetype(mimetype: str) -> tuple[str, str, dict[str, str]]:
    """``"text/calendar; method=REQUEST; charset=utf-8"`` → ("text", "calendar", {...})."""
    kind, *rest = (part.strip() for part in mimetype.split(";"))
    maintype, _, subtype = kind.partition("/")
    if not maintype or not subtype:
        maintype, subtype = "application", "octet-stream"
    params = {}
    for part in rest:
        name, _, value = part.partition("=")
        if name.strip() and value.strip():
            params[name.strip().lower()] = value.strip().strip('"')
    return maintype.lower(), subtype.lower(), params


def make_message_id(unique: str, sender: str) -> str:
    """A Message-ID in the sender's domain, the same for every attempt of one message (so a
    receiving server can recognise a message that was, rarely, delivered twice)."""
    return f"<{unique}@{_domain(sender)}>"


def _domain(sender: str) -> str:
    return parseaddr(sender)[1].rpartition("@")[2] or "hubbar.localhost"


def deliver(email: EmailMessage) -> str:
    """Send ``email`` by SMTP, or write it to the outbox folder when no server is configured.
    Returns where it went (for the log); raises ``DeliveryError``."""
    config = current_app.config
    server = config.get("HUBBAR_MAIL_SERVER") or ""
    if not server:
        return _write_to_outbox(email)
    port = int(config.get("HUBBAR_MAIL_PORT", 587))
    # Port 465 is implicit TLS (SMTPS) by convention: STARTTLS there would never connect.
    use_ssl = bool(config.get("HUBBAR_MAIL_USE_SSL", False)) or port == SMTPS_PORT
    use_tls = bool(config.get("HUBBAR_MAIL_USE_TLS", True)) and not use_ssl
    username = config.get("HUBBAR_MAIL_USERNAME") or ""
    if username and not (use_tls or use_ssl):
        _warn_once(
            f"{server}:{port}",
            "HUBBAR_MAIL_USERNAME is set but neither HUBBAR_MAIL_USE_TLS nor "
            "HUBBAR_MAIL_USE_SSL: the password goes to %s unencrypted",
        )
    _send_smtp(
        email,
        server=server,
        port=port,
        use_tls=use_tls,
        use_ssl=use_ssl,
        username=username,
        password=config.get("HUBBAR_MAIL_PASSWORD") or "",
        timeout=float(config.get("HUBBAR_MAIL_TIMEOUT", 10)),
    )
    return f"{server}:{port}"


def _warn_once(where: str, message: str) -> None:
    """Log a configuration warning once per process and server (not once per message)."""
    if (where, message) in _warned:
        return
    _warned.add((where, message))
    log.warning(message, where)


def tls_context() -> ssl.SSLContext:
    """The TLS settings for STARTTLS and implicit TLS: the system's trusted certificates, the
    server's name checked."""
    return ssl.create_default_context()


def outbox_folder() -> Path:
    """Where development mail goes: ``<instance>/outbox``."""
    return Path(current_app.instance_path) / OUTBOX_FOLDER


def _write_to_outbox(email: EmailMessage) -> str:
    folder = outbox_folder()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        token = email["Message-ID"].strip("<>").partition("@")[0]
        stamp = utcnow().strftime("%Y%m%dT%H%M%S")
        path = folder / f"{stamp}-{_safe(token)}.eml"
        path.write_bytes(email.as_bytes())
    except OSError as error:
        raise DeliveryError(f"outbox folder {folder}: {error.strerror or error}") from error
    # The file's name has the message's id (from its Message-ID), not its address or subject.
    log.info("No HUBBAR_MAIL_SERVER: mail written to %s", path)
    return str(path)


def _safe(token: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in token)[:80]


def _send_smtp(
    email: EmailMessage,
    *,
    server: str,
    port: int,
    use_tls: bool,
    use_ssl: bool = False,
    username: str,
    password: str,
    timeout: float,
) -> None:
    where = f"{server}:{port}"
    smtp = None
    try:
        if use_ssl:
            smtp = smtplib.SMTP_SSL(server, port, timeout=timeout, context=tls_context())
        else:
            smtp = smtplib.SMTP(server, port, timeout=timeout)
        if use_tls:
            smtp.starttls(context=tls_context())
        if username:
            smtp.login(username, password)
    except smtplib.SMTPAuthenticationError as error:
        _close(smtp)
        raise DeliveryError(
            f"{where}: login as {username} refused ({error.smtp_code} {_text(error.smtp_error)})",
            server_down=True,
        ) from error
    except smtplib.SMTPNotSupportedError as error:
        _close(smtp)
        raise DeliveryError(
            f"{where}: the server does not offer {'STARTTLS' if use_tls else 'AUTH'} ({error})",
            server_down=True,
        ) from error
    except ssl.SSLError as error:
        _close(smtp)
        raise DeliveryError(
            f"{where}: TLS failed ({error.reason or error})", server_down=True
        ) from error
    except smtplib.SMTPResponseException as error:
        _close(smtp)
        raise DeliveryError(
            f"{where}: refused the session ({error.smtp_code} {_text(error.smtp_error)})",
            server_down=True,
        ) from error
    except (OSError, smtplib.SMTPException) as error:  # refused, timed out, unknown host
        _close(smtp)
        reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
        raise DeliveryError(f"{where}: cannot connect ({reason})", server_down=True) from error

    try:
        smtp.send_message(email)
    except smtplib.SMTPRecipientsRefused as error:
        code, text = next(iter(error.recipients.values()), (0, b""))
        raise DeliveryError(
            f"{where}: recipient refused ({code} {_text(text)})", permanent=_permanent(code)
        ) from error
    except smtplib.SMTPSenderRefused as error:
        # The sender address (HUBBAR_MAIL_SENDER) is refused: every message would be.
        code, text = error.smtp_code, _text(error.smtp_error)
        raise DeliveryError(
            f"{where}: sender {error.sender} refused ({code} {text})", server_down=True
        ) from error
    except smtplib.SMTPResponseException as error:
        raise DeliveryError(
            f"{where}: message refused ({error.smtp_code} {_text(error.smtp_error)})",
            permanent=_permanent(error.smtp_code),
        ) from error
    except (OSError, smtplib.SMTPServerDisconnected) as error:  # the connection broke
        reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
        raise DeliveryError(f"{where}: sending failed ({reason})", server_down=True) from error
    except smtplib.SMTPException as error:  # e.g. an address the server cannot take
        raise DeliveryError(f"{where}: message refused ({error})") from error
    finally:
        # Accepted is accepted: a QUIT that fails afterwards must not make the worker send the
        # message again, so its errors are ignored.
        _close(smtp, quit=True)


def _permanent(code: int) -> bool:
    """A 5xx answer is the server's final word on this message (RFC 5321 §4.2.1)."""
    return 500 <= int(code or 0) < 600


def _close(smtp: smtplib.SMTP | None, *, quit: bool = False) -> None:
    if smtp is None:
        return
    try:
        if quit:
            smtp.quit()
    except (OSError, smtplib.SMTPException):
        pass
    finally:
        smtp.close()


def _text(value: bytes | str) -> str:
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return " ".join(text.split())[:200]
