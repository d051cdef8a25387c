"""Collaboration agreements and the charging basis."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("costs", __name__)
