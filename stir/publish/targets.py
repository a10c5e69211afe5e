"""Luigi targets of the publish chain: an object in the staging store, and a fingerprint
marker on a PostgreSQL table (its comment), set in the same transaction as the table."""
from __future__ import annotations

import luigi

from stir.postgres import connected
from stir.publish.steps import has_marker
from stir.store import get_store


class StoreTarget(luigi.Target):
    """An object in the staging store (local directory or S3)."""

    def __init__(self, key: str):
        self.key = key

    def exists(self) -> bool:
        return get_store().exists(self.key)


class TableMarkerTarget(luigi.Target):
    """PostgreSQL table `schema.table` exists and was loaded with `fingerprint`."""

    def __init__(self, schema: str, table: str, fingerprint: str):
        self.schema, self.table, self.fingerprint = schema, table, fingerprint

    def exists(self) -> bool:
        with connected() as conn:
            return has_marker(conn, self.schema, self.table, self.fingerprint)
