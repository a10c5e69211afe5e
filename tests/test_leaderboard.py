"""Leaderboard correctness on a small hand-made dataset. Every expected value below was
worked out by hand from metrics.md (see the comments); the whole daily tier runs (SQLMesh on
chDB, the publish chain into PostgreSQL) and the published `leaderboard` table is checked."""
from __future__ import annotations

import datetime as dt

import pytest

from conftest import write_jsonl
from raw_rows import event, ig_account, ig_audience, ig_post, yt_account, yt_video

DEC, JAN, FEB = dt.datetime(2025, 12, 1), dt.datetime(2026, 1, 1), dt.datetime(2026, 2, 1)


def write_dataset(directory):
    write_jsonl(directory, "beat_replica.instagram_account", [
        # a: two crawls; the latest (id 11) gives handle 'a_new'; serving id = min(id) = 10.
        ig_account(10, "a", "2026-01-05 00:00:00", handle="a_old"),
        ig_account(11, "a", "2026-02-10 00:00:00", handle="a_new"),
        ig_account(20, "b", "2026-01-05 00:00:00", language="Hindi"),
        ig_account(30, "c", "2026-01-05 00:00:00", category=None, country="US"),
        ig_account(40, "d", "2026-01-05 00:00:00", language=None, country=None),
        # 'e' has events and posts but no account row: ignored everywhere.
    ])
    write_jsonl(directory, "_e.profile_log_events", [
        event("INSTAGRAM", "a", "2025-12-10 00:00:00", followers=1000),
        event("INSTAGRAM", "b", "2025-12-10 00:00:00", followers=500),
        event("INSTAGRAM", "d", "2025-12-10 00:00:00", followers=700),
        event("INSTAGRAM", "a", "2026-01-05 00:00:00", followers=1100),
        event("INSTAGRAM", "a", "2026-01-20 00:00:00", followers=1200),   # a's last in Jan
        event("INSTAGRAM", "b", "2026-01-15 00:00:00", followers=800),
        event("INSTAGRAM", "b", "2026-01-15 00:00:00", followers=900),    # tie on time: greatest wins
        event("INSTAGRAM", "c", "2026-01-10 00:00:00", followers=1200),
        event("INSTAGRAM", "c", "2026-01-25 00:00:00", following=5),      # no followers: ignored
        event("INSTAGRAM", "c", "2026-01-26 00:00:00", followers="1300"), # not a JSON integer: ignored
        event("INSTAGRAM", "e", "2026-01-10 00:00:00", followers=5000),
        event("INSTAGRAM", "a", "2026-02-10 00:00:00", followers=1300),
        event("INSTAGRAM", "b", "2026-02-10 00:00:00", followers=900),
        event("INSTAGRAM", "c", "2026-02-10 00:00:00", followers=None),   # on Feb's board, followers NULL
        event("INSTAGRAM", "d", "2026-02-10 00:00:00", followers=1000),   # d: no January events
        event("YOUTUBE", "y1", "2025-12-10 00:00:00", followers=100, views=1000, uploads=10),
        event("YOUTUBE", "y1", "2026-01-10 00:00:00", followers=150, views=1500, uploads=12),
        event("YOUTUBE", "y1", "2026-02-10 00:00:00", followers=160, views=1400, uploads=12),
        event("YOUTUBE", "y2", "2026-01-10 00:00:00", followers=50, views=10, uploads=1),
    ])
    write_jsonl(directory, "beat_replica.instagram_post", [
        ig_post(1, "a", "R1", "reels", "2026-01-03 00:00:00", likes=5, plays=50),
        ig_post(2, "a", "R1", "reels", "2026-01-03 00:00:00", "2026-01-09 00:00:00", likes=10, comments=1, plays=100),
        ig_post(3, "a", "I1", "image", "2026-01-10 00:00:00", likes=20, comments=3, views=50),
        ig_post(4, "a", "S1", "story", "2026-01-11 00:00:00", likes=999, comments=99, views=999),
        ig_post(5, "b", "I2", "image", "2026-01-20 00:00:00", likes=8, comments=0, views=80),
        ig_post(6, "e", "E1", "image", "2026-01-20 00:00:00", likes=8000, views=8000),
    ])
    write_jsonl(directory, "beat_replica.youtube_account", [
        yt_account(500, "y1", "2026-02-10 00:00:00"),
        yt_account(600, "y2", "2026-02-10 00:00:00", category=None),
    ])
    write_jsonl(directory, "beat_replica.youtube_post", [
        yt_video(1, "y1", "v1", "2026-01-05 00:00:00", likes=10, comments=2),
        yt_video(2, "y1", "v2", "2026-01-06 00:00:00", likes=10, comments=2),
    ])
    write_jsonl(directory, "beat_replica.instagram_audience", [
        ig_audience("a", "2026-01-01 00:00:00", source="estimated", gender='{"male": 0.1}', age=""),
        ig_audience("a", "2026-01-01 00:00:00", gender='{"male": 0.6}', age='{"18-24": 1}'),
        # Not valid JSON: published as NULL rather than blocking the whole table.
        ig_audience("b", "2026-01-01 00:00:00", gender="{broken"),
    ])


