"""Discovery (instagram_account, youtube_account) through `bin/run_tier 15min` on the real
engines, on a small fixture whose expected values were worked out by hand from metrics.md.

T = 2026-10-02 12:00:00, so the recent-post window is [2026-09-02 12:00:00, T) and the
growth bases are the latest events at or before 2026-09-25 12:00:00 (7d), 2026-09-02
12:00:00 (30d) and 2026-07-04 12:00:00 (90d)."""
from __future__ import annotations

import math
import os
import re
import time

import pytest

from conftest import Stir, pg_rows, write_jsonl
from raw_rows import event, ig_account, ig_audience, ig_post, yt_account, yt_video

T = "2026-10-02 12:00:00"
LATER = "2026-10-03 12:00:00"


def fixture_files(directory):
    def account(id_, pid, followers, **over):
        return ig_account(id_, pid, "2026-10-01 00:00:00", **{"followers": followers, "category": "Fitness", **over})

    accounts = [
        # p1: two crawl rows; the later one (id 5) is the current state, the serving id is min(id) = 5.
        account(11, "p1", 900, updated_at="2026-09-01 00:00:00"),
        account(5, "p1", 1000, full_name="Ann Lee", handle="ann", is_verified=1, category="Tech", following=7,
                media_count=30, profile_pic_url="pic_p1"),
        # p2: 0 followers, 13 posts at the same time (the 12-post cap's tie rule), empty name.
        account(20, "p2", 0, full_name="", handle="two", country="US"),
        # p3: alone in its peer group (NULL country and category), no posts.
        account(30, "p3", 20000, country=None, category=None),
    ]
    # g1..g10: one peer group (IN, Fitness, '0-5k') of 10 for the percentile boundaries.
    accounts += [account(100 + i, f"g{i:02d}", 1000 + i) for i in range(1, 11)]
    posts = [
        ig_post(1, "p1", "s1", "reels", "2026-09-02 12:00:00", likes=100, comments=10, plays=1000),  # window start: in
        ig_post(2, "p1", "s0", "image", "2026-09-02 11:59:59", likes=5000),                            # a second early
        ig_post(3, "p1", "s2", "image", "2026-10-02 11:59:59", "2026-09-30 00:00:00", likes=500, comments=20, reach=300),
        ig_post(4, "p1", "s2", "image", "2026-10-02 11:59:59", "2026-10-02 11:59:59", likes=200, comments=20,
                reach=300),                                                                            # re-crawl, fewer likes
        ig_post(5, "p1", "s3", "story", "2026-10-01 00:00:00", likes=7000),                            # stories never count
        ig_post(6, "p1", "s4", "image", T, likes=999),                                                 # at T: out
    ]
    posts += [ig_post(200 + i, "p2", f"c{i:02d}", "image", "2026-10-01 00:00:00", likes=1000 if i == 1 else i)
              for i in range(1, 14)]
    posts += [ig_post(300 + i, f"g{i:02d}", f"gp{i:02d}", "image", "2026-09-20 00:00:00", likes=10 * i)
              for i in range(1, 11)]
    events = [
        event("INSTAGRAM", "p1", "2026-09-25 12:00:00", followers=950),   # exactly T - 7d: the base
        event("INSTAGRAM", "p1", "2026-09-25 12:00:00", followers=940),   # tie on time: the greater wins
        event("INSTAGRAM", "p1", "2026-09-25 12:00:01", followers=960),   # a second after: not a base
        event("INSTAGRAM", "p1", "2026-09-01 00:00:00", followers=1640.0),  # not a JSON integer: ignored
        event("INSTAGRAM", "p1", "2026-09-02 00:00:00", following=3),     # no followers: ignored
        event("INSTAGRAM", "p1", "2026-08-30 00:00:00", followers=800),   # the 30-day base
        event("YOUTUBE", "UC1", "2026-08-30 00:00:00", followers=1),      # other platform
    ]
    audience = [
        ig_audience("p1", "2026-09-01 00:00:00", source="estimated", gender='{"male": 0.1}', age=""),
        ig_audience("p1", "2026-09-01 00:00:00", gender='{"male": 0.6}', age='{"18-24": 1.0}'),
        ig_audience("p2", "2026-09-01 00:00:00", gender="[1, 2]"),   # valid JSON, not an object
    ]
    links = [
        {"instagram_profile_id": "p1", "channel_id": "UC1", "updated_at": "2026-09-01 00:00:00"},
        {"instagram_profile_id": "p1", "channel_id": "", "updated_at": "2026-09-05 00:00:00"},  # link removed
        {"instagram_profile_id": "p2", "channel_id": "UC1", "updated_at": "2026-09-10 00:00:00"},
    ]
    channels = [
        yt_account(7, "UC1", "2026-09-01 00:00:00", subscribers=500),
        yt_account(3, "UC1", "2026-10-01 00:00:00", subscribers=400, thumbnail_url="thumb_UC1"),  # latest, lower: 400
        yt_account(8, "UC2", "2026-10-01 00:00:00", subscribers=0, handle="Zed", title="ZED Tv"),
        yt_account(9, "UC3", "2026-10-01 00:00:00", subscribers=50),
    ]
    videos = [
        yt_video(1, "UC1", "v1", "2026-09-15 00:00:00", views=100, likes=10, comments=2, is_short=1),
        yt_video(2, "UC1", "v2", "2026-09-02 11:59:59", views=9999, likes=999, comments=99),  # a second early
        yt_video(3, "UC2", "v3", "2026-10-01 00:00:00", views=70, likes=7, comments=0),
    ]
    for table, rows in [("beat_replica.instagram_account", accounts), ("beat_replica.instagram_post", posts),
                        ("_e.profile_log_events", events), ("beat_replica.instagram_audience", audience),
                        ("beat_replica.social_profile_link", links), ("beat_replica.youtube_account", channels),
                        ("beat_replica.youtube_post", videos)]:
        write_jsonl(directory, table, rows)


