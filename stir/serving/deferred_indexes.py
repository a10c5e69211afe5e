"""A COPY into a table without indexes is several times faster than one that maintains them
row by row. The shadow is created from the serving DDL (so it has exactly its keys and
indexes), then its primary key, unique constraints and indexes are dropped, the rows are
copied, and they are built again from PostgreSQL's own definitions (build()): a key as its
unique index, on which the load's transaction then adds the constraint (attach(), a catalog
change with no second pass over the rows). A duplicate key fails when its index is built,
naming the key.

A shadow loaded in one session is created in the load's transaction, which builds its
indexes too. One that parallel COPY sessions loaded is committed (unmarked) before its rows
go in, so as many sessions build its indexes at once, each in a transaction of its own:
each btree build has a long single-process part (its final merge and write) that another
session's build fills."""
from __future__ import annotations

from typing import Iterable, NamedTuple

from psycopg2 import sql

from stir.sqlfiles import read_sql


class Deferred(NamedTuple):
    """A key or index of the shadow, dropped before its COPY (deferrable_indexes.sql)."""

    kind: str          # 'constraint' (primary key or unique) or 'index'
    name: str          # the constraint's name, or the index's (schema-qualified)
    index: str         # the name of the index that holds it (for an index, `name`)
    index_definition: str  # that index's CREATE [UNIQUE] INDEX statement
    constraint_kind: str   # 'PRIMARY KEY' or 'UNIQUE'; '' for an index
    deferral: str      # ' DEFERRABLE', ' INITIALLY DEFERRED' or ''


def _statement(sql_file: str, **parts) -> sql.Composed:
    return sql.SQL(read_sql("stir.serving.sql", sql_file)).format(**parts)


def defer(cur, table: str) -> list[Deferred]:
    """Drop the keys and indexes of stir_shadow.<table>; returns each one's definitions."""
    cur.execute(read_sql("stir.serving.sql", "deferrable_indexes.sql"), {"name": f"stir_shadow.{table}"})
    found = [Deferred(*row) for row in cur.fetchall()]
    shadow = sql.Identifier("stir_shadow", table)
    for each in found:
        if each.kind == "constraint":
            cur.execute(_statement("drop_constraint.sql", table=shadow, name=sql.Identifier(each.name)))
        else:  # the index's regclass text, from the catalog
            cur.execute(_statement("drop_index.sql", name=sql.SQL(each.name)))
    return found


def build(cur, share: Iterable[Deferred]) -> None:
    """Build the indexes of `share` (taken one at a time) in this session, a constraint's as
    its unique index (attach() adds the constraint)."""
    cur.execute(read_sql("stir.serving.sql", "index_build_settings.sql"))
    for each in share:
        cur.execute(each.index_definition)


def attach(cur, table: str, found: list[Deferred]) -> None:
    """After build(): add each constraint of `found` on its index."""
    shadow = sql.Identifier("stir_shadow", table)
    for each in found:
        if each.kind == "constraint":
            cur.execute(_statement("attach_constraint.sql", table=shadow, name=sql.Identifier(each.name),
                                   kind=sql.SQL(each.constraint_kind), index=sql.Identifier(each.index),
                                   deferral=sql.SQL(each.deferral)))
