"""Reads back what a serving table holds, for people: row count, last publish, top rows."""
from __future__ import annotations

from importlib import resources

import psycopg2.errors

from stir.errors import StirError
from stir.publish.specs import PublishSpec
from stir.sqlfiles import ident, read_sql, render_sql


def _top_query(spec: PublishSpec) -> str:
    """The table's own show_<table>.sql (e.g. the API's first query), else its first rows by key."""
    own = f"show_{spec.table}.sql"
    if resources.files("stir.serving.sql").joinpath(own).is_file():
        return render_sql("stir.serving.sql", own, table=ident(spec.table))
    key = ", ".join(ident(column) for column in spec.key)
    return render_sql("stir.serving.sql", "show_table.sql", table=ident(spec.table), key=key)


def show_table(conn, spec: PublishSpec, limit: int = 10) -> dict:
    try:
        with conn.cursor() as cur:
            cur.execute(read_sql("stir.serving.sql", "meta.sql"))
            cur.execute(read_sql("stir.serving.sql", "last_publish.sql"), {"table": spec.table})
            last = cur.fetchone()
            cur.execute(render_sql("stir.serving.sql", "count.sql", table=ident(spec.table)))
            rows = cur.fetchone()[0]
            cur.execute(_top_query(spec), {"limit": limit})
            columns = [d[0] for d in cur.description]
            top = cur.fetchall()
    except psycopg2.errors.UndefinedTable:
        raise StirError(f"{spec.table} has not been published yet: there is no table public.{spec.table} "
                        f"(run bin/run_tier {' or '.join(spec.tiers) or 'TIER'})") from None
    finally:
        conn.rollback()
    return {"rows": rows, "last_publish": last, "columns": columns, "top": top}