def rows(conn, table, key):
    with conn.cursor() as cur:
        cur.execute(f"SELECT * FROM {table}")
        columns = [d[0] for d in cur.description]
        found = {r[columns.index(key)]: dict(zip(columns, r)) for r in cur.fetchall()}
    conn.rollback()
    return found


def publishes(conn):
    return pg_rows(conn, "SELECT serving_table, fingerprint FROM stir_meta.publish_log ORDER BY published_at")


@pytest.fixture(scope="module")
def discovery(tmp_path_factory):
    stir = Stir(tmp_path_factory.mktemp("discovery") / "home")
    fixture_files(stir.home.parent / "in")
    stir.run("ingest", str(stir.home.parent / "in"))
    first = stir.run_tier("15min", "--end", T)
    conn = stir.pg()
    yield stir, conn, first
    conn.close()


def test_first_run_publishes_both_tables(discovery):
    _, conn, first = discovery
    assert f"tier 15min (T = {T} UTC): done: models ran; published instagram_account, youtube_account" in first.stdout
    assert len(rows(conn, "instagram_account", "ig_id")) == 13
    assert len(rows(conn, "youtube_account", "channel_id")) == 3


def test_latest_state_and_column_mappings(discovery):
    _, conn, _ = discovery
    p1 = rows(conn, "instagram_account", "ig_id")["p1"]
    assert {k: p1[k] for k in ("id", "handle", "name", "followers", "following", "post_count", "category",
                               "country", "city", "is_verified", "thumbnail", "search_phrase")} == {
        "id": 5, "handle": "ann", "name": "Ann Lee", "followers": 1000, "following": 7, "post_count": 30,
        "category": "Tech", "country": "IN", "city": None, "is_verified": True, "thumbnail": "pic_p1",
        "search_phrase": "ann lee ann"}
    assert str(p1["updated_at"]) == "2026-10-01 00:00:00"
    assert rows(conn, "instagram_account", "ig_id")["p2"]["search_phrase"] == " two"


