"""The steps of publishing one serving table, as plain functions (the Luigi tasks in
stir.publish.tasks only sequence them and give each a target):

fingerprint -> export to the staging store -> download to the Postgres side ->
load a shadow table and check it -> atomic swap (backup kept).
"""
from __future__ import annotations

import hashlib
import io
import random
import re
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO, Callable, Union

import psycopg2
import psycopg2.errors
from loguru import logger

from stir.errors import PublishError
from stir.postgres import connect
from stir.publish import delta, export_compression, export_format
from stir.publish.manifest import (Manifest, data_key, export_prefix, exports_root, fingerprint_of, gone_key,
                                   is_part, manifest_key, part_number, part_pattern)
from stir.publish.schema import live_fits_ddl, table_columns
from stir.publish.specs import PublishSpec
from stir.serving import api_objects, deferred_indexes
from stir.serving.migrate import create_table, table_exists
from stir.sqlfiles import ident, read_sql, render_fragment, render_sql
from stir.store.base import Store
from stir.warehouse.base import Warehouse

MARKER_PREFIX = "stir:"


def pg_message(exc: psycopg2.Error) -> str:
    return (exc.pgerror or str(exc)).strip()


@contextmanager
def transaction(conn, failure: str, passthrough: tuple = ()):
    """A cursor in one transaction: committed when the block ends, rolled back on any error;
    PostgreSQL's errors become a PublishError that starts with `failure`, except those of the
    `passthrough` types, which are re-raised as they are (after the rollback)."""
    try:
        with conn.cursor() as cur:
            yield cur
        conn.commit()
    except passthrough:
        conn.rollback()
        raise
    except psycopg2.Error as exc:
        conn.rollback()
        raise PublishError(f"{failure}\n{pg_message(exc)}") from None
    except BaseException:
        conn.rollback()
        raise


def fingerprint(wh: Warehouse, spec: PublishSpec) -> tuple[str, int]:
    """(fingerprint, rows) of the mart's current content and the serving DDL: equal
    fingerprints mean an identical publish, so a finished one is skipped."""
    columns = _fingerprinted_columns(wh, spec)
    rows, row_hash = wh.query(render_sql("stir.publish.sql", "fingerprint.sql", mart=ident(spec.mart)))[0]
    return _digest(spec, columns, int(rows), row_hash), int(rows)


def publish_fingerprint(wh: Warehouse, spec: PublishSpec) -> tuple[str, int]:
    """fingerprint(), as Publish computes it: for a merge-mode table it is summed from the row
    hashes of the version (stir.publish.delta), which are written here and kept under the
    fingerprint for the export's delta, so the mart is hashed once per publish."""
    if spec.mode != "merge":
        return fingerprint(wh, spec)
    columns = _fingerprinted_columns(wh, spec)
    pending = delta.write_hashes(wh, spec, [name for name, _ in columns])
    rows, row_hash = delta.hashes_sum(wh, pending)
    digest = _digest(spec, columns, rows, row_hash)
    delta.keep_hashes(wh, spec, pending, digest)
    return digest, rows


def _fingerprinted_columns(wh: Warehouse, spec: PublishSpec) -> list[tuple[str, str]]:
    columns = wh.columns(spec.mart)
    if not columns:
        raise PublishError(f"{spec.table}: mart {spec.mart} does not exist; run the models first (bin/run_tier)")
    return columns


def _digest(spec: PublishSpec, columns: list[tuple[str, str]], rows: int, row_hash: str) -> str:
    # The rows' binary form has no column names: a renamed or retyped column is a change too.
    # The export's format is in it too: an export written in another format is never reused.
    names = ",".join(f"{name} {kind}" for name, kind in columns)
    ddl = read_sql("stir.serving.ddl", spec.ddl)
    text = f"{spec.mart}|{names}|{rows}|{row_hash}|{ddl}|{export_format.CLICKHOUSE_FORMAT}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


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
        pending = delta.write_hashes(wh, spec, [name for name, _ in wh.columns(spec.mart)])
        delta.keep_hashes(wh, spec, pending, expected)
    if spec.mode == "merge" and base and base != expected and delta.has_hashes(wh, spec, base):
        keys, changed = delta.write_changed(wh, spec, expected, base)
        gone = gone_key(spec.table, expected)
        total = _row_count(wh, spec)
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
        if parts > 1 and _row_count(wh, spec) < parts_min_rows:
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
        rows = _row_count(wh, spec)
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


