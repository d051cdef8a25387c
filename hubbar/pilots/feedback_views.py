"""Visit feedback: the short, optional form after a visit."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("feedback", __name__)
