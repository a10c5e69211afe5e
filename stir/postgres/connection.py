"""Connections to the serving PostgreSQL, which also holds SQLMesh's state and Stir's markers."""
from __future__ import annotations

import os
from contextlib import contextmanager

import psycopg2
import psycopg2.extensions

from stir.postgres import embedded
from stir.settings import Settings, load_settings


def conninfo(settings: Settings | None = None) -> str:
    """The libpq connection string of the serving database (contains the password in production:
    never log it)."""
    settings = settings or load_settings()
    if settings.postgres == "embedded":
        return embedded.uri(settings.pgdata, settings.pg_keep_running)
    return settings.pg_dsn


def conninfo_parts(settings: Settings | None = None) -> dict:
    """host, port, user, password, dbname of the serving database (for SQLMesh's state config)."""
    parts = psycopg2.extensions.parse_dsn(conninfo(settings))
    return {
        "host": parts.get("host", "localhost"),
        "port": int(parts.get("port", 5432)),
        "user": parts.get("user", os.environ.get("PGUSER", "postgres")),
        "password": parts.get("password", os.environ.get("PGPASSWORD", "")),
        "dbname": parts.get("dbname", "postgres"),
    }


def connect(settings: Settings | None = None):
    """A new psycopg2 connection to the serving database (autocommit off)."""
    conn = psycopg2.connect(conninfo(settings))
    conn.set_session(autocommit=False)
    return conn


@contextmanager
def connected(settings: Settings | None = None):
    """A connection that is closed on exit (uncommitted work is rolled back)."""
    conn = connect(settings)
    try:
        yield conn
    finally:
        conn.close()


@contextmanager
def crawler_connected(settings: Settings | None = None):
    """A connection to the crawler's database (its task queue): STIR_CRAWLER_PG_DSN when set,
    else the serving database. Closed on exit."""
    dsn = os.environ.get("STIR_CRAWLER_PG_DSN", "")
    conn = psycopg2.connect(dsn) if dsn else connect(settings)
    conn.set_session(autocommit=False)
    try:
        yield conn
    finally:
        conn.close()
