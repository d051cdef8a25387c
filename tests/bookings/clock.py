"""Hub-local wall-clock times for the booking tests, and a frozen clock at one of them."""

from __future__ import annotations

from datetime import datetime

import time_machine

from tests.helpers import STOCKHOLM


def at(day: str, hhmm: str) -> datetime:
    """``at("2026-12-01", "09:00")``: that wall-clock time in Stockholm, as an aware datetime."""
    return datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=STOCKHOLM)


def frozen(day: str, hhmm: str) -> time_machine.travel:
    """Stop the clock at a Stockholm wall-clock time (as a decorator or a context manager)."""
    return time_machine.travel(at(day, hhmm), tick=False)


def local(moment: datetime) -> str:
    """A stored (UTC) time as the hub shows it: "2026-12-01 09:00"."""
    return moment.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M")
