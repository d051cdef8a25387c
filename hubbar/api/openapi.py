"""The OpenAPI 3.1 description of /api/v1, served at /api/v1/openapi.json.

Written by hand, next to the views it describes; a test checks that every route of the API is in
it, with its methods.
"""

from __future__ import annotations

from copy import deepcopy

from hubbar.occupancy import tables as occupancy_tables
from hubbar.occupancy.definitions import DEFINITIONS
from hubbar.occupancy.operations import RAW_COLUMNS

API_VERSION = "1.0.0"


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict:
    return {"$ref": f"#/components/responses/{description}"}


TIME = {
    "type": "string",
    "format": "date-time",
    "description": "ISO 8601 with the hub's UTC offset, e.g. 2026-12-01T09:00:00+01:00.",
}
NULLABLE_TIME = {**TIME, "type": ["string", "null"]}
HHMM = {"type": "string", "pattern": r"^\d{2}:\d{2}$", "examples": ["08:00"]}
NULLABLE_HHMM = {**HHMM, "type": ["string", "null"], "examples": ["12:00", None]}
EQUIPMENT = {
    "type": "string",
    "enum": ["screen", "docking_station", "height_adjustable", "quiet_zone", "accessible"],
}

SCHEMAS = {
    "Error": {
        "type": "object",
        "description": "Every error: a stable code for programs, a message for people (in the "
        "caller's language).",
        "required": ["error", "message"],
        "properties": {
            "error": {
                "type": "string",
                "description": "A stable code: unauthorized, invalid_json, invalid_input, "
                "not_found, forbidden, method_not_allowed, bad_request, too_large, "
                "booking_conflict, server_error, or the name of the booking rule "
                "that refused (e.g. too_far_ahead, outside_opening_hours, closed_day, "
                "granularity, too_short, too_long, in_the_past, user_overlap, "
                "too_many_bookings, organisation_not_admitted, desk_inactive, "
                "desk_out_of_service, hub_inactive, invalid_window, not_active, ended, started, "
                "too_early, already_checked_in, not_checked_in).",
                "examples": ["booking_conflict"],
            },
            "message": {"type": "string"},
            "field": {
                "type": "string",
                "description": "The input at fault, when there is one.",
            },
        },
    },
    "TokenRequest": {
        "type": "object",
        "required": ["email", "password"],
        "properties": {
            "email": {"type": "string", "format": "email"},
            "password": {"type": "string"},
            "name": {
                "type": "string",
                "maxLength": 80,
                "description": "What the token is for, shown on the profile page (default API).",
            },
        },
    },
    "Token": {
        "type": "object",
        "required": ["token", "expires_at"],
        "properties": {
            "token": {
                "type": "string",
                "description": "Send as 'Authorization: Bearer <token>'. Shown only this once.",
            },
            "name": {"type": "string"},
            "expires_at": {"type": "string", "format": "date-time"},
        },
    },
    "Me": {
        "type": "object",
        "required": [
            "id",
            "name",
            "email",
            "organisation",
            "roles",
            "locale",
            "calendar_feed_url",
        ],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "email": {"type": "string", "format": "email"},
            "organisation": {
                "type": "object",
                "required": ["id", "code", "name"],
                "properties": {
                    "id": {"type": "integer"},
                    "code": {"type": "string"},
                    "name": {"type": "string"},
                },
            },
            "roles": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["role", "scope"],
                    "properties": {
                        "role": {
                            "type": "string",
                            "enum": ["system_admin", "hub_manager", "evaluator", "org_admin"],
                        },
                        "scope": {
                            "type": ["object", "null"],
                            "required": ["type", "id", "name"],
                            "properties": {
                                "type": {
                                    "type": "string",
                                    "enum": ["hub", "pilot", "organisation"],
                                },
                                "id": {"type": "integer"},
                                "name": {"type": "string"},
                            },
                        },
                    },
                },
            },
            "locale": {"type": "string", "enum": ["sv", "en"]},
            "calendar_feed_url": {
                "type": ["string", "null"],
                "format": "uri",
                "description": "The caller's private calendar subscription address (iCalendar), "
                "null when they have none. Anyone with it can read their bookings.",
            },
        },
    },
    "Desk": {
        "type": "object",
        "required": ["id", "label", "zone", "equipment", "active"],
        "properties": {
            "id": {"type": "integer"},
            "label": {"type": "string"},
            "zone": {"type": "string"},
            "equipment": {"type": "array", "items": EQUIPMENT},
            "active": {"type": "boolean"},
        },
    },
    "Hub": {
        "type": "object",
        "required": ["id", "name", "address", "timezone", "desks", "opening_hours", "policy"],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "address": {"type": "string"},
            "timezone": {"type": "string", "examples": ["Europe/Stockholm"]},
            "desks": {"type": "array", "items": _ref("Desk")},
            "opening_hours": {
                "type": "array",
                "description": "Weekly hours; a weekday without a row is closed. Swedish public "
                "holidays and the hub's own closures are closed too. A lunch break "
                "(break_starts–break_ends) is closed time: a booking may span it but not start "
                "or end in it.",
                "items": {
                    "type": "object",
                    "required": ["weekday", "opens", "closes", "break_starts", "break_ends"],
                    "properties": {
                        "weekday": {
                            "type": "integer",
                            "minimum": 0,
                            "maximum": 6,
                            "description": "0 = Monday",
                        },
                        "opens": HHMM,
                        "closes": HHMM,
                        "break_starts": {
                            **NULLABLE_HHMM,
                            "description": "When the lunch break starts; null for none.",
                        },
                        "break_ends": {
                            **NULLABLE_HHMM,
                            "description": "When the lunch break ends; null for none.",
                        },
                    },
                },
            },
            "policy": {
                "type": "object",
                "properties": {
                    "slot_minutes": {"type": "integer"},
                    "min_duration_minutes": {"type": "integer"},
                    "max_duration_minutes": {"type": "integer"},
                    "max_days_ahead": {"type": "integer"},
                    "max_active_bookings": {"type": "integer"},
                    "checkin_required": {"type": "boolean"},
                    "checkin_grace_minutes": {"type": "integer"},
                },
            },
        },
    },
    "Availability": {
        "type": "object",
        "required": ["hub", "start", "end", "desks"],
        "properties": {
            "hub": _ref("HubRef"),
            "start": TIME,
            "end": TIME,
            "desks": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["desk_id", "label", "state", "reason", "free"],
                    "properties": {
                        "desk_id": {"type": "integer"},
                        "label": {"type": "string"},
                        "state": {
                            "type": "string",
                            "enum": ["free", "partly", "booked", "out_of_service", "closed"],
                        },
                        "reason": {"type": "string", "description": "Why not free, in words."},
                        "free": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["start", "end"],
                                "properties": {"start": TIME, "end": TIME},
                            },
                        },
                    },
                },
            },
        },
    },
    "HubRef": {
        "type": "object",
        "required": ["id", "name"],
        "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
    },
    "BookingRequest": {
        "type": "object",
        "description": "A desk by desk_id; or, with any_desk true, the best matching free desk "
        "at hub_id. Times are ISO 8601; without an offset they are the hub's wall-clock time.",
        "required": ["start", "end"],
        "properties": {
            "desk_id": {"type": "integer"},
            "any_desk": {"type": "boolean", "default": False},
            "hub_id": {"type": "integer", "description": "With any_desk."},
            "equipment": {
                "type": "array",
                "items": EQUIPMENT,
                "description": "With any_desk: what the desk must have.",
            },
            "start": {"type": "string", "examples": ["2026-12-01T09:00"]},
            "end": {"type": "string", "examples": ["2026-12-01T12:00"]},
        },
    },
    "BookingChange": {
        "type": "object",
        "description": "The new time of a booking. Times are ISO 8601; without an offset they "
        "are the hub's wall-clock time.",
        "required": ["start", "end"],
        "properties": {
            "start": {"type": "string", "examples": ["2026-12-01T09:00"]},
            "end": {"type": "string", "examples": ["2026-12-01T12:00"]},
        },
    },
    "Booking": {
        "type": "object",
        "required": [
            "id",
            "hub",
            "desk",
            "start",
            "end",
            "status",
            "checkin_required",
            "checked_in_at",
            "checked_out_at",
            "cancelled_at",
            "released_at",
            "created_at",
        ],
        "properties": {
            "id": {"type": "integer"},
            "hub": _ref("HubRef"),
            "desk": {
                "type": "object",
                "required": ["id", "label"],
                "properties": {"id": {"type": "integer"}, "label": {"type": "string"}},
            },
            "start": TIME,
            "end": TIME,
            "status": {
                "type": "string",
                "enum": ["confirmed", "checked_in", "completed", "cancelled", "released"],
            },
            "checkin_required": {"type": "boolean"},
            "checked_in_at": NULLABLE_TIME,
            "checked_out_at": NULLABLE_TIME,
            "cancelled_at": NULLABLE_TIME,
            "released_at": NULLABLE_TIME,
            "created_at": TIME,
        },
    },
    "MyBookings": {
        "type": "object",
        "required": ["upcoming", "past"],
        "properties": {
            "upcoming": {"type": "array", "items": _ref("Booking")},
            "past": {"type": "array", "items": _ref("Booking")},
        },
    },
}

