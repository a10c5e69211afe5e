"""Crawler jobs against real services started here: a local HTTP server playing the crawler's
API (accepting, rejecting with 4xx, failing with 5xx, timing out), the real PostgreSQL task
queue with a worker-like consumer taking rows with FOR UPDATE SKIP LOCKED while Stir
inserts, and Parquet keyword reports read back row by row.

T = 2026-10-10 12:00:00."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pyarrow.parquet as pq
import pytest

from conftest import REPO, Stir, pg_rows, write_jsonl
from raw_rows import collection, collection_item, event, ig_account, ig_post, yt_account, yt_video

T = "2026-10-10 12:00:00"
TOKEN = "s3cret-crawler-token"


class CrawlerApi:
    """The crawler's API: POST /scrape_requests. What it answers depends on the shortcode:
    v1 is rejected (400), s6 fails twice (503) then is accepted, s7 always fails (500), s8
    answers too late; a shortcode in `hold` blocks until `release` is set."""

    def __init__(self):
        self.calls: list[dict] = []
        self.hold: set[str] = set()
        self.held = threading.Event()
        self.release = threading.Event()
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                api.calls.append({"path": self.path, "auth": self.headers.get("Authorization"), **body})
                code = body["shortcode"]
                if code in api.hold:
                    api.held.set()
                    api.release.wait(30)
                status = {"v1": 400, "s7": 500}.get(code, 201)
                if code == "s6" and sum(c["shortcode"] == "s6" for c in api.calls) <= 2:
                    status = 503
                if code == "s8":
                    time.sleep(0.6)
                try:
                    self.send_response(status)
                    self.end_headers()
                    self.wfile.write(b'{"ok": true}' if status < 300 else b'{"error": "no"}')
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def sent(self, since: int = 0) -> list[str]:
        return [c["shortcode"] for c in self.calls[since:]]


def fixture_files(directory):
    accounts = [ig_account(1, "a1", "2026-10-01 00:00:00", followers=1000, profile_pic_url="pic_a1"),
                ig_account(2, "a2", "2026-10-01 00:00:00", followers=50, profile_pic_url="pic_a2")]
    def post(id_, pid, code, published, **over):
        return ig_post(id_, pid, code, "image", published, **{"display_url": f"img_{code}", **over})
    posts = [
        post(1, "a1", "s1", "2026-10-08 00:00:00", likes=10, caption="Summer SALE today"),
        post(2, "a1", "s2", "2026-09-01 00:00:00", caption="sale, long ago"),              # too old
        post(3, "a2", "s3", "2026-10-09 00:00:00", caption="wholesale prices"),            # requested lately
        post(4, "a2", "s4", "2026-10-09 01:00:00", caption="#sale!"),                      # inactive collection
        post(5, "a1", "s5", "2026-10-05 00:00:00", likes=7, comments=1, caption="sale"),   # failed twice
        post(6, "a1", "s6", "2026-10-06 00:00:00", caption="Big summer fun"),              # failed twice, then ok
        post(7, "a2", "s7", "2026-10-07 00:00:00", caption="Sale"),
        post(8, "a2", "s8", "2026-10-07 06:00:00", caption="no match here", display_url=""),
    ]
    channels = [yt_account(3, "c1", "2026-10-01 00:00:00", subscribers=20000, thumbnail_url="thumb_c1")]
    videos = [yt_video(1, "c1", "v1", "2026-10-04 00:00:00", likes=5, comments=5, title="A big SALE",
                       thumbnail_url="vthumb")]
    collections = [collection(1, "2026-09-01 00:00:00"), collection(2, "2026-09-01 00:00:00", is_active=0)]
    items = [collection_item(i, 1, "YOUTUBE" if code == "v1" else "INSTAGRAM", code, "2026-09-01 00:00:00")
             for i, code in enumerate(["s1", "s2", "s3", "s5", "s6", "s7", "s8", "v1", "gone"], 1)]
    items.append(collection_item(20, 2, "INSTAGRAM", "s4", "2026-09-01 00:00:00"))
    log = [{"id": 1, "flow": "refresh_post_by_shortcode", "platform": "INSTAGRAM", "params": '{"shortcode": "s3"}',
            "status": "COMPLETE", "priority": 1, "created_at": "2026-10-10 10:00:00", "updated_at": "2026-10-10 10:05:00"}]
    # a2's picture was asked for and failed within the same second: FAILED wins the tie, and it is
    # asked for again (argMax on updated_at alone kept PENDING: the first row it read of the two).
    a2_pic = json.dumps({"entity_type": "profile", "entity_id": "a2", "asset_type": "profile_picture",
                         "original_url": "pic_a2"})
    log += [{"id": 900, "flow": "asset_upload_flow", "platform": "INSTAGRAM", "params": a2_pic, "status": status,
             "priority": 2, "created_at": "2026-10-10 09:00:00", "updated_at": "2026-10-10 09:00:00"}
            for status in ("PENDING", "FAILED")]
    def ev(code, status, at):
        return {"flow": "refresh_post_by_shortcode", "params": json.dumps({"shortcode": code}), "status": status,
                "event_timestamp": at}
    events = [ev("s5", "COMPLETE", "2026-10-05 00:00:00"), ev("s5", "FAILED", "2026-10-06 00:00:00"),
              ev("s5", "FAILED", "2026-10-07 00:00:00"),
              ev("s6", "FAILED", "2026-10-06 00:00:00"), ev("s6", "FAILED", "2026-10-06 01:00:00"),
              ev("s6", "COMPLETE", "2026-10-06 02:00:00")]
    crawls = [event("INSTAGRAM", "a1", "2026-10-01 00:00:00", followers=1000),
              event("INSTAGRAM", "a2", "2026-10-01 00:00:00", followers=50),
              event("YOUTUBE", "c1", "2026-10-01 00:00:00", followers=20000)]
    for table, rows in [("beat_replica.instagram_account", accounts), ("beat_replica.instagram_post", posts),
                        ("_e.profile_log_events", crawls), ("beat_replica.youtube_account", channels), ("beat_replica.youtube_post", videos),
                        ("coffee.post_collection", collections), ("coffee.post_collection_item", items),
                        ("beat_replica.scrape_request_log", log), ("_e.scrape_request_log_events", events)]:
        write_jsonl(directory, table, rows)


@pytest.fixture(scope="module")
def jobs(tmp_path_factory):
    api = CrawlerApi()
    stir = Stir(tmp_path_factory.mktemp("jobs") / "home")
    stir.env.update(STIR_CRAWLER_API_URL=api.url, STIR_CRAWLER_API_TOKEN=TOKEN, STIR_CRAWLER_API_TIMEOUT="0.3",
                    STIR_CRAWLER_API_RETRIES="2", STIR_CRAWLER_API_BACKOFF="0.01")
    fixture_files(stir.home.parent / "in")
    stir.run("ingest", str(stir.home.parent / "in"))
    first = stir.run_tier("15min", "--end", T)
    conn = stir.pg()
    yield stir, api, conn, first
    conn.close()
    api.server.shutdown()


def job_counts(conn, job, end):
    with conn.cursor() as cur:
        cur.execute("SELECT counts FROM stir_meta.job_runs WHERE job = %s AND run_end = %s", (job, end))
        row = cur.fetchone()
    conn.rollback()
    return row and row[0]


# -- re-scrape requests ---------------------------------------------------------------------

def test_rescrape_candidates_retries_and_counts(jobs):
    stir, api, conn, first = jobs
    # Oldest publish time first; no retry on 4xx; 5xx and timeouts retried twice (3 attempts).
    assert api.sent() == ["v1", "s6", "s6", "s6", "s7", "s7", "s7", "s8", "s8", "s8", "s1"]
    assert all(c["path"] == "/scrape_requests" and c["auth"] == f"Bearer {TOKEN}" for c in api.calls)
    assert api.calls[-1] == {"path": "/scrape_requests", "auth": f"Bearer {TOKEN}", "flow": "refresh_post_by_shortcode",
                             "platform": "INSTAGRAM", "shortcode": "s1", "priority": 1}
    assert job_counts(conn, "rescrape_collection_posts", T) == {
        "candidates": 5, "skipped_recent": 0, "over_limit": 0, "accepted": 2, "rejected": 1, "failed": 2}
    assert "2 accepted, 1 rejected, 2 failed" in first.stderr
    assert TOKEN not in first.stdout + first.stderr


def test_rescrape_never_twice_within_12_hours(jobs):
    stir, api, conn, _ = jobs
    before = len(api.calls)
    stir.run_tier("15min", "--end", T)                                # the same T: the job is done
    stir.run_tier("15min", "--end", "2026-10-10 23:00:00")            # 11 hours later: all sent lately,
    assert api.sent(before) == ["s3"]                                 # but s3's request is 13 hours old now
    assert job_counts(conn, "rescrape_collection_posts", "2026-10-10 23:00:00")["skipped_recent"] == 5


def test_rescrape_cap_and_crash_halfway(jobs):
    """At most rescrape_max_requests per run; a run killed while a request is in flight sends,
    when run again, only what it had not begun to send."""
    stir, api, conn, _ = jobs
    before = len(api.calls)
    stir.env.update(STIR_RESCRAPE_MAX_REQUESTS="1", STIR_CRAWLER_API_RETRIES="0")
    stir.run_tier("15min", "--end", "2026-10-11 00:30:00")            # 12.5 hours after T
    assert api.sent(before) == ["v1"]                                 # the oldest publish time
    del stir.env["STIR_RESCRAPE_MAX_REQUESTS"]
    later = "2026-10-11 13:00:00"                                     # v1 is due again too
    api.hold.add("s6")
    before = len(api.calls)
    proc = subprocess.Popen([str(REPO / "bin" / "run_tier"), "15min", "--end", later], cwd=REPO, env=stir.env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    assert api.held.wait(120), "the run never reached the crawler"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    api.release.set()
    api.hold.clear()
    assert api.sent(before) == ["v1", "s6"]
    stir.run_tier("15min", "--end", later)
    assert api.sent(before) == ["v1", "s6", "s7", "s8", "s1", "s3"]  # v1 and s6 not sent again
    assert job_counts(conn, "rescrape_collection_posts", later)["skipped_recent"] == 2


# -- asset uploads ---------------------------------------------------------------------------

def queue_rows(conn):
    return pg_rows(conn, "SELECT id, params, status, priority FROM scrape_request_log WHERE flow = 'asset_upload_flow'")


class Worker(threading.Thread):
    """A crawler worker: takes PENDING asset uploads, highest priority first, with FOR UPDATE
    SKIP LOCKED, a few at a time, and marks them COMPLETE at `done_at`."""

    def __init__(self, connect, done_at):
        super().__init__(daemon=True)
        self.conn, self.done_at = connect(), done_at
        self.taken: list[int] = []
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            with self.conn.cursor() as cur:
                try:
                    cur.execute("SELECT id FROM scrape_request_log WHERE flow = 'asset_upload_flow' AND status = 'PENDING' "
                                "ORDER BY priority DESC, id LIMIT 3 FOR UPDATE SKIP LOCKED")
                except Exception:           # the queue table does not exist yet
                    self.conn.rollback()
                    time.sleep(0.05)
                    continue
                ids = [r[0] for r in cur.fetchall()]
                time.sleep(0.02)
                if ids:
                    cur.execute("UPDATE scrape_request_log SET status = 'COMPLETE', updated_at = %s WHERE id = ANY(%s)",
                                (self.done_at, ids))
            self.conn.commit()
            self.taken += ids
            if not ids:
                time.sleep(0.02)
        self.conn.close()


EXPECTED_ASSETS = {("profile", "a1", "pic_a1"), ("profile", "a2", "pic_a2"), ("profile", "c1", "thumb_c1"),
                   ("post", "v1", "vthumb")} | {("post", f"s{i}", f"img_s{i}") for i in range(1, 8)}


def test_asset_uploads_queued_once_with_a_concurrent_worker(jobs):
    stir, _, conn, _ = jobs
    worker = Worker(stir.pg, "2026-10-10 12:00:00")
    worker.start()
    try:
        stir.run_tier("2h", "--end", "2026-10-10 12:00:00")
        stir.run_tier("2h", "--end", "2026-10-10 14:00:00")   # while the worker drains the queue
        deadline = time.time() + 30
        while any(status == "PENDING" for _, _, status, _ in queue_rows(conn)) and time.time() < deadline:
            time.sleep(0.1)
    finally:
        worker.stop.set()
        worker.join(10)
    rows = queue_rows(conn)
    found = [(p["entity_type"], p["entity_id"], p["original_url"]) for _, p, _, _ in rows]
    assert sorted(found) == sorted(EXPECTED_ASSETS)           # one each: nothing lost, nothing doubled
    assert sorted(worker.taken) == sorted(i for i, _, _, _ in rows)  # each taken once
    assert {p["asset_type"] for _, p, _, _ in rows} == {"profile_picture", "post_image"}
    priority = {p["entity_id"]: pr for _, p, _, pr in rows}
    assert (priority["c1"], priority["a1"], priority["s1"], priority["a2"]) == (5, 4, 4, 2)  # digits of followers


def test_asset_uploads_again_when_old(jobs):
    stir, _, conn, _ = jobs
    before = len(queue_rows(conn))
    stir.run_tier("2h", "--end", "2026-11-01 12:00:00")       # 22 days after the uploads: still fresh
    assert len(queue_rows(conn)) == before
    stir.run_tier("2h", "--end", "2026-11-10 14:00:00")       # 31 days: every picture again
    assert len(queue_rows(conn)) == 2 * before
    assert job_counts(conn, "asset_upload_requests", "2026-11-10 14:00:00")["queued"] == before


# -- keyword reports -------------------------------------------------------------------------

def test_keyword_report_cli_and_daily_task(jobs, tmp_path):
    stir, _, _, _ = jobs
    words = tmp_path / "brand.txt"
    words.write_text("# campaign words\nsale\nSummer  Fun\n\nSALE\n")
    missing = stir.run("report", "keywords", str(words), "--days", "7", "--end", T, check=False)
    assert "error: no post metrics yet: run the daily tier first" in missing.stderr
    stir.run_tier("daily", "--end", T)
    first = stir.run("report", "keywords", str(words), "--days", "7", "--end", T)
    parquet = next((stir.home / "store" / "reports" / "keywords" / "brand").rglob("data.parquet"))
    rows = sorted(pq.read_table(parquet).to_pylist(), key=lambda r: r["shortcode"])
    # s2 is older than 7 days, s3 says "wholesale", s8 nothing; "#sale!" and "Sale" match whole words.
    assert [(r["shortcode"], list(r["keywords"])) for r in rows] == [
        ("s1", ["sale"]), ("s4", ["sale"]), ("s5", ["sale"]), ("s6", ["summer fun"]), ("s7", ["sale"]),
        ("v1", ["sale"])]
    s5 = rows[2]
    assert (s5["platform"], s5["profile_id"], s5["likes"], s5["comments"], s5["engagement"], s5["followers"]) == (
        "INSTAGRAM", "a1", 7, 1, 8, 1000)
    assert s5["reach"] == pytest.approx((7.6 - 0.7 * __import__("math").log10(7)) * 0.85 * 7)
    assert rows[-1]["reach"] is None and rows[-1]["followers"] == 20000
    assert "6 posts matching 2 keyword(s)" in first.stderr
    mtime = parquet.stat().st_mtime
    again = stir.run("report", "keywords", str(words), "--days", "7", "--end", T)
    assert "already written" in again.stderr and parquet.stat().st_mtime == mtime
    # The daily task writes the configured lists.
    stir.env["STIR_KEYWORD_LISTS"] = str(words)
    stir.run_tier("daily", "--end", "2026-10-10 13:00:00")
    assert len(list((stir.home / "store" / "reports" / "keywords" / "brand").rglob("manifest.json"))) == 2


def test_jobs_from_the_cli(jobs):
    """`stir job rescrape|assets` run the jobs outside their tiers, with the same rules."""
    stir, api, conn, _ = jobs
    before = len(api.calls)
    out = stir.run("job", "rescrape", "--end", "2026-10-12 06:00:00").stdout   # 17 hours after the last sends
    sent = ["v1", "s6", "s7", "s8", "s1", "s3"]                   # no retries since the cap test
    assert api.sent(before) == sent
    assert "accepted: 3, rejected: 1, failed: 2" in out
    again = stir.run("job", "rescrape", "--end", "2026-10-12 06:30:00").stdout
    assert api.sent(before) == sent and "skipped_recent: 6" in again
    queued = stir.run("job", "assets", "--end", "2026-11-10 16:00:00").stdout
    assert "queued: 0" in queued    # every picture has an open request since the last run


def test_a_job_refuses_a_model_its_run_failed_to_compute(pg):
    """A job whose input model failed (or was skipped) in its tier's run does not act on that
    model's previous content; it fails naming the model."""
    from stir.errors import StirError
    from stir.jobs.tasks import KeywordReport, QueueAssetUploads
    from stir.run_record import record_models
    from stir.serving.migrate import migrate
    from stir.sqlfiles import read_sql

    migrate(pg)
    with pg.cursor() as cur:
        cur.execute(read_sql("stir.serving.sql", "tier_run_start.sql"),
                    {"tier": "2h", "end": "2026-10-01 02:00:00", "pid": 1, "host": "test"})
    pg.commit()
    record_models("2h", "2026-10-01 02:00:00", ran=True, restated=False,
                  failures={"stir_staging.stg_youtube_post": "'not_null' audit error"})
    with pytest.raises(StirError, match=r"stir.QueueAssetUploads: not run: stir_staging.stg_youtube_post did not "
                                        r"compute in this run \('not_null' audit error\)"):
        QueueAssetUploads(tier="2h", end="2026-10-01 02:00:00").check_inputs()
    KeywordReport(tier="2h", end="2026-10-01 02:00:00", path="x").check_inputs()   # reads another model
