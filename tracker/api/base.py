"""What every API resource shares: token sign-in and the right to act, errors as JSON of one
shape, a record's version as its ETag, pages with totals, and request fields read from the
models' columns.

The API acts only through the domain operations, as the forms do: a schema here checks the
shape of a body (types, lengths, choices, as a form does), and every rule is the
operation's, whose `DomainError(message, field)` becomes a 422 naming the field.

A request signs in with `Authorization: Bearer <token>` alone: the session cookie of a
browser is ignored here, so no page can make a signed-in browser write through the API
(the API takes no CSRF token).
"""

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import InvalidOperation
from functools import wraps
from typing import Any

from flask import current_app, g, jsonify, request
from flask_limiter.util import get_remote_address
from marshmallow import Schema, fields, validate
from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Integer,
    Numeric,
    Select,
    String,
    Text,
    func,
    inspect,
    select,
)
from werkzeug.exceptions import Forbidden, HTTPException, Unauthorized

from tracker.auth import operations as auth_operations
from tracker.auth.permissions import can
from tracker.auth.services import usable_token
from tracker.core.errors import DomainError, NotFound, NotPermitted, StaleRecord, record_noun
from tracker.core.inputs import LARGEST_INTEGER, clean
from tracker.core.listing import LAST_PAGE, Sorting, apply_sorting
from tracker.core.types import storage_type
from tracker.extensions import db, limiter

PREFIX = "/api/v1"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_PER_PAGE = 200

# The error code each status carries in `{"error": {"code": …}}`.
ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    412: "precondition_failed",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "rate_limited",
    500: "server_error",
}
NO_TOKEN = "Send a personal API token as “Authorization: Bearer <token>” (made on /account)."  # noqa: S105
BAD_TOKEN = "This API token is unknown, revoked or expired, or its user is deactivated."  # noqa: S105
READ_ONLY = "This token is read-only: make a read-and-write token on /account to change records."
NOT_ALLOWED = "Your role does not allow this."


def is_api_request() -> bool:
    return request.path == PREFIX or request.path.startswith(PREFIX + "/")


# --- Errors ----------------------------------------------------------------------------------


def error_response(status: int, message: str, fields: dict | None = None, headers=None):
    """`{"error": {"code", "message", "fields"}}` with `status`: every error the API gives."""
    body = {"error": {"code": ERROR_CODES.get(status, "error"), "message": message}}
    body["error"]["fields"] = fields or {}
    response = jsonify(body)
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _flattened(messages: Any, path: str = "") -> dict[str, list[str]]:
    """webargs' nested messages ({"json": {"partner_ids": {"0": [...]}}}) keyed by a dotted
    field path ("partner_ids.0"), the request location left out."""
    if isinstance(messages, list | tuple) and all(isinstance(m, str) for m in messages):
        return {path or "_body": list(messages)}
    if isinstance(messages, dict):
        flat = {}
        for key, value in messages.items():
            flat.update(_flattened(value, f"{path}.{key}" if path else str(key)))
        return flat
    return {path or "_body": [str(messages)]}


def http_error(error: HTTPException):
    """An HTTP error raised anywhere under /api/v1, as the API's JSON error."""
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    messages = data.get("messages")
    if messages is not None:
        # A body or query string the schema refused: one entry per field.
        flat = {}
        for located in messages.values():
            flat.update(_flattened(located))
        whole = flat.pop("_body", None)
        if whole and not flat:
            return error_response(status, " ".join(whole))  # e.g. "Invalid JSON body."
        if whole:
            flat["_body"] = whole
        return error_response(status, "Some fields are not valid: see “fields”.", flat)
    headers = {}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="api"'
    if status == 405 and error.valid_methods:
        headers["Allow"] = ", ".join(error.valid_methods)
    return error_response(status, error.description or "", headers=headers)


def domain_error(error: DomainError):
    """A rule an operation enforces, as the API reports it: 404 for a record that is gone,
    403 for a record the actor may not change, 412 (or 409 without If-Match) for a stale
    version, else 422 naming the field."""
    if isinstance(error, NotFound):
        return error_response(404, error.message)
    if isinstance(error, NotPermitted):
        return error_response(403, error.message)
    if isinstance(error, StaleRecord):
        status = 412 if request.headers.get("If-Match") else 409
        record = error.record
        headers = {"ETag": etag_of(record)} if record is not None else {}
        return error_response(status, _stale_message(record), headers=headers)
    fields = {error.field: [error.message]} if error.field else {}
    return error_response(422, error.message, fields)


