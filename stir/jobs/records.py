"""The job run record (stir_meta.job_runs): a job run with end T starts, then finishes with
its counts; a finished record is the job's Luigi target, so a re-run with the same T does
nothing and a crashed one runs again."""
from __future__ import annotations

import json

import luigi

from stir.postgres import connected
from stir.sqlfiles import read_sql


_ENSURED: set[str] = set()  # the databases (DSNs) whose job tables this process made sure of


def ensure_tables(conn) -> None:
    """Create the job tables if they are missing, once per database and process (a Luigi
    target check calls this before every look)."""
    if conn.dsn in _ENSURED:
        return
    with conn.cursor() as cur:
        cur.execute(read_sql("stir.jobs.sql", "jobs_meta.sql"))
    conn.commit()
    _ENSURED.add(conn.dsn)


def start(conn, job: str, end: str) -> None:
    ensure_tables(conn)
    with conn.cursor() as cur:
        cur.execute(read_sql("stir.jobs.sql", "job_run_start.sql"), {"job": job, "end": end})
    conn.commit()


def finish(conn, job: str, end: str, counts: dict) -> None:
    with conn.cursor() as cur:
        cur.execute(read_sql("stir.jobs.sql", "job_run_finish.sql"),
                    {"job": job, "end": end, "counts": json.dumps(counts)})
    conn.commit()


def finished(conn, job: str, end: str) -> dict | None:
    """The counts of the job's finished run with end T, or None."""
    ensure_tables(conn)
    with conn.cursor() as cur:
        cur.execute(read_sql("stir.jobs.sql", "job_run_done.sql"), {"job": job, "end": end})
        row = cur.fetchone()
    conn.rollback()
    return None if row is None else row[0]


class JobRunTarget(luigi.Target):
    """Job `job` finished its run with end T (stir_meta.job_runs)."""

    def __init__(self, job: str, end: str):
        self.job, self.end = job, end

    def exists(self) -> bool:
        with connected() as conn:
            return finished(conn, self.job, self.end) is not None
