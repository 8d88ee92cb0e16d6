"""Every spreadsheet the app writes: list exports, the board report's workbook, import templates.

Rows and column definitions go in; CSV or XLSX bytes (or a download) come out. Dates
stay dates and money stays a number, with the currency in a column of its own, so a
spreadsheet can sort and sum them. Every text cell, in CSV and XLSX alike, goes through
`clean_text`: characters XLSX cannot hold are dropped (an unpaired surrogate becomes U+FFFD),
and text a spreadsheet would run as a formula gets a leading apostrophe.

Each domain declares its lists (`ExportList`) beside its models; a list view hands its
filtered, sorted query to `export_list`.
"""

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

from flask import abort, current_app, request

from tracker.core.types import today

# Bare types: Flask adds the one `charset=utf-8` a text type takes.
FORMATS = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# What makes a spreadsheet treat a cell as a formula (OWASP "CSV injection"): one of these
# first, once leading whitespace is skipped ...
FORMULA_STARTS = ("=", "+", "-", "@")
# ... or one of these as the very first character.
FORMULA_FIRST = ("\t", "\r")
KINDS = ("text", "date", "datetime", "integer", "number", "money", "auto")
EXCEL_FORMATS = {
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm",
    "integer": "0",
    "number": "#,##0.####",
    "money": "#,##0.00",
}
MAX_WIDTH = 60


@dataclass(frozen=True)
class Column:
    """One exported column: its header, how to read the value from a row, and its kind.

    `kind` is text, date, datetime (shown in UTC), integer, number or money. A money
    column holds the bare amount; put a text "Currency" column next to it. `auto` types
    each cell by its value (a report's mixed "Value" column): dates, numbers, text.
    """

    header: str
    value: Callable[[Any], Any]
    kind: str = "text"

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}")


# What XLSX (XML 1.0) cannot hold: control characters other than tab, newline and carriage
# return, DEL (which some readers refuse too), and the non-characters U+FFFE and U+FFFF.
UNHOLDABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
# A surrogate alone in a str (from a JSON escape or a badly decoded file) has no UTF-8 form.
SURROGATE = re.compile("[\ud800-\udfff]")


def holdable(text: str) -> str:
    """`text` with what UTF-8 and XLSX cannot hold removed; an unpaired surrogate becomes U+FFFD."""
    if text.isprintable():  # none of them is printable: the usual cell needs no search
        return text
    return SURROGATE.sub("\ufffd", UNHOLDABLE.sub("", text))


def _skipped(character: str) -> bool:
    # Whitespace, and invisible format characters (a BOM, a zero-width space, a direction
    # mark) that a spreadsheet may drop before it decides what the cell is.
    return character.isspace() or unicodedata.category(character) == "Cf"


def looks_like_formula(text: str) -> bool:
    """Whether a spreadsheet could run `text` (as written, already `holdable`) as a formula."""
    if text[:1].isalnum():  # the usual cell: neither skipped nor a formula's start
        return False
    if text.startswith(FORMULA_FIRST):
        return True
    start = 0
    while start < len(text) and _skipped(text[start]):
        start += 1
    return text.startswith(FORMULA_STARTS, start)


def neutralise(text: str) -> str:
    """Prefix formula-looking text with an apostrophe so a spreadsheet shows it, not runs it."""
    return "'" + text if looks_like_formula(text) else text


def clean_text(text: str) -> str:
    """A text cell as written, in CSV and XLSX: unholdable characters gone, formulas neutralised.

    The formula check reads the text as a spreadsheet will, after the removal: a control
    character before `=` cannot hide it.
    """
    return neutralise(holdable(text))


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        value = "Yes" if value else "No"
    return clean_text(str(value))


def _date(value: Any) -> Any:
    if value is None or value == "":
        return None
    return value.date() if isinstance(value, datetime) else value


def _datetime(value: Any) -> Any:
    if value is None or value == "":
        return None
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.replace(microsecond=0)


def _integer(value: Any) -> int | None:
    if value is None or value == "":
        return None
    return int(value)


def _number(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, Fraction):
        return Decimal(value.numerator) / Decimal(value.denominator)
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _auto(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | Fraction | date):
        return _text(value)
    return _date(value) if isinstance(value, date) else _number(value)