RESPONSES = {
    "BadRequest": _json(_ref("Error"), "The body is not a JSON object (invalid_json)."),
    "Unauthorized": _json(
        _ref("Error"),
        "No token, or an unknown, expired or revoked one (unauthorized). Also wrong e-mail "
        "address or password when asking for a token.",
    ),
    "NotFound": _json(_ref("Error"), "No such object, or one the caller may not see (not_found)."),
    "Invalid": _json(
        _ref("Error"),
        "A missing or malformed input (invalid_input, with field), or a booking rule that "
        "refused; error names the rule.",
    ),
    "Conflict": _json(
        _ref("Error"),
        "The desk is taken then, or (any_desk) no matching desk is free: booking_conflict.",
    ),
    "MethodNotAllowed": _json(_ref("Error"), "The address does not take that method."),
}

BOOKING_ID = {
    "name": "booking_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1},
}

COMMON = {
    "401": _error("Unauthorized"),
    "405": _error("MethodNotAllowed"),
}


def _op(summary: str, responses: dict, **extra) -> dict:
    return {"summary": summary, "responses": {**responses, **COMMON}, **extra}


def _booking_action(summary: str, operation_id: str, description: str) -> dict:
    return _op(
        summary,
        {
            "200": _json(_ref("Booking"), "The booking as it is now."),
            "404": _error("NotFound"),
            "422": _error("Invalid"),
        },
        operationId=operation_id,
        description=description,
        parameters=[BOOKING_ID],
    )