def _stale_message(record) -> str:
    noun = record_noun(record)
    version = getattr(record, "version", None)
    now = f" (it is at version {version} now)" if version is not None else ""
    return (
        f"The {noun} changed since the version you sent{now}, so nothing was changed. "
        "Read it again, then send your change with its new ETag in If-Match."
    )


# --- Signing in and the right to act ---------------------------------------------------------


def token_key() -> str:
    """Whose request budget a request spends: its token (hashed), else its address."""
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return "api:" + hashlib.sha256(header[7:].strip().encode()).hexdigest()
    return "api-address:" + get_remote_address()


def _api_rate() -> str:
    return current_app.config["API_RATE_LIMIT"]


_throttled = limiter.shared_limit(_api_rate, scope="api", key_func=token_key)


def _token():
    """The usable token this request carries, or a 401 error."""
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthorized(NO_TOKEN)
    token = usable_token(clean(secret.strip())[:200])
    if token is None:
        raise Unauthorized(BAD_TOKEN)
    return token


def api_user():
    """The user the request's token acts for (inside an API view)."""
    return g.api_token.user


def api_requires(permission: str):
    """Guard an API view: a usable token (401), able to write when the method writes (403),
    whose user's role grants `permission` (403); requests per token are throttled (429).
    Goes above the schema decorators, so a caller without the right learns nothing of
    what the body should hold."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            token = _token()
            if request.method not in SAFE_METHODS and token.read_only:
                raise Forbidden(READ_ONLY)
            if not can(token.user, permission):
                raise Forbidden(NOT_ALLOWED)
            g.api_token = token
            if auth_operations.mark_token_used(token):
                db.session.commit()
            return view(*args, **kwargs)

        wrapped.required_permission = permission
        return _throttled(wrapped)

    return decorator


# --- Versions --------------------------------------------------------------------------------


def etag_of(record) -> str:
    """A record's version as a strong entity tag: `"3"`."""
    return f'"{record.version}"'


def expected_version(record) -> int | None:
    """The version the client's `If-Match` names, for the operation's own check (None
    without If-Match, or with `*`). A tag that is no version of this record fails the
    check, so a stale or garbled If-Match never writes."""
    if_match = request.if_match
    if not request.headers.get("If-Match") or if_match.star_tag:
        return None
    if if_match.contains(str(record.version)):
        return record.version
    return -1


# --- Fields from columns ---------------------------------------------------------------------


class Amount(fields.Decimal):
    """A decimal number (money, a rate, a quantity), read from a JSON string or number and
    written as a string, so no digit is lost to a client's floats."""

    def __init__(self, *, digits: int = 16, places: int = 6, **kwargs):
        kwargs.setdefault("metadata", {})
        kwargs["metadata"] = {
            "type": "string",
            "format": "decimal",
            "pattern": rf"^-?[0-9]{{1,{digits}}}(\.[0-9]{{1,{places}}})?$",
            "example": "1250000.50",
            **kwargs["metadata"],
        }
        super().__init__(as_string=True, allow_nan=False, **kwargs)

    def _validated(self, value):
        if isinstance(value, bool):
            raise self.make_error("invalid")
        if isinstance(value, float):
            value = repr(value)  # 0.1 is "0.1", not 0.1000000000000000055…
        try:
            return super()._validated(value)
        except (InvalidOperation, ValueError, ArithmeticError):
            raise self.make_error("invalid") from None


class CleanString(fields.String):
    """Text as the forms take it: control characters are dropped on the way in."""

    def _deserialize(self, value, attr, data, **kwargs):
        return clean(super()._deserialize(value, attr, data, **kwargs))


