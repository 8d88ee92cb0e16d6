"""The benchmark's databases: one per size, built once per run or reused from a cache.

A size N database is N times the demo portfolio, from `tracker.demo.scale.seed_scale(N)`
(or, until that generator exists, the demo itself for N = 1). Building 100× takes minutes,
so `--reuse` keeps each built database (a SQLite file under the cache folder; on
PostgreSQL the tables in the database given) with a sidecar JSON file naming its size,
generator, schema and row counts. A cached database is used again only when all of these
still hold; otherwise it is built again. `--prebuilt N=PATH` names a SQLite file built
elsewhere (say by `flask --app tracker seed-demo --scale N`): it is checked (the current
schema, the demo users, row counts near N times the demo's) and never written to.
"""

import hashlib
import json
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import MetaData, create_engine, func, inspect, select, text
from sqlalchemy.engine import make_url

from tracker.extensions import db

# Rows of each table per unit of size (issue 12: at N = 100, 3,000 partners, 200,000
# engagements, 50,000 follow-ups, 5,000 incentives, 20,000 obligations, 10,000
# commitments, 200,000 milestones). A prebuilt file must hold at least 90 % of these.
PER_SIZE = {
    "partners": 30,
    "engagements": 2_000,
    "follow_ups": 500,
    "incentives": 50,
    "obligations": 200,
    "commitments": 100,
    "milestones": 2_000,
}
# The tables whose rows the benchmark never changes for good (scans add alerts; the import
# is rolled back): a reused database must still hold exactly what was built.
COUNTED = (
    "users",
    "regions",
    "partners",
    "contacts",
    "engagements",
    "follow_ups",
    "incentives",
    "obligations",
    "compliance_reports",
    "agency_promises",
    "commitments",
    "milestones",
)
DEMO_MANAGER = "manager@example.com"


def generator():
    """(name, seed function): the scale generator when it exists, else the demo (size 1)."""
    try:
        from tracker.demo.scale import seed_scale
    except ImportError:
        from tracker.demo import seed_demo

        return "seed_demo", lambda size, echo=None: seed_demo()
    return "seed_scale", seed_scale


def _indexes(table) -> list[str]:
    return sorted(index.name for index in table.indexes)


def schema_signature() -> str:
    """A digest of every table, column and index the models declare: a database built before
    an index was added measures a plan the app no longer runs."""
    shape = sorted(
        (t.name, sorted(c.name for c in t.columns), _indexes(t)) for t in db.metadata.sorted_tables
    )
    return hashlib.sha256(json.dumps(shape).encode()).hexdigest()[:16]


def schema_problems(engine) -> list[str]:
    """How the database's tables differ from the models' ([] when they match)."""
    inspector = inspect(engine)
    present = set(inspector.get_table_names())
    problems = []
    for table in db.metadata.sorted_tables:
        if table.name not in present:
            problems.append(f"table {table.name} missing")
            continue
        columns = {column["name"] for column in inspector.get_columns(table.name)}
        wanted = {column.name for column in table.columns}
        if columns != wanted:
            problems.append(f"{table.name}: columns differ ({', '.join(sorted(columns ^ wanted))})")
        indexes = {index["name"] for index in inspector.get_indexes(table.name)}
        missing = [name for name in _indexes(table) if name not in indexes]
        if missing:
            problems.append(f"{table.name}: indexes missing ({', '.join(missing)})")
    return problems


def row_counts(engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            name: connection.scalar(select(func.count()).select_from(db.metadata.tables[name]))
            for name in COUNTED
        }


def sidecar_for(url: str, cache_dir: Path) -> Path:
    """Where the notes on a cached database live: beside a SQLite file; for PostgreSQL, in
    the cache folder, named after the server and database."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return Path(f"{parsed.database}.bench.json")
    name = f"postgresql-{parsed.host}-{parsed.port or 5432}-{parsed.database}.bench.json"
    return cache_dir / name


def reusable(url: str, size: int, sidecar: Path | None) -> tuple[bool, str]:
    """Whether the database at `url` holds a complete size-`size` portfolio for the current
    models (why not, otherwise). With `sidecar` its notes must match; without, the counts
    must be near `size` times the demo's."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and not Path(parsed.database).is_file():
        return False, "no such file"
    notes = None
    if sidecar is not None:
        if not sidecar.is_file():
            return False, "not built by the benchmark (no notes beside it)"
        notes = json.loads(sidecar.read_text())
        if notes.get("size") != size:
            return False, f"it holds size {notes.get('size')}"
        if notes.get("generator") != generator()[0]:
            return False, f"built by {notes.get('generator')}, now {generator()[0]} exists"
        if notes.get("schema") != schema_signature():
            return False, "the models changed since it was built"
    engine = create_engine(url)
    try:
        problems = schema_problems(engine)
        if problems:
            return False, "schema differs: " + "; ".join(problems[:3])
        counts = row_counts(engine)
        with engine.connect() as connection:
            manager = connection.scalar(
                text("SELECT COUNT(*) FROM users WHERE email = :email"), {"email": DEMO_MANAGER}
            )
    finally:
        engine.dispose()
    if not manager:
        return False, f"no {DEMO_MANAGER}"
    if notes is not None:
        if notes.get("counts") != counts:
            return False, "its rows changed since it was built (or the build did not finish)"
        return True, "as built"
    short = [
        f"{table} {counts[table]:,} < {int(0.9 * per * size):,}"
        for table, per in PER_SIZE.items()
        if counts[table] < 0.9 * per * size
    ]
    if short:
        return False, "incomplete: " + ", ".join(short)
    return True, "complete"


def settle(engine, *tables: str) -> None:
    """What autovacuum does after a bulk change, before the next reader, for `tables` (or
    every table): on PostgreSQL the dead rows cleared and the planner's statistics read
    again (`VACUUM ANALYZE`), on SQLite the statistics (`ANALYZE`). A production PostgreSQL
    runs autovacuum; the server the benchmark runs on may not (this workplace's has it off)."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(f"VACUUM ANALYZE {', '.join(tables)}"))
        return
    with engine.begin() as connection:
        for table in tables or ("",):
            connection.execute(text(f"ANALYZE {table}"))


def build(app, size: int, echo=None) -> dict:
    """Drop every table, create the models' tables and fill them with the size-`size`
    portfolio; returns the notes a reusable cache keeps. Runs inside `app`'s context."""
    name, seed = generator()
    if name == "seed_demo" and size != 1:
        raise SystemExit(
            "The scale generator (tracker.demo.scale.seed_scale) is not there yet: only "
            "size 1, the demo, can be built. Run with --sizes 1."
        )
    start = time.perf_counter()
    engine = db.engine
    existing = MetaData()
    existing.reflect(engine)  # tables the models may no longer declare, too
    existing.drop_all(engine)
    db.create_all()
    seed(size, echo=echo)
    db.session.commit()
    db.session.remove()
    if engine.dialect.name == "postgresql":
        # The rows the generator's operations updated leave dead versions behind; SQLite's
        # `ANALYZE` ran in the generator.
        settle(engine)
    return {
        "size": size,
        "generator": name,
        "schema": schema_signature(),
        "counts": row_counts(engine),
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "build_seconds": round(time.perf_counter() - start, 1),
    }
