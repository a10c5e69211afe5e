"""`stir prefork` (stir/prefork.py) and its client (bin/run_tier with STIR_PREFORK_SOCKET):
a real server process forking real tier runs on a seeded home."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import REPO, STIR_BIN, Stir
from stir.prefork_client import LOG_LIMIT

END = "2026-09-01 12:00:00"


class Server:
    def __init__(self, stir: Stir, socket_path: Path):
        self.stir, self.socket = stir, socket_path
        self.log = socket_path.with_suffix(".log")
        self.env = dict(stir.env, STIR_PREFORK_SOCKET=str(socket_path))
        self.proc = None

    def start(self) -> "Server":
        with open(self.log, "a") as log:
            self.proc = subprocess.Popen([str(STIR_BIN), "--log-level", "INFO", "prefork", "--socket", str(self.socket)],
                                         env=self.stir.env, stdout=log, stderr=subprocess.STDOUT)
        for _ in range(600):
            if self.socket.exists():
                return self
            assert self.proc.poll() is None, self.log.read_text()
            time.sleep(0.05)
        raise AssertionError("stir prefork never listened")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=60)

    def client(self, *args: str, cwd: Path = REPO, env: dict | None = None) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "stir.prefork_client", str(self.socket), *args],
                                env=env or self.env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def children(self) -> list[tuple[int, int]]:
        """(pid, exit status) of every child the server reported ended."""
        return [(int(pid), int(code)) for pid, code in
                re.findall(r"prefork: child (\d+) exited with (-?\d+)", self.log.read_text())]

    def started(self) -> list[int]:
        return [int(pid) for pid in re.findall(r"prefork: child (\d+): stir", self.log.read_text())]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    stir = Stir(tmp_path_factory.mktemp("prefork") / "home")
    stir.run("seed", "--profiles", "30", "--months", "2", "--end", "2026-09-01")
    return stir


@pytest.fixture
def server(seeded, tmp_path):
    found = Server(seeded, tmp_path / "prefork.sock").start()
    yield found
    found.stop()


def run_tier(env, *args):
    return subprocess.run([str(REPO / "bin" / "run_tier"), *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=900)


def test_a_tier_run_is_a_child_of_the_server_and_says_what_a_direct_run_says(seeded, server):
    first = run_tier(server.env, "15min", "--end", END)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "running the command in this process" not in first.stderr
    assert "done: models ran; published instagram_account, youtube_account" in first.stdout
    (pid, code), = server.children()
    assert code == 0
    # The run's own log file carries the pid of the process that ran it: the server's child.
    assert [p.name for p in (seeded.home / "logs").glob(f"15min-*-{pid}.log")], list((seeded.home / "logs").iterdir())
    with seeded.pg() as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM instagram_account")
        assert cur.fetchone()[0] > 0
    conn.close()
    again = run_tier(server.env, "15min", "--end", END)
    direct = run_tier(seeded.env, "15min", "--end", END)    # no STIR_PREFORK_SOCKET: its own process
    assert again.returncode == direct.returncode == 0
    assert again.stdout.splitlines()[-1] == direct.stdout.splitlines()[-1]
    assert "nothing to do" in again.stdout
    assert len(server.children()) == 2


def test_exit_status_streams_environment_and_directory_are_the_clients(server, tmp_path):
    version = server.client("--version")
    out, err = version.communicate(timeout=120)
    assert version.returncode == 0 and out.startswith("stir, version"), err
    bad = server.client("run-tier", "nosuchtier")
    out, err = bad.communicate(timeout=120)
    assert bad.returncode == 2 and "'nosuchtier' is not one of" in err
    # The child reads the client's environment (a home of its own) and working directory.
    info = server.client("info", env=dict(server.env, STIR_HOME=str(tmp_path / "other-home")))
    out, err = info.communicate(timeout=120)
    assert info.returncode == 0, err
    assert re.search(rf"^home +{tmp_path}/other-home$", out, re.M), out
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    files = server.client("seed", "--profiles", "1", "--months", "1", "--end", "2026-09-01", "--no-ingest",
                          "--out", "files", cwd=elsewhere)
    out, err = files.communicate(timeout=120)
    assert files.returncode == 0, err
    assert list((elsewhere / "files").iterdir()), out
    assert [code for _, code in server.children()] == [0, 2, 0, 0]


def hold_warehouse(stir: Stir):
    from stir.warehouse.lock import ProcessLock

    lock = ProcessLock(Path(str((stir.home / "warehouse").resolve()) + ".lock"), "the test's hold")
    lock.acquire(10)
    return lock


def wait_for_child(server, count):
    for _ in range(600):
        if len(server.started()) >= count:
            return server.started()[count - 1]
        time.sleep(0.05)
    raise AssertionError(server.log.read_text())


def gone(pid: int) -> bool:
    for _ in range(600):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def test_sigterm_to_the_client_stops_its_child_and_a_killed_client_too(seeded, server):
    lock = hold_warehouse(seeded)            # so the child's command waits for the warehouse
    try:
        waiting = server.client("sql", "SELECT 1")
        child = wait_for_child(server, 1)
        time.sleep(0.5)
        assert waiting.poll() is None
        waiting.send_signal(signal.SIGTERM)  # as coreutils `timeout` would
        waiting.communicate(timeout=60)
        assert waiting.returncode == 128 + signal.SIGTERM
        assert gone(child)
        assert (child, 128 + signal.SIGTERM) in server.children()

        killed = server.client("sql", "SELECT 1")
        child = wait_for_child(server, 2)
        killed.kill()
        killed.communicate(timeout=60)
        assert gone(child), "the child of a killed client ran on"
        assert "the client of child" in server.log.read_text()
    finally:
        lock.release()
    assert server.proc.poll() is None        # the server serves on


def test_a_client_gone_before_its_childs_pid_reaches_it_stops_the_child_not_the_server(seeded, server):
    import socket

    from stir.prefork_protocol import send_message

    lock = hold_warehouse(seeded)            # so the child's command would wait for the warehouse
    try:
        with open(os.devnull, "r+") as null:
            conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            conn.connect(str(server.socket))
            send_message(conn, {"argv": ["sql", "SELECT 1"], "env": server.env, "cwd": str(REPO)}, [null.fileno()] * 3)
            conn.close()                     # before the server's reply
        child = wait_for_child(server, 1)
        assert gone(child), "the child of a vanished client ran on"
    finally:
        lock.release()
    assert "the client of child" in server.log.read_text()
    assert server.proc.poll() is None        # the server serves on
    after = server.client("--version")
    out, err = after.communicate(timeout=120)
    assert after.returncode == 0 and out.startswith("stir, version"), err


def test_a_stopped_server_takes_no_new_command_and_lets_the_running_one_end(seeded, server):
    lock = hold_warehouse(seeded)
    try:
        running = server.client("sql", "SELECT 41 + 1 AS answer")
        wait_for_child(server, 1)
        server.proc.terminate()
        for _ in range(200):
            if not server.socket.exists():
                break
            time.sleep(0.05)
        assert not server.socket.exists()
        assert server.proc.poll() is None and running.poll() is None   # both wait for the warehouse
        late = server.client("--version")
        out, err = late.communicate(timeout=120)
        assert late.returncode == 0 and "running the command in this process" in err
    finally:
        lock.release()
    out, err = running.communicate(timeout=120)
    assert running.returncode == 0 and "42" in out, err
    assert server.proc.wait(timeout=60) == 0


def test_without_a_server_the_command_runs_in_the_clients_process(seeded, tmp_path):
    env = dict(seeded.env, STIR_PREFORK_SOCKET=str(tmp_path / "none.sock"))
    proc = subprocess.run([sys.executable, "-m", "stir.prefork_client", str(tmp_path / "none.sock"), "--version"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.startswith("stir, version")
    assert "no server at" in proc.stderr and "running the command in this process" in proc.stderr


def test_the_server_stops_when_stirs_code_changes_and_the_command_still_runs(server):
    import stir

    source = Path(stir.__file__).with_name("tiers.py")
    before = source.stat()
    os.utime(source, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000_000))
    try:
        proc = server.client("--version")
        out, err = proc.communicate(timeout=120)
    finally:
        os.utime(source, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert proc.returncode == 0 and out.startswith("stir, version")
    assert "runs older code than this Stir" in err
    server.proc.wait(timeout=60)
    assert server.proc.returncode == 0 and not server.socket.exists()


def test_a_second_server_on_the_same_socket_is_refused(server):
    def second_server():
        return subprocess.run([str(STIR_BIN), "prefork", "--socket", str(server.socket)], env=server.stir.env,
                              capture_output=True, text=True, timeout=120)

    second = second_server()
    assert second.returncode == 1 and f"a server already serves on {server.socket} (process {server.proc.pid})" \
        in second.stderr
    assert server.proc.poll() is None and server.socket.exists()
    # The server's lock, not its socket, decides: a second server that found no socket (as
    # when two start at once) would otherwise bind a new one and orphan the first.
    server.socket.unlink()
    second = second_server()
    assert second.returncode == 1 and "a server already serves on" in second.stderr
    assert server.proc.poll() is None and not server.socket.exists()


def test_a_client_finding_no_server_starts_one_when_told_to(seeded, tmp_path):
    """STIR_PREFORK_START=1 (the crontab of `stir schedule`): the run without a server runs
    itself and starts one, detached, that serves the next runs."""
    socket_path = tmp_path / "auto.sock"
    env = dict(seeded.env, STIR_PREFORK_SOCKET=str(socket_path), STIR_PREFORK_START="1")

    def client():
        return subprocess.run([sys.executable, "-m", "stir.prefork_client", str(socket_path), "tiers"], env=env,
                              cwd=REPO, capture_output=True, text=True, timeout=120)

    full = b"x" * (LOG_LIMIT + 1)     # an earlier server's log, past its limit: moved aside
    socket_path.with_suffix(".log").write_bytes(full)
    first = client()
    assert first.returncode == 0 and first.stdout.startswith("tier"), first.stderr
    assert tmp_path.joinpath("auto.log.1").read_bytes() == full
    assert f"running the command in this process; started a server there for the next runs (log " \
           f"{socket_path.with_suffix('.log')})" in first.stderr
    lock = socket_path.with_name("auto.sock.lock")
    for _ in range(1200):
        if socket_path.exists():
            break
        time.sleep(0.05)
    assert socket_path.exists(), socket_path.with_suffix(".log").read_text()
    pid = int(lock.read_text())
    try:
        second = client()
        assert second.returncode == 0 and second.stdout == first.stdout, second.stderr
        assert "in this process" not in second.stderr
        log = socket_path.with_suffix(".log").read_text()
        assert re.search(r"prefork: child \d+: stir tiers", log) and len(log) < LOG_LIMIT
    finally:
        os.kill(pid, signal.SIGTERM)
        for _ in range(600):
            if not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]:
                break
            time.sleep(0.05)
    assert not socket_path.exists()
