"""The rest of the catalogue through its tiers on the real engines: time series, hashtags and
audience info (`2h`), collections (`30min`, published by merge), genre overview (`daily`,
from the leaderboard mart). The fixture is small and made by hand; every expected value
below was worked out from metrics.md.

Profiles: a1 (Fashion, IN, Hindi), a2 (no category, 0 followers), a3 (Fashion, US, no
language), a4 (Fashion, IN, Hindi), YouTube channel c1; zz has posts, events and an audience
but no account row (ignored everywhere but in a collection, which shows its post)."""
from __future__ import annotations

import re

import math

import pytest

from conftest import Stir, write_jsonl
from raw_rows import (collection, collection_item, event, ig_account, ig_audience, ig_post, yt_account, yt_audience,
                      yt_video)

END = "2026-10-10 12:00:00"
LATER = "2026-10-11 12:00:00"
MERGE = "2026-10-11 12:30:00"   # the merge test's run: staging intervals after LATER are due


def fixture_files(directory):
    accounts = [
        ig_account(10, "a1", "2026-09-01 00:00:00", followers=900, category="Fashion", language="Hindi"),
        ig_account(4, "a1", "2026-10-01 00:00:00", followers=1000, category="Fashion", language="Hindi",
                   handle="ann", profile_pic_url="pic_a1"),
        ig_account(20, "a2", "2026-10-01 00:00:00", followers=0, category=None),
        ig_account(30, "a3", "2026-10-01 00:00:00", followers=5000, category="Fashion", language=None, country="US"),
        ig_account(40, "a4", "2026-10-01 00:00:00", followers=2000, category="Fashion", language="Hindi"),
    ]
    events = [
        event("INSTAGRAM", "a1", "2026-08-31 23:59:59", followers=90),
        event("INSTAGRAM", "a1", "2026-09-06 10:00:00", followers=100, following=5),   # a Sunday: week 09-06
        event("INSTAGRAM", "a1", "2026-09-08 00:00:00", followers=120, following=7),
        event("INSTAGRAM", "a1", "2026-09-09 00:00:00", following=9.0),                # not a JSON integer
        event("INSTAGRAM", "a1", "2026-09-13 00:00:00", followers=130),
        event("INSTAGRAM", "a1", "2026-09-22 00:00:00", following=11),                 # no followers: no week row
        event("INSTAGRAM", "a1", "2026-09-30 00:00:00", followers=150),
        event("INSTAGRAM", "a1", "2026-10-01 00:00:00", followers=140),
        event("INSTAGRAM", "a1", "2026-10-01 00:00:00", followers=145),                # tie on time: the greater
        event("YOUTUBE", "a1", "2026-09-08 00:00:00", followers=999_999),              # another platform
        event("INSTAGRAM", "a2", "2026-09-14 00:00:00", followers=0),
        event("INSTAGRAM", "a3", "2026-09-15 00:00:00", followers=5000),
        event("INSTAGRAM", "a3", "2026-10-05 00:00:00", following=3),                  # a month without followers
        event("INSTAGRAM", "a4", "2026-09-16 00:00:00", followers=2000),
        event("INSTAGRAM", "a4", "2014-06-10 00:00:00", followers=1500),               # before the models' start
        event("INSTAGRAM", "zz", "2026-09-10 00:00:00", followers=5),                  # no account row
        event("YOUTUBE", "c1", "2026-09-05 12:00:00", followers=1000, views=5000, uploads=10),
        event("YOUTUBE", "c1", "2026-09-06 12:00:00", followers=1100, views=5600, uploads=12),
        event("YOUTUBE", "c1", "2026-09-20 12:00:00", followers=1200, views=5500, uploads=13),
        event("YOUTUBE", "c1", "2026-10-03 12:00:00", followers=1300, views=5400, uploads=13),
    ]
    posts = [
        ig_post(1, "a1", "s1", "reels", "2026-09-07 10:00:00", likes=10, comments=2, plays=100, hashtags="Fit, fun,,FIT"),
        ig_post(2, "a1", "s2", "image", "2026-09-08 10:00:00", likes=20, comments=3, views=50, reach=0,
                hashtags=" fun ,travel"),
        ig_post(3, "a1", "s2", "image", "2026-09-08 10:00:00", "2026-09-20 00:00:00", likes=25, comments=3, views=50,
                reach=0, hashtags=" fun ,travel"),                                        # re-crawl: 25 likes
        ig_post(4, "a1", "s3", "story", "2026-09-09 10:00:00", likes=1000, reach=500, hashtags="story"),
        ig_post(5, "a1", "s4", "image", "2026-10-02 10:00:00", likes=5, views=7),
        ig_post(6, "a2", "s5", "image", "2026-09-14 10:00:00"),
        ig_post(7, "a3", "p31", "image", "2026-07-01 00:00:00",
                hashtags="zeta," + ",".join(f"t{i:02d}" for i in range(1, 12))),
        ig_post(8, "a3", "p32", "image", "2026-07-02 00:00:00",
                hashtags="ZETA ," + ",".join(f" t{i:02d}" for i in range(12, 23))),
        ig_post(9, "zz", "orph", "image", "2026-09-10 00:00:00", likes=50, comments=5, hashtags="A"),
    ]
    channels = [yt_account(3, "c1", "2026-10-01 00:00:00", subscribers=2000, handle="@cee", thumbnail_url="thumb_c1")]
    videos = [yt_video(1, "c1", "v1", "2026-09-07 00:00:00", views=300, likes=10, comments=1)]
    audience = [
        ig_audience("a1", "2026-09-01 00:00:00", source="estimated", gender='{"male": 0.9}'),
        ig_audience("a1", "2026-09-01 00:00:00", gender='{"male": 0.4, "female": 0.6}', age='{"18-24": 1.0}',
                    audience_cities='{"Pune": 0.5}', notable_followers=["n1", "n2"]),
        ig_audience("a2", "2026-09-01 00:00:00", source="estimated", gender="not json", age="[1]"),
        ig_audience("a4", "2026-09-01 00:00:00", gender='{"male": 1.0}', age="{}"),
        ig_audience("zz", "2026-09-01 00:00:00", gender='{"male": 1.0}'),
    ]
    yt_audiences = [yt_audience("c1", "2026-09-01 00:00:00", gender='{"female": 1.0}', age="")]
    collections = [
        collection(1, "2026-09-01 00:00:00", is_active=0),
        collection(1, "2026-09-02 00:00:00", share_id="S1"),                        # latest: active
        collection(2, "2026-09-01 00:00:00", show_in_report=0),                     # hidden
        collection(3, "2026-09-01 00:00:00"),
        collection(3, "2026-09-05 00:00:00", is_active=0),                          # deactivated later
    ]
    items = [
        # The item's own post_type is not its post's (a reel): the reach estimate is a reel's.
        collection_item(1, 1, "INSTAGRAM", "s1", "2026-09-02 00:00:00", post_type="image"),
        collection_item(2, 1, "INSTAGRAM", "s2", "2026-09-02 00:00:00"),
        collection_item(3, 1, "INSTAGRAM", "nopost", "2026-09-02 00:00:00"),
        collection_item(4, 1, "INSTAGRAM", "orph", "2026-09-02 00:00:00"),
        collection_item(5, 1, "YOUTUBE", "v1", "2026-09-02 00:00:00", post_type="video"),
        collection_item(6, 2, "INSTAGRAM", "s3", "2026-09-01 00:00:00", post_type="story"),
        collection_item(6, 1, "INSTAGRAM", "s3", "2026-09-03 00:00:00", post_type="story"),  # moved to 1
        collection_item(7, 1, "INSTAGRAM", "s5", "2026-09-02 00:00:00"),
        collection_item(8, 2, "INSTAGRAM", "s4", "2026-09-02 00:00:00"),
        collection_item(9, 3, "INSTAGRAM", "s4", "2026-09-02 00:00:00"),
    ]
    for table, rows in [("beat_replica.instagram_account", accounts), ("_e.profile_log_events", events),
                        ("beat_replica.instagram_post", posts), ("beat_replica.youtube_account", channels),
                        ("beat_replica.youtube_post", videos), ("beat_replica.instagram_audience", audience),
                        ("beat_replica.youtube_audience", yt_audiences), ("coffee.post_collection", collections),
                        ("coffee.post_collection_item", items)]:
        write_jsonl(directory, table, rows)


