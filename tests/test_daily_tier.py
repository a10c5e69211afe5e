"""The daily tier end to end on seeded data, as cron would run it (bin/run_tier in a
subprocess): the serving table has the contract's columns, holds exactly the mart's rows with
ranks PostgreSQL recomputes identically, a second run publishes nothing, new data publishes again."""
from __future__ import annotations

import re

import pytest

from conftest import CONTRACT, REPO, Stir, write_jsonl

RANKS = {
    "followers_rank": ("", "followers"),
    "followers_change_rank": ("", "followers_change"),
    "views_rank": ("", "views"),
    "plays_rank": ("", "plays"),
    "followers_rank_by_cat": (", category", "followers"),
    "followers_rank_by_lang": (", language", "followers"),
    "followers_rank_by_cat_lang": (", category, language", "followers"),
    "followers_change_rank_by_cat": (", category", "followers_change"),
    "followers_change_rank_by_lang": (", language", "followers_change"),
    "views_rank_by_cat": (", category", "views"),
    "plays_rank_by_cat": (", category", "plays"),
}


def publishes(conn) -> list[tuple]:
    with conn.cursor() as cur:
        cur.execute("SELECT fingerprint, rows FROM stir_meta.publish_log WHERE serving_table = 'leaderboard' "
                    "ORDER BY published_at")
        rows = cur.fetchall()
    conn.rollback()
    return rows


def scalar(conn, query):
    with conn.cursor() as cur:
        cur.execute(query)
        value = cur.fetchone()[0]
    conn.rollback()
    return value


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    stir = Stir(tmp_path_factory.mktemp("daily") / "home")
    stir.run("seed", "--profiles", "120", "--months", "4", "--seed", "3", "--end", "2026-10-01")
    first = stir.run_tier("daily", "--end", "2026-10-02")
    return stir, first


def test_first_run_publishes_the_mart(seeded):
    stir, first = seeded
    assert "tier daily (T = 2026-10-02 00:00:00 UTC): done: models ran; published leaderboard" in first.stdout
    # Readable by default: a line per step with its time, no scheduler chatter, warnings once.
    output = first.stdout + first.stderr
    for step in ("ExportMart", "LoadShadow", "SwapTable"):   # transfer = stream: no StageExport
        assert re.search(rf"leaderboard: {step} \(fingerprint \w+\): done in \d+\.\ds", output), step
    assert "Informed scheduler" not in output and "Luigi Execution Summary" not in output
    assert "Skipping the backfill" not in output
    assert output.count("Successfully Ran") <= 1
    conn = stir.pg()
    mart_rows = stir.sql("SELECT count() FROM stir_marts.mart_leaderboard")[0][0]
    assert mart_rows > 300
    assert scalar(conn, "SELECT count(*) FROM leaderboard") == mart_rows
    assert [rows for _, rows in publishes(conn)] == [mart_rows]
    conn.close()
    # transfer = stream stages nothing on this machine; the export stays in the store.
    assert not (stir.home / "stage").exists()
    assert len(list((stir.home / "store" / "exports" / "leaderboard").glob("*/manifest.json"))) == 1
    # Fewer rows than copy_streams_min_rows: one file, loaded by one stream in the mart's order.
    assert [sorted(p.name for p in d.iterdir()) for d in (stir.home / "store" / "exports" / "leaderboard").iterdir()] \
        == [["data.tsv", "manifest.json"]]


def test_ranks_match_postgres_own_rank(seeded):
    """An independent engine recomputes every rank column from the published values."""
    stir, _ = seeded
    conn = stir.pg()
    for column, (partition, metric) in RANKS.items():
        mismatches = scalar(conn, f"""
            SELECT count(*) FROM (
              SELECT {column} AS published,
                     rank() OVER (PARTITION BY month, platform{partition} ORDER BY {metric} DESC NULLS LAST) AS expected
              FROM leaderboard) t
            WHERE published <> expected""")
        assert mismatches == 0, column
    # last_month_ranks is the previous month's current_month_ranks, or {} without one.
    assert scalar(conn, """
        SELECT count(*) FROM leaderboard cur
        LEFT JOIN leaderboard prev ON prev.platform = cur.platform AND prev.platform_id = cur.platform_id
             AND prev.month = cur.month - interval '1 month'
        WHERE cur.last_month_ranks <> coalesce(prev.current_month_ranks, '{}'::jsonb)""") == 0
    conn.close()


