"""Step 3: loading an export (a local file, the store's object streamed, or a file on the
PostgreSQL host) into stir_shadow.<table>, with its checks, keys, indexes and marker, in one
transaction."""
from __future__ import annotations

import io
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable, Union

import psycopg2
import psycopg2.errors
from loguru import logger

from stir.errors import PublishError
from stir.postgres import connect
from stir.publish import export_compression, export_format
from stir.publish.manifest import Manifest
from stir.publish.schema import table_columns
from stir.publish.specs import PublishSpec
from stir.publish.steps.pg import (MARKER_PREFIX, lock_holder, marker_fingerprint, pg_message, session_text,
                                   table_marker, transaction)
from stir.serving import deferred_indexes
from stir.serving.migrate import create_table
from stir.sqlfiles import ident, read_sql, render_sql


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
        holder = lock_holder(conn, "publish_lock_holder.sql", {"table": spec.table})
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
                              sessions=len(data) if isinstance(data, list) else 0, failure=failure)
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
            if cur.fetchone()[0] and marker_fingerprint(table_marker(cur, "stir_shadow", name)) is None:
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
                                   session_text(blocker), FREEZE_WAIT_S, table)
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
                      deferred: list[deferred_indexes.Deferred], gone: ExportData | None, sessions: int = 0,
                      failure: str = "") -> None:
    """The loaded shadow's checks, then its keys and indexes, statistics and marker. With
    `sessions` (parallel COPY sessions loaded the shadow, committed, and analyzed it once they
    had: _freeze_shadow), as many sessions build the indexes, and it is analyzed again only
    for an index on an expression."""
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
        # A delta's shadow never goes live: the merge reads it once, by its key. Its keys are
        # built (they check it); the other indexes would only cost time (0.15 s at 50,000 rows).
        deferred = [found for found in deferred if found.kind == "constraint"]
    # after the cheap checks: a refused load fails fast
    if sessions > 1 and len(deferred) > 1:
        _build_parallel(table, deferred, sessions, failure)
    else:
        deferred_indexes.build(cur, deferred)
    deferred_indexes.attach(cur, table, deferred)
    cur.execute(render_sql("stir.serving.sql", "finish_shadow.sql", table=table,
                           marker=MARKER_PREFIX + manifest.fingerprint))
    if manifest.base is None and (not sessions or _has_expression_index(cur, table)):
        # (a delta's shadow never goes live: the merge reads it once)
        cur.execute(render_sql("stir.serving.sql", "analyze.sql", table=f"stir_shadow.{table}"))


def _build_parallel(table: str, deferred: list[deferred_indexes.Deferred], sessions: int, failure: str) -> None:
    """Build the (committed, unmarked) shadow's indexes in up to `sessions` sessions at once,
    each taking the next one to build when it is free, in one transaction of its own; a
    constraint's is its unique index (the caller attaches the constraint). On a failure the
    other sessions are cancelled and the first failure is raised; the caller drops the shadow."""
    pending = list(deferred)
    lock = threading.Lock()
    # The open sessions: each leaves the list as it closes, under the lock, so a cancel of the
    # others after a failure never meets a closed one (psycopg2 raises then, hiding the failure).
    conns: list = []

    def next_index() -> deferred_indexes.Deferred | None:
        with lock:
            return pending.pop(0) if pending else None

    def work() -> None:
        session = connect()
        with lock:
            conns.append(session)
        try:
            with transaction(session, failure) as cur:
                deferred_indexes.build(cur, iter(next_index, None))
        finally:
            with lock:
                conns.remove(session)
                session.close()

    workers = min(sessions, len(deferred))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(work) for _ in range(workers)]
        first = None
        for future in as_completed(futures):
            if future.exception() is not None and first is None:
                first = future.exception()
                with lock:
                    pending.clear()
                    for session in conns:
                        session.cancel()
    if first is not None:
        raise first


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
