"""What every page shares: language choice, date and time formats, error pages, the home page."""

from __future__ import annotations

import sqlite3
from contextlib import suppress

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    g,
    has_request_context,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import inspect
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from hubbar.accounts.models import LOCALES
from hubbar.errors import DomainError, NotAllowed, NotFound
from hubbar.extensions import db, login_manager
from hubbar.formats import (
    fmt_date,
    fmt_datetime,
    fmt_money,
    fmt_time,
    fmt_week,
    fmt_weekday,
    local_time,
    local_today,
)
from hubbar.observability import request_id, user_id

bp = Blueprint("web", __name__)

# What the database driver raises when the database cannot be reached (stopped, restarting,
# the network down): answered 503, "try again", never 500.
DATABASE_ERRORS = (OperationalError, InterfaceError, DisconnectionError)
# Seconds a client is asked to wait before trying again during a database outage.
RETRY_AFTER_SECONDS = 30

# Ids are 32-bit integers on PostgreSQL. A larger number cannot name anything, and SQLite's driver
# fails on numbers beyond 64 bits instead of finding nothing.
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """``<int:…>`` in addresses: a number too large to be an id matches no page (a 404)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def select_locale() -> str:
    """The signed-in user's language, else the one chosen this session, else Swedish."""
    if not has_request_context():
        return "sv"
    if current_user and current_user.is_authenticated:
        return current_user.locale
    chosen = session.get("locale")
    return chosen if chosen in LOCALES else "sv"


# --- errors --------------------------------------------------------------------------------


def _error_page(status: int, message: str | None = None):
    titles = {
        400: _("Bad request"),
        403: _("Access denied"),
        404: _("Page not found"),
        405: _("Method not allowed"),
        413: _("The file is too large"),
        500: _("Something went wrong"),
        503: _("The service is briefly unavailable"),
    }
    explanations = {
        400: _("The request could not be understood. Go back and try again."),
        403: _("You do not have permission to see or change this."),
        404: _("There is nothing at this address. It may have been removed."),
        405: _("This address does not accept that kind of request."),
        413: _("The file is larger than 2 MB."),
        500: _("We have logged the error. Try again in a moment."),
        503: _("Bookings cannot be shown or changed just now. Try again in a minute."),
    }
    return (
        render_template(
            "errors/error.html",
            status=status,
            title=titles.get(status, titles[500]),
            message=message or explanations.get(status, explanations[500]),
            # What the person can quote to whoever runs hubbar, who finds it in the log.
            reference=request_id() if status == 500 else None,
        ),
        status,
    )


def _handle_http(error: HTTPException):
    if error.code and error.code < 400:
        return error
    return _error_page(error.code or 500)


def _refuse_nul() -> None:
    """A NUL character is nothing anyone types, and PostgreSQL cannot store or compare it: refuse
    the request (400) rather than fail in the database."""
    for key, values in (*request.args.lists(), *request.form.lists()):
        if "\x00" in key or any("\x00" in value for value in values):
            abort(400)


def _handle_domain(error: DomainError):
    if isinstance(error, NotFound):
        return _error_page(404, str(error.message))
    if isinstance(error, NotAllowed):
        return _error_page(403, str(error.message))
    return _error_page(400, str(error.message))


# SQLSTATEs of a lost or refused connection: class 08 (connection exception) and the server
# shutting down or restarting (57P01–57P03).
OUTAGE_STATES = ("57P01", "57P02", "57P03")
# SQLite's own words for a database file it cannot use at the moment.
SQLITE_OUTAGES = ("unable to open database", "disk i/o error", "database is locked")


def is_outage(error: Exception) -> bool:
    """Whether a database error means "the database cannot be reached just now" (a 503), as
    against a fault of the statement or the schema (a deadlock, a timeout, a missing table:
    a 500, logged with its trace)."""
    if isinstance(error, DisconnectionError):
        return True
    if getattr(error, "connection_invalidated", False):
        return True
    original = getattr(error, "orig", None)
    if isinstance(original, sqlite3.Error):
        return any(words in str(original).lower() for words in SQLITE_OUTAGES)
    state = getattr(original, "sqlstate", None)
    # psycopg gives no SQLSTATE when it cannot connect at all (refused, unknown host, timeout).
    return state is None or state.startswith("08") or state in OUTAGE_STATES


