"""The configurable production pieces that run here for real: S3 as the staging store
(moto's S3 server over HTTP, written by ClickHouse's s3() function), the warehouse lock
between two runs, luigid as the central scheduler, and `sqlmesh plan` from sqlmesh_project/."""
from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import boto3
import pytest

from conftest import REPO, Stir, free_port, write_jsonl

BIN = Path(sys.executable).parent  # luigid and sqlmesh come with the test environment


def test_daily_tier_through_s3(moto_s3, tmp_path):
    stir = Stir(tmp_path / "home")
    stir.env.update(STIR_STORE="s3", STIR_S3_BUCKET="stir-exports", STIR_S3_PREFIX="ci", STIR_S3_ENDPOINT_URL=moto_s3,
                    STIR_COPY_STREAMS="2", STIR_COPY_STREAMS_MIN_ROWS="0")
    stir.run("seed", "--profiles", "40", "--months", "2", "--end", "2026-09-01")
    # A bucket that does not exist is named, and nothing is published.
    stir.env["STIR_S3_BUCKET"] = "no-such-bucket"
    missing = stir.run_tier("daily", "--end", "2026-09-02", check=False)
    assert missing.returncode == 1
    assert "S3 bucket 'no-such-bucket' does not exist" in missing.stderr
    conn = stir.pg()
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM leaderboard")
        assert cur.fetchone()[0] == 0
    conn.close()
    stir.env["STIR_S3_BUCKET"] = "stir-exports"
    proc = stir.run_tier("daily", "--end", "2026-09-02")
    assert "s3://stir-exports/ci/exports/leaderboard/" in proc.stderr
    assert "stir-test-secret" not in proc.stderr + proc.stdout
    keys = [o["Key"] for o in boto3.client("s3", endpoint_url=moto_s3)
            .list_objects_v2(Bucket="stir-exports")["Contents"]]
    # zstd'd (bytes cross a network), in two parts for two COPY sessions (copy_streams = 2)
    assert {k.rsplit("/", 1)[1] for k in keys if "/leaderboard/" in k} == {"data_0.tsv.zst", "data_1.tsv.zst",
                                                                          "manifest.json"}
    # transfer = stream (the default): COPY read the S3 object itself; nothing was staged here.
    assert "leaderboard: ExportMart" in proc.stderr and "StageExport" not in proc.stderr
    from stir.publish.steps import prune_exports
    from stir.store.s3 import S3Store

    store = S3Store("stir-exports", "ci", moto_s3)
    for fp in ("old1", "old2"):
        store.put_text(f"exports/leaderboard/{fp}/data.tsv.gz", "x")
        store.put_text(f"exports/leaderboard/{fp}/manifest.json", "{}")
    store.put_text("exports/leaderboard/crashed/data.tsv.gz", "half an export, no manifest")
    current = next(k for k in keys if "/leaderboard/" in k).split("/")[3]
    assert len(store.manifests("exports/leaderboard/")) == 3
    deleted = prune_exports(store, "leaderboard", keep=1, current=current, started=time.time() + 60)
    assert "crashed" in deleted
    remaining = [k.split("/")[2] for k, _ in store.manifests("exports/leaderboard/")]
    assert deleted and current in remaining and len(remaining) == 3 - len(deleted) + 1
    left = [o["Key"] for o in boto3.client("s3", endpoint_url=moto_s3).list_objects_v2(Bucket="stir-exports")["Contents"]]
    assert not [k for k in left if any(f"/{fp}/" in k for fp in deleted)]  # data files went too
    conn = stir.pg()
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM leaderboard")
        assert cur.fetchone()[0] == stir.sql("SELECT count() FROM stir_marts.mart_leaderboard")[0][0]
    conn.close()


def test_second_process_waits_for_the_warehouse_then_says_who_holds_it(tmp_path):
    stir = Stir(tmp_path / "home")
    write_jsonl(tmp_path / "in", "beat_replica.social_profile_link",
                [{"instagram_profile_id": "p", "channel_id": "c", "updated_at": "2026-01-01 00:00:00"}])
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import time; from stir.warehouse import get_warehouse; get_warehouse().query('SELECT 1'); "
         "print('open', flush=True); time.sleep(30)"],
        cwd=tmp_path, env=stir.env, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        stir.env["STIR_LOCK_TIMEOUT"] = "1"
        proc = stir.run("ingest", str(tmp_path / "in"), check=False)
        assert proc.returncode == 1
        assert f"is in use by process {holder.pid}" in proc.stderr
    finally:
        holder.kill()
        holder.wait()
    stir.run("ingest", str(tmp_path / "in"))  # free again once the holder is gone


