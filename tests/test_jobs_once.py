"""Each scheduler tick's work happens once across processes: a job takes a lock named after it
(a PostgreSQL advisory lock, or a file lock on SQLite) and skips the tick when someone else
holds it. Also the dedicated scheduler process, and the acceptance test of issue 10: three
gunicorn instances with their schedulers on release a no-show once and queue one notice."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from hubbar import jobs
from hubbar.bookings import operations as ops
from hubbar.bookings.models import Booking, BookingEvent, BookingStatus
from hubbar.db import utcnow
from hubbar.extensions import db
from hubbar.mail.models import OutboxMessage
from tests.bookings.clock import at, frozen
from tests.factories import make_hub, make_user
from tests.helpers import count, reload
from tests.servers import ROOT, SECRET, Gunicorn, throwaway_app

DAY = "2026-12-01"
SKIPPED = "Job {} skipped: another process is running it"

# Holds a job's lock from another process until its standard input is closed: a PostgreSQL
# advisory lock on its own connection, or the flock of the job's lock file.
HOLDER = """
import fcntl, sys
kind, where, key = sys.argv[1:4]
if kind == "postgresql":
    import psycopg
    connection = psycopg.connect(where, autocommit=True)
    connection.execute("SELECT pg_advisory_lock(%s)", (int(key),))
else:
    handle = open(where, "a")
    fcntl.flock(handle, fcntl.LOCK_EX)
print("held", flush=True)
sys.stdin.read()
"""


@contextmanager
def held_elsewhere(app: Flask, name: str) -> Iterator[None]:
    """The lock of job ``name`` held by another process while the ``with`` lasts."""
    url = db.engine.url
    if url.get_backend_name() == "postgresql":
        kind, where = "postgresql", url.set(drivername="postgresql")
        where = where.render_as_string(hide_password=False)
    else:
        folder = Path(app.instance_path) / "locks"
        folder.mkdir(parents=True, exist_ok=True)
        kind, where = "file", str(folder / f"{name}.lock")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, kind, where, str(jobs.lock_key(name))],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        yield
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)


@pytest.fixture()
def log(caplog):
    """The jobs' log, at DEBUG (where a skipped tick is logged)."""
    caplog.set_level(logging.DEBUG, logger=jobs.log.name)
    return caplog


@pytest.fixture()
def absent():
    """Erik's booking 09.00–12.00 on 1 December; he never checks in (released from 09.30)."""
    hub = make_hub(desks=1, name="Kungsklippan 6")
    erik = make_user(hub.host_organisation)
    with frozen("2026-11-30", "12:00"):
        return ops.book(erik, erik, hub.desks[0], at(DAY, "09:00"), at(DAY, "12:00"))


def released_events(booking: Booking) -> int:
    return count(
        BookingEvent,
        BookingEvent.booking_id == booking.id,
        BookingEvent.status == BookingStatus.RELEASED,
    )


def test_a_tick_is_skipped_while_another_process_runs_the_job(app, absent, log):
    with frozen(DAY, "09:30"), held_elsewhere(app, "release_no_shows"):
        assert jobs.release_no_shows(app) is None
        assert reload(absent).status is BookingStatus.CONFIRMED
        # Only that job's lock is taken: the others run.
        assert jobs.send_reminders(app) == 0
    assert log.messages == [SKIPPED.format("release_no_shows")]

    log.clear()
    with frozen(DAY, "09:30"):
        assert jobs.release_no_shows(app) == 1  # the other process is done: this tick runs
    assert reload(absent).status is BookingStatus.RELEASED
    assert released_events(absent) == 1
    assert log.messages == [f"Released 1 no-show booking(s): #{absent.id}"]


def test_of_two_runs_at_once_in_one_process_the_second_skips(app, log):
    entered, leave = threading.Event(), threading.Event()

    @jobs.exclusive
    def slow_job(app: Flask) -> str:
        entered.set()
        assert leave.wait(10)
        return "done"

    first: list[str | None] = []
    thread = threading.Thread(target=lambda: first.append(slow_job(app)))
    thread.start()
    try:
        assert entered.wait(10)
        assert slow_job(app) is None
    finally:
        leave.set()
        thread.join(10)
    assert first == ["done"]
    assert log.messages == [SKIPPED.format("slow_job")]
    assert slow_job(app) == "done"  # the lock was let go after the first run


def test_the_lock_is_let_go_when_a_job_fails(app):
    runs = []

    @jobs.exclusive
    def failing_job(app: Flask) -> None:
        runs.append(1)
        raise RuntimeError("the job broke")

    for _ in range(2):
        with pytest.raises(RuntimeError):
            failing_job(app)
    assert len(runs) == 2


