"""The PostgreSQL side the publish steps share: one transaction per step and its errors, the
fingerprint marker a loaded or live table carries in its comment, and who holds a lock."""
from __future__ import annotations

from contextlib import contextmanager

import psycopg2

from stir.errors import PublishError
from stir.sqlfiles import read_sql


MARKER_PREFIX = "stir:"


def pg_message(exc: psycopg2.Error) -> str:
    return (exc.pgerror or str(exc)).strip()


@contextmanager
def transaction(conn, failure: str, passthrough: tuple = ()):
    """A cursor in one transaction: committed when the block ends, rolled back on any error;
    PostgreSQL's errors become a PublishError that starts with `failure`, except those of the
    `passthrough` types, which are re-raised as they are (after the rollback)."""
    try:
        with conn.cursor() as cur:
            yield cur
        conn.commit()
    except passthrough:
        conn.rollback()
        raise
    except psycopg2.Error as exc:
        conn.rollback()
        raise PublishError(f"{failure}\n{pg_message(exc)}") from None
    except BaseException:
        conn.rollback()
        raise


def table_marker(cur, schema: str, table: str) -> str | None:
    cur.execute(read_sql("stir.serving.sql", "table_marker.sql"), {"schema": schema, "table": table})
    row = cur.fetchone()
    return row[0] if row else None


def has_marker(conn, schema: str, table: str, fp: str) -> bool:
    return marked_fingerprint(conn, schema, table) == fp


def marked_fingerprint(conn, schema: str, table: str) -> str | None:
    """The fingerprint `schema.table` was published or loaded with (None: unmarked or absent)."""
    with conn.cursor() as cur:
        marker = table_marker(cur, schema, table)
    conn.rollback()
    return marker_fingerprint(marker)


def marker_fingerprint(marker: str | None) -> str | None:
    """The fingerprint in a table's comment, None if the comment is not a marker."""
    return marker.removeprefix(MARKER_PREFIX) if marker and marker.startswith(MARKER_PREFIX) else None


def lock_holder(conn, sql_file: str, params: dict) -> str:
    """Who holds a lock (lock_holder.sql or publish_lock_holder.sql), for messages."""
    with conn.cursor() as cur:
        cur.execute(read_sql("stir.serving.sql", sql_file), params)
        row = cur.fetchone()
    conn.rollback()
    return session_text(row) if row else "a session that has since let go"


def session_text(row: tuple) -> str:
    """A session as the holder queries return it (pid, start, state, query), for messages."""
    pid, started, state, query = row
    return f"pid {pid} ({state}, query started {started:%Y-%m-%d %H:%M:%S%z}: {query!r})"