def table_rows(conn, query):
    with conn.cursor() as cur:
        cur.execute(query)
        columns = [d[0] for d in cur.description]
        found = [dict(zip(columns, r)) for r in cur.fetchall()]
    conn.rollback()
    return found


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory):
    stir = Stir(tmp_path_factory.mktemp("catalogue") / "home")
    fixture_files(stir.home.parent / "in")
    stir.run("ingest", str(stir.home.parent / "in"))
    runs = {tier: stir.run_tier(tier, "--end", END) for tier in ("30min", "2h", "daily")}
    conn = stir.pg()
    yield stir, conn, runs
    conn.close()


# -- time series ------------------------------------------------------------------------

SERIES_COLUMNS = ("followers", "following", "followers_change", "views", "views_total", "uploads", "likes",
                  "comments", "engagement_rate")


def series(conn):
    return {(r["platform_id"], str(r["date"]), r["monthly_stats"]): r
            for r in table_rows(conn, "SELECT * FROM social_profile_time_series")}


def test_tiers_publish_their_tables(catalogue):
    _, _, runs = catalogue
    assert "published collection_post_metrics_summary" in runs["30min"].stdout
    assert "published social_profile_time_series, social_profile_hashtags, social_profile_audience_info" in \
        runs["2h"].stdout
    assert "published leaderboard, genre_overview" in runs["daily"].stdout


