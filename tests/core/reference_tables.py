"""The exports as they were written before they left pandas and the in-memory workbook
(commit 774727f): the reference the faster writers are held to, byte for byte in CSV, cell
for cell in XLSX. Kept verbatim but for names; do not "fix" it."""

import io
import re
import unicodedata
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

import openpyxl
import pandas as pd

from tracker.core.tables import EXCEL_FORMATS, MAX_WIDTH, Column, Sheet

UNHOLDABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
SURROGATE = re.compile("[\ud800-\udfff]")


def holdable(text: str) -> str:
    return SURROGATE.sub("\ufffd", UNHOLDABLE.sub("", text))


def _skipped(character: str) -> bool:
    return character.isspace() or unicodedata.category(character) == "Cf"


def looks_like_formula(text: str) -> bool:
    if text.startswith(("\t", "\r")):
        return True
    start = 0
    while start < len(text) and _skipped(text[start]):
        start += 1
    return text.startswith(("=", "+", "-", "@"), start)


def clean_text(text: str) -> str:
    text = holdable(text)
    return "'" + text if looks_like_formula(text) else text


def cell(value: Any, kind: str) -> Any:
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
            return cell(value, "text")
        return cell(value, "date" if isinstance(value, date) else "number")
    if kind == "integer":
        return int(value)
    if isinstance(value, Fraction):
        return Decimal(value.numerator) / Decimal(value.denominator)
    return value if isinstance(value, Decimal) else Decimal(str(value))


def build_frame(rows, columns: list[Column]) -> pd.DataFrame:
    data: dict[str, list] = {column.header: [] for column in columns}
    for row in rows:
        for column in columns:
            data[column.header].append(cell(column.value(row), column.kind))
    return pd.DataFrame(
        {header: pd.Series(values, dtype=object) for header, values in data.items()},
        columns=[column.header for column in columns],
    )


def to_csv(rows, columns: list[Column]) -> bytes:
    frame = build_frame(rows, columns).copy()
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


def to_xlsx(rows, columns: list[Column], sheet: str) -> bytes:
    frame = build_frame(rows, columns)
    typed = [
        Column(column.header, lambda row, index=index: row[index], column.kind)
        for index, column in enumerate(columns)
    ]
    return write_workbook([Sheet(sheet, typed, frame.itertuples(index=False, name=None))], True)


def write_workbook(sheets: list[Sheet], typed_already: bool = False) -> bytes:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="F0F3F6")
    for spec in sheets:
        worksheet = workbook.create_sheet(clean_text(spec.title)[:31] or "Sheet")
        worksheet.append([clean_text(column.header) for column in spec.columns])
        for header in worksheet[1]:
            header.font, header.fill = bold, fill
            header.alignment = Alignment(vertical="top", wrap_text=True)
        widest = [len(column.header) for column in spec.columns]
        count = 0
        for row in spec.rows:
            count += 1
            values = []
            for index, column in enumerate(spec.columns):
                value = column.value(row)
                value = value if typed_already else cell(value, column.kind)
                if isinstance(value, Decimal):
                    value = float(value)
                values.append(value)
                widest[index] = max(widest[index], len(_shown(value, column.kind)))
            worksheet.append(values)
        for index, column in enumerate(spec.columns, start=1):
            number_format = EXCEL_FORMATS.get(column.kind)
            for row_number in range(2, count + 2):
                written = worksheet.cell(row=row_number, column=index)
                if column.kind == "auto":
                    written.number_format = _auto_format(written.value)
                elif number_format:
                    written.number_format = number_format
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
    if value is None:
        return ""
    if kind == "money":
        return f"{value:,.2f}"
    if kind == "datetime":
        return "yyyy-mm-dd hh:mm"
    return str(value)


def workbook_contents(data: bytes) -> list[dict]:
    """What a reader sees of each sheet: every cell's value, type, number format and look,
    the column widths, the frozen header, the filter and the sheet's recorded extent."""
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    # The extent as the file records it (read-only mode trusts the record, no cells).
    recorded = [
        (sheet.max_row, sheet.max_column)
        for sheet in openpyxl.load_workbook(io.BytesIO(data), read_only=True).worksheets
    ]
    names = {
        (sheet.title, name): str(value.value)
        for sheet in workbook.worksheets
        for name, value in sheet.defined_names.items()
    }
    return [
        {
            "title": sheet.title,
            "frozen": sheet.freeze_panes,
            "filter": sheet.auto_filter.ref,
            "extent": sheet.dimensions,
            "recorded extent": extent,
            "names": {key: value for key, value in names.items() if key[0] == sheet.title},
            "widths": {key: dim.width for key, dim in sheet.column_dimensions.items()},
            "cells": [
                [
                    (
                        written.value,
                        written.data_type,
                        written.number_format,
                        written.font.b,
                        written.fill.fill_type,
                        written.fill.fgColor.rgb,
                        written.alignment.vertical,
                        written.alignment.wrap_text,
                    )
                    for written in row
                ]
                for row in sheet.iter_rows()
            ],
        }
        for sheet, extent in zip(workbook.worksheets, recorded, strict=True)
    ]
