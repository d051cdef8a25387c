"""Acceptance (issue 10): gunicorn killed with SIGKILL in the middle of a burst of bookings.
Every booking that was answered 201 is there after the restart, and none is half-written: a
booking, its history and its confirmation e-mail are one transaction.
"""

from __future__ import annotations

import re
import threading
import time
from datetime import date, timedelta

import requests
from sqlalchemy import select

from hubbar.api import operations as api_ops
from hubbar.bookings.models import Booking, BookingEvent, BookingStatus
from hubbar.bookings.operations import hub_zone
from hubbar.db import utcnow
from hubbar.extensions import db
from hubbar.mail.models import OutboxMessage
from tests.factories import make_hub, make_user
from tests.servers import Gunicorn, throwaway_app

THREADS = 8
ANSWERED_BEFORE_KILL = 24  # bookings answered 201 before the kill (or the burst's time is up)


# --- the burst ---------------------------------------------------------------------------


def free_slots(hub) -> list[tuple[str, str]]:
    """Every half hour the hub is open (weekdays 08.00–17.00) from the day after tomorrow on,
    within the days one may book ahead: (start, end) as hub-local ISO times."""
    today = utcnow().astimezone(hub_zone(hub)).date()
    slots = []
    for n in range(2, hub.max_days_ahead):
        day = today + timedelta(days=n)
        if day.weekday() < 5:
            slots += [(_at(day, m), _at(day, m + 30)) for m in range(8 * 60, 17 * 60, 30)]
    return slots


def _at(day: date, minutes: int) -> str:
    return f"{day.isoformat()}T{minutes // 60:02d}:{minutes % 60:02d}"


class Burst:
    """THREADS clients booking at once, each at its own desk, each its own share of the
    slots; keeps the id of every booking that was answered 201."""

    def __init__(self, base_url: str, token: str, desk_ids: list[int], slots: list):
        self.base_url = base_url
        self.token = token
        self.desk_ids = desk_ids
        self.slots = slots
        self.answered: list[int] = []
        self.other: list[int] = []  # statuses other than 201 before the kill
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.threads = [threading.Thread(target=self.client, args=(i,)) for i in range(THREADS)]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def join(self) -> None:
        self.stopped.set()
        for thread in self.threads:
            thread.join(timeout=30)

    def client(self, i: int) -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {self.token}"
        for start, end in self.slots[i::THREADS]:
            if self.stopped.is_set():
                return
            body = {"desk_id": self.desk_ids[i], "start": start, "end": end}
            try:
                response = session.post(self.base_url + "/api/v1/bookings", json=body, timeout=20)
            except requests.RequestException:  # the server is gone
                return
            with self.lock:
                if response.status_code == 201:
                    self.answered.append(response.json()["id"])
                else:
                    self.other.append(response.status_code)


def test_bookings_answered_201_survive_a_sigkill_whole(database_url, tmp_path):
    with throwaway_app(database_url, tmp_path) as (_server_app, url):
        hub = make_hub(desks=THREADS, name="Kungsklippan 6", max_active_bookings=100)
        user = make_user(hub.host_organisation)
        _row, token = api_ops.create_token(user)
        desk_ids = [desk.id for desk in hub.desks]
        slots = free_slots(hub)
        assert len(slots) >= 200

        server = Gunicorn(url, tmp_path / "server")
        server.start()
        try:
            server.wait_until_up()
            burst = Burst(server.base_url, token, desk_ids, slots)
            burst.start()
            deadline = time.monotonic() + 20
            while len(burst.answered) < ANSWERED_BEFORE_KILL and time.monotonic() < deadline:
                time.sleep(0.05)
            server.kill()  # while the clients are still sending
            burst.join()
        finally:
            server.stop()
        answered = set(burst.answered)
        assert len(answered) >= ANSWERED_BEFORE_KILL // 2, (burst.other, server.tail())

        again = Gunicorn(url, tmp_path / "server")
        again.start()
        try:
            again.wait_until_up()
            headers = {"Authorization": f"Bearer {token}"}
            for booking_id in sorted(answered):
                response = requests.get(
                    f"{again.base_url}/api/v1/bookings/{booking_id}", headers=headers, timeout=10
                )
                assert response.status_code == 200, (booking_id, response.text)
                assert response.json()["status"] == "confirmed"
        finally:
            again.stop()

        db.session.rollback()
        statuses = dict(db.session.execute(select(Booking.id, Booking.status)).all())
        assert answered <= set(statuses)
        assert set(statuses.values()) == {BookingStatus.CONFIRMED}
        # None half-written: every booking has its history and its confirmation, and neither
        # exists without its booking (a booking answered or not before the kill alike).
        confirmed = db.session.scalars(
            select(BookingEvent.booking_id).where(BookingEvent.status == BookingStatus.CONFIRMED)
        ).all()
        assert sorted(confirmed) == sorted(statuses)
        bodies = db.session.scalars(
            select(OutboxMessage.text_body).where(
                OutboxMessage.kind == "booking_confirmed", OutboxMessage.user_id == user.id
            )
        ).all()
        mailed = [{int(found) for found in re.findall(r"/bookings/(\d+)", b)} for b in bodies]
        assert all(len(ids) == 1 for ids in mailed), bodies
        assert sorted(ids.pop() for ids in mailed) == sorted(statuses)
