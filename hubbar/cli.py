"""flask hubbar …: thin wrappers over operations."""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from hubbar.errors import DomainError
from hubbar.formats import fmt_datetime

hubbar_cli = AppGroup("hubbar", help="hubbar administration.")


@hubbar_cli.command("demo")
@click.option("--if-empty", is_flag=True, help="Load only when the database has no data.")
def demo_command(if_empty: bool) -> None:
    """Load the demo (the real pilot at Kungsklippan 6) and print the demo logins."""
    from hubbar.demo import DEMO_PASSWORD, is_empty, load_demo

    if not is_empty():
        if if_empty:
            click.echo("The database has data already; the demo is not loaded again.")
            _print_logins(DEMO_PASSWORD)
            return
        raise click.ClickException("The database is not empty; the demo needs an empty one.")
    click.echo(str(load_demo()))
    _print_logins(DEMO_PASSWORD)


def _print_logins(password: str) -> None:
    from hubbar.demo import DEMO_LOGINS

    click.echo("")
    click.echo(f"Demo logins (password: {password}):")
    for email, role in DEMO_LOGINS:
        click.echo(f"  {email:<48} {role}")
    click.echo("")


@hubbar_cli.command("release-no-shows")
def release_no_shows_command() -> None:
    """Release no-shows and complete past bookings once (what the scheduler does every
    minute; for cron when the scheduler is off)."""
    from hubbar.bookings import operations as ops

    released = ops.release_no_shows()
    completed = ops.complete_past()
    for booking in released:
        click.echo(
            f"  released #{booking.id}: {booking.hub.name}, {booking.desk.label}, "
            f"{fmt_datetime(booking.starts_at, booking.hub.timezone)}"
        )
    click.echo(f"{len(released)} no-shows released, {len(completed)} past bookings completed.")


@hubbar_cli.command("create-admin")
@click.argument("email")
@click.option("--name", required=True, help="Display name.")
@click.option("--organisation", required=True, help="Short code or name of the organisation.")
@click.password_option(help="At least 12 characters.")
def create_admin_command(email: str, name: str, organisation: str, password: str) -> None:
    """Create a system administrator."""
    from hubbar.accounts import operations as ops
    from hubbar.accounts.models import Role

    org = ops.find_organisation(organisation)
    if org is None:
        raise click.ClickException(f"Unknown organisation: {organisation}")
    try:
        user = ops.create_user(None, email, name, org, password=password)
        ops.assign_role(None, user, Role.SYSTEM_ADMIN)
    except DomainError as error:
        raise click.ClickException(str(error.message)) from error
    click.echo(f"System administrator {user.email} created.")


@hubbar_cli.command("create-organisation")
@click.argument("name")
@click.argument("code")
@click.option(
    "--kind",
    type=click.Choice(["administration", "municipality", "company"]),
    default="administration",
)
def create_organisation_command(name: str, code: str, kind: str) -> None:
    """Create an organisation (for a first administrator on an empty database)."""
    from hubbar.accounts.models import OrganisationKind
    from hubbar.accounts.operations import create_organisation

    try:
        org = create_organisation(None, name, code, OrganisationKind(kind))
    except DomainError as error:
        raise click.ClickException(str(error.message)) from error
    click.echo(f"Organisation {org.name} ({org.code}) created.")


@hubbar_cli.command("import-users")
@click.argument("path", type=click.File("rb"))
@click.option("--dry-run", is_flag=True, help="Check every row, save nothing.")
def import_users_command(path, dry_run: bool) -> None:
    """Import users from CSV (email,name,organisation); prints what was refused and why."""
    from hubbar.accounts.operations import import_users

    try:
        report = import_users(None, path.read(), dry_run=dry_run)
    except DomainError as error:
        raise click.ClickException(str(error.message)) from error
    verb = "would be created" if dry_run else "created"
    click.echo(f"{len(report.accepted)} users {verb}, {len(report.refused)} rows refused.")
    for row in report.refused:
        click.echo(f"  row {row.line}: {row.email or '-'}: {row.reason}")