@pytest.fixture
def luigid(tmp_path):
    """A real luigid on 127.0.0.1 and a luigi.cfg pointing at it; yields (port, cfg path)."""
    port = free_port()
    cfg = tmp_path / "luigi.cfg"
    cfg.write_text((REPO / "luigi.cfg").read_text().replace("scheduler_port = 8082", f"scheduler_port = {port}"))
    server = subprocess.Popen([str(BIN / "luigid"), "--port", str(port), "--address", "127.0.0.1"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        yield port, cfg
    finally:
        server.terminate()
        server.wait()


def luigid_tasks(port, status):
    import json

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/task_list?data=" +
                                urllib.parse.quote(json.dumps({"status": status}))) as resp:
        return json.load(resp)["response"]


def test_run_through_luigid_and_an_overlapping_start(tmp_path, luigid):
    """A run through luigid, and a second start of the same tier with the same T while it
    runs: the second is stopped by the tier's lock and says who runs the tier (exit 0),
    instead of both failing; luigid shows what each step of the first did."""
    port, cfg = luigid
    stir = Stir(tmp_path / "home")
    stir.env.update(LUIGI_CONFIG_PATH=str(cfg), STIR_CENTRAL_SCHEDULER="true")
    stir.run("seed", "--profiles", "20", "--months", "2", "--end", "2026-09-01")
    first = subprocess.Popen([str(REPO / "bin" / "run_tier"), "daily", "--end", "2026-09-02"], cwd=REPO, env=stir.env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(300):
            if any(name.startswith("stir.RunModels_") for name in luigid_tasks(port, "RUNNING")):
                break
            time.sleep(0.1)
        else:
            raise AssertionError("the first run never started its models")
        second = stir.run_tier("daily", "--end", "2026-09-02", check=False)
        assert second.returncode == 0, second.stderr
        assert f"tier daily is already running (pid {first.pid} on " in second.stdout
        out, err = first.communicate(timeout=300)
        assert first.returncode == 0, err
    finally:
        first.kill()
    assert "tier daily (T = 2026-09-02 00:00:00 UTC): done: models ran; published leaderboard" in out
    done = luigid_tasks(port, "DONE")
    assert any(name.startswith("stir.SwapTable_") for name in done)
    assert all(name.startswith("stir.") for name in done)
    # The operator's view: each step says what it did.
    messages = {name.split("_")[0]: task.get("status_message") for name, task in done.items()}
    assert messages["stir.RunModels"] == "models ran"
    assert re.fullmatch(r"exported [\d,]+ rows", messages["stir.ExportMart"])
    assert re.fullmatch(r"loaded, checked and indexed [\d,]+ rows", messages["stir.LoadShadow"])
    assert re.match(r"live: [\d,]+ rows; the swap took 1 tries", messages["stir.SwapTable"])
    # The operator's screen: luigid's web view in headless Chromium lists the run's tasks as DONE.
    dom, shot = browser_view(port, tmp_path)
    assert "stir.SwapTable" in dom and "stir.RunModels" in dom and "DONE" in dom
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000


def browser_view(port, tmp_path):
    """luigid's task list rendered by headless Chromium (installed by .ci/run from Debian's
    packages): the page's DOM after its scripts ran, and a screenshot (kept in tmp_path)."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("no Chromium here (.ci/run installs Debian's chromium package)")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'chromium'}", "--virtual-time-budget=8000"]
    url = f"http://127.0.0.1:{port}/static/visualiser/index.html#tab=tasks"
    dom = subprocess.run([chromium, *flags, "--dump-dom", url], capture_output=True, text=True, timeout=120).stdout
    shot = tmp_path / "luigid-tasks.png"
    subprocess.run([chromium, *flags, "--window-size=1400,1000", f"--screenshot={shot}", url],
                   capture_output=True, timeout=120)
    return dom, shot


def test_sqlmesh_plan_from_the_project_directory(tmp_path):
    stir = Stir(tmp_path / "home")
    stir.run("seed", "--profiles", "10", "--months", "2", "--end", "2026-09-01")
    proc = subprocess.run([str(BIN / "sqlmesh"), "plan", "--auto-apply", "--no-prompts"],
                          cwd=REPO / "sqlmesh_project", env=stir.env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert stir.sql("SELECT count() > 0 FROM stir_marts.mart_leaderboard") == [[1]]


def test_postgres_by_dsn(tmp_path):
    """postgres = dsn: Stir uses the server STIR_PG_DSN names (here a separately started one)
    for SQLMesh's state and the serving tables, and starts no embedded server of its own."""
    import pgserver
    import psycopg2

    server = pgserver.get_server(tmp_path / "remote-pg", cleanup_mode="stop")
    stir = Stir(tmp_path / "home")
    stir.env.update(STIR_POSTGRES="dsn", STIR_PG_DSN=server.get_uri())
    stir.run("seed", "--profiles", "10", "--months", "2", "--end", "2026-09-01")
    stir.run_tier("daily", "--end", "2026-09-02")
    assert not (stir.home / "postgres").exists()
    conn = psycopg2.connect(server.get_uri())
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) > 0 FROM leaderboard")
        assert cur.fetchone()[0]
        cur.execute("SELECT count(*) > 0 FROM sqlmesh._environments")
        assert cur.fetchone()[0]
    conn.close()


def test_sqlmesh_model_tests_run_on_clickhouse(tmp_path):
    """`sqlmesh test` runs the model tests in sqlmesh_project/tests on chDB, not DuckDB."""
    stir = Stir(tmp_path / "home")
    proc = subprocess.run([str(BIN / "sqlmesh"), "test"], cwd=REPO / "sqlmesh_project", env=stir.env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    ran = sum(len(re.findall(r"^test_\w+:", f.read_text(), re.M))
              for f in (REPO / "sqlmesh_project" / "tests").glob("*.yaml"))
    assert ran >= 3 and f"Successfully Ran `{ran}` Tests Against `clickhouse`" in proc.stdout
