"""Loads contract files into the raw tables, one file at a time, all or nothing per file.

Every row is checked in Python first (known table, known columns, required columns present,
each value of its column's type), so an error names the file, the line (JSONL) or row
(Parquet), and the column. Rows go to a staging copy of the table and are attached to the
raw table only when the whole file is good.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from loguru import logger

from stir.errors import IngestError
from stir.ingest.values import converter
from stir.sqlfiles import ident, read_sql, render_sql
from stir.warehouse.base import Warehouse, batched
from stir.warehouse.sources import ensure_sources, source_tables

SUFFIXES = (".jsonl", ".parquet")
BATCH_ROWS = 50_000
PROGRESS_ROWS = 500_000  # a progress line this often on large files


@dataclass
class Loaded:
    file: Path
    table: str
    rows: int
    skipped: bool = False  # already in the ledger: nothing was loaded


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def drop_orphan_staging(wh: Warehouse, max_age_s: int) -> list[str]:
    """Drop staging tables left by ingests that were killed (older than `max_age_s`)."""
    names = [name for (name,) in wh.query(render_sql("stir.ingest.sql", "orphan_staging.sql", max_age_s=str(max_age_s)))]
    for name in names:
        wh.script(render_sql("stir.ingest.sql", "drop_staging.sql", staging=ident(name)))
    if names:
        logger.info("ingest: dropped {} staging table(s) left by an ingest that did not finish", len(names))
    return names


def table_for(path: Path) -> str:
    """`beat_replica.instagram_account.jsonl` -> `beat_replica.instagram_account`."""
    stem = path.name[: -len(path.suffix)]
    if stem.count(".") != 1:
        raise IngestError(f"{path}: file name must be <database>.<table>{path.suffix}")
    if stem not in source_tables():
        raise IngestError(
            f"{path}: unknown table {stem!r}; the raw tables are: {', '.join(source_tables())}"
        )
    return stem


def _jsonl_records(path: Path) -> Iterator[tuple[str, dict]]:
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise IngestError(
                    f"{path}: line {number}: not valid UTF-8 (byte 0x{raw[exc.start]:02x} at byte {exc.start + 1} "
                    "of the line); save the file as UTF-8"
                ) from None
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise IngestError(f"{path}: line {number}: not valid JSON ({exc.msg})") from None
            if not isinstance(record, dict):
                raise IngestError(f"{path}: line {number}: expected a JSON object, got {type(record).__name__}")
            yield f"line {number}", record


def _parquet_records(path: Path) -> Iterator[tuple[str, dict]]:
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise IngestError(f"{path}: not a readable Parquet file ({exc})") from None
    number = 0
    for batch in parquet.iter_batches(batch_size=BATCH_ROWS):
        for record in batch.to_pylist():
            number += 1
            yield f"row {number}", record


def _rows(path: Path, table: str, columns: list[tuple[str, str]]) -> Iterator[tuple]:
    known = {name for name, _ in columns}
    converters = [(name, *converter(ch_type)) for name, ch_type in columns]
    records = _jsonl_records(path) if path.suffix == ".jsonl" else _parquet_records(path)
    for where, record in records:
        extra = [key for key in record if key not in known]
        if extra:
            raise IngestError(f"{path}: {where}: column {extra[0]!r} is not a column of {table}")
        row = []
        for name, convert, nullable in converters:
            value = record.get(name)
            if value is None:
                if not nullable:
                    missing = "missing" if name not in record else "null"
                    raise IngestError(f"{path}: {where}: column {name!r} of {table} is {missing}, and it is not Nullable")
                row.append(None)
                continue
            try:
                row.append(convert(value))
            except ValueError as exc:
                raise IngestError(f"{path}: {where}: column {name!r} of {table}: {exc}") from None
        yield tuple(row)


def ingest_file(wh: Warehouse, path: Path, force: bool = False) -> Loaded:
    """Load one file into its raw table; on any error nothing of the file is loaded. A file
    whose content the ledger says is already in that table is skipped unless `force`."""
    path = Path(path)
    if path.suffix not in SUFFIXES:
        raise IngestError(f"{path}: expected a .jsonl or .parquet file")
    if not path.is_file():
        raise IngestError(f"{path}: not a regular file")
    table = table_for(path)
    ensure_sources(wh)
    wh.script(read_sql("stir.ingest.sql", "ledger.sql"))
    sha256 = file_sha256(path)
    earlier = wh.query(render_sql("stir.ingest.sql", "ledger_lookup.sql", table=table, sha256=sha256))
    if earlier and not force:
        name, rows, when = earlier[0]
        logger.info("skipped {}: the same content ({:,} rows, as {}) was loaded into {} at {} UTC; "
                    "--force loads it again", path.name, rows, name, table, when)
        return Loaded(path, table, rows, skipped=True)
    columns = wh.columns(table)
    staging = f"{table.replace('.', '__')}_{uuid.uuid4().hex[:12]}"
    wh.script(render_sql("stir.ingest.sql", "create_staging.sql", table=table, staging=staging))
    count = 0
    try:
        for batch in batched(_rows(path, table, columns), BATCH_ROWS):
            wh.insert(f"stir_ingest.{staging}", [name for name, _ in columns], batch)
            count += len(batch)
            if count >= PROGRESS_ROWS and count % PROGRESS_ROWS < BATCH_ROWS:
                logger.info("  {}: {:,} rows checked and staged ...", path.name, count)
        wh.script(render_sql("stir.ingest.sql", "attach_staging.sql", table=table, staging=staging))
        # Right after the attach: a kill between the two statements is the one window in which
        # a file is in without its ledger row (ClickHouse has no transaction spanning both).
        wh.insert("stir_meta.ingest_ledger", ["sha256", "file", "raw_table", "rows", "loaded_at"],
                  [(sha256, str(path.resolve()), table, count, dt.datetime.now(dt.timezone.utc).replace(tzinfo=None))])
    except BaseException:
        wh.script(render_sql("stir.ingest.sql", "drop_staging.sql", staging=staging))
        raise
    logger.info("ingested {:>9,} rows into {} from {}", count, table, path.name)
    return Loaded(path, table, count)


def ingest_dir(wh: Warehouse, directory: Path, force: bool = False, orphan_age_s: int | None = None) -> list[Loaded]:
    """Load every contract file of a directory, in name order, each all or nothing. Stops at
    the first bad file; the error says which files are in. The ledger makes it resumable: run
    it again once the file is fixed and the files already in are skipped.

    Staging tables left by a killed ingest are dropped first: all of them on the embedded
    warehouse (this process holds it alone), those older than a day on a server, where
    another ingest may be running (`orphan_age_s` overrides)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise IngestError(f"{directory}: not a directory")
    named = sorted(p for p in directory.iterdir() if p.suffix in SUFFIXES)
    not_files = [p.name for p in named if not p.is_file()]
    if not_files:
        raise IngestError(f"{directory / not_files[0]}: is a directory (or not a regular file), not a contract file; "
                          "move it away or load the files inside it")
    files = named
    others = sorted(p.name for p in directory.iterdir() if p not in files)
    if others:
        logger.warning("ingest: ignoring {} entries that are not .jsonl/.parquet files: {}", len(others), ", ".join(others[:5]))
    if not files:
        raise IngestError(f"{directory}: no .jsonl or .parquet files to ingest")
    if orphan_age_s is None:
        orphan_age_s = 0 if wh.kind == "chdb" else 86400
    drop_orphan_staging(wh, orphan_age_s)
    loaded: list[Loaded] = []
    for path in files:
        try:
            loaded.append(ingest_file(wh, path, force=force))
        except IngestError as exc:
            done = ", ".join(item.file.name for item in loaded) or "none"
            raise IngestError(
                f"{exc} (nothing of {path.name} was loaded; files loaded before it: {done}. "
                "Fix the file and run again: files already in are skipped)"
            ) from None
    return loaded


__all__ = ["ingest_dir", "ingest_file", "Loaded"]