def test_serving_table_has_the_contract_columns(seeded):
    if not (CONTRACT / "serving.sql").exists():
        pytest.skip("shared/contract is not beside this checkout")
    stir, _ = seeded
    conn = stir.pg()
    with conn.cursor() as cur:
        cur.execute("DROP SCHEMA IF EXISTS contract CASCADE; CREATE SCHEMA contract; SET search_path TO contract")
        cur.execute((CONTRACT / "serving.sql").read_text())
        cur.execute("SET search_path TO DEFAULT")
        cur.execute("""
            SELECT table_schema, column_name, data_type, is_nullable FROM information_schema.columns
            WHERE table_name = 'leaderboard' AND table_schema IN ('public', 'contract')
            ORDER BY table_schema, ordinal_position""")
        rows = cur.fetchall()
    conn.rollback()
    conn.close()
    contract = [r[1:] for r in rows if r[0] == "contract"]
    published = [r[1:] for r in rows if r[0] == "public"]
    assert contract and published == contract


def test_api_queries_use_indexes(seeded):
    stir, _ = seeded
    conn = stir.pg()
    with conn.cursor() as cur:
        cur.execute("SET enable_seqscan = off")
        for query in [
            "SELECT * FROM leaderboard WHERE month = '2026-09-01' AND platform = 'INSTAGRAM' ORDER BY followers_change_rank, id LIMIT 50",
            "SELECT * FROM leaderboard WHERE month = '2026-09-01' AND platform = 'INSTAGRAM' AND category = 'Tech' ORDER BY followers_rank_by_cat, id LIMIT 50",
            "SELECT * FROM leaderboard WHERE month = '2026-09-01' AND platform = 'INSTAGRAM' AND platform_profile_id = 5",
        ]:
            cur.execute("EXPLAIN " + query)
            plan = "\n".join(r[0] for r in cur.fetchall())
            assert "Index" in plan and "Sort" not in plan, plan
    conn.rollback()
    conn.close()


def test_second_run_publishes_nothing_new(seeded):
    stir, _ = seeded
    conn = stir.pg()
    before = publishes(conn)
    again = stir.run_tier("daily", "--end", "2026-10-02")
    assert "ExportMart" not in again.stderr and "SwapTable" not in again.stderr
    assert publishes(conn) == before
    conn.close()


def test_new_data_publishes_again_and_keeps_a_backup(seeded, tmp_path):
    stir, _ = seeded
    conn = stir.pg()
    old_rows = scalar(conn, "SELECT count(*) FROM leaderboard")
    profile = stir.sql("SELECT profile_id FROM beat_replica.instagram_account LIMIT 1")[0][0]
    write_jsonl(tmp_path, "_e.profile_log_events", [{
        "event_id": "11111111-2222-4333-8444-555555555555", "platform": "INSTAGRAM", "profile_id": profile,
        "metrics": '{"followers": 123456}', "insert_timestamp": "2026-10-01 12:00:00"}])
    stir.run("ingest", str(tmp_path))
    stir.run_tier("daily", "--end", "2026-10-03")
    assert len(publishes(conn)) == 2
    assert scalar(conn, "SELECT count(*) FROM leaderboard") == old_rows + 1
    assert scalar(conn, "SELECT count(*) FROM stir_backup.leaderboard") == old_rows
    assert scalar(conn, f"SELECT followers FROM leaderboard WHERE platform_id = '{profile}' AND month = '2026-10-01'") == 123456
    conn.close()


def test_readme_starts_with_the_two_commands():
    text = (REPO / "README.md").read_text()
    commands = re.findall(r"```(?:bash|sh)?\n(.*?)```", text, re.S)[:2]
    assert "bin/demo" in commands[0] and "pytest" in commands[1]


