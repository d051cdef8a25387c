"""The JSON API ``/api/v1``: parse the request, call the same operations as the web pages, answer
JSON. Every call but the token one needs ``Authorization: Bearer <token>``.

Every error under /api/v1 is JSON, ``{"error": <stable code>, "message": <text in the caller's
language>}`` (plus ``"field"`` when one input is at fault): domain errors keep their code and
status, Flask's own 4xx answers get a code of their own, and an unexpected failure is logged and
answered as a JSON 500.
"""

from __future__ import annotations

import json
import re
from contextlib import suppress
from datetime import UTC, date, datetime, time

import flask_babel
from flask import Blueprint, abort, current_app, g, jsonify, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import HTTPException

from hubbar.accounts import operations as accounts_ops
from hubbar.accounts.models import RoleAssignment, User
from hubbar.accounts.throttle import TooManyAttempts, login_window
from hubbar.api import operations as ops
from hubbar.api.openapi import document
from hubbar.bookings import operations as booking_ops
from hubbar.bookings.feed_views import calendar_feed_url
from hubbar.bookings.models import Booking
from hubbar.errors import DomainError, InvalidInput, NotAllowed, NotFound
from hubbar.extensions import db
from hubbar.hubs.models import Desk, Equipment, Hub
from hubbar.hubs.operations import DeskSummary, bookable_hubs, desk_summaries
from hubbar.occupancy import operations as occupancy_ops
from hubbar.occupancy import tables as occupancy_tables
from hubbar.occupancy.exports import csv_response, filename
from hubbar.operations import check_calendar_date
from hubbar.pilots import exports as pilot_exports
from hubbar.pilots import operations as pilot_ops
from hubbar.pilots import report as pilot_reports
from hubbar.pilots import views as pilot_views
from hubbar.privacy import operations as privacy_ops
from hubbar.web import DATABASE_ERRORS, MAX_ID, database_unavailable

API_PREFIX = "/api/v1"
bp = Blueprint("api", __name__, url_prefix=API_PREFIX)

# Endpoints that need no token: getting one, and the description of the API.
PUBLIC_ENDPOINTS = {"api.create_token", "api.openapi"}


# --- errors --------------------------------------------------------------------------------


class InvalidJson(DomainError):
    code = "invalid_json"
    status = 400


def error_response(status: int, code: str, message, field: str | None = None):
    body = {"error": code, "message": str(message)}
    if field:
        body["field"] = field
    response = jsonify(body)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="hubbar"'
    return response


HTTP_ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
}


def _http_message(status: int) -> str:
    messages = {
        400: _("The request could not be understood."),
        403: _("You do not have permission to see or change this."),
        404: _("There is nothing at this address. It may have been removed."),
        405: _("This address does not accept that kind of request."),
        413: _("The request is larger than 2 MB."),
    }
    return messages.get(status, messages[400])


def _http_error(error: HTTPException):
    if error.code is not None and error.code < 400:
        return error  # a redirect, not an error
    status = error.code or 400
    response = error_response(status, HTTP_ERROR_CODES.get(status, "error"), _http_message(status))
    if "Allow" in dict(error.get_headers()):
        response.headers["Allow"] = dict(error.get_headers())["Allow"]
    return response


@bp.errorhandler(DomainError)
def _domain_error(error: DomainError):
    db.session.rollback()  # nothing half-done is saved by a later commit
    response = error_response(error.status, error.code, error.message, error.field)
    if isinstance(error, TooManyAttempts):
        response.headers["Retry-After"] = str(int(login_window().total_seconds()))
    return response


bp.register_error_handler(HTTPException, _http_error)


# The database cannot be reached: 503 {"error": "unavailable"} with Retry-After, as for the web
# pages (registered here too, or the catch-all below would answer 500 first).
for _database_error in DATABASE_ERRORS:
    bp.register_error_handler(_database_error, database_unavailable)


@bp.errorhandler(Exception)
def _unexpected(error: Exception):
    current_app.logger.exception("Unhandled API error: %s", error)
    db.session.rollback()
    return error_response(
        500, "server_error", _("We have logged the error. Try again in a moment.")
    )


def is_api_path(path: str) -> bool:
    """Whether an address is under /api/v1, whose answers are JSON (also where no route
    matches, so before any blueprint is chosen)."""
    return path == API_PREFIX or path.startswith(API_PREFIX + "/")


