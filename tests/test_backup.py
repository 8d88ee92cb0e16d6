"""`flask backup` and `flask restore`: every table through one portable file, into either
database, all or nothing.

Each test builds its own databases with the migrations (a backup records the Alembic
revision, which the suite's `create_all` database does not have) and drops them after.
"""

import gzip
import json
import os
import re
import shlex
import stat
import uuid
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from flask import cli as flask_cli
from flask_migrate import upgrade
from sqlalchemy import JSON, Text, cast, create_engine, func, select, text
from sqlalchemy.engine import make_url

from config import TestConfig
from tests.factories import (
    make_commitment,
    make_incentive,
    make_milestone,
    make_partner,
    make_region,
    make_user,
)
from tracker import create_app
from tracker.commitments.operations import delete_commitment
from tracker.core.models import AuditEvent
from tracker.extensions import db
from tracker.partners.models import Region

ON_POSTGRESQL = bool(os.environ.get("TEST_DATABASE_URL"))
SUITE_KIND = "postgresql" if ON_POSTGRESQL else "sqlite"
README = Path(__file__).resolve().parent.parent / "README.md"


@contextmanager
def scratch_app(kind: str, tmp_path: Path, *, migrated: bool = True):
    """An app on a brand-new database of `kind`, at the migrations' head unless told not."""
    name = f"scratch_{uuid.uuid4().hex[:10]}"
    admin = None
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / (name + '.db')}"
    else:
        server = make_url(TestConfig.SQLALCHEMY_DATABASE_URI)
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = server.set(database=name).render_as_string(hide_password=False)

    class ScratchConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = url

    app = create_app(ScratchConfig)
    try:
        with app.app_context():
            if migrated:
                upgrade()
            yield app
            db.session.remove()
            db.engine.dispose()
    finally:
        if admin is not None:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def invoke(app, *args, **kwargs):
    """Run a command through the Flask CLI as `flask --app tracker …` would, `db` included."""
    return app.test_cli_runner().invoke(cli=flask_cli.cli, args=list(args), **kwargs)


def _normal(value):
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value


