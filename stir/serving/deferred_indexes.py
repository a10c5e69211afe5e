"""A COPY into a table without indexes is several times faster than one that maintains them
row by row. The shadow is created from the serving DDL (so it has exactly its keys and
indexes), then its primary key, unique constraints and indexes are dropped, the rows are
copied, and they are built again from PostgreSQL's own definitions, all in the load's one
transaction. A duplicate key then fails when the constraint is built, naming the key."""
from __future__ import annotations

from psycopg2 import sql

from stir.sqlfiles import read_sql


def _statement(sql_file: str, **parts) -> sql.Composed:
    return sql.SQL(read_sql("stir.serving.sql", sql_file)).format(**parts)


def defer(cur, table: str) -> list[tuple[str, str, str]]:
    """Drop the keys and indexes of stir_shadow.<table>; returns (kind, name, definition) of each."""
    cur.execute(read_sql("stir.serving.sql", "deferrable_indexes.sql"), {"name": f"stir_shadow.{table}"})
    found = cur.fetchall()
    shadow = sql.Identifier("stir_shadow", table)
    for kind, name, _ in found:
        if kind == "constraint":
            cur.execute(_statement("drop_constraint.sql", table=shadow, name=sql.Identifier(name)))
        else:  # the index's regclass text, from the catalog
            cur.execute(_statement("drop_index.sql", name=sql.SQL(name)))
    return found


def rebuild(cur, table: str, found: list[tuple[str, str, str]]) -> None:
    """Build again what defer() dropped (definitions from pg_get_constraintdef / pg_get_indexdef)."""
    cur.execute(read_sql("stir.serving.sql", "index_build_settings.sql"))
    shadow = sql.Identifier("stir_shadow", table)
    for kind, name, definition in found:
        if kind == "constraint":
            cur.execute(_statement("add_constraint.sql", table=shadow, name=sql.Identifier(name),
                                   definition=sql.SQL(definition)))
        else:
            cur.execute(definition)