def test_change_confined_to_rows_with_nulls_is_published(seeded, tmp_path):
    """The issue's reproduction: one later event raises by 1 the followers of a profile whose
    board row has NULL columns, chosen so that no other profile's rank moves. The change is
    confined to one row with NULLs and adds none, so only a fingerprint that sees such rows
    notices (the old sum(cityHash64(*)) did not)."""
    stir, _ = seeded
    conn = stir.pg()
    month, profile, followers, count = _rows(conn, """
        SELECT month, platform_id, followers, (SELECT count(*) FROM leaderboard)
        FROM leaderboard AS l
        WHERE platform = 'INSTAGRAM' AND month = '2026-09-01'
          AND followers IS NOT NULL AND followers_change IS NOT NULL
          AND (audience_gender IS NULL OR country IS NULL OR avg_views IS NULL OR avg_plays IS NULL)
          AND NOT EXISTS (
            SELECT 1 FROM leaderboard AS o
            WHERE o.month = l.month AND o.platform = l.platform AND o.platform_id <> l.platform_id
              AND (o.followers BETWEEN l.followers AND l.followers + 1
                   OR o.followers_change BETWEEN l.followers_change AND l.followers_change + 1))
        ORDER BY platform_id LIMIT 1""")[0]
    write_jsonl(tmp_path, "_e.profile_log_events", [{
        "event_id": "11111111-2222-4333-8444-666666666666", "platform": "INSTAGRAM", "profile_id": profile,
        "metrics": f'{{"followers": {followers + 1}}}', "insert_timestamp": "2026-09-30 23:59:59"}])
    stir.run("ingest", str(tmp_path))
    before = len(publishes(conn))
    # The event is days late, beyond the events' lookback, so it is restated in; whether the
    # recomputed board is published is then the fingerprint's call alone.
    stir.run_tier("daily", "--end", "2026-10-04", "--restate")
    assert len(publishes(conn)) == before + 1
    assert scalar(conn, "SELECT count(*) FROM leaderboard") == count
    assert scalar(conn, f"SELECT followers FROM leaderboard WHERE platform_id = '{profile}' "
                        f"AND month = '{month:%Y-%m-%d}'") == followers + 1
    conn.close()


def test_nul_in_a_raw_handle_is_removed_on_export_and_logged(seeded, tmp_path):
    """A NUL in a raw string (ClickHouse allows it, PostgreSQL never) used to stop every later
    publish in COPY; the export now removes it and says how many values of which column."""
    stir, _ = seeded
    # A crawl as the crawler writes it: dated after the last run (a crawl dated more than a
    # day before the run's interval is late data, which only --restate picks up).
    latest = "2026-10-04 00:00:00"
    profile, = stir.sql("SELECT profile_id FROM beat_replica.instagram_account GROUP BY profile_id "
                        f"HAVING max(updated_at) < '{latest}' ORDER BY profile_id LIMIT 1")[0]
    write_jsonl(tmp_path, "beat_replica.instagram_account", [{
        "id": 999999001, "profile_id": profile, "handle": "creator\u0000x", "full_name": "Nul Test",
        "biography": "", "followers": 5000, "following": 1, "media_count": 1, "is_verified": 0,
        "is_business": 0, "category": None, "language": None, "country": "IN", "city": None,
        "profile_pic_url": "", "created_at": latest, "updated_at": latest}])
    stir.run("ingest", str(tmp_path))
    proc = stir.run_tier("daily", "--end", "2026-10-05")
    assert re.search(r"leaderboard: column handle: \d+ value\(s\) had NUL characters", proc.stderr)
    conn = stir.pg()
    handles = {h for (h,) in _rows(conn, f"SELECT handle FROM leaderboard WHERE platform_id = '{profile}'")}
    conn.close()
    assert handles == {"creatorx"}


def test_restate_publishes_data_that_arrived_after_the_run(seeded, tmp_path):
    """Data ingested after a tier ran, in intervals already computed: a plain run with the same
    end has nothing due and says so in its last line; --restate computes them again."""
    stir, _ = seeded
    conn = stir.pg()
    profile, followers = _rows(conn, "SELECT platform_id, followers FROM leaderboard WHERE platform = 'INSTAGRAM' "
                                     "AND month = '2026-09-01' AND followers IS NOT NULL ORDER BY platform_id LIMIT 1")[0]
    write_jsonl(tmp_path, "_e.profile_log_events", [{
        "event_id": "11111111-2222-4333-8444-777777777777", "platform": "INSTAGRAM", "profile_id": profile,
        "metrics": f'{{"followers": {followers + 5000}}}', "insert_timestamp": "2026-09-30 23:59:59"}])
    stir.run("ingest", str(tmp_path))
    before = len(publishes(conn))
    idle = stir.run_tier("daily", "--end", "2026-10-05")
    assert idle.stdout.strip().splitlines()[-1] == (
        "tier daily (T = 2026-10-05 00:00:00 UTC): nothing to do: no model interval was due "
        "(--restate runs them again); already live: leaderboard, genre_overview")
    assert len(publishes(conn)) == before
    restated = stir.run_tier("daily", "--end", "2026-10-05", "--restate")
    assert "models restated and run; published leaderboard" in restated.stdout
    assert len(publishes(conn)) == before + 1
    assert scalar(conn, f"SELECT followers FROM leaderboard WHERE platform_id = '{profile}' "
                        "AND month = '2026-09-01'") == followers + 5000
    conn.close()


def _rows(conn, query):
    with conn.cursor() as cur:
        cur.execute(query)
        rows = cur.fetchall()
    conn.rollback()
    return rows
