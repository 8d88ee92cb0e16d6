"""Backup and restore: every table of the schema in one portable file.

A backup is gzip'd JSON lines. The first line is the manifest (format, app version, Alembic
revision, the database it came from, the tables in dependency order); then, per table, a
header line naming its columns, one JSON array per row, and an end line with the row count;
the last line closes the file, so a truncated copy is refused. Values keep their type through
the column they belong to: decimals as exact strings, dates and datetimes in ISO 8601 (UTC),
bytes in base64, JSON documents as their stored text, booleans, integers and nulls as JSON.
The same file restores into SQLite or PostgreSQL.

Both directions stream: rows are read and written in batches, so memory stays flat however
large the database is. A restore runs in one transaction: it writes everything or nothing.
"""

import base64
import gzip
import json
import os
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy import (
    JSON,
    Boolean,
    Connection,
    Date,
    DateTime,
    Float,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Table,
    Text,
    Time,
    TypeDecorator,
    bindparam,
    cast,
    func,
    insert,
    select,
    text,
    type_coerce,
    update,
)
from sqlalchemy.exc import SQLAlchemyError

from tracker.core.types import ExactMoney, in_utc
from tracker.extensions import db

FORMAT = "ecosystem-tracker-backup"
FORMAT_VERSION = 1
BATCH_ROWS = 1000


class BackupError(Exception):
    """A backup or restore refused, with a message for the person running it."""


@dataclass
class Outcome:
    """What a backup wrote or a restore loaded: rows per table, in dependency order."""

    revision: str
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.rows.values())


# --- values -------------------------------------------------------------------------------


def _storage_type(column):
    """The type the database stores: a TypeDecorator's own type is left to the app."""
    kind = column.type
    return kind.impl_instance if isinstance(kind, TypeDecorator) else kind


def _codec(column) -> str:
    """How a column's values travel in the file; an unknown type fails loudly, so a new
    column type is never dumped approximately."""
    kind = _storage_type(column)
    for name, types in (
        ("json", JSON),
        ("bytes", LargeBinary),
        ("datetime", DateTime),
        ("date", Date),
        ("time", Time),
        ("float", Float),
        ("decimal", Numeric),
        ("boolean", Boolean),
        ("integer", Integer),
        ("string", String),
    ):
        if isinstance(kind, types):
            return name
    raise BackupError(
        f"Column {column.table.name}.{column.name} has a type backups do not know "
        f"({kind!r}); teach tracker/core/backup.py to write it."
    )


def _encode(codec: str, value: Any) -> Any:
    if value is None:
        return None
    if codec == "datetime":
        return value.isoformat()
    if codec in ("date", "time"):
        return value.isoformat()
    if codec in ("decimal", "float"):
        return str(value)
    if codec == "bytes":
        return base64.b64encode(bytes(value)).decode("ascii")
    if codec == "boolean":
        return bool(value)
    return value


def _decoder(column):
    codec = _codec(column)
    aware = codec == "datetime" and _storage_type(column).timezone

    def decode(value: Any) -> Any:
        if value is None:
            return None
        if codec == "datetime":
            moment = datetime.fromisoformat(value)
            return in_utc(moment) if aware else moment
        if codec == "date":
            return date.fromisoformat(value)
        if codec == "time":
            return time.fromisoformat(value)
        if codec == "decimal":
            return Decimal(value)
        if codec == "float":
            return float(value)
        if codec == "bytes":
            return base64.b64decode(value)
        if codec == "boolean":
            return bool(value)
        return value

    return decode


def _transfer_type(column):
    """The type a value is read and written with: the stored type, except money, whose type
    turns SQLite's integer of thousandths into the amount (the file holds amounts, so a
    backup of SQLite restores into PostgreSQL and back)."""
    return column.type if isinstance(column.type, ExactMoney) else _storage_type(column)


def _read_expression(column):
    """The column as it is selected for the file: JSON as its stored text, so a JSON `null`
    and an SQL NULL stay apart and a document comes back byte for byte."""
    if _codec(column) == "json":
        return cast(column, Text).label(column.name)
    return type_coerce(column, _transfer_type(column)).label(column.name)


def _write_expression(column, key: str, dialect: str):
    if _codec(column) == "json":
        raw = bindparam(key, type_=Text)
        # PostgreSQL needs the text cast to its JSON type; SQLite stores JSON as text already.
        return cast(raw, column.type) if dialect == "postgresql" else raw
    return bindparam(key, type_=_transfer_type(column))


# --- revisions ----------------------------------------------------------------------------


def app_version() -> str:
    pyproject = Path(current_app.root_path).parent / "pyproject.toml"
    try:
        return tomllib.loads(pyproject.read_text())["project"]["version"]
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown"


