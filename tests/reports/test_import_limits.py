"""Hostile uploads: sparse and oversized sheets, bloated workbook parts and CSV files are
refused with a clear message while they stream in, before anything of their size is built."""

import io
import zipfile

import openpyxl
import pytest
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from tests.conftest import csrf_token
from tests.helpers import count_rows
from tracker.core import imports as core_imports
from tracker.partners.models import Partner
from tracker.reports import imports

# What a partners file may be wide: its columns and ten more (`SheetLimits.of`).
COLUMNS = len(imports.KINDS["partners"].fields) + 10

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
HEADER_ROW = (
    '<row r="1"><c r="A1" t="inlineStr"><is><t>Name</t></is></c>'
    '<c r="B1" t="inlineStr"><is><t>Country</t></is></c>'
    '<c r="C1" t="inlineStr"><is><t>Kind</t></is></c></row>'
)
AGENCY_ROW = (
    '<row r="2"><c r="A2" t="inlineStr"><is><t>Agency</t></is></c>'
    '<c r="B2" t="inlineStr"><is><t>HU</t></is></c>'
    '<c r="C2" t="inlineStr"><is><t>Other</t></is></c></row>'
)


@pytest.fixture(autouse=True)
def _pending_uploads(app, tmp_path):
    app.config["IMPORT_PENDING_DIR"] = str(tmp_path / "pending")
    yield
    del app.config["IMPORT_PENDING_DIR"]


@pytest.fixture
def rows_built(monkeypatch) -> list[int]:
    """How many rows openpyxl built from a sheet: the real reader, counted as it runs."""
    built: list[int] = []
    real = ReadOnlyWorksheet._cells_by_row

    def counting(self, *args, **kwargs):
        for row in real(self, *args, **kwargs):
            built.append(len(row))
            yield row

    monkeypatch.setattr(ReadOnlyWorksheet, "_cells_by_row", counting)
    return built


def sheet_xml(rows: str, dimension: str | None = None) -> bytes:
    """A worksheet's XML written by hand, where openpyxl would itself build the grid."""
    declared = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{NS}">{declared}'
        f"<sheetData>{rows}</sheetData></worksheet>"
    ).encode()


def workbook(sheet: bytes | None = None, replace: dict[str, bytes] | None = None) -> bytes:
    """A real workbook written by openpyxl, its first sheet's XML (or other parts) replaced."""
    book = openpyxl.Workbook()
    book.active.append(["Name", "Country", "Kind"])
    book.active.append(["Agency", "HU", "Other"])
    source = io.BytesIO()
    book.save(source)
    parts = dict(replace or {})
    if sheet is not None:
        parts["xl/worksheets/sheet1.xml"] = sheet
    out = io.BytesIO()
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as new:
        for item in old.infolist():
            new.writestr(item.filename, parts.pop(item.filename, None) or old.read(item))
        for name, data in parts.items():
            new.writestr(name, data)
    return out.getvalue()


def refusal(filename: str, content: bytes) -> str:
    preview = imports.parse_upload("partners", filename, content)
    assert preview.file_errors and not preview.ok and not preview.plans, preview
    assert count_rows(Partner) == 0
    return " ".join(preview.file_errors)


def test_a_well_formed_hand_written_sheet_is_read(rows_built):
    preview = imports.parse_upload(
        "partners", "p.xlsx", workbook(sheet_xml(HEADER_ROW + AGENCY_ROW))
    )
    assert preview.ok, (preview.file_errors, preview.errors)
    assert preview.plans[0].values["name"] == "Agency"
    assert rows_built == [3, 3]


# --- Sparse sheets --------------------------------------------------------------------------


def sparse(dimension: str | None) -> bytes:
    """Cells at A1, ALL1 and A100000: 4.7 KB that pandas turned into a 100,000 × 1,000 grid."""
    rows = (
        '<row r="1"><c r="A1"><v>1</v></c><c r="ALL1"><v>1</v></c></row>'
        '<row r="100000"><c r="A100000"><v>1</v></c></row>'
    )
    return workbook(sheet_xml(rows, dimension))


