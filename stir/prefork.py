"""`stir prefork`: a server that has imported what a `stir` command needs (SQLMesh, pandas,
Luigi, the chDB and PostgreSQL clients: about 1.4 s of every process's start) and forks one
child per command sent to its Unix socket (stir/prefork_client.py; `bin/run_tier` uses it when
STIR_PREFORK_SOCKET is set). Each child is a fresh `stir` process in all that matters: it
opens the warehouse and PostgreSQL itself, takes their locks itself, runs in the client's
working directory and environment, writes to the client's stdin/stdout/stderr, and its exit
status is the client's. The server itself opens nothing, so another process may use the
embedded warehouse between runs as before.

The server is single-threaded (a fork copies only the thread that forks; one that held a lock
in another thread would leave it held in the child for ever), refuses to start if an import
started a thread, and stops (the client then runs the command itself) when Stir's code
changed since it started, so it never runs stale code."""
from __future__ import annotations

import gc
import importlib
import os
import selectors
import signal
import socket
import struct
import sys
import threading
import time
from pathlib import Path
from typing import NamedTuple

from loguru import logger

from stir import run_in_utc
from stir.errors import StirError, WarehouseLockedError
from stir.process import end_process, tune_gc
from stir.prefork_protocol import SIGNALS, recv_message, send_message
from stir.warehouse.lock import ProcessLock

# What a tier run imports (the rest of its imports are cheap).
PRELOAD = (
    "stir.cli", "stir.run", "stir.models", "stir.publish.tasks", "stir.jobs.tasks", "stir.project_record",
    "stir.sqlmesh_config", "stir.sqlmesh_chdb", "stir.sqlmesh_clickhouse", "stir.store.local",
    "stir.warehouse.embedded", "stir.postgres.embedded", "stir.postgres.pg_ctl",
    "sqlmesh", "sqlmesh.core.context", "sqlmesh.core.console", "sqlmesh.core.snapshot", "sqlmesh.core.audit.builtin",
    "pandas", "luigi", "rich", "psycopg2", "pgserver", "clickhouse_connect", "clickhouse_connect.dbapi",
)
# Not chDB: loading its library starts a dozen native threads (each child loads it, 0.08 s).
# Libraries that would start threads of their own when imported, told not to: OpenBLAS
# (numpy's), and pyarrow's jemalloc (its background purging thread; it purges as it allocates).
QUIET_THREADS = {"OPENBLAS_NUM_THREADS": "1", "JE_ARROW_MALLOC_CONF": "background_thread:false",
                 "SQLMESH__DISABLE_ANONYMIZED_ANALYTICS": "1"}


def default_socket() -> Path:
    """Where the server listens and the runs find it unless told: STIR_PREFORK_SOCKET, or
    <home>/run/prefork.sock."""
    from stir.settings import load_settings

    env = os.environ.get("STIR_PREFORK_SOCKET")
    return Path(env) if env else load_settings().home / "run" / "prefork.sock"


def code_digest() -> tuple:
    """What identifies the code a child would run: every Stir source file's path, size and
    modification time (a checkout pulled or a package upgraded since the server started)."""
    root = Path(__file__).parent
    return tuple(sorted((str(p), st.st_size, st.st_mtime_ns) for p in root.rglob("*")
                        if p.suffix in (".py", ".sql", ".xml") and (st := p.stat())))


def _peer_uid(conn: socket.socket) -> int:
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return struct.unpack("3i", creds)[1]


def preload() -> None:
    """Import PRELOAD, then move every object so far out of the garbage collector's sight
    (gc.freeze: the children's collections skip them, and do not touch their pages)."""
    for name, value in QUIET_THREADS.items():
        os.environ.setdefault(name, value)
    tune_gc()
    for name in PRELOAD:
        importlib.import_module(name)
    gc.collect()
    gc.freeze()
    others = threads()
    if others:
        raise StirError(f"prefork: importing Stir's modules started thread(s) {', '.join(others)}; "
                        "a fork copies only the thread that forks, so a child could hang on a lock another "
                        "held: the server does not start")


