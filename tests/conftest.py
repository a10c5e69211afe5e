"""Test fixtures. Everything runs against the real engines: chDB's ClickHouse, an embedded
PostgreSQL (pgserver), moto's S3 server over HTTP.

chDB opens one data directory per process, so this pytest process owns one warehouse
(under a session temp dir) for in-process tests, and tests of whole tier runs start the CLI
in subprocesses, each with a STIR_HOME of its own."""
from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CONTRACT = REPO.parent / "shared" / "contract"

_SESSION_HOME = Path(tempfile.mkdtemp(prefix="stir-test-"))
# Removed when pytest exits. Registered before any embedded PostgreSQL starts, so it runs
# after pgserver's own exit handler has stopped the server (atexit runs last-in, first-out).
atexit.register(shutil.rmtree, _SESSION_HOME, ignore_errors=True)
os.environ["STIR_HOME"] = str(_SESSION_HOME)
# The project under test is this checkout; the code is whichever `stir` package is imported
# (the checkout in .venv's editable install, the built wheel under tox).
os.environ["STIR_PROJECT"] = str(REPO)
STIR_BIN = Path(sys.executable).parent / "stir"
os.environ["LUIGI_CONFIG_PATH"] = str(REPO / "luigi.cfg")
os.environ.setdefault("STIR_LOG_LEVEL", "INFO")


@pytest.fixture(scope="session")
def warehouse():
    """The in-process chDB warehouse of this test session, with the raw tables created."""
    from stir.warehouse import get_warehouse
    from stir.warehouse.sources import ensure_sources

    wh = get_warehouse()
    ensure_sources(wh)
    return wh


@pytest.fixture(scope="session")
def pg():
    """A connection to this session's embedded PostgreSQL."""
    from stir.postgres import connect

    conn = connect()
    yield conn
    conn.close()


def write_jsonl(directory: Path, table: str, rows: list[dict]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{table}.jsonl"
    with path.open("w") as fh:
        for row in rows:
            fh.write(json.dumps(row) + "\n")
    return path


class Stir:
    """Runs the `stir` CLI and bin/run_tier in subprocesses against one STIR_HOME."""

    def __init__(self, home: Path):
        self.home = home
        self.env = dict(os.environ, STIR_HOME=str(home), LUIGI_CONFIG_PATH=str(REPO / "luigi.cfg"),
                        STIR_PYTHON=sys.executable)

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        self.home.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run([str(STIR_BIN), *args], cwd=self.home, env=self.env,
                              capture_output=True, text=True, timeout=900)
        if check and proc.returncode != 0:
            raise AssertionError(f"stir {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
        return proc

    def run_tier(self, tier: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        proc = subprocess.run([str(REPO / "bin" / "run_tier"), tier, *args], cwd=REPO, env=self.env,
                              capture_output=True, text=True, timeout=900)
        if check and proc.returncode != 0:
            raise AssertionError(f"run_tier {tier} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
        return proc

    def sql(self, query: str) -> list[list]:
        out = self.run("sql", "--format", "json", query).stdout
        return [list(json.loads(line).values()) for line in out.splitlines() if line.strip()]

    def pg(self):
        """A psycopg2 connection to this home's embedded PostgreSQL (started if needed)."""
        import psycopg2
        import pgserver

        server = pgserver.get_server(self.home / "postgres", cleanup_mode="stop")
        return psycopg2.connect(server.get_uri())


@pytest.fixture
def stir_home(tmp_path) -> Stir:
    return Stir(tmp_path / "home")


@pytest.fixture
def caplog_loguru():
    """The messages Stir logs (loguru) during a test, as a list of strings."""
    from loguru import logger

    messages: list[str] = []
    sink = logger.add(lambda m: messages.append(m.record["message"]), level="DEBUG")
    yield messages
    logger.remove(sink)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def moto_s3(monkeypatch):
    """moto's S3 server over HTTP on a free port, with a bucket stir-exports; yields its URL."""
    import boto3
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "stir-test-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "stir-test-secret")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    endpoint = f"http://127.0.0.1:{port}"
    boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket="stir-exports")
    yield endpoint
    server.stop()


SSHD = shutil.which("sshd") or next((p for p in ("/usr/sbin/sshd", "/usr/local/sbin/sshd") if Path(p).exists()), None)


@pytest.fixture(scope="session")
def sshd(tmp_path_factory):
    """A real OpenSSH server on 127.0.0.1 (a free port), accepting only a key made for this
    session, standing in for the PostgreSQL host of transfer = ssh. Yields the STIR_SSH_*
    settings that reach it (its host key pinned in a known_hosts file of its own)."""
    import getpass
    import socket
    import time

    if SSHD is None:
        pytest.skip("OpenSSH's sshd is not installed (.ci/run installs Debian's openssh-server)")
    base = tmp_path_factory.mktemp("sshd")
    for name in ("host_key", "client_key"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(base / name)], check=True)
    (base / "authorized_keys").write_text((base / "client_key.pub").read_text())
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    (base / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {base / 'host_key'}\nPidFile {base / 'sshd.pid'}\n"
        f"AuthorizedKeysFile {base / 'authorized_keys'}\nStrictModes no\nUsePAM no\n"
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\n"
        "Subsystem sftp internal-sftp\nLogLevel ERROR\n")
    if os.geteuid() == 0:
        Path("/run/sshd").mkdir(exist_ok=True)  # sshd's privilege separation directory
    server = subprocess.Popen([SSHD, "-D", "-e", "-f", str(base / "sshd_config")], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"sshd did not start: {server.stderr.read().decode()[-500:]}")
            time.sleep(0.1)
    host_key = (base / "host_key.pub").read_text().split()
    # The stage directory is read by PostgreSQL's OS user (pgserver's own user under root),
    # so it lies outside pytest's private temporary directories.
    stage = Path(tempfile.mkdtemp(prefix="stir-ssh-stage-"))
    stage.chmod(0o755)
    (base / "known_hosts").write_text(f"[127.0.0.1]:{port} {host_key[0]} {host_key[1]}\n")
    yield {"STIR_SSH_HOST": "127.0.0.1", "STIR_SSH_PORT": str(port), "STIR_SSH_USER": getpass.getuser(),
           "STIR_SSH_KEY_FILE": str(base / "client_key"), "STIR_SSH_KNOWN_HOSTS": str(base / "known_hosts"),
           "STIR_SSH_STAGE_DIR": str(stage / "stage dir; $(touch pwned)")}
    server.terminate()
    shutil.rmtree(stage, ignore_errors=True)
    server.wait(timeout=10)
