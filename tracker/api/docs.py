"""The API reference page: Swagger UI from vendored files (no CDN), reading
/api/v1/openapi.json, within the app's Content Security Policy (no inline script)."""

from flask import Blueprint, render_template

from tracker.api.base import PREFIX

bp = Blueprint("api_reference", __name__)


@bp.get(f"{PREFIX}/docs")
def docs():
    return render_template("api/docs.html")
