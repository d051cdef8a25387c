"""What the tests look at: the Swedish text of a message, the text of a page, rows in a table.

Messages are looked up in the Swedish catalogue by their English msgid, so a test asserts the
text a Swedish user reads without copying every translation into the tests.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel import support
from babel.messages.pofile import read_po
from sqlalchemy import func, select
from wtforms.i18n import messages_path

from hubbar.audit.models import AuditEvent
from hubbar.extensions import db

STOCKHOLM = ZoneInfo("Europe/Stockholm")

SV_PO = Path(__file__).resolve().parent.parent / "hubbar/translations/sv/LC_MESSAGES/messages.po"


@lru_cache(maxsize=1)
def _catalogue():
    with SV_PO.open("rb") as fileobj:
        return read_po(fileobj, locale="sv")


def sv(msgid: str, plural: str | None = None, **params) -> str:
    """The Swedish text shown for ``msgid``, formatted as gettext formats it; with ``plural``,
    the form ngettext picks for ``num``."""
    message = _catalogue().get(msgid)
    strings = message.string if message is not None else None
    if isinstance(strings, (list, tuple)):
        text = strings[0 if params.get("num") == 1 else 1] if plural is not None else strings[0]
    else:
        text = strings
    if not text or message.fuzzy:
        pytest.fail(f"No Swedish translation of {msgid!r} in {SV_PO}")
    return text % params if params else text


def sv_of(message: str | tuple[str, dict]) -> str:
    """``sv`` for a parametrised case: a msgid, or a (msgid, params) pair."""
    if isinstance(message, tuple):
        msgid, params = message
        return sv(msgid, **params)
    return sv(message)


@lru_cache(maxsize=1)
def _wtforms_sv():
    return support.Translations.load(messages_path(), ["sv"], domain="wtforms")


def wtforms_sv(msgid: str, plural: str | None = None, n: int = 1) -> str:
    """WTForms' own Swedish message (for example for an unknown choice), not yet formatted."""
    if plural is not None:
        return _wtforms_sv().ngettext(msgid, plural, n)
    return _wtforms_sv().gettext(msgid)


def text(response) -> str:
    """The page as a user reads it: entities decoded, so messages compare as plain text."""
    return html.unescape(response.get_data(as_text=True))


def shows(response, message: str) -> bool:
    return message in text(response)


def field_error(response, message: str) -> bool:
    """Whether ``message`` is shown as a field error (next to the field, not only in a list)."""
    page = text(response)
    return any(
        message in error
        for error in re.findall(r'class="field-error[^"]*"[^>]*>(.*?)</p>', page, flags=re.S)
    )


def location(response) -> str:
    """Where a redirect goes, as a path with its query."""
    target = response.headers["Location"]
    return re.sub(r"^https?://[^/]+", "", target)


def count(model, *where) -> int:
    """How many rows the database holds (as the next request would see it).

    The tests share one session with the requests they make; rolling back first drops whatever a
    refused request left unsaved in it, as the end of a real request would.
    """
    db.session.rollback()
    table = getattr(model, "__table__", model)
    return db.session.scalar(select(func.count()).select_from(table).where(*where))


def audit_events(action: str | None = None) -> list[AuditEvent]:
    db.session.rollback()
    query = select(AuditEvent).order_by(AuditEvent.id)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    return list(db.session.scalars(query))


def reload(obj):
    """``obj`` as the database holds it now."""
    db.session.rollback()
    db.session.refresh(obj)
    return obj


class _Refusal:
    def __init__(self, names: tuple[str, ...]):
        self.names = names

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        from sqlalchemy.exc import IntegrityError

        db.session.rollback()
        if exc_type is None:
            pytest.fail(f"The database accepted a row that {self.names or 'a constraint'} refuses")
        if not issubclass(exc_type, IntegrityError):
            return False
        if self.names:
            assert any(name in str(exc) for name in self.names), (
                f"refused, but not by {' or '.join(self.names)}: {exc}"
            )
        return True


def refused_by(*names: str | None):
    """Expect the database to refuse what the block writes (IntegrityError), by one of the
    constraints ``names`` when given (SQLite and PostgreSQL both name a CHECK constraint; only
    PostgreSQL names a UNIQUE one, so pass None for those on SQLite)."""
    return _Refusal(tuple(name for name in names if name))


def snapshot() -> dict[str, list[str]]:
    """Every row of every table, to show that a request changed nothing at all."""
    db.session.rollback()
    return {
        table.name: sorted(repr(tuple(row)) for row in db.session.execute(select(table)))
        for table in db.metadata.sorted_tables
    }
