"""Schema drift between a mart and its serving table, caught before anything is exported:
every serving column must come from a mart column of a compatible type, and a mart column
the serving table does not have is refused (the load would refuse it later)."""
from __future__ import annotations

import re
import uuid

from stir.errors import PublishError
from stir.publish.specs import PublishSpec
from stir.serving.migrate import create_table
from stir.sqlfiles import read_sql, render_sql
from stir.warehouse.base import Warehouse

_INTS = ("Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32")
# PostgreSQL type of a serving column -> ClickHouse types that load into it as Stir exports them.
COMPATIBLE = {
    "bigint": _INTS,
    "integer": ("Int8", "Int16", "Int32", "UInt8", "UInt16"),
    "smallint": ("Int8", "Int16", "UInt8"),
    "double precision": ("Float32", "Float64", *_INTS),
    "real": ("Float32",),
    "numeric": ("Float32", "Float64", "Decimal", *_INTS),
    "text": ("String", "FixedString", "UUID"),
    "character varying": ("String", "FixedString"),
    "boolean": ("Bool",),
    "timestamp without time zone": ("DateTime", "DateTime64"),
    "date": ("Date", "Date32"),
    "jsonb": ("String",),
    "json": ("String",),
}
_WRAPPERS = re.compile(r"^(?:Nullable|LowCardinality)\((.*)\)$")


def base_type(ch_type: str) -> str:
    """'LowCardinality(Nullable(String))' -> 'String'; 'DateTime64(3)' -> 'DateTime64'."""
    while (match := _WRAPPERS.match(ch_type)) is not None:
        ch_type = match.group(1)
    return ch_type.split("(", 1)[0]


def serving_columns(conn, spec: PublishSpec) -> list[tuple[str, str]]:
    """(name, PostgreSQL type) of the columns the spec's DDL creates, read by creating the
    table in a scratch schema in a transaction that is rolled back."""
    schema = f"stir_check_{uuid.uuid4().hex[:8]}"
    try:
        with conn.cursor() as cur:
            cur.execute(render_sql("stir.serving.sql", "scratch_schema.sql", schema=schema))
            create_table(cur, schema, spec)
            cur.execute(read_sql("stir.serving.sql", "ddl_columns.sql"), {"schema": schema, "table": spec.table})
            return [(name, kind) for name, kind in cur.fetchall()]
    finally:
        conn.rollback()


def drift(wh: Warehouse, conn, spec: PublishSpec) -> list[str]:
    """Every way the mart does not fit the serving table (empty when it fits)."""
    mart = {name: kind for name, kind in wh.columns(spec.mart)}
    if not mart:
        return [f"mart {spec.mart} does not exist; run the models first (bin/run_tier)"]
    serving = serving_columns(conn, spec)
    problems = []
    for name, pg_type in serving:
        if name not in mart:
            problems.append(f"serving column {name} ({pg_type}) is missing from mart {spec.mart}")
        elif base_type(mart[name]) not in COMPATIBLE.get(pg_type, ()):
            problems.append(f"column {name} is {mart[name]} in mart {spec.mart}, which does not load into "
                            f"the serving table's {pg_type}")
    known = {name for name, _ in serving}
    problems += [f"mart column {name} is not a column of the serving table (add it to {spec.ddl} or drop it)"
                 for name in mart if name not in known]
    return problems


def check(wh: Warehouse, conn, spec: PublishSpec) -> None:
    problems = drift(wh, conn, spec)
    if problems:
        raise PublishError(f"{spec.table}: the mart does not fit the serving table ({spec.ddl}); nothing was "
                           "exported and the live table is untouched:\n  " + "\n  ".join(problems))
