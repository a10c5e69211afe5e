"""Asset-upload requests: every profile picture and post image without an uploaded asset
(or whose upload is older than `asset_max_age_days`, or of another URL) becomes a PENDING
row of flow `asset_upload_flow` in the crawler's task queue (stir/serving/ddl/
scrape_request_log.sql), highest-follower profiles first. Inserted idempotently: never a
second open request for one entity and asset, whatever runs or workers do meanwhile."""
from __future__ import annotations

import csv
import io

from loguru import logger

from stir.jobs import records
from stir.postgres.connection import crawler_connected
from stir.sqlfiles import read_sql, render_sql, t_literal

JOB = "asset_upload_requests"


def ensure_queue(conn) -> None:
    with conn.cursor() as cur:
        cur.execute(read_sql("stir.serving.ddl", "scrape_request_log.sql"))
    conn.commit()


def candidates(wh, end: str, max_age_s: int, limit: int) -> list[tuple]:
    return wh.query(render_sql("stir.jobs.sql", "asset_candidates.sql", t=t_literal(end), max_age_s=str(int(max_age_s)),
                               limit=str(int(limit))))


def enqueue(queue, rows: list[tuple], end: str, max_age_s: int) -> int:
    """Insert the PENDING requests in one transaction; returns how many were new."""
    ensure_queue(queue)
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    buffer.seek(0)
    with queue.cursor() as cur:
        cur.execute(read_sql("stir.jobs.sql", "asset_candidates_table.sql"))
        cur.copy_expert(read_sql("stir.jobs.sql", "asset_copy.sql"), buffer)
        cur.execute(read_sql("stir.jobs.sql", "asset_lock.sql"))
        cur.execute(read_sql("stir.jobs.sql", "asset_insert.sql"), {"end": end, "max_age_s": int(max_age_s)})
        inserted = cur.rowcount
    queue.commit()
    return inserted


def run_configured(wh, conn, end: str, settings) -> dict:
    """run() on the crawler's queue database with the settings' age and limit (the tier's task
    and `stir job assets`)."""
    with crawler_connected(settings) as queue:
        return run(wh, conn, queue, end, settings.asset_max_age_days * 86400, settings.asset_max_requests)


def run(wh, conn, queue, end: str, max_age_s: int, limit: int) -> dict:
    """`conn`: Stir's serving database (the run record); `queue`: the crawler's database."""
    records.start(conn, JOB, end)
    found = candidates(wh, end, max_age_s, limit)
    logger.info("{}: {} pictures without a fresh upload (asset_max_requests = {})", JOB, len(found), limit)
    inserted = enqueue(queue, found, end, max_age_s)
    counts = {"candidates": len(found), "queued": inserted, "already_queued_or_fresh": len(found) - inserted}
    records.finish(conn, JOB, end, counts)
    logger.info("{}: {} PENDING requests queued, {} already open or fresh", JOB, inserted, len(found) - inserted)
    return counts
