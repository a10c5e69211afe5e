"""What Stir needs from ClickHouse, independent of how it is reached."""
from __future__ import annotations

import abc
from typing import Iterable, Sequence

from loguru import logger

from stir.sqlfiles import ident, render_sql, split_statements

# Every session runs in UTC: metrics compare DateTimes, and dates are UTC dates. Sorts and
# GROUP BYs (window functions, latest-state de-duplication) spill to disk past 256 MB each,
# so a model's memory stays bounded as the history grows. Incremental models keep daily
# partitions (a run rewrites about a day), so a first backfill writes one partition per day
# of history: up to 5000 (13 years) in one INSERT instead of ClickHouse's default 100.
# INSERT ... SELECT (every model's write) squashes rows into blocks of 256k rows or 64 MB
# instead of ~1M rows: a wide staging table's block is then a quarter of the memory, at no
# measurable cost in time (80k profiles' posts: 1.44 -> 0.99 GB peak).
# Dropped tables (SQLMesh drops about 18 temp tables per 15-minute run) go at once, not 8
# minutes later (database_atomic_delay_before_drop_table_sec): chDB lives only as long as a
# run, so each run loaded the backlog of earlier runs' drops at startup and removed it slowly
# while it worked: about 100 pending made opening the warehouse 0.1–0.3 s slower at 80k
# profiles, and 20–60 pending made a run after new data at 20k 0.2–0.6 s slower (README).
SESSION_SETTINGS = {
    "session_timezone": "UTC",
    "max_bytes_before_external_sort": 256 * 1024 * 1024,
    "max_bytes_before_external_group_by": 256 * 1024 * 1024,
    "max_partitions_per_insert_block": 5000,
    "max_insert_block_size": 262144,
    "min_insert_block_size_rows": 262144,
    "min_insert_block_size_bytes": 64 * 1024 * 1024,
    "database_atomic_wait_for_drop_and_detach_synchronously": 1,
}


class Warehouse(abc.ABC):
    kind: str = "?"
    # True when no other process can write to the warehouse while this one uses it (chDB,
    # behind its process lock): what this run fingerprinted cannot change under it.
    exclusive: bool = False

    @abc.abstractmethod
    def command(self, sql: str) -> None:
        """Run one statement that returns no rows (DDL, INSERT ... SELECT)."""

    @abc.abstractmethod
    def query(self, sql: str) -> list[tuple]:
        """Run one SELECT and return its rows."""

    @abc.abstractmethod
    def query_with_columns(self, sql: str) -> tuple[list[str], list[tuple]]:
        """Run one SELECT and return its column names and rows."""

    @abc.abstractmethod
    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Sequence]) -> None:
        """Insert Python values (str, int, float, datetime, date, UUID, list, None) into a table."""

    def script(self, text: str) -> None:
        """Run every statement of a multi-statement SQL script in order."""
        for statement in split_statements(text):
            logger.debug("warehouse: {}", statement.splitlines()[0][:120])
            self.command(statement)

    def scalar(self, sql: str):
        rows = self.query(sql)
        return rows[0][0] if rows else None

    def columns(self, table: str) -> list[tuple[str, str]]:
        """(name, type) of a table's columns in order; [] if the table does not exist."""
        db, name = ident(table).split(".", 1)
        return [(r[0], r[1]) for r in self.query(render_sql("stir.warehouse.sql", "table_columns.sql", database=db, table=name))]

    def table_exists(self, table: str) -> bool:
        return bool(self.columns(table))

    def close(self) -> None:  # pragma: no cover - trivial
        pass


def batched(rows: Iterable, size: int):
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
