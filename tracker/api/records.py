"""The routes of a record kept through the API: list, read, create, update, delete.

`crud()` registers them on a blueprint for one model, each guarded by `api_requires`, each
write one domain operation and one commit; resources add their own routes (transitions,
nested creates) beside these with the same helpers.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields
from sqlalchemy import Select, inspect
from werkzeug.exceptions import NotFound

from tracker.api.base import (
    api_requires,
    api_user,
    column_field,
    domain_error,
    etag_of,
    expected_version,
    page_of,
    page_schema,
)
from tracker.core.errors import DomainError
from tracker.core.records import check_version
from tracker.core.values import existing
from tracker.extensions import db

# Responses every guarded route can give, documented once for each (the spec lists them,
# so a client, and Schemathesis, know them).
GUARDED = (401, 403, 429)


def blueprint(title: str, description: str) -> Blueprint:
    """An API blueprint, named `title` in the reference (its group of operations), whose
    operations' rule errors roll back and answer 422 (or 403, 404, 409, 412: see
    `domain_error`)."""
    blp = Blueprint(title, __name__, description=description)

    @blp.errorhandler(DomainError)
    def rule_broken(error: DomainError):
        db.session.rollback()
        return domain_error(error)

    return blp


def record_schema(name: str, model: type, names: list[str], **more) -> type[Schema]:
    """What the API shows of a record: its id and version (when it has one), its columns
    `names` (typed as in requests), and `more`."""
    attrs: dict[str, Any] = {"id": fields.Integer(required=True)}
    if "version" in inspect(model).columns:
        attrs["version"] = fields.Integer(
            required=True, metadata={"description": "Also the ETag; send it in If-Match."}
        )
    for column in names:
        attrs[column] = column_field(model, column, required=False)
        attrs[column].required = True
        attrs[column].allow_none = inspect(model).columns[column].nullable
    attrs.update(more)
    return Schema.from_dict(attrs, name=name)


def found(model: type, record_id: int, noun: str, options=()):
    """The record, or the API's 404."""
    record = db.session.get(model, record_id, options=list(options))
    if record is None:
        raise NotFound(f"There is no {noun} {record_id}.")
    return record


def saved(record, status: int = 200):
    """Commit what an operation wrote, and answer with the record and its version."""
    db.session.commit()
    return record, status, versioned(record)


def versioned(record) -> dict:
    """The ETag header of a record that carries a version."""
    return {"ETag": etag_of(record)} if getattr(record, "version", None) is not None else {}


def documented(blp: Blueprint, *statuses: int):
    """Document the error responses a route can give (the JSON error shape)."""

    def decorator(view):
        for status in statuses:
            view = blp.alt_response(status, schema=ApiErrorSchema, description=_ERRORS[status])(
                view
            )
        return view

    return decorator


class ApiErrorDetail(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    fields = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), required=True)


class ApiErrorSchema(Schema):
    error = fields.Nested(ApiErrorDetail, required=True)


_ERRORS = {
    400: "The request could not be read (bad JSON, a bad query value).",
    401: "No usable API token.",
    403: "The token's role, or a read-only token, does not allow this.",
    404: "No such record.",
    409: "The record changed since it was read (no If-Match sent).",
    412: "The record changed since the version in If-Match: nothing was written.",
    422: "A field is not valid, or a rule of the domain refuses the change.",
    429: "Too many requests with this token: wait and try again.",
}


@dataclass
class Crud:
    """What `crud()` needs to know of one model. Operations are called as the forms call
    them: `create(values, actor=)` (with `parent`, `create(parent_record, values, actor=)`,
    the parent named by its id in the body), `update(record, values, actor=,
    expected_version=)`, `delete(record, actor=)`."""

    model: type
    noun: str
    item: type[Schema]
    read: str
    write: str
    list_args: type[Schema] | None = None
    list_query: Callable[[dict], tuple[Select, dict]] | None = None
    tiebreak: Any = None
    rows: bool = False
    row_item: Callable[[Any], Any] | None = None
    create_body: type[Schema] | None = None
    create: Callable[..., Any] | None = None
    update_body: type[Schema] | None = None
    update: Callable[..., Any] | None = None
    delete: Callable[..., Any] | None = None
    options: tuple = field(default_factory=tuple)
    # (model, body field, message when there is no such record) of the record a new one
    # belongs to: `("Partner", "partner_id", …)` for a contact.
    parent: tuple[type, str, str] | None = None


def crud(blp: Blueprint, path: str, spec: Crud) -> None:
    """Register `path` (list, create) and `path/<id>` (read, update, delete) for `spec`."""
    one = f"{path}/<int:record_id>"
    noun = spec.noun

    if spec.list_query is not None:
        page = page_schema(f"{spec.item.__name__}Page", spec.item)

        @blp.route(path, methods=["GET"], endpoint="list")
        @api_requires(spec.read)
        @blp.arguments(spec.list_args, location="query", as_kwargs=False)
        @blp.response(200, page)
        @documented(blp, *GUARDED, 400, 422)
        def list_records(args):
            query, sortable = spec.list_query(args)
            return page_of(query, args, sortable, spec.tiebreak, rows=spec.rows, item=spec.row_item)

        list_records.__doc__ = f"List {noun}s: filtered, sorted and paged as on the pages."

    @blp.route(one, methods=["GET"], endpoint="read")
    @api_requires(spec.read)
    @blp.response(200, spec.item, headers={"ETag": {"schema": {"type": "string"}}})
    @documented(blp, *GUARDED, 404)
    def read_record(record_id: int):
        record = found(spec.model, record_id, noun, spec.options)
        return record, 200, versioned(record)

    read_record.__doc__ = f"One {noun}, with its version as the ETag."

    if spec.create is not None:

        @blp.route(path, methods=["POST"], endpoint="create")
        @api_requires(spec.write)
        @blp.arguments(spec.create_body)
        @blp.response(201, spec.item)
        @documented(blp, *GUARDED, 400, 422)
        def create_record(values: dict):
            if spec.parent is None:
                return saved(spec.create(values, actor=api_user()), 201)
            model, key, message = spec.parent
            parent = existing(model, values.pop(key), key, message)
            return saved(spec.create(parent, values, actor=api_user()), 201)

        create_record.__doc__ = f"Create a {noun}, under the rules the form enforces."

    if spec.update is not None:

        @blp.route(one, methods=["PATCH"], endpoint="update")
        @api_requires(spec.write)
        @blp.arguments(spec.update_body)
        @blp.response(200, spec.item)
        @documented(blp, *GUARDED, 400, 404, 409, 412, 422)
        def update_record(values: dict, record_id: int):
            record = found(spec.model, record_id, noun, spec.options)
            spec.update(record, values, actor=api_user(), expected_version=expected_version(record))
            return saved(record)

        update_record.__doc__ = (
            f"Change some fields of a {noun}; fields left out keep their values. "
            "With If-Match, a stale version is refused (412)."
        )

    if spec.delete is not None:

        @blp.route(one, methods=["DELETE"], endpoint="delete")
        @api_requires(spec.write)
        @blp.response(204)
        @documented(blp, *GUARDED, 404, 409, 412, 422)
        def delete_record(record_id: int):
            record = found(spec.model, record_id, noun, spec.options)
            check_version(record, expected_version(record))
            spec.delete(record, actor=api_user())
            db.session.commit()
            return ""

        delete_record.__doc__ = (
            f"Delete a {noun}; an admin can restore it from the audit trail. "
            "With If-Match, a stale version is refused (412)."
        )
