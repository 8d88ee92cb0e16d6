"""The benchmark's output: the machine it ran on, the tables it prints, its JSON results,
a Markdown copy of the tables for the README, and the plot of time against size."""

import json
import os
import platform
import sqlite3
import subprocess
from pathlib import Path

from bench.measure import PAGE_MS, verdict

ROOT = Path(__file__).resolve().parents[1]
DIALECT_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def machine(pg_version: str | None = None) -> dict:
    """CPU model, cores, memory, Python and database versions, load while it ran."""
    cpu, memory_kb = platform.processor() or platform.machine(), None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_kb = int(line.split()[1])
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(memory_kb / 1024 / 1024, 1) if memory_kb else None,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": pg_version,
        "load_average": [round(x, 2) for x in os.getloadavg()]
        if hasattr(os, "getloadavg")
        else None,
    }


def machine_line(info: dict) -> str:
    parts = [
        f"{info['cpu']}, {info['cores']} cores, {info['memory_gb']} GB",
        info["os"],
        f"Python {info['python']}",
        f"SQLite {info['sqlite']}",
    ]
    if info.get("postgresql"):
        parts.append(f"PostgreSQL {info['postgresql']}")
    return "; ".join(parts)


def git_revision() -> dict:
    def git(*args: str) -> str:
        return subprocess.run(  # noqa: S603 (fixed arguments)
            ["git", *args],  # noqa: S607 (git from PATH)
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()

    return {
        "revision": git("rev-parse", "HEAD"),
        "branch": git("rev-parse", "--abbrev-ref", "HEAD"),
        # Others' work in progress in the same checkout counts: the code measured is the
        # working tree, not only the revision.
        "uncommitted_changes": bool(git("status", "--porcelain", "--untracked-files=no")),
    }


# --- Tables -----------------------------------------------------------------------------------


def _ms(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}" if value >= 10 else f"{value:,.1f}"


def _verdict_text(result: dict) -> str:
    if result.get("target_ms") is None and result.get("peak_mb") is None:
        return ""
    missed = verdict(result)
    return "met" if not missed else "missed: " + ", ".join(missed)


def _ratio(result: dict) -> str:
    ratio = result.get("ratio")
    return "" if ratio is None else f"{ratio:,.1f}×"


def size_title(dialect: str, size: int, database: dict, git: dict | None = None) -> str:
    counts = database.get("counts") or {}
    shown = ", ".join(
        f"{counts[t]:,} {t.replace('_', '-')}"
        for t in ("partners", "engagements", "follow_ups", "incentives", "milestones")
        if t in counts
    )
    at = f" at {git['revision'][:10]}" if git else ""
    return f"{DIALECT_NAMES.get(dialect, dialect)}, {size}× ({shown}){at}"


COLUMNS = [
    ("case", 46, "<"),
    ("median ms", 10, ">"),
    ("p95 ms", 9, ">"),
    ("queries", 8, ">"),
    ("objects", 9, ">"),
    ("peak MB", 8, ">"),
    ("page/raw", 8, ">"),
    ("verdict", 22, "<"),
]


def _cells(result: dict) -> list[str]:
    name = result["name"]
    return [
        name if len(name) <= 46 else name[:45] + "…",
        _ms(result["median_ms"]),
        _ms(result["p95_ms"]),
        "—" if result["queries"] is None else f"{result['queries']:,}",
        "—" if result["objects"] is None else f"{result['objects']:,}",
        "—" if result.get("peak_mb") is None else f"{result['peak_mb']:,.0f}",
        _ratio(result),
        _verdict_text(result),
    ]


def text_table(results: list[dict]) -> str:
    header = " ".join(f"{title:{align}{width}}" for title, width, align in COLUMNS)
    lines = [header, "-" * len(header)]
    for result in results:
        cells = _cells(result)
        line = " ".join(
            f"{cell:{align}{width}}"
            for cell, (_t, width, align) in zip(cells, COLUMNS, strict=True)
        )
        notes = [result["note"]] if result.get("note") else []
        if result.get("differences"):
            notes.append("raw SQL differs from the app: " + "; ".join(result["differences"][:4]))
        elif result.get("figures_match"):
            notes.append("its figures are the page's")
        lines.append(line.rstrip() + ("" if not notes else f"\n{'':6}↳ " + " | ".join(notes)))
    return "\n".join(lines)


def markdown_table(results: list[dict]) -> str:
    titles = [title for title, _w, _a in COLUMNS]
    lines = ["| " + " | ".join(titles) + " |", "|" + "|".join("---" for _ in titles) + "|"]
    for result in results:
        cells = _cells(result)
        cells[0] = f"`{result['name']}`" if result["name"].startswith("/") else result["name"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def across_sizes(sizes: dict) -> list[dict]:
    """Per case: statements and objects at each size, and whether they stay flat."""
    names = []
    for run in sizes.values():
        for result in run["cases"]:
            if result["name"] not in names:
                names.append(result["name"])
    rows = []
    for name in names:
        by_size = {
            size: next((r for r in run["cases"] if r["name"] == name), None)
            for size, run in sizes.items()
        }
        present = {size: r for size, r in by_size.items() if r is not None}
        if not present:
            continue
        kind = next(iter(present.values()))["kind"]
        queries = {size: r["queries"] for size, r in present.items()}
        objects = {size: r["objects"] for size, r in present.items()}
        rows.append(
            {
                "name": name,
                "kind": kind,
                "queries": queries,
                "objects": objects,
                "median_ms": {size: r["median_ms"] for size, r in present.items()},
                "flat_queries": len(set(queries.values())) == 1,
                "flat_objects": len(set(objects.values())) == 1,
                "object_growth": object_growth(objects),
            }
        )
    return rows


# A page's objects may differ between sizes without growing with the portfolio: the reference
# lists it shows in full (the generator makes 11 regions at 10x and 30 at 100x; the staff),
# and which partners or obligations its first rows bring. Between the two largest sizes they
# are "bounded" when at most doubled or up by at most one page of rows; a page that loads a
# share of the portfolio grows with it, tenfold from 10x to 100x.
BOUNDED_RATIO, BOUNDED_ROWS = 2, 50


def object_growth(objects: dict) -> tuple[int, int] | None:
    """Objects at the second-largest and the largest size measured (None with one size)."""
    sizes = sorted(objects, key=int)
    return None if len(sizes) < 2 else (objects[sizes[-2]], objects[sizes[-1]])


def bounded(growth: tuple[int, int]) -> bool:
    smaller, larger = growth
    return larger <= max(BOUNDED_RATIO * smaller, smaller + BOUNDED_ROWS)


def flat_verdict(row: dict) -> str:
    """flat (the same at every size), bounded (objects only; `bounded`), or what grows."""
    if len(row["queries"]) < 2:
        return "one size"
    if not row["flat_queries"]:
        return "grows: queries"
    if row["flat_objects"]:
        return "flat"
    smaller, larger = row["object_growth"]
    change = f"objects {smaller:,} → {larger:,}"
    return f"bounded ({change})" if bounded(row["object_growth"]) else f"grows: {change}"


def flat_table(rows: list[dict], markdown: bool = False) -> str:
    """Statements and objects per size for the page cases: flat, or how they grow."""
    pages = [row for row in rows if row["kind"] in ("page", "list", "detail")]
    if not pages:
        return ""
    sizes = sorted({size for row in pages for size in row["queries"]}, key=int)

    def cell(row, key, size):
        value = row[key].get(size)
        return "—" if value is None else f"{value:,}"

    head = ["case", *(f"queries {s}×" for s in sizes), *(f"objects {s}×" for s in sizes), "flat?"]
    body = [
        [
            row["name"],
            *(cell(row, "queries", s) for s in sizes),
            *(cell(row, "objects", s) for s in sizes),
            flat_verdict(row),
        ]
        for row in pages
    ]
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
        lines += ["| " + " | ".join(cells) + " |" for cells in body]
        return "\n".join(lines)
    widths = [max(len(str(r[i])) for r in [head, *body]) for i in range(len(head))]
    widths[0] = min(widths[0], 46)
    out = []
    for cells in [head, *body]:
        first = cells[0] if len(cells[0]) <= 46 else cells[0][:45] + "…"
        rest = [f"{c:>{w}}" for c, w in zip(cells[1:-1], widths[1:-1], strict=True)]
        out.append(f"{first:<{widths[0]}} " + " ".join(rest) + f"  {cells[-1]}")
    return "\n".join(out)


# --- Files ----------------------------------------------------------------------------------


def write_results(results: dict, folder: Path, stamp: str) -> list[Path]:
    """`<stamp>-<dialect>.json` and `latest-<dialect>.json` for each dialect run, and
    `latest.md`: the tables in Markdown for the README."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for dialect, body in results["dialects"].items():
        document = {key: value for key, value in results.items() if key != "dialects"}
        document |= {"dialect": dialect, **body}
        text = json.dumps(document, indent=1, default=str) + "\n"
        for name in (f"{stamp}-{dialect}.json", f"latest-{dialect}.json"):
            (folder / name).write_text(text)
            written.append(folder / name)
    (folder / "latest.md").write_text(markdown(results))
    written.append(folder / "latest.md")
    return written


def markdown(results: dict) -> str:
    lines = [
        f"Run {results['started_at']} at {results['git']['revision'][:10]}"
        + (" (with uncommitted changes)" if results["git"]["uncommitted_changes"] else "")
        + f", median and p95 of {results['options']['repeat']} runs.",
        "",
        f"Machine: {machine_line(results['machine'])}.",
        "",
    ]
    for dialect, body in results["dialects"].items():
        for size, run in body["sizes"].items():
            lines += [f"#### {size_title(dialect, int(size), run['database'], run.get('git'))}", ""]
            lines += [markdown_table(run["cases"]), ""]
        flat = flat_table(body["across_sizes"], markdown=True)
        if flat:
            lines += [
                f"#### {DIALECT_NAMES.get(dialect, dialect)}: queries and objects by size",
                "",
            ]
            lines += [flat, ""]
    return "\n".join(lines)


# The lines on the plot: issue 12's pages on the left; the jobs and files on the right.
PLOTTED_PAGES = [
    "/reports/monthly",
    "/dashboard",
    "/due",
    "/",
    "/partners",
    "/incentives/deadlines",
    "/partners/1",
    "/regions/1",
    "/incentives",
    "/commitments",
]
PLOTTED_JOBS = [
    "scan, first",
    "scan, repeated",
    "digest",
    "export CSV",
    "export XLSX",
    "import",
]


def plot(results: dict, path: Path) -> Path | None:
    """Median time against size, log-log: one line per page of issue 12 (left) and per job
    and file (right); solid on SQLite, dashed on PostgreSQL."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (pages, jobs) = plt.subplots(1, 2, figsize=(13, 5.5), layout="constrained")
    styles = {"sqlite": "-", "postgresql": "--"}
    colours = plt.get_cmap("tab10").colors
    drawn = False
    for axes, names in ((pages, PLOTTED_PAGES), (jobs, PLOTTED_JOBS)):
        for index, name in enumerate(names):
            for dialect, body in results["dialects"].items():
                points = []
                for size, run in sorted(body["sizes"].items(), key=lambda kv: int(kv[0])):
                    match = next(
                        (
                            r
                            for r in run["cases"]
                            if r["name"] == name or r["name"].startswith(name + " ")
                        ),
                        None,
                    )
                    if match and match["ok"]:
                        points.append((int(size), match["median_ms"]))
                if not points:
                    continue
                drawn = True
                xs, ys = zip(*points, strict=True)
                axes.plot(
                    xs,
                    ys,
                    styles.get(dialect, ":"),
                    marker="o",
                    color=colours[index % len(colours)],
                    label=f"{name} ({DIALECT_NAMES.get(dialect, dialect)})"
                    if len(results["dialects"]) > 1
                    else name,
                )
        axes.set_xscale("log")
        axes.set_yscale("log")
        axes.set_xlabel("size (× the demo portfolio)")
        axes.set_ylabel("median time (ms)")
        axes.grid(True, which="both", alpha=0.3)
    if not drawn:
        plt.close(figure)
        return None
    pages.axhline(PAGE_MS, color="grey", linewidth=1, linestyle=":")
    pages.text(1, PAGE_MS * 1.08, f"target {PAGE_MS} ms", color="grey", fontsize=8)
    pages.set_title("Issue 12's pages")
    jobs.set_title("Scan, digest, exports (50,000 rows at 100×), import (5,000 rows)")
    for axes in (pages, jobs):
        if axes.get_legend_handles_labels()[0]:
            axes.legend(fontsize=7, loc="upper left")
    sizes = sorted({int(s) for body in results["dialects"].values() for s in body["sizes"]})
    for axes in (pages, jobs):
        axes.set_xticks(sizes, [f"{s}×" for s in sizes])
        axes.minorticks_off()
    figure.suptitle(
        f"Ecosystem Tracker: time against size — {machine_line(results['machine'])}", fontsize=9
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
