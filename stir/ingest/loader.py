"""Loads contract files into the raw tables, one file at a time, all or nothing per file.

Every row is checked in Python first (known table, known columns, required columns present,
each value of its column's type), so an error names the file, the line (JSONL) or row
(Parquet), and the column. Rows go to a staging copy of the table and are attached to the
raw table only when the whole file is good.
"""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from loguru import logger

from stir.errors import IngestError
from stir.ingest.values import converter
from stir.sqlfiles import render_sql
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
    with path.open("r", encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
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


def ingest_file(wh: Warehouse, path: Path) -> Loaded:
    """Load one file into its raw table; on any error nothing of the file is loaded."""
    path = Path(path)
    if path.suffix not in SUFFIXES:
        raise IngestError(f"{path}: expected a .jsonl or .parquet file")
    table = table_for(path)
    ensure_sources(wh)
    columns = wh.columns(table)
    staging = f"{table.replace('.', '__')}_{uuid.uuid4().hex[:12]}"
    wh.script(render_sql("stir.ingest.sql", "create_staging.sql", table=table, staging=staging))
    count = 0
    try:
        for batch in batched(_rows(path, table, columns), BATCH_ROWS):
            wh.insert(f"stir_ingest.{staging}", [name for name, _ in columns], batch)
            count += len(batch)
            if count % PROGRESS_ROWS < BATCH_ROWS:
                logger.info("  {}: {:,} rows checked and staged ...", path.name, count)
        wh.script(render_sql("stir.ingest.sql", "attach_staging.sql", table=table, staging=staging))
    except BaseException:
        wh.script(render_sql("stir.ingest.sql", "drop_staging.sql", staging=staging))
        raise
    logger.info("ingested {:>9,} rows into {} from {}", count, table, path.name)
    return Loaded(path, table, count)


def ingest_dir(wh: Warehouse, directory: Path) -> list[Loaded]:
    """Load every contract file of a directory, in name order. Stops at the first bad file;
    the error says which files were already loaded."""
    directory = Path(directory)
    if not directory.is_dir():
        raise IngestError(f"{directory}: not a directory")
    files = sorted(p for p in directory.iterdir() if p.suffix in SUFFIXES)
    others = sorted(p.name for p in directory.iterdir() if p.is_file() and p.suffix not in SUFFIXES)
    if others:
        logger.warning("ingest: ignoring {} file(s) that are not .jsonl/.parquet: {}", len(others), ", ".join(others[:5]))
    if not files:
        raise IngestError(f"{directory}: no .jsonl or .parquet files to ingest")
    loaded: list[Loaded] = []
    for path in files:
        try:
            loaded.append(ingest_file(wh, path))
        except IngestError as exc:
            done = ", ".join(item.file.name for item in loaded) or "none"
            raise IngestError(f"{exc}\n(nothing of {path.name} was loaded; files loaded before it: {done})") from None
    return loaded


__all__ = ["ingest_dir", "ingest_file", "Loaded"]
