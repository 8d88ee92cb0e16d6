"""Importing records from CSV or XLSX files: the machinery every domain's import uses.

A domain declares an `ImportKind` beside its models (its columns, natural key, lookups,
and how a row is written, through the domain's operations). `parse_upload` reads a
file, types every cell, matches each row to an existing record by its natural key and
then writes each row through the operations inside a savepoint that is rolled back:
every rule the forms hold is checked on every row, with the same message, and nothing
is written. It returns a `Preview` of what would be created, what would be updated
(field by field) and every bad row with its line number and the reasons. `apply`
writes a preview without errors in one transaction: all of it, or on any failure
nothing.

Line numbers are spreadsheet rows: the header is line 1, the first data row line 2.

Untrusted files are checked before any parser sees them: the extension (.csv or
.xlsx), the size (`IMPORT_MAX_BYTES`), that the content matches the extension (an
XLSX is a zip archive, a CSV is not), and for an XLSX every archive member's
unpacked size, the total and the compression ratio (zip bombs) and any XML entity
declaration (XML bombs; openpyxl also parses through defusedxml). A CSV must be
UTF-8 text, with or without a byte-order mark.
"""

import csv
import hashlib
import io
import json
import logging
import math
import re
import secrets
import time
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from xml.parsers import expat

from flask import current_app
from openpyxl.utils import column_index_from_string, get_column_letter
from sqlalchemy import inspect

from tracker.core import derived
from tracker.core.codes import country_names, currency_codes
from tracker.core.errors import DomainError
from tracker.core.tables import looks_like_formula
from tracker.core.types import Choice
from tracker.core.values import email_address, longest, out_of_range, web_address
from tracker.extensions import db

log = logging.getLogger(__name__)

EXTENSIONS = (".csv", ".xlsx")
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_ROWS = 5_000
# An XLSX may unpack to at most this much in all, and no member may be compressed more
# than MAX_RATIO : 1 once it is over RATIO_FLOOR (real sheets compress 5–20 : 1).
DEFAULT_MAX_UNPACKED = 50 * 1024 * 1024
MAX_RATIO = 100
RATIO_FLOOR = 1024 * 1024
MAX_MEMBERS = 1_000
ZIP_MAGIC = b"PK\x03\x04"
# How far a file may reach beyond what a kind reads (see `SheetLimits`): as many blank lines
# as data rows, and this many columns more than the kind knows.
SPARE_COLUMNS = 10
# What openpyxl may be made to hold at once, whatever the file: the elements of one sheet
# row, and the elements of any other part of a workbook (styles, the workbook itself, what
# surrounds a sheet's cells). Real workbooks stay far below both.
ROW_ELEMENTS = 10_000
PART_ELEMENTS = 100_000
# Elements a cell's shared string may take (<si>, <t>, the odd run).
STRING_ELEMENTS = 3
# Characters one CSV line (or one record, when quoted values span lines) may hold for each
# column it may have: twice the longest text a column takes.
LINE_CHARACTERS_PER_COLUMN = 10_000
SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
PENDING_MAX_AGE = timedelta(hours=1)
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{20,64}")
PHONE_RE = re.compile(r"^\+?[0-9 ()./-]{6,30}$")
EXCEL_EPOCH = date(1899, 12, 30)


def _limit(name: str, default: int) -> int:
    return int(current_app.config.get(name) or default)


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


class FileRejected(Exception):
    """The whole file cannot be imported; the message says why, for the person uploading it."""


# --- Columns -------------------------------------------------------------------------


# The value types read as typed text, held to their column's length.
FREE_TEXT = frozenset({"text", "email", "url", "phone"})


@dataclass(frozen=True)
class Field:
    """A column of an import file.

    `attr` names what the value sets (a model attribute, or a reference the kind resolves).
    `value_type`: text, choice, country, currency, integer, decimal, date, email, url, boolean
    or phone. A required column must be in the file and filled in on every row.
    """

    header: str
    attr: str
    value_type: str = "text"
    required: bool = False
    choices: type[Choice] | None = None
    max_length: int | None = None
    minimum: Decimal | int | None = None
    maximum: Decimal | int | None = None
    places: int | None = None  # decimals allowed
    range_message: str | None = None  # the form's words for out of range, where it has its own
    help: str = ""
    aliases: tuple[str, ...] = ()

    def held_to(self, model: type) -> "Field":
        """This column with the limits of `model`'s column `attr` (its length, its `min` and
        `max`) where it sets none of its own: one rule for the form, the operation, the API
        and the import. A reference (a partner's name, say) keeps what it declares."""
        column = inspect(model).columns.get(self.attr)
        if column is None:
            return self
        return replace(
            self,
            max_length=self.max_length
            or (longest(column) if self.value_type in FREE_TEXT else None),
            minimum=self.minimum if self.minimum is not None else column.info.get("min"),
            maximum=self.maximum if self.maximum is not None else column.info.get("max"),
        )

    def describe(self) -> str:
        """What the column accepts, in words, for the import page and the template."""
        if self.choices is not None:
            return "One of: " + ", ".join(label for _, label in self.choices.choices())
        text = {
            "text": "Text" + (f", up to {self.max_length} characters" if self.max_length else ""),
            "country": "ISO country code, e.g. HU, SK, MX",
            "currency": "ISO currency code, e.g. EUR, HUF, MXN",
            "integer": "Whole number",
            "decimal": "Number, e.g. 1250000.50",
            "date": "Date, YYYY-MM-DD (or an Excel date)",
            "email": "E-mail address",
            "url": "Web address starting https://",
            "boolean": "Yes or No",
            "phone": "Phone number, e.g. +36 1 234 5678",
        }[self.value_type]
        if self.minimum is not None and self.maximum is not None:
            text += f" from {self.minimum} to {self.maximum}"
        elif self.minimum is not None:
            text += f", at least {self.minimum}"
        return text + (f". {self.help}" if self.help else "")