def _row_count(wh: Warehouse, spec: PublishSpec) -> int:
    """The mart's row count (table metadata in MergeTree: no scan)."""
    return int(wh.scalar(render_sql("stir.publish.sql", "row_count.sql", mart=ident(spec.mart))))


def read_manifest(store: Store, table: str, fp: str) -> Manifest:
    return Manifest.from_json(store.read_text(manifest_key(table, fp)))


def table_marker(cur, schema: str, table: str) -> str | None:
    cur.execute(read_sql("stir.serving.sql", "table_marker.sql"), {"schema": schema, "table": table})
    row = cur.fetchone()
    return row[0] if row else None


def has_marker(conn, schema: str, table: str, fp: str) -> bool:
    return marked_fingerprint(conn, schema, table) == fp


@dataclass(frozen=True)
class ServerFile:
    """An export staged on the PostgreSQL host (transfer = ssh), which COPY reads there."""

    path: str
    columns: tuple[str, ...]
    read_line: Callable[[int], str]  # line N (1-based) of the file, to name a refused row


# An export to load: a staged local file, a function opening the store's object afresh
# (transfer = stream: no file on this machine), or a file on the PostgreSQL host.
ExportData = Union[Path, Callable[[], BinaryIO], ServerFile]


COPY_CHUNK = 1 << 20   # bytes per read of a COPY FROM STDIN (psycopg2's default, 8 KiB, costs more calls)
@contextmanager
def export_stream(data: ExportData, text: bool = False):
    """The export's bytes (or text), unpacked if it is gzip'd or zstd'd, read as they arrive."""
    raw = data() if callable(data) else open(data, "rb")
    try:
        fh = export_compression.sniffed(raw)
        if text:
            fh = io.TextIOWrapper(fh, encoding="utf-8", errors="replace", newline="")
        yield fh
    finally:
        raw.close()


class ProgressReader:
    """A file object for COPY FROM STDIN that counts the lines read through it and reports the
    count to `report` at most every `every_s` seconds (and once at the end), so a long load
    shows how far it got."""

    def __init__(self, fh, report: Callable[[int], None], every_s: float = 1.0):
        self.fh, self.report, self.every_s = fh, report, every_s
        self.lines, self._last = 0, time.monotonic()

    def read(self, size: int = -1):
        chunk = self.fh.read(size)
        self.lines += chunk.count(b"\n")
        now = time.monotonic()
        if not chunk or now - self._last >= self.every_s:
            self._last = now
            self.report(self.lines)
        return chunk

    def readline(self, size: int = -1):
        line = self.fh.readline(size)
        self.lines += line.count(b"\n")
        return line


def _export_header(data: ExportData) -> list[str]:
    if isinstance(data, ServerFile):
        return list(data.columns)
    with export_stream(data, text=True) as fh:
        return export_format.fields(fh.readline())


_COPY_LINE = re.compile(r"COPY \S+, line (\d+)")


def refused_row(data: ExportData, key: tuple[str, ...], exc: psycopg2.Error) -> str:
    """'row id=42' for the export row a COPY error's context points at ('' if it names none)."""
    match = _COPY_LINE.search(pg_message(exc))
    if not match:
        return ""
    line = int(match.group(1))
    if isinstance(data, ServerFile):
        header, record = list(data.columns), export_format.fields(data.read_line(line))
    else:
        with export_stream(data, text=True) as fh:
            header = export_format.fields(fh.readline())
            record = next((export_format.fields(text) for number, text in enumerate(fh, start=2) if number == line), [])
    values = dict(zip(header, record))
    return "row " + ", ".join(f"{k}={values.get(k, '?')}" for k in key) if record else ""