def _routing_errors_as_json():
    """Unknown addresses and methods under /api/v1 are answered in JSON too. Flask raises those
    before any blueprint is chosen, so the blueprint's error handlers never see them."""
    error = request.routing_exception
    if error is None or not is_api_path(request.path):
        return None
    if isinstance(error, HTTPException) and (error.code or 500) >= 400:
        with suppress(ops.Unauthorized):
            _act_as_token_user()  # only to answer in the caller's language
        return _http_error(error)
    return None


@bp.record_once
def _answer_routing_errors_first(state) -> None:
    # First among the app's before-request functions, so that no other check answers an API
    # address with an HTML page.
    state.app.before_request_funcs.setdefault(None, []).insert(0, _routing_errors_as_json)


# --- authentication ------------------------------------------------------------------------


@bp.before_request
def _authenticate():
    if request.endpoint not in PUBLIC_ENDPOINTS:
        _act_as_token_user()


def _act_as_token_user() -> None:
    """Act as the bearer token's user for this request, and speak the user's language. Never as
    a browser session's user: the API reads no cookies, so it needs no CSRF protection."""
    scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip() if scheme.lower() == "bearer" else ""
    user = ops.user_for_token(token)
    g._login_user = user  # Flask-Login's current_user, which the locale selector reads
    flask_babel.refresh()


def _caller() -> User:
    return g._login_user


# --- reading the request -------------------------------------------------------------------


def _json_object() -> dict:
    """The request body as a JSON object (whatever the Content-Type says)."""
    try:
        data = json.loads(request.get_data(cache=True))
    except (ValueError, RecursionError):  # also UnicodeDecodeError, a ValueError
        data = None
    if not isinstance(data, dict):
        raise InvalidJson(
            _("Send a JSON object in the request body, with Content-Type: application/json.")
        )
    return data


def _missing(name: str) -> InvalidInput:
    return InvalidInput(_("%(field)s is missing.", field=name), field=name)


def _integer(data: dict, name: str) -> int:
    if name not in data or data[name] is None:
        raise _missing(name)
    value = data[name]
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(_("%(field)s must be a whole number.", field=name), field=name)
    return value


def _string(data: dict, name: str, default: str | None = None) -> str:
    if name not in data or data[name] is None:
        if default is None:
            raise _missing(name)
        return default
    value = data[name]
    if not isinstance(value, str):
        raise InvalidInput(_("%(field)s must be text.", field=name), field=name)
    if not _storable(value):
        abort(400)
    return value


def _storable(value: str) -> bool:
    """Text a database can store and compare: valid UTF-8 (JSON allows lone surrogates such as
    "\\udcff") and no NUL character (PostgreSQL refuses it), as the web pages require too."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in value


def _boolean(data: dict, name: str, default: bool) -> bool:
    value = data.get(name)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise InvalidInput(_("%(field)s must be true or false.", field=name), field=name)
    return value


def _equipment(values, name: str = "equipment") -> list[Equipment]:
    """Equipment tags from a JSON list or a comma-separated query parameter."""
    if values is None or values == "":
        return []
    if isinstance(values, str):
        values = [v.strip() for v in values.split(",") if v.strip()]
    known = {e.value: e for e in Equipment}
    if not isinstance(values, list) or not all(isinstance(v, str) and v in known for v in values):
        raise InvalidInput(
            _("%(field)s must be a list of: %(choices)s.", field=name, choices=", ".join(known)),
            field=name,
        )
    return [known[v] for v in values]


# ISO 8601's extended format: a date, "T", a time to the minute or finer, an optional offset.
DATETIME_PATTERN = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?", re.ASCII
)
DATE_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
TIME_PATTERN = re.compile(r"\d{2}:\d{2}", re.ASCII)


def _moment(data: dict, name: str, hub: Hub) -> datetime:
    """An ISO 8601 date and time; without an offset it is the hub's wall-clock time."""
    value = _string(data, name)
    try:
        if not DATETIME_PATTERN.fullmatch(value):
            raise ValueError(value)
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=booking_ops.hub_zone(hub))
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise InvalidInput(
            _(
                "%(field)s must be a date and time in ISO 8601, for example %(example)s.",
                field=name,
                example="2026-12-01T09:00",
            ),
            field=name,
        ) from None


