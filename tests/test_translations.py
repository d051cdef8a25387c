"""The Swedish catalogue is complete: every string in the code and templates has a translation.

The messages are extracted afresh from the sources (with Babel's Python API and the project's
babel.cfg), so a string added to the code without a Swedish translation fails here, whether or
not the .pot file has been regenerated.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
BABEL_CFG = ROOT / "babel.cfg"
SV_PO = ROOT / "hubbar" / "translations" / "sv" / "LC_MESSAGES" / "messages.po"

KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}

# %(name)s, %(num)d, %(n)d, %(amount).1f … (a literal "%%" is not a placeholder)
PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?([sdifrxXeEgGc])")


def _placeholders(text: str) -> set[str]:
    return {f"%({name}){kind}" for name, kind in PLACEHOLDER.findall(text.replace("%%", ""))}


@lru_cache(maxsize=1)
def _extracted() -> dict[tuple[str, str | None], tuple[str, str | None, str]]:
    """(msgid, context) -> (msgid, msgid_plural or None, "file:line") for every source string."""
    with BABEL_CFG.open(encoding="utf-8") as fileobj:
        method_map, options_map = parse_mapping_cfg(fileobj, filename=str(BABEL_CFG))
    found = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS, strip_comment_tags=True
    ):
        if isinstance(message, (list, tuple)):
            msgid, plural = message[0], (message[1] if len(message) > 1 else None)
        else:
            msgid, plural = message, None
        if not msgid:
            continue
        found.setdefault((msgid, context), (msgid, plural, f"{filename}:{lineno}"))
    return found


@lru_cache(maxsize=1)
def _catalog():
    with SV_PO.open("rb") as fileobj:
        return read_po(fileobj, locale="sv")


def test_sources_have_messages():
    # Guards against a broken extraction (wrong config, missing extractor) passing vacuously.
    assert len(_extracted()) > 50
    assert ("Log in", None) in _extracted()


def test_catalogue_header_is_swedish():
    catalog = _catalog()
    assert str(catalog.locale) == "sv"
    assert catalog.num_plurals == 2
    assert catalog.plural_expr.replace(" ", "") in ("(n!=1)", "n!=1")


def test_every_message_has_a_swedish_translation():
    catalog = _catalog()
    missing = []
    for (msgid, context), (_msgid, plural, where) in sorted(_extracted().items(), key=str):
        message = catalog.get(msgid, context=context)
        if message is None:
            missing.append(f"{msgid!r} ({where}): not in the catalogue")
            continue
        if message.fuzzy:
            missing.append(f"{msgid!r} ({where}): fuzzy")
            continue
        if plural is not None and not message.pluralizable:
            missing.append(f"{msgid!r} ({where}): needs plural forms (msgid_plural {plural!r})")
            continue
        strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
        if message.pluralizable and len(strings) < catalog.num_plurals:
            missing.append(f"{msgid!r} ({where}): {len(strings)} plural forms")
            continue
        if not all(s and s.strip() for s in strings):
            missing.append(f"{msgid!r} ({where}): no translation")
    assert not missing, (
        f"{len(missing)} message(s) without a Swedish translation in {SV_PO}:\n"
        + "\n".join(missing)
    )


def test_translations_keep_the_placeholders():
    wrong = []
    for message in _catalog():
        if not message.id or not message.string:
            continue
        if message.pluralizable:
            # msgstr[0] is the singular (n == 1), every other form the plural.
            pairs = [
                (message.id[0] if i == 0 else message.id[1], text)
                for i, text in enumerate(message.string)
            ]
        else:
            pairs = [(message.id, message.string)]
        for msgid, text in pairs:
            if text and _placeholders(text) != _placeholders(msgid):
                wrong.append(
                    f"{msgid!r}: {sorted(_placeholders(msgid))} in English, "
                    f"{sorted(_placeholders(text))} in Swedish ({text!r})"
                )
    assert not wrong, "Placeholders differ between msgid and msgstr:\n" + "\n".join(wrong)


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _choose_language(client, locale: str) -> None:
    response = client.post("/language", data={"locale": locale, "next": "/login"})
    assert response.status_code in (302, 303)
    assert response.headers["Location"].endswith("/login")


def test_login_page_is_swedish_by_default_and_english_on_request(client):
    text = _page(client, "/login")
    assert '<html lang="sv">' in text
    assert "Logga in" in text
    assert "Log in" not in text

    _choose_language(client, "en")
    text = _page(client, "/login")
    assert '<html lang="en">' in text
    assert "Log in" in text
    assert "Logga in" not in text

    _choose_language(client, "sv")
    assert "Logga in" in _page(client, "/login")


# Words a template may show as they are: a language's own name (a language is offered in its
# own words), file formats, and the product's name.
UNTRANSLATED_ON_PURPOSE = {"hubbar", "English", "Svenska", "In", "På", "svenska", "PDF", "XLSX"}
UNTRANSLATED_ON_PURPOSE |= {"CSV", "ics"}


def _visible_text(source: str) -> str:
    """A template's text outside Jinja expressions, tags, <pre> and <code> (examples of input
    such as a CSV file are shown as they are)."""
    for pattern in (r"{#.*?#}", r"{{.*?}}", r"{%.*?%}"):
        source = re.sub(pattern, " ", source, flags=re.S)
    source = re.sub(r"<(script|style|pre|code)\b.*?</\1>", " ", source, flags=re.S)
    source = re.sub(r'[\w-]+="[^"]*"', " ", source)  # attributes written by a macro
    source = re.sub(r"<[^>]*>", " ", source, flags=re.S)
    return re.sub(r"&[a-z]+;|&#\d+;", " ", source)


def test_templates_show_no_words_outside_translations():
    """Every word a page shows goes through gettext, so it has a Swedish and an English form."""
    stray = {}
    for path in sorted((ROOT / "templates").rglob("*.html")):
        words = re.findall(r"[A-Za-zÅÄÖåäöÉé]{2,}", _visible_text(path.read_text()))
        found = [w for w in words if w not in UNTRANSLATED_ON_PURPOSE]
        if found:
            stray[str(path.relative_to(ROOT))] = found[:10]
    assert stray == {}
