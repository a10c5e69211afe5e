"""Storage upkeep of the snapshot models (one snapshot per run, partitioned by its time)."""
from sqlmesh import macro


@macro()
def drop_snapshots_before(evaluator, table, cutoff, column=None):
    """After a snapshot model's run: drops the partitions of `table` whose snapshots (dated by
    `column`, snapshot_at unless given) are older than `cutoff`, or does nothing when there
    are none. Dropping a partition is a metadata change; a DELETE is a mutation of every part
    even when it removes nothing, which waited for ClickHouse's background pool about 0.6 s
    per model on every run."""
    if evaluator.runtime_stage != "evaluating":
        return None
    name = table.sql(dialect="clickhouse")
    at = column.sql(dialect="clickhouse") if column is not None else "snapshot_at"
    old = evaluator.engine_adapter.fetchall(
        f"SELECT DISTINCT _partition_id FROM {name} WHERE {at} < {cutoff.sql(dialect='clickhouse')}"
    )
    if not old:
        return None
    return f"ALTER TABLE {name} " + ", ".join(f"DROP PARTITION ID '{pid}'" for (pid,) in sorted(old))
