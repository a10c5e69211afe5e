"""Alerts (issue 10, item 7) to a local HTTP server standing in for Slack's webhook: a failed
tier run and a run past its timeout each send one message naming tier, step, error, host and
the run's log file; the webhook URL never appears in the output."""
from __future__ import annotations

import json
import re
import shutil
import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from conftest import REPO, Stir

SECRET_PATH = "/services/T000/B000/sekrit-hook-token"


@pytest.fixture
def webhook():
    """A local webhook on 127.0.0.1; yields (url, list of received JSON bodies)."""
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(json.loads(body))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}{SECRET_PATH}", received
    server.shutdown()


def test_a_failed_run_alerts_with_tier_step_error_host_and_log(tmp_path, webhook):
    url, received = webhook
    project = tmp_path / "project"
    shutil.copytree(REPO / "sqlmesh_project", project, ignore=shutil.ignore_patterns(".cache", "logs"))
    stir = Stir(tmp_path / "home")
    stir.env.update(STIR_SQLMESH_PROJECT=str(project), STIR_ALERT_WEBHOOK_URL=url)
    stir.run("seed", "--profiles", "10", "--months", "1", "--end", "2026-09-01")
    mart = project / "models" / "marts" / "mart_leaderboard.sql"
    mart.write_text(mart.read_text().replace("FROM with_map AS cur", "FROM no_such_table AS cur"))
    proc = stir.run_tier("daily", "--end", "2026-09-02", check=False)
    assert proc.returncode == 1
    assert len(received) == 1
    text = received[0]["text"]
    log_file = next(line.split("log file ")[1] for line in proc.stderr.splitlines() if "log file " in line)
    assert "Stir tier *daily* (T = 2026-09-02 00:00:00 UTC) failed on " + socket.gethostname() in text
    step = re.search(r"^• models tag:daily: (.+)$", text, re.M)
    assert step, text                                      # the step and SQLMesh's own error
    assert text.endswith(f"log: {log_file}")
    assert f"models tag:daily: failed: {step.group(1)}" in open(log_file).read()
    assert SECRET_PATH not in proc.stdout + proc.stderr and SECRET_PATH not in open(log_file).read()


def test_no_webhook_no_alert_then_a_run_past_its_timeout_alerts(tmp_path, webhook):
    url, received = webhook
    stir = Stir(tmp_path / "home")
    stir.env["STIR_TIER_TIMEOUT"] = "1"
    stir.run("seed", "--profiles", "10", "--months", "1", "--end", "2026-09-01")
    # No webhook: a run past its timeout only logs it, and still works.
    quiet = stir.run_tier("daily", "--end", "2026-09-02")
    assert "published leaderboard" in quiet.stdout
    assert "tier daily: still running after its timeout of 0 min" in quiet.stderr and received == []
    stir.env["STIR_ALERT_WEBHOOK_URL"] = url
    proc = stir.run_tier("daily", "--end", "2026-09-03")   # a few seconds: longer than 1 s
    assert "tier daily: still running after its timeout of 0 min" in proc.stderr
    assert len(received) == 1
    assert "Stir tier *daily* (T = 2026-09-03 00:00:00 UTC) on " in received[0]["text"]
    assert "is still running after its timeout" in received[0]["text"]
