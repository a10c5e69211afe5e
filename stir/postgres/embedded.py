"""The embedded PostgreSQL (pgserver) and its lifecycle.

pgserver records every process using a data directory in `.handle_pids.json` and stops the
server when the last one exits. Two gaps are closed here:

- A killed process never leaves the list, so the server was never stopped again. Every
  start removes the pids of processes that no longer exist first.
- Keeping the server running was a property of the process that started it, so a later
  plain `stir show` stopped it under an open psql session. Keeping it running is now a flag
  in the data directory (`stir pg start`, or the pg_keep_running setting), honoured by every
  process at exit, until `stir pg stop`.
"""
from __future__ import annotations

import atexit
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

from loguru import logger

from stir.errors import StirError

KEEP_FLAG = "stir_keep_running"
# pgserver appends the server's log to <pgdata>/log at every start (about 1 KB a start and
# stop: 288 a day under a 5-minute tier); past this size it becomes log.1 (the one before
# is deleted) when the next start begins.
LOG_LIMIT = 10 * 1024 * 1024
_servers: dict[str, object] = {}
_uris: dict[str, str] = {}   # per data directory: the server is this process's until it exits


# pgserver's platformdirs warns on import when XDG_RUNTIME_DIR is unset (always, under cron).
warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")


def _pgserver():
    import pgserver.postgres_server as server_module

    from stir.postgres import pg_ctl

    pg_ctl.install()
    return server_module


def _handles(pgdata: Path):
    from pgserver.utils import DiskList

    return DiskList(pgdata / ".handle_pids.json")


def _alive(pid: int) -> bool:
    import psutil

    return psutil.pid_exists(pid)


def prune_dead_handles(pgdata: Path) -> list[int]:
    """Remove the pids of processes that no longer exist from the server's user list (under
    pgserver's own lock). Returns the pids removed."""
    module = _pgserver()
    with module.PostgresServer._lock:
        handles = _handles(pgdata)
        pids = handles.get()
        dead = [pid for pid in pids if not _alive(pid)]
        if dead:
            handles.put([pid for pid in pids if pid not in dead])
    if dead:
        logger.info("embedded PostgreSQL: forgot {} process(es) that ended without stopping it: {}",
                    len(dead), ", ".join(map(str, dead)))
    return dead


def _honour_keep_flag(server, pgdata: Path) -> None:
    # Registered after pgserver's own exit handler, so it runs first (atexit is LIFO).
    if (pgdata / KEEP_FLAG).exists():
        server.cleanup_mode = None


def rotate_log(pgdata: Path, limit: int = LOG_LIMIT) -> bool:
    """Move the server's log aside as log.1 if it passed `limit` bytes and no server is
    running (one that is keeps writing to the file it opened). Returns whether it did."""
    from pgserver.utils import PostmasterInfo

    log = pgdata / "log"
    if not log.exists() or log.stat().st_size <= limit:
        return False
    info = PostmasterInfo.read_from_pgdata(pgdata)
    if info is not None and info.is_running():
        return False
    log.replace(pgdata / "log.1")
    logger.info("embedded PostgreSQL: its log passed {} MB; the previous one is now {}", limit >> 20, pgdata / "log.1")
    return True


def uri(pgdata: Path, keep_running: bool = False) -> str:
    """Start (or join) the embedded PostgreSQL in `pgdata` and return its URI. It stops when
    the last process using it exits, unless it is flagged to keep running."""
    key = str(pgdata)
    if key not in _servers:
        pgdata.mkdir(parents=True, exist_ok=True)
        prune_dead_handles(pgdata)
        rotate_log(pgdata)
        logger.debug("starting embedded PostgreSQL in {}", pgdata)
        _servers[key] = _pgserver().get_server(pgdata, cleanup_mode="stop")
        atexit.register(_honour_keep_flag, _servers[key], pgdata)
    if keep_running:  # in the data directory, so only once initdb has made it
        (pgdata / KEEP_FLAG).touch()
    if key not in _uris:   # pgserver reads postmaster.pid and checks the process on every call
        _uris[key] = _servers[key].get_uri()
    return _uris[key]


@dataclass
class Status:
    running: bool
    postmaster_pid: int | None
    uri: str | None
    keep_running: bool
    users: list[int]  # live processes using it (Stir commands)
    dead: list[int]   # processes that were killed while using it


def status(pgdata: Path) -> Status:
    from pgserver.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(pgdata) if pgdata.exists() else None
    running = bool(info and info.is_running())
    pids = _handles(pgdata).get() if pgdata.exists() else []
    return Status(
        running=running,
        postmaster_pid=info.pid if running else None,
        uri=info.get_uri() if running else None,
        keep_running=(pgdata / KEEP_FLAG).exists(),
        users=[pid for pid in pids if _alive(pid) and pid != os.getpid()],
        dead=[pid for pid in pids if not _alive(pid)],
    )


def start(pgdata: Path) -> str:
    """Start the server and keep it running after this process exits (until stop())."""
    return uri(pgdata, keep_running=True)


def stop(pgdata: Path, force: bool = False) -> bool:
    """Stop the server (and clear the keep-running flag). Refuses while other Stir processes
    use it, unless `force`. Returns whether a running server was stopped."""
    from stir.postgres.pg_ctl import pg_ctl

    prune_dead_handles(pgdata)
    now = status(pgdata)
    if now.users and not force:
        raise StirError(f"the embedded PostgreSQL in {pgdata} is in use by Stir process(es) "
                        f"{', '.join(map(str, now.users))}; let them finish (or use --force)")
    (pgdata / KEEP_FLAG).unlink(missing_ok=True)
    if not now.running:
        return False
    module = _pgserver()
    user = "pgserver" if os.geteuid() == 0 else None  # pgserver runs PostgreSQL as this user under root
    with module.PostgresServer._lock:
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user)
        _handles(pgdata).put([])
    return True