PATHS = {
    "/api/v1/openapi.json": {
        "get": {
            "summary": "This document",
            "operationId": "openapi",
            "security": [],
            "responses": {"200": {"description": "The OpenAPI document."}},
        }
    },
    "/api/v1/auth/token": {
        "post": _op(
            "Get a personal access token",
            {
                "201": _json(_ref("Token"), "A new token, valid for 90 days."),
                "400": _error("BadRequest"),
                "422": _error("Invalid"),
            },
            operationId="createToken",
            security=[],
            requestBody={
                "required": True,
                "content": {"application/json": {"schema": _ref("TokenRequest")}},
            },
        )
    },
    "/api/v1/me": {
        "get": _op(
            "The caller",
            {"200": _json(_ref("Me"), "Who the token acts for.")},
            operationId="me",
        )
    },
    "/api/v1/me/export": {
        "get": _op(
            "Everything hubbar holds about the caller",
            {
                "200": _json(
                    {
                        "type": "object",
                        "required": ["exported_at", "sections"],
                        "properties": {
                            "exported_at": {"type": "string", "format": "date-time"},
                            "about": {"type": "string"},
                            "sections": {
                                "type": "object",
                                "description": "One list of records per kind of data: "
                                "profile, roles, api_tokens, bookings, bookings_made_for_others, "
                                "booking_history, weekly_series, visit_feedback, pilots, "
                                "notifications, emails, login_attempts, audit_log, made_by_you.",
                                "additionalProperties": {
                                    "type": "array",
                                    "items": {"type": "object"},
                                },
                            },
                        },
                    },
                    "The caller's personal data (GDPR art. 15 and 20). Times in UTC.",
                )
            },
            operationId="myData",
        )
    },
    "/api/v1/hubs": {
        "get": _op(
            "Hubs the caller may book",
            {
                "200": _json(
                    {
                        "type": "object",
                        "required": ["hubs"],
                        "properties": {"hubs": {"type": "array", "items": _ref("Hub")}},
                    },
                    "The hubs, by name.",
                )
            },
            operationId="hubs",
        )
    },
    "/api/v1/hubs/{hub_id}/availability": {
        "get": _op(
            "Which desks are free in a time window",
            {
                "200": _json(_ref("Availability"), "Each desk: free, partly, or why not."),
                "404": _error("NotFound"),
                "422": _error("Invalid"),
            },
            operationId="availability",
            description="A window in which no desk is free is recorded as unmet demand "
            "(hub, window and the caller's organisation, no name).",
            parameters=[
                {
                    "name": "hub_id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 1},
                },
                {
                    "name": "date",
                    "in": "query",
                    "required": True,
                    "schema": {"type": "string", "format": "date"},
                    "description": "YYYY-MM-DD, the hub's local date.",
                },
                {
                    "name": "start",
                    "in": "query",
                    "required": True,
                    "schema": HHMM,
                    "description": "HH:MM, hub-local.",
                },
                {
                    "name": "end",
                    "in": "query",
                    "required": True,
                    "schema": HHMM,
                    "description": "HH:MM, hub-local, after start.",
                },
                {
                    "name": "equipment",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "string", "examples": ["screen,quiet_zone"]},
                    "description": "Comma-separated equipment every listed desk must have.",
                },
            ],
        )
    },
    "/api/v1/bookings": {
        "post": _op(
            "Book a desk",
            {
                "201": {
                    **_json(_ref("Booking"), "The booking."),
                    "headers": {
                        "Location": {
                            "schema": {"type": "string"},
                            "description": "The booking's address.",
                        }
                    },
                },
                "400": _error("BadRequest"),
                "404": _error("NotFound"),
                "409": _error("Conflict"),
                "422": _error("Invalid"),
            },
            operationId="createBooking",
            requestBody={
                "required": True,
                "content": {"application/json": {"schema": _ref("BookingRequest")}},
            },
        )
    },
    "/api/v1/bookings/{booking_id}": {
        "get": _op(
            "One of the caller's bookings",
            {"200": _json(_ref("Booking"), "The booking."), "404": _error("NotFound")},
            operationId="booking",
            parameters=[BOOKING_ID],
        ),
        "patch": _op(
            "Change a booking's time",
            {
                "200": _json(_ref("Booking"), "The booking at its new time."),
                "400": _error("BadRequest"),
                "404": _error("NotFound"),
                "409": _error("Conflict"),
                "422": _error("Invalid"),
            },
            operationId="changeBooking",
            description="A booking that has not started moves to another time on the same "
            "desk. The new time must pass every rule a new booking must (the booking itself "
            "does not count against it) and the desk must be free then. The booker gets the "
            "change by e-mail as an update of the same calendar event.",
            parameters=[BOOKING_ID],
            requestBody={
                "required": True,
                "content": {"application/json": {"schema": _ref("BookingChange")}},
            },
        ),
        "delete": _booking_action(
            "Cancel a booking",
            "cancelBooking",
            "Before its start the booking is withdrawn; after its start it ends now and the "
            "rest of its time is free again.",
        ),
    },
    "/api/v1/bookings/{booking_id}/check-in": {
        "post": _booking_action(
            "Check in",
            "checkIn",
            "From 15 minutes before the start until the end; a booking that needs check-in and "
            "gets none within the hub's grace period is released.",
        )
    },
    "/api/v1/bookings/{booking_id}/check-out": {
        "post": _booking_action(
            "Check out early",
            "checkOut",
            "The booking completes now and the rest of its time is free again.",
        )
    },
    "/api/v1/me/bookings": {
        "get": _op(
            "The caller's bookings",
            {"200": _json(_ref("MyBookings"), "Upcoming (soonest first) and past (newest first).")},
            operationId="myBookings",
        )
    },
}