@pytest.fixture(scope="module")
def board(tmp_path_factory):
    from conftest import Stir

    home = tmp_path_factory.mktemp("leaderboard")
    stir = Stir(home / "home")
    write_dataset(home / "data")
    stir.run("ingest", str(home / "data"))
    stir.run_tier("daily", "--end", "2026-03-01")
    conn = stir.pg()
    with conn.cursor() as cur:
        cur.execute("SELECT * FROM leaderboard ORDER BY platform, month, platform_id")
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, r)) for r in cur.fetchall()]
    conn.close()
    return {(r["platform_id"], r["month"]): r for r in rows}


def test_board_membership(board):
    # On a month's board: account row + at least one event that month. d misses January; e has no account.
    assert sorted((pid, m.strftime("%Y-%m")) for pid, m in board) == sorted([
        ("a", "2025-12"), ("b", "2025-12"), ("d", "2025-12"),
        ("a", "2026-01"), ("b", "2026-01"), ("c", "2026-01"),
        ("a", "2026-02"), ("b", "2026-02"), ("c", "2026-02"), ("d", "2026-02"),
        ("y1", "2025-12"), ("y1", "2026-01"), ("y1", "2026-02"), ("y2", "2026-01"),
    ])


def test_followers_and_change(board):
    a, b, c = board["a", JAN], board["b", JAN], board["c", JAN]
    assert (a["followers"], a["prev_followers"], a["followers_change"]) == (1200, 1000, 200)
    assert (b["followers"], b["prev_followers"], b["followers_change"]) == (900, 500, 400)
    assert (c["followers"], c["prev_followers"], c["followers_change"]) == (1200, None, None)
    assert (board["c", FEB]["followers"], board["c", FEB]["followers_change"]) == (None, None)
    assert (board["d", FEB]["prev_followers"], board["d", FEB]["followers_change"]) == (None, None)


def test_ranks_in_january(board):
    expected = {
        #      followers, change, views, plays, f_cat, f_lang, f_cat_lang, ch_cat, ch_lang, v_cat, p_cat
        "a": (1, 2, 2, 1, 1, 1, 1, 2, 1, 2, 1),
        "b": (3, 1, 1, 2, 2, 1, 1, 1, 1, 1, 2),
        "c": (1, 3, 3, 2, 1, 1, 1, 1, 2, 1, 1),
    }
    columns = ["followers_rank", "followers_change_rank", "views_rank", "plays_rank", "followers_rank_by_cat",
               "followers_rank_by_lang", "followers_rank_by_cat_lang", "followers_change_rank_by_cat",
               "followers_change_rank_by_lang", "views_rank_by_cat", "plays_rank_by_cat"]
    for pid, ranks in expected.items():
        assert tuple(board[pid, JAN][c] for c in columns) == ranks, pid


