"""The input boundary: what a client sends is cleaned of control characters in one place.

Every query-string and form value passes through `clean` as the request parses it (see
`CleanRequest`), so no view, form, filter or lookup ever sees a NUL byte (PostgreSQL refuses
it in a bound parameter), an escape sequence or a bell. Tab, CR and LF stay: a text area
keeps its lines. Operations then fold line breaks out of single-line text (`single_line`),
so a title can never carry a header line into an e-mail, and normalise a multi-line text's
line ends (`multi_line`).
"""

import re

from flask import Request
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.routing import IntegerConverter

# C0 controls but tab, LF and CR; DEL and the C1 controls; lone surrogates (a JSON "\\ud800"
# escape, which no database can encode); the code points a text cannot hold.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
LINE_BREAKS = re.compile(r"[ \t]*(?:\r\n|\r|\n|\t|\u2028|\u2029)+[ \t]*")
LINE_END = re.compile(r"\r\n|\r|\u2028|\u2029")
# What an INTEGER column holds on every database we run on.
LARGEST_INTEGER = 2**31 - 1


def clean(text: str) -> str:
    """`text` without control characters (tab, CR and LF aside)."""
    return CONTROL.sub("", text)


def single_line(text: str) -> str:
    """`text` on one line: control characters removed, each run of line breaks and tabs
    folded into one space."""
    return LINE_BREAKS.sub(" ", clean(text))


def multi_line(text: str) -> str:
    """`text` with control characters removed and every line end a plain LF."""
    return LINE_END.sub("\n", clean(text))


class CleanParameters(ImmutableMultiDict):
    """The request's parameters (query string, form fields), every key and text value
    cleaned; uploaded files are left to the import checks."""

    def __init__(self, mapping=None):
        pairs = MultiDict(mapping).items(multi=True) if mapping is not None else ()
        super().__init__(
            (clean(key), clean(value) if isinstance(value, str) else value) for key, value in pairs
        )


class CleanRequest(Request):
    parameter_storage_class = CleanParameters


class IdConverter(IntegerConverter):
    """`<int:…>` in a route: a record's id, 1 to what an INTEGER column holds. Anything else
    (0, or a number too large for the column) is no record's id, so the route does not match
    (404) instead of failing in the database or reading as "no record yet"."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", LARGEST_INTEGER)
        super().__init__(map, *args, **kwargs)
