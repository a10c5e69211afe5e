"""Stir: raw crawled data in ClickHouse -> analytic marts -> PostgreSQL serving tables."""
import os as _os
import time as _time

__version__ = "0.1.0"


def run_in_utc() -> None:
    """Every timestamp in Stir is UTC. chDB's engine and the clients' naive-datetime
    conversions follow the process time zone, so a Stir process runs in UTC whatever the
    machine's zone (and a prefork child whatever its client's TZ)."""
    _os.environ["TZ"] = "UTC"
    _time.tzset()


run_in_utc()

# SQLMesh loads a project's models in forked worker processes (MAX_FORK_WORKERS, read when
# sqlmesh is imported). A fork of a process that holds the in-process chDB engine (its threads
# and their locks) can hang for ever, as a retried tier run did; load in this process.
_os.environ.setdefault("MAX_FORK_WORKERS", "1")