def test_a_sheet_declaring_a_huge_dimension_is_refused_before_a_row_is_built(rows_built):
    message = refusal("p.xlsx", workbook(sheet_xml(HEADER_ROW + AGENCY_ROW, "A1:C100000")))
    assert "The sheet goes on to line 100,000; at most 10,001 lines are read" in message
    assert rows_built == []


def test_the_issues_sparse_sheet_is_refused_at_its_first_far_cell(rows_built):
    message = refusal("p.xlsx", sparse("A1:ALL100000"))
    assert (
        f"Line 1 reaches column ALL (column 1,000); at most {COLUMNS} columns are read" in message
    )
    assert rows_built == []


def test_a_sparse_sheet_without_a_dimension_is_refused_at_its_first_far_cell(rows_built):
    message = refusal("p.xlsx", sparse(None))
    assert (
        f"Line 1 reaches column ALL (column 1,000); at most {COLUMNS} columns are read" in message
    )
    assert rows_built == []


def test_a_sheet_whose_dimension_lies_is_refused_at_its_first_far_row(rows_built):
    rows = HEADER_ROW + AGENCY_ROW + '<row r="100000"><c r="A100000"><v>1</v></c></row>'
    message = refusal("p.xlsx", workbook(sheet_xml(rows, "A1:C2")))
    assert "The sheet goes on to line 100,000" in message
    assert rows_built == []


def test_xfd1_and_a1048576_are_refused_without_building_anything(rows_built):
    import tracemalloc

    rows = (
        '<row r="1"><c r="A1"><v>1</v></c><c r="XFD1"><v>1</v></c></row>'
        '<row r="1048576"><c r="A1048576"><v>1</v></c></row>'
    )
    for dimension, words in (
        ("A1:XFD1048576", "Line 1 reaches column XFD (column 16,384)"),
        (None, "Line 1 reaches column XFD (column 16,384)"),
    ):
        content = workbook(sheet_xml(rows, dimension))
        tracemalloc.start()
        try:
            message = refusal("p.xlsx", content)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert words in message
        assert peak < 20 * 1024 * 1024  # the grid would be 16,384 × 1,048,576 cells
    assert rows_built == []


def test_a_sheet_declaring_a_huge_width_is_refused_before_a_row_is_built(rows_built):
    message = refusal("p.xlsx", workbook(sheet_xml(HEADER_ROW + AGENCY_ROW, "A1:XFD2")))
    assert f"The sheet reaches column XFD (column 16,384); at most {COLUMNS} columns" in message
    assert rows_built == []


def test_cells_without_a_reference_still_count_their_columns(rows_built):
    rows = HEADER_ROW + '<row r="2">' + "<c><v>1</v></c>" * 500 + "</row>"
    message = refusal("p.xlsx", workbook(sheet_xml(rows)))
    assert (
        f"Line 2 reaches column {get_column_letter(COLUMNS + 1)} (column {COLUMNS + 1}); "
        f"at most {COLUMNS} columns are read"
    ) in message
    assert rows_built == []


def test_one_cell_repeated_in_a_row_counts_each_time(rows_built):
    rows = HEADER_ROW + '<row r="2">' + '<c r="A2"><v>1</v></c>' * 500 + "</row>"
    assert f"at most {COLUMNS} columns are read" in refusal("p.xlsx", workbook(sheet_xml(rows)))
    assert rows_built == []


