"""No two SQLMesh processes at once, on either stack: a PostgreSQL advisory lock held by a
session of this process until it exits (so a killed process releases it). Stir's model runs
and the `sqlmesh` command line (through sqlmesh_project/config.py) both take it; a second
one waits up to `lock_timeout` seconds, saying who holds it, then fails naming the holder."""
from __future__ import annotations

import time

from loguru import logger

from stir.errors import StirError
from stir.sqlfiles import read_sql

_held = None   # the connection holding the lock, for the life of this process


class SqlmeshBusy(StirError):
    """Another process runs SQLMesh against the same state."""


def hold(timeout: float) -> None:
    """Take the lock once per process (idempotent)."""
    global _held
    if _held is not None:
        return
    from stir.postgres import connect

    conn = connect()
    conn.autocommit = True
    deadline, announced = time.monotonic() + timeout, False
    with conn.cursor() as cur:
        while True:
            cur.execute(read_sql("stir.serving.sql", "sqlmesh_lock.sql"))
            if cur.fetchone()[0]:
                break
            cur.execute(read_sql("stir.serving.sql", "sqlmesh_lock_holder.sql"))
            row = cur.fetchone()
            holder = f"PostgreSQL session {row[0]} (connected {row[1]:%Y-%m-%d %H:%M:%S} UTC)" if row else "another process"
            if time.monotonic() >= deadline:
                conn.close()
                raise SqlmeshBusy(f"SQLMesh is in use by {holder}: another tier run or `sqlmesh` command; "
                                  f"waited {timeout:.0f}s (lock_timeout)")
            if not announced:
                logger.info("waiting for SQLMesh, in use by {}", holder)
                announced = True
            time.sleep(0.5)
    _held = conn
