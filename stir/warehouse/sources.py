"""The raw source tables of the contract (sources.sql), created in the warehouse when absent."""
from __future__ import annotations

import re

from stir.sqlfiles import read_sql, split_statements
from stir.warehouse.base import Warehouse

_CREATE_TABLE = re.compile(r"CREATE TABLE\s+([A-Za-z_][\w]*\.[A-Za-z_][\w]*)", re.IGNORECASE)


def source_statements() -> list[tuple[str | None, str]]:
    """(table or None for databases, statement) for every statement of sources.sql."""
    out = []
    for statement in split_statements(read_sql("stir.warehouse.sql", "sources.sql")):
        match = _CREATE_TABLE.match(statement)
        out.append((match.group(1) if match else None, statement))
    return out


def source_tables() -> list[str]:
    return [table for table, _ in source_statements() if table]


def ensure_sources(wh: Warehouse) -> None:
    """Create the contract's databases and raw tables that do not exist yet."""
    for table, statement in source_statements():
        if table is None or not wh.table_exists(table):
            wh.command(statement)
