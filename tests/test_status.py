"""`stir status` as a monitoring probe (issue 10, item 8), after real tier runs: fresh tables
and good runs exit 0; a table older than two periods of its tier's schedule, or a tier
whose last run failed, exits 1; --json carries the same for machines."""
from __future__ import annotations

import json

import pytest


@pytest.fixture(scope="module")
def ran(every_tier_home):
    """A home where every tier that publishes has run."""
    return every_tier_home[0]


def execute(stir, statement):
    conn = stir.pg()
    with conn.cursor() as cur:
        cur.execute(statement)
    conn.commit()
    conn.close()


def test_fresh_tables_and_good_runs_pass(ran):
    proc = ran.run("status")
    assert proc.returncode == 0
    assert next(l for l in proc.stdout.splitlines() if l.startswith("leaderboard")).split()[:2] == ["leaderboard", "daily"]
    assert "fresh" in proc.stdout and "STALE" not in proc.stdout
    report = json.loads(ran.run("status", "--json").stdout)
    assert report["ok"] is True
    assert {t["table"]: t["stale"] for t in report["tables"]} == {
        "leaderboard": False, "instagram_account": False, "youtube_account": False, "genre_overview": False,
        "collection_post_metrics_summary": False, "social_profile_time_series": False,
        "social_profile_hashtags": False, "social_profile_audience_info": False}
    assert {t["tier"]: t["result"] for t in report["tiers"] if t["result"]} == {
        "15min": "ok", "30min": "ok", "2h": "ok", "daily": "ok"}


def test_a_stale_table_fails_the_probe(ran):
    # Two days without a publish: more than two periods of the daily schedule.
    execute(ran, "UPDATE stir_meta.publish_log SET published_at = published_at - interval '49 hours' "
                 "WHERE serving_table = 'leaderboard'")
    proc = ran.run("status", check=False)
    assert proc.returncode == 1
    line = next(l for l in proc.stdout.splitlines() if l.startswith("leaderboard"))
    assert line.endswith("STALE") and "49." in line
    report = json.loads(ran.run("status", "--json", check=False).stdout)
    assert report["ok"] is False


def test_a_failed_last_run_fails_the_probe(ran):
    execute(ran, "UPDATE stir_meta.publish_log SET published_at = now() AT TIME ZONE 'utc'")
    assert ran.run("status", check=False).returncode == 0
    execute(ran, "UPDATE stir_meta.tier_runs SET result = 'failed' WHERE tier = '15min'")
    proc = ran.run("status", check=False)
    assert proc.returncode == 1
    assert next(l for l in proc.stdout.splitlines() if l.startswith("15min")).endswith("failed")
