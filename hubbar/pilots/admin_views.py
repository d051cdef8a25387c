"""Pilots for system admins: terms, participants and evaluation criteria."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("pilot_admin", __name__)
