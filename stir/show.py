"""Reads back what a serving table holds, for people: row count, last publish, top rows."""
from __future__ import annotations

from stir.sqlfiles import ident, read_sql, render_sql


def show_table(conn, table: str, limit: int = 10) -> dict:
    with conn.cursor() as cur:
        cur.execute(render_sql("stir.serving.sql", "count.sql", table=ident(table)))
        rows = cur.fetchone()[0]
        cur.execute(read_sql("stir.serving.sql", "last_publish.sql"), {"table": table})
        last = cur.fetchone()
        cur.execute(render_sql("stir.serving.sql", f"show_{table}.sql", table=ident(table)), {"limit": limit})
        columns = [d[0] for d in cur.description]
        top = cur.fetchall()
    conn.rollback()
    return {"rows": rows, "last_publish": last, "columns": columns, "top": top}
