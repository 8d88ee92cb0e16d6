"""Every spreadsheet the app writes: list exports, the board report's workbook, import templates.

Rows and column definitions go in; CSV or XLSX bytes (or a download) come out. Dates
stay dates and money stays a number, with the currency in a column of its own, so a
spreadsheet can sort and sum them. Every text cell, in CSV and XLSX alike, goes through
`clean_text`: characters XLSX cannot hold are dropped (an unpaired surrogate becomes U+FFFD),
and text a spreadsheet would run as a formula gets a leading apostrophe.

Each domain declares its lists (`ExportList`) beside its models; a list view hands its
filtered, sorted query to `export_list`.
"""

import io
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from flask import abort, current_app, request

from tracker.core.types import today

if TYPE_CHECKING:  # pandas loads on the first export, not with every process
    import pandas as pd

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
    return SURROGATE.sub("\ufffd", UNHOLDABLE.sub("", text))


def _skipped(character: str) -> bool:
    # Whitespace, and invisible format characters (a BOM, a zero-width space, a direction
    # mark) that a spreadsheet may drop before it decides what the cell is.
    return character.isspace() or unicodedata.category(character) == "Cf"


def looks_like_formula(text: str) -> bool:
    """Whether a spreadsheet could run `text` (as written, already `holdable`) as a formula."""
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


def _cell(value: Any, kind: str) -> Any:
    """The typed value of one cell (None for empty), before a format is chosen."""
    if value is None or value == "":
        return None
    if kind == "text":
        if isinstance(value, bool):
            value = "Yes" if value else "No"
        return clean_text(str(value))
    if kind == "date":
        return value.date() if isinstance(value, datetime) else value
    if kind == "datetime":
        if isinstance(value, datetime) and value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.replace(microsecond=0)
    if kind == "auto":
        if isinstance(value, bool) or not isinstance(
            value, int | float | Decimal | Fraction | date
        ):
            return _cell(value, "text")
        return _cell(value, "date" if isinstance(value, date) else "number")
    if kind == "integer":
        return int(value)
    if isinstance(value, Fraction):
        return Decimal(value.numerator) / Decimal(value.denominator)
    return value if isinstance(value, Decimal) else Decimal(str(value))


def build_frame(rows: Iterable[Any], columns: list[Column]) -> "pd.DataFrame":
    """The rows as a DataFrame of typed Python values, one column per `Column`, in order."""
    import pandas as pd

    data: dict[str, list] = {column.header: [] for column in columns}
    for row in rows:
        for column in columns:
            data[column.header].append(_cell(column.value(row), column.kind))
    return pd.DataFrame(
        {header: pd.Series(values, dtype=object) for header, values in data.items()},
        columns=[column.header for column in columns],
    )


def to_csv(frame: "pd.DataFrame", columns: list[Column]) -> bytes:
    """UTF-8 with a byte-order mark, so Excel opens accents right; ISO dates, plain numbers."""
    frame = frame.copy()
    for column in columns:
        if column.kind == "datetime":
            frame[column.header] = frame[column.header].map(
                lambda v: v.strftime("%Y-%m-%d %H:%M:%S") if v is not None else None
            )
        elif column.kind == "date":
            frame[column.header] = frame[column.header].map(
                lambda v: v.isoformat() if v is not None else None
            )
    frame.columns = [clean_text(column.header) for column in columns]
    return frame.to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


@dataclass
class Sheet:
    """One worksheet: a title, its columns, and rows of values the columns read."""

    title: str
    columns: list[Column]
    rows: Iterable[Any]
    widths: tuple[int, ...] = ()


def to_xlsx(frame: "pd.DataFrame", columns: list[Column], sheet: str) -> bytes:
    """One sheet of a frame built by `build_frame` (cells already typed and cleaned)."""
    rows = frame.itertuples(index=False, name=None)
    typed = [
        Column(column.header, _position(index), column.kind) for index, column in enumerate(columns)
    ]
    return write_workbook([Sheet(sheet, typed, rows)], typed_already=True)


def _position(index: int) -> Callable[[Any], Any]:
    return lambda row: row[index]


def write_workbook(sheets: list[Sheet], *, typed_already: bool = False) -> bytes:
    """An XLSX workbook: per sheet a bold frozen header with filter buttons, real date
    cells, numeric money, and every text cell cleaned (see `clean_text`)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    workbook.remove(workbook.active)
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="F0F3F6")
    for spec in sheets:
        worksheet = workbook.create_sheet(clean_text(spec.title)[:31] or "Sheet")
        worksheet.append([clean_text(column.header) for column in spec.columns])
        for cell in worksheet[1]:
            cell.font, cell.fill = bold, fill
            cell.alignment = Alignment(vertical="top", wrap_text=True)
        widest = [len(column.header) for column in spec.columns]
        count = 0
        for row in spec.rows:
            count += 1
            values = []
            for index, column in enumerate(spec.columns):
                value = column.value(row)
                value = value if typed_already else _cell(value, column.kind)
                if isinstance(value, Decimal):
                    value = float(value)
                values.append(value)
                widest[index] = max(widest[index], len(_shown(value, column.kind)))
            worksheet.append(values)
        for index, column in enumerate(spec.columns, start=1):
            number_format = EXCEL_FORMATS.get(column.kind)
            for row_number in range(2, count + 2):
                cell = worksheet.cell(row=row_number, column=index)
                if column.kind == "auto":
                    cell.number_format = _auto_format(cell.value)
                elif number_format:
                    cell.number_format = number_format
            width = (
                spec.widths[index - 1]
                if index - 1 < len(spec.widths)
                else min(widest[index - 1] + 2, MAX_WIDTH)
            )
            worksheet.column_dimensions[get_column_letter(index)].width = width
        worksheet.freeze_panes = "A2"
        if count:
            worksheet.auto_filter.ref = worksheet.dimensions
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


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
    frame = build_frame(rows, columns)
    return to_csv(frame, columns) if fmt == "csv" else to_xlsx(frame, columns, sheet)


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