def threads() -> list[str]:
    """The names of this process's threads other than the calling one, native ones too (Linux)."""
    own = threading.get_native_id()
    try:
        tids = [int(t) for t in os.listdir("/proc/self/task")]
    except FileNotFoundError:       # no /proc: Python's threads only
        return [t.name for t in threading.enumerate() if t is not threading.current_thread()]
    names = []
    for tid in tids:
        if tid != own:
            try:
                names.append(Path(f"/proc/self/task/{tid}/comm").read_text().strip())
            except OSError:
                pass
    return names


def _child(request: dict, fds: list[int]) -> None:
    """In the forked child: become the client's `stir` process, run its command and end as
    the `stir` command does (stir/process.py); never returns."""
    code = 1
    try:
        for signum in (*SIGNALS, signal.SIGCHLD):
            signal.signal(signum, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.set_wakeup_fd(-1)
        for target, fd in enumerate(fds):
            if fd != target:      # (a server started with a standard stream closed may get it back)
                os.dup2(fd, target)
                os.close(fd)
        os.environ.clear()
        os.environ.update(request["env"])
        run_in_utc()
        os.chdir(request["cwd"])
        _reset_luigi_config()
        from stir.cli import main

        main.main(args=request["argv"], prog_name="stir", standalone_mode=True)
        code = 0
    except SystemExit as exc:
        code = exc.code
    except BaseException as exc:  # noqa: BLE001 - the child must end whatever happened
        print(f"error: prefork child: {exc!r}", file=sys.stderr)
    try:
        end_process(code)
    finally:
        os._exit(1)


def _reset_luigi_config() -> None:
    """Luigi reads LUIGI_CONFIG_PATH when it is imported (in the server): read it again, from
    the client's environment and working directory."""
    from luigi.configuration import add_config_path, cfg_parser

    parser = cfg_parser.LuigiConfigParser
    parser._config_paths = ["/etc/luigi/client.cfg", "/etc/luigi/luigi.cfg", "client.cfg", "luigi.cfg"]
    parser._instance = None
    if os.environ.get("LUIGI_CONFIG_PATH"):
        add_config_path(os.environ["LUIGI_CONFIG_PATH"])


class Child(NamedTuple):
    conn: socket.socket     # its client's connection
    started: float          # time.monotonic() at its fork


class PreforkServer:
    """Listens on `path`; one forked child per request, its exit status sent back."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.digest = code_digest()
        self.children: dict[int, Child] = {}   # by pid
        self.selector = selectors.DefaultSelector()
        self.stopping = False
        # Held for the server's life: of two servers started at once on one socket (two runs
        # starting one each, STIR_PREFORK_START), one serves and the other stops, instead of
        # the second removing the first's socket and leaving it listening where nobody looks.
        self.lock = ProcessLock(self.path.with_name(self.path.name + ".lock"), f"prefork socket {self.path}")

    def _listen(self) -> socket.socket:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.lock.acquire(timeout=0)
        except WarehouseLockedError:
            raise StirError(f"prefork: a server already serves on {self.path} "
                            f"(process {self.lock.holder()})") from None
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(str(self.path))
        except OSError:
            self.path.unlink(missing_ok=True)      # nobody listens: a crashed server's socket
        else:
            raise StirError(f"prefork: a server already listens on {self.path}")
        finally:
            probe.close()
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(0o177)                      # the socket: its owner only
        try:
            sock.bind(str(self.path))
        finally:
            os.umask(old)
        sock.listen(16)
        return sock

    def serve_forever(self) -> None:
        listener = self._listen()
        wake_r, wake_w = os.pipe()
        os.set_blocking(wake_w, False)
        os.set_blocking(wake_r, False)
        signal.set_wakeup_fd(wake_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._stop)
        self.selector.register(listener, selectors.EVENT_READ, "accept")
        self.selector.register(wake_r, selectors.EVENT_READ, "wake")
        logger.info("prefork: serving on {} (pid {}); stir commands sent there fork from this process",
                    self.path, os.getpid())
        try:
            while not self.stopping or self.children:
                for key, _ in self.selector.select(timeout=1.0):
                    if key.data == "accept" and not self.stopping:
                        self._accept(listener)
                    elif key.data == "wake":
                        while True:
                            try:
                                if not os.read(wake_r, 512):
                                    break
                            except BlockingIOError:
                                break
                    elif isinstance(key.data, int):
                        self._client_gone(key.data)
                self._reap()
                if self.stopping and listener.fileno() >= 0:   # no new command; the running ones end
                    self.selector.unregister(listener)
                    listener.close()
                    self.path.unlink(missing_ok=True)
        finally:
            if listener.fileno() >= 0:
                listener.close()
            self.path.unlink(missing_ok=True)
            logger.info("prefork: stopped")

    def _stop(self, *_):
        self.stopping = True

    def _accept(self, listener: socket.socket) -> None:
        conn, _ = listener.accept()
        try:
            if _peer_uid(conn) != os.getuid():
                raise ConnectionError("a client of another user")
            conn.settimeout(10)
            request, fds = recv_message(conn)
            if len(fds) != 3 or not isinstance(request.get("argv"), list):
                raise ConnectionError("a request without argv and its 3 standard streams")
        except (OSError, ValueError) as exc:
            logger.warning("prefork: refused a request: {}", exc)
            conn.close()
            return
        if code_digest() != self.digest:
            logger.warning("prefork: Stir's code changed since this server started; stopping (the client "
                           "runs its command itself; start the server again)")
            self.stopping = True
            for fd in fds:
                os.close(fd)
            try:
                send_message(conn, {"stale": True})
            except OSError:
                pass                  # the client is gone: nothing to run
            conn.close()
            return
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            for key in list(self.selector.get_map().values()):   # the server's sockets and pipe
                os.close(key.fd)
            self.lock.forget()        # the server's lock is the server's, not its runs'
            _child(request, fds)
        for fd in fds:
            os.close(fd)
        logger.info("prefork: child {}: stir {}", pid, request["argv"][0] if request["argv"] else "")
        self.children[pid] = Child(conn, time.monotonic())
        try:
            send_message(conn, {"pid": pid})
        except OSError:               # the client went away before its child's pid reached it
            self._stop_child(pid)
            return
        conn.setblocking(False)
        self.selector.register(conn, selectors.EVENT_READ, pid)

    def _client_gone(self, pid: int) -> None:
        """The client's connection became readable: it sent a signal to pass on, or it is gone
        (killed: its child must not run on unobserved)."""
        child = self.children.get(pid)
        if child is None:
            return
        try:
            data = child.conn.recv(64)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if data:
            for line in data.decode(errors="replace").split():
                if line.isdigit() and int(line) in [int(s) for s in SIGNALS]:
                    os.kill(pid, int(line))
            return
        self.selector.unregister(child.conn)
        self._stop_child(pid)

    @staticmethod
    def _stop_child(pid: int) -> None:
        logger.warning("prefork: the client of child {} went away; stopping the child", pid)
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass

    def _reap(self) -> None:
        while self.children:
            try:
                pid, status, usage = os.wait4(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            code = os.waitstatus_to_exitcode(status)
            code = 128 - code if code < 0 else code        # killed by a signal: as a shell reports it
            conn, started = self.children.pop(pid)
            logger.info("prefork: child {} exited with {} after {:.1f} s, peak RSS {:.0f} MB", pid, code,
                        time.monotonic() - started, usage.ru_maxrss / 1024)
            try:
                self.selector.unregister(conn)
            except (KeyError, ValueError):    # not registered, or no longer: its client went away
                pass
            try:
                conn.setblocking(True)
                send_message(conn, {"exit": code})
            except OSError:
                pass
            conn.close()


def serve(path: Path) -> None:
    preload()
    PreforkServer(path).serve_forever()
