"""Time every page, the scan, the digest, exports and an import at 1×, 10× and 100× the demo.

    make bench                                   # this, then scripts/upload_memory.py
    .venv/bin/python scripts/benchmark.py --sizes 1,10 --repeat 1     # a quick look
    .venv/bin/python scripts/benchmark.py --cases /dashboard,scan --reuse

Prints, per size and case, the median and p95 time, SQL statements, ORM objects loaded,
peak memory, the page / raw-SQL ratio and a verdict against issue 12's targets; writes
bench/results/<UTC time>-<dialect>.json, latest-<dialect>.json, latest.md and
time-vs-size.png. On PostgreSQL too when TEST_DATABASE_URL is set (its tables are dropped
and created). `--help` lists every option; the package `bench/` holds the harness.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.run import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
