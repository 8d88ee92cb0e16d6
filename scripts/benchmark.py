"""Print how many SQL queries and how long each main page takes, on the demo data.

    make bench            # or: .venv/bin/python scripts/benchmark.py [--repeat N]

It builds a throwaway SQLite database (or uses BENCH_DATABASE_URL), loads the demo
data, signs in as a manager and requests each page; then it prints what hostile and
large uploads cost in memory and time (scripts/upload_memory.py). The figures are
printed, not asserted: the tests assert that query counts do not grow with the data.
"""

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event  # noqa: E402

from config import TestConfig  # noqa: E402
from tracker import create_app  # noqa: E402
from tracker.demo import DEMO_PASSWORD, seed_demo  # noqa: E402
from tracker.extensions import db  # noqa: E402

PAGES = [
    "/",
    "/dashboard",
    "/due",
    "/partners",
    "/partners/1",
    "/partners/1/status",
    "/regions/1",
    "/engagements",
    "/followups?scope=everyone",
    "/incentives",
    "/incentives/1",
    "/incentives/deadlines",
    "/commitments",
    "/commitments/1",
    "/milestones?scope=everyone",
    "/alerts?scope=everyone",
    "/reports/monthly",
    "/partners?format=xlsx",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="requests per page (median shown)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:

        class BenchConfig(TestConfig):
            SQLALCHEMY_DATABASE_URI = f"sqlite:///{folder}/bench.db"
            WTF_CSRF_ENABLED = False

        app = create_app(BenchConfig)
        statements: list[str] = []
        with app.app_context():
            db.create_all()
            seed_demo()
            db.session.commit()
            from tracker.monitoring.services import scan

            scan()
            event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        client = app.test_client()
        client.post("/login", data={"email": "manager@example.com", "password": DEMO_PASSWORD})
        print(f"{'page':34} {'status':>6} {'queries':>7} {'median ms':>9}")
        for path in PAGES:
            timings = []
            for _ in range(args.repeat):
                statements.clear()
                start = time.perf_counter()
                response = client.get(path)
                timings.append((time.perf_counter() - start) * 1000)
            print(
                f"{path:34} {response.status_code:>6} {len(statements):>7} "
                f"{statistics.median(timings):>9.1f}"
            )
    # What uploads cost in memory, each in a fresh process (scripts/upload_memory.py).
    upload_memory = Path(__file__).with_name("upload_memory.py")
    subprocess.run([sys.executable, upload_memory], check=False)  # noqa: S603 (our own script)


if __name__ == "__main__":
    main()
