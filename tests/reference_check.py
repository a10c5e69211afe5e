"""test_reference by hand, wider: for each seed, a fresh home gets reference_data's random rows,
every tier runs, and each serving table is compared with reference_metrics. With --late, the
rows arrive in two batches: every tier first runs at T - --first-days on the rows up to then
(less a --late fraction of them, held back), then at T on the rest, so late rows and the
incremental models' intervals are checked too. Prints one line per table; exits 1 on any
difference.

    .venv/bin/python tests/reference_check.py --seeds 1 2 3
    .venv/bin/python tests/reference_check.py --seeds 7 --late 0.3 --first-days 45
    .venv/bin/python tests/reference_check.py --seeds 4 --end '2026-06-15 12:07:13'

--end moves the run's end T off the 15-minute boundary (or anywhere): reference_data draws
its rows around T, so it is read from STIR_REFERENCE_T, which --end sets before the
reference modules are imported.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def _end_from_argv() -> None:
    """--end, read before reference_data (which draws around T) is imported."""
    for i, arg in enumerate(sys.argv):
        value = sys.argv[i + 1] if arg == "--end" and i + 1 < len(sys.argv) else \
            arg.split("=", 1)[1] if arg.startswith("--end=") else None
        if value:
            os.environ["STIR_REFERENCE_T"] = str(dt.datetime.fromisoformat(value))


_end_from_argv()
from conftest import Stir  # noqa: E402
from reference_compare import TABLES, differences, ingest_and_run, published  # noqa: E402
from reference_data import T, raw_tables, ts  # noqa: E402

TIME_COLUMN = {"_e.profile_log_events": "insert_timestamp"}


def batches(raw: dict, seed: int, late: float, first_end: dt.datetime) -> list[dict]:
    """The rows up to `first_end` (less a `late` fraction), then the rest."""
    draw = random.Random(seed)
    first: dict = {name: [] for name in raw}
    rest: dict = {name: [] for name in raw}
    for name, rows in raw.items():
        for row in rows:
            on_time = row[TIME_COLUMN.get(name, "updated_at")] <= ts(first_end) and draw.random() >= late
            (first if on_time else rest)[name].append(row)
    return [first, rest]


def check(seed: int, late: float | None, first_days: float, root: Path) -> int:
    raw = raw_tables(seed)
    stir = Stir(root / f"seed-{seed}" / "home")
    runs = [(raw, T)] if late is None else list(zip(batches(raw, seed, late, T - dt.timedelta(days=first_days)),
                                                    (T - dt.timedelta(days=first_days), T)))
    for n, (rows, end) in enumerate(runs):
        ingest_and_run(stir, rows, end, stir.home.parent / f"in-{n}")
    tables = published(stir)
    count = 0
    for table, (_, expected) in TABLES.items():
        want = expected(raw)
        missing, extra, wrong = differences(want, tables[table])
        count += len(missing) + len(extra) + len(wrong)
        print(f"seed {seed}  {table:32} {len(want):6} rows  missing {len(missing)}  extra {len(extra)}  "
              f"wrong values {len(wrong)}", flush=True)
        for line in wrong[:5] + [f"missing {k!r}" for k in missing[:3]] + [f"extra {k!r}" for k in extra[:3]]:
            print("    " + line)
    return count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1])
    parser.add_argument("--late", type=float, help="run twice; this fraction of the first batch's rows arrives late")
    parser.add_argument("--first-days", type=float, default=3, help="the first run's end, in days before T")
    parser.add_argument("--keep", action="store_true", help="keep the homes (removed by default)")
    parser.add_argument("--end", help="the run's end T, 'YYYY-MM-DD hh:mm:ss' (default 2026-06-15 12:00:00)")
    args = parser.parse_args()
    print(f"T = {ts(T)}")
    root = Path(tempfile.mkdtemp(prefix="stir-reference-"))
    try:
        found = sum(check(seed, args.late, args.first_days, root) for seed in args.seeds)
    finally:
        if args.keep:
            print(f"homes kept in {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    print("no differences" if found == 0 else f"{found} differences")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
