"""The privacy notice and the record of processing: their sections, the text each shows (an
admin's edit, else the default that ships with hubbar), and saving an admin's edits.

A section's text is plain text (see defaults.py): it becomes HTML here, with everything the
admin typed escaped, so no HTML ever comes from an edit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from itertools import groupby
from zoneinfo import ZoneInfo

from babel.lists import format_list
from flask import current_app
from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy import select

from hubbar.accounts.models import LOCALES, Organisation, User
from hubbar.audit.operations import record
from hubbar.errors import InvalidInput, NotFound
from hubbar.extensions import db
from hubbar.hubs.models import Hub
from hubbar.operations import commit_or_refuse, require
from hubbar.privacy.defaults import DEFAULTS_UPDATED, NO_HOST, PAGES, Section
from hubbar.privacy.models import SiteText

MAX_LENGTH = 20_000
FALLBACK_LOCALE = "sv"

# The figures a text may name in braces, with the configuration key and default of each.
CONFIGURED = {
    "retention_months": ("HUBBAR_RETENTION_MONTHS", 24),
    "inactive_months": ("HUBBAR_INACTIVE_ACCOUNT_MONTHS", 24),
    "notice_days": ("HUBBAR_DELETION_NOTICE_DAYS", 30),
    "sent_mail_days": ("HUBBAR_SENT_MAIL_DAYS", 30),
    "small_group_k": ("HUBBAR_SMALL_GROUP_K", 3),
}
PLACEHOLDERS = (*CONFIGURED, "host_organisations")


@dataclass(frozen=True)
class ShownSection:
    """A section as a reader sees it: heading, anchor and the text as HTML."""

    key: str
    anchor: str
    heading: str
    html: Markup


@dataclass(frozen=True)
class ShownPage:
    sections: list[ShownSection]
    updated: date


@dataclass(frozen=True)
class SectionState:
    """A section as an admin edits it, in one language: the text as typed (placeholders
    unfilled), whether it is an edit or the default, and who changed it when."""

    key: str
    heading: str
    text: str
    default: str
    edited: bool
    updated_at: datetime | None
    updated_by: User | None


# --- pages and sections ------------------------------------------------------------------------


def sections(page: str) -> tuple[Section, ...]:
    """The sections of ``page`` ("notice" or "record"), in order."""
    try:
        return PAGES[page]
    except KeyError:
        raise NotFound(_("There is no such page.")) from None


def check_locale(locale: str) -> str:
    if locale not in LOCALES:
        raise NotFound(_("There is no such language."))
    return locale


def heading(section: Section, locale: str) -> str:
    return section.heading.get(locale) or section.heading[FALLBACK_LOCALE]


def default_text(section: Section, locale: str) -> str:
    """The text hubbar ships for ``section``, in ``locale`` or else in Swedish."""
    return section.body.get(locale) or section.body[FALLBACK_LOCALE]


def _stored(page: str, locale: str) -> dict[str, SiteText]:
    keys = [s.key for s in sections(page)]
    rows = db.session.scalars(
        select(SiteText).where(SiteText.key.in_(keys), SiteText.locale == locale)
    )
    return {row.key: row for row in rows}


def _is_edited(row: SiteText | None) -> bool:
    # A reset keeps the row with an empty body, so the page's "last updated" date still moves.
    return row is not None and bool(row.body)


def _current(section: Section, row: SiteText | None, locale: str) -> str:
    return row.body if _is_edited(row) else normalise(default_text(section, locale))


# --- reading -----------------------------------------------------------------------------------


def shown_page(page: str, locale: str) -> ShownPage:
    """``page`` in the reader's language (Swedish for any language hubbar has no text in), with
    the figures filled in from the configuration and the date it last changed."""
    locale = locale if locale in LOCALES else FALLBACK_LOCALE
    stored = _stored(page, locale)
    values = placeholder_values(locale)
    shown = [
        ShownSection(
            key=section.key,
            anchor=section.key.replace(".", "-").replace("_", "-"),
            heading=heading(section, locale),
            html=to_html(fill(_current(section, stored.get(section.key), locale), values)),
        )
        for section in sections(page)
    ]
    return ShownPage(shown, last_updated(stored.values()))


def last_updated(rows) -> date:
    """The day a page last changed: the latest edit or reset, or the day its default texts were
    written, whichever is later."""
    zone = ZoneInfo(current_app.config.get("HUBBAR_DEFAULT_TIMEZONE", "Europe/Stockholm"))
    days = [row.updated_at.astimezone(zone).date() for row in rows if row.updated_at]
    return max([DEFAULTS_UPDATED, *days])


def section_states(page: str, locale: str) -> list[SectionState]:
    """Every section of ``page`` in ``locale`` as the admin's edit form shows it."""
    check_locale(locale)
    stored = _stored(page, locale)
    states = []
    for section in sections(page):
        row = stored.get(section.key)
        states.append(
            SectionState(
                key=section.key,
                heading=heading(section, locale),
                text=_current(section, row, locale),
                default=normalise(default_text(section, locale)),
                edited=_is_edited(row),
                updated_at=row.updated_at if row is not None else None,
                updated_by=row.updated_by if row is not None else None,
            )
        )
    return states


def overview() -> dict[str, list[tuple[Section, dict[str, SectionState]]]]:
    """For the admin's list: each page's sections with their state in every language."""
    result = {}
    for page, page_sections in PAGES.items():
        by_locale = {locale: section_states(page, locale) for locale in LOCALES}
        result[page] = [
            (section, {locale: by_locale[locale][i] for locale in LOCALES})
            for i, section in enumerate(page_sections)
        ]
    return result


