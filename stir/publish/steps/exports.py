"""Step 2: the export of a mart (whole, in parts, or a merge table's delta) to the staging
store, with its manifest; and the pruning of old exports."""
from __future__ import annotations

from dataclasses import replace
from typing import Callable

from loguru import logger

from stir.errors import PublishError
from stir.publish import delta, export_format
from stir.publish.manifest import (Manifest, data_key, export_prefix, exports_root, fingerprint_of, gone_key,
                                   is_part, manifest_key, part_number, part_pattern)
from stir.publish.specs import PublishSpec
from stir.publish.steps.fingerprints import fingerprint
from stir.sqlfiles import ident, render_fragment, render_sql
from stir.store.base import Store
from stir.warehouse.base import Warehouse


def _is_text(ch_type: str) -> bool:
    while ch_type.startswith(("Nullable(", "LowCardinality(")):
        ch_type = ch_type[ch_type.index("(") + 1 : -1]
    return ch_type == "String" or ch_type.startswith("FixedString(")


def exported_columns(wh: Warehouse, spec: PublishSpec, only: frozenset[str] | None = None) -> list[tuple[str, str]]:
    """(name, type) of the mart columns an export writes: all of them, or those in `only`
    (the serving table's, for a spec with extra_columns = 'ignore')."""
    return [(name, kind) for name, kind in wh.columns(spec.mart) if only is None or name in only]


def export_select(columns: list[tuple[str, str]]) -> str:
    """The export's select list of `columns` (exported_columns), text ones through
    text_column.sql (one rule for every serving table)."""
    return ", ".join(
        render_fragment("stir.publish.sql", "text_column.sql", column=ident(name))
        if _is_text(kind) else ident(name)
        for name, kind in columns
    )


def warn_text_changes(wh: Warehouse, spec: PublishSpec, columns: list[tuple[str, str]], rows: str) -> None:
    """Log, per text column of `columns`, how many of the values in `rows` (the mart, or a
    delta's rows: a subquery) text_column.sql changes."""
    text = [ident(name) for name, kind in columns if _is_text(kind)]
    if not text:
        return
    counts = ", ".join(render_fragment("stir.publish.sql", "text_change_count.sql", column=c) for c in text)
    changed = wh.query(render_sql("stir.publish.sql", "text_changes.sql", counts=counts, rows=rows))[0]
    for column, n in zip(text, changed):
        if n:
            logger.warning("{}: column {}: {:,} value(s) had NUL characters (removed) or bytes that are "
                           "not UTF-8 (replaced by U+FFFD)", spec.table, column, n)


def _write(wh: Warehouse, store: Store, spec: PublishSpec, key: str, statement: Callable[[str], str],
           fmt: str = export_format.CLICKHOUSE_FORMAT) -> None:
    """Run the INSERT `statement(destination)` that writes object `key` of the store."""
    destination = store.clickhouse_destination(key, fmt)
    try:
        wh.command(statement(destination))
    except Exception as exc:  # the driver's message may quote the SQL, credentials included
        message = str(exc).replace(destination, store.describe(key))
        for secret in store.secrets():
            message = message.replace(secret, "***")
        raise PublishError(f"{spec.table}: exporting {spec.mart} to {store.describe(key)} failed: {message}") from None


