"""Every serving table against an independent reading of metrics.md (reference_metrics, plain
Python over the raw rows), on random raw data drawn to hit each rule's edges
(reference_data), as a check on data Stir was never tuned to would compare them: one home
(conftest's every_tier_home), every tier that publishes run once at the same end T."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from reference_compare import TABLES, differences, published as published_tables
from reference_data import T, ts


@pytest.fixture(scope="module")
def published(every_tier_home):
    """The raw rows, and each serving table as published, {key: row}."""
    stir, raw = every_tier_home
    return raw, published_tables(stir)


@pytest.mark.parametrize("table", TABLES)
def test_published_table_equals_an_independent_computation(published, table):
    raw, tables = published
    want, got = TABLES[table][1](raw), tables[table]
    assert len(want) > 10, f"the random data gives {table} too few rows to say anything"
    missing, extra, wrong = differences(want, got)
    assert missing == [], f"{table}: rows missing"
    assert extra == [], f"{table}: rows that should not be there"
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


def test_ends_off_the_15_minute_boundary_and_late_rows():
    """The same comparison where every run ends off the 15-minute boundary, as a scheduled run's
    default end (now, to the second) does, and the rows come in two batches, 30% of the first
    held back until the second (reference_check.py, in its own process: the reference modules
    draw around T, read when they are imported). Both runs' last intervals are partial, so the
    first run's partial interval is computed again by the second."""
    result = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("reference_check.py")), "--seeds", "4", "--late", "0.3",
         "--first-days", "2.37", "--end", "2026-06-15 12:07:13"],
        capture_output=True, text=True, timeout=600)
    assert "T = 2026-06-15 12:07:13" in result.stdout
    assert result.stdout.count("missing 0  extra 0  wrong values 0") == len(TABLES), result.stdout + result.stderr
    assert result.returncode == 0 and "no differences" in result.stdout, result.stdout + result.stderr
