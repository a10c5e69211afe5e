"""Timing and peak memory of benchmark phases, each a command run in a child process.

Each phase runs under a small wrapper process, so the peak RSS reported is that phase's own
(the largest of its processes), not the largest seen since the benchmark started."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Iterator

REPO = Path(__file__).resolve().parent.parent
SQL = REPO / "benchmarks" / "sql"
_WRAPPER = (
    "import resource, subprocess, sys\n"
    "proc = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
    "sys.stdout.write(proc.stdout); sys.stderr.write(proc.stderr)\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)\n"
    "sys.exit(proc.returncode)\n"
)


@dataclass
class Phase:
    name: str
    seconds: float
    peak_mb: float
    stdout: str


@contextmanager
def bench_env(prefix: str, keep: bool = False) -> Iterator[tuple[Path, dict]]:
    """A fresh Stir home in the temp directory and the environment of commands using it. The
    home (gigabytes at 80k profiles: seed files, warehouse, exports) is removed afterwards
    unless `keep`; its embedded PostgreSQL stopped with the last phase's process."""
    home = Path(tempfile.mkdtemp(prefix=prefix))
    env = dict(os.environ, STIR_HOME=str(home), STIR_PROJECT=str(REPO), LUIGI_CONFIG_PATH=str(REPO / "luigi.cfg"),
               STIR_PYTHON=sys.executable, STIR_LOG_LEVEL="WARNING")
    try:
        yield home, env
    finally:
        if keep:
            print(f"kept {home}")
        else:
            shutil.rmtree(home, ignore_errors=True)


def sql(name: str, **values) -> str:
    """benchmarks/sql/<name> with its $placeholders filled in."""
    return Template((SQL / name).read_text()).substitute(values)


def stir_command(*args: str) -> list[str]:
    return [str(Path(sys.executable).parent / "stir"), *args]


def settle_command() -> list[str]:
    """benchmarks/settle_raw.py: the raw tables' parts merged, as seeding leaves them several."""
    return [sys.executable, str(REPO / "benchmarks" / "settle_raw.py")]


def run_tier_command(*args: str) -> list[str]:
    return [str(REPO / "bin" / "run_tier"), *args]


@contextmanager
def prefork_server(home: Path, env: dict) -> Iterator[Path]:
    """`stir prefork` serving this home's runs for the duration (bin/run_tier sends its run to
    it: env gets STIR_PREFORK_SOCKET); yields the server's log, which names each child's peak
    RSS (the phase's own wrapper sees only the client's)."""
    socket_path, log_path = home / "run" / "prefork.sock", home / "prefork.log"
    with open(log_path, "w") as log:
        server = subprocess.Popen(stir_command("--log-level", "INFO", "prefork", "--socket", str(socket_path)),
                                  cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while not socket_path.exists():
            if server.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"stir prefork did not start:\n{log_path.read_text()}")
            time.sleep(0.1)
        env["STIR_PREFORK_SOCKET"] = str(socket_path)
        yield log_path
    finally:
        env.pop("STIR_PREFORK_SOCKET", None)
        server.terminate()
        server.wait(timeout=60)


def last_child_peak_mb(log_path: Path) -> float:
    """The peak RSS (MB) of the last child the prefork server reported in `log_path`."""
    found = re.findall(r"prefork: child \d+ exited with -?\d+.*, peak RSS (\d+) MB", log_path.read_text())
    if not found:
        sys.exit(f"no child reported in {log_path}")
    return float(found[-1])


def phase(name: str, args: list[str], env: dict) -> Phase:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _WRAPPER, *args], cwd=REPO, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"{name} failed:\n{proc.stdout}\n{proc.stderr}")
    peak_mb = int(proc.stderr.strip().splitlines()[-1]) / 1024
    print(f"{name:<34} {elapsed:8.1f} s   peak RSS {peak_mb:8.0f} MB", flush=True)
    return Phase(name, elapsed, peak_mb, proc.stdout)
