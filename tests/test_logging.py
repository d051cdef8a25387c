"""One log line per request (method, path without query, status, duration, request id, user id,
address; never a name or an e-mail address), the X-Request-ID header, the JSON format, and
unhandled errors logged with their stack trace and request id."""

from __future__ import annotations

import json
import logging
import re

import pytest

from hubbar import observability
from hubbar.bookings.feeds import create_or_regenerate_feed
from tests.api.helpers import token_for
from tests.factories import login, make_user
from tests.test_database_outage import database_down

UUID_HEX = re.compile(r"[0-9a-f]{32}")


@pytest.fixture()
def request_log(caplog):
    caplog.set_level(logging.DEBUG, logger="hubbar.request")

    def lines():
        return [r for r in caplog.records if r.name == "hubbar.request"]

    return lines


@pytest.fixture()
def hubbar_handler():
    """The production handler on the ``hubbar`` logger (under test the root has pytest's own);
    yields a function that makes it use a format."""
    logger = logging.getLogger("hubbar")
    installed: list[logging.Handler] = []

    def use(log_format: str) -> None:
        handler = observability.make_handler(log_format)
        logger.addHandler(handler)
        installed.append(handler)

    previous = logger.level
    logger.setLevel(logging.INFO)
    yield use
    for handler in installed:
        logger.removeHandler(handler)
    logger.setLevel(previous)


def test_a_request_is_logged_with_the_user_id_only(client, request_log):
    user = make_user(email="kim.svensson@example.org", display_name="Kim Svensson")
    login(client, user)
    response = client.get("/profile?email=kim.svensson@example.org")
    assert response.status_code == 200
    record = request_log()[-1]
    fields = record.request_fields
    assert fields["method"] == "GET"
    assert fields["path"] == "/profile"  # no query string
    assert fields["status"] == 200
    assert isinstance(fields["duration_ms"], float) and fields["duration_ms"] >= 0
    assert fields["user_id"] == user.id
    assert fields["remote_addr"] == "127.0.0.1"
    assert fields["request_id"] == record.request_id == response.headers["X-Request-ID"]
    assert record.levelno == logging.INFO
    message = record.getMessage()
    assert message.startswith("GET /profile 200 ") and f"user={user.id}" in message
    for private in ("kim", "Kim", "example.org"):
        assert private not in message and private not in json.dumps(fields)


def test_anonymous_and_api_token_users(client, request_log):
    client.get("/login")
    assert request_log()[-1].request_fields["user_id"] == "-"
    user = make_user()
    token = token_for(user)
    client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert request_log()[-1].request_fields["user_id"] == user.id


def test_a_token_in_the_address_is_masked(client, request_log):
    user = make_user()
    token = create_or_regenerate_feed(user)
    assert client.get(f"/calendar/{token}.ics").status_code == 200
    fields = request_log()[-1].request_fields
    assert fields["path"] == "/calendar/***.ics"
    assert token not in request_log()[-1].getMessage()


SECRET = "s3cr3t-T0ken_value.x"  # shaped like the tokens: URL-safe, reset ones with dots


@pytest.mark.parametrize(
    ("method", "path", "status", "logged"),
    [
        # A token link asked with the wrong method: routing fails with 405.
        ("POST", f"/calendar/{SECRET}.ics", 405, "/calendar/***.ics"),
        ("DELETE", f"/calendar/hub/{SECRET}.ics", 405, "/calendar/hub/***.ics"),
        ("PUT", f"/password/reset/{SECRET}", 405, "/password/reset/***"),
        ("PUT", f"/invitation/{SECRET}", 405, "/invitation/***"),
        # A mangled token link: no route at all, 404.
        ("GET", f"/password/reset/{SECRET}/x", 404, "/password/reset/***/x"),
        ("GET", f"/invitation/{SECRET}/", 404, "/invitation/***/"),
        ("GET", f"/calendar/{SECRET}", 404, "/calendar/***"),
        ("GET", f"/calendar/hub/{SECRET}.ics/x", 404, "/calendar/hub/***.ics/x"),
    ],
)
def test_a_token_is_masked_also_when_routing_fails(
    client, request_log, method, path, status, logged
):
    assert client.open(path, method=method).status_code == status
    record = request_log()[-1]
    assert record.request_fields["path"] == logged
    assert SECRET not in record.getMessage()


def test_every_route_with_a_token_is_masked(app):
    """A new route with a <token> in its address must be added to the masked paths."""
    routes = [rule for rule in app.url_map.iter_rules() if "token" in rule.arguments]
    assert len(routes) >= 4
    for rule in routes:
        values = {name: 1 for name in rule.arguments} | {"token": SECRET}
        with app.test_request_context():
            path = app.url_map.bind("localhost").build(rule.endpoint, values)
        assert SECRET not in observability.mask_tokens(path), rule.rule


