"""The one place text becomes a spreadsheet cell: what XLSX cannot hold goes, formulas are shown."""

import csv
import io

import openpyxl
import pytest

from tracker.core import tables
from tracker.core.tables import Column, Sheet, clean_text, export_bytes, write_workbook


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ("\x01=1+2", "'=1+2"),  # a control character cannot hide the `=`
        ("\x07=1+2", "'=1+2"),
        ("\x0b\x0c=1+2", "'=1+2"),
        (" =1+2", "' =1+2"),  # nor can leading whitespace
        ("\n\n@SUM(1)", "'\n\n@SUM(1)"),
        ("\u00a0+1", "'\u00a0+1"),
        ("\u3000-1", "'\u3000-1"),
        ("\ufeff=1+2", "'\ufeff=1+2"),  # nor an invisible format character
        ("\u200b\u202e=1+2", "'\u200b\u202e=1+2"),
        ("\x00 \x01=1", "' =1"),
        ("\tindented", "'\tindented"),
        ("\rreturn", "'\rreturn"),
        ("-1+1", "'-1+1"),
        ("+44 20 7946 0000", "'+44 20 7946 0000"),
        ('=HYPERLINK("http://evil.example","x")', '\'=HYPERLINK("http://evil.example","x")'),
    ],
)
def test_formula_looking_text_is_neutralised_as_a_spreadsheet_reads_it(typed, written):
    assert clean_text(typed) == written


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ("\x07bell", "bell"),
        ("\x00nul", "nul"),
        ("a\x1bb\x7fc", "abc"),
        ("line\r\nbreak\tand tab", "line\r\nbreak\tand tab"),
        ("a\ud800b", "a\ufffdb"),  # an unpaired surrogate has no UTF-8 form
        ("\udfff", "\ufffd"),
        ("a\ufffeb\uffff", "ab"),  # not characters at all in XML
        ("Győr, Łódź, Ústí nad Labem", "Győr, Łódź, Ústí nad Labem"),
        ("\u202eevil", "\u202eevil"),
        ("שלום", "שלום"),
        ("emoji 🚀", "emoji 🚀"),
        ("a = b", "a = b"),
        ("e-mail", "e-mail"),
    ],
)
def test_what_xlsx_cannot_hold_goes_and_the_rest_stays(typed, written):
    assert clean_text(typed) == written


HOSTILE = ["\x01=1+2", " =2", "a\ud800b", "\x07bell", "x\ufffe", "\u202e=3", "-1+1"]


def _runs_as_formula(text: str) -> bool:
    read = text.lstrip()
    return text.startswith(("\t", "\r")) or read.startswith(("=", "+", "-", "@"))


def test_csv_and_xlsx_write_hostile_text_through_the_same_cleaning():
    columns = [Column("Name", lambda row: row), Column("Auto", lambda row: row, "auto")]
    workbook = openpyxl.load_workbook(
        io.BytesIO(export_bytes(HOSTILE, columns, "xlsx", sheet="Names"))
    )
    cells = [cell for row in workbook.active.iter_rows(min_row=2) for cell in row]
    assert [cell.value for cell in cells[::2]] == [clean_text(text) for text in HOSTILE]
    assert all(cell.data_type == "s" for cell in cells)
    assert not any(_runs_as_formula(cell.value.lstrip("\ufeff\u202e")) for cell in cells)

    text = export_bytes(HOSTILE, columns, "csv", sheet="Names").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == ["Name", "Auto"]
    assert [row[0] for row in rows[1:]] == [clean_text(text) for text in HOSTILE]


def test_a_workbook_of_sheets_cleans_every_text_cell_and_header():
    sheet = Sheet("Report", [Column("=Head", lambda row: row[0], "auto")], [["\x07=1"], [3]])
    workbook = openpyxl.load_workbook(io.BytesIO(write_workbook([sheet])))
    values = [cell.value for cell in workbook["Report"]["A"]]
    assert values == ["'=Head", "'=1", 3]


def test_csv_headers_go_through_the_cleaning_too():
    columns = [Column("@Head\x07", lambda row: row)]
    text = export_bytes(["x"], columns, "csv", sheet="T").decode("utf-8-sig")
    assert text.splitlines()[0] == "'@Head"


def test_csv_is_served_as_text_with_one_charset(app):
    with app.test_request_context("/?format=csv"):
        response = tables.export_response([], [Column("A", lambda row: row)], "things", "csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
