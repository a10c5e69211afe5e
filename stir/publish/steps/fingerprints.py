"""Step 1: the fingerprint of a mart's content and serving DDL; equal fingerprints mean an
identical publish, so a finished one is skipped."""
from __future__ import annotations

import hashlib

from stir.errors import PublishError
from stir.publish import delta, export_format
from stir.publish.row_hash import row_hash
from stir.publish.specs import PublishSpec
from stir.sqlfiles import ident, read_sql, render_sql
from stir.warehouse.base import Warehouse


def fingerprint(wh: Warehouse, spec: PublishSpec) -> tuple[str, int]:
    """(fingerprint, rows) of the mart's current content and the serving DDL: equal
    fingerprints mean an identical publish, so a finished one is skipped."""
    columns = _fingerprinted_columns(wh, spec)
    rows, total = wh.query(render_sql("stir.publish.sql", "fingerprint.sql", mart=ident(spec.mart),
                                      row_hash=row_hash(columns)))[0]
    return _digest(spec, columns, int(rows), total), int(rows)


def publish_fingerprint(wh: Warehouse, spec: PublishSpec) -> tuple[str, int]:
    """fingerprint(), as Publish computes it: for a merge-mode table it is summed from the row
    hashes of the version (stir.publish.delta), which are written here and kept under the
    fingerprint for the export's delta, so the mart is hashed once per publish."""
    if spec.mode != "merge":
        return fingerprint(wh, spec)
    columns = _fingerprinted_columns(wh, spec)
    pending = delta.write_hashes(wh, spec, columns)
    rows, total = delta.hashes_sum(wh, pending)
    digest = _digest(spec, columns, rows, total)
    delta.keep_hashes(wh, spec, pending, digest)
    return digest, rows


def _fingerprinted_columns(wh: Warehouse, spec: PublishSpec) -> list[tuple[str, str]]:
    columns = wh.columns(spec.mart)
    if not columns:
        raise PublishError(f"{spec.table}: mart {spec.mart} does not exist; run the models first (bin/run_tier)")
    return columns


def _digest(spec: PublishSpec, columns: list[tuple[str, str]], rows: int, total: str) -> str:
    # The row hashes know no column names or types: a renamed or retyped column is a change too.
    # The export's format is in it too: an export written in another format is never reused.
    names = ",".join(f"{name} {kind}" for name, kind in columns)
    ddl = read_sql("stir.serving.ddl", spec.ddl)
    text = f"{spec.mart}|{names}|{rows}|{total}|{ddl}|{export_format.CLICKHOUSE_FORMAT}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]
