"""Scheduler jobs: thin wrappers that run an operation inside the app context."""

from __future__ import annotations

import logging

from flask import Flask

from hubbar.db import utcnow
from hubbar.extensions import scheduler
from hubbar.formats import local_today

log = logging.getLogger(__name__)


def advance_pilot_statuses(app: Flask) -> None:
    """Planned pilots start and running pilots end on their dates."""
    from hubbar.pilots.operations import advance_statuses

    with app.app_context():
        changed = advance_statuses(local_today())
        if changed:
            log.info("Pilot status changed: %s", ", ".join(p.name for p in changed))


def generate_pilot_reports(app: Flask) -> int:
    """The automatic report of each pilot whose end date has passed (once per end date)."""
    from hubbar.pilots.report import generate_due

    with app.app_context():
        made = generate_due(local_today())
        for report in made:
            log.info("Pilot report generated: %s, version %d", report.pilot.name, report.version)
        return len(made)


def release_no_shows(app: Flask) -> int:
    """Release the bookings whose check-in grace period has run out (every minute)."""
    from hubbar.bookings import operations

    with app.app_context():
        released = operations.release_no_shows()
        if released:
            log.info(
                "Released %d no-show booking(s): %s",
                len(released),
                ", ".join(f"#{b.id}" for b in released),
            )
        return len(released)


def complete_past_bookings(app: Flask) -> int:
    """Mark bookings whose time is over as completed (every five minutes)."""
    from hubbar.bookings import operations

    with app.app_context():
        completed = operations.complete_past()
        if completed:
            log.info("Completed %d past booking(s)", len(completed))
        return len(completed)


def send_mail(app: Flask) -> int:
    """Send the queued e-mail that is due (every minute); failures are retried later."""
    from hubbar.mail.operations import send_due

    with app.app_context():
        result = send_due()
        if result.sent or result.retried or result.failed:
            log.info(
                "Mail: %d sent, %d to be retried, %d given up",
                result.sent,
                result.retried,
                result.failed,
            )
        return result.sent


def send_reminders(app: Flask) -> int:
    """Queue the booking reminders that are due: the afternoon before, and check-in at the
    start (every five minutes; each reminder is queued once however often this runs)."""
    from hubbar.mail import messages

    with app.app_context():
        queued = messages.send_reminders()
        if queued:
            log.info("Queued %d reminder(s)", queued)
        return queued


def pilot_ending_soon(app: Flask) -> int:
    """Tell the evaluators of a pilot that ends within a week (hourly; once per pilot, end
    date and evaluator)."""
    from hubbar.mail import messages

    with app.app_context():
        queued = messages.pilot_ending_soon(local_today())
        if queued:
            log.info("Queued %d pilot-ending notice(s)", queued)
        return queued


def apply_retention(app: Flask) -> dict[str, int]:
    """The retention rules (DESIGN.md, privacy), hourly; each step does only what is due, so
    running it again changes nothing: pseudonymise old bookings, warn and then delete inactive
    accounts, delete old e-mails and login attempts."""
    from hubbar.privacy import retention

    with app.app_context():
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


def start(app: Flask) -> None:
    """Register the jobs and start the in-process scheduler (once per process)."""
    if scheduler.running:
        return
    for function, minutes in JOBS:
        scheduler.add_job(
            function,
            "interval",
            minutes=minutes,
            args=[app],
            id=function.__name__,
            replace_existing=True,
            next_run_time=utcnow(),  # also once at start-up, so everything is right at once
        )
    scheduler.start()
