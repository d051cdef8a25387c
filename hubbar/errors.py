"""Domain errors raised by operations; views turn them into messages, the API into JSON."""

from __future__ import annotations


class DomainError(Exception):
    """An error the user can read. ``message`` is already translated (or lazily translatable)."""

    code = "error"
    status = 400

    def __init__(self, message, *, field: str | None = None, code: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field
        if code is not None:
            self.code = code  # a stable name of the rule, e.g. "too_far_ahead"


class InvalidInput(DomainError):
    code = "invalid_input"
    status = 422


class PolicyViolation(DomainError):
    code = "policy_violation"
    status = 422


class BookingConflict(DomainError):
    code = "booking_conflict"
    status = 409


class NotAllowed(DomainError):
    code = "forbidden"
    status = 403


class NotFound(DomainError):
    code = "not_found"
    status = 404
