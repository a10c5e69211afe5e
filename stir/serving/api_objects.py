"""What the API relies on around a live serving table, carried across a swap or rollback:
grants to other roles, column comments, and views over the table. PostgreSQL keeps them
with the table's OID, so they would follow the old table into stir_backup; the swap
captures them first and re-applies them to the new live table in the same transaction."""
from __future__ import annotations

from dataclasses import dataclass, field

from psycopg2 import sql

from stir.sqlfiles import read_sql

PRIVILEGES = {"SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"}


@dataclass
class ApiObjects:
    grants: list[tuple[str, list[str]]] = field(default_factory=list)   # (grantee, privileges)
    comments: list[tuple[str, str]] = field(default_factory=list)       # (column, comment)
    views: list[tuple[str, str]] = field(default_factory=list)          # (qualified name, definition)


def capture(cur, table: str) -> ApiObjects:
    """The grants, column comments and dependent views of public.<table> (none if absent)."""
    found = ApiObjects()
    cur.execute(read_sql("stir.serving.sql", "api_objects.sql"), {"table": table, "name": f"public.{table}"})
    rows = cur.fetchall()
    cur.execute(read_sql("stir.serving.sql", "reset_search_path.sql"))
    for kind, name, value in rows:
        if kind == "grant":
            found.grants.append((name, [p for p in value.split(", ") if p in PRIVILEGES]))
        elif kind == "comment":
            found.comments.append((name, value))
        else:
            found.views.append((name, value))
    return found


def restore(cur, table: str, objects: ApiObjects) -> None:
    """Apply captured grants and comments to public.<table> and bind the views to it."""
    target = sql.Identifier("public", table)
    for grantee, privileges in objects.grants:
        if privileges:
            cur.execute(sql.SQL(read_sql("stir.serving.sql", "regrant.sql")).format(
                privileges=sql.SQL(", ").join(sql.SQL(p) for p in privileges), table=target,
                grantee=sql.SQL("PUBLIC") if grantee == "PUBLIC" else sql.Identifier(grantee)))
    for column, text in objects.comments:
        cur.execute(sql.SQL(read_sql("stir.serving.sql", "recomment.sql")).format(
            column=sql.Identifier("public", table, column), text=sql.Literal(text)))
    for view, definition in objects.views:
        # Both come from PostgreSQL's own catalog (regclass text, pg_get_viewdef).
        cur.execute(sql.SQL(read_sql("stir.serving.sql", "repoint_view.sql")).format(
            view=sql.SQL(view), definition=sql.SQL(definition)))
