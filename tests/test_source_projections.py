"""The projection Stir keeps on the raw Instagram posts (stir/warehouse/sql/source_projections.sql):
made with the table, added with its rows to a table that lacks it (a warehouse from before it,
or a crawler's replica) by `stir migrate`, and read by stg_instagram_post after its first
interval instead of every granule of the table (chDB's real engine and optimizer)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
POSTS = "beat_replica.instagram_post"
PROJECTION = "stir_by_updated_at"

# 200,000 crawls, one a minute back from 2026-06-01 (about 139 days), in one insert.
CRAWLS = f"""
INSERT INTO {POSTS} (id, profile_id, handle, shortcode, post_type, caption, likes, comments, views, plays,
                     hashtags, display_url, publish_time, created_at, updated_at)
SELECT number, toString(number % 500), 'h', concat('p', toString(number)), 'image', 'caption', number, 1, 0, 0,
       '', '', toDateTime('2026-06-01 00:00:00', 'UTC') - number * 60, toDateTime('2026-06-01 00:00:00', 'UTC'),
       toDateTime('2026-06-01 00:00:00', 'UTC') - number * 60
FROM numbers(200000)
"""

# In a process of its own (the model is rendered by SQLMesh, the plan read by the warehouse's
# engine): the plan of stg_instagram_post's query for its first interval and for a later one.
PLANS = f"""
import json
from stir.models import context
from stir.warehouse import get_warehouse
wh = get_warehouse()
wh.command({CRAWLS!r})
ctx = context()
plans = {{}}
for label, start in (("first", "2024-01-01 00:00:00"), ("later", "2026-05-31 00:00:00")):
    sql = ctx.render("stir_staging.stg_instagram_post", start=start, end="2026-05-31 00:15:00").sql(dialect="clickhouse")
    plans[label] = [sql, "\\n".join(row[0] for row in wh.query("EXPLAIN projections = 1, indexes = 1 " + sql))]
print(json.dumps(plans))
"""


def projection_rows(stir) -> tuple[int, int]:
    """(rows of the posts table's active parts, rows of their projection parts)."""
    table = stir.sql("SELECT sum(rows) FROM system.parts WHERE database = 'beat_replica' "
                     "AND table = 'instagram_post' AND active")[0][0]
    projected = stir.sql(f"SELECT sum(rows) FROM system.projection_parts WHERE database = 'beat_replica' "
                         f"AND table = 'instagram_post' AND name = '{PROJECTION}' AND active")[0][0]
    return int(table or 0), int(projected or 0)


def test_ingest_makes_the_table_with_its_projection_and_migrate_adds_it_where_missing(stir_home, tmp_path):
    stir_home.run("seed", "--profiles", "60", "--months", "1", "--end", "2026-10-01")
    names = stir_home.sql("SELECT concat(database, '.', table), name FROM system.projections")
    assert [POSTS, PROJECTION] in names
    rows, projected = projection_rows(stir_home)
    assert rows > 100 and projected == rows

    # A table made before the projection (or a replica Stir did not make): migrate adds it and
    # writes it into the rows already there; a second migrate adds nothing.
    stir_home.run("sql", f"ALTER TABLE {POSTS} DROP PROJECTION {PROJECTION}")
    assert projection_rows(stir_home)[1] == 0
    out = stir_home.run("migrate").stdout
    assert f"added: {POSTS}.{PROJECTION}" in out, out
    assert projection_rows(stir_home) == (rows, rows)
    assert "added: nothing" in stir_home.run("migrate").stdout.splitlines()[-1]


def test_the_posts_model_reads_the_projection_after_its_first_interval(tmp_path):
    env = {**os.environ, "STIR_HOME": str(tmp_path / "home")}
    setup = ("from stir.warehouse import get_warehouse\n"
             "from stir.warehouse.sources import ensure_sources\n"
             "ensure_sources(get_warehouse())\n")
    done = subprocess.run([sys.executable, "-c", setup + PLANS], capture_output=True, text=True, timeout=600,
                          env=env, cwd=REPO)
    assert done.returncode == 0, done.stderr[-3000:]
    plans = json.loads(done.stdout.strip().splitlines()[-1])
    first_sql, first_plan = plans["first"]
    later_sql, later_plan = plans["later"]
    # The first interval reads every row, in the table's own order (a streaming sort by key).
    assert "WHERE" not in first_sql.split("FROM", 1)[1].split("ORDER BY")[0]
    assert first_sql.endswith('SETTINGS "optimize_read_in_order" = 1')
    assert PROJECTION not in first_plan and "Read type: InOrder" in first_plan, first_plan
    # A later one reads the crawls since its start from the projection.
    assert later_sql.endswith('SETTINGS "optimize_read_in_order" = 0') and \
        '"updated_at" >= toDateTime(\'2026-05-31 00:00:00\'' in later_sql, later_sql
    assert f"ReadFromMergeTree ({PROJECTION})" in later_plan, later_plan