def _query_date(name: str) -> date:
    value = request.args.get(name)
    if not value:
        raise _missing(name)
    try:
        if not DATE_PATTERN.fullmatch(value):
            raise ValueError(value)
        day = date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            _(
                "%(field)s must be a date, for example %(example)s.",
                field=name,
                example="2026-12-01",
            ),
            field=name,
        ) from None
    check_calendar_date(day, name)
    return day


def _query_time(name: str) -> time:
    value = request.args.get(name)
    if not value:
        raise _missing(name)
    try:
        if not TIME_PATTERN.fullmatch(value):
            raise ValueError(value)
        return time.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            _("%(field)s must be a time, for example %(example)s.", field=name, example="09:00"),
            field=name,
        ) from None


def _hub(user: User, hub_id: int) -> Hub:
    """A hub the caller may see; any other id is 'not found'."""
    hub = db.session.get(Hub, hub_id) if 1 <= hub_id <= MAX_ID else None
    if hub is None or not hub.can_view(user):
        raise NotFound(_("No such hub."))
    return hub


def _desk(user: User, desk_id: int) -> Desk:
    """A desk at a hub the caller may see; any other id is 'not found'."""
    desk = db.session.get(Desk, desk_id) if 1 <= desk_id <= MAX_ID else None
    if desk is None or not desk.hub.can_view(user):
        raise NotFound(_("No such desk."))
    return desk


# --- writing the answer --------------------------------------------------------------------


def _iso(moment: datetime | None, hub: Hub) -> str | None:
    """ISO 8601 with the hub's offset, e.g. 2026-12-01T09:00:00+01:00."""
    if moment is None:
        return None
    return moment.astimezone(booking_ops.hub_zone(hub)).isoformat(timespec="seconds")


def _hhmm(value: time) -> str:
    return value.strftime("%H:%M")


def booking_json(booking: Booking) -> dict:
    hub = booking.hub
    return {
        "id": booking.id,
        "hub": {"id": hub.id, "name": hub.name},
        "desk": {"id": booking.desk.id, "label": booking.desk.label},
        "start": _iso(booking.starts_at, hub),
        "end": _iso(booking.ends_at, hub),
        "status": booking.status.value,
        "checkin_required": booking.checkin_required,
        "checked_in_at": _iso(booking.checked_in_at, hub),
        "checked_out_at": _iso(booking.checked_out_at, hub),
        "cancelled_at": _iso(booking.cancelled_at, hub),
        "released_at": _iso(booking.released_at, hub),
        "created_at": _iso(booking.created_at, hub),
    }


def desk_json(desk: Desk | DeskSummary) -> dict:
    return {
        "id": desk.id,
        "label": desk.label,
        "zone": desk.zone,
        "equipment": [tag.value for tag in desk.equipment],
        "active": desk.active,
    }


def hub_json(hub: Hub, desks: list[DeskSummary]) -> dict:
    return {
        "id": hub.id,
        "name": hub.name,
        "address": hub.address,
        "timezone": hub.timezone,
        "desks": [desk_json(d) for d in desks],
        "opening_hours": [
            {
                "weekday": row.weekday,
                "opens": _hhmm(row.opens),
                "closes": _hhmm(row.closes),
                "break_starts": _hhmm(row.break_starts) if row.has_break else None,
                "break_ends": _hhmm(row.break_ends) if row.has_break else None,
            }
            for row in hub.opening_hours
        ],
        "policy": {
            "slot_minutes": hub.slot_minutes,
            "min_duration_minutes": hub.min_duration_minutes,
            "max_duration_minutes": hub.max_duration_minutes,
            "max_days_ahead": hub.max_days_ahead,
            "max_active_bookings": hub.max_active_bookings,
            "checkin_required": hub.checkin_required,
            "checkin_grace_minutes": hub.checkin_grace_minutes,
        },
    }


def _role_json(assignment: RoleAssignment) -> dict:
    scope = None
    for kind in ("hub", "pilot", "organisation"):
        target = getattr(assignment, kind)
        if target is not None:
            scope = {"type": kind, "id": target.id, "name": target.name}
    return {"role": assignment.role.value, "scope": scope}


