"""Health checks for load balancers and orchestrators.

``/healthz``: the process answers (no database), for restarting a hung instance. ``/readyz``: the
database answers and its schema is not behind this code's migrations, for sending traffic only
to instances that can serve it; 503 with a reason otherwise.

A schema *ahead* of the code (its revision is one this code's migrations/ do not know) is ready:
in a rolling upgrade the new version runs ``flask db upgrade`` while instances of the old one
still serve, and they must keep serving until they are replaced (migrations add before they
remove, so the old code still works on the new schema). Only a schema behind the code, which
lacks tables or columns the code uses, makes an instance unready.

Both act as nobody: no login, no session cookie, no CSRF token, and no write to the database
(the last-seen note of a logged-in visitor is not made for a probe).
"""

from __future__ import annotations

from functools import cache

from alembic.script import ScriptDirectory
from flask import Blueprint, Flask, g, jsonify, request
from sqlalchemy import inspect, text

from hubbar import ROOT
from hubbar.extensions import csrf, db, login_manager
from hubbar.web import DATABASE_ERRORS

bp = Blueprint("health", __name__)

MIGRATIONS = ROOT / "migrations"
VERSION_TABLE = "alembic_version"


@cache
def migrations_head() -> str:
    """The head revision of migrations/ (read once: the code does not change while it runs);
    several heads, which Alembic allows, are joined with commas."""
    return ",".join(sorted(_scripts().get_heads()))


@cache
def known_revisions() -> frozenset[str]:
    """Every revision in this code's migrations/ (read once, like the head)."""
    return frozenset(script.revision for script in _scripts().walk_revisions())


def _scripts() -> ScriptDirectory:
    return ScriptDirectory(str(MIGRATIONS))


def _current_revision(connection) -> str:
    """The revision(s) the database is at, from Alembic's table ("" before the first migration).
    Read with a plain query: Alembic's MigrationContext would log two lines per probe."""
    if not inspect(connection).has_table(VERSION_TABLE):
        return ""
    versions = connection.scalars(text(f"SELECT version_num FROM {VERSION_TABLE}"))
    return ",".join(sorted(versions))


def _is_ahead(current: str) -> bool:
    """Whether the database is at a revision this code does not know: a newer version has
    migrated it. (Not yet migrated, or at an older revision of ours, is behind.)"""
    return any(rev not in known_revisions() for rev in current.split(",") if rev)


def _answer(body: dict, status: int = 200):
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/healthz")
def healthz():
    return _answer({"status": "ok"})


@bp.get("/readyz")
def readyz():
    head = migrations_head()
    try:
        # A connection of its own, not the request's session: the check reads and then
        # gives the connection back, whatever happened.
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            current = _current_revision(connection)
    except DATABASE_ERRORS:
        return _answer({"status": "unavailable", "reason": "database_unreachable"}, 503)
    ready = {"status": "ready", "database": "ok", "migrations": head}
    if current == head:
        return _answer(ready)
    if _is_ahead(current):
        return _answer({**ready, "migrations": current, "schema": "ahead"})
    return _answer(
        {
            "status": "unavailable",
            "reason": "migrations_behind",
            "current": current or None,
            "head": head,
        },
        503,
    )


def _as_nobody() -> None:
    """A probe is nobody's request: Flask-Login's user is set to the anonymous one before any
    other before-request function asks for it (and would load a session's user from the
    database, or note that they were seen)."""
    if request.blueprint == bp.name:
        g._login_user = login_manager.anonymous_user()


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    csrf.exempt(bp)
    # First among the app's before-request functions.
    app.before_request_funcs.setdefault(None, []).insert(0, _as_nobody)
