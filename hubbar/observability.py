"""What operators read: a request id on every request, one log line per request, and the log
set-up (text or JSON on stderr).

Every request gets an id, taken from the ``X-Request-ID`` header a proxy sent (when it is a sane
token) or made up here; it is on ``flask.g.request_id``, on the response's ``X-Request-ID`` and
on every log record written during the request, so that one request's lines can be found
together. The request line names the user by numeric id only, and logs the path without its
query string and with private tokens masked: neither e-mail addresses nor links that act as keys
end up in the log.

``init_app`` is called once from create_app.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

from flask import Flask, Response, g, has_request_context, request
from flask.signals import request_finished, request_started
from sqlalchemy import inspect

log = logging.getLogger("hubbar.request")

REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,64}", re.ASCII)
LOG_FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
# Addresses whose segment after the prefix is a secret (password reset, invitation and calendar
# feed links): it is replaced in the logged path. Matched on the path itself, not on the route's
# arguments, so that a token is masked also when routing failed (a 404 for a mistyped link, a
# 405 for the wrong method), in any case and with doubled slashes (which are redirected to the
# route). The hub feed's prefix comes first: "hub" is no token.
PRIVATE_PATH = re.compile(
    r"^(?P<prefix>/+(?:calendar/+hub|calendar|invitation|password/+reset)/+)"
    r"(?P<token>[^/]+?)(?P<suffix>\.ics)?(?=/|$)",
    re.IGNORECASE,
)
MASK = "***"
# The load balancer's probes answer 200 every few seconds: logged at DEBUG, so that the log
# shows people's requests (a failing probe is logged at INFO like any other request).
PROBE_ENDPOINTS = {"health.healthz", "health.readyz"}


def init_app(app: Flask) -> None:
    """Configure logging (unless under test) and time and log every request."""
    configure_logging(app)
    request_started.connect(_start, app)
    request_finished.connect(_finish, app)


# --- the request id and the request line ---------------------------------------------------


def request_id() -> str:
    """This request's id (made on first use), or "-" outside a request."""
    if not has_request_context():
        return "-"
    if "request_id" not in g:
        given = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = given if REQUEST_ID_PATTERN.fullmatch(given) else uuid.uuid4().hex
    return g.request_id


def user_id(user) -> int | str:
    """The numeric id of a loaded user, read without the database (after a commit or a
    rollback the object's attributes are expired, but its identity is kept); "-" for
    anonymous visitors."""
    state = inspect(user, raiseerr=False) if user is not None else None
    if state is None or not state.identity:
        return "-"
    return state.identity[0]


def logged_path() -> str:
    """The request's path without its query string, private tokens masked."""
    return mask_tokens(request.path)


def mask_tokens(path: str) -> str:
    """``path`` with the token of a secret link replaced by ``***`` (a calendar feed keeps its
    ``.ics``): ``/password/reset/<token>/x`` → ``/password/reset/***/x``."""
    return PRIVATE_PATH.sub(lambda m: m["prefix"] + MASK + (m["suffix"] or ""), path, count=1)


def _start(app: Flask, **extra) -> None:
    g.request_started = time.perf_counter()
    request_id()


def _finish(app: Flask, response: Response, **extra) -> None:
    rid = request_id()
    response.headers[REQUEST_ID_HEADER] = rid
    started = g.get("request_started")
    duration = round((time.perf_counter() - started) * 1000, 1) if started else 0.0
    # The user of the request as far as it was loaded: a page that never asked has none, and
    # during a database outage the error page forgets the user (web.py) but keeps the id here.
    who = g.get("request_user_id") or user_id(g.get("_login_user"))
    fields = {
        "method": request.method,
        "path": logged_path(),
        "status": response.status_code,
        "duration_ms": duration,
        "request_id": rid,
        "user_id": who,
        "remote_addr": request.remote_addr or "-",
    }
    quiet = request.endpoint in PROBE_ENDPOINTS and response.status_code == 200
    log.log(
        logging.DEBUG if quiet else logging.INFO,
        "%(method)s %(path)s %(status)s %(duration_ms)sms user=%(user_id)s addr=%(remote_addr)s",
        fields,
        extra={"request_id": rid, "request_fields": fields},
    )


# --- log set-up ----------------------------------------------------------------------------


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record (the current request's, else "-")."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, request id and message; a request line
    adds its fields (method, path, status, duration_ms, user_id, remote_addr), an error its
    stack trace."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "request_fields", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class StderrHandler(logging.StreamHandler):
    """A handler that writes to whatever ``sys.stderr`` is at the time (not the stream it was
    made with), so that it keeps working when stderr is replaced (as pytest does)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


def make_handler(log_format: str) -> logging.Handler:
    """The hubbar log handler: stderr, the request id on every record, ``text`` or ``json``."""
    if log_format not in LOG_FORMATS:
        raise RuntimeError(f"HUBBAR_LOG_FORMAT must be 'text' or 'json', not {log_format!r}.")
    handler = StderrHandler()
    handler.addFilter(RequestIdFilter())
    formatter = JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)
    handler.setFormatter(formatter)
    handler.hubbar = True  # marks it, so that a second create_app replaces it
    return handler


def under_test(app: Flask) -> bool:
    """Whether the app runs under pytest, which captures log records with handlers of its own
    at levels it sets: an app built by a test (not always with TESTING on) leaves them be."""
    return app.testing or "pytest" in sys.modules


def configure_logging(app: Flask) -> None:
    """One root handler to stderr at HUBBAR_LOG_LEVEL, in HUBBAR_LOG_FORMAT (not under test)."""
    if under_test(app):
        return
    level = app.config["HUBBAR_LOG_LEVEL"]
    if not isinstance(logging.getLevelName(level), int):
        raise RuntimeError(
            f"HUBBAR_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, not {level!r}."
        )
    handler = make_handler(app.config["HUBBAR_LOG_FORMAT"])
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "hubbar", False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # APScheduler says "Running job … executed successfully" for every job, every tick, in every
    # worker; the jobs log what they did themselves. Its warnings and errors still show.
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, root.level))