def load_shadow(conn, spec: PublishSpec, manifest: Manifest, data: ExportData, lock_wait_s: float = 60,
                min_row_fraction: float = 0.5, progress: Callable[[int], None] | None = None,
                gone: ExportData | None = None) -> None:
    """Build stir_shadow.<table> from the DDL, COPY the export in, check it, mark it and
    analyze it, all in one transaction: on any error nothing is left behind. Another run
    publishing the same table is waited for (up to `lock_wait_s`), never interleaved. A
    delta export (a merge-mode table's) also gets stir_shadow.<table>__gone, with the keys of
    its `gone` file."""
    table = ident(spec.table)
    try:
        columns = [ident(c) for c in _export_header(data[0] if isinstance(data, list) else data)]
    except ValueError as exc:
        raise PublishError(f"{spec.table}: export {data} has a bad header: {exc}") from None
    failure = f"{spec.table}: loading the shadow table failed; the live table is untouched."
    try:
        _load_shadow(conn, spec, manifest, data, table, columns, failure, lock_wait_s, min_row_fraction, progress,
                     gone)
    except psycopg2.errors.LockNotAvailable:
        holder = _holder(conn, "publish_lock_holder.sql", {"table": spec.table})
        raise PublishError(f"{failure}\nAnother publish of {spec.table} by {holder} held its publish lock for "
                           f"over {lock_wait_s:g}s (swap_max_wait)") from None


def _load_shadow(conn, spec, manifest, data, table, columns, failure, lock_wait_s, min_row_fraction,
                 progress=None, gone=None) -> None:
    committed_shadow = False
    try:
        with transaction(conn, failure, passthrough=(psycopg2.errors.LockNotAvailable,)) as cur:
            cur.execute(render_sql("stir.serving.sql", "publish_lock_wait.sql",
                                   wait=f"{max(lock_wait_s, 0.001):g}s"), {"table": spec.table})
            logger.info("{}: loading {:,} rows into stir_shadow.{}", spec.table, manifest.changed or manifest.rows,
                        table)
            if isinstance(data, list):
                # Parallel COPY streams need a shadow the other sessions see: it is created and
                # committed first (unmarked, so a crash leaves nothing a re-run would use), while
                # this transaction keeps the table's publish lock until the shadow is marked.
                helper = connect()
                try:
                    with transaction(helper, failure) as hcur:
                        deferred = _create_shadow(hcur, spec, table, columns)
                    committed_shadow = True
                finally:
                    helper.close()
                loaded, xids = _copy_parallel(spec, data, table, columns, failure, progress)
                _freeze_shadow(table, failure, xids)
            else:
                deferred = _create_shadow(cur, spec, table, columns)
                loaded = _copy(cur, spec, data, table, columns, failure, progress)
            _check_and_finish(cur, spec, manifest, table, loaded, min_row_fraction, deferred, gone,
                              analyzed=isinstance(data, list))
    except BaseException:
        if committed_shadow:
            _drop_failed_shadow(spec.table, table)
        raise


def _drop_failed_shadow(name: str, table: str) -> None:
    """After a parallel load failed (its transaction rolled back): drop the shadow it had
    committed, unmarked, rather than leave a table of the export's size until the next run.
    Only under the table's publish lock, taken without waiting, and only while the shadow is
    unmarked: a run that took the lock since has a shadow of its own, which it drops or marks."""
    session = connect()
    try:
        with session.cursor() as cur:
            cur.execute(read_sql("stir.serving.sql", "publish_lock.sql"), {"table": name})
            if cur.fetchone()[0] and _marker_fingerprint(table_marker(cur, "stir_shadow", name)) is None:
                cur.execute(render_sql("stir.serving.sql", "prepare_shadow.sql", table=table))
        session.commit()
    except psycopg2.Error as exc:
        logger.warning("{}: could not drop the failed load's stir_shadow.{} (the next run drops it): {}", name,
                       table, pg_message(exc))
    finally:
        session.close()


def _create_shadow(cur, spec: PublishSpec, table: str, columns: list[str]) -> list:
    """stir_shadow.<table> from the DDL, its keys and indexes dropped until the rows are in
    (returns them); fails if the export has a column the table lacks."""
    cur.execute(read_sql("stir.serving.sql", "meta.sql"))
    cur.execute(render_sql("stir.serving.sql", "prepare_shadow.sql", table=table))
    create_table(cur, "stir_shadow", spec)
    if spec.heap_fillfactor != 100:   # before the COPY, which fills pages up to it
        cur.execute(render_sql("stir.serving.sql", "shadow_fillfactor.sql", table=table,
                               fillfactor=str(spec.heap_fillfactor)))
    known = {name for name, _ in table_columns(cur, "stir_shadow", spec.table)}
    unknown = [c for c in columns if c not in known]
    if unknown:
        raise PublishError(f"{spec.table}: mart {spec.mart} has column {unknown[0]!r}, which the serving table does not")
    return deferred_indexes.defer(cur, table)


