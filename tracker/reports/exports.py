"""Lists as CSV and XLSX files: one function turns rows and column definitions into a download.

Every list page hands the rows it shows (all pages of them, in its order) and its
columns to `export_response`. Dates stay dates and money stays a number, with the
currency in a column of its own, so a spreadsheet can sort and sum them. Text that
a spreadsheet would run as a formula (`=`, `+`, `-`, `@` at the start) is written
with a leading apostrophe instead.
"""

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from flask import abort, current_app

from tracker.core.types import today

if TYPE_CHECKING:  # pandas loads on the first export, not with every process
    import pandas as pd

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# What makes a spreadsheet treat a cell as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
KINDS = ("text", "date", "datetime", "integer", "number", "money")
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
    column holds the bare amount; put a text "Currency" column next to it.
    """

    header: str
    value: Callable[[Any], Any]
    kind: str = "text"

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}")


def neutralise(text: str) -> str:
    """Prefix formula-looking text with an apostrophe so a spreadsheet shows it, not runs it."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _cell(value: Any, kind: str) -> Any:
    """The typed value of one cell (None for empty), before a format is chosen."""
    if value is None or value == "":
        return None
    if kind == "text":
        if isinstance(value, bool):
            value = "Yes" if value else "No"
        return neutralise(str(value))
    if kind == "date":
        return value.date() if isinstance(value, datetime) else value
    if kind == "datetime":
        if isinstance(value, datetime) and value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.replace(microsecond=0)
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
    return frame.to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def to_xlsx(frame: "pd.DataFrame", columns: list[Column], sheet: str) -> bytes:
    """One sheet: bold frozen header, filter buttons, real date cells and numeric money."""
    import pandas as pd
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    frame = frame.copy()
    for column in columns:
        if column.kind in ("number", "money"):
            frame[column.header] = frame[column.header].map(
                lambda v: float(v) if v is not None else None
            )
        elif column.kind == "text":
            # openpyxl refuses control characters; a spreadsheet could not show them anyway.
            frame[column.header] = frame[column.header].map(
                lambda v: ILLEGAL_CHARACTERS_RE.sub("", v) if v is not None else None
            )
    buffer = io.BytesIO()
    sheet = sheet[:31]
    with pd.ExcelWriter(
        buffer, engine="openpyxl", date_format="yyyy-mm-dd", datetime_format="yyyy-mm-dd hh:mm"
    ) as writer:
        frame.to_excel(writer, index=False, sheet_name=sheet)
        worksheet = writer.sheets[sheet]
        bold = Font(bold=True)
        for index, column in enumerate(columns, start=1):
            letter = get_column_letter(index)
            worksheet.cell(row=1, column=index).font = bold
            values = frame[column.header]
            number_format = EXCEL_FORMATS.get(column.kind)
            if number_format:
                for row in range(2, len(values) + 2):
                    worksheet.cell(row=row, column=index).number_format = number_format
            widest = max(
                [len(column.header)] + [len(_shown(v, column.kind)) for v in values], default=8
            )
            worksheet.column_dimensions[letter].width = min(widest + 2, MAX_WIDTH)
        worksheet.freeze_panes = "A2"
        if len(frame.index):
            worksheet.auto_filter.ref = worksheet.dimensions
    return buffer.getvalue()


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