@hubbar_cli.command("create-pilot")
@click.argument("name")
@click.option("--host", required=True, help="Short code or name of the host organisation.")
@click.option("--hub", "hub_names", multiple=True, required=True, help="Hub name (repeatable).")
@click.option("--guest", "guests", multiple=True, help="Guest organisation (repeatable).")
@click.option("--start", type=click.DateTime(["%Y-%m-%d"]), required=True, help="YYYY-MM-DD")
@click.option("--end", type=click.DateTime(["%Y-%m-%d"]), help="Default: two months later.")
def create_pilot_command(name, host, hub_names, guests, start, end) -> None:
    """Create a pilot, so evaluators can be given it as their scope."""
    from sqlalchemy import select

    from hubbar.accounts.operations import find_organisation
    from hubbar.extensions import db
    from hubbar.hubs.models import Hub
    from hubbar.pilots.operations import create_pilot

    host_org = find_organisation(host)
    guest_orgs = [find_organisation(g) for g in guests]
    hubs = [db.session.scalar(select(Hub).where(Hub.name == n)) for n in hub_names]
    unknown = [
        n for n, o in zip((host, *guests), (host_org, *guest_orgs), strict=True) if o is None
    ]
    unknown += [n for n, h in zip(hub_names, hubs, strict=True) if h is None]
    if unknown:
        raise click.ClickException(f"Unknown: {', '.join(unknown)}")
    try:
        pilot = create_pilot(
            None, name, host_org, hubs, guest_orgs, start.date(), end.date() if end else None
        )
    except DomainError as error:
        raise click.ClickException(str(error.message)) from error
    click.echo(f"Pilot {pilot.name} created: {pilot.start_date} – {pilot.end_date}.")


@hubbar_cli.command("report")
@click.argument("pilot")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["pdf", "xlsx", "csv", "json"]),
    default="pdf",
    show_default=True,
    help="csv is a zip of the tables.",
)
@click.option("--out", "path", type=click.Path(dir_okay=False, writable=True), required=True)
@click.option("--version", "version", type=int, help="A stored version (default: the latest).")
@click.option("--new", "new", is_flag=True, help="Generate and store a new version first.")
@click.option("--language", type=click.Choice(["sv", "en"]), default="sv", show_default=True)
def report_command(pilot, fmt, path, version, new, language) -> None:
    """Write a pilot's evaluation report (PILOT: its id or its name) to a file."""
    from pathlib import Path

    from flask import current_app
    from flask_babel import force_locale
    from sqlalchemy import select

    from hubbar.extensions import db
    from hubbar.pilots import exports
    from hubbar.pilots import report as reports
    from hubbar.pilots.models import Pilot

    number = int(pilot) if pilot.isascii() and pilot.isdigit() and len(pilot) < 10 else None
    found = db.session.get(Pilot, number) if number else None
    found = found or db.session.scalar(select(Pilot).where(Pilot.name == pilot))
    if found is None:
        raise click.ClickException(f"No pilot {pilot!r}.")
    with current_app.test_request_context(), force_locale(language):
        try:
            if new:
                version = reports.generate(None, found).version
            shown = reports.report_for(found, version)
        except DomainError as error:
            raise click.ClickException(str(error.message)) from error
        content = exports.render(shown, fmt)
    Path(path).write_bytes(content)
    which = f"version {shown.version}" if shown.version else "a preview (no version stored yet)"
    click.echo(f"Wrote the report of {found.name}, {which}, to {path} ({len(content):,} bytes).")


@hubbar_cli.command("send-mail")
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True)
@click.option(
    "--retry-failed",
    is_flag=True,
    help="First put the messages that failed (refused, or given up) back in the queue.",
)
def send_mail_command(limit: int, retry_failed: bool) -> None:
    """Send the queued e-mail that is due once (what the scheduler does every minute; for cron
    when the scheduler is off). Failures are logged and tried again later. After a mail server
    or its configuration is fixed, --retry-failed sends the failed messages too."""
    from hubbar.mail.operations import retry_failed as put_back
    from hubbar.mail.operations import send_due

    if retry_failed:
        click.echo(f"{put_back()} failed message(s) put back in the queue.")
    result = send_due(limit=limit)
    line = f"{result.sent} sent, {result.retried} to be retried, {result.failed} given up"
    if result.postponed:
        line += f", {result.postponed} left for the next run (the server did not answer)"
    click.echo(line + ".")


@hubbar_cli.command("retention")
def retention_command() -> None:
    """Apply the retention rules once (what the scheduler does hourly): pseudonymise bookings
    older than HUBBAR_RETENTION_MONTHS, warn and later delete inactive accounts, delete old
    e-mails and login attempts."""
    from hubbar.privacy import retention

    for what, n in retention.apply().items():
        click.echo(f"{what}: {n}")