def test_recent_posts_window_cap_and_averages(discovery):
    _, conn, _ = discovery
    ig = rows(conn, "instagram_account", "ig_id")
    p1 = ig["p1"]
    # Recent: s1 (at T - 30d, reels) and s2 (a second before T, latest crawl: 200 likes).
    assert (p1["avg_likes"], p1["avg_comments"], p1["avg_views"]) == (150.0, 15.0, 1000.0)
    assert p1["engagement_rate"] == pytest.approx((150 + 15) / 1000 * 100, rel=1e-12)
    # s1 has no reach: reels estimate 1000 * (0.94 - log2(1000) * 0.001); s2 reports 300.
    assert p1["avg_reach"] == pytest.approx((1000 * (0.94 - math.log2(1000) * 0.001) + 300) / 2, rel=1e-12)
    p2 = ig["p2"]
    # 13 posts at the same time: the 12 greatest shortcodes (c02..c13) count, c01 (1000 likes) does not.
    assert p2["avg_likes"] == pytest.approx(sum(range(2, 14)) / 12)
    assert p2["engagement_rate"] is None            # 0 followers
    assert p2["avg_reach"] == 0.0                   # estimate is 0 with 0 followers
    assert p2["avg_views"] is None                  # no reels
    p3 = ig["p3"]
    assert (p3["avg_likes"], p3["avg_comments"], p3["avg_views"], p3["engagement_rate"], p3["avg_reach"]) == (
        None, None, None, None, None)


def test_followers_growth_bases(discovery):
    _, conn, _ = discovery
    p1 = rows(conn, "instagram_account", "ig_id")["p1"]
    assert (p1["followers_growth7d"], p1["followers_growth30d"], p1["followers_growth90d"]) == (50, 200, None)
    assert rows(conn, "instagram_account", "ig_id")["p3"]["followers_growth7d"] is None


def test_groups_tiers_and_grades(discovery):
    _, conn, _ = discovery
    ig = rows(conn, "instagram_account", "ig_id")
    assert (ig["p1"]["follower_group"], ig["p1"]["follower_tier"]) == ("0-5k", "Micro")
    assert (ig["p3"]["follower_group"], ig["p3"]["follower_tier"]) == ("10k-50k", "Micro")
    assert (ig["p2"]["follower_group"], ig["p2"]["follower_tier"]) == ("0-5k", "Nano")
    # Group of 10, avg_likes 10..100: p40 = 50, p60 = 70, p75 = 80, p90 = 100 (quantileExact).
    expected = {10: "Very Good", 9: "Very Good", 8: "Good", 7: "Average", 6: "Average"}
    for i in range(1, 11):
        g = ig[f"g{i:02d}"]
        assert g["avg_likes_grade"] == expected.get(i, "Poor"), i
        assert g["engagement_rate_grade"] == expected.get(i, "Poor"), i
        assert g["avg_comments_grade"] is None, i       # 0 comments: no grade
    # followers 1001..1010: p40 = 1005, p60 = 1007, p75 = 1008, p90 = 1010.
    followers = {10: "Very Good", 9: "Very Good", 8: "Good", 7: "Average", 6: "Average"}
    assert [ig[f"g{i:02d}"]["followers_grade"] for i in range(1, 11)] == [followers.get(i, "Poor") for i in range(1, 11)]
    # Alone in a group: 'Poor'; a metric of 0 or NULL: no grade.
    assert (ig["p3"]["followers_grade"], ig["p1"]["avg_likes_grade"], ig["p1"]["engagement_rate_grade"]) == (
        "Poor", "Poor", "Poor")
    assert (ig["p2"]["followers_grade"], ig["p2"]["engagement_rate_grade"], ig["p3"]["avg_likes_grade"]) == (
        None, None, None)


def test_ranks(discovery):
    _, conn, _ = discovery
    ig = rows(conn, "instagram_account", "ig_id")
    assert [ig[f"g{i:02d}"]["country_rank"] for i in range(10, 0, -1)] == list(range(1, 11))
    assert (ig["p1"]["country_rank"], ig["p1"]["category_rank"]) == (11, 1)
    assert [ig[f"g{i:02d}"]["category_rank"] for i in range(10, 0, -1)] == list(range(1, 11))
    assert (ig["p2"]["country_rank"], ig["p3"]["country_rank"], ig["p3"]["category_rank"]) == (1, 1, 1)


def test_links_and_audience(discovery):
    _, conn, _ = discovery
    ig = rows(conn, "instagram_account", "ig_id")
    assert ig["p1"]["linked_channel_id"] is None     # the latest link row removed it
    assert ig["p2"]["linked_channel_id"] == "UC1"
    assert (ig["p1"]["audience_gender"], ig["p1"]["audience_age"]) == ({"male": 0.6}, {"18-24": 1.0})  # insights wins
    assert (ig["p2"]["audience_gender"], ig["p2"]["audience_age"]) == (None, {})   # an array is not an object
    assert ig["p3"]["audience_gender"] is None
    yt = rows(conn, "youtube_account", "channel_id")
    assert (yt["UC1"]["linked_ig_id"], yt["UC2"]["linked_ig_id"]) == ("p2", None)


