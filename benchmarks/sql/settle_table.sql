-- Merge a table's parts into one now. A CREATE ... AS SELECT or an ingest writes several,
-- and their background merge would otherwise run inside what is measured next: the first
-- publish path after a benchmark mart is built (about 1 s of a core at 1M rows), or the
-- first tier run after seeding (benchmarks/settle_raw.py).
OPTIMIZE TABLE $table FINAL
