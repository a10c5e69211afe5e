"""`pg_ctl -w start` and `pg_ctl -w stop` for the embedded PostgreSQL, finished as soon as
the server is up or gone rather than at pg_ctl's next check.

pg_ctl -w looks at the server ten times a second. The embedded server is ready about 5 ms
after it starts and gone about 7 ms after a fast shutdown begins (its log says so), yet each
pg_ctl call took 0.11 s: every Stir command that starts and stops the server paid 0.2 s for
pg_ctl's poll interval.

A start runs pg_ctl as before (it launches the server and reports a failure as always),
while Stir watches postmaster.pid every 2 ms with pg_ctl's own test: the file's status line
says `ready` for a live postmaster. pg_ctl, still in its sleep, is then ended: the server
runs in its own session and does not depend on it.

A stop does not start pg_ctl at all: like pg_ctl, it signals the postmaster named in
postmaster.pid (SIGINT for the default fast shutdown) and waits for the file to go. By the
time a tier run exits, its process maps about a gigabyte, and forking it to run pg_ctl as
PostgreSQL's own user took 35 ms of the 0.1 s that stopping the server still cost.

pgserver runs pg_ctl under its inter-process lock, so replacing its pg_ctl (install())
keeps its locking: nothing else starts or stops the server while a call waits.
"""
from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path

POLL_S = 0.002
WAIT_S = 60  # pg_ctl's own default wait (pgserver gives a start 10 s)
# pg_ctl stop -m smart|fast|immediate (or their first letters): the signal it sends.
SHUTDOWN_SIGNALS = {"s": signal.SIGTERM, "f": signal.SIGINT, "i": signal.SIGQUIT}


def _postmaster(pgdata: Path) -> list[str] | None:
    """The lines of postmaster.pid, or None when there is none."""
    try:
        return (pgdata / "postmaster.pid").read_text().splitlines()
    except FileNotFoundError:
        return None


def _pid(lines: list[str] | None) -> int | None:
    try:
        return int(lines[0]) if lines else None
    except ValueError:   # being written
        return None


def ready(pgdata: Path, stale_pid: int | None = None) -> bool:
    """Whether a postmaster (not `stale_pid`, one that was there before the start) is up and
    accepting connections, by the status line it writes last into postmaster.pid."""
    import psutil

    lines = _postmaster(pgdata)
    pid = _pid(lines)
    return (pid is not None and pid != stale_pid and len(lines) >= 8 and lines[7].strip() == "ready"
            and psutil.pid_exists(pid))


def gone(pgdata: Path) -> bool:
    """Whether the server has shut down (it removes postmaster.pid last)."""
    return _postmaster(pgdata) is None


def pg_ctl(args: list[str], pgdata: Path, user: str | None = None, timeout: float | None = None) -> str:
    """pgserver's pg_ctl(args, pgdata, user=, timeout=): `-w ... start` returns once the server
    is ready, `-w ... stop` once it is gone (signalled by Stir itself: the module docstring says
    why); any other call runs pg_ctl as pgserver does. Raises subprocess.CalledProcessError
    when pg_ctl fails (its output attached) or no server runs to stop, and
    subprocess.TimeoutExpired when the server is neither ready nor gone in time."""
    from pgserver._commands import pg_ctl as pgserver_pg_ctl

    if "-w" in args and "stop" in args:
        return _stop(args, Path(pgdata), timeout or WAIT_S)
    if "-w" in args and "start" in args:
        return _start(args, Path(pgdata), user, timeout or WAIT_S)
    return pgserver_pg_ctl(args, pgdata=pgdata, user=user, timeout=timeout)


def _start(args: list[str], pgdata: Path, user: str | None, limit: float) -> str:
    """pg_ctl -w start, returning when postmaster.pid says `ready`, or when pg_ctl ends first."""
    from pgserver._commands import POSTGRES_BIN_PATH

    stale = _pid(_postmaster(pgdata))   # a killed server's file, which the new one replaces
    command = [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(pgdata), *args]
    # Output to a file, not a pipe: the server pg_ctl starts inherits its descriptors, and a
    # pipe would stay open for the server's life (pgserver does the same).
    with tempfile.TemporaryFile("w+") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, text=True, user=user)
        try:
            _wait(lambda: process.poll() is not None or ready(pgdata, stale), limit, command)
            if process.returncode:   # pg_ctl ended first, and failed
                output.seek(0)
                raise subprocess.CalledProcessError(process.returncode, command, output=output.read())
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        output.seek(0)
        return output.read()


def _stop(args: list[str], pgdata: Path, limit: float) -> str:
    """pg_ctl -w stop [-m mode], done as pg_ctl does it; fails as pg_ctl does when no server runs."""
    import psutil

    mode = args[args.index("-m") + 1] if "-m" in args else "fast"
    pid = _pid(_postmaster(pgdata))
    try:   # the postmaster.pid of a server that was killed may name another process by now
        postmaster = pid is not None and psutil.Process(pid).name() == "postgres"
    except psutil.NoSuchProcess:
        postmaster = False
    if not postmaster:
        raise subprocess.CalledProcessError(3, ["pg_ctl", "-D", str(pgdata), *args],
                                            output=f"pg_ctl: no server running in {pgdata}\n")
    os.kill(pid, SHUTDOWN_SIGNALS[mode[:1]])
    _wait(lambda: gone(pgdata), limit, ["pg_ctl", "stop"])
    return "server stopped\n"


def _wait(done, limit: float, command: list[str]) -> None:
    """Check done() every POLL_S until it holds; subprocess.TimeoutExpired after `limit` s."""
    deadline = time.monotonic() + limit
    while not done():
        if time.monotonic() > deadline:
            raise subprocess.TimeoutExpired(command, limit)
        time.sleep(POLL_S)


def install() -> None:
    """Make pgserver start and stop servers through pg_ctl() (idempotent)."""
    import pgserver.postgres_server as server_module

    server_module.pg_ctl = pg_ctl
