"""Benchmark of the 15-minute tier (discovery: staging + snapshots + two publishes) on the
embedded stack: the first run, a no-op run (same end), and a run after about 1% new events,
re-crawled posts and accounts; wall time and peak memory of each, and their ratios to the first run.

    .venv/bin/python benchmarks/fifteen_min_tier.py --profiles 20000 80000 [--recrawl recent] [--repeat 3] [--prefork]

With --repeat N the three runs are made N times per size, each time from the seeded state
(the warehouse and PostgreSQL copied aside after seeding and put back), and the median of
the N ratios is printed: on a shared machine one run's ratio moves by a few hundredths.
With --prefork every tier run is a child of `stir prefork` (bin/run_tier with
STIR_PREFORK_SOCKET, as the schedules `stir schedule` writes run the tiers), which saves each
run the 1.4 s of importing Stir's libraries; without it each run is a new process, as
`bin/run_tier` run by hand is.

Targets (issue 7): at 80k profiles the run after new data costs at most a fifth of the
first run, and no run's peak memory exceeds 2 GB.
"""
from __future__ import annotations

import argparse
import shutil
import statistics
from contextlib import nullcontext
from pathlib import Path

from phases import (REPO, bench_env, last_child_peak_mb, phase, prefork_server, run_tier_command, settle_command,
                    stir_command)

FIRST, AFTER = "2026-10-02 12:00:00", "2026-10-02 12:15:00"


def new_crawls(recrawl: str) -> list[str]:
    """new_crawls.sql's statements; with `recrawl` "recent", its posts' re-crawl (1% of the posts
    at random, of any age) is sql/recrawl_recent_posts.sql's (the posts of the seed's last two
    days)."""
    def statements(path):
        return [s.strip() for s in path.read_text().split(";\n") if s.strip()]

    found = statements(REPO / "benchmarks" / "new_crawls.sql")
    if recrawl == "recent":
        posts = [n for n, s in enumerate(found) if "INSERT INTO beat_replica.instagram_post\n" in s]
        assert len(posts) == 1, "new_crawls.sql: expected one re-crawl of beat_replica.instagram_post"
        found[posts[0]] = statements(REPO / "benchmarks" / "sql" / "recrawl_recent_posts.sql")[0]
    return found


def one_size(profiles: int, months: int, recrawl: str, keep: bool = False, repeat: int = 1,
             prefork: bool = False) -> dict:
    with bench_env("stir-bench-15min-", keep=keep) as (home, env):
        return _one_size(profiles, months, recrawl, home, env, repeat, prefork)


# What a repetition starts from: the seeded home less its seed files (which only seeding reads).
SEEDED = "seeded-state"
NOT_SAVED = {"seed", SEEDED}


def save_seeded(home: Path) -> None:
    """Copy the seeded home's state (warehouse, PostgreSQL's data directory if any, store) aside."""
    for entry in home.iterdir():
        if entry.name not in NOT_SAVED:
            (home / SEEDED).mkdir(exist_ok=True)
            _copy(entry, home / SEEDED / entry.name)


def restore_seeded(home: Path) -> None:
    """Put the home back as save_seeded found it (no process of the benchmark is using it)."""
    for entry in home.iterdir():
        if entry.name not in NOT_SAVED:
            shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
    for entry in (home / SEEDED).iterdir():
        _copy(entry, home / entry.name)


def _copy(source: Path, target: Path) -> None:
    if source.is_dir() and not source.is_symlink():
        shutil.copytree(source, target, symlinks=True)
    else:
        shutil.copy2(source, target, follow_symlinks=False)


def _one_size(profiles: int, months: int, recrawl: str, home, env, repeat: int, prefork: bool) -> dict:
    print(f"\n{profiles:,} profiles x {months} months in {home}")
    phase("seed + ingest", stir_command("seed", "--profiles", str(profiles), "--months", str(months),
                                        "--end", "2026-10-01"), env)
    phase("raw tables' parts merged", settle_command(), env)
    if repeat > 1:
        save_seeded(Path(home))
    runs = []
    for n in range(repeat):
        if n:
            restore_seeded(Path(home))
            print(f"repetition {n + 1} of {repeat}, from the seeded state again")
        with prefork_server(Path(home), env) if prefork else nullcontext() as server_log:
            runs.append(_three_runs(recrawl, env, server_log))
    ratios = sorted((r["after"].seconds / r["first"].seconds, n) for n, r in enumerate(runs))
    if repeat > 1:
        print(f"after new data / first run over {repeat} repetitions: median "
              f"{statistics.median(x for x, _ in ratios):.2f} (each: {', '.join(f'{x:.2f}' for x, _ in ratios)}; "
              f"target <= 0.20)")
    return {"profiles": profiles, **runs[ratios[(repeat - 1) // 2][1]]}


def _three_runs(recrawl: str, env, server_log: Path | None = None) -> dict:
    """The first run, the no-op run and the run after new crawls, on a seeded home (with
    `server_log`, each run a child of the prefork server logging there)."""
    def tier_run(name, end):
        run = phase(name, run_tier_command("15min", "--end", end), env)
        if server_log is not None:
            run.peak_mb = max(run.peak_mb, last_child_peak_mb(server_log))
            print(f"{'  (its child of stir prefork)':<34} {'':8}     peak RSS {run.peak_mb:8.0f} MB")
        return run

    first = tier_run("15min tier (first)", FIRST)
    noop = tier_run("15min tier (no-op, same end)", FIRST)
    statements = new_crawls(recrawl)
    for n, statement in enumerate(statements, 1):
        body = "\n".join(line for line in statement.splitlines() if not line.startswith("--"))
        phase(f"new crawls ({n}/{len(statements)})", stir_command("sql", body), env)
    after = tier_run("15min tier (after ~1% new data)", AFTER)
    print("  " + after.stdout.strip().splitlines()[-1])
    print(f"ratios to the first run: no-op {noop.seconds / first.seconds:.2f}, "
          f"after new data {after.seconds / first.seconds:.2f} (target <= 0.20); "
          f"peak {max(p.peak_mb for p in (first, noop, after)):.0f} MB (target <= 2048)")
    return {"first": first, "noop": noop, "after": after}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profiles", type=int, nargs="+", default=[20000, 80000])
    parser.add_argument("--months", type=int, default=6)
    parser.add_argument("--recrawl", choices=("random", "recent"), default="random",
                        help="the re-crawled posts: 1%% at random, of any age (default), or those of the last two days")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run the three runs this many times per size, each from the seeded state, and "
                             "print the median ratio (the sizes' comparison uses the median repetition)")
    parser.add_argument("--keep", action="store_true", help="keep each size's Stir home (removed by default)")
    parser.add_argument("--prefork", action="store_true",
                        help="run the tier runs as children of `stir prefork` (started after seeding), as "
                             "bin/run_tier does when STIR_PREFORK_SOCKET is set (the schedules of `stir schedule`)")
    args = parser.parse_args()
    results = [one_size(n, args.months, args.recrawl, args.keep, args.repeat, args.prefork) for n in args.profiles]
    if len(results) > 1:
        small, large = results[0], results[-1]
        scale = large["profiles"] / small["profiles"]
        print(f"\n{small['profiles']:,} -> {large['profiles']:,} profiles ({scale:.0f}x): first run "
              f"{large['first'].seconds / small['first'].seconds:.1f}x the time, "
              f"{large['first'].peak_mb / small['first'].peak_mb:.1f}x the memory; run after new data "
              f"{large['after'].seconds / small['after'].seconds:.1f}x the time")


if __name__ == "__main__":
    main()
