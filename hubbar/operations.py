"""Helpers every part's operations share: permission checks and committing with a clear refusal."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from hubbar.errors import InvalidInput, NotAllowed
from hubbar.extensions import db


def require(condition: bool) -> None:
    """Refuse with the standard message unless the actor may act."""
    if not condition:
        raise NotAllowed(_("You do not have permission to do that."))


def commit_or_refuse(message: str, field: str | None = None) -> None:
    """Commit; when the database refuses (a unique constraint lost a race with another request),
    roll back and report the same message the pre-check gives."""
    try:
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise InvalidInput(message, field=field) from exc