# --- occupancy -----------------------------------------------------------------------------
# The row schemas follow the columns of hubbar.occupancy.tables, which the exports share.

CELL_SCHEMAS = {
    occupancy_tables.TEXT: {"type": "string"},
    occupancy_tables.DATE: {"type": "string", "format": "date"},
    occupancy_tables.HOURS: {"type": "number", "description": "Desk-hours."},
    occupancy_tables.FRACTION: {
        "type": ["number", "null"],
        "description": "A fraction 0–1; null when there is nothing to divide by.",
    },
    occupancy_tables.COUNT: {"type": "integer"},
    occupancy_tables.BOOLEAN: {"type": "boolean"},
    occupancy_tables.UNIT: {"type": ["number", "null"]},
}
SUPPRESSED = {
    "type": "string",
    "pattern": r"^< \d+$",
    "description": "For evaluators, a cell of an organisation with fewer than k people.",
    "examples": ["< 3"],
}


def _row_schema(key: str) -> dict:
    columns = occupancy_tables.COLUMNS[key]
    properties = {}
    for column in columns:
        schema = dict(CELL_SCHEMAS[column.kind])
        if key == "organisations" and column.kind in occupancy_tables.NUMBER_KINDS:
            schema = {"oneOf": [schema, SUPPRESSED]}
        properties[column.key] = schema
    return {"type": "object", "required": [c.key for c in columns], "properties": properties}