def column_field(model: type, name: str, *, required: bool = False, **extra) -> fields.Field:
    """The request field for `model.name`, typed as its column: a text's length, a choice's
    values, an integer's range, a date. Nullable columns take null (to clear them)."""
    column = inspect(model).columns[name]
    kind = storage_type(column.type)
    info = column.info
    options: dict[str, Any] = {"required": required, "allow_none": not required}
    label = info.get("label")
    if label:
        options["metadata"] = {"description": label}
    if info.get("choices") is not None:
        field = CleanString(validate=validate.OneOf(info["choices"].values()), **options)
    elif isinstance(kind, Boolean):
        field = fields.Boolean(**options)
    elif isinstance(kind, DateTime):
        field = fields.AwareDateTime(**options)
    elif isinstance(kind, Date):
        field = fields.Date(**options)
    elif isinstance(kind, Numeric):  # money (ExactMoney is a NUMERIC), rates, quantities
        places = kind.scale or 0
        field = Amount(digits=(kind.precision or 19) - places, places=max(places, 1), **options)
    elif isinstance(kind, Integer):
        low = 1 if column.foreign_keys else -LARGEST_INTEGER
        field = fields.Integer(
            strict=True, validate=validate.Range(low, LARGEST_INTEGER), **options
        )
    elif isinstance(kind, String) and not isinstance(kind, Text) and kind.length:
        field = CleanString(validate=validate.Length(max=kind.length), **options)
    else:
        field = CleanString(**options)
    for key, value in extra.items():
        setattr(field, key, value)
    return field


def body_schema(
    name: str, model: type, names: Iterable[str], *, required: Iterable[str] = (), **more
) -> type[Schema]:
    """A request schema of `model`'s columns `names` (those in `required` must be given),
    plus the fields in `more`. Unknown keys are refused, so a typo is not silently lost."""
    required = set(required)
    attrs: dict[str, Any] = {
        field: column_field(model, field, required=field in required) for field in names
    }
    attrs.update(more)
    return Schema.from_dict(attrs, name=name)


# --- Ids and filters -------------------------------------------------------------------------

# A record's id in a body or a query: what an INTEGER key holds.
ID = {"strict": True, "validate": validate.Range(1, LARGEST_INTEGER)}


def id_list(**options) -> fields.List:
    return fields.List(fields.Integer(**ID), validate=validate.Length(max=500), **options)


def id_filter(description: str) -> fields.Integer:
    """A record's id in the query string (text there, so not `strict` as in a body)."""
    return fields.Integer(
        load_default=None,
        validate=validate.Range(1, LARGEST_INTEGER),
        metadata={"description": description},
    )


def text_filter(description: str, **options) -> fields.String:
    return CleanString(load_default="", metadata={"description": description}, **options)


# --- Lists -----------------------------------------------------------------------------------


class PageArgs(Schema):
    page = fields.Integer(
        load_default=1, validate=validate.Range(1, LAST_PAGE), metadata={"description": "From 1."}
    )
    per_page = fields.Integer(
        load_default=None,
        validate=validate.Range(1, MAX_PER_PAGE),
        metadata={"description": f"Records per page (default 50, at most {MAX_PER_PAGE})."},
    )
    dir = fields.String(
        load_default="asc",
        validate=validate.OneOf(["asc", "desc"]),
        metadata={"description": "Sort direction."},
    )


def list_args(name: str, sortable: Iterable[str], default: str, **filters) -> type[Schema]:
    """The query string of a list: its filters, `sort` (one of `sortable`), `dir`, `page`
    and `per_page`."""
    sort = fields.String(
        load_default=default,
        validate=validate.OneOf(list(sortable)),
        metadata={"description": "Sort by."},
    )
    return type(name, (PageArgs,), {"sort": sort, **filters})


def page_schema(name: str, item: type[Schema]) -> type[Schema]:
    """A page of records with the totals a client pages with."""
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item), required=True),
            "page": fields.Integer(required=True),
            "per_page": fields.Integer(required=True),
            "total": fields.Integer(required=True),
            "pages": fields.Integer(required=True),
        },
        name=name,
    )


@dataclass
class Page:
    items: list
    page: int
    per_page: int
    total: int
    pages: int


def page_of(
    query: Select,
    args: dict,
    sortable: dict,
    tiebreak,
    *,
    rows: bool = False,
    item: Callable[[Any], Any] | None = None,
) -> Page:
    """One page of `query`, sorted as `args` ask (empty values last, `tiebreak` for a stable
    order), with its total. With `rows` each result row is handed to `item`."""
    sorting = Sorting(args["sort"], args["dir"] == "desc")
    query = apply_sorting(query, sortable, sorting, tiebreak)
    per_page = args["per_page"] or current_app.config["PAGE_SIZE"]
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    offset = (args["page"] - 1) * per_page
    window = query.limit(per_page).offset(offset)
    if rows:
        found = [item(row) if item else row for row in db.session.execute(window).unique().all()]
    else:
        found = [item(r) if item else r for r in db.session.scalars(window).unique().all()]
    pages = max(1, -(-total // per_page))
    return Page(found, args["page"], per_page, total, pages)
