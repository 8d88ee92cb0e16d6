"""The benchmark's command line: build each size's database, measure it, report.

Each size is measured in a fresh Python process (and built in another), so one size's
memory never hides another's and a crash stops one size only. The parent process prints
each size's table as it finishes, then the statements and objects across sizes, and
writes the JSON results, the Markdown tables and the plot.
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import traceback
from datetime import UTC, datetime
from pathlib import Path

from bench import report
from bench.measure import TARGETS, verdict

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "benchmark.py"
DEFAULT_RESULTS = ROOT / "bench" / "results"
DEFAULT_CACHE = Path(
    os.environ.get("BENCH_CACHE_DIR") or Path(tempfile.gettempdir()) / "tracker-bench"
)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="scripts/benchmark.py",
        description="Time every page, the scan, the digest, exports and an import at several "
        "sizes of the portfolio, on SQLite and (with TEST_DATABASE_URL) PostgreSQL.",
    )
    parser.add_argument(
        "--sizes",
        default="1,10,100",
        help="sizes to measure, as multiples of the demo portfolio (default 1,10,100)",
    )
    parser.add_argument(
        "--repeat", type=int, default=5, help="timed runs per case (median and p95; default 5)"
    )
    parser.add_argument(
        "--cases",
        default="",
        help="only the cases whose name contains one of these comma-separated texts "
        "(=TEXT: whose name is TEXT)",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        default=os.environ.get("BENCH_REUSE", "") not in ("", "0"),
        help="keep each built database and use it again while it is complete and current "
        "(also BENCH_REUSE=1)",
    )
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=DEFAULT_CACHE,
        help=f"where --reuse keeps the SQLite databases (default {DEFAULT_CACHE}; "
        "also BENCH_CACHE_DIR)",
    )
    parser.add_argument(
        "--prebuilt",
        action="append",
        default=[],
        metavar="N=PATH",
        help="a SQLite database of size N built elsewhere (e.g. 100=/tmp/scale100.db): "
        "checked, copied, never changed",
    )
    parser.add_argument(
        "--results-dir",
        type=Path,
        default=DEFAULT_RESULTS,
        help="where the JSON, Markdown and PNG go (default bench/results)",
    )
    parser.add_argument("--no-plot", action="store_true", help="skip the PNG")
    parser.add_argument(
        "--sqlite-only",
        action="store_true",
        help="skip PostgreSQL even if TEST_DATABASE_URL is set",
    )
    # The workers the parent starts, one process per build and per measured size.
    parser.add_argument("--worker", choices=("build", "measure"), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--sidecar", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--check-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        args.size_list = [int(s) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        parser.error(f"--sizes takes whole numbers separated by commas, not {args.sizes!r}")
    if not args.size_list or min(args.size_list) < 1:
        parser.error("--sizes needs at least one size of 1 or more")
    if args.repeat < 1:
        parser.error("--repeat must be 1 or more")
    args.patterns = [p.strip() for p in args.cases.split(",") if p.strip()]
    args.prebuilt_files = {}
    for item in args.prebuilt:
        size, _, path = item.partition("=")
        if not size.isdigit() or not path:
            parser.error(f"--prebuilt takes N=PATH, not {item!r}")
        args.prebuilt_files[int(size)] = Path(path)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.worker == "build":
        return build_worker(args)
    if args.worker == "measure":
        return measure_worker(args)
    return run(args)


# --- The parent ---------------------------------------------------------------------------------


def _worker(args, kind: str, url: str, size: int, out: Path, *extra: str) -> dict:
    command = [sys.executable, str(SCRIPT), "--worker", kind, "--url", url, "--size", str(size)]
    command += ["--out", str(out), "--repeat", str(args.repeat), "--cases", args.cases, *extra]
    finished = subprocess.run(command, cwd=ROOT, check=False)  # noqa: S603 (our own script)
    if finished.returncode != 0 or not out.is_file():
        raise RuntimeError(f"the {kind} worker for size {size} failed ({finished.returncode})")
    return json.loads(out.read_text())


def _postgres_url() -> str | None:
    from config import database_url

    url = os.environ.get("TEST_DATABASE_URL")
    return database_url(url, "") or None


def prepare(args, dialect: str, size: int, folder: Path, pg_url: str | None) -> dict:
    """A database of size `size` to measure: {"url", "database": notes}."""
    out = folder / f"build-{dialect}-{size}.json"
    if dialect == "postgresql":
        sidecar = _pg_sidecar(pg_url, args)
        extra = ["--sidecar", str(sidecar)] + (["--reuse"] if args.reuse else [])
        built = _worker(args, "build", pg_url, size, out, *extra)
        return {"url": pg_url, "database": built}
    work = folder / f"sqlite-{size}x.db"
    prebuilt = args.prebuilt_files.get(size)
    if prebuilt is not None:
        checked = _worker(args, "build", f"sqlite:///{prebuilt}", size, out, "--check-only")
        if checked["reused"]:
            shutil.copyfile(prebuilt, work)
            return {"url": f"sqlite:///{work}", "database": checked}
        print(f"  {prebuilt} will not do ({checked['reason']}): building size {size} instead")
    if args.reuse:
        args.cache_dir.mkdir(parents=True, exist_ok=True)
        cached = args.cache_dir / f"sqlite-{size}x.db"
        built = _worker(
            args,
            "build",
            f"sqlite:///{cached}",
            size,
            out,
            "--reuse",
            "--sidecar",
            f"{cached}.bench.json",
        )
        shutil.copyfile(cached, work)  # scans and the digest write: keep the cache as built
        return {"url": f"sqlite:///{work}", "database": built}
    built = _worker(args, "build", f"sqlite:///{work}", size, out)
    return {"url": f"sqlite:///{work}", "database": built}


def _pg_sidecar(url: str, args) -> Path:
    from bench.databases import sidecar_for

    args.cache_dir.mkdir(parents=True, exist_ok=True)
    return sidecar_for(url, args.cache_dir)


def _pg_order(args, sizes: list[int], url: str) -> list[int]:
    """With --reuse, the size PostgreSQL already holds goes first, so it is used before the
    other sizes replace it."""
    if not args.reuse:
        return sizes
    sidecar = _pg_sidecar(url, args)
    if not sidecar.is_file():
        return sizes
    held = json.loads(sidecar.read_text()).get("size")
    return sorted(sizes, key=lambda size: size != held)


def run(args) -> int:
    started = datetime.now(UTC)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    pg_url = None if args.sqlite_only else _postgres_url()
    dialects = ["sqlite"] + (["postgresql"] if pg_url else [])
    results = {
        "started_at": started.isoformat(timespec="seconds"),
        "git": report.git_revision(),
        "machine": report.machine(),
        "options": {
            "sizes": args.size_list,
            "repeat": args.repeat,
            "cases": args.patterns,
            "reuse": args.reuse,
        },
        "targets": TARGETS,
        "dialects": {},
    }
    print(f"Benchmark: sizes {args.sizes}, {args.repeat} runs per case, on {', '.join(dialects)}")
    print(f"Machine: {report.machine_line(results['machine'])}\n")
    failures = 0
    with tempfile.TemporaryDirectory(prefix="tracker-bench-") as tmp:
        folder = Path(tmp)
        for dialect in dialects:
            body = {"sizes": {}}
            order = (
                _pg_order(args, args.size_list, pg_url)
                if dialect == "postgresql"
                else args.size_list
            )
            for size in order:
                print(f"== {report.DIALECT_NAMES[dialect]}, {size}×")
                try:
                    database = prepare(args, dialect, size, folder, pg_url)
                    measured = _worker(
                        args,
                        "measure",
                        database["url"],
                        size,
                        folder / f"measure-{dialect}-{size}.json",
                    )
                except RuntimeError as error:
                    print(f"  {error}")
                    failures += 1
                    continue
                finally:
                    work = folder / f"sqlite-{size}x.db"
                    if work.exists():
                        work.unlink()
                measured["database"] = {**database["database"], "counts": measured["counts"]}
                if measured.get("postgresql"):
                    results["machine"]["postgresql"] = measured["postgresql"]
                body["sizes"][str(size)] = measured
                print()
                print(report.size_title(dialect, size, measured["database"], measured["git"]))
                print(report.text_table(measured["cases"]))
                print()
            body["sizes"] = dict(sorted(body["sizes"].items(), key=lambda kv: int(kv[0])))
            body["across_sizes"] = report.across_sizes(body["sizes"])
            flat = report.flat_table(body["across_sizes"])
            if flat and len(body["sizes"]) > 1:
                print(f"{report.DIALECT_NAMES[dialect]}: SQL statements and objects loaded by size")
                print(flat)
                print()
            results["dialects"][dialect] = body
    results["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    results["machine"]["load_average_after"] = report.machine()["load_average"]
    written = report.write_results(results, args.results_dir, stamp)
    if not args.no_plot:
        png = report.plot(results, args.results_dir / "time-vs-size.png")
        if png:
            written.append(png)
    print(
        "Written: "
        + ", ".join(str(p.relative_to(ROOT) if p.is_relative_to(ROOT) else p) for p in written)
    )
    return 1 if failures else 0


# --- The workers ---------------------------------------------------------------------------------


def _app(url: str, **settings):
    from config import TestConfig
    from tracker import create_app

    class BenchConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = url
        WTF_CSRF_ENABLED = False

    for key, value in settings.items():
        setattr(BenchConfig, key, value)
    return create_app(BenchConfig)


def build_worker(args) -> int:
    """Check the database at --url; build it (unless --check-only) when it will not do."""
    from bench import databases
    from tracker.extensions import db

    sidecar = args.sidecar
    app = _app(args.url)  # every model imported: the schema check needs them all
    if args.check_only:
        ok, reason = databases.reusable(args.url, args.size, None)
        print(f"  prebuilt {args.url}: {'complete' if ok else reason}")
        args.out.write_text(json.dumps({"reused": ok, "reason": reason, "url": args.url}))
        return 0
    reason = "not asked to reuse"
    if args.reuse:
        ok, reason = databases.reusable(args.url, args.size, sidecar)
        if ok:
            notes = json.loads(sidecar.read_text())
            print(f"  reusing the {args.size}× database built {notes['built_at']} ({reason})")
            args.out.write_text(json.dumps({**notes, "reused": True, "reason": reason}))
            return 0
        print(f"  building the {args.size}× database ({reason})")
    else:
        print(f"  building the {args.size}× database")
    with app.app_context():
        notes = databases.build(app, args.size, echo=lambda line: print(f"    {line}", flush=True))
        db.engine.dispose()
    print(f"  built in {notes['build_seconds']} s with {notes['generator']}")
    if sidecar is not None:
        sidecar.write_text(json.dumps(notes, indent=1))
    args.out.write_text(json.dumps({**notes, "reused": False, "reason": reason}))
    return 0


class Inbox:
    """An SMTP server's handler that counts what it is sent and keeps nothing."""

    def __init__(self):
        self.messages = 0
        self.lines = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages += 1
        self.lines += envelope.content.count(b"\n* ")
        return "250 Message accepted"

    def clear(self) -> None:
        self.messages = self.lines = 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _signed_in(app, email: str):
    from tracker.demo import DEMO_PASSWORD

    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": DEMO_PASSWORD})
    if response.status_code != 302:
        raise SystemExit(f"could not sign in as {email} (HTTP {response.status_code})")
    return client


