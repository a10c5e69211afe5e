"""Delta exports of merge-mode tables (PublishSpec mode = 'merge'): the warehouse keeps one
hash per row and key of every exported version (stir_publish.<table>__<fingerprint>), so a
publish against a live version whose hashes are kept exports only the rows that are new or
changed (data.tsv) and the keys that are gone (gone.tsv). The merge then touches those rows
only; its cost follows the change, not the table.

Without the live version's hashes (a first publish, a live table published before, hashes
dropped), or when more than merge_max_changed of the rows differ, the export is the whole
version, and it is swapped in rather than merged (steps.swaps).

The hashes are written when Publish fingerprints the mart (steps.publish_fingerprint), and
the fingerprint is summed from them: the mart is hashed once per publish, not twice."""
from __future__ import annotations

import uuid

from stir.publish.row_hash import row_hash
from stir.publish.specs import PublishSpec
from stir.sqlfiles import ident, render_fragment, render_sql
from stir.warehouse.base import Warehouse


def hashes_table(table: str, fingerprint: str) -> str:
    return ident(f"stir_publish.{table}__{fingerprint}")


def _key(spec: PublishSpec) -> str:
    return ", ".join(ident(k) for k in spec.key)


def write_hashes(wh: Warehouse, spec: PublishSpec, columns: list[tuple[str, str]]) -> str:
    """Hash the mart's rows (`columns`: (name, type) of all of them, in order) into a pending
    table, whole once this returns; returns its name, for keep_hashes."""
    pending = ident(f"stir_publish.{spec.table}__pending_{uuid.uuid4().hex[:12]}")
    wh.script(render_sql("stir.publish.sql", "row_hashes.sql", pending=pending, key=_key(spec),
                         row_hash=row_hash(columns), mart=ident(spec.mart)))
    return pending


def hashes_sum(wh: Warehouse, table: str) -> tuple[int, str]:
    """(rows, sum of hashes) of a row-hash table: fingerprint.sql's figures for its version."""
    rows, total = wh.query(render_sql("stir.publish.sql", "hashes_fingerprint.sql", hashes=table))[0]
    return int(rows), total


def keep_hashes(wh: Warehouse, spec: PublishSpec, pending: str, fingerprint: str) -> None:
    """Name pending hashes as version `fingerprint`'s (if that version's are kept already, they
    are the same hashes, and the pending ones go)."""
    if not has_hashes(wh, spec, fingerprint):
        try:
            wh.command(render_sql("stir.publish.sql", "hashes_rename.sql", pending=pending,
                                  hashes=hashes_table(spec.table, fingerprint)))
            return
        except Exception:
            if not has_hashes(wh, spec, fingerprint):   # not a concurrent publish's rename: a failure
                raise
    wh.command(render_sql("stir.publish.sql", "drop_hashes.sql", hashes=pending))


def has_hashes(wh: Warehouse, spec: PublishSpec, fingerprint: str) -> bool:
    return wh.table_exists(hashes_table(spec.table, fingerprint))


def write_changed(wh: Warehouse, spec: PublishSpec, fingerprint: str, base: str) -> tuple[str, int]:
    """The keys whose row is new or differs from version `base`, found once (a join of the two
    versions' hashes) into a table of their own that the count, the text check and the export
    read: (its name, the number of keys). drop_changed removes it."""
    changed = ident(f"stir_publish.{spec.table}__changed_{fingerprint}_{base}")
    wh.script(render_sql("stir.publish.sql", "delta_changed.sql", changed=changed, key=_key(spec),
                         hashes=hashes_table(spec.table, fingerprint), base=hashes_table(spec.table, base)))
    return changed, int(wh.scalar(render_sql("stir.publish.sql", "row_count.sql", mart=changed)))


def drop_changed(wh: Warehouse, changed: str) -> None:
    wh.command(render_sql("stir.publish.sql", "drop_hashes.sql", hashes=changed))


def rows_sql(spec: PublishSpec, changed: str) -> str:
    """A subquery (in parentheses) of the mart rows whose key is in `changed` (write_changed)."""
    return "(" + render_fragment("stir.publish.sql", "delta_rows.sql", mart=ident(spec.mart), key=_key(spec),
                                 changed=changed) + ")"


def export_sql(spec: PublishSpec, changed: str, destination: str, columns: str) -> str:
    """The INSERT writing the changed rows (export `columns`) to `destination`."""
    return render_sql("stir.publish.sql", "delta_export.sql", destination=destination, columns=columns,
                      rows=rows_sql(spec, changed))


def gone_sql(spec: PublishSpec, fingerprint: str, base: str, destination: str) -> str:
    """The INSERT writing the keys of version `base` that version `fingerprint` lacks."""
    return render_sql("stir.publish.sql", "delta_gone.sql", destination=destination, key=_key(spec),
                      hashes=hashes_table(spec.table, fingerprint), base=hashes_table(spec.table, base))


def prune_hashes(wh: Warehouse, spec: PublishSpec, keep: set[str], started: float) -> list[str]:
    """Drop the kept hashes of every version of the table but those in `keep` (the live one
    and the backup's, which a rollback makes live again), and the pending hashes and changed
    keys a crash left, of the tables made before `started` (the run's start: a newer one may
    be a concurrent publish's, still in use). Returns the fingerprints (and other names) dropped."""
    prefix = f"{spec.table}__"
    tables = wh.query(render_sql("stir.publish.sql", "hashes_tables.sql", prefix=prefix))
    doomed = [name.removeprefix(prefix) for name, made in tables
              if name.removeprefix(prefix) not in keep and int(made) + 1 <= started]
    for fingerprint in doomed:
        wh.command(render_sql("stir.publish.sql", "drop_hashes.sql", hashes=hashes_table(spec.table, fingerprint)))
    return doomed
