"""What the browser tests do again and again: log in, switch language, scan with axe, check reflow.

``scan(page)`` runs axe-core (bundled by axe-playwright-python) for the WCAG 2.0 and 2.1 A and
AA rules and fails on any violation with a readable list; every scan is recorded in ``SCANS``,
which conftest.py writes to tests/browser/artifacts/axe-report.json at the end of the session.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

DEMO_PASSWORD = "hubbar-demo"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SCANS: list[dict] = []  # one entry per scan, for the session's report

_axe = None


def _axe_runner():
    global _axe
    if _axe is None:
        from axe_playwright_python.sync_playwright import Axe

        _axe = Axe()
    return _axe


def path_of(page) -> str:
    """The page's address without scheme, host and fragment: "/bookings?x=1"."""
    return re.sub(r"^https?://[^/]+|#.*$", "", page.url) or "/"


def login(page, base: str, email: str, password: str = DEMO_PASSWORD) -> None:
    """Log in through the login form; fails with the page's error messages if refused."""
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    if "/login" in page.url:
        errors = page.locator(".field-error, .message-error, .error-summary").all_inner_texts()
        pytest.fail(f"Logging in as {email} failed: {errors}")


def logout(page) -> None:
    """Log out with the button in the header."""
    page.locator("form[action$='/logout'] button").click()
    page.wait_for_load_state()


def set_language(page, base: str, locale: str) -> None:
    """Switch the language with the switch in the page header (when it is not already so).

    For a logged-in user the choice is saved in their profile, so it sticks to later logins.
    """
    if not page.url.startswith(base):
        page.goto(base + "/")
    if page.locator("html").get_attribute("lang") == locale:
        return
    page.locator(f"form[action$='/language'] button[name=locale][value={locale}]").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == locale, f"language not {locale}"


def scan(page, *, exclude: list[str] | None = None) -> dict:
    """Run axe on the page as it is now (WCAG 2.0/2.1 A and AA) and fail on any violation.

    ``exclude``: CSS selectors axe should not look into (a third party's widget, say); the
    reason belongs in a comment where it is used. Returns axe's results.
    """
    page.wait_for_load_state()
    context = {"exclude": [[selector] for selector in exclude]} if exclude else None
    options = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}
    results = _axe_runner().run(page, context=context, options=options).response
    violations = results["violations"]
    rules = sorted(
        {
            rule["id"]
            for kind in ("passes", "violations", "incomplete", "inapplicable")
            for rule in results.get(kind, [])
        }
    )
    SCANS.append(
        {
            "path": path_of(page),
            "title": page.title(),
            "lang": page.locator("html").get_attribute("lang"),
            "width": (page.viewport_size or {}).get("width"),
            "axe_version": results.get("testEngine", {}).get("version"),
            "rules_checked": len(rules),
            "rules": rules,
            "incomplete": [rule["id"] for rule in results.get("incomplete", [])],
            "violations": [
                {"id": v["id"], "impact": v["impact"], "nodes": len(v["nodes"])} for v in violations
            ],
        }
    )
    if violations:
        pytest.fail(describe_violations(page, violations), pytrace=False)
    return results


def describe_violations(page, violations: list[dict]) -> str:
    lines = [f"{len(violations)} axe violation(s) on {path_of(page)} ({page.title()}):"]
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation['impact']}): {violation['help']} "
            f"<{violation['helpUrl']}>"
        )
        for node in violation["nodes"][:8]:
            target = " ".join(str(t) for t in node["target"])
            summary = " ".join(line.strip() for line in node.get("failureSummary", "").splitlines())
            lines.append(f"    {target}: {summary}")
            lines.append(f"      {node['html'][:200]}")
        if len(violation["nodes"]) > 8:
            lines.append(f"    … and {len(violation['nodes']) - 8} more")
    return "\n".join(lines)


