"""What the publish chain needs from a staging store. Keys are '/'-separated relative paths."""
from __future__ import annotations

import abc
import hashlib
from pathlib import Path
from typing import BinaryIO

from stir.publish.manifest import MANIFEST


class Store(abc.ABC):
    @abc.abstractmethod
    def exists(self, key: str) -> bool: ...

    @abc.abstractmethod
    def put_text(self, key: str, text: str) -> None:
        """Write a small object atomically (readers never see half of it)."""

    @abc.abstractmethod
    def read_text(self, key: str) -> str: ...

    @abc.abstractmethod
    def open(self, key: str) -> BinaryIO:
        """A binary stream of an object's bytes, read as they arrive (close it when done)."""

    @abc.abstractmethod
    def download(self, key: str, dest: Path) -> None:
        """Copy an object to a local file (written whole, or not at all)."""

    def checksum(self, key: str) -> tuple[int, str]:
        """(size in bytes, SHA-256 hex digest) of an object, read through once."""
        digest, size = hashlib.sha256(), 0
        fh = self.open(key)
        try:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
                size += len(chunk)
        finally:
            fh.close()
        return size, digest.hexdigest()

    def presigned_url(self, key: str, expires_s: int = 3600) -> str | None:
        """A URL that lets another host download the object without credentials of its own
        (None: this store has none, its objects are sent from here)."""
        return None

    @abc.abstractmethod
    def clickhouse_destination(self, key: str, fmt: str) -> str:
        """A ClickHouse table function writing `fmt` to this key (file() or s3())."""

    @abc.abstractmethod
    def objects(self, prefix: str) -> list[tuple[str, float]]:
        """(key, modified time) of every object below `prefix`."""

    def manifests(self, prefix: str) -> list[tuple[str, float]]:
        """(key, modified time) of every export manifest below `prefix`."""
        return [(key, mtime) for key, mtime in self.objects(prefix) if key.rsplit("/", 1)[-1] == MANIFEST]

    @abc.abstractmethod
    def delete_prefix(self, prefix: str) -> None:
        """Delete every object below `prefix`."""

    def secrets(self) -> list[str]:
        """Credentials that clickhouse_destination() puts into SQL, to scrub from errors."""
        return []

    @abc.abstractmethod
    def describe(self, key: str) -> str:
        """Where a key lives, for messages (never contains a secret)."""
