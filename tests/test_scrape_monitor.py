"""Scrape monitoring (`5min` tier, `stir status --scrapes`) on a hand-made task queue.

T = 2026-10-10 12:00:00: the last hour is [11:00, 12:00), the last day [10-09 12:00, 12:00)."""
from __future__ import annotations

import json

import pytest

from conftest import Stir, write_jsonl

T = "2026-10-10 12:00:00"
REFRESH, ASSET = "refresh_post_by_shortcode", "asset_upload_flow"


def request(id_, flow, status, created, updated=None):
    return {"id": id_, "flow": flow, "platform": "INSTAGRAM", "params": "{}", "status": status, "priority": 0,
            "created_at": created, "updated_at": updated or created}


def finished(flow, status, at):
    return {"flow": flow, "params": "{}", "status": status, "event_timestamp": at}


@pytest.fixture(scope="module")
def monitored(tmp_path_factory):
    stir = Stir(tmp_path_factory.mktemp("scrapes") / "home")
    src = stir.home.parent / "in"
    write_jsonl(src, "beat_replica.scrape_request_log", [
        request(1, REFRESH, "PENDING", "2026-10-10 11:30:00"),
        request(1, REFRESH, "COMPLETE", "2026-10-10 11:30:00", "2026-10-10 11:31:00"),   # its latest row
        request(2, REFRESH, "FAILED", "2026-10-10 11:40:00", "2026-10-10 11:45:00"),
        request(3, REFRESH, "PENDING", "2026-10-10 10:00:00"),
        request(4, REFRESH, "COMPLETE", "2026-10-09 20:00:00", "2026-10-09 20:05:00"),
        request(5, REFRESH, "PENDING", "2026-10-08 00:00:00"),          # older than a day: backlog only
        request(6, ASSET, "COMPLETE", "2026-10-10 11:50:00", "2026-10-10 11:55:00"),
        request(7, REFRESH, "PENDING", "2026-10-10 12:30:00"),          # after T
    ])
    write_jsonl(src, "_e.scrape_request_log_events", [
        finished(REFRESH, "COMPLETE", "2026-10-10 11:31:00"),
        finished(REFRESH, "FAILED", "2026-10-10 11:45:00"),
        finished(REFRESH, "COMPLETE", "2026-10-09 20:05:00"),
        finished(REFRESH, "PENDING", "2026-10-10 11:30:00"),           # not a finish
        finished(ASSET, "COMPLETE", "2026-10-10 11:55:00"),
        finished(REFRESH, "FAILED", "2026-10-10 12:10:00"),            # after T
    ])
    stir.run("ingest", str(src))
    run = stir.run_tier("5min", "--end", T)
    return stir, run


def test_monitor_values(monitored):
    stir, run = monitored
    assert f"tier 5min (T = {T} UTC): done: models ran" in run.stdout
    rows = {(r[0], r[1]): r[2:] for r in stir.sql("SELECT * FROM stir_marts.mart_scrape_monitor")}
    assert rows == {
        (ASSET, "COMPLETE"): [1, 1, 0.0, 0.0, None, 300],
        (REFRESH, "COMPLETE"): [1, 2, 0.5, pytest.approx(1 / 3), 216000, 1740],
        (REFRESH, "FAILED"): [1, 1, 0.5, pytest.approx(1 / 3), 216000, 1740],
        (REFRESH, "PENDING"): [0, 1, 0.5, pytest.approx(1 / 3), 216000, 1740],
    }


def test_status_scrapes_alarms_and_thresholds(monitored):
    stir, _ = monitored
    alarmed = stir.run("status", "--scrapes", check=False)
    assert alarmed.returncode == 1
    assert f"at {T} UTC" in alarmed.stdout
    assert f"ALARM {REFRESH}: 50% of the requests finished in the last hour failed" in alarmed.stdout
    assert ASSET not in "".join(line for line in alarmed.stdout.splitlines() if line.startswith("ALARM"))
    stir.env.update(STIR_SCRAPE_MAX_FAILURE_RATE="0.6")
    pending = stir.run("status", "--scrapes", "--json", check=False)
    assert pending.returncode == 1
    assert json.loads(pending.stdout)["alarms"] == [
        f"{REFRESH}: a request has been PENDING for 3600 min (scrape_max_pending_age = 3600 s)"]
    stir.env.update(STIR_SCRAPE_MAX_PENDING_AGE="300000")
    calm = stir.run("status", "--scrapes")
    assert "ALARM" not in calm.stdout


def test_status_scrapes_before_any_run(stir_home):
    proc = stir_home.run("status", "--scrapes", check=False)
    assert proc.returncode == 1
    assert "error: no scrape monitoring yet: run the 5min tier first" in proc.stderr
