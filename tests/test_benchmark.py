"""The benchmark (`scripts/benchmark.py`, the `bench` package) still runs and still writes
what the README and the plot are made from.

It runs at its smallest setting — the demo (size 1), one repetition, two pages and their
raw SQL, on SQLite only — in a process of its own, into a temporary results folder. The
figures it prints are not judged here (no timed assertion): only that it measured
something and wrote it down in the expected shape.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CASES = ["/dashboard", "/due", "raw SQL: /dashboard", "raw SQL: /due"]


@pytest.fixture(scope="module")
def bench_run(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    results = tmp_path_factory.mktemp("bench-results")
    env = {k: v for k, v in os.environ.items() if k not in ("TEST_DATABASE_URL", "BENCH_REUSE")}
    finished = subprocess.run(  # noqa: S603 (our own script)
        [
            sys.executable,
            str(ROOT / "scripts" / "benchmark.py"),
            "--sizes",
            "1",
            "--repeat",
            "1",
            "--cases",
            "/dashboard,=/due,=raw SQL: /due",
            "--results-dir",
            str(results),
            "--sqlite-only",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return results, finished


def test_it_runs_and_prints_a_table_per_size(bench_run):
    _results, finished = bench_run
    assert finished.returncode == 0, finished.stdout[-3000:] + finished.stderr[-3000:]
    assert "SQLite, 1×" in finished.stdout
    for name in CASES:
        assert name in finished.stdout


def test_the_json_holds_every_figure_of_every_case(bench_run):
    results, _finished = bench_run
    stamped = [p for p in results.glob("*-sqlite.json") if not p.name.startswith("latest")]
    assert len(stamped) == 1
    document = json.loads((results / "latest-sqlite.json").read_text())
    assert document == json.loads(stamped[0].read_text())
    assert document["dialect"] == "sqlite"
    assert len(document["git"]["revision"]) == 40
    machine = document["machine"]
    assert machine["cores"] >= 1 and machine["python"] and machine["sqlite"] and machine["cpu"]
    assert document["options"] == {
        "sizes": [1],
        "repeat": 1,
        "cases": ["/dashboard", "=/due", "=raw SQL: /due"],
        "reuse": False,
    }
    assert set(document["targets"]) >= {"page_median_ms", "peak_memory_mb", "scan_first_ms"}

    run = document["sizes"]["1"]
    assert run["database"]["counts"]["partners"] > 0
    cases = {case["name"]: case for case in run["cases"]}
    assert sorted(cases) == sorted(CASES)
    for case in cases.values():
        assert case["ok"], case
        assert case["median_ms"] > 0 and case["p95_ms"] >= case["median_ms"]
        assert len(case["timings_ms"]) == 1
        assert case["queries"] > 0
        assert case["peak_mb"] > 0
        assert isinstance(case["verdict"], list)
    for page in ("/dashboard", "/due"):
        assert cases[page]["status"] == 200
        assert cases[page]["objects"] > 0  # the pages load ORM objects…
        assert cases[page]["target_ms"] == 150
        raw = cases[f"raw SQL: {page}"]
        assert raw["objects"] == 0  # …their raw SQL loads none
        assert raw["figures_match"] is True, raw["differences"]
        assert cases[page]["ratio"] == raw["ratio"] > 0
        assert cases[page]["raw_ms"] == raw["median_ms"]
    flat = {row["name"]: row for row in document["across_sizes"]}
    assert flat["/dashboard"]["queries"] == {"1": cases["/dashboard"]["queries"]}


def test_it_writes_the_readme_table_and_the_plot(bench_run):
    results, _finished = bench_run
    markdown = (results / "latest.md").read_text()
    assert "| case | median ms |" in markdown
    assert "| `/dashboard` |" in markdown
    assert (results / "time-vs-size.png").read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize(
    ("queries", "objects", "verdict"),
    [
        ([9, 9, 9], [6, 6, 6], "flat"),
        # reference lists and first rows: at most doubled, or up by a page of rows at most
        ([18, 18, 18], [8, 10, 31], "bounded (objects 10 → 31)"),
        ([9, 9, 9], [87, 113, 184], "bounded (objects 113 → 184)"),
        ([9, 9, 9], [87, 300, 601], "grows: objects 300 → 601"),
        # a share of the portfolio
        ([17, 17, 17], [266, 2_074, 20_033], "grows: objects 2,074 → 20,033"),
        ([13, 15, 15], [154, 56, 108], "grows: queries"),
    ],
)
def test_the_flat_column_tells_bounded_objects_from_objects_that_grow(queries, objects, verdict):
    from bench.report import across_sizes, flat_verdict

    sizes = {
        size: {
            "cases": [{"name": "/p", "kind": "page", "queries": q, "objects": o, "median_ms": 1}]
        }
        for size, q, o in zip(["1", "10", "100"], queries, objects, strict=True)
    }
    (row,) = across_sizes(sizes)
    assert flat_verdict(row) == verdict


def test_a_cached_database_without_an_index_of_the_models_is_not_reused(app, tmp_path):
    from sqlalchemy import create_engine, text

    from bench.databases import schema_problems
    from tracker.extensions import db

    engine = create_engine(f"sqlite:///{tmp_path / 'cached.db'}")
    db.metadata.create_all(engine)
    assert schema_problems(engine) == []
    with engine.begin() as connection:
        connection.execute(text("DROP INDEX ix_milestones_commitment_status_due"))
    assert schema_problems(engine) == [
        "milestones: indexes missing (ix_milestones_commitment_status_due)"
    ]
    engine.dispose()
