"""Applies the serving database's DDL: Stir's schemas, and every serving table that does not
exist yet (created empty, so the API can start before the first publish). A publish always
rebuilds its table from the current DDL file, so a DDL change reaches the live table with
the next publish."""
from __future__ import annotations

from loguru import logger

from stir.publish.specs import SPECS
from stir.sqlfiles import ident, read_sql, render_sql


def table_exists(cur, schema: str, table: str) -> bool:
    cur.execute(read_sql("stir.serving.sql", "table_exists.sql"), {"name": f"{schema}.{table}"})
    return cur.fetchone()[0]


def create_table(cur, schema: str, spec) -> None:
    """Create a serving table from its DDL file inside `schema` (the caller's transaction)."""
    cur.execute(render_sql("stir.serving.sql", "search_path.sql", schema=ident(schema)))
    cur.execute(read_sql("stir.serving.ddl", spec.ddl))
    cur.execute(read_sql("stir.serving.sql", "reset_search_path.sql"))


def migrate(conn) -> list[str]:
    """Idempotent. Returns the serving tables it created."""
    created = []
    with conn.cursor() as cur:
        cur.execute(read_sql("stir.serving.sql", "meta.sql"))
        for spec in SPECS.values():
            if not table_exists(cur, "public", spec.table):
                create_table(cur, "public", spec)
                created.append(spec.table)
    conn.commit()
    for table in created:
        logger.info("created empty serving table {}", table)
    return created
