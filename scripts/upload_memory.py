"""Print what hostile and large uploads cost: peak extra memory and time, one upload each.

    .venv/bin/python scripts/upload_memory.py            # every file below
    .venv/bin/python scripts/upload_memory.py sparse xfd  # only these

Each file is built, then uploaded through the real application (test client, signed in
as an admin, CSRF and all) in a fresh Python process, so one upload's memory never hides
another's. The figure is the growth of the process's peak resident memory over what it
held just before the upload (Linux resets the peak through /proc/self/clear_refs;
elsewhere the peak since start is used, which can only overstate it). The target is that
any upload, accepted or refused, costs under 200 MB. Figures are printed, not asserted.
"""

import argparse
import io
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
TARGET_MB = 200
PASSWORD = "Upload-memory-check-7Qx!"  # noqa: S105 (a throwaway database's admin)
PARTNER_HEADER = ["Name", "Country", "Kind", "Status", "Cadence (days)"]


def _base_workbook(rows: list[list]) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _replace(source: bytes, parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source)) as old, zipfile.ZipFile(out, "w") as new:
        for item in old.infolist():
            data = parts.pop(item.filename, None) or old.read(item)
            new.writestr(item.filename, data, compress_type=zipfile.ZIP_DEFLATED)
        for name, data in parts.items():
            new.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _sheet(rows: str, dimension: str | None = None) -> bytes:
    declared = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{NS}">{declared}'
        f"<sheetData>{rows}</sheetData></worksheet>"
    ).encode()


def _with_sheet(sheet: bytes) -> bytes:
    return _replace(_base_workbook([["Name"]]), {"xl/worksheets/sheet1.xml": sheet})


def sparse(dimension: bool) -> bytes:
    """Cells at A1, ALL1 and A100000 (the issue's 4.7 KB file)."""
    rows = (
        '<row r="1"><c r="A1"><v>1</v></c><c r="ALL1"><v>1</v></c></row>'
        '<row r="100000"><c r="A100000"><v>1</v></c></row>'
    )
    return _with_sheet(_sheet(rows, "A1:ALL100000" if dimension else None))


def xfd(dimension: bool) -> bytes:
    """Cells at XFD1 and A1048576: the whole grid Excel allows."""
    rows = (
        '<row r="1"><c r="A1"><v>1</v></c><c r="XFD1"><v>1</v></c></row>'
        '<row r="1048576"><c r="A1048576"><v>1</v></c></row>'
    )
    return _with_sheet(_sheet(rows, "A1:XFD1048576" if dimension else None))


def zip_bomb() -> bytes:
    """60 MB of zeros packed into a workbook part of about 60 KB."""
    return _replace(_base_workbook([["Name"]]), {"xl/media/padding.bin": b"\0" * (60 << 20)})


def wide_row() -> bytes:
    """One row of three million cells without references, random enough to pass the
    compression-ratio check: about 40 MB unpacked, 5 MB packed."""
    generator = random.Random(7)  # noqa: S311 (filler, not a secret)
    cells = "".join(f'<c s="{generator.randrange(10**4)}"/>' for _ in range(3_000_000))
    return _with_sheet(_sheet(f'<row r="1">{cells}</row>'))


def strings_bomb() -> bytes:
    """Two million shared strings, far more than the sheet's cells could use: about 40 MB
    unpacked, 6 MB packed."""
    generator = random.Random(7)  # noqa: S311 (filler, not a secret)
    strings = "".join(f"<si><t>{generator.randrange(16**5):x}</t></si>" for _ in range(2_000_000))
    sst = f'<?xml version="1.0"?><sst xmlns="{NS}">{strings}</sst>'.encode()
    return _replace(_base_workbook([["Name"]]), {"xl/sharedStrings.xml": sst})


def _partner_rows(count: int) -> list[list]:
    kinds = ["Economic agency", "Cluster alliance", "Trade council", "Other"]
    return [[f"Partner {i:05d}", "HU", kinds[i % 4], "prospect", 30 + i % 60] for i in range(count)]


def _max_rows() -> int:
    from tracker.core.imports import DEFAULT_MAX_ROWS

    return DEFAULT_MAX_ROWS


def valid_xlsx() -> bytes:
    """The most rows an import takes, every one good: partners written by openpyxl."""
    return _base_workbook([PARTNER_HEADER, *_partner_rows(_max_rows())])


def valid_csv() -> bytes:
    lines = [",".join(PARTNER_HEADER)]
    lines += [",".join(str(value) for value in row) for row in _partner_rows(_max_rows())]
    return ("\n".join(lines) + "\n").encode()


