"""What the tests that run hubbar in real server processes share (the crash, the jobs run once
across instances, the database outage): a throwaway migrated database with an app of its own,
gunicorn in a process group of its own on a free port, and waiting for something to happen.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import requests
from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from hubbar import create_app
from hubbar.extensions import db

ROOT = Path(__file__).resolve().parent.parent
SECRET = "server-test-secret-not-for-production"

T = TypeVar("T")


@contextmanager
def throwaway_app(database_url: str, folder: Path) -> Iterator[tuple[Flask, str]]:
    """An app on a new database of the suite's kind, migrated to head, with its app context
    pushed while the ``with`` lasts (the factories write to it); yields the app and the
    database's URL for the servers. PostgreSQL: a database made here and dropped after;
    SQLite: a file in ``folder``."""
    url = make_url(database_url)
    admin = None
    if url.get_backend_name() == "postgresql":
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        url = url.set(database=f"hubbar_server_{uuid.uuid4().hex[:12]}")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{url.database}"'))
    else:
        url = make_url(f"sqlite:///{folder / 'hubbar.sqlite3'}")
    rendered = url.render_as_string(hide_password=False)
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": rendered,
            "SECRET_KEY": SECRET,
            "HUBBAR_PSEUDONYM_KEY": SECRET,
            "HUBBAR_PASSWORD_HASH": "pbkdf2:sha256:1000",
            "HUBBAR_SCHEDULER_ENABLED": False,
        }
    )
    ctx = app.app_context()
    ctx.push()
    try:
        from flask_migrate import upgrade

        upgrade()
        yield app, rendered
    finally:
        db.session.remove()
        db.engine.dispose()
        ctx.pop()
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
            admin.dispose()


def free_port() -> int:
    """A TCP port nobody listens on (the operating system's pick, closed again)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(predicate: Callable[[], T], seconds: float) -> T | None:
    """Ask ``predicate`` every 0.2 s until it answers something true, and return that; None if
    it has not within ``seconds``. A request that fails (nobody listening yet) counts as not
    yet."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            result = predicate()
        except requests.RequestException:
            result = None
        if result:
            return result
        if time.monotonic() > deadline:
            return None
        time.sleep(0.2)


class Gunicorn:
    """gunicorn serving wsgi:app with the production settings (gunicorn.conf.py) on a free
    port, in a process group of its own: the test can kill master and workers at once.
    ``env`` adds to (or overrides) the environment it is started with, e.g. HUBBAR_ENV."""

    def __init__(
        self,
        database_url: str,
        folder: Path,
        *,
        workers: int = 2,
        scheduler: bool = False,
        env: dict[str, str] | None = None,
    ):
        folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log = folder / f"gunicorn-{self.port}.log"
        self.command = [
            str(Path(sys.executable).parent / "gunicorn"),
            *("-c", str(ROOT / "gunicorn.conf.py")),
            *("--workers", str(workers), "--bind", f"127.0.0.1:{self.port}"),
            "wsgi:app",
        ]
        self.env = {
            **os.environ,
            "HUBBAR_DATABASE_URL": database_url,
            "HUBBAR_SECRET_KEY": SECRET,
            "HUBBAR_PSEUDONYM_KEY": SECRET,
            "HUBBAR_INSTANCE_PATH": str(folder / "instance"),
            "HUBBAR_SCHEDULER_ENABLED": "true" if scheduler else "false",
            "MPLCONFIGDIR": str(folder / "matplotlib"),
            **(env or {}),
        }
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        """Start it; `wait_until_up` waits for it to answer."""
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                self.command,
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_until_up(self, timeout: float = 40) -> None:
        """Until the login page answers 200; fails at once if gunicorn exits."""

        def answers() -> bool:
            assert self.process.poll() is None, f"gunicorn exited:\n{self.tail()}"
            return requests.get(self.base_url + "/login", timeout=5).status_code == 200

        if not wait_for(answers, timeout):
            raise AssertionError(f"gunicorn did not answer within {timeout:g} s:\n{self.tail()}")

    def worker_pids(self) -> set[int]:
        """The process ids of the workers (the master's children)."""
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        return {int(child) for child in children}

    def kill(self) -> None:
        """SIGKILL to master and workers at once: nobody gets to finish anything."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """A normal stop (SIGTERM), for the end of a test; SIGKILL if it takes too long."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