def _copy(cur, spec: PublishSpec, data: ExportData, table: str, columns: list[str], failure: str,
          progress: Callable[[int], None] | None, freeze: bool = True) -> int:
    """COPY one export (file, stream or server-side file) into the shadow (`freeze`: created
    in this transaction, so rows are written frozen); returns its rows. A row PostgreSQL
    refuses fails with its message and the row's key."""
    options = {"table": table, "columns": ", ".join(columns), "freeze": ", FREEZE true" if freeze else ""}
    try:
        if isinstance(data, ServerFile):
            cur.execute(render_sql("stir.serving.sql", "copy_shadow_file.sql", **options), {"path": data.path})
        else:
            with export_stream(data) as fh:
                cur.copy_expert(render_sql("stir.serving.sql", "copy_shadow.sql", **options),
                                ProgressReader(fh, progress) if progress else fh, size=COPY_CHUNK)
    except psycopg2.Error as exc:
        row = refused_row(data, spec.key, exc)
        raise PublishError(f"{failure}\n{pg_message(exc)}" + (f"\n(refused: {spec.table} {row})" if row else "")) from None
    return cur.rowcount


# How long a parallel load waits for snapshots older than its COPY sessions' commits (an API
# query's, an autovacuum ANALYZE's) to end before it freezes the shadow: past it the load goes
# on (correct; the pages such a snapshot kept from being marked are left to the first readers
# and a later vacuum), with a warning naming the session.
FREEZE_WAIT_S = 5.0


def _freeze_shadow(table: str, failure: str, xids: list[str]) -> None:
    """Freeze and analyze the shadow the parallel COPY sessions (transactions `xids`)
    committed (freeze_shadow.sql), once no older snapshot is open (freeze_blocker.sql), or
    FREEZE_WAIT_S has passed."""
    session = connect()
    session.autocommit = True
    try:
        with session.cursor() as cur:
            deadline, pause = time.monotonic() + FREEZE_WAIT_S, 0.01
            while True:
                cur.execute(read_sql("stir.serving.sql", "freeze_blocker.sql"), {"xids": xids})
                blocker = cur.fetchone()
                if blocker is None:
                    break
                if time.monotonic() >= deadline:
                    logger.warning("{}: {} has held a snapshot older than the load for over {:g}s; freezing "
                                   "stir_shadow.{} without waiting longer: the pages it keeps from being marked "
                                   "all-visible are left to the first readers and a later vacuum", table,
                                   _session(blocker), FREEZE_WAIT_S, table)
                    break
                time.sleep(pause)
                pause = min(pause * 2, 0.5)
            cur.execute(render_sql("stir.serving.sql", "freeze_shadow.sql", table=table))
    except psycopg2.Error as exc:
        raise PublishError(f"{failure}\n{pg_message(exc)}") from None
    finally:
        session.close()


def _copy_parallel(spec: PublishSpec, parts: list[ExportData], table: str, columns: list[str], failure: str,
                   progress: Callable[[int], None] | None) -> tuple[int, list[str]]:
    """COPY the parts of an export into the (committed) shadow at once, one session each;
    returns the rows loaded and the sessions' transaction ids. On a failure the caller drops
    the shadow (_drop_failed_shadow)."""
    lines = [0] * len(parts)

    def part_progress(i: int):
        def report(n: int) -> None:
            lines[i] = n
            progress(sum(lines) - len(parts) + 1)   # one header line per part; the caller counts one
        return report

    def load(i: int) -> tuple[int, str]:
        session = connect()
        try:
            with transaction(session, failure) as cur:
                rows = _copy(cur, spec, parts[i], table, columns, failure, part_progress(i) if progress else None,
                             freeze=False)
                cur.execute(read_sql("stir.serving.sql", "current_xid.sql"))
                return rows, cur.fetchone()[0]
        finally:
            session.close()

    with ThreadPoolExecutor(max_workers=len(parts)) as pool:
        futures = [pool.submit(load, i) for i in range(len(parts))]
        try:
            done = [f.result() for f in futures]
            return sum(rows for rows, _ in done), [xid for _, xid in done]
        except BaseException:
            for f in futures:
                f.cancel()
            raise