def measure_worker(args) -> int:
    from aiosmtpd.controller import Controller
    from sqlalchemy import text

    from bench.cases import Bench, all_cases, selected, table_counts
    from bench.databases import settle
    from bench.measure import Counters, measure, rss_mb
    from tracker.extensions import db

    inbox, port = Inbox(), _free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    pending = tempfile.TemporaryDirectory(prefix="tracker-bench-imports-")
    app = _app(
        args.url,
        MAIL_ENABLED=True,
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=port,
        IMPORT_PENDING_DIR=pending.name,
    )
    counters = Counters()
    with app.app_context():
        counters.attach(db.engine)
        postgresql = None
        if db.engine.dialect.name == "postgresql":
            postgresql = db.session.execute(text("SHOW server_version")).scalar()
        db.session.remove()
    clients = {
        "manager": _signed_in(app, "manager@example.com"),
        "admin": _signed_in(app, "admin@example.com"),
    }
    with app.app_context():
        # As autovacuum would have between runs: a reused database carries the dead rows of
        # the last run's imports, rolled back (30,000 partners, scanned by every page's join).
        settle(db.engine)
        db.session.remove()
    bench = Bench(app, clients, args.size)
    counts = table_counts(bench)
    cases = selected(all_cases(bench, inbox), args.patterns)
    baseline = rss_mb()
    print(f"  {len(cases)} cases, {args.repeat} runs each; process at {baseline:,.0f} MB")
    results = []
    for case in cases:
        print(f"  {case.name[:60]:<60} ", end="", flush=True)
        try:
            result = measure(
                case, counters, args.repeat, lambda mark: print(mark, end="", flush=True)
            )
        except Exception as error:  # one broken case must not stop the others
            print(" failed")
            traceback.print_exc()
            result = _failed(case, error)
        else:
            print(
                f" {result['median_ms']:>10,.1f} ms  {result['queries']:>6,} queries "
                f"{result['objects']:>9,} objects  {result['peak_mb'] or 0:>5,.0f} MB"
                + ("" if result["ok"] else f"  FAILED {result['note']}")
            )
        results.append(result)
    _ratios(results)
    for result in results:
        result["verdict"] = verdict(result) if result.get("median_ms") is not None else ["error"]
    smtp.stop()
    pending.cleanup()
    args.out.write_text(
        json.dumps(
            {
                "size": args.size,
                "counts": counts,
                "process_mb": round(baseline, 1) if baseline else None,
                "postgresql": postgresql,
                # Others may commit while a long run goes on: the code this size ran.
                "git": report.git_revision(),
                "cases": results,
            },
            default=str,
        )
    )
    return 0


def _failed(case, error: Exception) -> dict:
    return {
        "name": case.name,
        "kind": case.kind,
        "median_ms": None,
        "p95_ms": None,
        "queries": None,
        "objects": None,
        "peak_mb": None,
        "ok": False,
        "note": f"{type(error).__name__}: {error}"[:300],
        "target_ms": case.target_ms,
        "raw_for": case.raw_for,
    }


def _ratios(results: list[dict]) -> None:
    """Beside each page with a raw-SQL twin: the twin's time, and page / raw."""
    by_name = {result["name"]: result for result in results}
    for result in results:
        page = by_name.get(result.get("raw_for") or "")
        if page is None or not result.get("median_ms") or page.get("median_ms") is None:
            continue
        ratio = round(page["median_ms"] / result["median_ms"], 2)
        result["ratio"] = page["ratio"] = ratio
        page["raw_ms"] = result["median_ms"]
