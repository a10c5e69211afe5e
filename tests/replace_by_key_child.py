"""Run in a child process by tests/test_sqlmesh_clickhouse.py (chDB opens one data directory
per process): replaces keys in two tables through Stir's ClickHouse engine adapter, one made
with the patch-part settings and one without, and prints, as JSON, each table's rows after
and the statements the adapter ran."""
from __future__ import annotations

import json
import sys

from sqlglot import exp

from stir.sqlmesh_chdb import ChdbConnectionConfig

COLUMNS = {name: exp.DataType.build(kind, dialect="clickhouse") for name, kind in (("k", "String"), ("v", "Int64"), ("p", "UInt8"))}


def main(path: str) -> None:
    adapter = ChdbConnectionConfig(path=path).create_engine_adapter()
    ran: list[str] = []
    execute = adapter.execute

    def recorded(expressions, *args, **kwargs):
        for e in expressions if isinstance(expressions, list) else [expressions]:
            ran.append(e if isinstance(e, str) else e.sql(dialect="clickhouse"))
        return execute(expressions, *args, **kwargs)

    adapter.execute = recorded
    adapter.execute("CREATE DATABASE IF NOT EXISTS s")
    out = {}
    for table, settings in (("s.patched", " SETTINGS enable_block_number_column = 1, enable_block_offset_column = 1"),
                            ("s.plain", "")):
        adapter.execute(f"CREATE TABLE {table} (k String, v Int64, p UInt8) ENGINE = MergeTree "
                        f"PARTITION BY p ORDER BY k{settings}")
        adapter.execute(f"INSERT INTO {table} VALUES ('a', 1, 1), ('b', 2, 1), ('c', 3, 2), ('d', 4, 2)")
        ran.clear()
        new = ("SELECT * FROM (SELECT 'b' AS k, 20 AS v, 1 AS p UNION ALL SELECT 'c', 30, 1 "
               "UNION ALL SELECT 'e', 5, 2)")
        adapter.merge(table, exp.maybe_parse(new, dialect="clickhouse"), COLUMNS, unique_key=[exp.column("k")])
        rows = adapter.fetchall(f"SELECT k, v, p FROM {table} ORDER BY k")
        out[table] = {"rows": [list(r) for r in rows], "statements": list(ran),
                      "patch_deletes": adapter.takes_patch_deletes(table)}
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1])
