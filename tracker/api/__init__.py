"""The JSON API under /api/v1: every record reachable by other systems, described by an
OpenAPI 3 document generated from the schemas that validate its requests, acting through
the same domain operations as the forms."""

from flask import Flask

from tracker.api import base
from tracker.api.docs import bp as docs_bp


def init_app(app: Flask) -> None:
    """Bind the API: its blueprints, the token security scheme, JSON errors on its paths."""
    from tracker.api import clusters, commitments, incentives, monitoring, partners, records
    from tracker.core.inputs import IdConverter
    from tracker.extensions import api, csrf

    app.config.setdefault("API_TITLE", "Ecosystem Tracker API")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", base.PREFIX)
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault(
        "API_SPEC_OPTIONS",
        {
            "info": {
                "description": (
                    "Partners, engagements, incentives, commitments and alerts of the "
                    "Ecosystem Tracker. Sign in with a personal API token from /account: "
                    "`Authorization: Bearer <token>`."
                )
            },
            "security": [{"bearerAuth": []}],
            "servers": [{"url": "/"}],
        },
    )
    app.json.ensure_ascii = False  # “Győr”, not "Gy\u0151r"
    api.ERROR_SCHEMA = records.ApiErrorSchema  # the default error response: our shape
    api.init_app(app)
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "description": "A personal API token."}
    )
    api.register_converter(
        IdConverter,
        lambda converter: {"type": "integer", "minimum": converter.min, "maximum": converter.max},
    )
    for module in (partners, incentives, commitments, monitoring, clusters):
        for blueprint in module.BLUEPRINTS:
            api.register_blueprint(blueprint, url_prefix=base.PREFIX)
            csrf.exempt(blueprint)
    app.register_blueprint(docs_bp)
