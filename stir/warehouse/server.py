"""A ClickHouse server or cluster over the native protocol (clickhouse-driver)."""
from __future__ import annotations

from typing import Sequence

from stir.settings import Settings
from stir.warehouse.base import SESSION_SETTINGS, Warehouse


class ServerWarehouse(Warehouse):
    kind = "clickhouse"

    def __init__(self, settings: Settings):
        from clickhouse_driver import Client

        self._client = Client(
            host=settings.clickhouse_host,
            port=settings.clickhouse_port,
            user=settings.clickhouse_user,
            password=settings.clickhouse_password,
            secure=settings.clickhouse_secure,
            settings=dict(SESSION_SETTINGS),
        )

    def command(self, sql: str) -> None:
        self._client.execute(sql)

    def query(self, sql: str) -> list[tuple]:
        return [tuple(r) for r in self._client.execute(sql)]

    def query_with_columns(self, sql: str) -> tuple[list[str], list[tuple]]:
        rows, types = self._client.execute(sql, with_column_types=True)
        return [name for name, _ in types], [tuple(r) for r in rows]

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Sequence]) -> None:
        if rows:
            self._client.execute(f"INSERT INTO {table} ({', '.join(columns)}) VALUES", list(rows))
