-- Merge a raw table's parts into one now (benchmarks/settle_raw.py).
OPTIMIZE TABLE $table FINAL
