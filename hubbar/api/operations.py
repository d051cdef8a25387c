"""What the API part does: personal access tokens (create, check, list, revoke).

A token is a random string shown to its owner once; the database keeps only its SHA-256 hash, so
a copy of the database gives no working token.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from hubbar.accounts.models import User
from hubbar.api.models import ApiToken
from hubbar.db import utcnow
from hubbar.errors import DomainError, InvalidInput, NotFound
from hubbar.extensions import db
from hubbar.operations import commit_bookkeeping

TOKEN_PREFIX = "hubbar_"
TOKEN_LIFETIME = timedelta(days=90)
MAX_NAME_LENGTH = 80
DEFAULT_NAME = "API"
# "Last used" is shown to the minute; writing it at most once a minute spares the database a
# write on every API call.
LAST_USED_PRECISION = timedelta(minutes=1)


class Unauthorized(DomainError):
    """No valid access token (or wrong credentials for getting one): HTTP 401."""

    code = "unauthorized"
    status = 401


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def clean_token_name(name: str) -> str:
    """A token's name, stripped; refused when empty or too long."""
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_("Enter a name."), field="name")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidInput(
            _("The name can have at most %(n)d characters.", n=MAX_NAME_LENGTH), field="name"
        )
    return name


def create_token(
    user: User,
    name: str = DEFAULT_NAME,
    *,
    lifetime: timedelta = TOKEN_LIFETIME,
    now: datetime | None = None,
) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns the row and the token itself (shown only this once)."""
    now = now or utcnow()
    name = clean_token_name(name)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=hash_token(token),
        created_at=now,
        expires_at=now + lifetime,
    )
    db.session.add(row)
    db.session.commit()
    return row, token


def user_for_token(token: str | None, *, now: datetime | None = None) -> User:
    """The user a valid token acts for; records when the token was last used."""
    now = now or utcnow()
    if not token:
        raise Unauthorized(_("Send an access token in the Authorization header: Bearer <token>."))
    row = db.session.scalar(
        select(ApiToken)
        .where(ApiToken.token_hash == hash_token(token))
        .options(joinedload(ApiToken.user).joinedload(User.organisation))
    )
    if row is None or not row.is_valid(now):
        raise Unauthorized(_("The access token is not valid. It may have expired or been revoked."))
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_PRECISION:
        row.last_used_at = now
        # API use is use of the account (the inactive-account rule, issue 7's retention).
        row.user.last_seen_at = now
        row.user.deletion_warned_at = None
        commit_bookkeeping()
    return row.user


def tokens_of(user: User) -> list[ApiToken]:
    """The user's tokens that are not revoked, newest first."""
    return list(
        db.session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def revoke_token(user: User, token_id: int, *, now: datetime | None = None) -> ApiToken:
    """Revoke one of the user's own tokens; it stops working at once."""
    now = now or utcnow()
    row = db.session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id or row.revoked_at is not None:
        raise NotFound(_("No such access token."))
    row.revoked_at = now
    db.session.commit()
    return row
