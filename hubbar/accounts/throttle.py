"""Login and password-reset throttling, counted in the database so that the limits hold across
every app instance.

An account is known here only by ``account_key``: an HMAC of the e-mail address as typed
(normalised), keyed with the app's secret, so the table names nobody and the key of an address
that has no account looks like any other. A login is refused while the account, or the client
address, has had too many failed attempts within a short window; the refusal comes before the
password is checked and reads the same whether or not the account exists.

Password-reset requests are kept in the same table (``login_attempts``, pruned daily), their
account key marked with ``RESET_PREFIX`` so that they never count as failed logins.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, select

from hubbar.accounts.models import LoginAttempt
from hubbar.errors import DomainError
from hubbar.extensions import db

# Rows older than this are of no use to any limit and are deleted by the daily job.
KEEP_ATTEMPTS = timedelta(days=1)
# Marks a password-reset request's account key (an HMAC in hex never contains a colon).
RESET_PREFIX = "reset:"
ADDRESS_LENGTH = 45  # the longest textual IPv6 address


class TooManyAttempts(DomainError):
    """Too many failed logins for the account or the address: try again after the window."""

    code = "too_many_attempts"
    status = 429


def normalise_login(email: str | None) -> str:
    """The e-mail address as the login form compares it: trimmed, NFC, lower case."""
    return unicodedata.normalize("NFC", (email or "").strip()).lower()


def account_key(email: str | None, purpose: str = "login") -> str:
    """The HMAC-SHA256 (hex) of the normalised address, keyed with SECRET_KEY; ``purpose``
    separates the keys of logins and reset requests."""
    secret = current_app.config["SECRET_KEY"]
    secret = secret.encode() if isinstance(secret, str) else secret
    message = f"{purpose}\x00{normalise_login(email)}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def _address(address: str | None) -> str:
    return (address or "")[:ADDRESS_LENGTH]


def _config(name: str, default: int) -> int:
    return int(current_app.config.get(name, default))


def login_window() -> timedelta:
    return timedelta(seconds=_config("HUBBAR_LOGIN_WINDOW_SECONDS", 60))


def too_many_attempts() -> TooManyAttempts:
    return TooManyAttempts(_("Too many login attempts. Wait a minute and try again."))


def _failures_since(column, value: str, since: datetime) -> int:
    return db.session.scalar(
        select(func.count(LoginAttempt.id)).where(
            column == value,
            LoginAttempt.attempted_at > since,
            LoginAttempt.succeeded.is_(False),
        )
    )


def check_login_allowed(key: str, address: str | None, now: datetime) -> None:
    """Raise TooManyAttempts while the account key, or the client address, has had the most
    failures allowed within the window. An unknown address (None) is limited per account only."""
    since = now - login_window()
    per_account = _config("HUBBAR_LOGIN_MAX_FAILURES", 10)
    if _failures_since(LoginAttempt.account_key, key, since) >= per_account:
        raise too_many_attempts()
    if address:
        per_address = _config("HUBBAR_LOGIN_MAX_FAILURES_PER_ADDRESS", 50)
        if _failures_since(LoginAttempt.address, _address(address), since) >= per_address:
            raise too_many_attempts()


def begin_login_attempt(key: str, address: str | None, now: datetime) -> LoginAttempt:
    """Record an attempt as failed, and commit, before its password is checked: parallel
    attempts then count each other, so they cannot all slip under the limit while the slow
    password hash runs. ``login_succeeded`` turns it into a success."""
    attempt = LoginAttempt(
        attempted_at=now, account_key=key, address=_address(address), succeeded=False
    )
    db.session.add(attempt)
    db.session.commit()
    return attempt


def login_succeeded(attempt: LoginAttempt) -> None:
    """Mark a recorded attempt as succeeded (committed by the caller). The failures before it
    stay counted: a success from an address does not clear that address's failures."""
    attempt.succeeded = True


def reset_request_allowed(email: str | None, address: str | None, now: datetime) -> bool:
    """Whether a password-reset request may send an e-mail, recording it if so. At most
    HUBBAR_RESET_MAX_PER_ACCOUNT per account and HUBBAR_RESET_MAX_PER_ADDRESS per client address
    within HUBBAR_RESET_WINDOW_SECONDS; requests beyond are not recorded (nor answered
    differently), so flooding the form fills no table."""
    since = now - timedelta(seconds=_config("HUBBAR_RESET_WINDOW_SECONDS", 3600))
    key = RESET_PREFIX + account_key(email, "password-reset")[: 64 - len(RESET_PREFIX)]
    recent = select(func.count(LoginAttempt.id)).where(LoginAttempt.attempted_at > since)
    if db.session.scalar(recent.where(LoginAttempt.account_key == key)) >= _config(
        "HUBBAR_RESET_MAX_PER_ACCOUNT", 3
    ):
        return False
    if address and db.session.scalar(
        recent.where(
            LoginAttempt.address == _address(address),
            LoginAttempt.account_key.startswith(RESET_PREFIX, autoescape=True),
        )
    ) >= _config("HUBBAR_RESET_MAX_PER_ADDRESS", 20):
        return False
    # Marked succeeded: a reset request is never a failed login of the address.
    db.session.add(
        LoginAttempt(attempted_at=now, account_key=key, address=_address(address), succeeded=True)
    )
    db.session.commit()
    return True


def prune_login_attempts(now: datetime) -> int:
    """Delete attempts (and reset requests) older than a day; returns how many. For the daily
    job."""
    result = db.session.execute(
        delete(LoginAttempt).where(LoginAttempt.attempted_at < now - KEEP_ATTEMPTS)
    )
    db.session.commit()
    return result.rowcount or 0