# The typed value of a cell of each kind (None for empty), before a format is chosen.
TYPED: dict[str, Callable[[Any], Any]] = {
    "text": _text,
    "date": _date,
    "datetime": _datetime,
    "integer": _integer,
    "number": _number,
    "money": _number,
    "auto": _auto,
}


def _csv_date(value: Any) -> str | None:
    value = _date(value)
    return value.isoformat() if value is not None else None


def _csv_datetime(value: Any) -> str | None:
    value = _datetime(value)
    return value.strftime("%Y-%m-%d %H:%M:%S") if value is not None else None


def _csv_number(value: Any) -> Decimal | None:
    value = _number(value)
    return None if value is None or value.is_nan() else value


def _csv_auto(value: Any) -> Any:
    value = _auto(value)
    return None if isinstance(value, Decimal) and value.is_nan() else value


# A CSV cell of each kind: ISO dates, UTC times to the second, plain numbers (NaN empty).
CSV_CELLS: dict[str, Callable[[Any], Any]] = {
    **TYPED,
    "date": _csv_date,
    "datetime": _csv_datetime,
    "number": _csv_number,
    "money": _csv_number,
    "auto": _csv_auto,
}


def to_csv(rows: Iterable[Any], columns: list[Column]) -> bytes:
    """UTF-8 with a byte-order mark, so Excel opens accents right; ISO dates, plain numbers.

    Quoted only where needed, CRLF line ends and empty cells empty: byte for byte what
    pandas' `to_csv` wrote when the exports went through a DataFrame (an empty cell alone
    on its row as `""`, as the `csv` module writes it).
    """
    cells = [(column.value, CSV_CELLS[column.kind]) for column in columns]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([clean_text(column.header) for column in columns])
    writer.writerows([cell(value(row)) for value, cell in cells] for row in rows)
    return buffer.getvalue().encode("utf-8-sig")


@dataclass
class Sheet:
    """One worksheet: a title, its columns, and rows of values the columns read."""

    title: str
    columns: list[Column]
    rows: Iterable[Any]
    widths: tuple[int, ...] = ()


def write_workbook(sheets: list[Sheet]) -> bytes:
    """An XLSX workbook: per sheet a bold frozen header with filter buttons, real date
    cells, numeric money, and every text cell cleaned (see `clean_text`).

    Written row by row (openpyxl's write-only mode) from the typed values: a 50,000-row
    list holds its values, not 400,000 cell objects, and the columns' widths (from their
    widest value) are known before the first row goes out, as that mode needs.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="F0F3F6")
    top = Alignment(vertical="top", wrap_text=True)
    for spec in sheets:
        worksheet = workbook.create_sheet(clean_text(spec.title)[:31] or "Sheet")
        columns = spec.columns
        typed = [_typed_row(row, columns) for row in spec.rows]
        for index, column in enumerate(columns):
            if index < len(spec.widths):
                width = spec.widths[index]
            else:
                shown = (len(_shown(values[index], column.kind)) for values in typed)
                width = min(max(len(column.header), max(shown, default=0)) + 2, MAX_WIDTH)
            worksheet.column_dimensions[get_column_letter(index + 1)].width = width
        worksheet.freeze_panes = "A2"
        extent = f"A1:{get_column_letter(max(len(columns), 1))}{len(typed) + 1}"
        # Written up front, as a sheet built in memory has it: readers that trust it
        # (openpyxl's read-only mode) know the size without reading every row.
        worksheet.calculate_dimension = lambda extent=extent: extent
        if typed:
            worksheet.auto_filter.ref = extent
        header = []
        for column in columns:
            cell = WriteOnlyCell(worksheet, clean_text(column.header))
            cell.font, cell.fill, cell.alignment = bold, fill, top
            header.append(cell)
        worksheet.append(header)
        # One cell per formatted column, refilled row after row: the mode writes each row
        # as it is appended, so the cell is free again for the next.
        formatted = [
            _formatted(WriteOnlyCell(worksheet), EXCEL_FORMATS[column.kind])
            if column.kind in EXCEL_FORMATS
            else None
            for column in columns
        ]
        autos = [column.kind == "auto" for column in columns]
        for values in typed:
            cells = []
            for value, cell, auto in zip(values, formatted, autos, strict=True):
                if cell is not None:
                    cell.value = value
                    value = cell
                elif auto and (number_format := _auto_format(value)) != "General":
                    value = _formatted(WriteOnlyCell(worksheet, value), number_format)
                cells.append(value)
            worksheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _typed_row(row: Any, columns: list[Column]) -> list:
    """A row's cells as the workbook holds them: typed, money as a float."""
    values = [TYPED[column.kind](column.value(row)) for column in columns]
    return [float(value) if isinstance(value, Decimal) else value for value in values]