def _check_and_finish(cur, spec: PublishSpec, manifest: Manifest, table: str, loaded: int, min_row_fraction: float,
                      deferred: list, gone: ExportData | None, analyzed: bool = False) -> None:
    """The loaded shadow's checks, then its keys and indexes, statistics (unless `analyzed`
    already, and no index is on an expression) and marker."""
    exported = manifest.rows if manifest.base is None else manifest.changed
    if loaded != exported:
        raise PublishError(f"{spec.table}: loaded {loaded} rows but the export has {exported}")
    if manifest.rows == 0 and not spec.allow_empty:
        raise PublishError(f"{spec.table}: mart {spec.mart} is empty; refusing to publish an empty table")
    marker = table_marker(cur, "public", table)
    if marker is not None:
        live = _live_rows(cur, spec, marker)
        if manifest.rows < min_row_fraction * live:
            raise PublishError(f"{spec.table}: the new table has {manifest.rows:,} rows, fewer than "
                               f"{min_row_fraction:g} of the live table's {live:,} (min_row_fraction); "
                               "refusing to publish it")
    if manifest.base is not None:
        _load_gone(cur, spec, table, gone)
    deferred_indexes.rebuild(cur, table, deferred)   # after the cheap checks: a refused load fails fast
    cur.execute(render_sql("stir.serving.sql", "finish_shadow.sql", table=table,
                           marker=MARKER_PREFIX + manifest.fingerprint))
    if manifest.base is None and (not analyzed or _has_expression_index(cur, table)):
        # (a delta's shadow never goes live: the merge reads it once)
        cur.execute(render_sql("stir.serving.sql", "analyze.sql", table=f"stir_shadow.{table}"))


def _has_expression_index(cur, table: str) -> bool:
    cur.execute(read_sql("stir.serving.sql", "has_expression_index.sql"), {"table": f"stir_shadow.{table}"})
    return cur.fetchone()[0]


def _live_rows(cur, spec: PublishSpec, marker: str) -> int:
    """The live table's row count: as logged by the publish of its version, else counted."""
    cur.execute(read_sql("stir.serving.sql", "live_rows.sql"),
                {"table": spec.table, "fingerprint": marker.removeprefix(MARKER_PREFIX)})
    logged = cur.fetchone()
    if logged is not None:
        return logged[0]
    cur.execute(render_sql("stir.serving.sql", "count.sql", table=ident(spec.table)))
    return cur.fetchone()[0]


def _load_gone(cur, spec: PublishSpec, table: str, gone: ExportData | None) -> None:
    """stir_shadow.<table>__gone: the keys a delta export says the new version deletes."""
    key = ", ".join(ident(k) for k in spec.key)
    cur.execute(render_sql("stir.serving.sql", "shadow_gone.sql", table=table, key=key))
    if gone is not None:
        with export_stream(gone) as fh:
            cur.copy_expert(render_sql("stir.serving.sql", "copy_gone.sql", table=table, key=key), fh)


class StaleDelta(PublishError):
    """A delta export of a version the live table no longer holds: export it again."""


@dataclass(frozen=True)
class SwapPolicy:
    """How a swap waits for its lock: each try waits at most `lock_timeout_ms` (readers queued
    behind it wait no longer), then backs off (doubling from 50 ms to 2 s, with jitter) and
    tries again, until `max_wait_s` has passed."""

    lock_timeout_ms: int = 30
    max_wait_s: float = 60.0


class _PublishLocked(Exception):
    """Another session holds the table's publish lock (publish_lock.sql)."""


def _holder(conn, sql_file: str, params: dict) -> str:
    """Who holds a lock (lock_holder.sql or publish_lock_holder.sql), for messages."""
    with conn.cursor() as cur:
        cur.execute(read_sql("stir.serving.sql", sql_file), params)
        row = cur.fetchone()
    conn.rollback()
    return _session(row) if row else "a session that has since let go"


def _session(row: tuple) -> str:
    """A session as the holder queries return it (pid, start, state, query), for messages."""
    pid, started, state, query = row
    return f"pid {pid} ({state}, query started {started:%Y-%m-%d %H:%M:%S%z}: {query!r})"


