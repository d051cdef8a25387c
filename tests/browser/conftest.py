"""Browser tests: the app served on localhost with the demo, driven by Playwright in Chromium.

One live server (on its own fresh database, loaded with the demo) and one browser serve the
whole session; each test opens pages in fresh browser contexts with ``new_page``. Playwright's
own browser download does not work on our machines: Debian's Chromium is launched instead.
Without it the tests are skipped, except in CI (CI=true), where that is a failure.

A failing test leaves a screenshot of each page it had open in tests/browser/artifacts/, and
every axe scan of the session is written to tests/browser/artifacts/axe-report.json.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from tests.browser import helpers

CHROMIUM = Path(os.environ.get("HUBBAR_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test, so fixtures can tell whether it failed."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


def pytest_sessionfinish(session, exitstatus):
    """Write every axe scan of the session (page, language, width, rules checked) to JSON."""
    if not helpers.SCANS:
        return
    ARTIFACTS.mkdir(exist_ok=True)
    pages = sorted({(s["path"], s["lang"]) for s in helpers.SCANS})
    rules = sorted({rule for s in helpers.SCANS for rule in s["rules"]})
    report = {
        "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "tags": helpers.AXE_TAGS,
        "axe_version": helpers.SCANS[0]["axe_version"],
        "scans": len(helpers.SCANS),
        "pages": len(pages),
        "rules_checked": len(rules),
        "violations": sum(len(s["violations"]) for s in helpers.SCANS),
        "scan_list": [{k: v for k, v in s.items() if k != "rules"} for s in helpers.SCANS],
        "rule_ids": rules,
    }
    (ARTIFACTS / "axe-report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))


@pytest.fixture(autouse=True)
def _clean_database():
    """The browser tests share the live server's database, which holds the demo for the whole
    session: nothing to empty between tests (and no need for the unit tests' app)."""
    yield


# --- the live server ------------------------------------------------------------------------


@contextmanager
def _fresh_database(tmp_path_factory):
    """A database of its own: a SQLite file, or a new PostgreSQL database (dropped afterwards)
    when HUBBAR_TEST_DATABASE_URL names a PostgreSQL server, as tests/conftest.py does."""
    configured = os.environ.get("HUBBAR_TEST_DATABASE_URL")
    if not configured or make_url(configured).get_backend_name() != "postgresql":
        yield f"sqlite:///{tmp_path_factory.mktemp('browser-db') / 'hubbar.sqlite3'}"
        return
    url = make_url(configured)
    name = f"hubbar_browser_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    """The app behind ``live_server`` (for reading its data in a test: ``with
    live_app.app_context(): ...``). Real forms: CSRF on; no scheduler."""
    from flask_migrate import upgrade

    from hubbar import create_app
    from hubbar.demo import load_demo
    from hubbar.extensions import db

    with _fresh_database(tmp_path_factory) as url:
        saved = os.environ.get("HUBBAR_INSTANCE_PATH")
        os.environ["HUBBAR_INSTANCE_PATH"] = str(tmp_path_factory.mktemp("browser-instance"))
        try:
            app = create_app(
                {
                    "SQLALCHEMY_DATABASE_URI": url,
                    "SECRET_KEY": "browser-test-secret",
                    "WTF_CSRF_ENABLED": True,
                    "HUBBAR_SCHEDULER_ENABLED": False,
                    "HUBBAR_PASSWORD_HASH": "pbkdf2:sha256:1000",
                }
            )
        finally:
            if saved is None:
                os.environ.pop("HUBBAR_INSTANCE_PATH", None)
            else:
                os.environ["HUBBAR_INSTANCE_PATH"] = saved
        with app.app_context():
            upgrade()
            load_demo()
            db.session.remove()
        yield app
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture(scope="session")
def live_server(live_app) -> str:
    """The base URL ("http://127.0.0.1:PORT") of the demo app, served in a background thread."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    live_app.config["HUBBAR_BASE_URL"] = base
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield base
    server.shutdown()
    thread.join(timeout=10)


# --- the browser ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, for the whole session."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing (apt-get install -y chromium)"
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(f"Browser tests cannot run in CI: {message}", pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        yield chromium
        chromium.close()
    finally:
        playwright.stop()


@pytest.fixture()
def new_page(browser, live_server, request):
    """``new_page(width=1280, locale="sv")``: a Page in a fresh context (its own cookies), with
    that viewport width (height 900). Screenshots of every page opened are saved when the test
    fails."""
    contexts = []

    def make(width: int = 1280, locale: str = "sv", height: int = 900):
        context = browser.new_context(
            viewport={"width": width, "height": height},
            locale="sv-SE" if locale == "sv" else "en-GB",
            base_url=live_server,
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    report = getattr(request.node, "report_call", None)
    failed = report is not None and report.failed
    for number, context in enumerate(contexts):
        for page_number, page in enumerate(context.pages):
            if failed:
                _screenshot(page, request.node.nodeid, number, page_number)
        context.close()


def _screenshot(page, nodeid: str, context_number: int, page_number: int) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid.split("tests/browser/")[-1]).strip("_")
    suffix = f"-{context_number}" if context_number else ""
    suffix += f"-{page_number}" if page_number else ""
    try:
        page.screenshot(path=str(ARTIFACTS / f"{name}{suffix}.png"), full_page=True)
    except Exception as error:  # a crashed page: the failure itself matters more
        print(f"no screenshot of {page.url}: {error}")