def database_unavailable(error: Exception):
    """The database cannot be reached: a friendly 503 (JSON under /api/v1), never a 500.

    The answer needs no database: the request's transaction is rolled back, the user is
    forgotten for the rest of the request (their attributes would be reloaded, and the menu
    asks the database), and the page is in the language found without asking it. Any other
    database error is a fault: logged with its trace and answered as the 500 it is."""
    if not is_outage(error):
        return _database_fault(error)
    locale = _locale_without_database()
    known = user_id(g.get("_login_user"))
    if known != "-":
        g.request_user_id = known  # still named in the request's log line
    current_app.logger.warning("Database unavailable: %s", _first_line(error))
    with suppress(*DATABASE_ERRORS):
        db.session.rollback()
    g._login_user = login_manager.anonymous_user()
    from hubbar.api.views import error_response, is_api_path

    with force_locale(locale):
        # Under /api/v1 in JSON, also for an address the API does not have (no blueprint).
        if is_api_path(request.path):
            message = _("The service is briefly unavailable. Try again in a minute.")
            response = error_response(503, "unavailable", message)
        else:
            response = make_response(_error_page(503))
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response.headers["Cache-Control"] = "no-store"
    return response


def _database_fault(error: Exception):
    current_app.logger.error("Unhandled error: %s", _first_line(error), exc_info=error)
    with suppress(*DATABASE_ERRORS):
        db.session.rollback()
    from hubbar.api.views import error_response, is_api_path

    if is_api_path(request.path):
        return error_response(
            500, "server_error", _("We have logged the error. Try again in a moment.")
        )
    return _error_page(500)


def _locale_without_database() -> str:
    """The request's language as far as it is known without the database: the user's own if
    they were loaded before it failed, else the one chosen this session; for a logged-in
    person who could not be loaded, their browser's preference; else Swedish."""
    state = inspect(g.get("_login_user"), raiseerr=False)
    if state is not None and state.dict.get("locale") in LOCALES:
        return state.dict["locale"]
    chosen = session.get("locale")
    if chosen in LOCALES:
        return chosen
    if "_user_id" in session:
        return request.accept_languages.best_match(LOCALES) or "sv"
    return "sv"


def _first_line(error: Exception) -> str:
    """The driver's own message (SQLAlchemy's adds the statement and its parameters, which may
    hold personal data), first line only."""
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__


# --- pages ---------------------------------------------------------------------------------


@bp.get("/")
def home():
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login"))
    from hubbar.hubs.operations import bookable_hubs, managed_hubs
    from hubbar.pilots.operations import visible_pilots

    return render_template(
        "home.html",
        hubs=bookable_hubs(current_user),
        managed=managed_hubs(current_user) if current_user.is_hub_manager else [],
        pilots=visible_pilots(current_user),
    )


@bp.post("/language")
def set_language():
    """Switch language for this session (and for the signed-in user's profile)."""
    locale = request.form.get("locale", "")
    if locale in LOCALES:
        session["locale"] = locale
        if current_user.is_authenticated:
            from hubbar.accounts.operations import update_profile

            update_profile(current_user, current_user.display_name, locale)
        flash(_("Language changed."), "success")
    return redirect(local_path(request.form.get("next")) or url_for("web.home"))


def local_path(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else None: never a redirect elsewhere
    (browsers read ``//host`` and ``/\\host`` as another site)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


def _unread_notifications() -> int:
    from hubbar.pilots.notifications import unread_count

    return unread_count(current_user) if current_user.is_authenticated else 0


def _inject():
    return {
        "current_locale": str(get_locale()),
        "today": local_today(),
        "unread_notifications": _unread_notifications,
    }


def init_app(app: Flask) -> None:
    app.url_map.converters["int"] = IdConverter  # before any blueprint's routes are added
    app.before_request(_refuse_nul)
    app.register_blueprint(bp)
    app.add_template_filter(fmt_date, "date")
    app.add_template_filter(fmt_time, "time")
    app.add_template_filter(fmt_datetime, "datetime")
    app.add_template_filter(fmt_weekday, "weekday")
    app.add_template_filter(fmt_week, "week")
    app.add_template_filter(fmt_money, "money")
    app.add_template_filter(local_time, "local")
    app.context_processor(_inject)
    app.register_error_handler(HTTPException, _handle_http)
    app.register_error_handler(DomainError, _handle_domain)
    for database_error in DATABASE_ERRORS:
        app.register_error_handler(database_error, database_unavailable)

    @app.errorhandler(Exception)
    def _unexpected(error):  # pragma: no cover - logged and shown as a friendly page
        app.logger.exception("Unhandled error: %s", error)
        db.session.rollback()  # the error page must not reuse a failed transaction
        return _error_page(500)

    login_manager.login_view = "accounts.login"
    login_manager.login_message_category = "info"
    from flask_babel import lazy_gettext

    login_manager.login_message = lazy_gettext("Log in to see that page.")

    from hubbar.accounts.operations import load_user

    login_manager.user_loader(load_user)


def form_error(form, error: DomainError) -> None:
    """Show a domain error next to its field when the form has it, else as a message."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, str(error.message)]
    else:
        flash(str(error.message), "error")


def int_arg(name: str, default: int = 0) -> int:
    """An integer query parameter; anything else, or a number beyond any id, counts as the
    default."""
    try:
        value = int(request.args.get(name, default))
    except (TypeError, ValueError):
        return default
    return value if -MAX_ID <= value <= MAX_ID else default