def _formatted(cell, number_format: str):
    cell.number_format = number_format
    return cell


def _auto_format(value: Any) -> str:
    if isinstance(value, datetime):
        return EXCEL_FORMATS["datetime"]
    if isinstance(value, date):
        return EXCEL_FORMATS["date"]
    if isinstance(value, float):
        return EXCEL_FORMATS["money"]
    return "General"


def _shown(value: Any, kind: str) -> str:
    """Roughly what the spreadsheet shows, to size the column."""
    if value is None:
        return ""
    if kind == "money":
        return f"{value:,.2f}"
    if kind == "datetime":
        return "yyyy-mm-dd hh:mm"
    return str(value)


def filename(stem: str, fmt: str) -> str:
    return f"{stem}-{today().isoformat()}.{fmt}"


def export_bytes(rows: Iterable[Any], columns: list[Column], fmt: str, sheet: str) -> bytes:
    """The file's content; `fmt` must be one of `FORMATS` (ValueError otherwise)."""
    if fmt not in FORMATS:
        raise ValueError(f"Unknown export format {fmt!r}: use csv or xlsx.")
    if fmt == "csv":
        return to_csv(rows, columns)
    return write_workbook([Sheet(sheet, columns, rows)])


def export_response(
    rows: Iterable[Any],
    columns: list[Column],
    filename_stem: str,
    fmt: str,
    *,
    sheet: str | None = None,
):
    """A download of `rows` as `<stem>-YYYY-MM-DD.csv|xlsx`; 400 for any other format."""
    fmt = (fmt or "").lower()
    if fmt not in FORMATS:
        abort(400, description=f"Unknown export format “{fmt}”: choose csv or xlsx.")
    content = export_bytes(rows, columns, fmt, sheet=sheet or filename_stem.capitalize())
    response = current_app.response_class(content, mimetype=FORMATS[fmt])
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{filename(filename_stem, fmt)}"'
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


def yes_no(value: bool | None) -> str | None:
    return None if value is None else ("Yes" if value else "No")


def as_date(value: date | datetime | None) -> date | None:
    """The date of a timestamp (as stored, UTC); a date stays as it is."""
    return value.date() if isinstance(value, datetime) else value


# --- Lists ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportList:
    """One exportable list: file stem, sheet title, columns, and how its rows are made."""

    name: str
    title: str
    columns: list[Column]
    # From the page's query (or ready rows) to the row objects the columns read.
    rows: Callable[[Any], list]
    # The unfiltered source in the page's default order, for the command line.
    default_source: Callable[[], Any]


def export_list(spec: ExportList, source):
    """The `?format=csv|xlsx` download of a list: every row of `source`, in its order.

    `source` is the page's filtered and sorted query (not a page of it), or the rows the
    page computed. An unknown format is a 400.
    """
    return export_response(
        spec.rows(source),
        spec.columns,
        spec.name,
        request.args.get("format", ""),
        sheet=spec.title,
    )


def export_file(spec: ExportList, fmt: str) -> bytes:
    """A list with its default filters as a file's bytes, for the command line."""
    return export_bytes(spec.rows(spec.default_source()), spec.columns, fmt, sheet=spec.title)


def entities(source) -> list:
    """The records of a list's query (or its ready rows), each once."""
    from sqlalchemy import Select

    from tracker.extensions import db

    if isinstance(source, Select):
        return list(db.session.scalars(source).unique())
    return list(source)


def result_rows(source) -> list:
    """The result rows of a list's query (an entity with its aggregates), or its ready rows."""
    from sqlalchemy import Select

    from tracker.extensions import db

    if isinstance(source, Select):
        return list(db.session.execute(source).unique().all())
    return list(source)


def label_of(choice_class, value: str | None) -> str | None:
    """A choice's label for a cell; an unknown value as it is."""
    if not value:
        return None
    try:
        return choice_class(value).label
    except ValueError:
        return value


def name_of(record) -> str | None:
    return record.name if record is not None else None
