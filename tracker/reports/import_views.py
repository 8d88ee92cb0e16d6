"""The import page: upload a file, read the preview, confirm; and the empty templates.

The uploaded bytes wait server-side (under the instance folder, bound to the user,
for at most an hour) between the preview and the confirmation; only who uploaded a file
may confirm or cancel it, an admin no more than anyone else. Confirming reads the file
again and applies it only when the preview is still what the user saw.
"""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from werkzeug.datastructures import ImmutableMultiDict

from tracker.auth.permissions import READ, requires
from tracker.core.tables import FORMATS
from tracker.reports import imports
from tracker.reports.import_forms import ConfirmImportForm, UploadForm

bp = Blueprint("imports", __name__)


def _kinds() -> list[imports.ImportKind]:
    """The kinds the current user may import; 403 when there are none."""
    kinds = [kind for kind in imports.KINDS.values() if imports.may_import(current_user, kind.name)]
    if not kinds:
        abort(403)
    return kinds


def _limits() -> dict:
    config = current_app.config
    return {
        "megabytes": (config.get("IMPORT_MAX_BYTES") or imports.DEFAULT_MAX_BYTES) / 1024 / 1024,
        "rows": config.get("IMPORT_MAX_ROWS") or imports.DEFAULT_MAX_ROWS,
    }


def _render_index(form: UploadForm, kinds, status: int = 200):
    return (
        render_template("imports/index.html", form=form, kinds=kinds, limits=_limits()),
        status,
    )


@bp.get("/import")
@requires(READ)
def index():
    kinds = _kinds()
    form = UploadForm(kinds=kinds)
    if request.args.get("kind") in {kind.name for kind in kinds}:
        form.kind.data = request.args["kind"]
    return _render_index(form, kinds)


@bp.post("/import")
@requires(READ)
def upload():
    kinds = _kinds()
    kind = request.form.get("kind", "")
    if kind in imports.KINDS and not imports.may_import(current_user, kind):
        abort(403)
    form = UploadForm(kinds=kinds)
    if not form.validate_on_submit():
        return _render_index(form, kinds, 400)
    upload = form.file.data
    data = upload.read(current_app.config.get("IMPORT_MAX_BYTES", imports.DEFAULT_MAX_BYTES) + 1)
    preview = imports.parse_upload(kind, upload.filename, data, user=current_user)
    confirm = None
    if preview.ok:
        token = imports.save_pending(preview, data, current_user.id)
        confirm = ConfirmImportForm(token=token)
    return render_template("imports/preview.html", preview=preview, confirm=confirm)


@bp.post("/import/confirm")
@requires(READ)
def confirm():
    form = ConfirmImportForm()
    if not form.validate_on_submit():
        abort(400)
    token = form.token.data
    pending = imports.load_pending(token, current_user.id)
    if pending is None:
        flash("That preview has expired or is not yours: upload the file again.", "warning")
        return redirect(url_for("imports.index"))
    if not imports.may_import(current_user, pending.kind):
        abort(403)
    preview = imports.parse_upload(pending.kind, pending.filename, pending.data, current_user)
    if not preview.ok or preview.digest() != pending.digest:
        # Someone changed the records meanwhile: show what the file would do now.
        flash(
            "The data changed since your preview, so nothing was imported. Here is the file "
            "against the data as it is now.",
            "warning",
        )
        confirm = None
        if preview.ok:
            imports.update_pending_digest(token, preview.digest())
            confirm = ConfirmImportForm(token=token)
        else:
            imports.discard_pending(token, current_user.id)
        return render_template("imports/preview.html", preview=preview, confirm=confirm)
    try:
        result = imports.apply(preview, user=current_user)
    except imports.ImportFailed as error:
        imports.discard_pending(token, current_user.id)
        flash(str(error), "error")
        return redirect(url_for("imports.index", kind=pending.kind))
    imports.discard_pending(token, current_user.id)
    flash(
        f"Imported {preview.filename}: {result.created} {preview.spec.noun} created, "
        f"{result.updated} updated, {result.unchanged} unchanged.",
        "success",
    )
    return redirect(url_for(preview.spec.list_endpoint))


@bp.post("/import/cancel")
@requires(READ)
def cancel():
    form = ConfirmImportForm()
    if form.validate_on_submit():
        if imports.discard_pending(form.token.data, current_user.id):
            flash("Import cancelled; nothing was written.", "info")
        else:
            flash("That preview has expired or is not yours: nothing to cancel.", "warning")
    return redirect(url_for("imports.index"))


@bp.get("/import/template/<kind>.<fmt>")
@requires(READ)
def template(kind: str, fmt: str):
    if kind not in imports.KINDS or fmt not in FORMATS:
        abort(404)
    response = current_app.response_class(imports.template_bytes(kind, fmt), mimetype=FORMATS[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{kind}-template.{fmt}"'
    return response


@bp.errorhandler(413)
def too_large(error):
    # The page's forms would read the refused body again and raise anew: give them none.
    request.__dict__["form"] = ImmutableMultiDict()
    request.__dict__["files"] = ImmutableMultiDict()
    megabytes = _limits()["megabytes"]
    return (
        render_template(
            "error.html",
            error=error,
            code=413,
            message=f"The file is larger than the {megabytes:g} MB an import may be. "
            "Split it into smaller files and import them one after another.",
        ),
        413,
    )
