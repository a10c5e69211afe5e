"""One run of a tier at a time. The lock is a PostgreSQL advisory lock held by the run's own
session (both stacks have PostgreSQL), so a crashed or SIGKILLed run cannot leave it behind;
each run is recorded in stir_meta.tier_runs (who, where, since, and how it ended)."""
from __future__ import annotations

import os
import socket
from contextlib import contextmanager

from stir.errors import StirError
from stir.postgres import connect
from stir.sqlfiles import read_sql


class TierRunning(StirError):
    """Another run of the tier holds its lock."""


def running_elsewhere(conn, tier: str) -> str | None:
    """'pid … on HOST since …' when a run of `tier` holds its lock now, else None."""
    with conn.cursor() as cur:
        cur.execute(read_sql("stir.serving.sql", "tier_lock_held.sql"), {"tier": tier})
        if not cur.fetchone()[0]:
            return None
        cur.execute(read_sql("stir.serving.sql", "tier_running.sql"), {"tier": tier})
        row = cur.fetchone()
    return f"pid {row[0]} on {row[1]} since {row[2]:%Y-%m-%d %H:%M:%S} UTC" if row else "another session"


@contextmanager
def tier_lock(tier: str, end: str):
    """Hold `tier`'s lock for the block; raises TierRunning naming the holder when another run
    has it. Yields a function that records the run's result."""
    conn = connect()
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(read_sql("stir.serving.sql", "meta.sql"))
            cur.execute(read_sql("stir.serving.sql", "tier_lock.sql"), {"tier": tier})
            if not cur.fetchone()[0]:
                cur.execute(read_sql("stir.serving.sql", "tier_running.sql"), {"tier": tier})
                row = cur.fetchone()
                who = f"pid {row[0]} on {row[1]} since {row[2]:%Y-%m-%d %H:%M:%S} UTC" if row else "another session"
                raise TierRunning(f"tier {tier} is already running ({who}); this start did nothing")
            me = {"tier": tier, "pid": os.getpid(), "host": socket.gethostname()}
            cur.execute(read_sql("stir.serving.sql", "tier_run_start.sql"), {**me, "end": end})
            me["started_at"] = cur.fetchone()[0]
        result = {"value": "crashed"}

        def record(value: str) -> None:
            result["value"] = value

        record.conn = conn   # the run's own session, for checks while it holds the lock

        try:
            yield record
        finally:
            with conn.cursor() as cur:
                cur.execute(read_sql("stir.serving.sql", "tier_run_finish.sql"), {**me, "result": result["value"]})
    finally:
        conn.close()   # ends the session, and with it the lock
