"""PostgreSQL: embedded (pgserver, started on demand in a data directory) or a server (STIR_PG_DSN)."""
from stir.postgres.connection import connect, connected, conninfo

__all__ = ["connect", "connected", "conninfo"]