def test_a_row_of_endless_rich_text_is_refused(rows_built):
    runs = "<r><t>x</t></r>" * (core_imports.ROW_ELEMENTS // 2 + 1)
    rows = HEADER_ROW + f'<row r="2"><c r="A2" t="inlineStr"><is>{runs}</is></c></row>'
    message = refusal("p.xlsx", workbook(sheet_xml(rows)))
    assert "Line 2 of the sheet holds more than 10,000 XML elements" in message
    assert rows_built == []


def test_a_namespace_prefix_does_not_hide_a_far_row(rows_built):
    content = (
        f'<?xml version="1.0"?><x:worksheet xmlns:x="{NS}"><x:sheetData>'
        '<x:row r="1"><x:c r="A1"><x:v>1</x:v></x:c></x:row>'
        '<x:row r="900000"><x:c r="A900000"><x:v>1</x:v></x:c></x:row>'
        "</x:sheetData></x:worksheet>"
    ).encode()
    assert "goes on to line 900,000" in refusal("p.xlsx", workbook(content))
    assert rows_built == []


def test_blank_lines_within_the_limit_are_fine_and_one_past_it_is_refused(app):
    app.config["IMPORT_MAX_ROWS"] = 5  # 11 lines: the header, 5 rows and 5 blank lines
    try:
        last = '<row r="{0}"><c r="A{0}" t="inlineStr"><is><t>B</t></is></c>' + (
            '<c r="B{0}" t="inlineStr"><is><t>HU</t></is></c>'
            '<c r="C{0}" t="inlineStr"><is><t>Other</t></is></c></row>'
        )
        within = imports.parse_upload(
            "partners", "p.xlsx", workbook(sheet_xml(HEADER_ROW + AGENCY_ROW + last.format(11)))
        )
        assert within.ok, within.file_errors
        assert [plan.line for plan in within.plans] == [2, 11]
        message = refusal("p.xlsx", workbook(sheet_xml(HEADER_ROW + last.format(12))))
    finally:
        del app.config["IMPORT_MAX_ROWS"]
    assert "The sheet goes on to line 12; at most 11 lines are read" in message


def test_the_column_limit_is_the_kinds_columns_and_a_margin():
    incentives = core_imports.SheetLimits.of(imports.KINDS["incentives"])
    partners = core_imports.SheetLimits.of(imports.KINDS["partners"])
    assert incentives.columns == len(imports.KINDS["incentives"].fields) + 10
    assert partners.columns == len(imports.KINDS["partners"].fields) + 10
    assert partners.lines == 1 + 2 * imports.DEFAULT_MAX_ROWS


# --- Bloated parts ---------------------------------------------------------------------------


def test_a_bloated_stylesheet_is_refused_before_openpyxl_reads_it(rows_built):
    fonts = "<font/>" * (core_imports.PART_ELEMENTS + 1)
    styles = f'<?xml version="1.0"?><styleSheet xmlns="{NS}"><fonts>{fonts}</fonts></styleSheet>'
    message = refusal("p.xlsx", workbook(replace={"xl/styles.xml": styles.encode()}))
    assert "(xl/styles.xml) holds more than 100,000 XML elements" in message
    assert rows_built == []


def test_shared_strings_beyond_what_the_cells_could_use_are_refused(app, rows_built):
    app.config["IMPORT_MAX_ROWS"] = 5  # 11 lines × 20 columns: a few strings per cell
    try:
        limits = core_imports.SheetLimits.of(imports.KINDS["partners"])
        budget = core_imports.PART_ELEMENTS + 3 * limits.lines * limits.columns
        strings = "<si/>" * (budget + 1)
        content = f'<?xml version="1.0"?><sst xmlns="{NS}">{strings}</sst>'.encode()
        message = refusal("p.xlsx", workbook(replace={"xl/sharedStrings.xml": content}))
        assert len(content) < core_imports.RATIO_FLOOR  # not a zip bomb: just too many
    finally:
        del app.config["IMPORT_MAX_ROWS"]
    assert f"(xl/sharedStrings.xml) holds more than {budget:,} XML elements" in message
    assert rows_built == []


def test_elements_around_a_sheets_cells_are_bounded_too(rows_built):
    junk = "<extLst>" + "<ext/>" * (core_imports.PART_ELEMENTS + 1) + "</extLst>"
    content = (
        f'<?xml version="1.0"?><worksheet xmlns="{NS}"><sheetData>{HEADER_ROW}</sheetData>'
        f"{junk}</worksheet>"
    ).encode()
    assert "holds more than 100,000 XML elements" in refusal("p.xlsx", workbook(content))
    assert rows_built == []


def test_a_dtd_anywhere_is_refused_as_an_xml_bomb():
    for content in (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x/>',
        b'<?xml version="1.0"?><!DOCTYPE x SYSTEM "x.dtd"><x/>',
    ):
        message = refusal("p.xlsx", workbook(replace={"docProps/app.xml": content}))
        assert "XML bomb" in message


def test_a_damaged_part_is_named():
    message = refusal("p.xlsx", workbook(sheet_xml(HEADER_ROW)[:-5]))
    assert "The workbook is damaged: xl/worksheets/sheet1.xml cannot be read." in message


# --- CSV --------------------------------------------------------------------------------------


def test_a_csv_past_the_line_limit_is_refused_at_that_line(app):
    content = b"Name,Country,Kind\nAgency,HU,Other\n" + b"\n" * 20_000 + b"Late,HU,Other\n"
    message = refusal("p.csv", content)
    assert "The file goes on to line 10,002; at most 10,001 lines are read" in message


def test_a_csv_line_with_a_value_past_the_column_limit_is_refused(app):
    content = b"Name,Country,Kind\nAgency,HU,Other" + b",x" * 30 + b"\n"
    message = refusal("p.csv", content)
    assert "Line 2 reaches column" in message and f"at most {COLUMNS} columns are read" in message


def test_a_csv_line_too_long_for_its_columns_is_refused_before_it_is_split(app):
    for line in (b"," * 300_000, b'"\n",' * 100_000):  # one line; one record over many
        message = refusal("p.csv", b"Name,Country,Kind\nAgency,HU,Other\n" + line + b"\n")
        assert (
            f"Line 3 is longer than {COLUMNS * 10_000:,} characters, more than {COLUMNS} columns"
            in message
        )


def test_empty_trailing_fields_past_the_limit_are_dropped(app):
    content = b"Name,Country,Kind" + b"," * 50 + b"\nAgency,HU,Other" + b"," * 5_000 + b"\n"
    preview = imports.parse_upload("partners", "p.csv", content)
    assert preview.ok, preview.file_errors
    assert preview.plans[0].values["name"] == "Agency"


def test_a_csv_value_longer_than_the_field_limit_is_refused(app):
    content = b'Name,Country,Kind\n"' + b"x" * 150_000 + b'",HU,Other\n'
    message = refusal("p.csv", content)
    assert "The CSV file cannot be read: a value is longer than 131,072 characters" in message


def test_a_csv_with_an_unclosed_quote_is_refused(app):
    message = refusal("p.csv", b'Name,Country,Kind\n"Agency,HU,Other\n')
    assert "The CSV file cannot be read" in message


# --- Through the page ----------------------------------------------------------------------------


def test_the_page_shows_the_refusal_and_keeps_nothing(app, admin_client, tmp_path):
    token = csrf_token(admin_client, "/import")
    response = admin_client.post(
        "/import",
        data={
            "kind": "partners",
            "file": (io.BytesIO(sparse(None)), "sparse.xlsx"),
            "csrf_token": token,
        },
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "This file cannot be imported" in html
    assert "reaches column ALL (column 1,000)" in html
    assert "Confirm import" not in html
    assert count_rows(Partner) == 0
    pending = tmp_path / "pending"
    assert not pending.exists() or not list(pending.iterdir())


def test_every_sheet_is_held_to_the_limits_not_only_the_first(rows_built):
    # Opening a workbook, openpyxl reads through the cells of any sheet declaring no dimension.
    far = sheet_xml('<row r="500000"><c r="A500000"><v>1</v></c></row>')
    content = workbook(replace={"xl/worksheets/sheet2.xml": far})
    assert "The sheet goes on to line 500,000" in refusal("p.xlsx", content)
    assert rows_built == []
