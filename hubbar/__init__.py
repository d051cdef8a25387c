"""hubbar: booking touch-down desks at shared office hubs."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    """Build the app: config, extensions, blueprints, CLI; start the scheduler if enabled."""
    from hubbar.config import engine_options, load_config
    from hubbar.extensions import babel, csrf, db, login_manager, migrate

    instance_path = os.environ.get("HUBBAR_INSTANCE_PATH") or str(ROOT / "instance")
    app = Flask(
        __name__,
        instance_path=instance_path,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.update(load_config(app.instance_path))
    if config:
        app.config.update(config)
    # From the final database address (the environment's, or the one passed in), unless the
    # caller chose the options itself.
    if not (config and "SQLALCHEMY_ENGINE_OPTIONS" in config):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app.config)
    if not app.config.get("HUBBAR_PSEUDONYM_KEY"):
        app.config["HUBBAR_PSEUDONYM_KEY"] = app.config["SECRET_KEY"]
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    from hubbar import observability

    observability.init_app(app)  # first: logging is set up before anything logs

    from hubbar import models  # noqa: F401  (registers every table on the metadata)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)

    from hubbar import security, web

    babel.init_app(app, locale_selector=web.select_locale)
    web.init_app(app)
    security.init_app(app)

    from hubbar.accessibility.views import bp as accessibility_bp
    from hubbar.accounts.views import bp as accounts_bp
    from hubbar.audit.views import bp as audit_bp
    from hubbar.bookings.feed_views import bp as feeds_bp
    from hubbar.bookings.views import bp as bookings_bp
    from hubbar.costs.views import bp as costs_bp
    from hubbar.hubs.views import bp as hubs_bp
    from hubbar.mail.views import bp as mail_bp
    from hubbar.occupancy.exports import bp as exports_bp
    from hubbar.occupancy.live_views import bp as live_bp
    from hubbar.occupancy.views import bp as occupancy_bp
    from hubbar.pilots.admin_views import bp as pilot_admin_bp
    from hubbar.pilots.feedback_views import bp as feedback_bp
    from hubbar.pilots.views import bp as pilots_bp
    from hubbar.privacy.account_views import bp as privacy_account_bp
    from hubbar.privacy.page_views import bp as privacy_pages_bp

    blueprints = (accounts_bp, hubs_bp, bookings_bp, feeds_bp, occupancy_bp, live_bp, exports_bp)
    pilot_blueprints = (pilots_bp, pilot_admin_bp, feedback_bp, costs_bp)
    for blueprint in (*blueprints, *pilot_blueprints, audit_bp, mail_bp, privacy_pages_bp):
        app.register_blueprint(blueprint)
    app.register_blueprint(privacy_account_bp)
    app.register_blueprint(accessibility_bp)

    from hubbar.api.views import bp as api_bp

    app.register_blueprint(api_bp)
    csrf.exempt(api_bp)  # token-authenticated; the API never reads the session cookie

    from hubbar import health

    health.init_app(app)

    from hubbar import cli

    cli.init_app(app)

    if app.config["HUBBAR_SCHEDULER_ENABLED"] and _serves_requests():
        from hubbar import jobs

        jobs.start(app)
    return app


def _serves_requests() -> bool:
    """True unless the app was built for a ``flask`` command other than ``flask run`` (a
    migration, a backup, the dedicated scheduler): those must not start the in-process
    scheduler. gunicorn and tests build the app outside any command."""
    import click

    command = click.get_current_context(silent=True)
    return command is None or command.info_name == "run"