# --- endpoints -----------------------------------------------------------------------------


@bp.get("/openapi.json")
def openapi():
    return jsonify(document())


@bp.post("/auth/token")
def create_token():
    """A personal access token for the e-mail address and password of a user."""
    data = _json_object()
    email, password = _string(data, "email"), _string(data, "password")
    name = ops.clean_token_name(_string(data, "name", default=ops.DEFAULT_NAME))
    try:
        user = accounts_ops.authenticate(email, password, request.remote_addr)
    except NotAllowed as error:
        raise ops.Unauthorized(error.message) from None
    row, token = ops.create_token(user, name)
    body = {
        "token": token,
        "name": row.name,
        "expires_at": row.expires_at.astimezone(UTC).isoformat(timespec="seconds"),
    }
    return jsonify(body), 201


@bp.get("/me")
def me():
    user = _caller()
    org = user.organisation
    return jsonify(
        {
            "id": user.id,
            "name": user.display_name,
            "email": user.email,
            "organisation": {"id": org.id, "code": org.code, "name": org.name},
            "roles": [_role_json(r) for r in user.roles],
            "locale": user.locale,
            "calendar_feed_url": calendar_feed_url(user),
        }
    )


@bp.get("/me/export")
def my_data():
    """Everything hubbar holds about the caller (the same as the profile's JSON download)."""
    return jsonify(privacy_ops.export_personal_data(_caller()))


@bp.get("/hubs")
def hubs():
    hubs = bookable_hubs(_caller(), selectinload(Hub.opening_hours))
    desks = desk_summaries([h.id for h in hubs])
    return jsonify({"hubs": [hub_json(h, desks[h.id]) for h in hubs]})


@bp.get("/hubs/<int:hub_id>/desks")
def desks(hub_id: int):
    """The desks of a hub the caller may book at, by label."""
    hub = _hub(_caller(), hub_id)
    desks = desk_summaries([hub.id])[hub.id]
    return jsonify(
        {"hub": {"id": hub.id, "name": hub.name}, "desks": [desk_json(d) for d in desks]}
    )


@bp.get("/hubs/<int:hub_id>/availability")
def availability(hub_id: int):
    user = _caller()
    hub = _hub(user, hub_id)
    day = _query_date("date")
    starts = booking_ops.local_datetime(hub, day, _query_time("start"))
    ends = booking_ops.local_datetime(hub, day, _query_time("end"))
    equipment = _equipment(request.args.get("equipment"))
    if ends <= starts:
        raise InvalidInput(
            _("The end must be after the start."), field="end", code="invalid_window"
        )
    states = booking_ops.search(user, hub, starts, ends, equipment)
    return jsonify(
        {
            "hub": {"id": hub.id, "name": hub.name},
            "start": _iso(starts, hub),
            "end": _iso(ends, hub),
            "desks": [
                {
                    "desk_id": s.desk.id,
                    "label": s.desk.label,
                    "state": s.state,
                    "reason": str(s.reason),
                    "free": [{"start": _iso(a, hub), "end": _iso(b, hub)} for a, b in s.free],
                }
                for s in states
            ],
        }
    )


@bp.post("/bookings")
def create_booking():
    """Book a desk, or with ``any_desk`` the best matching free desk at a hub."""
    user = _caller()
    data = _json_object()
    if _boolean(data, "any_desk", default=False):
        if data.get("desk_id") is not None:
            raise InvalidInput(
                _("Give either desk_id, or any_desk with hub_id, not both."), field="desk_id"
            )
        hub = _hub(user, _integer(data, "hub_id"))
        equipment = _equipment(data.get("equipment"))
        starts, ends = _moment(data, "start", hub), _moment(data, "end", hub)
        booking = booking_ops.book_any(user, user, hub, starts, ends, equipment)
    else:
        desk = _desk(user, _integer(data, "desk_id"))
        starts, ends = _moment(data, "start", desk.hub), _moment(data, "end", desk.hub)
        booking = booking_ops.book(user, user, desk, starts, ends)
    location = url_for("api.booking", booking_id=booking.id)
    return jsonify(booking_json(booking)), 201, {"Location": location}


@bp.get("/bookings/<int:booking_id>")
def booking(booking_id: int):
    return jsonify(booking_json(booking_ops.get_booking_for(_caller(), booking_id)))


