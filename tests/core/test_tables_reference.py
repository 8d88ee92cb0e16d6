"""The export writers against the reference (the pandas and in-memory workbook writers they
replaced, `tests/core/reference_tables.py`): the same CSV bytes and the same workbook cells
for thousands of rows of every kind of value, hostile text included."""

import random
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.core import reference_tables as reference
from tracker.core import tables
from tracker.core.tables import Column, Sheet

TEXTS = [
    "Plain",
    "Győr, Łódź; Ústí",
    'Quote "inside", comma',
    "Line\nbreak and\r\nCRLF and \r CR",
    "=1+2",
    " =SUM(A1)",
    "\x07=bell",
    "+44 20 7946 0000",
    "-minus",
    "@at",
    "\tindented",
    "\u200b\u202e=hidden",
    "a\ud800b",
    "x\ufffe\uffff",
    "🚀🇭🇺👩‍👩‍👧",
    "1st",
    "",
    " ",
    '"',
    ",",
]


def _value(rng: random.Random, kind: str):
    if rng.random() < 0.15:
        return rng.choice([None, ""])
    if kind == "text":
        return rng.choice([*TEXTS, True, False, 42, Decimal("1.50")])
    if kind == "date":
        return rng.choice([date(2026, 11, 28), date.min, date.max, datetime(2024, 2, 29, 23, 59)])
    if kind == "datetime":
        return rng.choice(
            [
                datetime(2026, 11, 28, 9, 30, 5, 123456),
                datetime(2026, 3, 29, 1, 30, tzinfo=timezone(timedelta(hours=2))),
                datetime(2000, 1, 1, tzinfo=UTC),
            ]
        )
    if kind == "integer":
        return rng.choice([0, -3, 10**12, Decimal("7"), 3.0, True])
    if kind in ("number", "money"):
        return rng.choice(
            [Decimal("1234.5"), Decimal("-0.00"), 0.1, 3, Fraction(1, 3), Decimal("NaN")]
        )
    return rng.choice(  # auto
        [*TEXTS, date(2026, 1, 2), datetime(2026, 1, 2, 3, 4), 7, 2.5, Decimal("9.99")]
    )


KINDS = ["text", "date", "datetime", "integer", "number", "money", "auto"]
COLUMNS = [
    Column(f"{kind.title()} {n}", lambda row, i=index: row[i], kind)
    for index, (n, kind) in enumerate((n, kind) for n in range(2) for kind in KINDS)
] + [Column("=Formula header", lambda row: row[0]), Column("Second text", lambda row: row[7])]


def _rows(count: int, seed: int = 12):
    rng = random.Random(seed)
    return [[_value(rng, column.kind) for column in COLUMNS[:14]] for _ in range(count)]


def test_csv_is_byte_for_byte_the_reference_for_thousands_of_rows():
    rows = _rows(5_000)
    assert tables.export_bytes(rows, COLUMNS, "csv", sheet="T") == reference.to_csv(rows, COLUMNS)


def test_csv_with_one_column_and_with_no_rows_is_the_reference():
    only = [Column("Only", lambda row: row)]  # an empty cell alone on its row is quoted
    for rows, columns in (([], only), ([None, "", "x", None], only), ([], COLUMNS)):
        written = tables.export_bytes(rows, columns, "csv", sheet="T")
        assert written == reference.to_csv(rows, columns)


def test_xlsx_holds_the_reference_cells_for_thousands_of_rows():
    rows = _rows(2_000, seed=5)
    written = tables.export_bytes(rows, COLUMNS, "xlsx", sheet="=Sheet title that runs long")
    expected = reference.to_xlsx(rows, COLUMNS, "=Sheet title that runs long")
    assert reference.workbook_contents(written) == reference.workbook_contents(expected)


def test_a_workbook_of_sheets_with_fixed_widths_and_no_rows_is_the_reference():
    def sheets():
        return [
            Sheet("Report", COLUMNS[:7], _rows(50, seed=8), (30, 12)),
            Sheet("Empty", COLUMNS[7:9], []),
            Sheet("Report", [Column("Value", lambda row: row[13], "auto")], _rows(40, seed=9)),
        ]

    written = reference.workbook_contents(tables.write_workbook(sheets()))
    assert written == reference.workbook_contents(reference.write_workbook(sheets()))
    assert [sheet["title"] for sheet in written] == ["Report", "Empty", "Report1"]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_text_is_cleaned_as_the_reference_cleans_it(text):
    assert tables.clean_text(text) == reference.clean_text(text)
    assert tables.looks_like_formula(text) == reference.looks_like_formula(text)