def code_revision() -> str:
    """The newest Alembic revision this version of the app knows."""
    directory = current_app.extensions["migrate"].directory
    return ScriptDirectory(directory).get_current_head()


def database_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _check_schema(connection: Connection) -> str:
    """The database's revision, refused unless it is the one this app's models describe."""
    current = database_revision(connection)
    expected = code_revision()
    if current is None:
        raise BackupError(
            "The database has no schema yet (no Alembic revision): run "
            "`flask --app tracker db upgrade` first."
        )
    if current != expected:
        raise BackupError(
            f"The database is at revision {current}, but this version of the app expects "
            f"{expected}: run `flask --app tracker db upgrade` first."
        )
    return current


# --- backup -------------------------------------------------------------------------------


def _tables() -> list[Table]:
    return list(db.metadata.sorted_tables)


def _rows(connection: Connection, table: Table) -> Iterator[list[Any]]:
    columns = list(table.columns)
    codecs = [_codec(column) for column in columns]
    aware = {
        index
        for index, (codec, column) in enumerate(zip(codecs, columns, strict=True))
        if codec == "datetime" and _storage_type(column).timezone
    }
    statement = select(*(_read_expression(column) for column in columns)).order_by(
        *table.primary_key.columns
    )
    result = connection.execution_options(yield_per=BATCH_ROWS).execute(statement)
    for row in result:
        values = list(row)
        for index in aware:
            if values[index] is not None:
                values[index] = in_utc(values[index])
        yield [_encode(codec, value) for codec, value in zip(codecs, values, strict=True)]


