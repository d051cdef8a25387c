"""What the accessibility part does: take a report of an accessibility problem and e-mail it to
the system administrators, who answer it.

The law on accessible digital public services (2018:1937, 13 §) asks for a way to tell the
service about a problem; the statement page offers a form that works without logging in (the
login page may be what does not work). A report is e-mailed through the outbox to every active
system administrator, in their own language, recorded in the audit log without its text (the
text may hold personal data; the e-mails are kept only as long as sent e-mails are), and
committed in one transaction with both.

Reports are limited per sender (the logged-in account, else the client address) and in all, so
a script cannot flood the administrators' inboxes. The count is kept in the login-attempts table
(as password-reset requests are: ``hubbar.accounts.throttle``), under a key that is an HMAC of
the sender, so the table names nobody; the daily job prunes it.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select

from hubbar.accounts.models import LoginAttempt, Role, RoleAssignment, User
from hubbar.accounts.operations import normalise_email
from hubbar.audit.models import AuditEvent
from hubbar.audit.operations import record
from hubbar.db import utcnow
from hubbar.errors import DomainError, InvalidInput
from hubbar.extensions import db
from hubbar.mail.messages import link
from hubbar.mail.operations import queue

log = logging.getLogger(__name__)

ACTION = "accessibility.report"
MAIL_KIND = "accessibility_report"
# When the statement was last reviewed, and the assessment behind it made (shown on the page).
REVIEWED_ON = date(2026, 11, 24)
# How soon a sender who gave an e-mail address gets an answer.
ANSWER_WITHIN_DAYS = 14
MAX_WHERE = 200
MAX_DESCRIPTION = 5000
MAX_EMAIL = 254
WINDOW = timedelta(hours=1)
# Reports within WINDOW: per sender, and from everybody together (unless the configuration
# says otherwise: HUBBAR_ACCESSIBILITY_REPORTS_PER_SENDER, HUBBAR_ACCESSIBILITY_REPORTS_IN_ALL).
PER_SENDER = 5
IN_ALL = 50
# Marks a report's row in login_attempts (an HMAC in hex never contains a colon).
THROTTLE_PREFIX = "a11y:"
ADDRESS_LENGTH = 45


class TooManyReports(DomainError):
    """Too many reports within the hour, from this sender or from everybody."""

    code = "too_many_reports"
    status = 429


class NobodyToTell(DomainError):
    """No active system administrator to send a report to."""

    code = "no_recipient"
    status = 503


@dataclass(frozen=True)
class Report:
    """A report as the administrators read it (checked and trimmed)."""

    where: str
    description: str
    reply_to: str  # "" when the sender wants no answer
    locale: str  # the language the sender reads hubbar in


@dataclass(frozen=True)
class Sent:
    """What became of a report: how many administrators it was sent to, and whether the sender
    gets an answer (and within how many days)."""

    recipients: int
    answered: bool
    within_days: int = ANSWER_WITHIN_DAYS


def check_report(
    where: str | None, description: str | None, reply_to: str | None, locale: str = "sv"
) -> Report:
    """The report, trimmed, or InvalidInput naming the field (``where``, ``description`` or
    ``email``) it is about."""
    where = " ".join((where or "").split())
    description = (description or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    reply_to = (reply_to or "").strip()
    if len(where) > MAX_WHERE:
        raise InvalidInput(
            _("Write at most %(max)d characters.", max=MAX_WHERE),
            field="where",
        )
    if not description:
        raise InvalidInput(_("Describe the problem."), field="description")
    if len(description) > MAX_DESCRIPTION:
        raise InvalidInput(
            _("Write at most %(max)d characters.", max=MAX_DESCRIPTION),
            field="description",
        )
    if reply_to:
        if len(reply_to) > MAX_EMAIL:
            raise InvalidInput(_("Enter a valid e-mail address."), field="email")
        reply_to = normalise_email(reply_to)
    locale = locale if locale in ("sv", "en") else "sv"
    return Report(where=where, description=description, reply_to=reply_to, locale=locale)


def submit_report(
    where: str | None,
    description: str | None,
    reply_to: str | None,
    *,
    reporter: User | None,
    address: str | None,
    locale: str = "sv",
    now: datetime | None = None,
) -> Sent:
    """Check a report, e-mail it to every active system administrator, record it in the audit
    log, and commit. ``reporter`` is the logged-in user (None for a visitor), ``address`` the
    client's address (for the limit). Raises InvalidInput, TooManyReports or NobodyToTell; then
    nothing is sent or saved."""
    report = check_report(where, description, reply_to, locale)
    now = now or utcnow()
    key = _sender_key(reporter, address)
    _check_limits(key, now)
    admins = system_admins()
    if not admins:
        log.error("An accessibility report came in, but no active system admin can receive it")
        raise NobodyToTell(
            _(
                "The report could not be sent: nobody is set up to receive it yet. Try again "
                "later, or tell the contact person of your hub."
            )
        )
    sent = sum(mail_report(admin, report, reporter) is not None for admin in admins)
    db.session.add(
        LoginAttempt(
            attempted_at=now,
            account_key=key,
            address=(address or "")[:ADDRESS_LENGTH],
            succeeded=True,  # never counted as a failed login of the address
        )
    )
    # The text stays out of the append-only log: it may name people or health details.
    record(
        reporter,
        ACTION,
        None,
        summary=f"Accessibility report e-mailed to {sent} system administrator(s)",
        changes={
            "recipients": sent,
            "reply_wanted": bool(report.reply_to),
            "locale": report.locale,
            "logged_in": reporter is not None,
        },
    )
    db.session.commit()
    return Sent(recipients=sent, answered=bool(report.reply_to))


def system_admins() -> list[User]:
    """The active system administrators, who receive the reports."""
    return list(
        db.session.scalars(
            select(User)
            .join(RoleAssignment, RoleAssignment.user_id == User.id)
            .where(RoleAssignment.role == Role.SYSTEM_ADMIN, User.active.is_(True))
            .order_by(User.id)
        ).unique()
    )


def mail_report(admin: User, report: Report, reporter: User | None = None):
    """Queue the report for ``admin``, in the admin's language (in the caller's transaction).
    Returns the outbox message, or None when nothing was queued."""
    with force_locale(admin.locale):
        subject = _("Accessibility problem reported in hubbar")
        language = _("Swedish") if report.locale == "sv" else _("English")
        facts = [
            (_("Page or function"), report.where or _("Not given")),
            (
                _("Reported by"),
                _("%(name)s (logged in)", name=reporter.display_name)
                if reporter is not None
                else _("A visitor who was not logged in"),
            ),
            (_("Answer to"), report.reply_to or _("No answer wanted")),
            (_("The sender reads hubbar in"), language),
        ]
        if report.reply_to:
            note = _(
                "The statement promises an answer within %(days)d days. Answer the sender at "
                "%(email)s.",
                days=ANSWER_WITHIN_DAYS,
                email=report.reply_to,
            )
        else:
            note = _("The sender gave no e-mail address and expects no answer.")
        context = {
            "subject": subject,
            "user": admin,
            "locale": admin.locale,
            "optional": False,
            "preferences_url": "",
            "heading": _("An accessibility problem was reported"),
            "intro": _(
                "Someone used the form on the accessibility statement to report a problem. "
                "Look into it, fix it or add it to the statement's known problems."
            ),
            "facts": facts,
            "description_label": _("What did not work"),
            "description": report.description,
            "url": link("accessibility.statement"),
            "link_text": _("The accessibility statement"),
            "note": note,
        }
        return queue(
            MAIL_KIND,
            admin,
            subject=subject,
            text=render_template("accessibility/report_mail.txt", **context),
            html=render_template("accessibility/report_mail.html", **context),
            locale=admin.locale,
        )


# --- the limit -----------------------------------------------------------------------------


def _sender_key(reporter: User | None, address: str | None) -> str:
    """The sender's key in login_attempts: an HMAC of the account, else of the client address
    (a whole office may share one address; its logged-in staff do not share a limit)."""
    sender = f"user:{reporter.id}" if reporter is not None else f"address:{address or ''}"
    secret = current_app.config["SECRET_KEY"]
    secret = secret.encode() if isinstance(secret, str) else secret
    digest = hmac.new(secret, f"accessibility\x00{sender}".encode(), hashlib.sha256).hexdigest()
    return THROTTLE_PREFIX + digest[: 64 - len(THROTTLE_PREFIX)]


def _limit(name: str, default: int) -> int:
    return int(current_app.config.get(name, default))


def _check_limits(key: str, now: datetime) -> None:
    since = now - WINDOW
    mine = db.session.scalar(
        select(func.count(LoginAttempt.id)).where(
            LoginAttempt.account_key == key, LoginAttempt.attempted_at > since
        )
    )
    if mine >= _limit("HUBBAR_ACCESSIBILITY_REPORTS_PER_SENDER", PER_SENDER):
        raise TooManyReports(
            _(
                "You have sent as many reports within an hour as we take. Your report was not "
                "sent: wait an hour and send it again."
            )
        )
    everybody = db.session.scalar(
        select(func.count(AuditEvent.id)).where(
            AuditEvent.action == ACTION, AuditEvent.occurred_at > since
        )
    )
    if everybody >= _limit("HUBBAR_ACCESSIBILITY_REPORTS_IN_ALL", IN_ALL):
        raise TooManyReports(
            _(
                "Very many reports have come in within the last hour. Your report was not sent: "
                "try again in an hour."
            )
        )