def test_youtube_channels(discovery):
    _, conn, _ = discovery
    yt = rows(conn, "youtube_account", "channel_id")
    uc1 = yt["UC1"]
    assert (uc1["id"], uc1["subscribers"], uc1["avg_views"]) == (3, 400, 100.0)
    assert uc1["engagement_rate"] == pytest.approx((10 + 2) / 400 * 100, rel=1e-12)
    assert (uc1["thumbnail"], uc1["search_phrase"]) == ("thumb_UC1", "channel uc1 @uc1")
    assert (yt["UC2"]["avg_views"], yt["UC2"]["engagement_rate"], yt["UC2"]["search_phrase"]) == (70.0, None, "zed tv zed")
    assert (yt["UC3"]["avg_views"], yt["UC3"]["engagement_rate"]) == (None, None)


def test_a_run_leaves_no_dropped_table_for_the_next_run_to_load(discovery):
    # SQLMesh drops its temp tables after each model; chDB would keep them 8 minutes, and
    # every later run would load the backlog when it opens the warehouse.
    stir, _, _ = discovery
    dropped = stir.home / "warehouse" / "metadata_dropped"
    pending = sorted(p.name for p in dropped.iterdir()) if dropped.exists() else []
    assert pending == []


def test_replaced_parts_are_removed_by_the_next_process(discovery):
    # A merge (as a run's REPLACE PARTITION or EXCHANGE) leaves outdated parts, which
    # ClickHouse removes in a background task; chdb_config.xml starts it a second after the
    # engine does (by default 30-40 s: later than a run ends, so they were never removed).
    stir, _, _ = discovery
    stir.sql("CREATE TABLE default.replaced (x Int64) ENGINE = MergeTree ORDER BY x")
    for value in (1, 2):
        stir.sql(f"INSERT INTO default.replaced VALUES ({value})")
    stir.sql("OPTIMIZE TABLE default.replaced FINAL")   # two parts merged into one: two outdated
    stir.sql("SELECT sleep(3)")   # the next process, living 3 s
    assert stir.sql("SELECT countIf(NOT active), countIf(active) FROM system.parts "
                    "WHERE database = 'default' AND table = 'replaced'") == [[0, 1]]
    stir.sql("DROP TABLE default.replaced")


def test_a_run_removes_the_run_logs_older_than_keep_logs_days(discovery):
    stir, _, _ = discovery
    logs = stir.home / "logs"
    stale, kept = logs / "15min-20260801T120000-7.log", logs / "15min-20261001T120000-8.log"
    for path, days_old in ((stale, 31), (kept, 29)):   # keep_logs_days = 30
        path.write_text("an earlier run")
        os.utime(path, (time.time() - days_old * 86400,) * 2)
    run = stir.run_tier("15min", "--end", T)
    assert (stale.exists(), kept.exists()) == (False, True)
    assert "removed 1 run log(s) older than 30 days" in run.stderr


def test_same_end_again_publishes_nothing(discovery):
    stir, conn, _ = discovery
    before = publishes(conn)
    again = stir.run_tier("15min", "--end", T)
    assert "nothing to do" in again.stdout.strip().splitlines()[-1]
    assert publishes(conn) == before


