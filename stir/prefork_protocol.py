"""The prefork server's wire format (stir/prefork.py, stir/prefork_client.py): length-prefixed
JSON messages on a Unix socket, the client's standard streams passed with the request. Only
the standard library: the client imports this and nothing heavier."""
from __future__ import annotations

import json
import signal
import socket
import struct

MAX_MESSAGE = 1 << 20
# The signals a client passes on to its child (coreutils `timeout` sends SIGTERM).
SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def send_message(conn: socket.socket, message: dict, fds: list[int] = ()) -> None:
    data = json.dumps(message).encode()
    payload = struct.pack("!I", len(data)) + data
    if fds:
        socket.send_fds(conn, [payload], list(fds))
    else:
        conn.sendall(payload)


def _recv_exact(conn: socket.socket, size: int, fds: list[int]) -> bytes:
    data = b""
    while len(data) < size:
        chunk, got, _flags, _addr = socket.recv_fds(conn, size - len(data), 3)
        fds.extend(got)
        if not chunk:
            raise ConnectionError("the peer closed the connection")
        data += chunk
    return data


def recv_message(conn: socket.socket) -> tuple[dict, list[int]]:
    """One message and the file descriptors sent with it."""
    fds: list[int] = []
    (size,) = struct.unpack("!I", _recv_exact(conn, 4, fds))
    if size > MAX_MESSAGE:
        raise ConnectionError(f"a message of {size} bytes refused")
    return json.loads(_recv_exact(conn, size, fds)), fds