SCHEMAS.update(
    {
        "MetricValue": {
            "type": "object",
            "required": ["name", "value", "unit", "definition"],
            "properties": {
                "name": {"type": "string", "description": "In the caller's language."},
                "value": {
                    "type": ["number", "null"],
                    "description": "Rates as fractions 0–1, hours as hours; null when the "
                    "figure does not exist (e.g. a rate over no capacity).",
                },
                "unit": {"type": "string", "enum": ["hours", "fraction", "count", "desks"]},
                "definition": {"type": "string", "description": "In the caller's language."},
            },
        },
        "Occupancy": {
            "type": "object",
            "description": "Every metric of a hub over whole local dates, and the tables behind "
            "them: the same figures as the dashboard and its CSV and XLSX exports.",
            "required": [
                "hub",
                "from",
                "to",
                "counted_until",
                "partial",
                "audience",
                "metrics",
                *(key for key in occupancy_tables.TABLE_KEYS if key != "metrics"),
            ],
            "properties": {
                "hub": _ref("HubRef"),
                "from": {"type": "string", "format": "date"},
                "to": {"type": "string", "format": "date"},
                "counted_until": {
                    **TIME,
                    "description": "The end of the counted time: the end of the period, or "
                    "now when the period reaches past now (then partial is true).",
                },
                "partial": {"type": "boolean"},
                "audience": {
                    "type": "string",
                    "enum": ["manager", "organisation_admin", "evaluator"],
                    "description": "What the caller sees: a hub manager everything; an "
                    "organisation admin their own staff's use only; an evaluator everything, "
                    "with organisations of fewer than k people suppressed.",
                },
                "metrics": {
                    "type": "object",
                    "required": [d.key for d in DEFINITIONS],
                    "properties": {d.key: _ref("MetricValue") for d in DEFINITIONS},
                },
                **{
                    key: {"type": "array", "items": _row_schema(key)}
                    for key in occupancy_tables.TABLE_KEYS
                    if key != "metrics"
                },
            },
        },
    }
)

RESPONSES["Forbidden"] = _json(
    _ref("Error"), "The caller may not see this hub's occupancy (forbidden)."
)

HUB_ID = {
    "name": "hub_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1},
}
PERIOD = [
    {
        "name": name,
        "in": "query",
        "required": True,
        "schema": {"type": "string", "format": "date"},
        "description": description,
    }
    for name, description in (
        ("from", "YYYY-MM-DD, the first local date of the period."),
        ("to", "YYYY-MM-DD, the last local date of the period (at most about three years on)."),
    )
]
OCCUPANCY_ERRORS = {
    "403": _error("Forbidden"),
    "404": _error("NotFound"),
    "422": _error("Invalid"),
}