@bp.delete("/bookings/<int:booking_id>")
def cancel_booking(booking_id: int):
    user = _caller()
    booking = booking_ops.cancel(user, booking_ops.get_booking_for(user, booking_id))
    return jsonify(booking_json(booking))


@bp.patch("/bookings/<int:booking_id>")
def change_booking(booking_id: int):
    """Move a booking that has not started to another time on the same desk."""
    user = _caller()
    booking = booking_ops.get_booking_for(user, booking_id)
    data = _json_object()
    starts, ends = _moment(data, "start", booking.hub), _moment(data, "end", booking.hub)
    booking = booking_ops.change(user, booking, starts, ends)
    return jsonify(booking_json(booking))


@bp.post("/bookings/<int:booking_id>/check-in")
def check_in(booking_id: int):
    user = _caller()
    booking = booking_ops.check_in(user, booking_ops.get_booking_for(user, booking_id))
    return jsonify(booking_json(booking))


@bp.post("/bookings/<int:booking_id>/check-out")
def check_out(booking_id: int):
    user = _caller()
    booking = booking_ops.check_out(user, booking_ops.get_booking_for(user, booking_id))
    return jsonify(booking_json(booking))


@bp.get("/me/bookings")
def my_bookings():
    upcoming, past = booking_ops.my_bookings(_caller())
    return jsonify(
        {
            "upcoming": [booking_json(b) for b in upcoming],
            "past": [booking_json(b) for b in past],
        }
    )


# --- occupancy -----------------------------------------------------------------------------


def _occupancy_hub(user: User, hub_id: int) -> tuple[Hub, occupancy_ops.Access]:
    """A hub and what the caller may see of its occupancy: an unknown hub is 'not found', one
    whose figures the caller may not see 'forbidden' (as on the dashboard)."""
    hub = db.session.get(Hub, hub_id) if 1 <= hub_id <= MAX_ID else None
    if hub is None:
        raise NotFound(_("No such hub."))
    return hub, occupancy_ops.access(user, [hub], current_app.config["HUBBAR_SMALL_GROUP_K"])


def _period() -> tuple[date, date]:
    first, last = _query_date("from"), _query_date("to")
    occupancy_ops.check_period(first, last)
    return first, last


def _plain(value):
    """A table cell as JSON: ISO dates, floats without floating-point noise."""
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _records(table: occupancy_tables.Table) -> list[dict]:
    return [{key: _plain(value) for key, value in row.items()} for row in table.records()]


def occupancy_json(result, seen: occupancy_ops.Access, hub: Hub) -> dict:
    """The occupancy of one hub, built from the same tables as the exports."""
    tables = {table.key: table for table in occupancy_tables.all_tables(result, seen)}
    metrics = {
        row["metric"]: {
            "name": row["name"],
            "value": row["value"],
            "unit": row["unit"],
            "definition": row["definition"],
        }
        for row in _records(tables["metrics"])
    }
    return {
        "hub": {"id": hub.id, "name": hub.name},
        "from": result.first.isoformat(),
        "to": result.last.isoformat(),
        "counted_until": _iso(result.counted_until, hub),
        "partial": result.partial,
        "audience": seen.audience,
        "metrics": metrics,
        **{key: _records(tables[key]) for key in occupancy_tables.TABLE_KEYS if key != "metrics"},
    }


def _hub_figures(hub_id: int):
    """A hub the caller may see the occupancy of, and its figures over the asked period."""
    user = _caller()
    hub, _seen = _occupancy_hub(user, hub_id)
    first, last = _period()
    result, seen = occupancy_ops.occupancy(
        user, [hub], first, last, k=current_app.config["HUBBAR_SMALL_GROUP_K"]
    )
    return hub, result, seen


@bp.get("/hubs/<int:hub_id>/occupancy")
def hub_occupancy(hub_id: int):
    """Every metric of a hub over whole local dates, with the tables behind them."""
    hub, result, seen = _hub_figures(hub_id)
    return jsonify(occupancy_json(result, seen, hub))


