"""Helpers every part's operations share: permission checks and committing with a clear refusal."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from hubbar.errors import InvalidInput, NotAllowed
from hubbar.extensions import db


def require(condition: bool) -> None:
    """Refuse with the standard message unless the actor may act."""
    if not condition:
        raise NotAllowed(_("You do not have permission to do that."))


@contextmanager
def commit_or_refuse(message: str, field: str | None = None) -> Iterator[None]:
    """Run the block's changes and commit them. When the database refuses (a unique constraint
    lost a race with another request, at a flush inside the block or at the commit), roll back
    and report the same message the pre-check gives."""
    try:
        yield
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise InvalidInput(message, field=field) from exc


EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2099, 12, 31)


def check_calendar_date(day: date, field: str) -> None:
    """Refuse dates outside the years a booking system can mean (typos such as year 0202)."""
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise InvalidInput(
            _(
                "Choose a date between %(first)s and %(last)s.",
                first=EARLIEST_DATE.isoformat(),
                last=LATEST_DATE.isoformat(),
            ),
            field=field,
        )


def commit_bookkeeping() -> None:
    """Commit without waiting for the write-ahead log to reach the disk (PostgreSQL): for
    bookkeeping whose loss in a crash harms nothing, such as when a token was last used.
    The commit is still atomic; only the last few such writes could be lost in a crash."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL synchronous_commit TO OFF"))
    db.session.commit()
