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
# The SQLMesh model tests run once (test_production_paths), not in the plan of every Stir home
# a test makes (2 s each); test_republish checks that a failing one stops the plan.
os.environ["STIR_PLAN_TESTS"] = "false"


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


def pg_rows(pg, query: str) -> list[tuple]:
    """The rows of one query on a psycopg2 connection, leaving no transaction open."""
    with pg.cursor() as cur:
        cur.execute(query)
        found = cur.fetchall()
    pg.rollback()
    return found


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


@pytest.fixture(scope="session")
def every_tier_home(tmp_path_factory):
    """A home with reference_data's random raw rows in which every tier that publishes has run
    once, at the same end: (Stir, the raw rows). test_reference compares its serving tables
    with reference_metrics; test_status probes it (changing only stir_meta)."""
    from reference_compare import ingest_and_run
    from reference_data import T, raw_tables

    raw = raw_tables(20261127)
    stir = Stir(tmp_path_factory.mktemp("every-tier") / "home")
    ingest_and_run(stir, raw, T, stir.home.parent / "in")
    return stir, raw


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
    """moto's S3 server over HTTP on a free port, with a bucket stir-exports and nothing else;
    yields its URL. (moto keeps its buckets in the test process, across servers: each test's
    server is reset first, so no test sees another's objects.)"""
    import urllib.request

    import boto3
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "stir-test-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "stir-test-secret")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    endpoint = f"http://127.0.0.1:{port}"
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")).close()
    boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket="stir-exports")
    yield endpoint
    server.stop()


@pytest.fixture(scope="session")
def sshd(tmp_path_factory):
    """A real OpenSSH server on 127.0.0.1 standing in for the PostgreSQL host of transfer = ssh
    (tests/sshd_server.py). Yields the STIR_SSH_* settings that reach it."""
    from sshd_server import SSHD, sshd_server

    if SSHD is None:
        pytest.skip("OpenSSH's sshd is not installed (.ci/run installs Debian's openssh-server)")
    with sshd_server(tmp_path_factory.mktemp("sshd")) as settings:
        yield settings


@pytest.fixture
def own_leaderboard(pg):
    """The session PostgreSQL's leaderboard, its shadow and backup, reset to the empty table
    `stir migrate` makes, before and after the test: a test that publishes thousands of rows
    leaves no live table that the next module's one-row publishes fall short of."""
    from stir.serving.migrate import migrate

    def reset():
        with pg.cursor() as cur:
            for name in ("public.leaderboard", "stir_shadow.leaderboard", "stir_shadow.leaderboard__gone",
                         "stir_backup.leaderboard", "stir_backup.leaderboard__inserted"):
                cur.execute(f"DROP TABLE IF EXISTS {name} CASCADE")
        pg.commit()
        migrate(pg)

    reset()
    yield
    reset()
