"""The warehouse: ClickHouse, embedded (chDB in-process) or a server (clickhouse-driver).

Both speak the same ClickHouse SQL; only the thin connection layer differs.
`get_warehouse()` returns the process-wide instance chosen by the settings.
"""
from __future__ import annotations

from stir.settings import Settings, load_settings
from stir.warehouse.base import Warehouse

_instances: dict = {}


def get_warehouse(settings: Settings | None = None) -> Warehouse:
    settings = settings or load_settings()
    key = (settings.warehouse, str(settings.chdb_path), settings.clickhouse_host)
    if key not in _instances:
        if settings.warehouse == "chdb":
            from stir.warehouse.embedded import EmbeddedWarehouse

            _instances[key] = EmbeddedWarehouse(settings.chdb_path, lock_timeout=settings.lock_timeout)
        else:
            from stir.warehouse.server import ServerWarehouse

            _instances[key] = ServerWarehouse(settings)
    return _instances[key]


__all__ = ["Warehouse", "get_warehouse"]