def test_time_series_rows_and_values(catalogue):
    _, conn, _ = catalogue
    found = series(conn)
    # Only profiles with an account row; a period needs an event with a JSON integer followers.
    assert {k[0] for k in found} == {"a1", "a2", "a3", "a4", "c1"}
    assert ("a1", "2026-09-20", False) not in found        # only a `following` event that week
    assert ("a3", "2026-10-01", True) not in found
    er = lambda likes, comments, posts, followers: (likes / posts + comments / posts) / followers * 100  # noqa: E731
    expected = {
        # weekly (Sunday) rows: followers the week's greatest, following the last JSON integer
        ("a1", "2026-08-30", False): (90, None, None, 0, None, 0, 0, 0, None),
        ("a1", "2026-09-06", False): (120, 7, 30, 150, None, 2, 35, 5, er(35, 5, 2, 120)),
        ("a1", "2026-09-13", False): (130, None, 10, 0, None, 0, 0, 0, None),
        ("a1", "2026-09-27", False): (150, None, None, 7, None, 1, 5, 0, er(5, 0, 1, 150)),   # 09-20 has no row
        # monthly rows: followers the month's last value (ties: the greater)
        ("a1", "2026-08-01", True): (90, None, None, 0, None, 0, 0, 0, None),
        ("a1", "2026-09-01", True): (150, 11, 60, 150, None, 2, 35, 5, er(35, 5, 2, 150)),
        ("a1", "2026-10-01", True): (145, None, -5, 7, None, 1, 5, 0, er(5, 0, 1, 145)),
        ("a2", "2026-09-13", False): (0, None, None, 0, None, 1, 0, 0, None),                  # 0 followers
        # YouTube: views and uploads are the growth of the lifetime values over an adjacent row
        ("c1", "2026-08-30", False): (1000, None, None, None, 5000, None, 0, 0, None),
        ("c1", "2026-09-06", False): (1100, None, 100, 600, 5600, 2, 10, 1, er(10, 1, 1, 1100)),
        ("c1", "2026-09-20", False): (1200, None, None, None, 5500, None, 0, 0, None),
        ("c1", "2026-09-27", False): (1300, None, 100, 0, 5400, 0, 0, 0, None),               # floored at 0
        ("c1", "2026-09-01", True): (1200, None, None, None, 5500, None, 10, 1, er(10, 1, 1, 1200)),
        ("c1", "2026-10-01", True): (1300, None, 100, 0, 5400, 0, 0, 0, None),
    }
    for key, values in expected.items():
        row = found[key]
        got = tuple(row[c] for c in SERIES_COLUMNS)
        assert got[:-1] == values[:-1], key
        assert (got[-1] is None) == (values[-1] is None), key
        if values[-1] is not None:
            assert got[-1] == pytest.approx(values[-1], rel=1e-12), key
    assert len([k for k in found if k[0] == "a1"]) == 7


