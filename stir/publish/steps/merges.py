"""Step 4 of a merge-mode table whose export is a delta: the live table takes the shadow's
rows by key and loses the gone keys, its reverse delta kept for a rollback."""
from __future__ import annotations

from typing import TYPE_CHECKING

from stir.errors import PublishError
from stir.publish.manifest import Manifest
from stir.publish.schema import table_columns
from stir.publish.specs import PublishSpec
from stir.publish.steps.pg import MARKER_PREFIX, table_marker
from stir.sqlfiles import ident, render_sql

if TYPE_CHECKING:   # (swaps imports this module)
    from stir.publish.steps.swaps import SwapPolicy


class StaleDelta(PublishError):
    """A delta export of a version the live table no longer holds: export it again."""


def merge(cur, spec: PublishSpec, manifest: Manifest, policy: SwapPolicy, tries: int, waited: float) -> str:
    """The merge publish (spec.mode = 'merge'), inside _swap_once's transaction: the live table
    takes the shadow's rows by key; returns 'merged: <counts>'."""
    table = ident(spec.table)
    live = table_marker(cur, "public", table)
    if live != MARKER_PREFIX + manifest.base:
        raise StaleDelta(f"{spec.table}: not published: export {manifest.fingerprint} holds the rows that differ "
                         f"from version {manifest.base}, but the live table is now "
                         f"{(live or 'unmarked').removeprefix(MARKER_PREFIX)}; the live table is untouched and the "
                         "next run exports against it")
    remaining_ms = max(policy.lock_timeout_ms, round((policy.max_wait_s - waited) * 1000))
    cur.execute(render_sql("stir.serving.sql", "merge.sql", table=table, key=", ".join(ident(k) for k in spec.key)),
                {"lock_timeout": f"{remaining_ms}ms", "previous": live})
    deleted, written = merge_rows(cur, spec)
    cur.execute(render_sql("stir.serving.sql", "merge_finish.sql", table=table,
                           marker=MARKER_PREFIX + manifest.fingerprint),
                {"table": spec.table, "fingerprint": manifest.fingerprint, "rows": manifest.rows, "source": spec.mart,
                 "wait_ms": round(waited * 1000), "tries": tries})
    analyze_after_merge(cur, table, deleted + written, manifest.rows)
    return (f"merged: a delta of {manifest.base}, {written:,} rows inserted or changed, {deleted:,} deleted, "
            f"{manifest.rows - manifest.changed:,} unchanged")


# A merge that changed at least this fraction of a table's rows analyzes it in its
# transaction; a smaller one leaves the statistics to autovacuum, whose default threshold
# (autovacuum_analyze_scale_factor) this is: at 5% changed rows ANALYZE was a tenth of a merge.
ANALYZE_FRACTION = 0.1


def analyze_after_merge(cur, table: str, touched: int, rows: int) -> None:
    if touched >= ANALYZE_FRACTION * rows:
        cur.execute(render_sql("stir.serving.sql", "analyze.sql", table=f"public.{table}"))


def merge_rows(cur, spec: PublishSpec) -> tuple[int, int]:
    """Apply stir_shadow.<table> (rows to insert or update) and stir_shadow.<table>__gone
    (keys to delete) to the live table, keeping the reverse delta in stir_backup. Returns
    (deleted, written)."""
    table = ident(spec.table)
    columns = [ident(name) for name, _ in table_columns(cur, "stir_shadow", spec.table)]
    key = [ident(k) for k in spec.key]

    def match(a: str, b: str) -> str:
        return " AND ".join(f"{a}.{k} = {b}.{k}" for k in key)

    cur.execute(render_sql("stir.serving.sql", "merge_backup.sql", table=table, key_match=match("new", "live"),
                           gone_match=match("gone", "live"), new_key=", ".join(f"new.{k}" for k in key)))
    cur.execute(render_sql("stir.serving.sql", "merge_delete.sql", table=table, gone_match=match("gone", "live")))
    deleted = cur.rowcount
    cur.execute(upsert_sql(table, columns, key))
    return deleted, cur.rowcount


def upsert_sql(table: str, columns: list[str], key: list[str]) -> str:
    """merge_upsert.sql for `table` (identifiers quoted): stir_shadow.<table>'s rows inserted
    into the live table, or written over the live row of their key where they differ."""
    return render_sql("stir.serving.sql", "merge_upsert.sql", table=table, columns=", ".join(columns),
                      key=", ".join(key), updates=", ".join(f"{c} = EXCLUDED.{c}" for c in columns if c not in key))
