"""The audit log is append-only: the app and the database both refuse to change or delete an
event; erasing an account keeps its events, without the person."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from sqlalchemy import delete, inspect, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from hubbar.accounts.models import User
from hubbar.audit import guard
from hubbar.audit.models import AuditEvent
from hubbar.audit.operations import record
from hubbar.extensions import db
from tests.factories import make_admin, make_organisation
from tests.helpers import audit_events, count

MIGRATION = Path(__file__).resolve().parents[2] / "migrations/versions/0007_privacy_security.py"


@pytest.fixture()
def event():
    """An organisation's creation, recorded by an admin."""
    admin = make_admin(display_name="Alex Admin")
    org = make_organisation(name="Kulturförvaltningen", code="KuF")
    event = record(
        admin, "organisation.update", org, "Kulturförvaltningen", {"code": ["KF", "KuF"]}
    )
    db.session.commit()
    return event


def _stored(event_id: int) -> tuple:
    """The event's row as the database holds it (not the session's copy)."""
    db.session.rollback()
    with db.engine.connect() as conn:
        return tuple(
            conn.execute(
                text(
                    "SELECT actor_id, action, object_type, object_id, summary "
                    "FROM audit_events WHERE id = :id"
                ),
                {"id": event_id},
            ).one()
        )


# --- the app ----------------------------------------------------------------------------------


def test_deleting_an_event_through_the_orm_raises(event):
    event_id = event.id
    before = _stored(event_id)
    db.session.delete(event)
    with pytest.raises(guard.AuditLogIsAppendOnly):
        db.session.commit()
    assert _stored(event_id) == before


@pytest.mark.parametrize(
    "change",
    [
        {"summary": "Stadsarkivet"},
        {"action": "organisation.create"},
        {"object_id": 999},
        {"changes": {}},
        {"actor_id": None, "summary": "Stadsarkivet"},
    ],
    ids=["summary", "action", "object", "changes", "actor-and-summary"],
)
def test_changing_an_event_through_the_orm_raises(event, change):
    event_id = event.id
    before = _stored(event_id)
    for field, value in change.items():
        setattr(event, field, value)
    with pytest.raises(guard.AuditLogIsAppendOnly):
        db.session.flush()
    assert _stored(event_id) == before


@pytest.mark.parametrize(
    "statement",
    [
        lambda: update(AuditEvent).values(summary="x"),
        lambda: delete(AuditEvent),
        lambda: AuditEvent.__table__.delete(),
    ],
    ids=["orm-update", "orm-delete", "table-delete"],
)
def test_bulk_statements_on_events_through_the_session_raise(event, statement):
    with pytest.raises(guard.AuditLogIsAppendOnly):
        db.session.execute(statement())
    assert count(AuditEvent) == 1


def test_unlinking_the_actor_is_the_one_change_allowed(event):
    event.actor = None
    db.session.commit()
    assert _stored(event.id)[0] is None
    assert [e.summary for e in audit_events()] == ["Kulturförvaltningen"]


# --- the database -----------------------------------------------------------------------------


def _raw(sql: str, **params) -> None:
    """Run ``sql`` on a connection of its own, past the app's guard."""
    db.session.rollback()
    with db.engine.begin() as conn:
        conn.execute(text(sql), params)


@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM audit_events",
        "DELETE FROM audit_events WHERE id = :id",
        "UPDATE audit_events SET summary = 'Stadsarkivet' WHERE id = :id",
        "UPDATE audit_events SET action = 'x', actor_id = NULL WHERE id = :id",
        "UPDATE audit_events SET object_id = NULL WHERE id = :id",
        "UPDATE audit_events SET occurred_at = occurred_at WHERE id = :id",  # refused: no NULL
        "UPDATE audit_events SET changes = '{}' WHERE id = :id",
        "UPDATE audit_events SET id = id + 1000 WHERE id = :id",
    ],
)
def test_the_database_refuses_raw_changes(event, sql):
    before = _stored(event.id)
    with pytest.raises(IntegrityError, match="append-only"):
        _raw(sql, id=event.id)
    assert _stored(event.id) == before


def test_the_database_refuses_moving_an_event_to_another_actor(event):
    other = make_admin()
    with pytest.raises(IntegrityError, match="append-only"):
        _raw(
            "UPDATE audit_events SET actor_id = :other WHERE id = :id", other=other.id, id=event.id
        )


def test_the_database_lets_an_event_lose_its_actor(event):
    _raw("UPDATE audit_events SET actor_id = NULL WHERE id = :id", id=event.id)
    assert _stored(event.id) == (
        None,
        "organisation.update",
        "Organisation",
        event.object_id,
        "Kulturförvaltningen",
    )


def test_truncate_is_refused_on_postgresql(event, is_postgres):
    if not is_postgres:
        pytest.skip("SQLite has no TRUNCATE")
    with pytest.raises(DBAPIError, match="append-only"):
        _raw("TRUNCATE audit_events CASCADE")
    assert count(AuditEvent) == 1


