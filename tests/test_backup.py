"""`flask hubbar backup`: an online, consistent, checked copy of a SQLite database; on
PostgreSQL a clear refusal that points to pg_dump."""

from __future__ import annotations

import os
import re
import sqlite3
import stat
import threading
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import text

from hubbar.extensions import db
from tests.factories import make_hub


@pytest.fixture()
def sqlite_only(is_postgres):
    if is_postgres:
        pytest.skip("the backup copies SQLite databases; on PostgreSQL it refuses (tested below)")


def backup(app, *args: str):
    return app.test_cli_runner().invoke(args=["hubbar", "backup", *args])


def schema_version() -> str:
    return db.session.scalar(text("SELECT version_num FROM alembic_version"))


def open_copy(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def test_the_copy_opens_has_the_data_and_passes_the_integrity_check(app, sqlite_only, tmp_path):
    make_hub(desks=3, name="Kungsklippan 6")
    out = tmp_path / "copy.sqlite3"
    result = backup(app, "--out", str(out))
    assert result.exit_code == 0, result.output
    size = out.stat().st_size
    assert f"Backup written to {out} ({size:,} bytes)." in result.output
    assert f"Checked: integrity ok, schema version {schema_version()}." in result.output
    with closing(open_copy(out)) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert copy.execute("SELECT name FROM hubs").fetchall() == [("Kungsklippan 6",)]
        assert copy.execute("SELECT count(*) FROM desks").fetchone() == (3,)
        assert copy.execute("SELECT version_num FROM alembic_version").fetchone() == (
            schema_version(),
        )
        # One self-contained file: no -wal beside it is needed.
        assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600  # the bookings name people


def test_a_backup_is_consistent_while_the_app_writes(app, sqlite_only, tmp_path):
    """Another connection inserts organisations all the time; every copy is whole, and holds
    the organisations of one moment (between the counts before and after it)."""
    path = db.engine.url.database
    stop = threading.Event()

    def write() -> None:
        with closing(sqlite3.connect(path, timeout=10)) as writer:
            n = 0
            while not stop.is_set():
                n += 1
                writer.execute(
                    "INSERT INTO organisations (name, code, kind, created_at)"
                    " VALUES (?, ?, 'administration', '2026-11-30 08:00:00.000000')",
                    (f"Förvaltning W{n}", f"W{n}"),
                )
                writer.commit()

    def organisations(connection: sqlite3.Connection) -> int:
        return connection.execute("SELECT count(*) FROM organisations").fetchone()[0]

    writer = threading.Thread(target=write)
    writer.start()
    try:
        for n in range(3):
            with closing(sqlite3.connect(path)) as live:
                before = organisations(live)
            out = tmp_path / f"copy-{n}.sqlite3"
            result = backup(app, "--out", str(out))
            with closing(sqlite3.connect(path)) as live:
                after = organisations(live)
            assert result.exit_code == 0, result.output
            with closing(open_copy(out)) as copy:
                assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
                assert before <= organisations(copy) <= after
    finally:
        stop.set()
        writer.join(10)
    assert after > before  # the writer really wrote meanwhile


def test_by_default_the_copy_goes_to_the_instance_backups_folder(app, sqlite_only):
    result = backup(app)
    assert result.exit_code == 0, result.output
    found = re.search(r"Backup written to (\S+) \(", result.output)
    out = Path(found.group(1))
    try:
        assert out.parent == Path(app.instance_path) / "backups"
        assert re.fullmatch(r"hubbar-\d{8}-\d{6}\.sqlite3", out.name)
        with closing(open_copy(out)) as copy:
            assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        out.unlink()


def test_a_missing_folder_is_refused_clearly(app, sqlite_only, tmp_path):
    out = tmp_path / "no-such-folder" / "copy.sqlite3"
    result = backup(app, "--out", str(out))
    assert result.exit_code == 1
    assert f"Error: The folder {out.parent} does not exist." in result.output
    assert "Traceback" not in result.output
    assert not out.parent.exists()


def test_an_existing_file_is_never_overwritten(app, sqlite_only, tmp_path):
    out = tmp_path / "important.txt"
    out.write_text("keep me")
    result = backup(app, "--out", str(out))
    assert result.exit_code == 1
    assert "exists already; a backup never overwrites a file." in result.output
    assert out.read_text() == "keep me"


def test_a_folder_given_as_the_file_is_refused(app, sqlite_only, tmp_path):
    result = backup(app, "--out", str(tmp_path))
    assert result.exit_code == 2
    assert "is a directory" in result.output
    assert "Traceback" not in result.output


def test_a_folder_that_is_not_writable_is_refused_clearly(app, sqlite_only, tmp_path):
    folder = tmp_path / "read-only"
    folder.mkdir(mode=0o500)
    if os.access(folder, os.W_OK):
        # root may write into any folder on disk, but not into /sys: the file cannot be made.
        result = backup(app, "--out", "/sys/copy.sqlite3")
        assert result.exit_code == 1
        assert "Error: Cannot create /sys/copy.sqlite3: Permission denied." in result.output
        assert "Traceback" not in result.output
        return
    result = backup(app, "--out", str(folder / "copy.sqlite3"))
    assert result.exit_code == 1
    assert f"Error: The folder {folder} is not writable." in result.output
    assert list(folder.iterdir()) == []


def test_on_postgresql_the_backup_refuses_and_points_to_pg_dump(app, is_postgres, tmp_path):
    if not is_postgres:
        pytest.skip("the refusal is PostgreSQL's; SQLite is copied (tested above)")
    out = tmp_path / "copy.sqlite3"
    result = backup(app, "--out", str(out))
    assert result.exit_code == 1
    assert "this one is postgresql" in result.output
    assert "pg_dump" in result.output and "docs/deployment.md" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()