def _normal(header: str) -> str:
    return re.sub(r"[\s_]+", " ", str(header).strip().lower().rstrip("*").strip())


def _blank(raw: Any) -> bool:
    if raw is None:
        return True
    if isinstance(raw, float) and math.isnan(raw):
        return True
    if isinstance(raw, str):
        return raw.strip() == ""
    try:
        import pandas as pd

        return bool(pd.isna(raw))
    except (TypeError, ValueError):
        return False


def _text(raw: Any) -> str:
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)  # a number typed into a text column of a spreadsheet
    if isinstance(raw, datetime):
        raw = raw.date() if raw.time() == datetime.min.time() else raw
    if isinstance(raw, date):
        return raw.isoformat()
    text = str(raw).strip()
    # Undo the apostrophe our exports put before formula-looking text (the same rule).
    if text.startswith("'") and looks_like_formula(text[1:]):
        text = text[1:]
    return text


# Words our exports use for a value whose label would read as an empty cell.
CHOICE_ALIASES = {"no clawback": "none"}


def _choice(choice_class: type[Choice], text: str) -> str:
    wanted = _normal(CHOICE_ALIASES.get(_normal(text), text))
    for value, label in choice_class.choices():
        if wanted in (_normal(value), _normal(label)):
            return value
    raise ValueError(
        f"“{text}” is not one of: " + ", ".join(label for _, label in choice_class.choices())
    )


def _decimal(raw: Any, spec: Field) -> Decimal:
    if isinstance(raw, bool):
        raise ValueError(f"“{raw}” is not a number")
    if isinstance(raw, (int, float)):
        value = Decimal(str(raw))
    else:
        text = _text(raw).replace(" ", "").replace("\u00a0", "")
        if re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?", text):
            text = text.replace(",", "")  # 1,250,000.50
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"“{_text(raw)}” is not a number (write e.g. 1250000.50)") from None
    if not value.is_finite():
        raise ValueError(f"“{_text(raw)}” is not a number")
    if spec.places is not None:
        exponent = value.normalize().as_tuple().exponent
        if isinstance(exponent, int) and -exponent > spec.places:
            raise ValueError(f"{value} has more than {spec.places} decimals")
    return value


def _integer(raw: Any) -> int:
    if isinstance(raw, bool):
        raise ValueError(f"“{raw}” is not a whole number")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    text = _text(raw)
    if re.fullmatch(r"-?\d+(\.0+)?", text):
        return int(Decimal(text))
    raise ValueError(f"“{text}” is not a whole number")


def _date(raw: Any) -> date:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        if 1 <= raw <= 2_958_465:  # Excel's serial day numbers, 1900-01-01 to 9999-12-31
            return EXCEL_EPOCH + timedelta(days=int(raw))
        raise ValueError(f"“{raw}” is not a date (write YYYY-MM-DD)")
    text = _text(raw)
    match = re.fullmatch(r"(\d{4}-\d{2}-\d{2})(?:[ T]00:00(?::00)?)?", text)
    if match:
        try:
            return date.fromisoformat(match.group(1))
        except ValueError:
            pass
    raise ValueError(f"“{text}” is not a date (write YYYY-MM-DD, e.g. 2026-03-31)")


def convert(spec: Field, raw: Any) -> Any:
    """The typed value of one cell, or None when it is empty; ValueError with a reason."""
    if _blank(raw):
        return None
    kind = spec.value_type
    if kind in ("decimal", "integer"):
        value = _decimal(raw, spec) if kind == "decimal" else _integer(raw)
        below = spec.minimum is not None and value < spec.minimum
        above = spec.maximum is not None and value > spec.maximum
        if below or above:
            raise ValueError(spec.range_message or out_of_range(spec.minimum, spec.maximum))
        return value
    if kind == "date":
        return _date(raw)
    if kind == "boolean":
        if isinstance(raw, bool):
            return raw
        text = _text(raw).lower()
        if text in ("yes", "y", "true", "1", "x"):
            return True
        if text in ("no", "n", "false", "0"):
            return False
        raise ValueError(f"“{_text(raw)}” is not Yes or No")
    text = _text(raw)
    if spec.max_length and len(text) > spec.max_length:
        raise ValueError(f"is {len(text)} characters long; at most {spec.max_length} fit")
    if kind == "choice":
        return _choice(spec.choices, text)
    if kind == "country":
        code = text.upper()
        if code in country_names():
            return code
        by_name = {name.lower(): code for code, name in country_names().items()}
        if text.lower() in by_name:
            return by_name[text.lower()]
        raise ValueError(f"“{text}” is not an ISO country code (e.g. HU, SK, CZ, PL, MX)")
    if kind == "currency":
        if text.upper() in currency_codes():
            return text.upper()
        raise ValueError(f"“{text}” is not an ISO currency code (e.g. EUR, HUF, MXN)")
    if kind == "email":
        return email_address(text)
    if kind == "url":
        return web_address(text)
    if kind == "phone" and not PHONE_RE.match(text):
        raise ValueError(f"“{text}” is not a phone number")
    return text