def test_a_job_runs_when_nobody_holds_its_lock(app, absent):
    with frozen(DAY, "09:30"):
        assert jobs.release_no_shows(app) == 1
        assert jobs.release_no_shows(app) == 0  # ran again (not skipped: None), nothing due
    assert released_events(absent) == 1


def test_lock_keys_are_stable_across_processes_and_one_per_job():
    # A fixed number: every process, on every machine, must compute the same key.
    assert jobs.lock_key("release_no_shows") == -5483856229071187545
    keys = {jobs.lock_key(function.__name__) for function, _minutes in jobs.JOBS}
    assert len(keys) == len(jobs.JOBS)
    assert all(-(2**63) <= key < 2**63 for key in keys)


def test_every_job_takes_its_lock():
    assert all(hasattr(function, "__wrapped__") for function, _minutes in jobs.JOBS)


def test_the_dedicated_scheduler_has_every_job(app):
    foreground = jobs.dedicated_scheduler(app)  # built, not started: nothing runs here
    registered = {
        job.id: (job.func, job.trigger.interval, job.args) for job in foreground.get_jobs()
    }
    assert registered == {
        function.__name__: (function, timedelta(minutes=minutes), (app,))
        for function, minutes in jobs.JOBS
    }
    assert len(registered) == 8


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_flask_hubbar_scheduler_stops_cleanly_on_a_signal(database_url, tmp_path, stop):
    env = {
        **os.environ,
        "FLASK_APP": "wsgi",
        "HUBBAR_DATABASE_URL": database_url,
        "HUBBAR_SECRET_KEY": SECRET,
        "HUBBAR_INSTANCE_PATH": str(tmp_path),
        "HUBBAR_SCHEDULER_ENABLED": "false",
    }
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "flask"), "hubbar", "scheduler"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    running = threading.Event()

    def read() -> None:
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith("Scheduler running"):
                running.set()

    reader = threading.Thread(target=read)
    reader.start()
    try:
        assert running.wait(30), "\n".join(lines)
        time.sleep(1)  # the start-up run of every job is under way or done
        process.send_signal(stop)
        assert process.wait(timeout=20) == 0, "\n".join(lines)
    finally:
        if process.poll() is None:
            process.kill()
        reader.join(10)
    assert lines[-1] == "Scheduler stopped.", "\n".join(lines)
    assert not [line for line in lines if "Traceback" in line], "\n".join(lines)


def test_three_instances_release_a_no_show_once_and_queue_one_notice(
    database_url, tmp_path, is_postgres
):
    if not is_postgres:
        pytest.skip("several instances share one database on PostgreSQL; SQLite is one machine")
    with throwaway_app(database_url, tmp_path) as (_app, url):
        hub = make_hub(desks=1, name="Kungsklippan 6")  # check-in required, 30 minutes' grace
        erik = make_user(hub.host_organisation)
        # Built directly, not through the booking engine: it checks the opening hours against
        # the real clock, which the servers run on. Due: it began an hour ago, nobody came.
        starts = utcnow().replace(second=0, microsecond=0) - timedelta(hours=1)
        booked = starts - timedelta(days=1)
        booking = Booking(
            desk=hub.desks[0],
            hub_id=hub.id,
            user_id=erik.id,
            organisation_id=erik.organisation_id,
            starts_at=starts,
            ends_at=starts + timedelta(hours=3),
            occupied_until=starts + timedelta(hours=3),
            status=BookingStatus.CONFIRMED,
            checkin_required=True,
            created_at=booked,
        )
        booking.events.append(BookingEvent(status=BookingStatus.CONFIRMED, occurred_at=booked))
        db.session.add(booking)
        db.session.commit()
        assert ops.releases_at(booking) <= utcnow()

        servers = [
            Gunicorn(url, tmp_path / f"instance-{n}", workers=2, scheduler=True) for n in (1, 2, 3)
        ]
        try:
            for server in servers:
                server.start()
            for server in servers:
                server.wait_until_up()
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                status = db.session.scalar(select(Booking.status).where(Booking.id == booking.id))
                db.session.rollback()
                if status is BookingStatus.RELEASED:
                    break
                time.sleep(0.5)
            assert status is BookingStatus.RELEASED, [s.tail() for s in servers]
            time.sleep(3)  # any second release or notice would be there by now
        finally:
            for server in servers:
                server.stop()

        assert released_events(booking) == 1
        notices = db.session.scalar(
            select(func.count(OutboxMessage.id)).where(
                OutboxMessage.kind == "released", OutboxMessage.user_id == erik.id
            )
        )
        assert notices == 1
