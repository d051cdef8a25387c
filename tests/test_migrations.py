"""The migrations build exactly the schema the models describe, and can be undone and redone."""

from __future__ import annotations

import uuid
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate.cli import db as db_cli
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from hubbar import create_app
from hubbar.extensions import db

TABLES = {
    "organisations",
    "users",
    "role_assignments",
    "hubs",
    "hub_admissions",
    "opening_hours",
    "closures",
    "desks",
    "desk_equipment",
    "out_of_service",
    "pilots",
    "pilot_hubs",
    "pilot_guest_organisations",
    "pilot_participants",
    "audit_events",
}


def test_migrated_database_matches_the_models():
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_migrations_create_the_named_constraints():
    inspector = inspect(db.engine)
    assert set(inspector.get_table_names()) >= TABLES
    checks = {c["name"] for t in TABLES for c in inspector.get_check_constraints(t)}
    assert {
        "ck_hubs_valid_slot",
        "ck_opening_hours_closes_after_opens",
        "ck_out_of_service_end_after_start",
        "ck_closures_end_not_before_start",
        "ck_role_assignments_valid_scope",
        "ck_users_email_lowercase",
        "ck_pilots_end_after_start",
        "ck_organisations_valid_kind",
        "ck_role_assignments_valid_role",
        "ck_pilots_valid_status",
        "ck_desk_equipment_valid_tag",
    } <= checks
    indexes = {i["name"] for i in inspector.get_indexes("role_assignments") if i["unique"]}
    assert {
        "uq_role_assignments_system_admin",
        "uq_role_assignments_hub",
        "uq_role_assignments_pilot",
        "uq_role_assignments_organisation",
    } <= indexes


def _fresh_database(database_url: str, tmp_path):
    """A new empty database beside the test database; returns (url, drop)."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        return f"sqlite:///{tmp_path / 'migrations.sqlite3'}", lambda: None
    name = f"hubbar_migrate_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop


def test_downgrade_to_base_and_upgrade_again(database_url, tmp_path):
    url, drop = _fresh_database(database_url, tmp_path)
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x"})
    runner = app.test_cli_runner()
    try:
        with app.app_context():
            result = runner.invoke(db_cli, ["upgrade"])
            assert result.exit_code == 0, result.output
            assert set(inspect(db.engine).get_table_names()) >= TABLES

            result = runner.invoke(db_cli, ["downgrade", "base"])
            assert result.exit_code == 0, result.output
            assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}

            result = runner.invoke(db_cli, ["upgrade"])
            assert result.exit_code == 0, result.output
            assert set(inspect(db.engine).get_table_names()) >= TABLES
            with db.engine.connect() as conn:
                context = MigrationContext.configure(conn, opts={"compare_type": True})
                assert compare_metadata(context, db.metadata) == []
                assert context.get_current_revision() == _head_revision()
            db.engine.dispose()
    finally:
        drop()


def _head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory(
        str(Path(__file__).resolve().parent.parent / "migrations")
    ).get_current_head()


def test_a_downgrade_and_upgrade_keep_the_rows(database_url, tmp_path):
    """Batch migrations on SQLite copy and drop tables: with foreign keys on, dropping users or
    hubs would delete or empty every row that refers to them. Rows survive a round trip, and
    the bookings get their person ids back."""
    from hubbar.bookings.models import person_of

    url, drop = _fresh_database(database_url, tmp_path)
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x"})
    runner = app.test_cli_runner()
    try:
        with app.app_context():
            assert runner.invoke(db_cli, ["upgrade"]).exit_code == 0
            from datetime import UTC, datetime

            from tests.factories import make_desk, make_hub, make_user

            hub = make_hub()
            desk = make_desk(hub)
            user = make_user(hub.host_organisation)
            from hubbar.bookings.models import Booking

            starts = datetime(2026, 3, 2, 9, tzinfo=UTC)
            ends = datetime(2026, 3, 2, 11, tzinfo=UTC)
            db.session.add(
                Booking(
                    desk=desk,
                    hub_id=hub.id,
                    user=user,
                    organisation_id=user.organisation_id,
                    starts_at=starts,
                    ends_at=ends,
                    occupied_until=ends,
                )
            )
            db.session.commit()
            user_id = user.id
            db.session.remove()

            result = runner.invoke(db_cli, ["downgrade", "0004_lunch_breaks_desk_history"])
            assert result.exit_code == 0, result.output
            result = runner.invoke(db_cli, ["upgrade"])
            assert result.exit_code == 0, result.output
            with db.engine.connect() as conn:
                rows = conn.execute(text("SELECT user_id, person_id FROM bookings")).all()
                assert rows == [(user_id, person_of(user_id))]
                roles = conn.execute(text("SELECT count(*) FROM users")).scalar()
                assert roles == 1
            db.engine.dispose()
    finally:
        drop()
