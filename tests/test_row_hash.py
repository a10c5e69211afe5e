"""The row hash that fingerprints and merge deltas compare (stir/publish/row_hash.py), on
chDB's real ClickHouse engine: every kind of difference between two rows changes it."""
import pytest

from stir.publish.row_hash import row_hash

# (ClickHouse type, two values of it that must hash apart), one column each.
PAIRS = [
    ("Nullable(String)", "''", "NULL"),
    ("Nullable(Int64)", "0", "NULL"),
    ("Nullable(Float64)", "0", "NULL"),
    ("LowCardinality(Nullable(String))", "''", "NULL"),
    ("String", "'a'", "'a\\0'"),
    ("Float64", "0.1", "0.1000000000000001"),
    ("Float64", "0.0", "-0.0"),
    ("Int64", "1", "-1"),
    ("DateTime", "'2026-01-01 00:00:00'", "'2026-01-01 00:00:01'"),
    ("Bool", "true", "false"),
    ("Array(Nullable(String))", "[]", "[NULL]"),
    ("Array(String)", "['ab']", "['a', 'b']"),
    ("Map(String, Int64)", "map('a', 1)", "map('a', 2)"),
]


def _hash(wh, columns: list[tuple[str, str]], values: list[str]) -> bytes:
    select = ", ".join(f"CAST({v} AS {t}) AS c{i}" for i, ((_, t), v) in enumerate(zip(columns, values)))
    return wh.query(f"SELECT hex({row_hash(columns)}) FROM (SELECT {select})")[0][0]


@pytest.mark.parametrize("kind, one, other", PAIRS)
def test_values_of_a_type_hash_apart(warehouse, kind, one, other):
    columns = [("c0", kind)]
    first, second = _hash(warehouse, columns, [one]), _hash(warehouse, columns, [other])
    assert len(first) == 32 and first != second
    assert _hash(warehouse, columns, [one]) == first   # and the same value hashes the same


def test_values_do_not_run_together_across_columns(warehouse):
    columns = [("c0", "String"), ("c1", "String")]
    assert _hash(warehouse, columns, ["'a'", "'bc'"]) != _hash(warehouse, columns, ["'ab'", "'c'"])
    assert _hash(warehouse, columns, ["''", "'x'"]) != _hash(warehouse, columns, ["'x'", "''"])
    nullable = [("c0", "Nullable(Int64)"), ("c1", "Int64")]
    assert _hash(warehouse, nullable, ["NULL", "1"]) != _hash(warehouse, nullable, ["0", "1"])


def test_nested_types_are_hashed_as_their_binary_form():
    assert "formatRowNoNewline('RowBinary', tags)" in row_hash([("tags", "Array(String)")])
    expression = row_hash([("a", "Nullable(Int64)"), ("b", "String")])
    assert "isNull(a), assumeNotNull(a), b" in expression and "RowBinary" not in expression