@hubbar_cli.command("scheduler")
def scheduler_command() -> None:
    """Run the scheduled jobs in this process, in the foreground, until SIGTERM or Ctrl+C: the
    dedicated job process for deployments whose web instances have HUBBAR_SCHEDULER_ENABLED
    off. Each job takes its lock first, so any number of these and of web instances with the
    scheduler on do each tick's work once."""
    from flask import current_app

    from hubbar import jobs

    foreground = jobs.dedicated_scheduler(current_app._get_current_object())
    names = ", ".join(job.id for job in foreground.get_jobs())
    click.echo(f"Scheduler running {names}. Stop with Ctrl+C or SIGTERM.")
    jobs.run_dedicated(foreground)
    click.echo("Scheduler stopped.")


@hubbar_cli.command("backup")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The file to write (default: instance/backups/hubbar-YYYYMMDD-HHMMSS.sqlite3, UTC).",
)
def backup_command(out: Path | None) -> None:
    """Copy the SQLite database while the app runs (SQLite's online backup API gives a
    consistent copy), then check the copy. PostgreSQL is backed up with pg_dump instead."""
    from flask import current_app

    from hubbar.extensions import db

    url = db.engine.url
    if url.get_backend_name() != "sqlite":
        raise click.ClickException(
            f"flask hubbar backup copies a SQLite database; this one is {url.get_backend_name()}. "
            "Back up PostgreSQL with pg_dump, as docs/deployment.md describes "
            "(Backup and restore)."
        )
    source = Path(url.database or "")
    if not url.database or url.database == ":memory:" or not source.is_file():
        raise click.ClickException(f"There is no SQLite database file at {url.database!r}.")
    if out is None:
        folder = Path(current_app.instance_path) / "backups"
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        out = folder / datetime.now(UTC).strftime("hubbar-%Y%m%d-%H%M%S.sqlite3")
    _refuse_unwritable(out)
    version = _copy_sqlite(source, out)
    click.echo(f"Backup written to {out} ({out.stat().st_size:,} bytes).")
    problem = _check_copy(out, version)
    if problem:
        out.unlink()
        raise click.ClickException(f"The copy failed its check and was deleted: {problem}")
    click.echo(f"Checked: integrity ok, schema version {version}.")


def _refuse_unwritable(out: Path) -> None:
    """A clear refusal, before anything is written, for a file the backup cannot write."""
    folder = out.parent
    if out.exists():
        raise click.ClickException(f"{out} exists already; a backup never overwrites a file.")
    if not folder.is_dir():
        raise click.ClickException(f"The folder {folder} does not exist.")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise click.ClickException(f"The folder {folder} is not writable.")


def _copy_sqlite(source: Path, out: Path) -> str:
    """Copy the database at ``source`` to ``out`` in one step of the backup API: one read
    transaction, so the copy is consistent while the app goes on writing (the database is in
    WAL mode: writers are not held up). Returns the schema version copied."""
    created = False
    try:
        with closing(sqlite3.connect(source, timeout=30)) as live:
            version = _schema_version(live)
            _create_private(out)
            created = True
            with closing(sqlite3.connect(out)) as copy:
                live.backup(copy)
                # One self-contained file, without -wal and -shm beside it.
                copy.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.Error as error:
        if created:
            out.unlink(missing_ok=True)
        raise click.ClickException(f"The backup failed: {error}.") from error
    return version


def _create_private(out: Path) -> None:
    """Create ``out`` empty (an empty file is an empty SQLite database), readable by its owner
    only from the start, as the bookings name people; never a file that appeared meanwhile."""
    try:
        os.close(os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError as error:
        raise click.ClickException(f"Cannot create {out}: {error.strerror}.") from error


def _schema_version(connection: sqlite3.Connection) -> str:
    """The database's migration revision (alembic_version)."""
    try:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.OperationalError:
        row = None
    if row is None:
        raise click.ClickException(
            "The database has no schema version; is it a hubbar database? (flask db upgrade)"
        )
    return row[0]


def _check_copy(path: Path, version: str) -> str | None:
    """What is wrong with the copy at ``path``, or None: it opens read-only, passes SQLite's
    integrity check and has the schema version of the database it was copied from."""
    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as copy:
            result = [row[0] for row in copy.execute("PRAGMA integrity_check")]
            copied = copy.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error as error:
        return str(error)
    if result != ["ok"]:
        return "integrity check: " + "; ".join(result)
    if copied is None or copied[0] != version:
        return f"schema version {copied[0] if copied else None!r}, expected {version!r}"
    return None


def init_app(app: Flask) -> None:
    app.cli.add_command(hubbar_cli)