def test_events_before_the_models_start_count(catalogue):
    """Events dated before the models' start (model_start, 2024-01-01) are read by the first
    interval and make their periods and months like any other."""
    _, conn, _ = catalogue
    found = series(conn)
    assert found[("a4", "2014-06-08", False)]["followers"] == 1500
    assert found[("a4", "2014-06-01", True)]["followers"] == 1500
    board = table_rows(conn, "SELECT month, followers FROM leaderboard WHERE platform_id = 'a4' ORDER BY month")
    assert [(str(r["month"])[:7], r["followers"]) for r in board] == [("2014-06", 1500), ("2026-09", 2000)]


def test_time_series_ids_are_stable_and_unique(catalogue):
    _, conn, _ = catalogue
    ids = [r["id"] for r in table_rows(conn, "SELECT id FROM social_profile_time_series")]
    assert len(ids) == len(set(ids)) and all(i > 0 for i in ids)


# -- hashtags and audience info ------------------------------------------------------------

def test_hashtags(catalogue):
    _, conn, _ = catalogue
    found = {r["platform_id"]: r for r in table_rows(conn, "SELECT * FROM social_profile_hashtags")}
    assert set(found) == {"a1", "a3"}           # a2 has no hashtag; zz has no account row
    assert found["a1"]["platform"] == "INSTAGRAM"
    # Stories count; a tag once per post; lower-cased and trimmed; ties by tag.
    assert found["a1"]["hashtags"] == [{"tag": "fun", "count": 2}, {"tag": "fit", "count": 1},
                                       {"tag": "story", "count": 1}, {"tag": "travel", "count": 1}]
    # 23 tags: the top 20 are zeta (2 posts) and t01..t19 (ties by tag ascending).
    assert found["a3"]["hashtags"] == [{"tag": "zeta", "count": 2}] + [
        {"tag": f"t{i:02d}", "count": 1} for i in range(1, 20)]


def test_audience_info(catalogue):
    _, conn, _ = catalogue
    found = {r["platform_id"]: r for r in table_rows(conn, "SELECT * FROM social_profile_audience_info")}
    assert set(found) == {"a1", "a2", "a4", "c1"}
    a1 = found["a1"]
    assert (a1["audience_gender"], a1["audience_age"], a1["audience_cities"], a1["notable_followers"],
            a1["source"]) == ({"male": 0.4, "female": 0.6}, {"18-24": 1.0}, {"Pune": 0.5}, ["n1", "n2"], "insights")
    a2 = found["a2"]
    assert (a2["audience_gender"], a2["audience_age"], a2["audience_cities"], a2["notable_followers"],
            a2["source"]) == (None, None, None, [], "estimated")
    c1 = found["c1"]
    assert (c1["platform"], c1["audience_gender"], c1["audience_age"], c1["audience_cities"],
            c1["notable_followers"]) == ("YOUTUBE", {"female": 1.0}, None, None, None)


# -- collections ---------------------------------------------------------------------------

def collections(conn):
    return {r["id"]: r for r in table_rows(conn, "SELECT * FROM collection_post_metrics_summary")}


