"""Scheduler jobs: thin wrappers over operations, each run in an app context of its own.

The jobs run in the scheduler of every app instance and gunicorn worker that has
HUBBAR_SCHEDULER_ENABLED, or in one dedicated process (`flask hubbar scheduler`), or both. Each
tick's work still happens once: a job first takes a lock named after it and skips the tick when
another process holds it (``exclusive``). On PostgreSQL that is an advisory lock, which works
across machines; on SQLite it is a file lock in the instance folder, so a SQLite installation
runs on one machine, its processes sharing one instance folder.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import logging
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask, current_app
from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

from hubbar.db import utcnow
from hubbar.extensions import db, scheduler
from hubbar.formats import local_today

log = logging.getLogger(__name__)

T = TypeVar("T")
LOCK_ENGINE = "hubbar.job_lock_engine"  # the key in app.extensions


# --- one run at a time, across processes -------------------------------------------------


def lock_key(name: str) -> int:
    """The PostgreSQL advisory-lock key of a job: a signed 64-bit number derived from its name,
    the same in every process (Python's ``hash()`` of a string is not)."""
    digest = hashlib.blake2b(f"hubbar.jobs.{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@contextmanager
def job_lock(name: str) -> Iterator[bool]:
    """Hold the lock called ``name`` for the body of the ``with``; yields False, holding
    nothing, when another process (or thread) has it. Never waits. Needs an app context."""
    if db.engine.dialect.name == "postgresql":
        with _advisory_lock(name) as held:
            yield held
    else:
        with _file_lock(name) as held:
            yield held


@contextmanager
def _advisory_lock(name: str) -> Iterator[bool]:
    """A session-level advisory lock on a connection of its own, held while the job runs.

    The job's operations commit several times on other connections, so neither a lock bound to
    their transaction nor one on the session's connection (which goes back to the pool at each
    commit) would last the whole run. The lock connection is in autocommit, so it holds no
    transaction open meanwhile, and it is not pooled: closing it ends its database session and
    with it the lock, also when the job raised or the database went away meanwhile.
    """
    with _lock_engine().connect() as connection:
        yield bool(connection.scalar(select(func.pg_try_advisory_lock(lock_key(name)))))


def _lock_engine() -> Engine:
    """The app's engine for lock connections (made on first use, after gunicorn has forked),
    connecting as the app's engine does (its connect timeout, say)."""
    engine = current_app.extensions.get(LOCK_ENGINE)
    if engine is None:
        options = current_app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {})
        engine = create_engine(
            db.engine.url,
            poolclass=NullPool,
            isolation_level="AUTOCOMMIT",
            connect_args=options.get("connect_args", {}),
        )
        engine = current_app.extensions.setdefault(LOCK_ENGINE, engine)
    return engine


@contextmanager
def _file_lock(name: str) -> Iterator[bool]:
    """An exclusive, non-blocking ``flock`` on ``<instance>/locks/<name>.lock``. Processes that
    share the instance folder share the lock; one that dies, however, lets go of it."""
    folder = Path(current_app.instance_path) / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f"{name}.lock", "a") as handle:  # closing the file releases the lock
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            held = True
        except BlockingIOError:
            held = False
        yield held


def exclusive(job: Callable[[Flask], T]) -> Callable[[Flask], T | None]:
    """Run the job in an app context of its own, and only while holding the lock named after
    it: when another process (another worker, instance or the dedicated scheduler) is running
    it, this tick is skipped and returns None. The operations are idempotent anyway
    (compare-and-swap on bookings, unique keys in the outbox); the lock saves the double work
    and the double log lines."""
    name = job.__name__

    @functools.wraps(job)
    def run(app: Flask) -> T | None:
        with app.app_context(), job_lock(name) as held:
            if not held:
                log.debug("Job %s skipped: another process is running it", name)
                return None
            return job(app)

    return run


# --- the jobs ------------------------------------------------------------------------------


@exclusive
def advance_pilot_statuses(app: Flask) -> None:
    """Planned pilots start and running pilots end on their dates."""
    from hubbar.pilots.operations import advance_statuses

    changed = advance_statuses(local_today())
    if changed:
        log.info("Pilot status changed: %s", ", ".join(p.name for p in changed))


@exclusive
def generate_pilot_reports(app: Flask) -> int:
    """The automatic report of each pilot whose end date has passed (once per end date)."""
    from hubbar.pilots.report import generate_due

    made = generate_due(local_today())
    for report in made:
        log.info("Pilot report generated: %s, version %d", report.pilot.name, report.version)
    return len(made)