def test_maintenance_switch_lets_a_deliberate_change_through_and_ends_with_it(event):
    db.session.rollback()
    with db.engine.begin() as conn, guard.maintenance(conn):
        conn.execute(
            text("UPDATE audit_events SET summary = 'rättad' WHERE id = :id"), {"id": event.id}
        )
    assert _stored(event.id)[4] == "rättad"
    with pytest.raises(IntegrityError, match="append-only"):
        _raw("DELETE FROM audit_events")
    with db.engine.begin() as conn, guard.maintenance(conn):
        conn.execute(text("DELETE FROM audit_events"))
    assert count(AuditEvent) == 0


def test_maintenance_that_fails_leaves_the_guard_in_place(event):
    db.session.rollback()
    with pytest.raises(RuntimeError), db.engine.begin() as conn, guard.maintenance(conn):
        conn.execute(text("DELETE FROM audit_events"))
        raise RuntimeError("changed my mind")
    assert count(AuditEvent) == 1
    with pytest.raises(IntegrityError, match="append-only"):
        _raw("DELETE FROM audit_events")


def test_postgresql_switch_is_a_setting_for_one_transaction(event, is_postgres):
    if not is_postgres:
        pytest.skip("a PostgreSQL setting")
    db.session.rollback()
    with db.engine.begin() as conn:
        conn.execute(text("SET LOCAL hubbar.audit_maintenance = 'on'"))
        conn.execute(text("UPDATE audit_events SET summary = 'rättad'"))
    with pytest.raises(IntegrityError, match="append-only"):
        _raw("UPDATE audit_events SET summary = 'igen'")
    assert _stored(event.id)[4] == "rättad"


# --- erasing an account -----------------------------------------------------------------------


def test_deleting_a_user_who_acted_keeps_their_events_without_them(event):
    actor_id = event.actor_id
    db.session.delete(db.session.get(User, actor_id))
    db.session.commit()
    [kept] = audit_events()
    assert (kept.actor_id, kept.action, kept.summary) == (
        None,
        "organisation.update",
        "Kulturförvaltningen",
    )
    assert kept.changes == {"code": ["KF", "KuF"]}


def test_deleting_a_user_who_acted_in_raw_sql_keeps_their_events(event):
    actor_id = event.actor_id
    _raw("DELETE FROM role_assignments WHERE user_id = :id", id=actor_id)
    _raw("DELETE FROM users WHERE id = :id", id=actor_id)
    assert _stored(event.id) == (
        None,
        "organisation.update",
        "Organisation",
        event.object_id,
        "Kulturförvaltningen",
    )


# --- the migration ----------------------------------------------------------------------------


def _migration():
    spec = importlib.util.spec_from_file_location("migration_0007", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_migration_creates_the_guard_of_the_app():
    migration = _migration()
    assert migration.AUDIT_POSTGRES_CREATE == guard.POSTGRES_CREATE
    assert migration.AUDIT_POSTGRES_DROP == guard.POSTGRES_DROP
    assert migration.AUDIT_SQLITE_CREATE == guard.SQLITE_CREATE
    assert migration.AUDIT_SQLITE_DROP == guard.SQLITE_DROP


def test_the_sqlite_trigger_names_every_column():
    """A column added to audit_events must be compared by the SQLite trigger too."""
    columns = {c["name"] for c in inspect(db.engine).get_columns("audit_events")}
    update_trigger = guard.SQLITE_CREATE[1]
    assert all(f"NEW.{c} IS NOT OLD.{c}" in update_trigger for c in columns - {"actor_id"})
    assert "NEW.actor_id IS NOT NULL" in update_trigger


def _triggers(conn) -> set[str]:
    if conn.dialect.name == "postgresql":
        sql = (
            "SELECT tgname FROM pg_trigger "
            "WHERE tgrelid = 'audit_events'::regclass AND NOT tgisinternal"
        )
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_events'"
    return set(conn.execute(text(sql)).scalars())


def test_downgrade_drops_the_triggers_and_upgrade_creates_them(database_url, tmp_path):
    from flask_migrate.cli import db as db_cli

    from hubbar import create_app
    from tests.test_migrations import _fresh_database

    url, drop = _fresh_database(database_url, tmp_path)
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x"})
    runner = app.test_cli_runner()
    try:
        with app.app_context():
            expected = (
                {"audit_events_append_only", "audit_events_no_truncate"}
                if db.engine.dialect.name == "postgresql"
                else {"audit_events_no_delete", "audit_events_no_update"}
            )
            assert runner.invoke(db_cli, ["upgrade"]).exit_code == 0
            with db.engine.connect() as conn:
                assert _triggers(conn) == expected
            result = runner.invoke(db_cli, ["downgrade", "0006_mail_calendar"])
            assert result.exit_code == 0, result.output
            with db.engine.connect() as conn:
                assert _triggers(conn) == set()
            assert runner.invoke(db_cli, ["upgrade"]).exit_code == 0
            with db.engine.connect() as conn:
                assert _triggers(conn) == expected
            db.engine.dispose()
    finally:
        drop()