def test_collections_rows_and_values(catalogue):
    _, conn, _ = catalogue
    found = collections(conn)
    assert set(found) == {1, 2, 3, 4, 5, 6, 7}   # 8: hidden collection; 9: deactivated collection
    assert {r["collection_id"] for r in found.values()} == {1}
    i1 = found[1]
    assert (i1["collection_type"], i1["collection_share_id"], i1["platform"], i1["post_short_code"],
            i1["post_type"], i1["post_link"], i1["profile_social_id"], i1["handle"], i1["profile_pic"],
            i1["followers"], str(i1["published_at"]), i1["likes"], i1["comments"], i1["views"], i1["plays"],
            i1["hashtags"], i1["show_in_report"]) == (
        "POST", "S1", "INSTAGRAM", "s1", "image", "https://www.instagram.com/p/s1/", "a1", "ann", "pic_a1",
        1000, "2026-09-07 10:00:00", 10, 2, 0, 100, ["fit", "fun"], True)
    assert i1["reach"] == math.floor(100 * (0.94 - math.log2(1000) * 0.001))     # a reel's estimate, rounded down
    assert i1["engagement_rate"] == pytest.approx(12 / 1000 * 100, rel=1e-12)
    i2 = found[2]                                                                 # re-crawled; reach 0
    assert (i2["likes"], i2["reach"], i2["hashtags"]) == (25, math.floor((7.6 - math.log10(25) * 0.7) * 0.85 * 25),
                                                          ["fun", "travel"])
    i3 = found[3]                                                                 # no post row
    assert i3["post_link"] == "https://www.instagram.com/p/nopost/"
    assert all(i3[c] is None for c in ("published_at", "likes", "comments", "views", "plays", "reach",
                                       "engagement_rate", "hashtags", "profile_social_id", "handle", "followers"))
    i4 = found[4]                                                                 # owner has no account row
    assert (i4["likes"], i4["comments"], i4["hashtags"], i4["profile_social_id"], i4["followers"], i4["reach"],
            i4["engagement_rate"]) == (50, 5, ["a"], None, None, None, None)
    i5 = found[5]                                                                 # YouTube
    assert (i5["post_link"], i5["profile_social_id"], i5["handle"], i5["profile_pic"], i5["followers"], i5["likes"],
            i5["comments"], i5["views"], i5["plays"], i5["reach"], i5["hashtags"]) == (
        "https://www.youtube.com/watch?v=v1", "c1", "@cee", "thumb_c1", 2000, 10, 1, 300, 0, None, None)
    assert i5["engagement_rate"] == pytest.approx(11 / 2000 * 100, rel=1e-12)
    i6 = found[6]                                                                 # a story, stored reach
    assert (i6["post_type"], i6["reach"], i6["engagement_rate"]) == ("story", 500, 100.0)
    i7 = found[7]                                                                 # 0 followers
    assert (i7["engagement_rate"], i7["reach"], i7["hashtags"]) == (0.0, 0, [])


# -- genre overview ------------------------------------------------------------------------

def genres(conn):
    return {(r["category"], r["month"], r["platform"], r["country"], r["language"], r["profile_type"]): r
            for r in table_rows(conn, "SELECT * FROM genre_overview")}


def test_genre_overview_groups(catalogue):
    _, conn, _ = catalogue
    found = genres(conn)
    assert all(k[0] == "Fashion" or k[2] == "YOUTUBE" for k in found), sorted(found)     # a2 has no category
    # a3 has no language: it is in the 'ALL' language groups only.
    assert {k[4] for k in found if k[3] == "US"} == {"ALL"}
    everything = found[("Fashion", "ALL", "INSTAGRAM", "IN", "ALL", "ALL")]
    assert (everything["creators"], everything["uploads"], everything["views"], everything["plays"],
            everything["likes"], everything["comments"], everything["engagement"]) == (2, 3, 57, 100, 40, 5, 45)
    # followers: a1 in its latest month (October, 145) + a4 (September, 2000)
    assert everything["followers"] == 2145
    # the mean of the rows' non-NULL engagement rates: a1 September and October
    assert everything["engagement_rate"] == pytest.approx((40 / 2 / 150 * 100 + 5 / 145 * 100) / 2, rel=1e-12)
    assert everything["audience_gender"] == pytest.approx({"male": 0.7, "female": 0.3})
    assert everything["audience_age_gender"] == {"18-24": 0.5}                # a4's {} counts
    assert found[("Fashion", "2026-09", "INSTAGRAM", "IN", "Hindi", "Nano")]["followers"] == 150
    assert found[("Fashion", "2026-09", "INSTAGRAM", "IN", "Hindi", "ALL")]["followers"] == 2150
    us = found[("Fashion", "ALL", "INSTAGRAM", "US", "ALL", "ALL")]
    assert (us["creators"], us["followers"], us["audience_gender"]) == (1, None, None)  # latest month: no followers
    assert found[("Fashion", "ALL", "INSTAGRAM", "US", "ALL", "Micro")]["followers"] == 5000
    assert ("Fashion", "2026-10", "INSTAGRAM", "US", "ALL", "Micro") not in found
    ids = [r["id"] for r in found.values()]
    assert len(ids) == len(set(ids))


