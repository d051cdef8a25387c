"""Configuration: safe development defaults, every value overridable by a HUBBAR_* variable."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

SECRET_KEY_FILE = "secret_key"


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def load_config(instance_path: str) -> dict:
    """Build the Flask config from the environment.

    The SQLite database lives in the instance folder unless HUBBAR_DATABASE_URL names another
    database (e.g. ``postgresql+psycopg://user@host/db``).
    """
    env = os.environ
    secure = _bool(env.get("HUBBAR_SECURE_COOKIES"), False)
    default_db = "sqlite:///" + str(Path(instance_path) / "hubbar.sqlite3")
    return {
        "SECRET_KEY": env.get("HUBBAR_SECRET_KEY") or instance_secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": env.get("HUBBAR_DATABASE_URL", default_db),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "BABEL_DEFAULT_LOCALE": "sv",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Stockholm",
        "HUBBAR_DEFAULT_TIMEZONE": env.get("HUBBAR_DEFAULT_TIMEZONE", "Europe/Stockholm"),
        "HUBBAR_SCHEDULER_ENABLED": _bool(env.get("HUBBAR_SCHEDULER_ENABLED"), False),
        "HUBBAR_PASSWORD_HASH": env.get("HUBBAR_PASSWORD_HASH", "scrypt"),
        "HUBBAR_INVITE_MAX_AGE_DAYS": int(env.get("HUBBAR_INVITE_MAX_AGE_DAYS", "14")),
        # Per-organisation cells with fewer distinct people are shown as "< k" to evaluators.
        "HUBBAR_SMALL_GROUP_K": int(env.get("HUBBAR_SMALL_GROUP_K", "3")),
        # E-mail. No server: development, messages are written to instance/outbox/ as .eml.
        "HUBBAR_MAIL_SERVER": env.get("HUBBAR_MAIL_SERVER", "").strip(),
        "HUBBAR_MAIL_PORT": int(env.get("HUBBAR_MAIL_PORT") or "587"),
        "HUBBAR_MAIL_USE_TLS": _bool(env.get("HUBBAR_MAIL_USE_TLS"), True),  # STARTTLS
        "HUBBAR_MAIL_USERNAME": env.get("HUBBAR_MAIL_USERNAME", ""),
        "HUBBAR_MAIL_PASSWORD": env.get("HUBBAR_MAIL_PASSWORD", ""),
        "HUBBAR_MAIL_SENDER": env.get("HUBBAR_MAIL_SENDER") or "hubbar <noreply@hubbar.localhost>",
        "HUBBAR_MAIL_TIMEOUT": float(env.get("HUBBAR_MAIL_TIMEOUT") or "10"),
        "HUBBAR_MAIL_MAX_ATTEMPTS": int(env.get("HUBBAR_MAIL_MAX_ATTEMPTS") or "8"),
        # The reminder e-mail goes the afternoon before a booking at this hub-local time.
        "HUBBAR_REMINDER_TIME": env.get("HUBBAR_REMINDER_TIME") or "16:00",
        # Where links in e-mail sent by the jobs point (no request to take the address from).
        "HUBBAR_BASE_URL": (env.get("HUBBAR_BASE_URL") or "http://localhost:5000").rstrip("/"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": secure,
        "REMEMBER_COOKIE_DURATION": timedelta(days=30),
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
    }


def instance_secret_key(instance_path: str) -> str:
    """Without HUBBAR_SECRET_KEY, a random key kept in the instance folder: never a key that is
    published in the source, and stable across restarts so sessions survive them."""
    path = Path(instance_path) / SECRET_KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()
