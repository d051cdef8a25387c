"""What protects every request: the production start checks, security headers on every
response, session protection, and a new session at login and logout.

``init_app`` is called once from create_app.
"""

from __future__ import annotations

import hashlib

from flask import Flask, Response, current_app, g, request, session
from flask_login import user_loaded_from_cookie
from werkzeug.middleware.proxy_fix import ProxyFix

from hubbar.accounts.models import LOCALES

# No inline script or style anywhere: the charts are SVG in data: URIs (img-src), the today
# view's refresh is static/today.js, every style is in static/hubbar.css.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
# Browser features hubbar does not use, turned off for it and anything it might embed.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "browsing-topics",
        "camera",
        "display-capture",
        "encrypted-media",
        "fullscreen",
        "geolocation",
        "gyroscope",
        "hid",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "picture-in-picture",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Private tokens are part of some addresses (calendar feeds, password-reset links): never
    # send an address to another site.
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": PERMISSIONS_POLICY,
}
STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"  # one year

ENVIRONMENTS = ("development", "production")
MIN_SECRET_KEY_LENGTH = 32
# Keys that are published somewhere (tests, examples, habits) and so are no secret.
KNOWN_SECRET_KEYS = frozenset(
    {
        "test-secret",
        "csrf-test-secret",
        "concurrency-test-secret",
        "dev",
        "development",
        "change-me",
        "changeme",
        "change-this",
        "secret",
        "secret-key",
        "secret_key",
        "your-secret-key",
        "hubbar",
        "hubbar-demo",
    }
)
PLACEHOLDER_WORDS = ("change-me", "changeme", "change_me", "replace-me", "example")
# Kept through the new session a login or logout starts: the language chosen before it.
KEPT_SESSION_KEYS = ("locale",)


def init_app(app: Flask) -> None:
    """Check the configuration, then add the headers and session protection."""
    check_production_config(app.config)
    proxies = int(app.config.get("HUBBAR_PROXY_COUNT", 0))
    if proxies > 0:
        # Behind reverse proxies, the client's address and scheme come from their headers
        # (the login limits count addresses; HSTS and Secure cookies need HTTPS seen).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    app.after_request(add_security_headers)

    from hubbar.extensions import login_manager

    # "strong": a session presented by another browser than the one that logged in loses its
    # login (and its remember cookie). Bound to the User-Agent, not Flask-Login's default of
    # address and User-Agent: phones change address whenever they move between networks
    # (home wifi, the hub's wifi, mobile data) and would be logged out each time.
    login_manager.session_protection = "strong"
    login_manager._session_identifier_generator = session_identifier
    user_loaded_from_cookie.connect(_bind_remembered_session, app)


def check_production_config(config) -> None:
    """In production, refuse to start without a secret key that is secret (RuntimeError)."""
    env = config.get("HUBBAR_ENV", "development")
    if env not in ENVIRONMENTS:
        raise RuntimeError(f"HUBBAR_ENV must be 'development' or 'production', not {env!r}.")
    if env != "production":
        return
    problem = secret_key_problem(config.get("SECRET_KEY"))
    if problem:
        raise RuntimeError(
            f"HUBBAR_SECRET_KEY {problem}. In production (HUBBAR_ENV=production) hubbar needs "
            f"a random secret key of at least {MIN_SECRET_KEY_LENGTH} characters, for example "
            "from: python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"
        )


def secret_key_problem(key) -> str | None:
    """What is wrong with a production secret key, or None."""
    if not key:
        return "is not set"
    text = key.decode(errors="replace") if isinstance(key, bytes) else str(key)
    lowered = text.strip().lower()
    if lowered in KNOWN_SECRET_KEYS or any(word in lowered for word in PLACEHOLDER_WORDS):
        return "is a published example or default value"
    if len(text) < MIN_SECRET_KEY_LENGTH:
        return f"is shorter than {MIN_SECRET_KEY_LENGTH} characters"
    if len(set(text)) < 8:
        return "repeats too few characters to be random"
    return None


# --- headers -------------------------------------------------------------------------------


def add_security_headers(response: Response) -> Response:
    """The security headers on every response, and ``Cache-Control: no-store`` on what is
    personal: every API answer and every page for a logged-in user (static files excepted)."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY)
    if _personal(request) and "no-store" not in response.headers.get("Cache-Control", ""):
        response.headers["Cache-Control"] = "no-store"
    return response


def _personal(req) -> bool:
    """Whether the answer is for a known person (a session's user or an API token's), decided
    without touching the database: this runs after errors too."""
    if req.endpoint == "static":
        return False
    if req.blueprint == "api":
        return True  # token answers, and the token itself when one is created
    user = g.get("_login_user")
    if user is not None and user.is_authenticated:
        return True
    return "_user_id" in session


# --- sessions ------------------------------------------------------------------------------


def session_identifier() -> str:
    """What binds a login session to its browser (see init_app)."""
    agent = request.headers.get("User-Agent", "")
    return hashlib.sha512(agent.encode("utf-8", errors="replace")).hexdigest()


def _bind_remembered_session(app: Flask, user=None, **extra) -> None:
    # Flask-Login logs a user in from the remember cookie without binding the new session to
    # the browser, so in "strong" mode the next request would drop the login and the cookie.
    session["_id"] = current_app.login_manager._session_identifier_generator()


def renew_session() -> None:
    """Start a new session, before logging in (so that nothing planted in the session before,
    such as a known CSRF token, outlives the login) and when logging out. The language chosen
    is kept."""
    kept = {key: session[key] for key in KEPT_SESSION_KEYS if key in session}
    session.clear()
    if kept.get("locale") in LOCALES:
        session["locale"] = kept["locale"]
