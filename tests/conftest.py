"""Test set-up: one app per session on SQLite or PostgreSQL, schema built by the migrations.

HUBBAR_TEST_DATABASE_URL selects the database (default: a SQLite file in a temporary folder).
For PostgreSQL a fresh database is created for the run and dropped afterwards; if PostgreSQL
cannot be reached, every test errors (in CI that is a failure, never a skip).
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import flask_babel
import pytest
from flask.globals import _cv_app
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from hubbar import create_app
from hubbar.audit import guard as audit_guard
from hubbar.extensions import db
from tests.factories import login, make_admin

ROOT = Path(__file__).resolve().parent.parent


def pytest_sessionstart(session):
    """Compile the message catalogues, so the suite also runs outside `make test`."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "compile",
            "-d",
            str(ROOT / "hubbar" / "translations"),
        ],
        check=True,
        capture_output=True,
    )


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    configured = os.environ.get("HUBBAR_TEST_DATABASE_URL")
    if not configured:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'hubbar-test.sqlite3'}"
        return
    url = make_url(configured)
    if url.get_backend_name() != "postgresql":
        yield configured
        return
    name = f"hubbar_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class FreshRequestClient(FlaskClient):
    """A test client whose every request starts with a fresh ``g`` and locale, as in production.

    The tests keep one app context open (for the factories and the database session) and Flask
    reuses it for requests; without this, the logged-in user (Flask-Login keeps it in ``g``) and
    the chosen language (Flask-Babel caches it on the context) would leak from one request to the
    next.
    """

    def open(self, *args, **kwargs):
        self._fresh_context()
        try:
            return super().open(*args, **kwargs)
        finally:
            # Nor does the request's user or language leak into the test's code afterwards.
            self._fresh_context()

    def _fresh_context(self) -> None:
        ctx = _cv_app.get(None)
        if ctx is not None:
            ctx.g = self.application.app_ctx_globals_class()
            flask_babel.refresh()


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    os.environ["HUBBAR_INSTANCE_PATH"] = str(tmp_path_factory.mktemp("instance"))
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "WTF_CSRF_ENABLED": False,
            "HUBBAR_PASSWORD_HASH": "pbkdf2:sha256:1000",
            "SECRET_KEY": "test-secret",
        }
    )
    app.test_client_class = FreshRequestClient
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean_database(app):
    """Each test starts from empty tables (works with real commits, on both databases). The
    audit log is append-only in the database: emptying it takes the maintenance switch."""
    ctx = app.app_context()
    ctx.push()
    yield
    db.session.rollback()
    db.session.remove()
    with db.engine.begin() as conn, audit_guard.maintenance(conn):
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())
    ctx.pop()


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture()
def is_postgres(app) -> bool:
    return db.engine.dialect.name == "postgresql"


@pytest.fixture()
def admin(client):
    """A system admin, logged in on ``client``."""
    user = make_admin()
    login(client, user)
    return user
