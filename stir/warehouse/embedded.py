"""chDB: the real ClickHouse engine in this process, data persisted in a directory."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import clickhouse_connect
from loguru import logger

from stir.warehouse.base import SESSION_SETTINGS, Warehouse
from stir.warehouse.lock import hold_warehouse_lock

# chDB starts its engine once per process, with the options of the first client to open it:
# every client (this one, SQLMesh's) passes these.
ENGINE_OPTIONS = {"config-file": str(Path(__file__).with_name("chdb_config.xml"))}


class EmbeddedWarehouse(Warehouse):
    """chDB opens a data directory in one process only, so the first use takes a process lock
    (waiting up to `lock_timeout` seconds for another run to finish). SQLMesh, running in the
    same process, opens its own client on the same directory, which chDB allows."""

    kind = "chdb"
    exclusive = True

    def __init__(self, path: Path, lock_timeout: float = 600):
        self.path = Path(path)
        self.lock_timeout = lock_timeout
        self._client = None

    @property
    def client(self):
        if self._client is None:
            hold_warehouse_lock(self.path, self.lock_timeout)
            self.path.mkdir(parents=True, exist_ok=True)
            logger.debug("opening chDB warehouse at {}", self.path)
            self._client = clickhouse_connect.get_client(
                interface="chdb", path=str(self.path), settings=dict(SESSION_SETTINGS),
                chdb_options=dict(ENGINE_OPTIONS),
            )
        return self._client

    def command(self, sql: str) -> None:
        self.client.command(sql)

    def query(self, sql: str) -> list[tuple]:
        return [tuple(r) for r in self.client.query(sql).result_rows]

    def query_with_columns(self, sql: str) -> tuple[list[str], list[tuple]]:
        result = self.client.query(sql)
        return list(result.column_names), [tuple(r) for r in result.result_rows]

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Sequence]) -> None:
        if rows:
            self.client.insert(table, rows, column_names=list(columns))
