"""What the cost tests look at: a message as the (Swedish) page shows it."""

from __future__ import annotations

from tests.helpers import _catalogue


def shown(msgid: str, **params) -> str:
    """The Swedish text of ``msgid`` where the catalogue has one, else the English text (new
    messages are translated after the fact), formatted as gettext formats it."""
    message = _catalogue().get(msgid)
    translated = message.string if message is not None and not message.fuzzy else None
    text = translated if isinstance(translated, str) and translated else msgid
    return text % params if params else text
