"""`python -m stir.prefork_client SOCKET ARGS...`: run `stir ARGS...` in a child of the prefork
server listening on SOCKET (stir/prefork.py), with this process's working directory,
environment and standard streams, and exit with the child's status. Signals this process gets
(SIGTERM from `timeout`, SIGINT, SIGHUP) go on to the child. When no server answers, or the
server's code is older than the installed Stir, the command runs in this process instead, as
`stir ARGS...` would; with STIR_PREFORK_START=1 (the crontab of `stir schedule`, which has no
supervisor to restart a server), it first starts a server on SOCKET for the runs that follow,
detached, logging to SOCKET's name with .log."""
from __future__ import annotations

import os
import signal
import socket
import sys

from stir.prefork_protocol import SIGNALS, recv_message, send_message

# A started server's log (two lines a run) past this size is moved aside as .log.1 (the one
# before is deleted) when the next server starts.
LOG_LIMIT = 10 * 1024 * 1024


def _run_here(path: str, args: list[str], why: str) -> None:
    started = _start_server(path) if os.environ.get("STIR_PREFORK_START") == "1" else ""
    print(f"stir prefork: {why}; running the command in this process{started}", file=sys.stderr, flush=True)
    os.execv(sys.executable, [sys.executable, "-m", "stir.cli", *args])


def _start_server(path: str) -> str:
    """Start `stir prefork --socket path` in a session of its own (it outlives this process),
    its output appended to path's name with .log (moved aside as .log.1 past LOG_LIMIT);
    returns what to tell the user. Of servers started at once on one socket, one serves and
    the others stop (the server's lock)."""
    import subprocess
    from pathlib import Path

    log_path = Path(path).with_suffix(".log")
    try:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        if log_path.exists() and log_path.stat().st_size > LOG_LIMIT:
            log_path.replace(log_path.with_suffix(".log.1"))
        with open(log_path, "a") as log:
            subprocess.Popen([sys.executable, "-m", "stir.cli", "prefork", "--socket", path],
                             stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    except OSError as exc:
        return f" (starting a server there failed: {exc})"
    return f"; started a server there for the next runs (log {log_path})"


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: python -m stir.prefork_client SOCKET [STIR ARGS...]", file=sys.stderr)
        return 2
    path, args = argv[0], argv[1:]
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(path)
        send_message(conn, {"argv": args, "env": dict(os.environ), "cwd": os.getcwd()}, [0, 1, 2])
        reply, _ = recv_message(conn)
    except OSError as exc:
        conn.close()
        _run_here(path, args, f"no server at {path} ({exc.__class__.__name__}: {exc})")
    if reply.get("stale"):
        conn.close()
        _run_here(path, args, f"the server at {path} runs older code than this Stir and stopped")

    def forward(signum, _frame):
        conn.sendall(f"{signum}\n".encode())

    for signum in SIGNALS:
        signal.signal(signum, forward)
    try:
        reply, _ = recv_message(conn)
    except OSError as exc:
        print(f"error: stir prefork: the server went away while child {reply['pid']} ran ({exc}); "
              "its outcome is unknown", file=sys.stderr)
        return 1
    return int(reply["exit"])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
