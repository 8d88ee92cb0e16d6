"""Measuring one case: wall time, SQL statements, ORM objects loaded and peak memory.

* SQL statements: every statement the engine sends (`before_cursor_execute`), the same
  count the tests' `count_queries` fixture takes.
* Objects loaded: the mapper-level `load` event on every mapped class (`db.Model`, with
  `propagate=True`): each instance built from a row, whichever query or relationship
  loaded it. An instance already in the session's identity map is not loaded again.
* Peak memory: the process's resident-set high-water mark (VmHWM in /proc/self/status),
  reset before each repetition by writing 5 to /proc/self/clear_refs, as
  `scripts/upload_memory.py` does. Where Linux cannot reset it, the peak since the process
  started is reported, which can only overstate it.
"""

import gc
import math
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import event

from tracker.extensions import db

# The targets of issue 12, item 5: printed as a verdict, never asserted.
PAGE_MS = 150
RAW_RATIO = 3
SCAN_FIRST_MS = 10_000
SCAN_REPEAT_MS = 2_000
CSV_MS = 3_000
XLSX_MS = 15_000
PEAK_MB = 300
TARGETS = {
    "page_median_ms": PAGE_MS,
    "page_to_raw_ratio": RAW_RATIO,
    "scan_first_ms": SCAN_FIRST_MS,
    "scan_repeat_ms": SCAN_REPEAT_MS,
    "csv_50k_ms": CSV_MS,
    "xlsx_50k_ms": XLSX_MS,
    "peak_memory_mb": PEAK_MB,
    "flat": "SQL statements and objects loaded the same at every size",
}


def _status_kb(name: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{name}:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def rss_mb() -> float | None:
    kb = _status_kb("VmRSS")
    return None if kb is None else kb / 1024


def peak_mb() -> float | None:
    kb = _status_kb("VmHWM")
    if kb is None:  # not Linux: the peak since start, in the platform's unit
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / 1024 / 1024 if sys.platform == "darwin" else peak / 1024
    return kb / 1024


def reset_peak() -> bool:
    """Make the high-water mark start again from the current resident size."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


class Counters:
    """SQL statements and ORM objects loaded, counted process-wide from `attach` on."""

    def __init__(self):
        self.statements = 0
        self.objects = 0

    def attach(self, engine) -> None:
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(db.Model, "load", self._load, propagate=True)

    def _statement(self, *args) -> None:
        self.statements += 1

    def _load(self, target, context) -> None:
        self.objects += 1

    def reset(self) -> None:
        self.statements = self.objects = 0


@dataclass
class Outcome:
    """What one repetition of a case did, beside its time."""

    status: int | None = None  # the HTTP status, for requests
    ok: bool = True
    rows: int | None = None  # rows in an export or an import
    counts: dict = field(default_factory=dict)  # alerts raised, messages sent…
    note: str = ""
    body: bytes | None = None  # an export's bytes, counted after the clock stops
    seconds: float | None = None  # set by a case that times only part of its work


@dataclass
class Case:
    """One thing measured. `run` is one repetition; `setup` and `teardown` surround each
    repetition outside the clock and the counters; `warm` makes one untimed run first."""

    name: str
    kind: str  # page | list | detail | scan | digest | export | import | raw
    run: Callable[[], Outcome]
    setup: Callable[[], None] | None = None
    teardown: Callable[[Outcome], None] | None = None
    warm: bool = False
    target_ms: float | None = None
    raw_for: str | None = None  # a raw-SQL case: the page whose figures it computes
    check: Callable[[], list[str]] | None = None  # raw SQL against the app, once
    note: str = ""


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile: with 5 runs, p95 is the slowest."""
    ordered = sorted(values)
    return ordered[max(math.ceil(share * len(ordered)) - 1, 0)]


def measure(case: Case, counters: Counters, repeat: int, progress: Callable[[str], None]):
    """Run `case` `repeat` times (after a warm-up when it asks for one) and return its
    figures as a dict for the JSON results."""
    if case.warm:
        if case.setup:
            case.setup()
        outcome = case.run()
        if case.teardown:
            case.teardown(outcome)
        progress("w")
    timings, statements, objects, peaks, extras, outcomes = [], [], [], [], [], []
    for _ in range(repeat):
        if case.setup:
            case.setup()
        gc.collect()
        reset_peak()
        before = rss_mb()
        counters.reset()
        start = time.perf_counter()
        outcome = case.run()
        elapsed = time.perf_counter() - start
        statements.append(counters.statements)
        objects.append(counters.objects)
        peak = peak_mb()
        peaks.append(peak)
        extras.append(None if peak is None or before is None else max(peak - before, 0))
        if case.teardown:
            case.teardown(outcome)
        outcome.body = None
        timings.append((outcome.seconds if outcome.seconds is not None else elapsed) * 1000)
        outcomes.append(outcome)
        progress(".")
    last = outcomes[-1]
    result = {
        "name": case.name,
        "kind": case.kind,
        "median_ms": round(statistics.median(timings), 2),
        "p95_ms": round(percentile(timings, 0.95), 2),
        "timings_ms": [round(t, 2) for t in timings],
        # The last repetition's counts: the warm ones, the same on every repeat of a page.
        "queries": statements[-1],
        "objects": objects[-1],
        "queries_each": statements,
        "objects_each": objects,
        "peak_mb": round(max(p for p in peaks if p is not None), 1) if any(peaks) else None,
        "extra_mb": round(max(e for e in extras if e is not None), 1) if any(extras) else None,
        "status": last.status,
        "ok": all(o.ok for o in outcomes),
        "rows": last.rows,
        "counts": [o.counts for o in outcomes] if any(o.counts for o in outcomes) else None,
        "note": "; ".join(filter(None, [case.note, last.note])),
        "target_ms": case.target_ms,
        "raw_for": case.raw_for,
    }
    if case.check:
        found = case.check()
        result["figures_match"] = not found
        result["differences"] = found
    return result


def verdict(result: dict) -> list[str]:
    """The targets a case missed at this size ([] = every target met)."""
    missed = []
    if not result["ok"]:
        missed.append("error")
    median = result.get("median_ms")
    if result.get("target_ms") is not None and median is not None and median > result["target_ms"]:
        missed.append("time")
    if result.get("peak_mb") is not None and result["peak_mb"] > PEAK_MB:
        missed.append("memory")
    if result.get("ratio") is not None and result["kind"] != "raw" and result["ratio"] > RAW_RATIO:
        missed.append("raw ratio")
    return missed