def csv_commas() -> bytes:
    """One 10 MB line of commas: ten million empty values."""
    return b"Name,Country,Kind\n" + b"," * (10 * 1024 * 1024 - 100) + b"\n"


def csv_lines() -> bytes:
    """Ten million blank lines under a header."""
    return b"Name,Country,Kind\n" + b"\n" * (10 * 1024 * 1024 - 100)


FILES = {
    "sparse": ("A1, ALL1, A100000 (dimension declared)", "xlsx", lambda: sparse(True)),
    "sparse-undeclared": ("A1, ALL1, A100000 (no dimension)", "xlsx", lambda: sparse(False)),
    "xfd": ("XFD1, A1048576 (dimension declared)", "xlsx", lambda: xfd(True)),
    "xfd-undeclared": ("XFD1, A1048576 (no dimension)", "xlsx", lambda: xfd(False)),
    "zip-bomb": ("zip bomb: 60 MB of zeros", "xlsx", zip_bomb),
    "wide-row": ("one row of 3 million cells", "xlsx", wide_row),
    "strings": ("2 million shared strings", "xlsx", strings_bomb),
    "csv-commas": ("CSV: one line of 10 million commas", "csv", csv_commas),
    "csv-lines": ("CSV: 10 million blank lines", "csv", csv_lines),
    "valid-xlsx": ("valid: the most rows allowed, XLSX", "xlsx", valid_xlsx),
    "valid-csv": ("valid: the most rows allowed, CSV", "csv", valid_csv),
}


def _resident_kb() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def _reset_peak() -> bool:
    """Reset the kernel's record of this process's peak memory (Linux 4.0 and later)."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
        return True
    except OSError:
        return False


def _peak_kb() -> int:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def measure_one(name: str) -> None:
    """Upload one file in this process and print `status|seconds|megabytes|outcome`."""
    from config import TestConfig
    from tracker import create_app
    from tracker.auth.operations import new_user
    from tracker.extensions import db

    _, extension, build = FILES[name]
    content = build()
    with tempfile.TemporaryDirectory() as folder:

        class UploadConfig(TestConfig):
            SQLALCHEMY_DATABASE_URI = f"sqlite:///{folder}/upload.db"
            IMPORT_PENDING_DIR = f"{folder}/pending"

        app = create_app(UploadConfig)
        with app.app_context():
            db.create_all()
            new_user("admin@example.com", "Admin", "admin", PASSWORD)
            db.session.commit()
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        client.post(
            "/login",
            data={"email": "admin@example.com", "password": PASSWORD, "csrf_token": token},
        )
        page = client.get("/import").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        data = {
            "kind": "partners",
            "file": (io.BytesIO(content), f"upload.{extension}"),
            "csrf_token": token,
        }
        before = _resident_kb()
        exact = _reset_peak()
        start = time.perf_counter()
        response = client.post("/import", data=data, content_type="multipart/form-data")
        seconds = time.perf_counter() - start
        grown = (_peak_kb() - before) / 1024
        html = response.get_data(as_text=True)
    problems = re.search(r'class="card import-problems".*?<p>(.*?)</p>', html, re.S)
    if problems:
        outcome = "refused: " + re.sub(r"<[^>]+>", "", problems.group(1)).replace("&#34;", '"')
    elif "Confirm import" in html:
        outcome = "accepted: " + (re.search(r"([\d,]+) rows?\.", html) or [None, "?"])[1] + " rows"
    else:
        outcome = "other"
    note = "" if exact else " (peak since start)"
    print(f"{response.status_code}|{seconds:.2f}|{grown:.1f}{note}|{len(content)}|{outcome}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", choices=[[], *FILES], help="files to try")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        measure_one(args.one)
        return
    print(f"\nUploads (target: under {TARGET_MB} MB of extra memory each)")
    print(f"{'file':40} {'size':>9} {'status':>6} {'seconds':>7} {'extra MB':>9}  outcome")
    for name in args.names or FILES:
        done = subprocess.run(  # noqa: S603 (this script, with a name from FILES)
            [sys.executable, __file__, "--one", name],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            print(f"{FILES[name][0]:40} failed: {done.stderr.strip().splitlines()[-1:]}")
            continue
        status, seconds, grown, size, outcome = done.stdout.strip().splitlines()[-1].split("|", 4)
        size_text = f"{int(size) / 1024:,.0f} KB"
        print(
            f"{FILES[name][0]:40} {size_text:>9} {status:>6} {seconds:>7} {grown:>9}  "
            f"{outcome[:110]}"
        )


if __name__ == "__main__":
    main()
