"""Benchmark: seed N profiles, ingest, run the daily tier (models + leaderboard publish) on
the embedded stack, and print wall time and peak memory per phase.

    .venv/bin/python benchmarks/daily_tier.py --profiles 20000 --months 6
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def phase(name: str, args: list[str], env: dict) -> None:
    start = time.perf_counter()
    proc = subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"{name} failed:\n{proc.stdout}\n{proc.stderr}")
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"{name:<22} {elapsed:8.1f} s   peak RSS so far {peak_mb:8.0f} MB", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profiles", type=int, default=20000)
    parser.add_argument("--months", type=int, default=6)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="stir-bench-"))
    env = dict(os.environ, STIR_HOME=str(home), LUIGI_CONFIG_PATH=str(REPO / "luigi.cfg"),
               STIR_PYTHON=sys.executable, STIR_LOG_LEVEL="WARNING")
    stir = [sys.executable, "-m", "stir.cli"]
    print(f"{args.profiles:,} profiles x {args.months} months in {home}")
    phase("seed + ingest", stir + ["seed", "--profiles", str(args.profiles), "--months", str(args.months),
                                   "--end", "2026-10-01"], env)
    phase("daily tier (first)", [str(REPO / "bin" / "run_tier"), "daily", "--end", "2026-10-02"], env)
    phase("daily tier (no-op)", [str(REPO / "bin" / "run_tier"), "daily", "--end", "2026-10-02"], env)
    rows = subprocess.run(stir + ["sql", "SELECT count() FROM stir_marts.mart_leaderboard"], cwd=REPO, env=env,
                          capture_output=True, text=True).stdout.strip()
    print(f"leaderboard rows       {rows}")


if __name__ == "__main__":
    main()