def swap(conn, spec: PublishSpec, manifest: Manifest, policy: SwapPolicy = SwapPolicy()) -> tuple[int, float]:
    """Make the loaded shadow live and keep the previous live table as stir_backup.<table>.
    Retries while another session holds the live table (see SwapPolicy); returns (tries,
    seconds waited)."""
    table = ident(spec.table)
    started = time.monotonic()
    tries, delay = 0, 0.05
    while True:
        tries += 1
        waited = time.monotonic() - started
        try:
            outcome = _swap_once(conn, spec, manifest, policy, tries, waited)
            break
        except (psycopg2.errors.LockNotAvailable, _PublishLocked) as exc:
            if isinstance(exc, _PublishLocked):
                what, holder = "its publish lock", _holder(conn, "publish_lock_holder.sql", {"table": spec.table})
            else:
                what, holder = f"public.{table}", _holder(conn, "lock_holder.sql", {"name": f"public.{table}"})
            waited = time.monotonic() - started
            if waited + delay > policy.max_wait_s:
                raise PublishError(
                    f"{spec.table}: swap failed; the live table is untouched. {what} stayed locked by "
                    f"{holder} for {waited:.1f}s over {tries} tries (swap_max_wait = {policy.max_wait_s:g}s)"
                ) from None
            if tries == 1:
                logger.info("{}: the live table is in use by {}; retrying the swap", spec.table, holder)
            time.sleep(delay * random.uniform(0.5, 1.5))
            delay = min(delay * 2, 2.0)
    if outcome == "already live":
        logger.info("{}: fingerprint {} is already live (another run published it); nothing to swap",
                    spec.table, manifest.fingerprint)
        return tries, waited
    if outcome.startswith("merged"):
        logger.info("{}: published {:,} rows (fingerprint {}) by merge, {}; previous version kept as stir_backup.{}; "
                    "took {} tries, {:.2f}s waiting", spec.table, manifest.rows, manifest.fingerprint,
                    outcome.removeprefix("merged: "), table, tries, waited)
        return tries, waited
    kept = "first publish, no earlier version" if outcome == "first" else f"previous table kept as stir_backup.{table}"
    logger.info("{}: published {:,} rows (fingerprint {}); {}; swap took {} tries, {:.2f}s waiting", spec.table,
                manifest.rows, manifest.fingerprint, kept, tries, waited)
    return tries, waited


def _swap_once(conn, spec: PublishSpec, manifest: Manifest, policy: SwapPolicy, tries: int, waited: float) -> str:
    """One try of the swap transaction: 'first' (the table's first publish), 'swapped',
    'merged: <counts>' (a merge-mode table), or 'already live' (another run published the same
    fingerprint meanwhile)."""
    table = ident(spec.table)
    with transaction(conn, f"{spec.table}: swap failed; the live table is untouched.",
                     passthrough=(psycopg2.errors.LockNotAvailable,)) as cur:
        cur.execute(read_sql("stir.serving.sql", "publish_lock.sql"), {"table": spec.table})
        if not cur.fetchone()[0]:
            raise _PublishLocked()
        marker = table_marker(cur, "stir_shadow", table)
        if table_marker(cur, "public", table) == MARKER_PREFIX + manifest.fingerprint:
            if marker == MARKER_PREFIX + manifest.fingerprint:  # a duplicate of the live table
                cur.execute(render_sql("stir.serving.sql", "prepare_shadow.sql", table=table))
            return "already live"
        if marker != MARKER_PREFIX + manifest.fingerprint:
            raise PublishError(
                f"{spec.table}: stir_shadow.{table} holds {marker or 'nothing'}, not fingerprint "
                f"{manifest.fingerprint}; another run replaced it, run the tier again"
            )
        first = _is_placeholder(cur, table)
        if spec.mode == "merge" and not first and manifest.base is not None:
            if table_columns(cur, "public", spec.table) == table_columns(cur, "stir_shadow", spec.table):
                return _merge(cur, spec, manifest, policy, tries, waited)
            # The DDL changed since the live table was built: a delta of it cannot apply.
            raise StaleDelta(f"{spec.table}: not published: export {manifest.fingerprint} is a delta, but the "
                             f"serving table's columns changed ({spec.ddl}); the live table is untouched and the "
                             "next run exports the whole table")
        if spec.mode == "merge" and not first:
            # A whole version (no row hashes of the live one, a DDL change, or a change larger
            # than merge_max_changed) replaces the table; the next publish merges again.
            logger.info("{}: a whole version, not a delta of the live one: swapped in, not merged", spec.table)
        kept = api_objects.capture(cur, table)
        cur.execute(
            render_sql("stir.serving.sql", "swap.sql", table=table),
            {"table": spec.table, "fingerprint": manifest.fingerprint, "rows": manifest.rows, "source": spec.mart,
             "lock_timeout": f"{policy.lock_timeout_ms}ms", "wait_ms": round(waited * 1000), "tries": tries},
        )
        api_objects.restore(cur, table, kept)
        if first:
            cur.execute(render_sql("stir.serving.sql", "drop_placeholder.sql", table=table))
    return "first" if first else "swapped"


