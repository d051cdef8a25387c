"""All retention rules in one run, for the scheduler job and `flask hubbar retention`."""

from __future__ import annotations

from datetime import datetime

from hubbar.db import utcnow
from hubbar.privacy import operations as ops


def apply(now: datetime | None = None) -> dict[str, int]:
    """Run every retention rule that is due at ``now``; how many rows each touched."""
    from hubbar.accounts.throttle import prune_login_attempts

    now = now or utcnow()
    return {
        "bookings pseudonymised": ops.pseudonymise_old_bookings(now),
        "accounts warned": ops.warn_inactive_accounts(now),
        "accounts deleted": ops.delete_inactive_accounts(now),
        "e-mails deleted": ops.delete_old_mail(now),
        "login attempts deleted": prune_login_attempts(now),
    }