def test_time_series_and_leaderboard_do_not_depend_on_the_end(catalogue, tmp_path):
    """metrics.md: the same raw data gives the same time series and board whatever the run's
    end. A run ending before many of the fixture's events (a1's of 09-22 to 10-01, c1's of
    10-03, whose periods start after that end) publishes exactly the rows of the run at END."""
    _, conn, _ = catalogue
    early = Stir(tmp_path / "early")
    fixture_files(tmp_path / "in")
    early.run("ingest", str(tmp_path / "in"))
    for tier in ("2h", "daily"):
        early.run_tier(tier, "--end", "2026-09-21 00:00:00")
    other = early.pg()
    try:
        for query in ("SELECT * FROM social_profile_time_series ORDER BY id", "SELECT * FROM leaderboard ORDER BY id"):
            assert table_rows(other, query) == table_rows(conn, query), query
    finally:
        other.close()


# -- second runs ---------------------------------------------------------------------------

def test_a_second_run_with_the_same_end_publishes_nothing(catalogue):
    stir, conn, _ = catalogue
    before = table_rows(conn, "SELECT count(*) AS n FROM stir_meta.publish_log")[0]["n"]
    for tier in ("30min", "2h", "daily"):
        assert "nothing to do" in stir.run_tier(tier, "--end", END).stdout
    assert table_rows(conn, "SELECT count(*) AS n FROM stir_meta.publish_log")[0]["n"] == before


def physical_table(stir, view):
    """The table SQLMesh's prod view `view` reads (to tamper with it)."""
    database, name = view.split(".")
    query = stir.sql(f"SELECT as_select FROM system.tables WHERE database = '{database}' AND name = '{name}'")[0][0]
    return query.split("FROM ", 1)[1].split()[0]


def test_time_series_run_recomputes_only_recent_periods(catalogue):
    """A later run with new events rewrites the periods of the last 34 days (the lookback), not
    the whole history: a value planted in an older period survives it; --restate recomputes it."""
    stir, conn, _ = catalogue
    periods = physical_table(stir, "stir_marts.mart_profile_event_periods")
    stir.sql(f"ALTER TABLE {periods} UPDATE followers = 12345 WHERE profile_id = 'a1' AND date = '2026-08-30' "
             "SETTINGS mutations_sync = 1")
    new = stir.home.parent / "in-later"
    write_jsonl(new, "_e.profile_log_events", [event("INSTAGRAM", "a1", "2026-10-11 10:00:00", followers=160)])
    stir.run("ingest", str(new))
    stir.run_tier("2h", "--end", LATER)
    found = series(conn)
    assert found[("a1", "2026-10-11", False)]["followers"] == 160             # the new week
    assert found[("a1", "2026-10-11", False)]["followers_change"] is None     # 10-04 has no row
    assert found[("a1", "2026-10-01", True)]["followers"] == 160              # the current month, recomputed
    assert found[("a1", "2026-10-01", True)]["followers_change"] == 10
    assert found[("a1", "2026-08-30", False)]["followers"] == 12345           # 6 weeks back: not recomputed
    stir.run_tier("2h", "--end", LATER, "--restate")
    assert series(conn)[("a1", "2026-08-30", False)]["followers"] == 90


