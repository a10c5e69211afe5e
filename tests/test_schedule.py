"""The tier table as schedules (issue 10, items 1 and 5): the crontab `stir schedule` prints
parses with a cron parser and calls bin/run_tier; the systemd timers fire when the cron
lines do (checked with systemd-analyze where it exists) and the units verify; a failed run
is retried with the same T."""
from __future__ import annotations

import datetime as dt
import shutil
import subprocess

import pytest
from click.testing import CliRunner
from croniter import croniter

from conftest import REPO, Stir
from stir.cli import main
from stir.schedule import on_calendar
from stir.tiers import TIER_TABLE, TIERS

START = dt.datetime(2026, 11, 26, 5, 38, tzinfo=dt.timezone.utc)


def test_crontab_parses_and_runs_every_tier():
    out = CliRunner().invoke(main, ["schedule"], catch_exceptions=False).output
    jobs = [line for line in out.splitlines() if line and not line.startswith(("#", "@reboot"))
            and "=" not in line.split()[0]]
    assert len(jobs) == len(TIERS)
    for line, tier in zip(jobs, TIER_TABLE):
        fields = line.split()
        assert croniter.is_valid(" ".join(fields[:5])), line
        assert fields[5:] == ["timeout", f"{tier.timeout_min + 5}m", str(REPO / "bin" / "run_tier"), tier.name,
                              "--retries", str(tier.retries)]
    daily = croniter(TIER_TABLE[TIERS.index("daily")].schedule, START).get_next(dt.datetime)
    assert daily == dt.datetime(2026, 11, 26, 19, 0, tzinfo=dt.timezone.utc)
    it = croniter(TIER_TABLE[TIERS.index("weekly")].schedule, START)
    sundays = [it.get_next(dt.datetime) for _ in range(3)]
    assert all(d.weekday() == 6 and (d.hour, d.minute) == (6, 0) for d in sundays)
    assert [(b - a).days for a, b in zip(sundays, sundays[1:])] == [7, 7]   # never a day apart


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
@pytest.mark.parametrize("tier", TIER_TABLE, ids=TIERS)
def test_systemd_timers_fire_when_the_cron_lines_do(tier):
    calendar = on_calendar(tier.schedule)
    out = subprocess.run(["systemd-analyze", "calendar", "--iterations=5", f"--base-time={START:%Y-%m-%d %H:%M:%S} UTC",
                          calendar], capture_output=True, text=True, check=True).stdout
    fired = [line.split(":", 1)[1].strip() for line in out.splitlines()
             if line.strip().startswith(("Next elapse", "Iter."))]
    it = croniter(tier.schedule, START)
    expected = [f"{it.get_next(dt.datetime):%a %Y-%m-%d %H:%M:%S} UTC" for _ in range(5)]
    assert fired == expected


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_units_verify(tmp_path):
    result = CliRunner().invoke(main, ["schedule", "--systemd", str(tmp_path / "units")], catch_exceptions=False)
    assert result.exit_code == 0 and "wrote 15 units" in result.output
    units = sorted(str(p) for p in (tmp_path / "units").iterdir())
    proc = subprocess.run(["systemd-analyze", "verify", *units], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_every_run_forks_from_a_server_started_with_it_unless_told_not_to(tmp_path):
    """`stir schedule` (--prefork, the default): the runs' environment names the server's
    socket, and the server starts at boot and, under cron, when a run finds none (cron
    restarts nothing), or as a service the tier services want (systemd)."""
    from stir.settings import load_settings

    socket_path = load_settings().home / "run" / "prefork.sock"
    lines = CliRunner().invoke(main, ["schedule"], catch_exceptions=False).output.splitlines()
    assert f"STIR_PREFORK_SOCKET={socket_path}" in lines and "STIR_PREFORK_START=1" in lines
    assert f"@reboot {REPO / 'bin' / 'prefork'} --socket {socket_path}" in lines
    alone = CliRunner().invoke(main, ["schedule", "--no-prefork"], catch_exceptions=False).output
    assert "PREFORK" not in alone and "@reboot" not in alone
    assert [line for line in alone.splitlines() if "run_tier" in line] == [line for line in lines if "run_tier" in line]
    result = CliRunner().invoke(main, ["schedule", "--systemd", str(tmp_path)], catch_exceptions=False)
    assert "wrote 15 units" in result.output and "enable --now stir-prefork.service" in result.output
    server = (tmp_path / "stir-prefork.service").read_text()
    assert f"ExecStart={REPO / 'bin' / 'prefork'} --socket {socket_path}\n" in server and "Restart=always" in server
    assert "KillMode=mixed" in server     # a stop lets the runs it forked finish
    daily = (tmp_path / "stir-daily.service").read_text()
    assert "Wants=stir-prefork.service" in daily and f"Environment=STIR_PREFORK_SOCKET={socket_path}" in daily
    if shutil.which("systemd-analyze"):
        proc = subprocess.run(["systemd-analyze", "verify", *sorted(map(str, tmp_path.iterdir()))],
                              capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr


def test_tiers_lists_the_table():
    out = CliRunner().invoke(main, ["tiers"], catch_exceptions=False).output
    assert out.splitlines()[0].split() == ["tier", "models", "schedule", "(UTC)", "timeout", "retries", "publishes",
                                           "jobs"]
    daily = next(line for line in out.splitlines() if line.startswith("daily"))
    assert daily.split()[:9] == ["daily", "@daily", "0", "19", "*", "*", "*", "180", "min"]
    assert "leaderboard, genre_overview" in daily and daily.rstrip().endswith("keyword_reports")


def test_a_failed_run_is_retried_with_the_same_end(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(REPO / "sqlmesh_project", project, ignore=shutil.ignore_patterns(".cache", "logs"))
    mart = project / "models" / "marts" / "mart_leaderboard.sql"
    mart.write_text(mart.read_text().replace("FROM with_map AS cur", "FROM no_such_table AS cur"))
    stir = Stir(tmp_path / "home")
    stir.env.update(STIR_SQLMESH_PROJECT=str(project), STIR_RETRY_DELAY="0")
    stir.run("seed", "--profiles", "10", "--months", "1", "--end", "2026-09-01")
    proc = stir.run_tier("daily", "--end", "2026-09-02", "--retries", "1", check=False)
    assert proc.returncode == 1
    assert "tier daily: failed; retrying in 0s (retry 1 of 1)" in proc.stderr
    assert proc.stderr.count("tier daily: T = 2026-09-02 00:00:00 UTC") == 2