def _line(item: Any) -> bytes:
    return (json.dumps(item, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


def write_backup(path: str | os.PathLike) -> Outcome:
    """Write every table to `path` (created readable by its owner only: it holds password
    hashes and sign-in tokens). The file appears only once complete."""
    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    engine = db.engine
    dialect = engine.dialect.name
    tables = _tables()
    with engine.connect() as connection:
        if dialect == "sqlite":
            connection.exec_driver_sql("BEGIN")  # one snapshot for every table
        else:
            connection = connection.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
        revision = _check_schema(connection)
        outcome = Outcome(revision)
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(descriptor, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb") as out:
                out.write(
                    _line(
                        {
                            "format": FORMAT,
                            "format_version": FORMAT_VERSION,
                            "app_version": app_version(),
                            "revision": revision,
                            "dialect": dialect,
                            "created_at": datetime.now(UTC).isoformat(),
                            "tables": [table.name for table in tables],
                        }
                    )
                )
                for table in tables:
                    out.write(_line({"table": table.name, "columns": list(table.columns.keys())}))
                    count = 0
                    for row in _rows(connection, table):
                        out.write(_line(row))
                        count += 1
                    out.write(_line({"end": table.name, "rows": count}))
                    outcome.rows[table.name] = count
                out.write(_line({"end_of_backup": True, "rows": outcome.rows}))
            os.replace(partial, path)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        finally:
            connection.rollback()
    return outcome


# --- restore ------------------------------------------------------------------------------


def _lines(path: Path) -> Iterator[Any]:
    try:
        with gzip.open(path, "rb") as source:
            for number, raw in enumerate(source, start=1):
                try:
                    yield json.loads(raw)
                except ValueError as error:
                    raise BackupError(f"{path.name} is damaged at line {number}.") from error
    except (gzip.BadGzipFile, EOFError, OSError) as error:
        raise BackupError(
            f"{path.name} is not a complete Ecosystem Tracker backup ({error})."
        ) from error


def read_manifest(path: str | os.PathLike) -> dict[str, Any]:
    """The first line of a backup file, checked to be one."""
    path = Path(path)
    for first in _lines(path):
        if isinstance(first, dict) and first.get("format") == FORMAT:
            if first.get("format_version") != FORMAT_VERSION:
                raise BackupError(
                    f"{path.name} is a backup of format version {first.get('format_version')}; "
                    f"this app reads version {FORMAT_VERSION}."
                )
            return first
        break
    raise BackupError(f"{path.name} is not an Ecosystem Tracker backup.")


def is_empty(connection: Connection) -> bool:
    return all(
        connection.execute(select(1).select_from(table).limit(1)).first() is None
        for table in _tables()
    )


class _TableLoader:
    """Inserts one table's rows in batches. A column that points into its own table (an
    audit event that undoes another) is filled in afterwards, so row order cannot break it."""

    def __init__(self, connection: Connection, table: Table, columns: list[str], dialect: str):
        if columns != list(table.columns.keys()):
            raise BackupError(
                f"The backup's columns of {table.name} differ from the database's: "
                f"{', '.join(columns)}."
            )
        self.connection = connection
        self.table = table
        self.decoders = [_decoder(table.columns[name]) for name in columns]
        self.keys = [f"v{index}" for index in range(len(columns))]
        self.self_refs = {
            index
            for index, name in enumerate(columns)
            if any(fk.column.table is table for fk in table.columns[name].foreign_keys)
        }
        self.pk = [columns.index(column.name) for column in table.primary_key.columns]
        self.statement = insert(table).values(
            {
                table.columns[name]: _write_expression(table.columns[name], key, dialect)
                for name, key in zip(columns, self.keys, strict=True)
            }
        )
        self.batch: list[dict[str, Any]] = []
        self.later: list[tuple[list[Any], int, Any]] = []
        self.count = 0

    def add(self, row: list[Any]) -> None:
        values = [decode(value) for decode, value in zip(self.decoders, row, strict=True)]
        for index in self.self_refs:
            if values[index] is not None:
                self.later.append(([values[i] for i in self.pk], index, values[index]))
                values[index] = None
        self.batch.append(dict(zip(self.keys, values, strict=True)))
        self.count += 1
        if len(self.batch) >= BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        if self.batch:
            self.connection.execute(self.statement, self.batch)
            self.batch = []

    def finish(self) -> None:
        self.flush()
        pk_columns = list(self.table.primary_key.columns)
        for pk_values, index, value in self.later:
            column = list(self.table.columns)[index]
            self.connection.execute(
                update(self.table)
                .where(*(c == v for c, v in zip(pk_columns, pk_values, strict=True)))
                .values({column: value})
            )


def _reset_sequences(connection: Connection) -> None:
    """After explicit ids, PostgreSQL's sequences must move past them (SQLite needs nothing:
    it takes the largest id plus one)."""
    for table in _tables():
        columns = list(table.primary_key.columns)
        if len(columns) != 1 or not isinstance(columns[0].type, Integer):
            continue
        column = columns[0]
        largest = connection.execute(select(func.max(column))).scalar()
        connection.execute(
            text("SELECT setval(pg_get_serial_sequence(:table, :column), :next, false)"),
            {"table": table.name, "column": column.name, "next": (largest or 0) + 1},
        )


def restore_backup(path: str | os.PathLike, *, replace: bool = False) -> Outcome:
    """Load a backup into this database in one transaction.

    Refused (BackupError, nothing written) when the file is not a complete backup, when it
    was made at another schema revision, or when the database holds data and `replace` is
    False; with `replace`, the data here is deleted first, in the same transaction.
    """
    path = Path(path)
    manifest = read_manifest(path)
    db.session.remove()
    engine = db.engine
    dialect = engine.dialect.name
    tables = {table.name: table for table in _tables()}
    with engine.connect() as connection:
        if dialect == "sqlite":
            connection.exec_driver_sql("BEGIN IMMEDIATE")  # hold the write lock throughout
        revision = _check_schema(connection)
        if manifest["revision"] != revision:
            raise BackupError(
                f"{path.name} was made at database revision {manifest['revision']} "
                f"(app version {manifest.get('app_version', 'unknown')}); this database and "
                f"app are at {revision}. Restore it with the app version that made it, then "
                "run `flask --app tracker db upgrade`."
            )
        if sorted(manifest["tables"]) != sorted(tables):
            raise BackupError(f"{path.name} does not hold the tables this database has.")
        if not is_empty(connection):
            if not replace:
                raise BackupError(
                    "The database already holds data. Restore into an empty database, or "
                    "pass --replace to delete everything here first."
                )
            for table in reversed(list(tables.values())):
                connection.execute(table.delete())
        outcome = Outcome(revision)
        loader: _TableLoader | None = None
        finished = False
        try:
            lines = _lines(path)
            next(lines)  # the manifest, read above
            for item in lines:
                if isinstance(item, list):
                    if loader is None:
                        raise BackupError(f"{path.name} is damaged: a row outside any table.")
                    loader.add(item)
                elif "table" in item:
                    if item["table"] not in tables:
                        raise BackupError(f"{path.name} holds an unknown table {item['table']}.")
                    loader = _TableLoader(
                        connection, tables[item["table"]], item["columns"], dialect
                    )
                elif "end" in item:
                    if loader is None or item["rows"] != loader.count:
                        raise BackupError(f"{path.name} is damaged in table {item['end']}.")
                    loader.finish()
                    outcome.rows[loader.table.name] = loader.count
                    loader = None
                elif item.get("end_of_backup"):
                    finished = True
                    break
            if not finished or loader is not None:
                raise BackupError(f"{path.name} is incomplete: it ends before its last table.")
            if dialect == "postgresql":
                _reset_sequences(connection)
            connection.commit()
        except SQLAlchemyError as error:
            connection.rollback()
            where = f" in table {loader.table.name}" if loader is not None else ""
            reason = getattr(error, "orig", None) or error
            raise BackupError(f"The database refused the backup{where}: {reason}") from error
        except BaseException:
            connection.rollback()
            raise
    return outcome
