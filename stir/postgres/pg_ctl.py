"""`pg_ctl -w start` and `pg_ctl -w stop` for the embedded PostgreSQL, finished as soon as
the server is up or gone rather than at pg_ctl's next check.

pg_ctl -w looks at the server ten times a second. The embedded server is ready about 5 ms
after it starts and gone about 7 ms after a fast shutdown begins (its log says so), yet each
pg_ctl call took 0.11 s: every Stir command that starts and stops the server paid 0.2 s for
pg_ctl's poll interval. Here pg_ctl runs as before (it launches or signals the server and
reports a failure as always), while Stir watches postmaster.pid every 2 ms, using pg_ctl's
own test: a start is done when the file's status line says `ready` for a live postmaster,
a stop when the file is gone. pg_ctl, still in its sleep, is then ended: the server runs in
its own session and does not depend on it.

pgserver runs pg_ctl under its inter-process lock, so replacing its pg_ctl (install())
keeps its locking: nothing else starts or stops the server while a call waits.
"""
from __future__ import annotations

import os
import subprocess
import tempfile
import time
from pathlib import Path

POLL_S = 0.002
STOP_TIMEOUT_S = 60  # pg_ctl's own default


def _postmaster(pgdata: Path) -> list[str] | None:
    """The lines of postmaster.pid, or None when there is none."""
    try:
        return (pgdata / "postmaster.pid").read_text().splitlines()
    except FileNotFoundError:
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:   # another user's process: it exists
        return True
    return True


def _pid(lines: list[str] | None) -> int | None:
    try:
        return int(lines[0]) if lines else None
    except ValueError:   # being written
        return None


def ready(pgdata: Path, stale_pid: int | None = None) -> bool:
    """Whether a postmaster (not `stale_pid`, one that was there before the start) is up and
    accepting connections, by the status line it writes last into postmaster.pid."""
    lines = _postmaster(pgdata)
    pid = _pid(lines)
    return pid is not None and pid != stale_pid and len(lines) >= 8 and lines[7].strip() == "ready" and _alive(pid)


def gone(pgdata: Path) -> bool:
    """Whether the server has shut down (it removes postmaster.pid last)."""
    return _postmaster(pgdata) is None


def pg_ctl(args: list[str], pgdata: Path, user: str | None = None, timeout: float | None = None) -> str:
    """pgserver's pg_ctl(args, pgdata, user=, timeout=): for `-w ... start` and `-w ... stop`,
    returns once the server is ready or gone; any other call runs pg_ctl as pgserver does.
    Raises subprocess.CalledProcessError when pg_ctl fails (its output attached), and
    subprocess.TimeoutExpired when the server is neither ready nor gone in time."""
    from pgserver._commands import POSTGRES_BIN_PATH
    from pgserver._commands import pg_ctl as pgserver_pg_ctl

    action = "start" if "start" in args else "stop" if "stop" in args else None
    if "-w" not in args or action is None:
        return pgserver_pg_ctl(args, pgdata=pgdata, user=user, timeout=timeout)
    pgdata = Path(pgdata)
    if action == "start":
        stale = _pid(_postmaster(pgdata))

        def done() -> bool:
            return ready(pgdata, stale)
    else:
        def done() -> bool:
            return gone(pgdata)
    command = [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(pgdata), *args]
    limit = timeout or STOP_TIMEOUT_S
    # Output to a file, not a pipe: the server pg_ctl starts inherits its descriptors, and a
    # pipe would stay open for the server's life (pgserver does the same).
    with tempfile.TemporaryFile("w+") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, text=True, user=user)
        deadline = time.monotonic() + limit
        try:
            while True:
                code = process.poll()
                if code is not None:
                    if code:
                        output.seek(0)
                        raise subprocess.CalledProcessError(code, command, output=output.read())
                    break
                if done():
                    break
                if time.monotonic() > deadline:
                    raise subprocess.TimeoutExpired(command, limit)
                time.sleep(POLL_S)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        output.seek(0)
        return output.read()


def install() -> None:
    """Make pgserver start and stop servers through pg_ctl() (idempotent)."""
    import pgserver.postgres_server as server_module

    server_module.pg_ctl = pg_ctl
