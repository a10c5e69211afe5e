"""Shared formulas (sqlmesh_project/macros) evaluated on chDB's real engine, for the edge
cases a model test would have to build whole tables for."""
from __future__ import annotations

import importlib.util

from sqlglot import exp

from conftest import REPO

_spec = importlib.util.spec_from_file_location("stir_macros", REPO / "sqlmesh_project" / "macros" / "metrics.py")
macros = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(macros)


def col(name: str) -> exp.Column:
    return exp.column(name)


def test_stable_id_is_defined_for_keys_with_nulls(warehouse):
    """A NULL part made cityHash64 NULL, so every NULL key shared the id NULL."""
    stable_id = macros.stable_id(None, col("a"), col("b"))
    rows = warehouse.query(
        f"SELECT a, b, {stable_id} FROM values('a Nullable(String), b Nullable(Int64)', "
        "('x', 1), ('x', NULL), ('', NULL), (NULL, NULL), (NULL, 0), ('x', 0))"
    )
    ids = [row[2] for row in rows]
    assert all(isinstance(i, int) and i >= 0 for i in ids)
    assert len(set(ids)) == len(ids)


def test_stable_id_keeps_the_ids_of_keys_without_nulls(warehouse):
    """Ids already published (leaderboard) must not change with the NULL fix."""
    stable_id = macros.stable_id(None, col("a"), col("b"))
    old = warehouse.scalar("SELECT toInt64(cityHash64(toString('x'), toString(1)) % 9223372036854775807)")
    assert warehouse.scalar(f"SELECT {stable_id} FROM values('a String, b Int64', ('x', 1))") == old


def test_json_or_null_keeps_only_json_objects(warehouse):
    json_or_null = macros.json_or_null(None, col("j"))
    rows = warehouse.query(
        f"SELECT j, {json_or_null} FROM values('j String', (''), ('{{}}'), ('{{\"male\": 0.6}}'), ('[1]'), ('5'), "
        "('\"x\"'), ('null'), ('{bad'))"
    )
    assert [(j, out) for j, out in rows] == [
        ("", None), ("{}", "{}"), ('{"male": 0.6}', '{"male": 0.6}'), ("[1]", None), ("5", None),
        ('"x"', None), ("null", None), ("{bad", None),
    ]


def test_latest_value_equals_the_tuple_order_it_replaces(warehouse):
    """@latest_value orders by one UInt128 instead of the (at, value) tuple: the same pick on
    ties, negative and 64-bit values, NULLs skipped, NULL when a group has no value."""
    latest = macros.latest_value(None, col("v"), col("at"))
    reference = "if(countIf(v IS NOT NULL) = 0, NULL, argMaxIf(assumeNotNull(v), (at, assumeNotNull(v)), v IS NOT NULL))"
    rows = warehouse.query(
        f"SELECT g, {latest}, {reference} FROM values('g String, v Nullable(Int64), at DateTime', "
        "('tie', 5, '2026-01-01 00:00:00'), ('tie', 7, '2026-01-01 00:00:00'), ('tie', 9, '2025-12-31 23:59:59'), "
        "('negative', -3, '2026-01-01 00:00:00'), ('negative', -9000000000000000000, '2026-01-01 00:00:00'), "
        "('big', 9000000000000000000, '2026-01-01 00:00:00'), ('big', -1, '2026-01-01 00:00:00'), "
        "('later null', 1, '2026-01-01 00:00:00'), ('later null', NULL, '2026-02-01 00:00:00'), "
        "('none', NULL, '2026-01-01 00:00:00'), ('epoch', 4, '1970-01-01 00:00:00'), ('epoch', 2, '1970-01-01 00:00:00')) "
        "GROUP BY g ORDER BY g"
    )
    assert {g: (got, want) for g, got, want in rows} == {
        "big": (9000000000000000000, 9000000000000000000), "epoch": (4, 4), "later null": (1, 1),
        "negative": (-3, -3), "none": (None, None), "tie": (7, 7),
    }


def test_latest_orders_of_parts_combine_into_the_latest_value_of_all(warehouse):
    """The growth checkpoint keeps @latest_order's pick over the events before it, and the
    snapshot adds the events after it: the greatest of the parts' orders gives the same
    value (and time) as @latest_value over all the rows, ties across the parts included."""
    latest = macros.latest_value(None, col("v"), col("at"))
    order = macros.latest_order(None, col("v"), col("at"))
    value, at = macros.order_value(None, col("o")), macros.order_at(None, col("o"))
    rows = "values('g String, part UInt8, v Nullable(Int64), at DateTime', " \
        "('tie across', 0, 5, '2026-01-01 00:00:00'), ('tie across', 1, 7, '2026-01-01 00:00:00'), " \
        "('later part', 0, 9, '2026-01-01 00:00:00'), ('later part', 1, -2, '2026-01-01 00:00:01'), " \
        "('earlier part wins', 0, -9000000000000000000, '2026-01-02 00:00:00'), ('earlier part wins', 1, 3, '2026-01-01 00:00:00'), " \
        "('one part', 1, 9000000000000000000, '2026-01-01 00:00:00'), " \
        "('none', 0, NULL, '2026-01-01 00:00:00'), ('none', 1, NULL, '2026-01-02 00:00:00'))"
    combined = warehouse.query(
        f"SELECT g, {value}, toString({at}) FROM (SELECT g, max(o) AS o FROM "
        f"(SELECT g, part, {order} AS o FROM {rows} GROUP BY g, part) GROUP BY g) ORDER BY g"
    )
    whole = warehouse.query(f"SELECT g, {latest} FROM {rows} GROUP BY g ORDER BY g")
    assert [(g, v) for g, v, _ in combined] == [tuple(r) for r in whole]
    assert {g: (v, t) for g, v, t in combined} == {
        "earlier part wins": (-9000000000000000000, "2026-01-02 00:00:00"), "later part": (-2, "2026-01-01 00:00:01"),
        "none": (None, None), "one part": (9000000000000000000, "2026-01-01 00:00:00"),
        "tie across": (7, "2026-01-01 00:00:00"),
    }
