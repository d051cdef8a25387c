"""No inline script, event handler or style in any template or static file: the
Content-Security-Policy allows neither, so such code would silently not run."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
FILES = sorted(
    path
    for folder in ("templates", "static")
    for path in (ROOT / folder).rglob("*")
    if path.is_file() and path.suffix in {".html", ".txt", ".js", ".css", ".svg", ".xml"}
)
# Mail templates go to mail programs, not browsers, but follow the same rule.
FORBIDDEN = {
    "inline script": re.compile(r"<script\b(?![^>]*\bsrc\s*=)[^>]*>", re.I),
    "event handler attribute": re.compile(r"<[^>]*\son[a-z]+\s*=", re.I | re.S),
    "style attribute": re.compile(r"<[^>]*\sstyle\s*=", re.I | re.S),
    "style element": re.compile(r"<style\b", re.I),
    "javascript: address": re.compile(r"javascript:", re.I),
}
# In scripts: code from strings, and handlers or styles set as markup, which the policy blocks.
FORBIDDEN_IN_SCRIPTS = {
    "eval": re.compile(r"\beval\s*\("),
    "new Function": re.compile(r"\bnew\s+Function\s*\("),
    "string timer": re.compile(r"set(?:Timeout|Interval)\s*\(\s*[\"'`]"),
    "handler or style attribute": re.compile(
        r"setAttribute\s*\(\s*[\"'](?:on[a-z]+|style)[\"']", re.I
    ),
    "markup with a handler or style": re.compile(
        r"[\"'`][^\"'`]*<[^>]*\s(?:on[a-z]+|style)\s*=", re.I
    ),
}


def test_there_are_templates_and_static_files_to_check():
    names = {path.name for path in FILES}
    assert {"base.html", "hubbar.css", "today.js"} <= names


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(ROOT)) for p in FILES])
def test_no_inline_script_handler_or_style(path):
    source = path.read_text(encoding="utf-8")
    rules = dict(FORBIDDEN)
    if path.suffix == ".js":
        rules = FORBIDDEN_IN_SCRIPTS
    elif path.suffix == ".css":
        rules = {"javascript: address": FORBIDDEN["javascript: address"]}
    found = [
        f"{name}: {match.group(0)[:60]!r}"
        for name, pattern in rules.items()
        for match in pattern.finditer(source)
    ]
    assert not found, found


@pytest.mark.parametrize(
    "snippet",
    [
        "<script>alert(1)</script>",
        '<script type="module">x()</script>',
        '<button onclick="go()">',
        '<a href="#"\n   onmouseover="go()">',
        '<p style="color: red">',
        "<style>p { color: red }</style>",
        '<a href="javascript:go()">',
    ],
)
def test_the_scan_finds_inline_code(snippet):
    assert any(pattern.search(snippet) for pattern in FORBIDDEN.values())


@pytest.mark.parametrize(
    "snippet",
    [
        '<script src="/static/today.js" defer></script>',
        '<p class="one" data-on="x">',
        '{% if x %}aria-current="page"{% endif %}',
    ],
)
def test_the_scan_lets_the_allowed_through(snippet):
    assert not any(pattern.search(snippet) for pattern in FORBIDDEN.values())