def _merge(cur, spec: PublishSpec, manifest: Manifest, policy: SwapPolicy, tries: int, waited: float) -> str:
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
    deleted, written = _merge_rows(cur, spec)
    cur.execute(render_sql("stir.serving.sql", "merge_finish.sql", table=table,
                           marker=MARKER_PREFIX + manifest.fingerprint),
                {"table": spec.table, "fingerprint": manifest.fingerprint, "rows": manifest.rows, "source": spec.mart,
                 "wait_ms": round(waited * 1000), "tries": tries})
    _analyze_after_merge(cur, table, deleted + written, manifest.rows)
    return (f"merged: a delta of {manifest.base}, {written:,} rows inserted or changed, {deleted:,} deleted, "
            f"{manifest.rows - manifest.changed:,} unchanged")


# A merge that changed at least this fraction of a table's rows analyzes it in its
# transaction; a smaller one leaves the statistics to autovacuum, whose default threshold
# (autovacuum_analyze_scale_factor) this is: at 5% changed rows ANALYZE was a tenth of a merge.
ANALYZE_FRACTION = 0.1


def _analyze_after_merge(cur, table: str, touched: int, rows: int) -> None:
    if touched >= ANALYZE_FRACTION * rows:
        cur.execute(render_sql("stir.serving.sql", "analyze.sql", table=f"public.{table}"))


def _merge_rows(cur, spec: PublishSpec) -> tuple[int, int]:
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


def marked_fingerprint(conn, schema: str, table: str) -> str | None:
    """The fingerprint `schema.table` was published or loaded with (None: unmarked or absent)."""
    with conn.cursor() as cur:
        marker = table_marker(cur, schema, table)
    conn.rollback()
    return _marker_fingerprint(marker)


def _marker_fingerprint(marker: str | None) -> str | None:
    """The fingerprint in a table's comment, None if the comment is not a marker."""
    return marker.removeprefix(MARKER_PREFIX) if marker and marker.startswith(MARKER_PREFIX) else None


def delta_base(conn, spec: PublishSpec) -> str | None:
    """The live version an export of `spec`'s table may be a delta of: a merge-mode table's,
    unless the live table's columns are no longer its DDL's (then the whole version is
    exported and swapped in)."""
    if spec.mode != "merge" or not live_fits_ddl(conn, spec):
        return None
    return marked_fingerprint(conn, "public", spec.table)


def discard_shadow(conn, spec: PublishSpec) -> None:
    """Drop the loaded shadow (and a merge's __gone): its export is to be made again."""
    with transaction(conn, f"{spec.table}: dropping the shadow table failed") as cur:
        cur.execute(render_sql("stir.serving.sql", "prepare_shadow.sql", table=ident(spec.table)))


def _is_placeholder(cur, table: str) -> bool:
    """Whether the live table is the empty one `stir migrate` made before any publish (or absent)."""
    if table_marker(cur, "public", table) is not None:
        return False
    if not table_exists(cur, "public", table):
        return True
    cur.execute(render_sql("stir.serving.sql", "has_rows.sql", table=table))
    return not cur.fetchone()[0]


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
            deleted, written = _merge_rows(cur, spec)
            cur.execute(render_sql("stir.serving.sql", "count.sql", table=table))
            rows = cur.fetchone()[0]
            cur.execute(render_sql("stir.serving.sql", "merge_finish.sql", table=table, marker=restored),
                        {"table": spec.table, "fingerprint": fingerprint, "rows": rows, "source": "rollback",
                         "wait_ms": 0, "tries": 0})
            _analyze_after_merge(cur, table, deleted + written, rows)
        else:
            kept = api_objects.capture(cur, table)
            cur.execute(render_sql("stir.serving.sql", "rollback.sql", table=table),
                        {"table": spec.table, "fingerprint": fingerprint})
            api_objects.restore(cur, table, kept)
    logger.info("{}: rolled back to fingerprint {}; a second rollback restores the version it replaced (kept in "
                "stir_backup.{})", spec.table, fingerprint, table)
    return fingerprint


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