PATHS.update(
    {
        "/api/v1/hubs/{hub_id}/occupancy": {
            "get": _op(
                "A hub's occupancy over a period",
                {"200": _json(_ref("Occupancy"), "The metrics and tables."), **OCCUPANCY_ERRORS},
                operationId="hubOccupancy",
                description="For hub managers of the hub, evaluators of a pilot at the hub and "
                "organisation admins (their own staff only), as on the dashboard. Definitions "
                "and names are in the caller's language.",
                parameters=[HUB_ID, *PERIOD],
            )
        },
        "/api/v1/hubs/{hub_id}/bookings.csv": {
            "get": _op(
                "The raw bookings of a period, as CSV",
                {
                    "200": {
                        "description": "UTF-8 CSV with a byte-order mark, comma separated, "
                        "streamed; one row per booking starting in the period, columns "
                        f"{', '.join(RAW_COLUMNS)}. Times are ISO 8601 with the hub's offset, "
                        "empty when not set. user is the name for the hub's managers and a "
                        "stable pseudonym for everyone else.",
                        "content": {"text/csv": {"schema": {"type": "string"}}},
                    },
                    **OCCUPANCY_ERRORS,
                },
                operationId="hubBookingsCsv",
                parameters=[HUB_ID, *PERIOD],
            )
        },
    }
)

PATHS.update(
    {
        "/api/v1/hubs/{hub_id}/desks": {
            "get": _op(
                "The desks of a hub",
                {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["hub", "desks"],
                            "properties": {
                                "hub": _ref("HubRef"),
                                "desks": {"type": "array", "items": _ref("Desk")},
                            },
                        },
                        "The desks, by label.",
                    ),
                    "404": _error("NotFound"),
                },
                operationId="hubDesks",
                description="For those who may book at the hub and its managers.",
                parameters=[HUB_ID],
            )
        },
        "/api/v1/hubs/{hub_id}/bookings": {
            "get": _op(
                "A hub's bookings over at most a month, with the bookers' names",
                {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["hub", "from", "to", "bookings"],
                            "properties": {
                                "hub": _ref("HubRef"),
                                "from": {"type": "string", "format": "date"},
                                "to": {"type": "string", "format": "date"},
                                "bookings": {
                                    "type": "array",
                                    "items": {
                                        "allOf": [
                                            _ref("Booking"),
                                            {
                                                "type": "object",
                                                "properties": {
                                                    "user": {
                                                        "type": ["object", "null"],
                                                        "properties": {
                                                            "id": {"type": "integer"},
                                                            "name": {"type": "string"},
                                                        },
                                                        "description": "The person booked "
                                                        "for; null once the retention rule "
                                                        "has unlinked the booking.",
                                                    }
                                                },
                                            },
                                        ]
                                    },
                                },
                            },
                        },
                        "Every booking starting on the local dates from..to, by start and desk.",
                    ),
                    **OCCUPANCY_ERRORS,
                },
                operationId="hubBookings",
                description="For the hub's managers (and system admins); at most 31 days.",
                parameters=[HUB_ID, *PERIOD],
            )
        },
        "/api/v1/hubs/{hub_id}/occupancy/heatmap": {
            "get": _op(
                "A hub's booked share by weekday and hour",
                {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["hub", "from", "to", "counted_until", "heatmap"],
                            "properties": {
                                "hub": _ref("HubRef"),
                                "from": {"type": "string", "format": "date"},
                                "to": {"type": "string", "format": "date"},
                                "counted_until": TIME,
                                "heatmap": {"type": "array", "items": _row_schema("heatmap")},
                            },
                        },
                        "The dashboard's weekday × hour table.",
                    ),
                    **OCCUPANCY_ERRORS,
                },
                operationId="hubHeatmap",
                description="For those who may see the hub's occupancy, as the full figures.",
                parameters=[HUB_ID, *PERIOD],
            )
        },
        "/api/v1/organisations/{org_id}/occupancy": {
            "get": _op(
                "How an organisation's staff used the hubs open to them",
                {
                    "200": _json(
                        {
                            "allOf": [
                                _ref("Occupancy"),
                                {
                                    "type": "object",
                                    "required": ["organisation", "hubs"],
                                    "properties": {
                                        "organisation": {
                                            "type": "object",
                                            "properties": {
                                                "id": {"type": "integer"},
                                                "code": {"type": "string"},
                                                "name": {"type": "string"},
                                            },
                                        },
                                        "hubs": {"type": "array", "items": _ref("HubRef")},
                                    },
                                },
                            ]
                        },
                        "Every metric over the hubs the organisation hosts or is admitted to, "
                        "counting only its own staff's bookings (no hub key).",
                    ),
                    **OCCUPANCY_ERRORS,
                },
                operationId="organisationOccupancy",
                description="For the organisation's admins and system admins.",
                parameters=[
                    {
                        "name": "org_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer", "minimum": 1},
                    },
                    *PERIOD,
                ],
            )
        },
    }
)

