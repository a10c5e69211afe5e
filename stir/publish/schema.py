"""Schema drift between a mart and its serving table, caught before anything is exported:
every serving column must come from a mart column of a compatible type, and a mart column
the serving table does not have is refused, or left out of the export when the table's spec
says `extra_columns = "ignore"`.

The same comparison runs in two places: at publish time against the warehouse and the
serving DDL as PostgreSQL reads it (`drift`), and at `sqlmesh plan` / `sqlmesh lint` time
against the model's columns and the DDL file as sqlglot reads it (`lint_problems`, used by
sqlmesh_project/linter/serving_drift.py), so a model change that breaks a serving table is
caught before it reaches prod."""
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


def table_columns(cur, schema: str, table: str) -> list[tuple[str, str]]:
    """(name, PostgreSQL type) of `schema.table`'s columns, in order (empty if it does not exist)."""
    cur.execute(read_sql("stir.serving.sql", "ddl_columns.sql"), {"schema": schema, "table": table})
    return [(name, kind) for name, kind in cur.fetchall()]


def serving_columns(conn, spec: PublishSpec) -> list[tuple[str, str]]:
    """(name, PostgreSQL type) of the columns the spec's DDL creates, read by creating the
    table in a scratch schema in a transaction that is rolled back."""
    schema = f"stir_check_{uuid.uuid4().hex[:8]}"
    try:
        with conn.cursor() as cur:
            cur.execute(render_sql("stir.serving.sql", "scratch_schema.sql", schema=schema))
            create_table(cur, schema, spec)
            return table_columns(cur, schema, spec.table)
    finally:
        conn.rollback()


def live_fits_ddl(conn, spec: PublishSpec) -> bool:
    """Whether the live table has the DDL's columns (names, types, order): a merge-mode table
    whose DDL changed is published whole and swapped in, not merged, once."""
    try:
        with conn.cursor() as cur:
            live = table_columns(cur, "public", spec.table)
    finally:
        conn.rollback()
    return live == serving_columns(conn, spec)


def compare(spec: PublishSpec, mart: dict[str, str | None], serving: list[tuple[str, str]]) -> list[str]:
    """Every way mart columns {name: ClickHouse type, None when unknown} do not fit serving
    columns [(name, PostgreSQL type)] (empty when they fit)."""
    problems = []
    for name, pg_type in serving:
        if name not in mart:
            problems.append(f"serving column {name} ({pg_type}) is missing from mart {spec.mart}")
        elif mart[name] is not None and base_type(mart[name]) not in COMPATIBLE.get(pg_type, ()):
            problems.append(f"column {name} is {mart[name]} in mart {spec.mart}, which does not load into "
                            f"the serving table's {pg_type}")
    if spec.extra_columns == "refuse":
        known = {name for name, _ in serving}
        problems += [f"mart column {name} is not a column of the serving table (add it to {spec.ddl}, drop it, "
                     "or set extra_columns = 'ignore' in its PublishSpec)" for name in mart if name not in known]
    return problems


def drift(wh: Warehouse, conn, spec: PublishSpec) -> list[str]:
    """Every way the mart does not fit the serving table (empty when it fits)."""
    mart = {name: kind for name, kind in wh.columns(spec.mart)}
    if not mart:
        return [f"mart {spec.mart} does not exist; run the models first (bin/run_tier)"]
    return compare(spec, mart, serving_columns(conn, spec))


# sqlglot's reading of a DDL column type -> its name in PostgreSQL's information_schema.
_PG_NAMES = {"BIGINT": "bigint", "INT": "integer", "SMALLINT": "smallint", "DOUBLE": "double precision",
             "FLOAT": "real", "DECIMAL": "numeric", "TEXT": "text", "VARCHAR": "character varying",
             "BOOLEAN": "boolean", "TIMESTAMP": "timestamp without time zone", "DATE": "date", "JSONB": "jsonb",
             "JSON": "json"}


def ddl_columns(spec: PublishSpec) -> list[tuple[str, str]]:
    """(name, PostgreSQL type) of the serving table's columns, read from its DDL file without
    a database (for the linter)."""
    import sqlglot
    from sqlglot import exp

    for statement in sqlglot.parse(read_sql("stir.serving.ddl", spec.ddl), read="postgres"):
        if isinstance(statement, exp.Create) and statement.kind == "TABLE":
            if isinstance(statement.this, exp.Schema) and statement.this.this.name == spec.table:
                return [(col.name, _PG_NAMES.get(col.kind.this.name, col.kind.sql("postgres").lower()))
                        for col in statement.this.expressions if isinstance(col, exp.ColumnDef)]
    raise ValueError(f"{spec.ddl} creates no table {spec.table}")


def lint_problems(spec: PublishSpec, model_columns: dict[str, str | None]) -> list[str]:
    """The drift between a model's columns ({name: ClickHouse type or None}) and its serving table's DDL."""
    return compare(spec, model_columns, ddl_columns(spec))


def check(wh: Warehouse, conn, spec: PublishSpec) -> None:
    problems = drift(wh, conn, spec)
    if problems:
        raise PublishError(f"{spec.table}: the mart does not fit the serving table ({spec.ddl}); nothing was "
                           "exported and the live table is untouched:\n  " + "\n  ".join(problems))
