"""Benchmark: seed N profiles, ingest, run the daily tier (models + leaderboard publish) on
the embedded stack, and print wall time and peak memory per phase.

    .venv/bin/python benchmarks/daily_tier.py --profiles 20000 --months 6
"""
from __future__ import annotations

import argparse

from phases import bench_env, phase, run_tier_command, settle_command, stir_command


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profiles", type=int, default=20000)
    parser.add_argument("--months", type=int, default=6)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark's Stir home (removed by default)")
    args = parser.parse_args()
    with bench_env("stir-bench-", keep=args.keep) as (home, env):
        run(args, home, env)


def run(args, home, env) -> None:
    print(f"{args.profiles:,} profiles x {args.months} months in {home}")
    phase("seed + ingest", stir_command("seed", "--profiles", str(args.profiles), "--months", str(args.months),
                                        "--end", "2026-10-01"), env)
    phase("raw tables' parts merged", settle_command(), env)
    first = phase("daily tier (first)", run_tier_command("daily", "--end", "2026-10-02"), env)
    noop = phase("daily tier (no-op)", run_tier_command("daily", "--end", "2026-10-02"), env)
    rows = phase("count", stir_command("sql", "--format", "csv", "SELECT count() FROM stir_marts.mart_leaderboard"),
                 env).stdout.split()[-1]
    print(f"leaderboard rows {rows}; no-op / first run = {noop.seconds / first.seconds:.2f}")


if __name__ == "__main__":
    main()
