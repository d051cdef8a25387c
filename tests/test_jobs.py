"""The scheduler's jobs and `flask hubbar release-no-shows` run the booking operations once."""

from __future__ import annotations

import logging

import pytest
from apscheduler.schedulers.background import BackgroundScheduler

from hubbar import jobs
from hubbar.bookings import operations as ops
from hubbar.bookings.models import BookingStatus
from tests.bookings.clock import at, frozen
from tests.factories import make_hub, make_user
from tests.helpers import reload

DAY = "2026-12-01"


@pytest.fixture()
def log(caplog):
    """The jobs' log, at INFO."""
    caplog.set_level(logging.INFO, logger=jobs.log.name)
    return caplog


@pytest.fixture()
def bookings():
    """Anna's booking 09.00–10.00 (she checks in) and Erik's 09.00–12.00 (he never comes)."""
    hub = make_hub(desks=2, name="Kungsklippan 6")
    anna, erik = make_user(hub.host_organisation), make_user(hub.host_organisation)
    with frozen("2026-11-30", "12:00"):
        attended = ops.book(anna, anna, hub.desks[0], at(DAY, "09:00"), at(DAY, "10:00"))
        absent = ops.book(erik, erik, hub.desks[1], at(DAY, "09:00"), at(DAY, "12:00"))
    with frozen(DAY, "09:01"):
        ops.check_in(anna, attended)
    return attended, absent


def test_the_release_job_releases_after_the_grace_period(app, bookings, log):
    attended, absent = bookings
    with frozen(DAY, "09:29"):
        assert jobs.release_no_shows(app) == 0
    assert log.messages == []
    with frozen(DAY, "09:30"):
        assert jobs.release_no_shows(app) == 1
    assert reload(absent).status is BookingStatus.RELEASED
    assert reload(attended).status is BookingStatus.CHECKED_IN
    assert log.messages == [f"Released 1 no-show booking(s): #{absent.id}"]


def test_the_completion_job_completes_what_is_over(app, bookings, log):
    attended, absent = bookings
    with frozen(DAY, "10:00"):
        assert jobs.complete_past_bookings(app) == 1
    assert reload(attended).status is BookingStatus.COMPLETED
    assert reload(absent).status is BookingStatus.RELEASED  # a no-show is released, not completed
    assert log.messages == ["Completed 1 past booking(s)"]


def test_the_cli_command_releases_and_completes_once(app, bookings):
    attended, absent = bookings
    runner = app.test_cli_runner()
    with frozen(DAY, "10:05"):
        result = runner.invoke(args=["hubbar", "release-no-shows"])
        assert result.exit_code == 0, result.output
        assert f"released #{absent.id}: Kungsklippan 6, D2, {DAY} 09.00" in result.output
        assert "1 no-shows released, 1 past bookings completed." in result.output
        again = runner.invoke(args=["hubbar", "release-no-shows"])
    assert "0 no-shows released, 0 past bookings completed." in again.output
    assert reload(attended).status is BookingStatus.COMPLETED
    assert reload(absent).status is BookingStatus.RELEASED


def test_start_registers_every_job_once(app, monkeypatch):
    scheduler = BackgroundScheduler(timezone="UTC")
    monkeypatch.setattr(jobs, "scheduler", scheduler)
    # Started paused, so that no job runs against the test database in the background.
    monkeypatch.setattr(
        scheduler, "start", lambda: BackgroundScheduler.start(scheduler, paused=True)
    )
    try:
        jobs.start(app)
        jobs.start(app)
        running = {job.id: job.trigger.interval.total_seconds() for job in scheduler.get_jobs()}
    finally:
        scheduler.shutdown(wait=False)
    assert running == {
        "advance_pilot_statuses": 15 * 60,
        "generate_pilot_reports": 15 * 60,
        "release_no_shows": 60,
        "complete_past_bookings": 5 * 60,
        "send_mail": 60,
        "send_reminders": 5 * 60,
        "pilot_ending_soon": 60 * 60,
        "apply_retention": 60 * 60,
    }


@frozen("2026-11-02", "06:00")
def test_the_report_job_reports_an_ended_pilot_once_when_run_twice(app):
    from hubbar.pilots.models import PilotReport, PilotStatus
    from tests.factories import make_pilot
    from tests.helpers import count

    pilot = make_pilot()  # 1 September – 31 October 2026
    assert jobs.generate_pilot_reports(app) == 1
    assert jobs.generate_pilot_reports(app) == 0
    assert count(PilotReport) == 1
    assert reload(pilot).status is PilotStatus.REPORTED


def test_the_retention_job_and_command_run_every_rule(app):
    from hubbar import cli as hubbar_cli

    done = jobs.apply_retention(app)
    assert set(done) == {
        "bookings pseudonymised",
        "accounts warned",
        "accounts deleted",
        "e-mails deleted",
        "login attempts deleted",
    }
    result = app.test_cli_runner().invoke(hubbar_cli.hubbar_cli, ["retention"])
    assert result.exit_code == 0, result.output
    assert "bookings pseudonymised: 0" in result.output