def display(value: Any) -> str | None:
    """A value as the preview and the audit trail show it."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, Decimal):
        return (
            format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")
        )
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def _same(old: Any, new: Any) -> bool:
    if old in ("", None) and new in ("", None):
        return True
    if isinstance(old, Decimal) or isinstance(new, Decimal):
        return old is not None and new is not None and Decimal(old) == Decimal(new)
    return old == new


# --- The preview -----------------------------------------------------------------------


@dataclass
class Change:
    header: str
    old: str | None
    new: str | None


@dataclass
class RowPlan:
    """What one good row will do: create a record, update one (with its changes), or nothing."""

    line: int
    action: str  # create | update | unchanged
    label: str
    values: dict[str, Any]  # attribute → typed value, references resolved to ids
    changes: list[Change] = field(default_factory=list)
    record_id: int | None = None
    parent_id: int | None = None  # the partner of a contact, the commitment of a milestone


@dataclass
class RowError:
    line: int
    label: str | None
    reasons: list[str]


@dataclass
class Preview:
    spec: "ImportKind"
    filename: str
    rows: int = 0
    columns: list[str] = field(default_factory=list)
    plans: list[RowPlan] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)

    @property
    def creates(self) -> list[RowPlan]:
        return [plan for plan in self.plans if plan.action == "create"]

    @property
    def updates(self) -> list[RowPlan]:
        return [plan for plan in self.plans if plan.action == "update"]

    @property
    def unchanged(self) -> list[RowPlan]:
        return [plan for plan in self.plans if plan.action == "unchanged"]

    @property
    def ok(self) -> bool:
        """True when nothing stands in the way: no file problem and no bad row."""
        return not self.file_errors and not self.errors and self.rows > 0

    @property
    def kind(self) -> str:
        return self.spec.name

    def digest(self) -> str:
        """A fingerprint of what applying would do, to notice when the database moved on."""
        content = [
            [
                plan.line,
                plan.action,
                plan.record_id,
                plan.parent_id,
                {attr: display(value) for attr, value in plan.values.items()},
                [vars(change) for change in plan.changes],
            ]
            for plan in self.plans
        ]
        content.append([[e.line, e.reasons] for e in self.errors])
        payload = json.dumps(content, default=str, sort_keys=True).encode()
        return hashlib.sha256(payload).hexdigest()

    def summary(self) -> str:
        return (
            f"{self.spec.noun}: {len(self.creates)} to create, {len(self.updates)} to update, "
            f"{len(self.unchanged)} unchanged, {len(self.errors)} bad row"
            f"{'s' if len(self.errors) != 1 else ''}"
        )


class Row:
    """The typed cells of one row, with the reasons any of them were refused."""

    def __init__(self, line: int, values: dict[str, Any], present: set[str]):
        self.line = line
        self.values = values  # attr → typed value (None when empty)
        self.present = present  # attrs whose column is in the file
        self.reasons: list[str] = []

    def get(self, attr: str, default=None):
        value = self.values.get(attr)
        return default if value is None else value

    def has(self, attr: str) -> bool:
        return attr in self.present


@dataclass
class Context:
    """What a kind looks up once per file instead of once per row."""

    user: Any
    lookups: dict[str, Any] = field(default_factory=dict)
    positions: dict[int, int] = field(default_factory=lambda: defaultdict(int))


# --- The kinds ---------------------------------------------------------------------------


class ImportKind:
    """What one kind of record needs: its columns, natural key, lookups, checks and writes."""

    name: str
    noun: str
    permission: str
    fields: list[Field]
    key_help: str
    list_endpoint: str
    # The record a row writes: its columns' limits become its fields' (`Field.held_to`).
    model: type | None = None
    # An operation's field → the column that names it in the file (a partner's id, say, by
    # the column of its name), so a refusal on that field is led by that column's header.
    refers: dict[str, str] = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.model is not None:
            cls.fields = [spec.held_to(cls.model) for spec in cls.fields]

    def prepare(self, context: Context) -> None:
        """Load what the rows refer to, in a fixed number of queries."""

    def key(self, row: Row) -> tuple:
        raise NotImplementedError

    def label(self, row: Row) -> str:
        raise NotImplementedError

    def plan(self, row: Row, context: Context) -> RowPlan | None:
        """Resolve references, run the domain checks, match the existing record, and diff.

        Returns None after adding reasons to `row` when the row cannot be imported.
        """
        raise NotImplementedError

    def write(self, plan: RowPlan, context: Context) -> None:
        """Create or update the record through the domain's operations (`context.user`
        acts); a `DomainError` is the row's reason, worded as the form words it."""
        raise NotImplementedError

    def may_import(self, user) -> bool:
        """Whether `user` may import this kind at all; None (the command line) always may."""
        return True

    def reason(self, error: DomainError) -> str:
        """An operation's refusal as a row's reason, led by the column it concerns."""
        headers = {spec.attr: spec.header for spec in self.fields}
        field = error.field or ""
        header = headers.get(self.refers.get(field, field))
        return f"{header}: {error.message}" if header else error.message

    _shown: dict[str, Any] = {}

    def planned(
        self,
        row: Row,
        values: dict[str, Any],
        existing,
        *,
        matched_by: str | None = None,
        parent_id: int | None = None,
    ) -> RowPlan:
        """A good row's plan: create a record, or update `existing` where the row changes
        it ("unchanged" where it does not). `matched_by` is the key column the row found
        `existing` by, case-insensitively: the stored spelling stays."""
        plan = RowPlan(row.line, "create", self.label(row), values, parent_id=parent_id)
        if existing is not None:
            if matched_by is not None:
                values.pop(matched_by, None)
            plan.record_id = existing.id
            plan.changes = diff(existing, row, self.fields, values, self._shown)
            plan.action = "update" if plan.changes else "unchanged"
        return plan

    def shown_values(self, plan: RowPlan) -> list[tuple[str, str]]:
        """The values a new record gets, as (column, text) for the preview."""
        headers = {spec.attr: spec.header for spec in self.fields}
        shown = []
        for attr, value in plan.values.items():
            if attr in headers and value is not None:
                shown.append((headers[attr], self._shown.get(attr, display)(value)))
        return shown

    @property
    def required(self) -> list[Field]:
        return [f for f in self.fields if f.required]

    def field_for(self, header: str) -> Field | None:
        wanted = _normal(header)
        for spec in self.fields:
            if wanted in (_normal(spec.header), _normal(spec.attr), *map(_normal, spec.aliases)):
                return spec
        return None


