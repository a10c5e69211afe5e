"""The embedded PostgreSQL's lifecycle with real processes: a SIGKILLed Stir process cannot
keep the server running forever, `stir pg start` keeps it running for psql across other Stir
commands until `stir pg stop`, stop is refused while another Stir process uses it, and the
server's log file is rotated."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import psycopg2
import pytest


HOLD = (
    "import os, signal, sys, time\n"
    "from stir.postgres import connect\n"
    "connect().close()\n"
    "print('connected', flush=True)\n"
    "if sys.argv[1] == 'kill':\n"
    "    os.kill(os.getpid(), signal.SIGKILL)\n"
    "time.sleep(60)\n"
)


def holder(stir, mode):
    stir.home.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen([sys.executable, "-c", HOLD, mode], cwd=stir.home, env=stir.env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout.readline().strip() == "connected"
    return proc


def handles(stir):
    return json.loads((stir.home / "postgres" / ".handle_pids.json").read_text())


def test_a_killed_process_does_not_keep_the_server_running(stir_home):
    killed = holder(stir_home, "kill")
    killed.wait(timeout=30)
    assert killed.returncode == -signal.SIGKILL
    status = stir_home.run("pg", "status")
    assert "running" in status.stdout and "killed processes still listed" in status.stdout
    assert handles(stir_home) == [killed.pid]
    stir_home.run("migrate")  # joins the server, forgets the dead pid, and is its last user
    assert handles(stir_home) == []
    stopped = stir_home.run("pg", "status", check=False)
    assert stopped.returncode == 3 and "stopped" in stopped.stdout


def test_pg_start_keeps_it_running_for_psql_until_pg_stop(stir_home):
    uri = stir_home.run("pg", "start").stdout.split("psql '")[1].rstrip("'\n")
    session = psycopg2.connect(uri)
    stir_home.run("migrate")
    stir_home.run("show", "leaderboard")  # a plain command used to stop it under the open session
    with session.cursor() as cur:
        cur.execute("SELECT 1")
        assert cur.fetchone() == (1,)
    session.close()
    assert "keep running: yes" in stir_home.run("pg", "status").stdout
    assert "stopped" in stir_home.run("pg", "stop").stdout
    assert stir_home.run("pg", "status", check=False).returncode == 3


def test_stop_is_refused_while_another_stir_process_uses_it(stir_home):
    user = holder(stir_home, "hold")
    try:
        refused = stir_home.run("pg", "stop", check=False)
        assert refused.returncode == 1
        assert f"in use by Stir process(es) {user.pid}" in refused.stderr
        assert stir_home.run("pg", "status").returncode == 0
    finally:
        user.kill()
        user.wait()
    time.sleep(0.2)
    stir_home.run("pg", "stop")
    assert stir_home.run("pg", "status", check=False).returncode == 3


def test_the_server_log_is_moved_aside_once_past_its_limit(stir_home):
    stir_home.run("migrate")   # starts the server and, as its last user, stops it
    log = stir_home.home / "postgres" / "log"
    with log.open("a") as fh:   # as after about 10,000 starts
        fh.write("x" * (10 * 1024 * 1024))
    stir_home.run("migrate")
    old = stir_home.home / "postgres" / "log.1"
    assert old.stat().st_size > 10 * 1024 * 1024
    assert 0 < log.stat().st_size < 100_000 and "database system is ready" in log.read_text()


def test_pg_ctl_returns_once_the_server_is_ready_or_gone_and_reports_a_failed_start(stir_home):
    """stir/postgres/pg_ctl.py: a start returns with the server accepting connections, a stop
    with postmaster.pid gone; neither leaves a pg_ctl running; a stop with no server (or a
    stale postmaster.pid) fails as pg_ctl's does, and a server that cannot start fails the
    call with pg_ctl's message."""
    import psutil
    from pgserver.postgres_server import PostgresServer
    from pgserver.utils import find_suitable_socket_dir

    from stir.postgres.pg_ctl import pg_ctl

    stir_home.run("migrate")   # makes the data directory; the server stops with the command
    pgdata = stir_home.home / "postgres"
    user = "pgserver" if os.geteuid() == 0 else None
    sockets = find_suitable_socket_dir(pgdata, PostgresServer.runtime_path)
    start = ["-w", "-o", '-h ""', "-o", f"-k {sockets}", "-l", str(pgdata / "log"), "start"]

    def leftover_pg_ctl():
        return [p for p in psutil.Process().children(recursive=True) if p.name() == "pg_ctl"]

    pg_ctl(start, pgdata=pgdata, user=user, timeout=10)
    assert not leftover_pg_ctl()
    session = psycopg2.connect(host=str(sockets), user="postgres", dbname="postgres")
    with session.cursor() as cur:
        cur.execute("SELECT 1")
        assert cur.fetchone() == (1,)
    session.close()
    pg_ctl(["-w", "stop"], pgdata=pgdata, user=user)
    assert not (pgdata / "postmaster.pid").exists() and not leftover_pg_ctl()
    with pytest.raises(psycopg2.OperationalError):
        psycopg2.connect(host=str(sockets), user="postgres", dbname="postgres")
    with pytest.raises(subprocess.CalledProcessError):   # as pg_ctl: no server to stop
        pg_ctl(["-w", "stop"], pgdata=pgdata, user=user)
    # A killed server's postmaster.pid naming a live process that is not PostgreSQL (this one):
    # the stop fails without signalling it (SIGINT would end this test).
    (pgdata / "postmaster.pid").write_text(f"{os.getpid()}\n{pgdata}\n0\n\n\n\n0 0\nready\n")
    with pytest.raises(subprocess.CalledProcessError):
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user)
    (pgdata / "postmaster.pid").unlink()

    with pytest.raises(subprocess.CalledProcessError) as failed:
        pg_ctl(["-w", "-o", "-c no_such_setting=1", *start[1:]], pgdata=pgdata, user=user, timeout=10)
    assert "could not start server" in failed.value.output
    assert "no_such_setting" in (pgdata / "log").read_text()
    assert not (pgdata / "postmaster.pid").exists() and not leftover_pg_ctl()