def placeholder_values(locale: str) -> dict[str, str]:
    """What each word in braces stands for: configured figures and the hubs' host
    organisations, named as a list in ``locale`` ("A, B och C")."""
    config = current_app.config
    values = {name: str(config.get(key, default)) for name, (key, default) in CONFIGURED.items()}
    hosts = db.session.scalars(
        select(Organisation.name)
        .join(Hub, Hub.host_organisation_id == Organisation.id)
        .where(Hub.active.is_(True))
        .distinct()
        .order_by(Organisation.name)
    ).all()
    values["host_organisations"] = (
        format_list(list(hosts), locale=locale) if hosts else NO_HOST.get(locale, NO_HOST["sv"])
    )
    return values


# --- text to HTML ------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
_URL = re.compile(r"https://[^\s<>\"']+")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")


def normalise(text: str) -> str:
    """A text as stored: Unix line ends, no spaces at line ends, no blank lines around it."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip()


def fill(text: str, values: dict[str, str]) -> str:
    """Replace each known {name} by its value; any other braces stay as they are."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def _link(url: str) -> tuple[str, str]:
    """Split an address found in text from punctuation that ends the sentence after it."""
    end = len(url)
    while end:
        last = url[end - 1]
        if last in ".,;:!?" or (last == ")" and url.count("(", 0, end) < url.count(")", 0, end)):
            end -= 1
        else:
            break
    return url[:end], url[end:]


def _inline(line: str) -> Markup:
    """One line of text, escaped, with its https:// addresses as links."""
    parts = []
    position = 0
    for match in _URL.finditer(line):
        url, rest = _link(match.group())
        parts.append(escape(line[position : match.start()]))
        if len(url) > len("https://"):
            parts.append(Markup('<a href="{0}">{0}</a>').format(url))
        else:
            parts.append(escape(url))
        parts.append(escape(rest))
        position = match.end()
    parts.append(escape(line[position:]))
    return Markup("").join(parts)


def _is_item(line: str) -> bool:
    return line.startswith("- ")


def to_html(text: str) -> Markup:
    """Plain text as HTML: paragraphs split by blank lines, lines starting "- " as a list, line
    breaks kept, https:// addresses as links, everything else escaped."""
    html = []
    for block in _BLANK_LINE.split(normalise(text)):
        lines = [line.strip() for line in block.split("\n") if line.strip()]
        for is_item, run in groupby(lines, key=_is_item):
            if is_item:
                rows = Markup("").join(
                    Markup("<li>{}</li>\n").format(_inline(line[2:].strip())) for line in run
                )
                html.append(Markup("<ul>\n{}</ul>").format(rows))
            else:
                html.append(
                    Markup("<p>{}</p>").format(Markup("<br>\n").join(_inline(x) for x in run))
                )
    return Markup("\n").join(html)


# --- saving ------------------------------------------------------------------------------------


def save_page(
    actor: User,
    page: str,
    locale: str,
    texts: dict[str, str],
    reset: set[str] | frozenset[str] = frozenset(),
) -> list[str]:
    """Save an admin's texts for ``page`` in ``locale`` and return the keys that changed.

    ``texts`` maps section keys to new texts; sections in ``reset`` go back to the default text
    (whatever ``texts`` says of them). A text equal to the current one changes nothing. Every
    text is checked before anything is saved: one refused text refuses them all. An empty text
    is refused rather than read as "the default", so that clearing a box by mistake cannot
    quietly bring back a generic text; choosing the default is a separate, explicit choice.
    Each changed section is audited with its old and new text.
    """
    require(actor.is_system_admin)
    page_sections = {s.key: s for s in sections(page)}
    check_locale(locale)
    for key in (*texts, *reset):
        if key not in page_sections:
            raise InvalidInput(_("The page has no section “%(section)s”.", section=key), field=key)
    cleaned = {}
    for key, text in texts.items():
        if key in reset:
            continue
        title = heading(page_sections[key], locale)
        text = normalise(text or "")
        if not text:
            raise InvalidInput(
                _(
                    "Write a text for “%(section)s”, or choose to use the default text.",
                    section=title,
                ),
                field=key,
            )
        if len(text) > MAX_LENGTH:
            raise InvalidInput(
                _(
                    "The text for “%(section)s” is %(length)d characters long. "
                    "It can be at most %(max)d.",
                    section=title,
                    length=len(text),
                    max=MAX_LENGTH,
                ),
                field=key,
            )
        cleaned[key] = text

    stored = _stored(page, locale)
    changed = []
    with commit_or_refuse(
        _("Someone else saved this page at the same time. Check the texts and save again.")
    ):
        for key, section in page_sections.items():
            row = stored.get(key)
            old = _current(section, row, locale)
            if key in reset:
                if not _is_edited(row):
                    continue
                row.body = ""
                row.updated_by_id = actor.id
                action, new = "site_text.reset", normalise(default_text(section, locale))
            elif key in cleaned and cleaned[key] != old:
                if row is None:
                    row = SiteText(key=key, locale=locale, body="")
                    db.session.add(row)
                row.body = cleaned[key]
                row.updated_by_id = actor.id
                action, new = "site_text.update", cleaned[key]
            else:
                continue
            record(actor, action, row, f"{key} ({locale})", {"body": [old, new]})
            changed.append(key)
    return changed
