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
