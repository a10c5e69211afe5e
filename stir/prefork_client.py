"""`python -m stir.prefork_client SOCKET ARGS...`: run `stir ARGS...` in a child of the prefork
server listening on SOCKET (stir/prefork.py), with this process's working directory,
environment and standard streams, and exit with the child's status. Signals this process gets
(SIGTERM from `timeout`, SIGINT, SIGHUP) go on to the child. When no server answers, or the
server's code is older than the installed Stir, the command runs in this process instead, as
`stir ARGS...` would."""
from __future__ import annotations

import os
import signal
import socket
import sys

from stir.prefork_protocol import SIGNALS, recv_message, send_message


def _run_here(args: list[str], why: str) -> None:
    print(f"stir prefork: {why}; running the command in this process", file=sys.stderr, flush=True)
    os.execv(sys.executable, [sys.executable, "-m", "stir.cli", *args])


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
        _run_here(args, f"no server at {path} ({exc.__class__.__name__}: {exc})")
    if reply.get("stale"):
        conn.close()
        _run_here(args, f"the server at {path} runs older code than this Stir and stopped")

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
