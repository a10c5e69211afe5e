"""A local directory as the staging store (the embedded default)."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from stir.sqlfiles import literal
from stir.store.base import Store


class LocalStore(Store):
    def __init__(self, root: Path):
        self.root = Path(root)

    def path(self, key: str) -> Path:
        return self.root / key

    def exists(self, key: str) -> bool:
        return self.path(key).exists()

    def put_text(self, key: str, text: str) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, target)

    def read_text(self, key: str) -> str:
        return self.path(key).read_text(encoding="utf-8")

    def open(self, key: str):
        return self.path(key).open("rb")

    def download(self, key: str, dest: Path) -> None:
        """A hard link where the store and `dest` share a file system (no bytes copied: an
        export is never written again in place, see clickhouse_destination), else a copy."""
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(dest.name + ".tmp")
        tmp.unlink(missing_ok=True)
        try:
            os.link(self.path(key), tmp)
        except OSError:   # another file system, or links not allowed
            shutil.copyfile(self.path(key), tmp)
        os.replace(tmp, dest)

    def objects(self, prefix: str) -> list[tuple[str, float]]:
        base = self.path(prefix)
        return [(str(p.relative_to(self.root)), p.stat().st_mtime) for p in base.rglob("*") if p.is_file()]

    def delete_prefix(self, prefix: str) -> None:
        shutil.rmtree(self.path(prefix), ignore_errors=True)

    def clickhouse_destination(self, key: str, fmt: str) -> str:
        # chDB writes the file itself; only an embedded warehouse can reach this directory.
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        # Written anew, never truncated in place: a download linked to the old file keeps it.
        target.unlink(missing_ok=True)
        return f"file({literal(str(target.resolve()))}, {literal(fmt)})"

    def describe(self, key: str) -> str:
        return str(self.path(key))
