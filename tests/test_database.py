"""Database conventions every part relies on: UTC datetimes and SQLite's pragmas."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import StatementError

from hubbar.extensions import db
from hubbar.hubs.models import OutOfService
from tests.factories import make_desk, make_hub
from tests.helpers import STOCKHOLM, count


def test_utc_datetime_stores_utc_and_returns_aware_datetimes(is_postgres):
    desk = make_desk(make_hub())
    # 10.00 in Stockholm in summer time is 08.00 UTC; in winter time 09.00 UTC.
    summer = datetime(2026, 6, 1, 10, tzinfo=STOCKHOLM)
    winter = datetime(2026, 12, 1, 10, tzinfo=STOCKHOLM)
    db.session.add(OutOfService(desk=desk, starts_at=summer, ends_at=winter, reason="Ombyggnad"))
    db.session.commit()
    db.session.expire_all()

    period = db.session.scalar(select(OutOfService))
    assert period.starts_at == datetime(2026, 6, 1, 8, tzinfo=UTC)
    assert period.ends_at == datetime(2026, 12, 1, 9, tzinfo=UTC)
    for value in (period.starts_at, period.ends_at):
        assert value.utcoffset() == timedelta(0)

    # What the database itself holds is the UTC wall-clock time.
    if is_postgres:
        stored = db.session.scalar(text("SELECT starts_at AT TIME ZONE 'UTC' FROM out_of_service"))
        assert stored == datetime(2026, 6, 1, 8)
    else:
        stored = db.session.scalar(text("SELECT starts_at FROM out_of_service"))
        assert str(stored).startswith("2026-06-01 08:00:00")


def test_utc_datetime_refuses_naive_datetimes():
    desk = make_desk(make_hub())
    db.session.add(
        OutOfService(
            desk=desk,
            starts_at=datetime(2026, 6, 1, 10),  # no time zone: which 10.00?
            ends_at=datetime(2026, 6, 1, 12, tzinfo=UTC),
            reason="x",
        )
    )
    with pytest.raises(StatementError, match="naive"):
        db.session.commit()
    assert count(OutOfService) == 0


def test_sqlite_has_foreign_keys_on_and_a_wal_journal(is_postgres):
    if is_postgres:
        pytest.skip("SQLite pragmas; PostgreSQL always enforces foreign keys")
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA journal_mode")).scalar().lower() == "wal"


def test_the_pool_is_sized_from_the_environment_on_a_server_database(monkeypatch, tmp_path):
    from hubbar.config import engine_options, load_config

    server = "postgresql+psycopg://hubbar@db/hubbar"
    monkeypatch.setenv("HUBBAR_DATABASE_URL", server)
    assert engine_options(load_config(str(tmp_path))) == {
        "pool_pre_ping": True,
        "pool_size": 5,
        "max_overflow": 5,
    }
    monkeypatch.setenv("HUBBAR_DB_POOL_SIZE", "8")
    monkeypatch.setenv("HUBBAR_DB_MAX_OVERFLOW", "2")
    sized = engine_options(load_config(str(tmp_path)))
    assert (sized["pool_size"], sized["max_overflow"]) == (8, 2)
    # SQLite has no server to size a pool for; pre-ping alone.
    monkeypatch.delenv("HUBBAR_DATABASE_URL")
    assert engine_options(load_config(str(tmp_path))) == {"pool_pre_ping": True}


def test_the_pool_follows_the_database_the_app_is_given(monkeypatch, tmp_path):
    """The database passed to create_app decides, not HUBBAR_DATABASE_URL: SQLite's pool
    takes no pool_size, and a server database given in code gets its pool sized."""
    from hubbar import create_app

    monkeypatch.setenv("HUBBAR_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("HUBBAR_DATABASE_URL", "postgresql+psycopg://hubbar@db/hubbar")
    monkeypatch.setenv("HUBBAR_DB_POOL_SIZE", "7")
    base = {"TESTING": True, "SECRET_KEY": "x"}
    on_sqlite = create_app({**base, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert on_sqlite.config["SQLALCHEMY_ENGINE_OPTIONS"] == {"pool_pre_ping": True}
    with on_sqlite.app_context():
        assert db.session.scalar(text("SELECT 1")) == 1  # the engine is made: no TypeError

    monkeypatch.delenv("HUBBAR_DATABASE_URL")
    on_server = create_app({**base, "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://hubbar@db/x"})
    assert on_server.config["SQLALCHEMY_ENGINE_OPTIONS"] == {
        "pool_pre_ping": True,
        "pool_size": 7,
        "max_overflow": 5,
    }
    chosen = {"pool_pre_ping": False}
    given = create_app(
        {**base, "SQLALCHEMY_DATABASE_URI": "sqlite://", "SQLALCHEMY_ENGINE_OPTIONS": chosen}
    )
    assert given.config["SQLALCHEMY_ENGINE_OPTIONS"] == chosen
