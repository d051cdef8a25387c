"""What the API tests share: the frozen moment, tokens, requests and error checks."""

from __future__ import annotations

from datetime import datetime

from hubbar.accounts.models import User
from hubbar.api import operations as api_ops
from hubbar.db import utcnow
from hubbar.extensions import db
from tests.helpers import STOCKHOLM

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=STOCKHOLM)  # a Monday
TOMORROW = "2026-12-01"


def token_for(user: User, name: str = "test") -> str:
    """A token for ``user``, already marked as used now, so that using it again within the
    minute writes nothing (the tests compare whole databases)."""
    row, token = api_ops.create_token(user, name)
    row.last_used_at = utcnow()
    db.session.commit()
    return token


def call(client, method: str, url: str, token: str | None = None, **kwargs):
    """A request to the API, with ``Authorization: Bearer <token>`` when a token is given."""
    headers = dict(kwargs.pop("headers", {}))
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return client.open(url, method=method, headers=headers, **kwargs)


def error_of(response, status: int, code: str) -> str:
    """Assert a JSON error with this status and code; return its message."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json, response.get_data(as_text=True)
    body = response.get_json()
    assert body["error"] == code, body
    assert isinstance(body["message"], str) and body["message"]
    return body["message"]