def diff(record, row: Row, fields: list[Field], values: dict[str, Any], shown=None) -> list:
    """Changes the row makes to `record`, for the columns present in the file."""
    changes = []
    for spec in fields:
        if spec.attr not in values:
            continue
        old, new = getattr(record, spec.attr), values[spec.attr]
        if not _same(old, new):
            show = (shown or {}).get(spec.attr, display)
            changes.append(Change(spec.header, show(old), show(new)))
    return changes


def settle(values: dict, existing, defaults: dict) -> None:
    """Empty cells: on a new record, the defaults where there are any; on an existing one,
    nothing, so a sparse file never wipes what is stored."""
    if existing is None:
        for attr, default in defaults.items():
            if values.get(attr) is None:
                values[attr] = default
    else:
        for attr in [attr for attr, value in values.items() if value is None]:
            del values[attr]


def choice_label(choice_class):
    def show(value):
        if value is None:
            return None
        try:
            return choice_class(value).label
        except ValueError:
            return str(value)

    return show


# --- Reading the file ---------------------------------------------------------------------


@dataclass(frozen=True)
class SheetLimits:
    """How far a file may reach: its last line (the header and blank lines count) and its
    last column. Checked while the file streams in, so a sparse sheet that names a cell at
    XFD1048576 is refused before anything of its size is built."""

    lines: int
    columns: int

    @classmethod
    def of(cls, spec: "ImportKind") -> "SheetLimits":
        """For a file of `spec`: the header, `IMPORT_MAX_ROWS` data rows and as many blank
        lines; the kind's columns and `SPARE_COLUMNS` more."""
        rows = _limit("IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS)
        return cls(lines=1 + 2 * rows, columns=len(spec.fields) + SPARE_COLUMNS)

    @property
    def line_characters(self) -> int:
        return self.columns * LINE_CHARACTERS_PER_COLUMN

    def too_far_down(self, line: int, where: str = "sheet") -> FileRejected:
        return FileRejected(
            f"The {where} goes on to line {line:,}; at most {self.lines:,} lines are read "
            "(blank ones count too). Delete what is below your data, or split the file into "
            "smaller ones."
        )

    def too_far_right(self, column: int, line: int | None = None) -> FileRejected:
        where = f"Line {line:,} reaches" if line else "The sheet reaches"
        return FileRejected(
            f"{where} column {get_column_letter(min(column, 18_278))} (column {column:,}); at "
            f"most {self.columns} columns are read. Delete what is to the right of your data."
        )


def check_upload(filename: str, data: bytes, limits: SheetLimits | None = None) -> str:
    """Refuse what no parser should see; return the extension (".csv" or ".xlsx")."""
    extension = Path(filename or "").suffix.lower()
    if extension not in EXTENSIONS:
        shown = Path(filename or "").name or "the file"
        raise FileRejected(
            f"Only .csv and .xlsx files can be imported, and {shown} is neither. "
            "Save it from your spreadsheet as “CSV UTF-8” or as an Excel workbook (.xlsx)."
        )
    if not data:
        raise FileRejected("The file is empty.")
    limit = _limit("IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES)
    if len(data) > limit:
        raise FileRejected(
            f"The file is {_megabytes(len(data))}; at most {_megabytes(limit)} can be imported. "
            "Split it into smaller files."
        )
    if extension == ".xlsx":
        if not data.startswith(ZIP_MAGIC):
            raise FileRejected(
                "The file is named .xlsx but is not an Excel workbook (an .xlsx file is a zip "
                "archive). Open it in your spreadsheet and save it as .xlsx or as CSV UTF-8."
            )
        check_archive(data, limits)
    else:
        if data.startswith(ZIP_MAGIC):
            raise FileRejected(
                "The file is named .csv but is a zip archive, perhaps an Excel workbook: "
                "save it as CSV UTF-8, or upload it with the .xlsx extension."
            )
        if b"\x00" in data[:8192]:
            raise FileRejected("The file is named .csv but holds binary data, not text.")
    return extension


XML_BOMB = (
    "The workbook declares XML entities (a DTD), which spreadsheets do not write; refused as "
    "a possible XML bomb."
)


def check_archive(data: bytes, limits: SheetLimits | None = None) -> None:
    """Refuse zip and XML bombs before openpyxl opens the workbook.

    Python's zipfile never unpacks a member beyond its declared size, so checking the
    declared sizes bounds what openpyxl can be made to read. Every XML part then streams
    through expat once, element by element and without building anything, to refuse a DTD
    and any part with more elements than openpyxl may be made to hold (`PART_ELEMENTS`;
    the shared strings may have a few for every cell `limits` allow), and every sheet's
    rows and cells past `limits` (`_scan_part`). Every sheet, not only the first that is
    imported: opening a workbook, openpyxl reads each sheet up to its declared dimension,
    and through all its cells when it declares none.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError):
        raise FileRejected("The workbook is damaged: it is not a readable zip archive.") from None
    with archive:
        members = archive.infolist()
        if len(members) > MAX_MEMBERS:
            raise FileRejected(f"The workbook holds {len(members)} parts; refused.")
        limit = _limit("IMPORT_MAX_UNPACKED_BYTES", DEFAULT_MAX_UNPACKED)
        total = sum(member.file_size for member in members)
        if total > limit:
            raise FileRejected(
                f"The workbook would unpack to {_megabytes(total)}, more than the "
                f"{_megabytes(limit)} allowed; refused as a possible zip bomb."
            )
        for member in members:
            ratio = member.file_size / max(member.compress_size, 1)
            if member.file_size > RATIO_FLOOR and ratio > MAX_RATIO:
                raise FileRejected(
                    f"A part of the workbook ({member.filename}) is compressed {ratio:,.0f} "
                    f"to 1; refused as a possible zip bomb."
                )
        names = {member.filename for member in members}
        if "xl/workbook.xml" not in names:
            raise FileRejected("The file is a zip archive but not an Excel workbook.")
        strings = PART_ELEMENTS
        if limits is not None:
            strings += STRING_ELEMENTS * limits.lines * limits.columns
        for member in members:
            if member.filename.endswith((".xml", ".rels", ".vml")):
                budget = strings if member.filename == "xl/sharedStrings.xml" else PART_ELEMENTS
                _scan_part(archive, member, budget, limits)


ROW = f"{SHEET_NS}}}row"
CELL = f"{SHEET_NS}}}c"
CELL_REFERENCE = re.compile(r"\$?([A-Za-z]{1,3})\$?\d+")


def _stream_xml(stream, name: str, start, end=None) -> None:
    """Feed an XML part to expat in pieces, namespaces resolved ("{uri}}tag" without the
    opening brace), calling `start(name, attributes)` and `end(name)` on each element. A DTD
    is refused as an XML bomb; XML that is not well formed as a damaged workbook."""

    def refuse_dtd(*args) -> None:
        raise FileRejected(XML_BOMB)

    parser = expat.ParserCreate(namespace_separator="}")
    parser.StartDoctypeDeclHandler = refuse_dtd
    parser.StartElementHandler = start
    if end is not None:
        parser.EndElementHandler = end
    try:
        with stream:
            while chunk := stream.read(1 << 16):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except (expat.ExpatError, zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError):
        raise FileRejected(f"The workbook is damaged: {name} cannot be read.") from None


def _scan_part(
    archive: zipfile.ZipFile,
    member: zipfile.ZipInfo,
    budget: int,
    limits: SheetLimits | None,
) -> None:
    """Stream one XML part through expat, refusing it at its first element past `budget`
    outside a sheet's rows; and in a sheet's rows, at the first row past `limits.lines`,
    the first cell past `limits.columns` (or a row with more cells than that, which cells
    without a reference could otherwise make), or a row of more than `ROW_ELEMENTS`
    elements. Nothing is built, so the refusal costs only the bytes read so far."""
    count = line = column = cells = elements = 0
    in_row = False

    def start(tag: str, attributes: dict) -> None:
        nonlocal count, line, column, cells, elements, in_row
        if tag == ROW and limits is not None:
            line = _row_number(attributes.get("r"), line + 1)
            if line > limits.lines:
                raise limits.too_far_down(line)
            in_row, column, cells, elements = True, 0, 0, 0
        elif not in_row:
            count += 1
            if count > budget:
                raise FileRejected(
                    f"A part of the workbook ({member.filename}) holds more than {budget:,} "
                    "XML elements, far more than a spreadsheet writes; refused."
                )
        else:
            elements += 1
            if elements > ROW_ELEMENTS:
                raise FileRejected(
                    f"Line {line:,} of the sheet holds more than {ROW_ELEMENTS:,} XML "
                    "elements, far more than a spreadsheet writes; refused."
                )
            if tag == CELL:
                cells += 1
                reference = CELL_REFERENCE.fullmatch(attributes.get("r") or "")
                column = column_index_from_string(reference.group(1)) if reference else column + 1
                if column > limits.columns or cells > limits.columns:
                    raise limits.too_far_right(max(column, cells), line)

    def end(tag: str) -> None:
        nonlocal in_row
        if tag == ROW:
            in_row = False

    _stream_xml(archive.open(member), member.filename, start, end)


def _row_number(text: str | None, following: int) -> int:
    """A row's number as openpyxl reads it: its `r`, or the one after the last."""
    if not text:
        return following
    try:
        number = float(text)
    except ValueError:
        raise FileRejected(f"The workbook is damaged: “{text[:20]}” is not a row number.") from None
    if not number.is_integer() or number > 2**62:
        raise FileRejected(f"The workbook is damaged: “{text[:20]}” is not a row number.")
    return int(number)


def _read_csv(data: bytes, limits: SheetLimits) -> list[list[Any]]:
    """Every record of a CSV file, read one at a time: refused at the first line past
    `limits.lines`, a record longer than `limits.line_characters` (before the csv module
    splits it), or one holding a value past `limits.columns` (empty trailing fields beyond
    are dropped)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FileRejected(
            f"The file is not UTF-8 text (byte {error.start + 1} is not valid). In Excel, save "
            "it with “Save as › CSV UTF-8 (comma delimited)”."
        ) from None
    end = text.find("\n", 0, limits.line_characters)
    first_line = text[: end if end >= 0 else limits.line_characters]
    separator = max((",", ";", "\t"), key=first_line.count)
    lines = _Lines(text, limits)
    reader = csv.reader(lines, delimiter=separator, strict=True)
    records: list[list[Any]] = []
    try:
        for line, record in enumerate(reader, start=1):
            lines.record_done(line + 1)
            if line > limits.lines:
                raise limits.too_far_down(line, "file")
            if len(record) > limits.columns:
                if any(value.strip() for value in record[limits.columns :]):
                    last = max(i for i, value in enumerate(record, 1) if value.strip())
                    raise limits.too_far_right(last, line)
                del record[limits.columns :]
            records.append(record)
    except csv.Error as error:
        detail = str(error)
        if "field larger than field limit" in detail:
            detail = f"a value is longer than {csv.field_size_limit():,} characters"
        raise FileRejected(
            f"The CSV file cannot be read: {detail} (line {lines.record:,})."
        ) from None
    if all(not record for record in records):
        raise FileRejected("The file is empty.")
    return records


class _Lines:
    """A CSV text's lines for the csv module, ends kept, sliced one at a time rather than
    copied whole; refuses a record (a line, or the lines a quoted value joins) longer
    than the limits allow before the csv module splits it into values."""

    def __init__(self, text: str, limits: SheetLimits):
        self.text, self.limits = text, limits
        self.record, self.characters = 1, 0
        self.newline = "\n" if "\n" in text or "\r" not in text else "\r"

    def record_done(self, following: int) -> None:
        self.record, self.characters = following, 0

    def __iter__(self):
        text, start = self.text, 0
        budget = self.limits.line_characters
        while start < len(text):
            end = text.find(self.newline, start)
            end = len(text) if end < 0 else end + 1
            self.characters += end - start
            if self.characters > budget:
                raise FileRejected(
                    f"Line {self.record:,} is longer than {budget:,} characters, more than "
                    f"{self.limits.columns} columns can hold; refused."
                )
            yield text[start:end]
            start = end


def _read_xlsx(data: bytes, limits: SheetLimits) -> list[list[Any]]:
    """The first sheet's rows, read by openpyxl in read-only (streaming) mode.

    `check_archive` has already held every row number and cell column to `limits`; the
    sheet's declared dimension is held to them here, and then ignored: openpyxl reads as
    far as the cells really reach, so a sparse sheet never becomes a grid.
    """
    import openpyxl

    workbook = None
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        if not workbook.worksheets:
            raise FileRejected("The workbook has no sheet to read.")
        sheet = workbook.worksheets[0]
        if (sheet.max_row or 0) > limits.lines:
            raise limits.too_far_down(sheet.max_row)
        if (sheet.max_column or 0) > limits.columns:
            raise limits.too_far_right(sheet.max_column)
        sheet.reset_dimensions()
        return [[_cell_value(cell) for cell in row] for row in sheet.iter_rows()]
    except FileRejected:
        raise
    except Exception as error:  # any failure to parse an untrusted workbook is the file's
        log.info("XLSX import refused: %r", error)
        if _defused(error):
            raise FileRejected(XML_BOMB) from None
        raise FileRejected(f"The workbook cannot be read ({type(error).__name__}).") from None
    finally:
        if workbook is not None:
            workbook.close()


def _cell_value(cell) -> Any:
    """A cell's value as the rows carry it: a formula's error is an empty cell, a whole
    number an int (as pandas read them before)."""
    if cell.data_type == "e":
        return None
    value = cell.value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _defused(error: BaseException | None) -> bool:
    """Whether defusedxml refused the XML somewhere down the chain of causes."""
    from defusedxml import DefusedXmlException

    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, DefusedXmlException):
            return True
        error, seen = error.__cause__ or error.__context__, seen + 1
    return False


def read_table(
    filename: str, data: bytes, limits: SheetLimits
) -> tuple[list[str], list[tuple[int, list[Any]]]]:
    """The header and the non-empty data rows, each with its line number; or FileRejected."""
    extension = check_upload(filename, data, limits)
    records = _read_csv(data, limits) if extension == ".csv" else _read_xlsx(data, limits)
    if not records:
        raise FileRejected("The file is empty.")
    width = max(len(record) for record in records)
    header = list(records[0]) + [None] * (width - len(records[0]))
    # Drop trailing columns that have neither a header nor any value.
    while header and _blank(header[-1]) and all(_blank(_at(r, len(header) - 1)) for r in records):
        header.pop()
    if not header:
        raise FileRejected("The first row must name the columns, and it is empty.")
    rows = []
    for index, record in enumerate(records[1:], start=2):
        cells = list(record[: len(header)])
        if any(not _blank(cell) for cell in cells):
            rows.append((index, cells + [None] * (len(header) - len(cells))))
    return [("" if _blank(h) else _text(h)) for h in header], rows


def _at(record: list[Any], index: int) -> Any:
    return record[index] if index < len(record) else None


# --- Preview and apply --------------------------------------------------------------------


def parse_upload(spec: ImportKind, filename: str, data: bytes, user=None) -> Preview:
    """Read and check a file; nothing is written.

    `user` is who imports (their permissions on each record are checked, e.g. a programme
    owner's milestones); None means the command line, which may change everything.
    """
    preview = Preview(spec=spec, filename=Path(filename or "").name)
    try:
        headers, rows = read_table(filename, data, SheetLimits.of(spec))
        columns = _match_columns(spec, headers)
    except FileRejected as error:
        preview.file_errors.append(str(error))
        return preview
    preview.columns = [spec_field.header for spec_field in columns if spec_field is not None]
    preview.rows = len(rows)
    max_rows = _limit("IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS)
    if not rows:
        preview.file_errors.append("The file has a header but no rows to import.")
        return preview
    if len(rows) > max_rows:
        preview.file_errors.append(
            f"The file has {len(rows):,} rows; at most {max_rows:,} can be imported at once. "
            "Split it into smaller files."
        )
        return preview
    context = Context(user=user)
    spec.prepare(context)
    seen: dict[tuple, int] = {}
    present = {spec_field.attr for spec_field in columns if spec_field is not None}
    # Every row is written through the operations and undone: the rules are checked
    # exactly as the forms check them, later rows seeing what earlier ones would write.
    dry_run = db.session.begin_nested()
    try:
        # What these writes would change in the stored state is not derived: they are undone.
        with derived.deferred(discard=True):
            for line, cells in rows:
                row = _typed_row(spec, columns, line, cells, present)
                plan = None
                if not row.reasons:
                    key = spec.key(row)
                    if key in seen:
                        row.reasons.append(
                            f"Same {spec.noun[:-1]} as line {seen[key]}: "
                            "each may appear once in a file"
                        )
                    else:
                        seen[key] = line
                        plan = spec.plan(row, context)
                if plan is not None and not row.reasons and plan.action != "unchanged":
                    _try_write(spec, plan, context, row)
                if row.reasons or plan is None:
                    reasons = row.reasons or ["Cannot be imported"]
                    preview.errors.append(RowError(line, spec.label(row), reasons))
                else:
                    preview.plans.append(plan)
    finally:
        dry_run.rollback()
    return preview


def _try_write(spec: ImportKind, plan: RowPlan, context: Context, row: Row) -> None:
    try:
        with db.session.begin_nested():
            spec.write(plan, context)
            db.session.flush()
    except DomainError as error:
        row.reasons.append(spec.reason(error))


def _match_columns(spec: ImportKind, headers: list[str]) -> list[Field | None]:
    columns: list[Field | None] = []
    unknown, seen = [], {}
    for position, header in enumerate(headers, start=1):
        if not header:
            raise FileRejected(
                f"Column {position} has values but no header. The first row must name every column."
            )
        spec_field = spec.field_for(header)
        if spec_field is None:
            unknown.append(header)
        elif spec_field.attr in seen:
            raise FileRejected(f"The column {header} appears twice.")
        else:
            seen[spec_field.attr] = header
        columns.append(spec_field)
    problems = []
    if unknown:
        problems.append(
            "Unknown column"
            + ("s " if len(unknown) > 1 else " ")
            + ", ".join(f"“{h}”" for h in unknown)
            + f". The columns for {spec.noun} are: "
            + ", ".join(f.header for f in spec.fields)
            + "."
        )
    missing = [f.header for f in spec.required if f.attr not in seen]
    if missing:
        problems.append(
            "Missing required column" + ("s " if len(missing) > 1 else " ") + ", ".join(missing)
        )
    if problems:
        raise FileRejected(" ".join(problems))
    return columns


def _typed_row(
    spec: ImportKind, columns: list[Field | None], line: int, cells: list, present: set[str]
) -> Row:
    values: dict[str, Any] = {}
    reasons = []
    for spec_field, raw in zip(columns, cells, strict=False):
        if spec_field is None:
            continue
        try:
            values[spec_field.attr] = convert(spec_field, raw)
        except ValueError as error:
            reasons.append(f"{spec_field.header}: {error}")
            values[spec_field.attr] = None
            continue
        if spec_field.required and values[spec_field.attr] is None:
            reasons.append(f"{spec_field.header} is required")
    row = Row(line, values, present)
    row.reasons.extend(reasons)
    return row


class ImportFailed(Exception):
    """Applying failed and everything was rolled back; the message says what happened."""


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int


def apply(preview: Preview, user=None) -> ImportResult:
    """Write a preview without errors, all of it in one transaction, and commit.

    Any failure rolls back everything this import wrote and raises `ImportFailed`.
    """
    if not preview.ok:
        raise ImportFailed("The file has problems; fix them and preview it again.")
    spec = preview.spec
    context = Context(user=user)
    try:
        with derived.deferred():  # derived once for the whole file, not row by row
            for plan in sorted(preview.plans, key=lambda p: p.line):
                if plan.action != "unchanged":
                    spec.write(plan, context)
            db.session.flush()
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        raise ImportFailed(
            f"The import stopped and nothing was written: {error.message} "
            "The data changed since the preview; preview the file again."
        ) from error
    except Exception as error:
        db.session.rollback()
        log.exception("import of %s failed; rolled back", preview.kind)
        raise ImportFailed(
            f"The import failed and nothing was written ({type(error).__name__}). "
            "Check the file and try again."
        ) from error
    return ImportResult(len(preview.creates), len(preview.updates), len(preview.unchanged))


# --- Templates --------------------------------------------------------------------------------


def template_bytes(spec: ImportKind, fmt: str) -> bytes:
    """An empty file with the kind's columns; the XLSX adds a sheet describing each one."""
    from tracker.core.tables import Column, Sheet, export_bytes, write_workbook

    columns = [Column(f.header, lambda row: None) for f in spec.fields]
    if fmt == "csv":
        return export_bytes([], columns, "csv", sheet=spec.noun)
    described = [
        [spec_field.header, "Yes" if spec_field.required else "", spec_field.describe()]
        for spec_field in spec.fields
    ] + [["", "", ""], ["Matching", "", spec.key_help]]
    help_columns = [
        Column(heading, lambda row, index=index: row[index] or None)
        for index, heading in enumerate(["Column", "Required", "What it takes"])
    ]
    return write_workbook(
        [Sheet(spec.noun, columns, []), Sheet("Columns", help_columns, described, (28, 10, 90))]
    )


# --- Uploads waiting for confirmation -----------------------------------------------------------


def _pending_dir() -> Path:
    """`IMPORT_PENDING_DIR`, by default `imports/` in the instance folder."""
    configured = current_app.config.get("IMPORT_PENDING_DIR")
    path = Path(configured) if configured else Path(current_app.instance_path) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def sweep_pending(now: float | None = None) -> None:
    """Delete uploads older than an hour that were never confirmed."""
    cutoff = (now or time.time()) - PENDING_MAX_AGE.total_seconds()
    for path in _pending_dir().iterdir():
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except FileNotFoundError:
            pass


def save_pending(preview: Preview, data: bytes, user_id: int) -> str:
    """Keep the uploaded bytes server-side until the user confirms; returns the token."""
    sweep_pending()
    token = secrets.token_urlsafe(24)
    directory = _pending_dir()
    extension = Path(preview.filename).suffix.lower()
    (directory / f"{token}{extension}").write_bytes(data)
    meta = {
        "user_id": user_id,
        "kind": preview.kind,
        "filename": preview.filename,
        "extension": extension,
        "created": time.time(),
        "digest": preview.digest(),
    }
    (directory / f"{token}.json").write_text(json.dumps(meta))
    return token


@dataclass(frozen=True)
class Pending:
    token: str
    kind: str
    filename: str
    data: bytes
    digest: str


def load_pending(token: str, user_id: int) -> Pending | None:
    """The upload behind `token` if it is this user's and under an hour old; else None."""
    if not token or not TOKEN_RE.fullmatch(token):
        return None
    directory = _pending_dir()
    try:
        meta = json.loads((directory / f"{token}.json").read_text())
        if meta["user_id"] != user_id or meta["extension"] not in EXTENSIONS:
            return None
        if time.time() - meta["created"] > PENDING_MAX_AGE.total_seconds():
            discard_pending(token, user_id)
            return None
        data = (directory / f"{token}{meta['extension']}").read_bytes()
    except (OSError, ValueError, KeyError):
        return None
    return Pending(token, meta["kind"], meta["filename"], data, meta["digest"])


def update_pending_digest(token: str, digest: str) -> None:
    path = _pending_dir() / f"{token}.json"
    meta = json.loads(path.read_text())
    meta["digest"] = digest
    path.write_text(json.dumps(meta))


def discard_pending(token: str, user_id: int) -> bool:
    """Delete the upload behind `token` if it is `user_id`'s: only who uploaded a file may
    cancel or apply it, an admin no more than anyone else. False when nothing was deleted."""
    if not TOKEN_RE.fullmatch(token or ""):
        return False
    directory = _pending_dir()
    try:
        meta = json.loads((directory / f"{token}.json").read_text())
    except (OSError, ValueError):
        return False
    if not isinstance(meta, dict) or meta.get("user_id") != user_id:
        return False
    for path in directory.glob(f"{token}.*"):
        path.unlink(missing_ok=True)
    return True
