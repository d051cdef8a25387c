"""Two people pressing "Boka" at the same instant never both get the desk: a real server
(gunicorn, four processes with four threads each) on the test database, SQLite or PostgreSQL,
and 32 clients firing real HTTP requests at the same moment.

The server has the real clock, so the bookings are made for the next open weekday within the
hub's booking window, counted from today.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased

from hubbar.api import operations as api_ops
from hubbar.bookings.models import ACTIVE_STATUSES, Booking
from hubbar.extensions import db
from hubbar.hubs.calendar import hub_days
from hubbar.hubs.models import Hub
from tests.factories import make_hub, make_organisation, make_user
from tests.helpers import count
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = 32
WORKERS, THREADS = 4, 4


@dataclass
class Server:
    port: int
    log: Path

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def _request(port: int, method: str, path: str, token: str | None = None, body=None):
    """(status, JSON body) of one request on a fresh connection, as a separate client would."""
    headers = {"Content-Type": "application/json", "Connection": "close"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, path, json.dumps(body) if body is not None else None, headers)
        response = conn.getresponse()
        data = response.read()
        try:
            return response.status, json.loads(data)
        except ValueError:
            return response.status, data.decode(errors="replace")
    finally:
        conn.close()


@pytest.fixture(scope="module")
def server(app, database_url, tmp_path_factory):
    """gunicorn with several worker processes on the (already migrated) test database."""
    port = free_port()
    log = tmp_path_factory.mktemp("server") / "gunicorn.log"
    env = {
        **os.environ,
        "HUBBAR_DATABASE_URL": database_url,
        "HUBBAR_SECRET_KEY": "concurrency-test-secret",
        "HUBBAR_PASSWORD_HASH": "pbkdf2:sha256:1000",
        "HUBBAR_SCHEDULER_ENABLED": "false",
        "HUBBAR_INSTANCE_PATH": str(tmp_path_factory.mktemp("server-instance")),
    }
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(WORKERS),
        "--threads",
        str(THREADS),
        "--bind",
        f"127.0.0.1:{port}",
        "--preload",  # the app is built once; every worker is ready as soon as it forks
        "--graceful-timeout",
        "5",
        "hubbar:create_app()",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    server = Server(port, log)
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                pytest.fail(f"gunicorn exited with {process.returncode}:\n{server.log_tail()}")
            try:
                if _request(port, "GET", "/api/v1/openapi.json")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not answer within 30 s:\n{server.log_tail()}")
            time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Scene:
    hub: Hub
    day: date
    tokens: list[str]
    user_ids: list[int]


def _next_open_day(hub: Hub) -> date:
    """The first open day after today (by the hub's clock) within its booking window, skipping
    weekends, Swedish holidays and closures."""
    today = datetime.now(ZoneInfo(hub.timezone)).date()
    days = hub_days(hub, today + timedelta(days=1), today + timedelta(days=hub.max_days_ahead))
    return next(d.day for d in days if d.is_open)


@pytest.fixture()
def scene() -> Scene:
    """A hub with four desks (08.00–17.00 on weekdays) and 32 employees with tokens."""
    org = make_organisation(name="Kulturförvaltningen", code="KuF")
    hub = make_hub(host=org, name="Kungsklippan 6", desks=4)
    users = [make_user(org) for _ in range(CLIENTS)]
    tokens = [api_ops.create_token(user, "race")[1] for user in users]
    return Scene(hub, _next_open_day(hub), tokens, [u.id for u in users])


def _race(port: int, jobs: list[list[tuple[str, dict]]]) -> list[tuple[int, object]]:
    """One thread per list of (token, booking request); all threads start at the same instant.
    Returns every (status, body), in no particular order."""
    barrier = threading.Barrier(len(jobs))
    results: list[tuple[int, object]] = []
    lock = threading.Lock()

    def client(requests: list[tuple[str, dict]]) -> None:
        barrier.wait()
        for token, body in requests:
            try:
                answer = _request(port, "POST", "/api/v1/bookings", token, body)
            except OSError as error:  # a refused or dropped connection is a failure too
                answer = (0, repr(error))
            with lock:
                results.append(answer)

    threads = [threading.Thread(target=client, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a client hung"
    return results


def _overlapping_pairs(column) -> int:
    """Pairs of active bookings on one desk (or of one user) whose times overlap."""
    a, b = aliased(Booking), aliased(Booking)
    db.session.rollback()  # read what the server committed
    return db.session.scalar(
        select(func.count())
        .select_from(a)
        .join(
            b,
            and_(
                getattr(a, column) == getattr(b, column),
                a.id < b.id,
                a.starts_at < b.ends_at,
                b.starts_at < a.ends_at,
            ),
        )
        .where(a.status.in_(ACTIVE_STATUSES), b.status.in_(ACTIVE_STATUSES))
    )


def test_32_clients_race_for_one_desk_and_exactly_one_wins(server, scene):
    desk = scene.hub.desks[0]
    body = {
        "desk_id": desk.id,
        "start": f"{scene.day.isoformat()}T09:00",
        "end": f"{scene.day.isoformat()}T12:00",
    }
    started = time.monotonic()
    results = _race(server.port, [[(token, body)] for token in scene.tokens])
    elapsed = time.monotonic() - started

    statuses = sorted(status for status, _body in results)
    assert statuses == [201] + [409] * (CLIENTS - 1), (statuses, results, server.log_tail())
    assert all(body["error"] == "booking_conflict" for status, body in results if status == 409)
    winner = next(body for status, body in results if status == 201)
    assert winner["desk"]["id"] == desk.id
    assert count(Booking) == 1
    booking = db.session.scalars(select(Booking)).one()
    assert booking.id == winner["id"] and booking.user_id in scene.user_ids
    assert elapsed < 20


def test_many_random_overlapping_requests_never_double_book(server, scene):
    rng = random.Random(20261201)
    day = scene.day.isoformat()
    desk_ids = [d.id for d in scene.hub.desks]
    requests = []
    for _ in range(200):
        start = 8 * 60 + 30 * rng.randrange(18)  # 08.00 to 16.30
        end = start + 30 * rng.randrange(1, 7)  # 30 minutes to 3 hours; some past closing
        requests.append(
            (
                rng.choice(scene.tokens),
                {
                    "desk_id": rng.choice(desk_ids),
                    "start": f"{day}T{start // 60:02d}:{start % 60:02d}",
                    "end": f"{day}T{end // 60:02d}:{end % 60:02d}",
                },
            )
        )
    jobs = [requests[i::CLIENTS] for i in range(CLIENTS)]
    started = time.monotonic()
    results = _race(server.port, jobs)
    elapsed = time.monotonic() - started

    assert len(results) == 200
    statuses = [status for status, _body in results]
    unexpected = [(s, b) for s, b in results if s not in (201, 409, 422)]
    assert unexpected == [], (unexpected, server.log_tail())
    assert statuses.count(201) >= len(desk_ids)
    assert statuses.count(409) > 0  # the requests did collide
    codes = {body["error"] for status, body in results if status != 201}
    assert codes <= {
        "booking_conflict",
        "user_overlap",
        "outside_opening_hours",
        "too_many_bookings",
    }, codes

    assert _overlapping_pairs("desk_id") == 0
    assert _overlapping_pairs("user_id") == 0
    assert count(Booking) == statuses.count(201)
    assert elapsed < 20