def snapshot() -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order; JSON as its stored text, so a JSON
    `null` and an SQL NULL differ."""
    contents = {}
    with db.engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            columns = [
                cast(column, Text) if isinstance(column.type, JSON) else column
                for column in table.columns
            ]
            rows = connection.execute(select(*columns).order_by(*table.primary_key.columns))
            contents[table.name] = [tuple(_normal(value) for value in row) for row in rows]
    return contents


def add_hostile_rows() -> None:
    """Text beyond ASCII, right-to-left marks, emoji, CR/LF, large amounts, far dates, a
    deleted commitment kept in the audit trail, and an audit event that points forward."""
    admin = make_user("admin", name="Ωmega \u202eRTL\u202c 🚀 O'Brien")
    region = make_region("Győr – Łódź – Ústí 🏭", sector_focus="EV\r\nbatteries\n\t«quoted»")
    partner = make_partner(
        "مجلس التجارة \u200fTrade Council\u200e 🤝",
        region=region,
        description="line one\r\nline two\u2028three\x0b\x1f end",
    )
    make_incentive(
        partner,
        title="Grant ＂full-width＂ \\ back\\slash",
        amount_offered=Decimal("999999999999.99"),
        amount_awarded=Decimal("0.01"),
        application_deadline=date(2199, 12, 31),
        term_start_on=date(1900, 1, 1),
        is_state_aid=True,
        clawback_terms="=HYPERLINK(\"http://x\")\r\n'quoted'",
    )
    kept = make_commitment("co_investment", owner=admin, budget=Decimal("999999999999.99"))
    make_milestone(kept, title="Kept 📌", due_on=date(2199, 12, 31))
    doomed = make_commitment("co_investment", owner=admin, title="Deleted – Ünïcode ✂")
    make_milestone(doomed, title="Goes with it")
    delete_commitment(doomed, actor=admin)
    earlier = AuditEvent(
        action="update",
        entity_type="partner",
        entity_id=partner.id,
        summary="Undo ↩ of a later event",
        changes={"name": ["a", "b ✓ \r\n"]},
        state={"nested": [1, "x", None, True, 1.5, {"ü": "\u202e"}]},
    )
    db.session.add(earlier)
    db.session.flush()
    later = AuditEvent(
        action="update", entity_type="partner", entity_id=partner.id, summary="later", changes={}
    )
    db.session.add(later)
    db.session.flush()
    earlier.reverts_id = later.id
    db.session.commit()


PAIRS = [("sqlite", "sqlite")]
if ON_POSTGRESQL:
    PAIRS = [("postgresql", "postgresql"), ("postgresql", "sqlite"), ("sqlite", "postgresql")]


@pytest.mark.parametrize(("source_kind", "target_kind"), PAIRS)
def test_backup_restores_every_table_row_for_row(tmp_path, source_kind, target_kind):
    dump = tmp_path / "tracker.backup.gz"
    with scratch_app(source_kind, tmp_path) as source:
        assert invoke(source, "seed-demo").exit_code == 0
        add_hostile_rows()
        before = snapshot()
        largest_region = max(row[0] for row in before["regions"])
        result = invoke(source, "backup", str(dump))
        assert result.exit_code == 0, result.output
        assert "Backed up" in result.output

    # Every table is in the file, the audit trail with its deleted commitment included.
    assert set(before) == set(db.metadata.tables)
    for table in ("audit_events", "milestones", "commitments", "incentives", "users"):
        assert before[table], table
    assert any(row[3] == "delete" and "Ünïcode" in row[8] for row in before["audit_events"])

    with scratch_app(target_kind, tmp_path) as target:
        result = invoke(target, "restore", str(dump))
        assert result.exit_code == 0, result.output
        after = snapshot()
        for table in before:
            assert after[table] == before[table], table

        # New rows get fresh ids (PostgreSQL's sequences were moved past the restored ids).
        region = make_region("Added after the restore")
        db.session.commit()
        assert region.id == largest_region + 1
        assert (
            db.session.scalar(select(func.count()).select_from(Region))
            == len(before["regions"]) + 1
        )


def _readme_commands() -> list[list[str]]:
    section = README.read_text().split("## Backups and restore", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    commands = []
    for line in block.splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("flask --app tracker "):
            commands.append(shlex.split(line)[3:])
    return commands


def test_the_readme_commands_work(tmp_path):
    commands = _readme_commands()
    assert [command[0] for command in commands] == ["backup", "db", "restore", "restore"]
    dump = tmp_path / "the-backup.gz"

    def run(app, command):
        args = [str(dump) if arg.endswith(".gz") else arg for arg in command]
        result = invoke(app, *args, input="y\n")
        assert result.exit_code == 0, f"{args}: {result.output}"
        return result

    with scratch_app(SUITE_KIND, tmp_path) as source:
        make_region("Nuevo León")
        db.session.commit()
        run(source, commands[0])
        before = snapshot()
    with scratch_app(SUITE_KIND, tmp_path, migrated=False) as target:
        for command in commands[1:]:
            run(target, command)
        assert snapshot() == before


@pytest.fixture
def backed_up(tmp_path):
    """A small backup of this suite's kind of database, and the path it is in."""
    dump = tmp_path / "small.backup.gz"
    with scratch_app(SUITE_KIND, tmp_path) as source:
        make_partner("Győr Agency", region=make_region("Győr"))
        make_user("admin")
        db.session.commit()
        assert invoke(source, "backup", str(dump)).exit_code == 0
    return dump


def _rewrite(dump: Path, change) -> Path:
    lines = gzip.decompress(dump.read_bytes()).decode().splitlines()
    changed = dump.with_name("changed.backup.gz")
    changed.write_bytes(gzip.compress(("\n".join(change(lines)) + "\n").encode()))
    return changed


def _assert_refused(app, dump: Path, *needles: str, args=()) -> None:
    before = snapshot()
    result = invoke(app, "restore", *args, str(dump))
    assert result.exit_code == 1
    for needle in needles:
        assert needle in result.output
    assert "Nothing was changed." in result.output
    assert snapshot() == before