def test_ranks_in_february_put_nulls_last(board):
    got = {pid: (board[pid, FEB]["followers_rank"], board[pid, FEB]["followers_change_rank"]) for pid in "abcd"}
    # followers: a 1300, d 1000, b 900, c NULL; change: a 100, b 0, c NULL, d NULL (tie).
    assert got == {"a": (1, 1), "b": (3, 2), "c": (4, 3), "d": (2, 3)}


def test_post_metrics(board):
    a, b, c = board["a", JAN], board["b", JAN], board["c", JAN]
    # a: reel R1 (latest crawl: 10 likes, 1 comment, 100 plays), image I1; the story is excluded.
    assert (a["views"], a["plays"], a["likes"], a["comments"], a["uploads"], a["engagement"]) == (50, 100, 30, 4, 2, 34)
    assert (a["avg_likes"], a["avg_comments"], a["avg_views"], a["avg_plays"]) == (15.0, 2.0, 50.0, 100.0)
    assert a["engagement_rate"] == pytest.approx((15 + 2) / 1200 * 100, rel=1e-15)
    assert (b["avg_plays"], b["engagement_rate"]) == (None, pytest.approx(8 / 900 * 100, rel=1e-15))
    assert (c["uploads"], c["likes"], c["avg_likes"], c["engagement_rate"]) == (0, 0, None, None)


def test_latest_state_and_derived_columns(board):
    a = board["a", JAN]
    assert (a["handle"], a["platform_profile_id"], a["profile_platform"], a["profile_type"]) == ("a_new", 10, "IA", "Micro")
    assert a["search_phrase"] == "name a a_new"
    assert a["audience_gender"] == {"male": 0.6} and a["audience_age"] == {"18-24": 1}
    assert (board["b", JAN]["audience_gender"], board["b", JAN]["audience_age"]) == (None, {})
    assert [board[p, JAN]["enabled"] for p in "abc"] == [True, True, False]
    assert board["c", FEB]["profile_type"] is None


def test_rank_maps(board):
    a_jan, a_feb = board["a", JAN], board["a", FEB]
    assert a_feb["last_month_ranks"] == a_jan["current_month_ranks"]
    assert a_jan["current_month_ranks"]["followers_rank"] == 1
    assert a_jan["current_month_ranks"]["followers_change_rank"] == 2
    assert len(a_jan["current_month_ranks"]) == 11
    # December: a 1000, d 700, b 500; every change is NULL so all tie at 1.
    assert a_jan["last_month_ranks"]["followers_rank"] == 1
    assert a_jan["last_month_ranks"]["followers_change_rank"] == 1
    assert board["c", JAN]["last_month_ranks"] == {}
    assert board["d", FEB]["last_month_ranks"] == {}


def test_youtube(board):
    y1, y2 = board["y1", JAN], board["y2", JAN]
    assert (y1["profile_platform"], y1["platform_profile_id"], y1["followers"], y1["followers_change"]) == ("YA", 500, 150, 50)
    assert (y1["views"], y1["uploads"], y1["likes"], y1["comments"], y1["plays"]) == (500, 2, 20, 4, 0)
    assert y1["engagement_rate"] == pytest.approx((10 + 2) / 150 * 100, rel=1e-15)
    assert (y2["views"], y2["uploads"], y2["followers_change"]) == (None, None, None)
    assert (y1["views_rank"], y2["views_rank"]) == (1, 2)
    assert board["y1", FEB]["views"] == 0  # lifetime views fell: floored at 0
    assert y1["search_phrase"] == "channel y1 @y1"


def test_ids_are_unique_and_positive(board):
    ids = [r["id"] for r in board.values()]
    assert len(set(ids)) == len(ids) and all(i > 0 for i in ids)
