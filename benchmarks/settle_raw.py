"""Merge every raw source table's parts into one (OPTIMIZE ... FINAL), as in a warehouse that
has held its data a while. Seeding writes each raw table in several parts, and chDB merges
them in the background of the next process that opens the warehouse: without this, the
first tier run a benchmark measures would also merge what seeding just wrote (at 80k
profiles, millions of post rows). Run as a benchmark phase, on STIR_HOME's warehouse."""
from __future__ import annotations

import sys
import time

from phases import sql
from stir.warehouse import get_warehouse
from stir.warehouse.sources import source_tables


def main() -> None:
    wh = get_warehouse()
    started = time.perf_counter()
    tables = source_tables()
    for table in tables:
        wh.command(sql("settle_table.sql", table=table))
    print(f"merged the parts of {len(tables)} raw tables in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    sys.exit(main())
