"""Configuration: safe development defaults, every value overridable by a HUBBAR_* variable."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
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
    production = environment(env) == "production"
    secure = _bool(env.get("HUBBAR_SECURE_COOKIES"), production)  # on in production
    default_db = "sqlite:///" + str(Path(instance_path) / "hubbar.sqlite3")
    return {
        # In production only HUBBAR_SECRET_KEY counts; hubbar.security refuses a missing one.
        "SECRET_KEY": env.get("HUBBAR_SECRET_KEY")
        or (None if production else instance_secret_key(instance_path)),
        # Keys bookings' person ids and the pseudonyms in exports. Kept apart from SECRET_KEY so
        # that rotating that (after a leak, say) neither splits people in the statistics nor
        # changes every pseudonym. Empty: SECRET_KEY (set in create_app).
        "HUBBAR_PSEUDONYM_KEY": env.get("HUBBAR_PSEUDONYM_KEY", ""),
        "SQLALCHEMY_DATABASE_URI": env.get("HUBBAR_DATABASE_URL", default_db),
        # The pool of a server database (not SQLite): each worker keeps this many connections
        # and opens up to the overflow more at a peak. create_app turns them into
        # SQLALCHEMY_ENGINE_OPTIONS for the database finally configured (engine_options).
        "HUBBAR_DB_POOL_SIZE": int(env.get("HUBBAR_DB_POOL_SIZE") or "5"),
        "HUBBAR_DB_MAX_OVERFLOW": int(env.get("HUBBAR_DB_MAX_OVERFLOW") or "5"),
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
        "HUBBAR_MAIL_USE_SSL": _bool(env.get("HUBBAR_MAIL_USE_SSL"), False),  # implicit TLS (465)
        # A message that cannot be delivered is retried this long; a 5xx refusal fails at once.
        "HUBBAR_MAIL_GIVE_UP_HOURS": float(env.get("HUBBAR_MAIL_GIVE_UP_HOURS") or "72"),
        # The reminder e-mail goes the afternoon before a booking at this hub-local time.
        "HUBBAR_REMINDER_TIME": env.get("HUBBAR_REMINDER_TIME") or "16:00",
        # Where links in e-mail sent by the jobs point (no request to take the address from).
        "HUBBAR_BASE_URL": (env.get("HUBBAR_BASE_URL") or "http://localhost:5000").rstrip("/"),
        # Retention (DESIGN.md, privacy): bookings are pseudonymised after this many months;
        # accounts unused this long are warned, and deleted this many days after the warning.
        "HUBBAR_RETENTION_MONTHS": int(env.get("HUBBAR_RETENTION_MONTHS") or "24"),
        "HUBBAR_INACTIVE_ACCOUNT_MONTHS": int(env.get("HUBBAR_INACTIVE_ACCOUNT_MONTHS") or "24"),
        "HUBBAR_DELETION_NOTICE_DAYS": int(env.get("HUBBAR_DELETION_NOTICE_DAYS") or "30"),
        # Sent e-mails (their bodies name people) are kept this many days, then deleted.
        "HUBBAR_SENT_MAIL_DAYS": int(env.get("HUBBAR_SENT_MAIL_DAYS") or "30"),
        # --- Security (issue 7): environment, login and reset throttling, proxies ----------
        "HUBBAR_ENV": environment(env),
        # A login is refused while the account, or the client address (an office shares one),
        # has had this many failed attempts within the window.
        "HUBBAR_LOGIN_MAX_FAILURES": int(env.get("HUBBAR_LOGIN_MAX_FAILURES") or "10"),
        "HUBBAR_LOGIN_MAX_FAILURES_PER_ADDRESS": int(
            env.get("HUBBAR_LOGIN_MAX_FAILURES_PER_ADDRESS") or "50"
        ),
        "HUBBAR_LOGIN_WINDOW_SECONDS": int(env.get("HUBBAR_LOGIN_WINDOW_SECONDS") or "60"),
        # Password-reset requests answered per account and per address within the window;
        # further ones get the same answer and no e-mail.
        "HUBBAR_RESET_MAX_PER_ACCOUNT": int(env.get("HUBBAR_RESET_MAX_PER_ACCOUNT") or "3"),
        "HUBBAR_RESET_MAX_PER_ADDRESS": int(env.get("HUBBAR_RESET_MAX_PER_ADDRESS") or "20"),
        "HUBBAR_RESET_WINDOW_SECONDS": int(env.get("HUBBAR_RESET_WINDOW_SECONDS") or "3600"),
        # Reverse proxies in front of hubbar whose X-Forwarded-For/-Proto headers are trusted
        # (0: none). Client addresses, HTTPS detection and so HSTS depend on it.
        "HUBBAR_PROXY_COUNT": int(env.get("HUBBAR_PROXY_COUNT") or "0"),
        # --- end of security ----------------------------------------------------------------
        # --- Serving and logs (issue 10) ----------------------------------------------------
        # Root log level, and "text" (one line per record) or "json" (one object per line).
        "HUBBAR_LOG_LEVEL": (env.get("HUBBAR_LOG_LEVEL") or "INFO").strip().upper(),
        "HUBBAR_LOG_FORMAT": (env.get("HUBBAR_LOG_FORMAT") or "text").strip().lower(),
        # HUBBAR_WORKERS and HUBBAR_BIND are gunicorn's: gunicorn.conf.py reads them (and has
        # their defaults) without importing hubbar.
        # --- end of serving and logs --------------------------------------------------------
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


def engine_options(config: Mapping) -> dict:
    """The database pool for the app's final config: every connection is checked before use
    (pre-ping), so the app comes back by itself after the database restarts. On a server
    database each worker keeps HUBBAR_DB_POOL_SIZE connections and opens up to
    HUBBAR_DB_MAX_OVERFLOW more at a peak; docs/deployment.md shows how to size PostgreSQL for
    them. SQLite has no server to size a pool for (and its pool takes no such options)."""
    options: dict = {"pool_pre_ping": True}
    if not str(config["SQLALCHEMY_DATABASE_URI"]).startswith("sqlite"):
        options["pool_size"] = int(config["HUBBAR_DB_POOL_SIZE"])
        options["max_overflow"] = int(config["HUBBAR_DB_MAX_OVERFLOW"])
    return options


def environment(env) -> str:
    """HUBBAR_ENV: ``development`` (the default) or ``production``, as written (checked at
    start by hubbar.security)."""
    return (env.get("HUBBAR_ENV") or "development").strip().lower()


def instance_secret_key(instance_path: str) -> str:
    """Without HUBBAR_SECRET_KEY, a random key kept in the instance folder: never a key that is
    published in the source, and stable across restarts so sessions survive them."""
    path = Path(instance_path) / SECRET_KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()
