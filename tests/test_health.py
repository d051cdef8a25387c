"""/healthz (the process answers) and /readyz (the database answers, its schema at the head):
JSON, no login, no cookie, not cached, and nothing written to the database."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import event, select, text

from hubbar.accounts.models import User
from hubbar.db import utcnow
from hubbar.extensions import db
from hubbar.health import MIGRATIONS, known_revisions, migrations_head
from tests.factories import login, make_user
from tests.test_database_outage import database_down


@contextmanager
def statements():
    """The SQL statements run while inside."""
    seen: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", note)


def _probe_answer(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers
    return response.get_json()


def test_healthz_answers_without_the_database(client):
    with database_down() as refused, statements() as run:
        response = client.get("/healthz")
    assert _probe_answer(response, 200) == {"status": "ok"}
    assert run == refused == []


def test_readyz_is_ready_when_the_database_is_at_the_head(client):
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    stored = db.session.scalar(text("SELECT version_num FROM alembic_version"))
    assert stored == head == migrations_head()
    body = _probe_answer(client.get("/readyz"), 200)
    assert body == {"status": "ready", "database": "ok", "migrations": head}


@contextmanager
def database_at(revision: str | None):
    """The database's recorded revision is ``revision`` (None: no migration run yet) while
    inside; the head again afterwards."""
    head = migrations_head()
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM alembic_version"))
        if revision is not None:
            conn.execute(text("INSERT INTO alembic_version VALUES (:rev)"), {"rev": revision})
    try:
        yield
    finally:
        with db.engine.begin() as conn:
            conn.execute(text("DELETE FROM alembic_version"))
            conn.execute(text("INSERT INTO alembic_version VALUES (:head)"), {"head": head})


@pytest.mark.parametrize("revision", ["0006_mail_calendar", None])
def test_readyz_is_unavailable_while_migrations_are_behind(client, revision):
    """An older revision of this code's migrations, or none at all (an empty database)."""
    with database_at(revision):
        body = _probe_answer(client.get("/readyz"), 503)
    assert body == {
        "status": "unavailable",
        "reason": "migrations_behind",
        "current": revision,
        "head": migrations_head(),
    }
    assert client.get("/readyz").status_code == 200


def test_readyz_is_ready_while_the_schema_is_ahead_of_the_code(client):
    """A rolling upgrade: the new version has migrated the database to a revision this code's
    migrations/ do not have; the instances still on this code keep serving until replaced."""
    newer = "0099_from_a_newer_version"
    assert newer not in known_revisions()
    with database_at(newer):
        body = _probe_answer(client.get("/readyz"), 200)
    assert body == {"status": "ready", "database": "ok", "migrations": newer, "schema": "ahead"}
    assert _probe_answer(client.get("/readyz"), 200) == {
        "status": "ready",
        "database": "ok",
        "migrations": migrations_head(),
    }


def test_readyz_is_unavailable_while_the_database_is_unreachable(client):
    with database_down():
        body = _probe_answer(client.get("/readyz"), 503)
    assert body == {"status": "unavailable", "reason": "database_unreachable"}
    assert client.get("/readyz").status_code == 200  # back by itself


def test_probes_act_as_nobody_and_write_nothing(client):
    """A probe sent with a logged-in session neither loads that user nor notes them as seen
    (which a page does: the control request at the end)."""
    user = make_user()
    login(client, user)
    long_ago = utcnow() - timedelta(days=3)
    user.last_login_at = user.last_seen_at = long_ago
    db.session.commit()
    for path in ("/healthz", "/readyz"):
        with statements() as run:
            response = client.get(path)
        assert response.status_code == 200
        assert "Set-Cookie" not in response.headers
        assert all(s.lstrip().upper().startswith(("SELECT", "PRAGMA")) for s in run), run
        assert not any("users" in s for s in run), run
    db.session.expire_all()
    assert db.session.scalar(select(User.last_seen_at).where(User.id == user.id)) == long_ago
    client.get("/profile")
    db.session.expire_all()
    assert db.session.scalar(select(User.last_seen_at).where(User.id == user.id)) > long_ago
