"""Every serving table against an independent reading of metrics.md (reference_metrics, plain
Python over the raw rows), on random raw data drawn to hit each rule's edges
(reference_data), as a check on data Stir was never tuned to would compare them: one home
(conftest's every_tier_home), every tier that publishes run once at the same end T."""
from __future__ import annotations

import math

import pytest

import reference_metrics as expected
from reference_data import T, ts

TABLES = {   # serving table: (its key columns, the reference's function)
    "instagram_account": (("ig_id",), expected.instagram_account),
    "youtube_account": (("channel_id",), expected.youtube_account),
    "social_profile_time_series": (("platform", "platform_id", "date", "monthly_stats"), expected.time_series),
    "leaderboard": (("platform", "platform_id", "month"), expected.leaderboard),
    "genre_overview": (("category", "month", "platform", "country", "language", "profile_type"),
                       expected.genre_overview),
    "social_profile_hashtags": (("platform", "platform_id"), expected.social_profile_hashtags),
    "social_profile_audience_info": (("platform", "platform_id"), expected.social_profile_audience_info),
    "collection_post_metrics_summary": (("id",), expected.collection_post_metrics_summary),
}


@pytest.fixture(scope="module")
def published(every_tier_home):
    """The raw rows, and each serving table as published, {key: row}."""
    stir, raw = every_tier_home
    conn = stir.pg()
    tables = {}
    for table, (key, _) in TABLES.items():
        with conn.cursor() as cur:
            cur.execute(f"SELECT * FROM {table}")
            columns = [d[0] for d in cur.description]
            found = [dict(zip(columns, row)) for row in cur.fetchall()]
        conn.rollback()
        tables[table] = {_key(row, key): row for row in found}
    conn.close()
    return raw, tables


def _key(row: dict, columns: tuple[str, ...]):
    values = tuple(row[c].date() if hasattr(row[c], "date") else row[c] for c in columns)
    return values[0] if len(values) == 1 else values


def _same(want, got) -> bool:
    if isinstance(want, float) or isinstance(got, float):
        return want is got if want is None or got is None else math.isclose(want, got, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(want, dict) and isinstance(got, dict):
        return want.keys() == got.keys() and all(_same(want[k], got[k]) for k in want)
    return want == got


@pytest.mark.parametrize("table", TABLES)
def test_published_table_equals_an_independent_computation(published, table):
    raw, tables = published
    want, got = TABLES[table][1](raw), tables[table]
    assert len(want) > 10, f"the random data gives {table} too few rows to say anything"
    assert sorted(map(repr, set(want) - set(got))) == [], f"{table}: rows missing"
    assert sorted(map(repr, set(got) - set(want))) == [], f"{table}: rows that should not be there"
    wrong = [f"{key} {column}: want {value!r}, published {got[key][column]!r}"
             for key, row in want.items() for column, value in row.items() if not _same(value, got[key][column])]
    assert wrong == [], f"{table}: {len(wrong)} values differ:\n" + "\n".join(wrong[:20])


def test_the_random_data_reaches_the_rules_edges(published):
    """The draw covers what the comparison is for: ties, edges, non-integers, NULL groups."""
    raw, tables = published
    accounts = tables["instagram_account"].values()
    for metric in ("engagement_rate", "avg_likes", "avg_comments", "followers"):
        assert {a[f"{metric}_grade"] for a in accounts} >= {"Very Good", "Good", "Average", "Poor", None} - {
            None if metric == "followers" else ""}, metric
    assert any(a["followers_grade"] == "Excellent" for a in accounts)
    assert any(a["followers_growth7d"] is not None for a in accounts)
    assert any(a["country"] is None for a in accounts) and any(a["category"] is None for a in accounts)
    metrics = [e["metrics"] for e in raw["_e.profile_log_events"]]
    assert any('"followers": 1640.0' in m for m in metrics) and any('"followers": "1640"' in m for m in metrics)
    assert any(e["insert_timestamp"] > ts(T) for e in raw["_e.profile_log_events"])
    series = tables["social_profile_time_series"].values()
    assert any(s["followers_change"] is None for s in series) and any(s["followers_change"] for s in series)
    assert any(len(h["hashtags"]) == 20 for h in tables["social_profile_hashtags"].values())
    items = tables["collection_post_metrics_summary"].values()
    assert any(c["followers"] is None and c["likes"] is not None for c in items)   # the owner has no account row
    assert any(c["likes"] is None for c in items)                                   # the post has no row