_OVERFLOW_SCRIPT = """() => {
  const width = window.innerWidth;
  const clipped = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const x = getComputedStyle(p).overflowX;
      if (x === 'auto' || x === 'scroll' || x === 'hidden' || x === 'clip') return true;
    }
    return false;
  };
  const wide = [];
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.width && box.right > width + 1 && !clipped(el)) {
      const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
        (el.className && typeof el.className === 'string'
          ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
      wide.push(name + ' (right edge ' + Math.round(box.right) + ')');
    }
  }
  // Content wider than its own box (a long word in a heading, say) does not show in the boxes.
  for (const el of document.body.querySelectorAll('*')) {
    const x = getComputedStyle(el).overflowX;
    if (x === 'visible' && el.clientWidth && el.scrollWidth > el.clientWidth + 1 && !clipped(el)
        && el.getBoundingClientRect().left + el.scrollWidth > width + 1) {
      wide.push(el.tagName.toLowerCase() + ' content "' +
        (el.innerText || '').trim().slice(0, 40) + '" (' + el.scrollWidth + ' px in ' +
        el.clientWidth + ')');
    }
  }
  return {
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: width,
    wide: wide.slice(0, 12),
  };
}"""


def no_horizontal_scroll(page) -> None:
    """The document scrolls only vertically at this width: scrollWidth <= innerWidth. (A table
    may scroll inside its own region; the page may not.) Fails naming what sticks out."""
    page.wait_for_load_state()
    found = page.evaluate(_OVERFLOW_SCRIPT)
    assert found["scrollWidth"] <= found["innerWidth"], (
        f"{path_of(page)} scrolls sideways at {found['innerWidth']} px "
        f"(document {found['scrollWidth']} px wide); sticking out: {found['wide']}"
    )


# --- the live server's data and clock ---------------------------------------------------------


@contextmanager
def demo_data(live_app):
    """The live server's database session, for looking things up (ids, free days) in a test.
    Leaves no transaction open (SQLite would keep the server's writes waiting)."""
    from hubbar.extensions import db

    with live_app.app_context():
        try:
            yield db.session
        finally:
            db.session.rollback()
            db.session.remove()


def hub_named(session, name: str):
    from sqlalchemy import select

    from hubbar.hubs.models import Hub

    return session.scalars(select(Hub).where(Hub.name == name)).one()


def user_by_email(session, email: str):
    from sqlalchemy import select

    from hubbar.accounts.models import User

    return session.scalars(select(User).where(User.email == email)).one()


def open_days_after(hub, day: date, count: int = 10) -> list:
    """The hub's next ``count`` open days after ``day`` (DaySchedule rows of the app's own
    calendar: weekly hours, Swedish holidays, the hub's closures)."""
    from hubbar.hubs.calendar import hub_days

    ahead = hub_days(hub, day + timedelta(days=1), day + timedelta(days=60))
    return [schedule for schedule in ahead if schedule.is_open][:count]


def hub_today(hub) -> date:
    from hubbar.db import utcnow

    return utcnow().astimezone(ZoneInfo(hub.timezone)).date()


def server_clock_at(moment: datetime):
    """Move the clock of this process, and so the live server's, to ``moment`` (it goes on
    ticking from there) for the ``with`` block: to check in tomorrow morning, say. The browser
    keeps its own clock; pages loaded inside the block carry fresh form tokens."""
    import time_machine

    return time_machine.travel(moment, tick=True)


def click_label_of(page, selector: str) -> None:
    """Choose a radio button or checkbox drawn as a chip (its input visually hidden) by
    clicking its label, as a pointer user would."""
    input_id = page.locator(selector).get_attribute("id")
    page.locator(f"label[for='{input_id}']").click()


def either(sv: str, en: str) -> re.Pattern:
    """An accessible name in either language, exactly."""
    return re.compile(f"^({re.escape(sv)}|{re.escape(en)})$")


def check_both(page, base: str, width: int, redo=None) -> None:
    """Scan the page in Swedish, then in English, and go back to Swedish. A page that answers a
    form post is reached again in English by ``redo`` (the language switch shows its GET)."""
    url = page.url
    for language in ("sv", "en"):
        if language == "en":
            set_language(page, base, "en")
            if redo is not None:
                redo()
            elif page.url != url:
                page.goto(url)
        expect(page.locator("html")).to_have_attribute("lang", language)
        scan(page)
        if width < 400:
            no_horizontal_scroll(page)
    set_language(page, base, "sv")
    if redo is None and page.url != url:
        page.goto(url)