def test_backup_file_is_private_and_not_overwritten(tmp_path, backed_up):
    assert stat.S_IMODE(backed_up.stat().st_mode) == 0o600
    with scratch_app(SUITE_KIND, tmp_path) as source:
        result = invoke(source, "backup", str(backed_up))
        assert result.exit_code == 1
        assert "already exists" in result.output
        assert invoke(source, "backup", "--force", str(backed_up)).exit_code == 0


def test_restore_refuses_a_backup_from_another_revision(tmp_path, backed_up):
    def older(lines):
        manifest = json.loads(lines[0])
        manifest["revision"] = "0001_initial_schema"
        return [json.dumps(manifest), *lines[1:]]

    with scratch_app(SUITE_KIND, tmp_path) as target:
        _assert_refused(
            target,
            _rewrite(backed_up, older),
            "was made at database revision 0001_initial_schema",
            "flask --app tracker db upgrade",
        )


def test_restore_refuses_an_unmigrated_database(tmp_path, backed_up):
    with scratch_app(SUITE_KIND, tmp_path, migrated=False) as target:
        result = invoke(target, "restore", str(backed_up))
        assert result.exit_code == 1
        assert "run `flask --app tracker db upgrade` first" in result.output


def test_a_truncated_backup_restores_nothing(tmp_path, backed_up):
    with scratch_app(SUITE_KIND, tmp_path) as target:
        # Cut after the first tables' rows were loaded: the whole restore must roll back.
        _assert_refused(target, _rewrite(backed_up, lambda lines: lines[:-6]), "is incomplete")
        _assert_refused(target, _rewrite(backed_up, lambda lines: lines[:-6] + ["{"]), "damaged")
        not_a_backup = tmp_path / "notes.txt"
        not_a_backup.write_text("hello")
        _assert_refused(target, not_a_backup, "is not a complete Ecosystem Tracker backup")
        assert all(not rows for rows in snapshot().values())


def test_restore_into_a_database_with_data_needs_replace(tmp_path, backed_up):
    with scratch_app(SUITE_KIND, tmp_path) as target:
        make_region("Already here")
        db.session.commit()
        _assert_refused(target, backed_up, "already holds data", "--replace")
        # --replace asks first; saying no changes nothing.
        before = snapshot()
        result = invoke(target, "restore", "--replace", str(backed_up), input="n\n")
        assert result.exit_code == 1
        assert snapshot() == before
        result = invoke(target, "restore", "--replace", "--yes", str(backed_up))
        assert result.exit_code == 0, result.output
        names = db.session.scalars(select(Region.name)).all()
        assert names == ["Győr"]


def test_backup_and_restore_stream_in_flat_memory(tmp_path):
    """40 MB of rows pass through both ways with a small fraction of that in memory."""
    import tracemalloc

    dump = tmp_path / "big.backup.gz"
    rows, size = 10_000, 4_000
    with scratch_app(SUITE_KIND, tmp_path) as source:
        job_runs = db.metadata.tables["job_runs"]
        started = datetime(2026, 1, 1, tzinfo=UTC)
        for first in range(0, rows, 1_000):
            db.session.execute(
                job_runs.insert(),
                [
                    {
                        "job": "scan",
                        "started_at": started,
                        "outcome": "ok",
                        "error": f"{n:06d}" * (size // 6),
                    }
                    for n in range(first, first + 1_000)
                ],
            )
        db.session.commit()
        tracemalloc.start()
        try:
            assert invoke(source, "backup", str(dump)).exit_code == 0
            backup_peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    with scratch_app(SUITE_KIND, tmp_path) as target:
        tracemalloc.start()
        try:
            result = invoke(target, "restore", str(dump))
            restore_peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert result.exit_code == 0, result.output
        assert (
            db.session.scalar(select(func.count()).select_from(db.metadata.tables["job_runs"]))
            == rows
        )
    assert backup_peak < 12_000_000, backup_peak
    assert restore_peak < 12_000_000, restore_peak
