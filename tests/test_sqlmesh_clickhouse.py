"""Stir's ClickHouse engine adapter (stir/sqlmesh_clickhouse.py) replaces an incremental-by-key
model's keys by a patch-part delete and an insert where the table allows it, and by SQLMesh's
partition rewrite elsewhere, with the same rows either way (chDB's real engine, in a child
process: tests/replace_by_key_child.py)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

CHILD = Path(__file__).with_name("replace_by_key_child.py")


def test_replace_by_key_patch_delete_and_partition_rewrite_give_the_same_rows(tmp_path):
    done = subprocess.run([sys.executable, str(CHILD), str(tmp_path / "chdb")], capture_output=True, text=True,
                          timeout=300, cwd=Path(__file__).parent.parent)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    # b and c replaced (c moved to partition 1), e added, a and d untouched.
    expected = [["a", 1, 1], ["b", 20, 1], ["c", 30, 1], ["d", 4, 2], ["e", 5, 2]]
    patched, plain = result["s.patched"], result["s.plain"]
    assert patched["rows"] == expected and plain["rows"] == expected
    assert patched["patch_deletes"] and not plain["patch_deletes"]
    deletes = [s for s in patched["statements"] if s.lstrip("-\n ").startswith("DELETE") or "DELETE FROM" in s]
    assert len(deletes) == 1 and "lightweight_update_force" in deletes[0], patched["statements"]
    assert not any("REPLACE PARTITION" in s for s in patched["statements"]), patched["statements"]
    assert any("REPLACE PARTITION" in s for s in plain["statements"]), plain["statements"]
    assert not any("DELETE FROM" in s for s in plain["statements"]), plain["statements"]


def test_lightweight_updates_setting_decides_the_staging_tables_settings(tmp_path):
    """`lightweight_updates = false` (an older ClickHouse) makes the incremental-by-key models'
    tables without the patch-part settings, so the adapter keeps SQLMesh's partition rewrite."""
    code = ("from stir.models import context\n"
            "ctx = context()\n"
            "for name in ('stg_instagram_post', 'stg_youtube_post', 'stg_instagram_account', 'stg_youtube_account'):\n"
            "    p = ctx.get_model(f'stir_staging.{name}').render_physical_properties()\n"
            "    print(name, p['enable_block_number_column'].sql(), p['enable_block_offset_column'].sql())\n")
    for value, expected in (("true", "1 1"), ("false", "0 0")):
        env = {**os.environ, "STIR_HOME": str(tmp_path / value), "STIR_LIGHTWEIGHT_UPDATES": value}
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env,
                              cwd=Path(__file__).parent.parent)
        assert done.returncode == 0, done.stderr
        lines = done.stdout.strip().splitlines()[-4:]
        assert [line.split(" ", 1)[1] for line in lines] == [expected] * 4, done.stdout


def test_model_threads_run_queries_at_once_on_chdb(tmp_path):
    """model_threads = 2 (the default): SQLMesh's connection to chDB takes two tasks at once, and
    a query from one thread does not wait for another thread's query (each has its own chDB
    connection handle); with one shared, serialised handle the quick query would come back only
    after the slow one."""
    code = ("import threading, time\n"
            "from stir.sqlmesh_config import build_config\n"
            "connection = build_config().gateways['stir'].connection\n"
            "adapter = connection.create_engine_adapter()\n"
            "adapter.fetchall('SELECT 1')\n"   # the engine starts here, before the timing
            "slow = threading.Thread(target=adapter.fetchall, args=('SELECT sleep(3)',))\n"
            "slow.start()\n"
            "time.sleep(0.5)\n"
            "quick = adapter.fetchall('SELECT 42')\n"
            "print(connection.concurrent_tasks, quick[0][0], slow.is_alive())\n"
            "slow.join()\n")
    env = {**os.environ, "STIR_HOME": str(tmp_path / "home")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env,
                          cwd=Path(__file__).parent.parent)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "2 42 True", done.stdout