@exclusive
def release_no_shows(app: Flask) -> int:
    """Release the bookings whose check-in grace period has run out (every minute)."""
    from hubbar.bookings import operations

    released = operations.release_no_shows()
    if released:
        log.info(
            "Released %d no-show booking(s): %s",
            len(released),
            ", ".join(f"#{b.id}" for b in released),
        )
    return len(released)


@exclusive
def complete_past_bookings(app: Flask) -> int:
    """Mark bookings whose time is over as completed (every five minutes)."""
    from hubbar.bookings import operations

    completed = operations.complete_past()
    if completed:
        log.info("Completed %d past booking(s)", len(completed))
    return len(completed)


@exclusive
def send_mail(app: Flask) -> int:
    """Send the queued e-mail that is due (every minute); failures are retried later."""
    from hubbar.mail.operations import send_due

    result = send_due()
    if result.sent or result.retried or result.failed:
        log.info(
            "Mail: %d sent, %d to be retried, %d given up",
            result.sent,
            result.retried,
            result.failed,
        )
    return result.sent


@exclusive
def send_reminders(app: Flask) -> int:
    """Queue the booking reminders that are due: the afternoon before, and check-in at the
    start (every five minutes; each reminder is queued once however often this runs)."""
    from hubbar.mail import messages

    queued = messages.send_reminders()
    if queued:
        log.info("Queued %d reminder(s)", queued)
    return queued


@exclusive
def pilot_ending_soon(app: Flask) -> int:
    """Tell the evaluators of a pilot that ends within a week (hourly; once per pilot, end
    date and evaluator)."""
    from hubbar.mail import messages

    queued = messages.pilot_ending_soon(local_today())
    if queued:
        log.info("Queued %d pilot-ending notice(s)", queued)
    return queued


@exclusive
def apply_retention(app: Flask) -> dict[str, int]:
    """The retention rules (DESIGN.md, privacy), hourly; each step does only what is due, so
    running it again changes nothing: pseudonymise old bookings, warn and then delete inactive
    accounts, delete old e-mails and login attempts."""
    from hubbar.privacy import retention

    done = retention.apply()
    if any(done.values()):
        log.info("Retention: %s", ", ".join(f"{k} {v}" for k, v in done.items()))
    return done


JOBS = [
    # (function, minutes between runs)
    (advance_pilot_statuses, 15),
    (generate_pilot_reports, 15),
    (release_no_shows, 1),
    (complete_past_bookings, 5),
    (send_mail, 1),
    (send_reminders, 5),
    (pilot_ending_soon, 60),
    (apply_retention, 60),
]


def add_jobs(target: BaseScheduler, app: Flask) -> None:
    """Register every job on ``target``, each also run once at start-up, so that everything
    is right at once."""
    for function, minutes in JOBS:
        target.add_job(
            function,
            "interval",
            minutes=minutes,
            args=[app],
            id=function.__name__,
            replace_existing=True,
            next_run_time=utcnow(),
        )


def start(app: Flask) -> None:
    """Register the jobs and start the in-process scheduler (once per process)."""
    if scheduler.running:
        return
    add_jobs(scheduler, app)
    scheduler.start()


def dedicated_scheduler(app: Flask) -> BlockingScheduler:
    """The scheduler of `flask hubbar scheduler`: every job, run in the foreground."""
    foreground = BlockingScheduler(timezone="UTC")
    add_jobs(foreground, app)
    return foreground


def run_dedicated(foreground: BlockingScheduler) -> None:
    """Run ``foreground`` until SIGTERM or SIGINT; jobs running then finish first.

    The in-process scheduler stops first if HUBBAR_SCHEDULER_ENABLED started it here too: one
    scheduler per process is enough.
    """
    if scheduler.running:
        scheduler.shutdown(wait=False)
    stopping = threading.Event()

    def stop(signum, frame) -> None:
        # A signal handler runs in the main thread, which may be inside the scheduler holding
        # its locks; shutting down waits for them and for running jobs, so it goes in a thread.
        if not stopping.is_set():
            stopping.set()
            log.info("Scheduler stopping (%s)", signal.Signals(signum).name)
            threading.Thread(target=foreground.shutdown, name="hubbar-scheduler-stop").start()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        foreground.start()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
