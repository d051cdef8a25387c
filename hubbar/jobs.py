"""Scheduler jobs: thin wrappers that run an operation inside the app context."""

from __future__ import annotations

import logging
from datetime import date

from flask import Flask

from hubbar.db import utcnow
from hubbar.extensions import scheduler

log = logging.getLogger(__name__)


def advance_pilot_statuses(app: Flask) -> None:
    """Planned pilots start and running pilots end on their dates."""
    from hubbar.pilots.operations import advance_statuses

    with app.app_context():
        changed = advance_statuses(date.today())
        if changed:
            log.info("Pilot status changed: %s", ", ".join(p.name for p in changed))


def start(app: Flask) -> None:
    """Register the jobs and start the in-process scheduler (once per process)."""
    if scheduler.running:
        return
    scheduler.add_job(
        advance_pilot_statuses,
        "interval",
        minutes=15,
        args=[app],
        id="advance_pilot_statuses",
        replace_existing=True,
        next_run_time=utcnow(),  # also once at start-up, so statuses are right at once
    )
    scheduler.start()