def test_a_later_end_moves_every_window(discovery):
    stir, conn, _ = discovery
    before = rows(conn, "instagram_account", "ig_id")
    later = stir.run_tier("15min", "--end", LATER)
    after = rows(conn, "instagram_account", "ig_id")
    # s1 (published at the old T - 30d) left the window; s4 (published at the old T) entered it.
    assert (after["p1"]["avg_likes"], after["p1"]["avg_views"]) == ((200 + 999) / 2, None)
    # T - 7d moved past the 12:00:01 event (960) and T - 30d past nothing new (800 stays).
    assert (after["p1"]["followers_growth7d"], after["p1"]["followers_growth30d"]) == (40, 200)
    assert after["p3"] == before["p3"]
    # The bases come from a checkpoint made once a day (E = the day's start, here LATER's
    # 2026-10-03 00:00:00) plus the events after E - N days; the first run made T's.
    assert re.search(r"stir_staging\.stg_instagram_follower_checkpoint\s+\[insert 2026-10-03 - 2026-10-03\]", later.stdout)
    assert stir.sql("SELECT toString(checkpoint_at), base7, toString(base7_at), base30, base90 "
                    "FROM stir_staging.stg_instagram_follower_checkpoint WHERE profile_id = 'p1' ORDER BY 1") == [
        ["2026-10-02 00:00:00", 800, "2026-08-30 00:00:00", 800, None],
        ["2026-10-03 00:00:00", 960, "2026-09-25 12:00:01", 800, None]]


NEWER = "2026-10-03 12:15:00"


def new_crawls(directory):
    """Crawls that arrive after the run at LATER: an event, a re-crawled account and channel, a
    re-crawled post (and an older crawl of it arriving with it), a new post."""
    write_jsonl(directory, "_e.profile_log_events", [
        event("INSTAGRAM", "p1", "2026-10-03 12:05:00", followers=1100)])
    # p3 and UC2 re-crawled: their state changes, their ids (min(id) of all their rows) do not.
    write_jsonl(directory, "beat_replica.instagram_account", [
        ig_account(950, "p3", "2026-10-03 12:05:00", followers=21000, country=None, category=None)])
    write_jsonl(directory, "beat_replica.youtube_account", [
        yt_account(951, "UC2", "2026-10-03 12:05:00", subscribers=10, handle="Zed", title="ZED Tv")])
    write_jsonl(directory, "beat_replica.instagram_post", [
        ig_post(900, "p1", "s2", "image", "2026-10-02 11:59:59", "2026-10-03 12:05:00", likes=300, comments=20, reach=300),
        # s2 again, crawled before the 12:05 crawl but arriving with it: the 12:05 crawl stays latest.
        ig_post(902, "p1", "s2", "image", "2026-10-02 11:59:59", "2026-10-03 06:00:00", likes=1, comments=1, reach=300),
        ig_post(901, "p3", "n1", "reels", "2026-10-03 11:00:00", likes=40, plays=4000)])


def test_an_incremental_run_equals_a_run_from_scratch(discovery, tmp_path, monkeypatch):
    """After new crawls, the run parses only the events of its new intervals (plus a day of
    lookback), and publishes exactly what a run from scratch on the same data publishes: by
    merging the changed rows into the live tables."""
    stir, conn, _ = discovery
    new_crawls(tmp_path / "new")
    stir.run("ingest", str(tmp_path / "new"))
    # Among the fixture's handful of rows any change is more than merge_max_changed's share,
    # which would swap the whole version in (tests/test_merge_delta.py): merge whatever changed.
    monkeypatch.setitem(stir.env, "STIR_MERGE_MAX_CHANGED", "1")
    incremental = stir.run_tier("15min", "--end", NEWER)
    assert re.search(r"stir_staging\.stg_profile_events\s+\[insert 2026-10-02 12:00:00 - 2026-10-03 12:14:59\]",
                     incremental.stdout), incremental.stdout
    # The posts and account models replace only the rows of the keys crawled since (by key, not
    # a rebuild).
    for model in ("stg_instagram_post", "stg_youtube_post", "stg_instagram_account", "stg_youtube_account"):
        assert re.search(rf"stir_staging\.{model}\s+\[insert/update rows\]", incremental.stdout), model
    # The day's growth checkpoint was made by the run at LATER: this one reads it.
    assert "stg_instagram_follower_checkpoint" not in incremental.stdout
    # Both tables take only their changed rows, by merge (a delta of the live version).
    for table in ("instagram_account", "youtube_account"):
        assert re.search(rf"{table}: published \d+ rows \(fingerprint \w+\) by merge, a delta of \w+, [1-9]\d* rows "
                         r"inserted or changed, 0 deleted, [1-9]\d* unchanged", incremental.stderr), table
    scratch = Stir(tmp_path / "scratch")
    fixture_files(tmp_path / "base")
    scratch.run("ingest", str(tmp_path / "base"))
    scratch.run("ingest", str(tmp_path / "new"))
    scratch.run_tier("15min", "--end", NEWER)
    fresh = scratch.pg()
    try:
        for table, key in (("instagram_account", "ig_id"), ("youtube_account", "channel_id")):
            assert rows(conn, table, key) == rows(fresh, table, key), table
    finally:
        fresh.close()
    p1 = rows(conn, "instagram_account", "ig_id")["p1"]
    assert p1["followers_growth7d"] is not None and p1["avg_likes"] == (300 + 999) / 2
    p3 = rows(conn, "instagram_account", "ig_id")["p3"]
    assert (p3["followers"], p3["id"]) == (21000, 30)
    uc2 = rows(conn, "youtube_account", "channel_id")["UC2"]
    assert (uc2["subscribers"], uc2["id"]) == (10, 8)
    # Snapshots more than a day older than T are gone (T's, of the first run); the others stay.
    for mart in ("mart_instagram_account_snapshot", "mart_youtube_account_snapshot"):
        kept = stir.sql(f"SELECT DISTINCT toString(snapshot_at) FROM stir_marts.{mart} ORDER BY 1")
        assert [r[0] for r in kept] == ["2026-10-03 11:59:59", "2026-10-03 12:14:59"], mart