# --- pilots --------------------------------------------------------------------------------

SCHEMAS["PilotSummary"] = {
    "type": "object",
    "required": ["id", "name", "status", "from", "to", "hubs", "report_versions"],
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "status": {"type": "string", "enum": ["planned", "running", "ended", "reported"]},
        "from": {"type": "string", "format": "date"},
        "to": {"type": "string", "format": "date"},
        "hubs": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
            },
        },
        "report_versions": {"type": "array", "items": {"type": "integer"}},
    },
}
SCHEMAS["PilotReport"] = {
    "type": "object",
    "description": "The evaluation report: its terms, criteria with outcomes, every table as "
    "records keyed by column (terms, criteria, the occupancy tables, satisfaction, comments, "
    "costs, time_bank, criterion_changes, data_quality) and the pseudonymised bookings.",
    "required": ["pilot", "version", "generated_at", "from", "to", "tables", "bookings"],
    "properties": {
        "pilot": {"type": "object"},
        "version": {"type": ["integer", "null"], "description": "null for a preview"},
        "generated_at": {"type": "string", "format": "date-time"},
        "automatic": {"type": "boolean"},
        "from": {"type": "string", "format": "date"},
        "to": {"type": "string", "format": "date"},
        "counted_until": {"type": "string", "format": "date-time"},
        "partial": {"type": "boolean"},
        "hubs": {"type": "array", "items": {"type": "object"}},
        "criteria_met": {"type": "integer"},
        "criteria_total": {"type": "integer"},
        "tables": {"type": "object", "additionalProperties": {"type": "array"}},
        "bookings": {"type": "array", "items": {"type": "object"}},
    },
}
PILOT_ID = {
    "name": "pilot_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1},
}
PATHS.update(
    {
        "/api/v1/pilots": {
            "get": _op(
                "The pilots the caller may see",
                {
                    "200": _json(
                        {"type": "array", "items": _ref("PilotSummary")},
                        "Pilots of the caller's scope (evaluators: theirs; system admins: all).",
                    )
                },
                operationId="listPilots",
            )
        },
        "/api/v1/pilots/{pilot_id}/report": {
            "get": _op(
                "A pilot's evaluation report",
                {
                    "200": {
                        "description": "The latest stored version (or ?version=N; a preview "
                        "built now before any is stored) in the format asked for. No names.",
                        "content": {
                            "application/json": {"schema": _ref("PilotReport")},
                            "application/pdf": {"schema": {"type": "string"}},
                            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                                "schema": {"type": "string"}
                            },
                            "application/zip": {"schema": {"type": "string"}},
                        },
                    },
                    **OCCUPANCY_ERRORS,
                },
                operationId="pilotReport",
                parameters=[
                    PILOT_ID,
                    {
                        "name": "format",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "enum": ["json", "pdf", "xlsx", "csv"]},
                        "description": "json (default), pdf, xlsx or csv (a zip of the tables).",
                    },
                    {
                        "name": "version",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "integer", "minimum": 1},
                        "description": "A stored version; default the latest.",
                    },
                    {
                        "name": "lang",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "enum": ["sv", "en"]},
                        "description": "The report's language; default the caller's.",
                    },
                ],
            )
        },
    }
)


def document() -> dict:
    """The whole OpenAPI document (a fresh copy, safe to change)."""
    return deepcopy(
        {
            "openapi": "3.1.0",
            "info": {
                "title": "hubbar API",
                "version": API_VERSION,
                "description": "Book touch-down desks at shared office hubs. Get a token with "
                "POST /api/v1/auth/token (or on your profile page), then send "
                "'Authorization: Bearer <token>' with every call. Every error is "
                '{"error": <code>, "message": <text>}.',
            },
            "security": [{"bearerAuth": []}],
            "paths": PATHS,
            "components": {
                "schemas": SCHEMAS,
                "responses": RESPONSES,
                "securitySchemes": {
                    "bearerAuth": {
                        "type": "http",
                        "scheme": "bearer",
                        "description": "A personal access token.",
                    }
                },
            },
        }
    )
