"""One run per tier at a time (issue 10, item 2), with real processes: a second start of a
running tier says who runs it and exits 0 (or the configured code) without doing anything,
and a SIGKILLed run leaves no lock behind."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psycopg2.errors
import pytest

from conftest import REPO, Stir

END = "2026-09-02"


@pytest.fixture
def seeded(tmp_path):
    stir = Stir(tmp_path / "home")
    stir.run("seed", "--profiles", "30", "--months", "2", "--end", "2026-09-01")
    return stir


def start(stir, tier="daily"):
    return subprocess.Popen([str(REPO / "bin" / "run_tier"), tier, "--end", END], cwd=REPO, env=stir.env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_until_running(stir, proc, tier="daily"):
    """Until the run holds its tier's lock (its row in stir_meta.tier_runs is unfinished)."""
    conn = stir.pg()
    conn.autocommit = True
    try:
        for _ in range(600):
            assert proc.poll() is None, proc.communicate()
            try:
                with conn.cursor() as cur:
                    cur.execute("SELECT count(*) FROM stir_meta.tier_runs WHERE tier = %s AND finished_at IS NULL",
                                (tier,))
                    if cur.fetchone()[0]:
                        return
            except psycopg2.errors.UndefinedTable:
                pass
            time.sleep(0.05)
        raise AssertionError("the run never took its tier's lock")
    finally:
        conn.close()


def runs(stir):
    conn = stir.pg()
    with conn.cursor() as cur:
        cur.execute("SELECT pid, result FROM stir_meta.tier_runs ORDER BY started_at")
        found = cur.fetchall()
    conn.close()
    return found


def test_a_second_start_of_a_running_tier_says_who_runs_it(seeded):
    first = start(seeded)
    try:
        wait_until_running(seeded, first)
        second = seeded.run_tier("daily", "--end", END, check=False)
        assert second.returncode == 0, second.stderr
        assert second.stdout.strip().startswith(f"tier daily is already running (pid {first.pid} on ")
        assert second.stdout.strip().endswith("UTC); this start did nothing")
        seeded.env["STIR_TIER_RUNNING_EXIT_CODE"] = "75"
        third = seeded.run_tier("daily", "--end", END, check=False)
        assert third.returncode == 75
        out, err = first.communicate(timeout=300)
        assert first.returncode == 0, err
        assert "published leaderboard" in out
    finally:
        first.kill()
    assert runs(seeded) == [(first.pid, "ok")]


def test_a_killed_run_leaves_no_lock(seeded):
    first = start(seeded)
    wait_until_running(seeded, first)
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    again = seeded.run_tier("daily", "--end", END)
    assert "published leaderboard" in again.stdout
    assert [result for _, result in runs(seeded)] == ["killed", "ok"]


def test_no_two_sqlmesh_processes_at_once(seeded, tmp_path):
    """A process running SQLMesh (here: holding its lock) makes a tier's models wait, then
    fail naming it; once it is gone the tier runs."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import time\nfrom stir.sqlmesh_lock import hold\nhold(0)\nprint('held', flush=True)\n"
         "time.sleep(60)\n"], cwd=tmp_path, env=seeded.env, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        seeded.env["STIR_LOCK_TIMEOUT"] = "2"
        proc = seeded.run_tier("daily", "--end", END, check=False)
        assert proc.returncode == 1
        assert "waiting for SQLMesh, in use by PostgreSQL session" in proc.stderr
        assert "SQLMesh is in use by PostgreSQL session" in proc.stderr and "waited 2s (lock_timeout)" in proc.stderr
    finally:
        holder.kill()
        holder.wait()
    assert "published leaderboard" in seeded.run_tier("daily", "--end", END).stdout


def test_heavy_guard_skip_holds_a_light_tier_while_daily_runs(seeded):
    """heavy_guard = skip: a 15min start while the daily batch runs does nothing and says why
    (exit 0, recorded as skipped); once the batch is done the same start runs."""
    seeded.env["STIR_HEAVY_GUARD"] = "skip"
    daily = start(seeded)
    try:
        wait_until_running(seeded, daily)
        light = seeded.run_tier("15min", "--end", "2026-09-02 00:15:00", check=False)
        assert light.returncode == 0, light.stderr
        assert light.stdout.strip().splitlines()[-1].startswith(
            f"tier 15min (T = 2026-09-02 00:15:00 UTC): skipped: the daily tier is running (pid {daily.pid} on ")
        assert "heavy_guard = skip" in light.stdout and "sqlmesh: running" not in light.stderr
        out, err = daily.communicate(timeout=300)
        assert daily.returncode == 0, err
    finally:
        daily.kill()
    after = seeded.run_tier("15min", "--end", "2026-09-02 00:15:00")
    assert "published instagram_account" in after.stdout
    assert [result for _, result in runs(seeded)] == ["ok", "skipped", "ok"]   # daily, 15min, 15min
