"""A SQLMesh connection type for chDB: Stir's ClickHouse engine adapter (SQLMesh's, with
stir/sqlmesh_clickhouse.py's one change), reaching the in-process ClickHouse engine through
clickhouse-connect's DB-API in chdb mode.

SQLMesh 0.236 has no public plugin registry for connection types, so importing this module
adds `chdb` to its connection type maps (then `type: chdb` also works in a YAML config).
"""
from __future__ import annotations

import typing as t
from functools import partial

from pydantic import Field
from sqlmesh.core.config import connection as _connection

from stir.sqlmesh_clickhouse import StirClickhouseConnectionConfig


class ChdbConnectionConfig(StirClickhouseConnectionConfig):
    """`path`: the chDB data directory (the same one Stir's own warehouse client opens)."""

    path: str
    lock_timeout: int = 600
    host: str = "chdb"
    username: str = "default"
    type_: t.Literal["chdb"] = Field(alias="type", default="chdb")
    DISPLAY_NAME: t.ClassVar[str] = "chDB"

    @property
    def _connection_kwargs_keys(self) -> t.Set[str]:
        return set()

    @property
    def _static_connection_kwargs(self) -> t.Dict[str, t.Any]:
        return {}

    @property
    def _connection_factory(self) -> t.Callable:
        from clickhouse_connect.dbapi import connect

        from stir.warehouse.base import SESSION_SETTINGS
        from stir.warehouse.embedded import ENGINE_OPTIONS
        from stir.warehouse.lock import hold_warehouse_lock

        hold_warehouse_lock(self.path, self.lock_timeout)
        settings = {f"ch_{name}": value for name, value in SESSION_SETTINGS.items()}
        return partial(connect, interface="chdb", path=self.path, chdb_options=dict(ENGINE_OPTIONS), **settings)

    @property
    def cloud_mode(self) -> bool:
        return False


_connection.CONNECTION_CONFIG_TO_TYPE["chdb"] = ChdbConnectionConfig
_connection.DIALECT_TO_TYPE["chdb"] = "clickhouse"
_connection.INIT_DISPLAY_INFO_TO_TYPE["chdb"] = (99, "chDB")
