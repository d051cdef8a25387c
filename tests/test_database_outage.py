"""When the database cannot be reached, hubbar answers a friendly 503 (JSON under /api/v1) with
Retry-After, never a 500, and recovers by itself when the database is back.

The unit tests make the database fail under a running app (every statement, or every statement
from a given one on, raises the driver's OperationalError). The acceptance test (PostgreSQL)
starts a real gunicorn whose database connections pass through a TCP proxy in this test, cuts
the proxy off (the database is gone: refused connections, broken pooled ones) and puts it back.
"""

from __future__ import annotations

import contextlib
import logging
import re
import socket
import threading

import pytest
import requests
from sqlalchemy import event, select
from sqlalchemy.engine import make_url

from hubbar.accounts.models import User
from hubbar.extensions import db
from hubbar.health import migrations_head
from tests.api.helpers import token_for
from tests.factories import login, make_user
from tests.servers import Gunicorn, free_port, throwaway_app, wait_for

UNAVAILABLE = "The service is briefly unavailable"
API_UNAVAILABLE = "The service is briefly unavailable. Try again in a minute."


# --- making the database fail --------------------------------------------------------------


@contextlib.contextmanager
def database_down(after: str | None = None):
    """Every SQL statement fails as when the database is unreachable: from the first one whose
    text contains ``after`` on (the failure comes in the middle of a request), or from the start.
    Yields the list of statements that were refused."""
    engine = db.engine
    refused: list[str] = []
    down = after is None

    def refuse(conn, cursor, statement, parameters, context, executemany):
        nonlocal down
        down = down or after in statement
        if down:
            refused.append(statement)
            # What both drivers say when there is no database to talk to: psycopg without a
            # SQLSTATE (it never got one), SQLite that it cannot open the file.
            raise engine.dialect.loaded_dbapi.OperationalError(
                "unable to open database file (test: the database is unreachable)"
            )

    if after is None:
        # Nothing the test has loaded stands in for the database (a new process has nothing).
        db.session.expunge_all()
    event.listen(engine, "before_cursor_execute", refuse)
    try:
        yield refused
    finally:
        event.remove(engine, "before_cursor_execute", refuse)


def _english_user(**overrides) -> User:
    return make_user(locale="en", **overrides)


# --- pages ---------------------------------------------------------------------------------


def test_a_page_answers_a_friendly_503_in_the_users_language_without_the_database(client):
    user = _english_user()
    login(client, user)
    # The user is loaded, then the bookings' query fails; from there on nothing reaches the
    # database, so the error page (menu, notifications, language) must need none.
    with database_down(after="FROM bookings") as refused:
        response = client.get("/bookings")
    assert refused, "the database was never asked"
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert '<html lang="en">' in page
    assert UNAVAILABLE in page
    assert "Try again in a minute" in page
    # And when it is back, the same client goes on without a restart.
    assert client.get("/bookings").status_code == 200


def test_a_page_answers_503_when_no_user_can_be_loaded(client):
    """The database is down from the start: the session's user cannot be loaded. The page is in
    the browser's language (the person's own is in the database), and the login survives."""
    login(client, _english_user())
    with database_down():
        english = client.get("/bookings", headers={"Accept-Language": "en-GB,en;q=0.8"})
        swedish = client.get("/bookings")
    assert english.status_code == swedish.status_code == 503
    assert UNAVAILABLE in english.get_data(as_text=True)
    assert '<html lang="sv">' in swedish.get_data(as_text=True)
    assert client.get("/bookings").status_code == 200  # still logged in


def test_an_anonymous_page_that_reads_the_database_answers_503(client):
    with database_down():
        response = client.get("/privacy")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert '<html lang="sv">' in response.get_data(as_text=True)


def test_a_change_during_an_outage_is_rolled_back(client):
    user = _english_user(display_name="Before Outage")
    login(client, user)
    data = {"profile-display_name": "After Outage", "profile-locale": "en"}
    with database_down(after="UPDATE users"):
        response = client.post("/profile", data=data)
    assert response.status_code == 503
    # The request's session was rolled back: the next request works, and nothing was saved.
    assert client.get("/profile").status_code == 200
    db.session.expire_all()
    assert db.session.scalar(select(User.display_name).where(User.id == user.id)) == "Before Outage"


def test_an_outage_is_logged_as_a_warning_without_statement_or_trace(client, caplog):
    caplog.set_level(logging.INFO, logger="hubbar")
    login(client, _english_user(email="outage.person@example.org"))
    with database_down(after="FROM bookings"):
        client.get("/bookings")
    warnings = [r for r in caplog.records if r.name == "hubbar" and r.levelno >= logging.WARNING]
    assert [r.getMessage() for r in warnings] == [
        "Database unavailable: unable to open database file (test: the database is unreachable)"
    ]
    assert not any(r.exc_info for r in warnings)
    line = [r for r in caplog.records if r.name == "hubbar.request"][-1]
    assert line.request_fields["status"] == 503
    assert "outage.person" not in caplog.text


# --- the API -------------------------------------------------------------------------------


def test_an_api_call_answers_json_503(client):
    user = _english_user()
    token = token_for(user)
    headers = {"Authorization": f"Bearer {token}"}
    with database_down(after="FROM bookings"):
        response = client.get("/api/v1/me/bookings", headers=headers)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert response.get_json() == {"error": "unavailable", "message": API_UNAVAILABLE}
    assert client.get("/api/v1/me/bookings", headers=headers).status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/me", "/api/v1/no-such-thing"])