def export(wh: Warehouse, store: Store, spec: PublishSpec, expected: str, compression: str = "gzip",
           checksum: bool = False, only: frozenset[str] | None = None, base: str | None = None,
           parts: int = 1, max_changed: float = 1.0, parts_min_rows: int = 0) -> Manifest:
    """Write the mart (its columns in `only`, if given) to the store (export_format, compressed or not), then
    its manifest (with the export's size and SHA-256 if `checksum`). Fails if the mart changed
    meanwhile. A merge-mode table whose live version `base` has its row hashes kept exports
    only the rows that differ from it, and the keys it lost (stir.publish.delta), unless they
    are more than `max_changed` of its rows: then the whole version, which is swapped in. With
    `parts` > 1 a whole version of at least `parts_min_rows` rows is written as that many
    files, split by key, for as many COPY streams (the manifest lists them)."""
    data = data_key(spec.table, expected, compression)
    columns = exported_columns(wh, spec, only)
    select = export_select(columns)
    names = [name for name, _ in columns]
    changed = gone = keys = None
    written: list[str] = []   # the parts, for an export in parts
    if spec.mode == "merge" and not delta.has_hashes(wh, spec, expected):   # (publish_fingerprint wrote them)
        pending = delta.write_hashes(wh, spec, wh.columns(spec.mart))
        delta.keep_hashes(wh, spec, pending, expected)
    if spec.mode == "merge" and base and base != expected and delta.has_hashes(wh, spec, base):
        keys, changed = delta.write_changed(wh, spec, expected, base)
        gone = gone_key(spec.table, expected)
        total = row_count(wh, spec)
        if changed > max_changed * total:
            logger.info("{}: {:,} of the {:,} rows of {} differ from the live version {}, more than "
                        "merge_max_changed ({:g}): the whole version is exported and swapped in", spec.table,
                        changed, total, spec.mart, base, max_changed)
            delta.drop_changed(wh, keys)
            changed = gone = base = keys = None
    if keys is not None:
        logger.info("{}: exporting the {:,} rows of {} that differ from the live version {} to {}", spec.table,
                    changed, spec.mart, base, store.describe(data))
        try:
            warn_text_changes(wh, spec, columns, delta.rows_sql(spec, keys))
            _write(wh, store, spec, data, lambda dest: delta.export_sql(spec, keys, dest, select))
            _write(wh, store, spec, gone, lambda dest: delta.gone_sql(spec, expected, base, dest))
        finally:
            delta.drop_changed(wh, keys)
    else:
        warn_text_changes(wh, spec, columns, ident(spec.mart))
        base = None
        if parts > 1 and row_count(wh, spec) < parts_min_rows:
            parts = 1
        if parts > 1:
            # An earlier try of this export may have left parts of another count: none is kept.
            store.delete_prefix(export_prefix(spec.table, expected) + "/")
            pattern = part_pattern(spec.table, expected, compression)
            logger.info("{}: exporting {} to {} in {} parts", spec.table, spec.mart, store.describe(pattern), parts)
            _write(wh, store, spec, pattern, lambda dest: render_sql(
                "stir.publish.sql", "export_parts.sql", destination=dest, columns=select, mart=ident(spec.mart),
                key=", ".join(ident(k) for k in spec.key), parts=str(int(parts))))
            written = sorted((key for key, _ in store.objects(export_prefix(spec.table, expected) + "/")
                              if is_part(key)), key=part_number)
        if written:
            data = written[0]
        else:   # one file (an empty mart writes no part at all)
            logger.info("{}: exporting {} to {}", spec.table, spec.mart, store.describe(data))
            _write(wh, store, spec, data, lambda dest: render_sql("stir.publish.sql", "export.sql", destination=dest,
                                                                 columns=select, mart=ident(spec.mart)))
    if wh.exclusive:
        # Nothing else can write to this warehouse while this process holds it: the mart is
        # still the one fingerprinted, and its row count is table metadata.
        rows = row_count(wh, spec)
    else:
        now, rows = fingerprint(wh, spec)
        if now != expected:
            raise PublishError(
                f"{spec.table}: mart {spec.mart} changed while it was exported "
                f"(fingerprint {expected} -> {now}); run the tier again"
            )
    manifest = Manifest(spec.table, spec.mart, expected, rows, data, columns=tuple(names), base=base,
                        changed=changed, gone_key=gone, parts=tuple(written) if len(written) > 1 else ())
    if checksum:
        sums = tuple(store.checksum(key) for key in manifest.files)
        manifest = replace(manifest, size=sums[0][0], sha256=sums[0][1],
                           part_sums=sums if manifest.parts else ())
    store.put_text(manifest_key(spec.table, expected), manifest.to_json())
    logger.info("{}: exported {:,} rows (fingerprint {})", spec.table, rows, expected)
    return manifest


def row_count(wh: Warehouse, spec: PublishSpec) -> int:
    """The mart's row count (table metadata in MergeTree: no scan)."""
    return int(wh.scalar(render_sql("stir.publish.sql", "row_count.sql", mart=ident(spec.mart))))


def read_manifest(store: Store, table: str, fp: str) -> Manifest:
    return Manifest.from_json(store.read_text(manifest_key(table, fp)))


def prune_exports(store: Store, table: str, keep: int, current: str, started: float) -> list[str]:
    """Delete all but the `keep` newest whole exports of `table` (never `current`), and the
    exports a crash left without a manifest that nothing has written to since `started`
    (the run's start: an export still being written is newer). Returns the fingerprints deleted."""
    newest: dict[str, float] = {}
    whole: dict[str, float] = {}
    for key, mtime in store.objects(exports_root(table)):
        fp = fingerprint_of(key)
        newest[fp] = max(newest.get(fp, 0.0), mtime)
        if key == manifest_key(table, fp):
            whole[fp] = mtime
    by_age = sorted(whole, key=whole.get, reverse=True)
    doomed = [fp for fp in by_age[max(keep, 1):] if fp != current]
    abandoned = [fp for fp, mtime in newest.items() if fp not in whole and fp != current and mtime < started]
    for fp in doomed + abandoned:
        store.delete_prefix(export_prefix(table, fp))
    if doomed:
        logger.info("{}: removed {} old export(s) from the staging store (keep_exports = {})", table, len(doomed), keep)
    if abandoned:
        logger.info("{}: removed {} unfinished export(s) left by an earlier crash", table, len(abandoned))
    return doomed + abandoned
