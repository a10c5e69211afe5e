"""The hash of a mart's row that fingerprints and merge deltas compare (sql/row_hash.sql)."""
from __future__ import annotations

from stir.sqlfiles import ident, render_fragment

# Types whose values cityHash64 and xxHash64 hash as they are; other types (arrays, maps,
# tuples, JSON, variants) are hashed as their RowBinary bytes, which is lossless for any type.
_SCALARS = ("Int", "UInt", "Float", "Decimal", "String", "FixedString", "Date", "DateTime", "Bool",
            "UUID", "Enum", "IPv4", "IPv6")


def _unwrap(kind: str, wrapper: str) -> str:
    return kind[len(wrapper) + 1:-1] if kind.startswith(wrapper + "(") else kind


def _values(name: str, kind: str) -> str:
    """The hashed values of one column: the column itself, or for a Nullable one its NULL
    flag and value (row_hash_nullable.sql), or for a nested type its RowBinary bytes
    (row_hash_nested.sql)."""
    column = ident(name)
    base = _unwrap(_unwrap(kind, "LowCardinality"), "Nullable")
    nullable = base != _unwrap(kind, "LowCardinality")
    head = base.split("(")[0]
    if head not in _SCALARS and head.rstrip("0123456789") not in _SCALARS:
        return render_fragment("stir.publish.sql", "row_hash_nested.sql", column=column)
    return render_fragment("stir.publish.sql", "row_hash_nullable.sql", column=column) if nullable else column


def row_hash(columns: list[tuple[str, str]]) -> str:
    """The SQL expression hashing a row of `columns` ((name, ClickHouse type), all of the
    mart's, in order) into a FixedString(16)."""
    values = ", ".join(_values(name, kind) for name, kind in columns)
    return render_fragment("stir.publish.sql", "row_hash.sql", values=values)