def test_the_api_answers_json_503_when_the_token_cannot_be_checked(client, path):
    """Also for an address the API does not have (answered before any API code runs)."""
    token = token_for(_english_user())
    with database_down():
        response = client.get(path, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 503
    assert response.is_json
    assert response.get_json()["error"] == "unavailable"


def _fault(engine) -> Exception:
    """A database error that is not an outage: a deadlock on PostgreSQL, a missing table on
    SQLite."""
    if engine.dialect.name == "postgresql":
        import psycopg

        return psycopg.errors.DeadlockDetected("deadlock detected (test)")
    return engine.dialect.loaded_dbapi.OperationalError("no such table: bookings (test)")


def test_a_database_fault_that_is_no_outage_is_a_logged_500_not_a_503(client, caplog):
    user = _english_user()
    login(client, user)
    token = token_for(user)
    engine = db.engine

    def fail(conn, cursor, statement, parameters, context, executemany):
        if "FROM bookings" in statement:
            raise _fault(engine)

    event.listen(engine, "before_cursor_execute", fail)
    try:
        page = client.get("/bookings")
        api = client.get("/api/v1/me/bookings", headers={"Authorization": f"Bearer {token}"})
    finally:
        event.remove(engine, "before_cursor_execute", fail)
    assert page.status_code == 500
    assert "Retry-After" not in page.headers
    assert api.status_code == 500
    assert api.get_json()["error"] == "server_error"
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert errors and all(r.exc_info for r in errors)


# --- acceptance: a real gunicorn, PostgreSQL cut off and back ------------------------------


class Proxy:
    """A TCP proxy on a local port to PostgreSQL, which can be cut off (the listener closed and
    every connection through it broken) and started again on the same port."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.port = free_port()
        self.listener: socket.socket | None = None
        self.sockets: set[socket.socket] = set()
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.acceptor: threading.Thread | None = None

    def start(self) -> None:
        self.stopping.clear()
        self.listener = socket.create_server(("127.0.0.1", self.port))  # SO_REUSEADDR
        self.listener.settimeout(0.1)
        self.acceptor = threading.Thread(target=self._accept, daemon=True)
        self.acceptor.start()

    def stop(self) -> None:
        self.stopping.set()
        self.acceptor.join()
        self.listener.close()
        with self.lock:
            for sock in self.sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self.sockets.clear()

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                client, _address = self.listener.accept()
            except TimeoutError:
                continue
            client.settimeout(None)
            try:
                server = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets.update((client, server))
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)


def test_gunicorn_answers_503_while_postgresql_is_gone_and_recovers_without_a_restart(
    database_url, is_postgres, tmp_path
):
    if not is_postgres:
        pytest.skip("cuts PostgreSQL's TCP connections off; SQLite has none")
    with throwaway_app(database_url, tmp_path) as (_app, direct):
        url = make_url(direct)
        proxy = Proxy((url.host or "127.0.0.1", url.port or 5432))
        proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        proxy.start()
        production = {
            "HUBBAR_ENV": "production",
            "HUBBAR_SECURE_COOKIES": "false",  # plain HTTP here; the language choice is a cookie
            "HUBBAR_LOG_FORMAT": "json",
        }
        server = Gunicorn(proxied, tmp_path / "server", workers=2, env=production)
        server.start()
        base = server.base_url
        web = requests.Session()
        try:
            server.wait_until_up()
            assert wait_for(lambda: len(server.worker_pids()) == 2, 10), "two workers"
            workers = server.worker_pids()
            ready = web.get(base + "/readyz", timeout=5)
            assert ready.status_code == 200, ready.text
            assert ready.json()["migrations"] == migrations_head()
            # Read the pages in English (a cookie), to check the words of the outage page.
            login_page = web.get(base + "/login", timeout=5).text
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', login_page).group(1)
            web.post(base + "/language", data={"locale": "en", "csrf_token": csrf}, timeout=5)
            assert web.get(base + "/privacy", timeout=5).status_code == 200

            proxy.stop()  # PostgreSQL is gone
            for _ in range(4):  # each worker, whichever answers
                down = web.get(base + "/readyz", timeout=10)
                assert down.status_code == 503, down.text
                assert down.json() == {"status": "unavailable", "reason": "database_unreachable"}
                page = web.get(base + "/privacy", timeout=10)
                assert page.status_code == 503, page.text[:500]
                assert page.headers["Retry-After"] == "30"
                assert UNAVAILABLE in page.text
                api = web.get(
                    base + "/api/v1/me", headers={"Authorization": "Bearer x"}, timeout=10
                )
                assert (api.status_code, api.json()["error"]) == (503, "unavailable")
            assert web.get(base + "/healthz", timeout=5).status_code == 200  # the process lives

            proxy.start()  # and back, on the same port
            assert wait_for(lambda: web.get(base + "/readyz", timeout=10).ok, 10), "/readyz 200"
            for _ in range(6):
                assert web.get(base + "/readyz", timeout=10).status_code == 200
                assert web.get(base + "/privacy", timeout=10).status_code == 200
            assert server.process.poll() is None and server.worker_pids() == workers  # no restart
        finally:
            server.stop()
            with contextlib.suppress(Exception):
                proxy.stop()
    lines = server.log.read_text(errors="replace").splitlines()
    requests_logged = [line for line in lines if '"logger": "hubbar.request"' in line]
    assert any('"status": 503' in line for line in requests_logged)
    assert not any('"status": 500' in line for line in requests_logged), "\n".join(lines[-40:])
    assert "Traceback" not in "\n".join(lines)
