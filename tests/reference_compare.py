"""Publishing reference_data's rows and comparing the serving tables with reference_metrics:
shared by test_reference (through conftest's every_tier_home) and reference_check."""
from __future__ import annotations

import math
from pathlib import Path

import reference_metrics as expected
from conftest import Stir, write_jsonl
from reference_data import ts

TIERS = ("15min", "30min", "2h", "daily")   # every tier that publishes
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


def ingest_and_run(stir: Stir, raw: dict[str, list[dict]], end, directory: Path) -> None:
    """Ingest the raw rows (as contract files in `directory`), then run every tier at `end`."""
    for name, rows in raw.items():
        write_jsonl(directory, name, rows)
    stir.run("ingest", str(directory))
    for tier in TIERS:
        stir.run_tier(tier, "--end", ts(end))


def published(stir: Stir) -> dict[str, dict]:
    """Each serving table as published, {key: row}."""
    conn = stir.pg()
    tables = {}
    for table, (key, _) in TABLES.items():
        with conn.cursor() as cur:
            cur.execute(f"SELECT * FROM {table}")
            columns = [d[0] for d in cur.description]
            tables[table] = {_key(row, key): row for row in (dict(zip(columns, r)) for r in cur.fetchall())}
        conn.rollback()
    conn.close()
    return tables


def differences(want: dict, got: dict) -> tuple[list, list, list[str]]:
    """(keys missing, keys that should not be there, 'key column: want ..., published ...')."""
    wrong = [f"{key} {column}: want {value!r}, published {got[key][column]!r}"
             for key, row in want.items() if key in got
             for column, value in row.items() if not _same(value, got[key][column])]
    return sorted(set(want) - set(got), key=repr), sorted(set(got) - set(want), key=repr), wrong


def _key(row: dict, columns: tuple[str, ...]):
    values = tuple(row[c].date() if hasattr(row[c], "date") else row[c] for c in columns)
    return values[0] if len(values) == 1 else values


def _same(want, got) -> bool:
    if isinstance(want, float) or isinstance(got, float):
        return want is got if want is None or got is None else math.isclose(want, got, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(want, dict) and isinstance(got, dict):
        return want.keys() == got.keys() and all(_same(want[k], got[k]) for k in want)
    return want == got