def test_probes_are_logged_at_debug_unless_they_fail(client, request_log):
    client.get("/healthz")
    assert request_log()[-1].levelno == logging.DEBUG
    with database_down():
        assert client.get("/readyz").status_code == 503
    assert request_log()[-1].levelno == logging.INFO


@pytest.mark.parametrize("given", ["abc-123", "lb.7f3a_Z", "x" * 64])
def test_a_sane_request_id_is_kept(client, request_log, given):
    response = client.get("/login", headers={"X-Request-ID": given})
    assert response.headers["X-Request-ID"] == given
    assert request_log()[-1].request_id == given


@pytest.mark.parametrize("given", ["", "x" * 65, "a b", "id;drop", "<script>", "ä"])
def test_any_other_request_id_is_replaced(client, request_log, given):
    response = client.get("/login", headers={"X-Request-ID": given})
    made = response.headers["X-Request-ID"]
    assert UUID_HEX.fullmatch(made)
    assert request_log()[-1].request_id == made


def test_every_request_gets_its_own_id(client):
    first = client.get("/login").headers["X-Request-ID"]
    second = client.get("/login").headers["X-Request-ID"]
    assert first != second


def test_json_lines_parse_and_carry_the_fields(client, capsys, hubbar_handler):
    hubbar_handler("json")
    user = make_user()
    login(client, user)
    capsys.readouterr()
    response = client.get("/profile", headers={"X-Request-ID": "trace-1"})
    lines = capsys.readouterr().err.splitlines()
    entries = [json.loads(line) for line in lines]
    entry = next(e for e in entries if e["logger"] == "hubbar.request")
    assert response.headers["X-Request-ID"] == "trace-1"
    assert entry["level"] == "INFO"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", entry["time"])
    assert {k: entry[k] for k in ("method", "path", "status", "request_id", "user_id")} == {
        "method": "GET",
        "path": "/profile",
        "status": 200,
        "request_id": "trace-1",
        "user_id": user.id,
    }
    assert isinstance(entry["duration_ms"], float) and entry["remote_addr"] == "127.0.0.1"


def _fail(*args, **kwargs):
    raise RuntimeError("a bug in a view")


@pytest.mark.parametrize(
    ("log_format", "path", "endpoint"),
    [("text", "/", "web.home"), ("json", "/api/v1/me", "api.me")],
)
def test_an_unhandled_error_is_logged_with_its_trace_and_request_id(
    app, client, capsys, hubbar_handler, monkeypatch, log_format, path, endpoint
):
    """The person gets the friendly 500 page (with the request id to quote), the log gets the
    stack trace under the same request id."""
    hubbar_handler(log_format)
    user = make_user()
    login(client, user)
    token = token_for(user)
    monkeypatch.setitem(app.view_functions, endpoint, _fail)
    capsys.readouterr()
    response = client.get(
        path, headers={"X-Request-ID": "err-42", "Authorization": f"Bearer {token}"}
    )
    err = capsys.readouterr().err
    assert response.status_code == 500
    if log_format == "text":
        assert "err-42" in response.get_data(as_text=True)  # the reference on the page
        error_line = next(line for line in err.splitlines() if "Unhandled error" in line)
        assert re.match(
            r"\S+ \S+ ERROR hubbar \[err-42\] Unhandled error: a bug in a view", error_line
        )
        assert "Traceback" in err and "RuntimeError: a bug in a view" in err
        assert re.search(r"INFO hubbar.request \[err-42\] GET / 500 ", err)
    else:
        entries = [json.loads(line) for line in err.splitlines()]
        error = next(e for e in entries if e["level"] == "ERROR")
        assert error["request_id"] == "err-42" and error["logger"] == "hubbar"
        assert "RuntimeError: a bug in a view" in error["exception"]
        line = next(e for e in entries if e["logger"] == "hubbar.request")
        assert (line["status"], line["request_id"]) == (500, "err-42")


def test_an_unknown_log_format_or_level_is_refused(app, monkeypatch):
    with pytest.raises(RuntimeError, match="HUBBAR_LOG_FORMAT"):
        observability.make_handler("xml")
    monkeypatch.setattr(observability, "under_test", lambda app: False)
    monkeypatch.setitem(app.config, "HUBBAR_LOG_LEVEL", "LOUD")
    with pytest.raises(RuntimeError, match="HUBBAR_LOG_LEVEL"):
        observability.configure_logging(app)