@bp.get("/hubs/<int:hub_id>/occupancy/heatmap")
def hub_heatmap(hub_id: int):
    """The share of desk-hours booked by weekday and hour of the day (the dashboard's heatmap)."""
    hub, result, seen = _hub_figures(hub_id)
    return jsonify(
        {
            "hub": {"id": hub.id, "name": hub.name},
            "from": result.first.isoformat(),
            "to": result.last.isoformat(),
            "counted_until": _iso(result.counted_until, hub),
            "heatmap": _records(occupancy_tables.heatmap_table(result, seen)),
        }
    )


@bp.get("/hubs/<int:hub_id>/bookings")
def hub_bookings(hub_id: int):
    """A hub's bookings starting in the period (at most a month), with the bookers' names:
    for the hub's managers."""
    user = _caller()
    hub = _hub(user, hub_id)
    first, last = _query_date("from"), _query_date("to")
    rows = booking_ops.hub_bookings(user, hub, first, last)
    return jsonify(
        {
            "hub": {"id": hub.id, "name": hub.name},
            "from": first.isoformat(),
            "to": last.isoformat(),
            "bookings": [
                booking_json(b)
                | {"user": {"id": b.user.id, "name": b.user.display_name} if b.user else None}
                for b in rows
            ],
        }
    )


@bp.get("/organisations/<int:org_id>/occupancy")
def organisation_occupancy(org_id: int):
    """How an organisation's staff used the hubs open to them: every metric, counting only
    their bookings, with the tables behind them (for its admins and system admins)."""
    user = _caller()
    if not 1 <= org_id <= MAX_ID:
        raise NotFound(_("No such organisation."))
    first, last = _period()
    organisation, result, seen = occupancy_ops.organisation_occupancy(
        user, org_id, first, last, k=current_app.config["HUBBAR_SMALL_GROUP_K"]
    )
    body = occupancy_json(result, seen, result.hubs[0])
    del body["hub"]
    return jsonify(
        {
            "organisation": {
                "id": organisation.id,
                "code": organisation.code,
                "name": organisation.name,
            },
            "hubs": [{"id": h.id, "name": h.name} for h in result.hubs],
            **body,
        }
    )


@bp.get("/hubs/<int:hub_id>/bookings.csv")
def hub_bookings_csv(hub_id: int):
    """The raw bookings starting in the period, streamed as CSV (names or pseudonyms as the
    caller may see them)."""
    user = _caller()
    hub, _seen = _occupancy_hub(user, hub_id)
    first, last = _period()
    rows = occupancy_ops.bookings_for(
        user,
        [hub],
        first,
        last,
        k=current_app.config["HUBBAR_SMALL_GROUP_K"],
        secret=current_app.config["HUBBAR_PSEUDONYM_KEY"],
    )
    return csv_response(
        list(occupancy_ops.RAW_COLUMNS), rows, filename("bookings", first, last, "csv")
    )


# --- pilots ----------------------------------------------------------------------------------


@bp.get("/pilots")
def pilots():
    """The pilots the caller may see: id, name, hubs, period and status."""
    user = _caller()
    return jsonify(
        [
            {
                "id": pilot.id,
                "name": pilot.name,
                "status": pilot.status.value,
                "from": pilot.start_date.isoformat(),
                "to": pilot.end_date.isoformat(),
                "hubs": [{"id": hub.id, "name": hub.name} for hub in pilot.hubs],
                "report_versions": [r.version for r in pilot.reports],
            }
            for pilot in pilot_ops.visible_pilots(user)
        ]
    )


@bp.get("/pilots/<int:pilot_id>/report")
def pilot_report(pilot_id: int):
    """The pilot's report (the latest stored version, or ?version=N, or a preview built now
    before any is stored) as JSON, PDF, XLSX or CSV (a zip)."""
    user = _caller()
    if not 1 <= pilot_id <= MAX_ID:
        raise NotFound(_("No such pilot."))
    pilot = pilot_ops.get_pilot_for(user, pilot_id)
    fmt = request.args.get("format") or "json"
    if fmt not in pilot_exports.FORMATS:
        raise InvalidInput(
            _("Choose a format: %(formats)s.", formats=", ".join(pilot_exports.FORMATS)),
            field="format",
        )
    version = pilot_reports.parse_version(request.args.get("version"))
    shown = pilot_reports.report_for(pilot, version)
    return pilot_views.report_response(
        shown, fmt, download=fmt != "json", language=pilot_views.report_language()
    )
