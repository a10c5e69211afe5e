"""Re-scrape requests for collection posts: the posts campaign dashboards track, recent
enough to still change, are sent to the crawler's API to be crawled again.

Candidates come from the warehouse (sql/rescrape_candidates.sql); Stir's own ledger
(stir_meta.rescrape_requests) then removes every shortcode sent within 12 hours of T, and
at most `rescrape_max_requests` are sent, oldest publish time first. Each request is
recorded and committed before it goes out, so a re-run or a crash never sends a shortcode
twice within 12 hours."""
from __future__ import annotations

from loguru import logger

from stir.jobs import records
from stir.jobs.crawler_api import CrawlerApi
from stir.sqlfiles import read_sql, render_sql, t_literal

JOB = "rescrape_collection_posts"
FLOW = "refresh_post_by_shortcode"


def candidates(wh, end: str) -> list[tuple[str, str]]:
    rows = wh.query(render_sql("stir.jobs.sql", "rescrape_candidates.sql", t=t_literal(end)))
    return [(platform, code) for platform, code, _ in rows]


def run_configured(wh, conn, end: str, settings) -> dict:
    """run() with the crawler API, limit and priority of the settings (the tier's task and
    `stir job rescrape`)."""
    return run(wh, conn, CrawlerApi.from_settings(settings), end, settings.rescrape_max_requests,
               settings.rescrape_priority)


def run(wh, conn, api: CrawlerApi, end: str, limit: int, priority: int) -> dict:
    """Send the run's requests; returns the counts recorded in stir_meta.job_runs."""
    records.start(conn, JOB, end)
    found = candidates(wh, end)
    with conn.cursor() as cur:
        cur.execute(read_sql("stir.jobs.sql", "rescrape_recent.sql"), {"end": end})
        recent = {tuple(row) for row in cur.fetchall()}
    conn.rollback()
    fresh = [c for c in found if c not in recent]
    chosen = fresh[:limit]
    logger.info("{}: {} candidate posts, {} sent within 12 hours of T, sending {} (rescrape_max_requests = {})",
                JOB, len(found), len(found) - len(fresh), len(chosen), limit)
    counts = {"candidates": len(found), "skipped_recent": len(found) - len(fresh),
              "over_limit": len(fresh) - len(chosen), "accepted": 0, "rejected": 0, "failed": 0}
    for n, (platform, shortcode) in enumerate(chosen, 1):
        key = {"platform": platform, "shortcode": shortcode, "end": end}
        with conn.cursor() as cur:
            cur.execute(read_sql("stir.jobs.sql", "rescrape_sending.sql"), key)
        conn.commit()
        answer = api.send({"flow": FLOW, "platform": platform, "shortcode": shortcode, "priority": priority})
        with conn.cursor() as cur:
            cur.execute(read_sql("stir.jobs.sql", "rescrape_outcome.sql"),
                        {**key, "outcome": answer.outcome, "status": answer.status, "detail": answer.detail[:500]})
        conn.commit()
        counts[answer.outcome] += 1
        if answer.outcome != "accepted":
            logger.warning("{}: {} {} {} (HTTP {}, {} attempts): {}", JOB, platform, shortcode, answer.outcome,
                           answer.status or "-", answer.attempts, answer.detail[:200])
        if n % 50 == 0:
            logger.info("{}: {}/{} sent", JOB, n, len(chosen))
    records.finish(conn, JOB, end, counts)
    logger.info("{}: {} accepted, {} rejected, {} failed", JOB, counts["accepted"], counts["rejected"],
                counts["failed"])
    return counts