def test_rows_arriving_too_late_for_the_lookback_restate_the_models(discovery, tmp_path, monkeypatch):
    """A crawl dated before what the incremental models re-read (the last run's end less their
    day of lookback) arrives: with watch_late_data off the run never reads it; with it on (the
    default) the run finds the day whose rows changed, restates the models and publishes it.
    A run after that with no new rows restates nothing."""
    stir, conn, _ = discovery
    monkeypatch.setitem(stir.env, "STIR_MERGE_MAX_CHANGED", "1")
    write_jsonl(tmp_path / "late", "beat_replica.instagram_post", [
        ig_post(990, "p1", "late1", "image", "2026-10-01 09:00:00", "2026-10-01 10:00:00", likes=600, comments=1)])
    # An event before the day's growth checkpoint (E - 7d = 2026-09-26 00:00:00) and after
    # p1's 7-day base (960 at 2026-09-25 12:00:01): the checkpoint must be made again.
    write_jsonl(tmp_path / "late", "_e.profile_log_events", [
        event("INSTAGRAM", "p1", "2026-09-25 18:00:00", followers=975)])
    stir.run("ingest", str(tmp_path / "late"))
    assert rows(conn, "instagram_account", "ig_id")["p1"]["avg_likes"] == (300 + 999) / 2
    assert rows(conn, "instagram_account", "ig_id")["p1"]["followers_growth7d"] == 1000 - 960
    monkeypatch.setitem(stir.env, "STIR_WATCH_LATE_DATA", "false")
    blind = stir.run_tier("15min", "--end", "2026-10-03 12:30:00")
    assert "late data" not in blind.stderr   # not even counted
    assert rows(conn, "instagram_account", "ig_id")["p1"]["avg_likes"] == (300 + 999) / 2   # missed
    assert rows(conn, "instagram_account", "ig_id")["p1"]["followers_growth7d"] == 1000 - 960   # missed too
    monkeypatch.setitem(stir.env, "STIR_WATCH_LATE_DATA", "true")
    found = stir.run_tier("15min", "--end", "2026-10-03 12:45:00")
    assert "late data: beat_replica.instagram_post: +1 row(s) dated 2026-10-01 (1 day(s)), before " \
           "2026-10-02 12:00:00 UTC" in found.stderr, found.stderr
    assert "late data: _e.profile_log_events: +1 row(s) dated 2026-09-25 (1 day(s))" in found.stderr, found.stderr
    assert "models restated and run; published instagram_account" in found.stdout
    assert rows(conn, "instagram_account", "ig_id")["p1"]["avg_likes"] == (300 + 999 + 600) / 3
    assert rows(conn, "instagram_account", "ig_id")["p1"]["followers_growth7d"] == 1000 - 975
    quiet = stir.run_tier("15min", "--end", "2026-10-03 13:00:00")
    assert "late data watch: 5 raw source(s) counted in" in quiet.stderr and "none late" in quiet.stderr
    assert "late data:" not in quiet.stderr
    assert "models ran" in quiet.stdout.strip().splitlines()[-1]
