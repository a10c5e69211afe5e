"""`stir rollback`: the backup kept by the last swap (or the reverse delta of the last
merge) made live again."""
from __future__ import annotations

from loguru import logger

from stir.errors import PublishError
from stir.publish.specs import PublishSpec
from stir.publish.steps.merges import analyze_after_merge, merge_rows
from stir.publish.steps.pg import MARKER_PREFIX, table_marker, transaction
from stir.serving import api_objects
from stir.sqlfiles import ident, read_sql, render_sql


def rollback(conn, spec: PublishSpec) -> str:
    """Put the backup kept by the last swap live again (and the live table in its place).
    Returns the restored table's fingerprint. The next tier run publishes the mart again if
    its content differs, so fix the cause (or pause the tier) first."""
    table = ident(spec.table)
    with transaction(conn, f"{spec.table}: rollback failed; nothing changed.") as cur:
        restored = table_marker(cur, "stir_backup", table)
        live = table_marker(cur, "public", table)
        if restored is None and live is not None:
            raise PublishError(f"{spec.table}: there is no earlier version to roll back to: no backup of the live "
                               f"table (fingerprint {live.removeprefix(MARKER_PREFIX)}) is kept, as after a first publish")
        if restored is None:
            raise PublishError(f"{spec.table}: nothing to roll back: the table has not been published yet")
        if live is None:
            raise PublishError(f"{spec.table}: there is no live table to roll back")
        fingerprint = restored.removeprefix(MARKER_PREFIX)
        cur.execute(read_sql("stir.serving.sql", "backup_kind.sql"), {"table": spec.table})
        if cur.fetchone()[0]:  # the last publish was a merge: apply its reverse delta, as a merge
            cur.execute(render_sql("stir.serving.sql", "merge_rollback.sql", table=table))
            cur.execute(render_sql("stir.serving.sql", "merge.sql", table=table,
                                   key=", ".join(ident(k) for k in spec.key)),
                        {"lock_timeout": "60s", "previous": live})
            deleted, written = merge_rows(cur, spec)
            cur.execute(render_sql("stir.serving.sql", "count.sql", table=table))
            rows = cur.fetchone()[0]
            cur.execute(render_sql("stir.serving.sql", "merge_finish.sql", table=table, marker=restored),
                        {"table": spec.table, "fingerprint": fingerprint, "rows": rows, "source": "rollback",
                         "wait_ms": 0, "tries": 0})
            analyze_after_merge(cur, table, deleted + written, rows)
        else:
            kept = api_objects.capture(cur, table)
            cur.execute(render_sql("stir.serving.sql", "rollback.sql", table=table),
                        {"table": spec.table, "fingerprint": fingerprint})
            api_objects.restore(cur, table, kept)
    logger.info("{}: rolled back to fingerprint {}; a second rollback restores the version it replaced (kept in "
                "stir_backup.{})", spec.table, fingerprint, table)
    return fingerprint