def test_collections_merge_touches_only_changed_rows(catalogue):
    """A merge publish: a failure midway leaves the live table as it was; then the changed,
    added and removed rows are written and no other row is (their xmin stays)."""
    stir, conn, _ = catalogue
    before = {r["id"]: r for r in table_rows(conn, "SELECT xmin::text AS xmin, * FROM collection_post_metrics_summary")}
    new = stir.home.parent / "in-merge"
    write_jsonl(new, "beat_replica.instagram_post", [
        ig_post(10, "a1", "s2", "image", "2026-09-08 10:00:00", "2026-10-11 00:00:00", likes=30, comments=3, views=50,
                reach=0, hashtags=" fun ,travel")])
    write_jsonl(new, "coffee.post_collection_item", [
        collection_item(4, 2, "INSTAGRAM", "orph", "2026-10-11 00:00:00"),      # moved to the hidden collection
        collection_item(10, 1, "INSTAGRAM", "s4", "2026-10-11 00:00:00")])      # added
    stir.run("ingest", str(new))
    # A crash midway: the delete of the vanished row fails (a trigger raises); nothing is applied.
    with conn.cursor() as cur:
        cur.execute("CREATE FUNCTION stir_test_refuse() RETURNS trigger LANGUAGE plpgsql AS "
                    "$$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$")
        cur.execute("CREATE TRIGGER stir_test_refuse BEFORE DELETE ON collection_post_metrics_summary "
                    "FOR EACH ROW EXECUTE FUNCTION stir_test_refuse()")
    conn.commit()
    failed = stir.run_tier("30min", "--end", MERGE, check=False)
    assert failed.returncode != 0
    assert "refused by the test" in failed.stdout + failed.stderr
    assert {r["id"]: r for r in table_rows(
        conn, "SELECT xmin::text AS xmin, * FROM collection_post_metrics_summary")} == before
    with conn.cursor() as cur:
        cur.execute("DROP TRIGGER stir_test_refuse ON collection_post_metrics_summary")
        cur.execute("DROP FUNCTION stir_test_refuse()")
    conn.commit()
    done = stir.run_tier("30min", "--end", MERGE)
    # A delta: the export held the 2 new or changed rows and the 1 gone key, not the whole table.
    assert re.search(r"by merge, a delta of \w+, 2 rows inserted or changed, 1 deleted, 5 unchanged", done.stderr)
    after = {r["id"]: r for r in table_rows(conn, "SELECT xmin::text AS xmin, * FROM collection_post_metrics_summary")}
    assert set(after) == {1, 2, 3, 5, 6, 7, 10}
    assert after[2]["likes"] == 30 and after[2]["xmin"] != before[2]["xmin"]
    assert after[10]["post_short_code"] == "s4"
    for unchanged in (1, 3, 5, 6, 7):
        assert after[unchanged] == before[unchanged], unchanged
    # The reverse delta is kept for `stir rollback`: the changed and the deleted row as they
    # were, and the inserted key. A rollback applies it; a second one rolls forward.
    assert sorted(r["id"] for r in table_rows(conn, "SELECT id FROM stir_backup.collection_post_metrics_summary")) \
        == [2, 4]
    assert table_rows(conn, "SELECT id FROM stir_backup.collection_post_metrics_summary__inserted") == [{"id": 10}]
    stir.run("rollback", "collection_post_metrics_summary")
    rows = "SELECT * FROM collection_post_metrics_summary"
    assert {r["id"]: r for r in table_rows(conn, rows)} == {
        i: {k: v for k, v in r.items() if k != "xmin"} for i, r in before.items()}
    stir.run("rollback", "collection_post_metrics_summary")
    assert {r["id"]: r for r in table_rows(conn, rows)} == {
        i: {k: v for k, v in r.items() if k != "xmin"} for i, r in after.items()}
