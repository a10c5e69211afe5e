"""Storage upkeep of the snapshot marts (one snapshot per run, partitioned by `snapshot_at`)."""
from sqlmesh import macro


@macro()
def drop_snapshots_before(evaluator, table, cutoff):
    """After a snapshot mart's run: drops the partitions of `table` whose snapshots are older
    than `cutoff`, or does nothing when there are none. Dropping a partition is a metadata
    change; a DELETE is a mutation of every part even when it removes nothing, which waited
    for ClickHouse's background pool about 0.6 s per model on every run."""
    if evaluator.runtime_stage != "evaluating":
        return None
    name = table.sql(dialect="clickhouse")
    old = evaluator.engine_adapter.fetchall(
        f"SELECT DISTINCT _partition_id FROM {name} WHERE snapshot_at < {cutoff.sql(dialect='clickhouse')}"
    )
    if not old:
        return None
    return f"ALTER TABLE {name} " + ", ".join(f"DROP PARTITION ID '{pid}'" for (pid,) in sorted(old))
