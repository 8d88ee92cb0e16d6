"""One scheduler at a time, across processes and hosts.

PostgreSQL: a session-level advisory lock, held on its own connection for the
length of the job. SQLite: a lease row with an expiry, taken with one atomic
UPDATE (or INSERT for the first holder), so a crashed holder's lease runs out.
"""

import os
import socket
import uuid
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import insert, text, update

from tracker.core.types import utcnow
from tracker.extensions import db
from tracker.monitoring.models import SchedulerLease

HOLDER = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _advisory_key(name: str) -> int:
    return zlib.crc32(f"ecosystem-tracker:{name}".encode())


@contextmanager
def job_lock(name: str, lease_seconds: int = 900) -> Iterator[bool]:
    """Yield True when this process may run `name` now, False when another holds it."""
    engine = db.engine
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            key = _advisory_key(name)
            got = connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
            connection.commit()
            try:
                yield bool(got)
            finally:
                if got:
                    connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                    connection.commit()
        return
    got = _take_lease(name, lease_seconds)
    try:
        yield got
    finally:
        if got:
            _release_lease(name)


def _take_lease(name: str, lease_seconds: int) -> bool:
    now = utcnow()
    expires = now + timedelta(seconds=lease_seconds)
    with db.engine.begin() as connection:
        taken = connection.execute(
            update(SchedulerLease)
            .where(SchedulerLease.name == name, SchedulerLease.expires_at < now)
            .values(holder=HOLDER, expires_at=expires)
        ).rowcount
        if taken:
            return True
        exists = connection.execute(
            text("SELECT 1 FROM scheduler_leases WHERE name = :n"), {"n": name}
        ).first()
        if exists:
            return False
        connection.execute(
            insert(SchedulerLease).prefix_with("OR IGNORE"),
            {"name": name, "holder": HOLDER, "expires_at": expires},
        )
        holder = connection.execute(
            text("SELECT holder FROM scheduler_leases WHERE name = :n"), {"n": name}
        ).scalar()
        return holder == HOLDER


def _release_lease(name: str) -> None:
    with db.engine.begin() as connection:
        connection.execute(
            update(SchedulerLease)
            .where(SchedulerLease.name == name, SchedulerLease.holder == HOLDER)
            .values(expires_at=utcnow())
        )
