"""Ecosystem Tracker: the application factory."""

import os

from flask import Flask, render_template
from werkzeug.middleware.proxy_fix import ProxyFix

from config import CONFIGS, ProductionConfig, check_log_format
from tracker.core import logs
from tracker.core.inputs import CleanRequest, IdConverter
from tracker.core.types import time_zone

# Every model module, imported so SQLAlchemy and Alembic see the whole schema.
MODEL_MODULES = (
    "tracker.auth.models",
    "tracker.core.models",
    "tracker.core.items",
    "tracker.core.states",
    "tracker.core.readings",
    "tracker.partners.models",
    "tracker.incentives.models",
    "tracker.commitments.models",
    "tracker.monitoring.models",
    "tracker.clusters.models",
    "tracker.reports.models",
)

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def create_app(config_class=None) -> Flask:
    """Build the app. Without a class, `TRACKER_ENV` picks one (default: production)."""
    if config_class is None:
        config_class = CONFIGS[os.environ.get("TRACKER_ENV", "production")]
    if issubclass(config_class, ProductionConfig):
        config_class.check()
    app = Flask(
        __name__,
        template_folder="../templates",
        static_folder="../static",
        instance_relative_config=True,
    )
    app.config.from_object(config_class)
    try:
        time_zone(app.config["TRACKER_TIMEZONE"])
    except ValueError as error:
        raise RuntimeError(f"TRACKER_TIMEZONE: {error}") from None
    check_log_format(app.config["LOG_FORMAT"])
    if app.config["TRUSTED_PROXIES"]:
        # The client's address, scheme, host and path prefix as the proxies saw them: the
        # sign-in throttle counts per real client, and redirects and links keep the host.
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops
        )
    app.request_class = CleanRequest
    app.url_map.converters["int"] = IdConverter
    os.makedirs(app.instance_path, exist_ok=True)

    logs.init_app(app)
    register_extensions(app)
    register_blueprints(app)
    register_metrics(app)
    register_errorhandlers(app)
    register_security_headers(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def register_extensions(app: Flask) -> None:
    import importlib

    from tracker.auth.services import load_user_from_cookie
    from tracker.extensions import csrf, db, limiter, login_manager, migrate

    for module in MODEL_MODULES:
        importlib.import_module(module)
    db.init_app(app)
    migrate.init_app(
        app, db, directory=os.path.join(app.root_path, "..", "migrations"), render_as_batch=True
    )
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.login_message_category = "info"
    login_manager.user_loader(load_user_from_cookie)


def register_blueprints(app: Flask) -> None:
    from tracker import (
        api,
        auth,
        clusters,
        commitments,
        incentives,
        main,
        monitoring,
        partners,
        reports,
    )
    from tracker.reports import audit_views, import_views, monthly_views

    api.init_app(app)
    for package in (
        auth,
        main,
        partners,
        incentives,
        commitments,
        monitoring,
        reports,
        clusters,
        monthly_views,
        import_views,
        audit_views,
    ):
        app.register_blueprint(package.bp)


def register_metrics(app: Flask) -> None:
    from tracker.main import metrics

    metrics.init_app(app)


def register_errorhandlers(app: Flask) -> None:
    from flask_wtf.csrf import CSRFError
    from werkzeug.exceptions import HTTPException

    from tracker.api.base import http_error, is_api_request

    def render_error(error):
        if is_api_request():
            return http_error(error)
        code = getattr(error, "code", 500)
        return render_template("error.html", error=error, code=code), code

    for code in (400, 403, 404, 405, 413, 429, 500):
        app.register_error_handler(code, render_error)

    @app.errorhandler(HTTPException)
    def other_http_error(error):
        """The API answers every error in its JSON shape; pages keep Werkzeug's own."""
        return http_error(error) if is_api_request() else error.get_response()

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return (
            render_template(
                "error.html",
                error=error,
                code=400,
                message=(
                    "The form expired or was sent from elsewhere. Go back, reload and try again."
                ),
            ),
            400,
        )


def register_security_headers(app: Flask) -> None:
    @app.after_request
    def add_headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        return response


def register_template_helpers(app: Flask) -> None:
    from tracker import templating

    templating.register(app)


def register_commands(app: Flask) -> None:
    from tracker import commands

    for command in (
        commands.create_user_command,
        commands.create_token_command,
        commands.seed_demo_command,
        commands.refresh_command,
        commands.scan_command,
        commands.digest_command,
        commands.scheduler_command,
        commands.serve_command,
        commands.import_command,
        commands.export_command,
        commands.backup_command,
        commands.restore_command,
    ):
        app.cli.add_command(command)
