"""transfer = local: the export downloaded next to PostgreSQL, on this machine, before the
load reads it. Each fingerprint's export is staged as a directory, <stage_dir>/<table>/<fp>/,
holding its file or its parts (copy_streams > 1: one COPY session each) under their names in
the store; it is downloaded into <fp>.tmp/ and renamed into place once whole, so its
presence means "staged"."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from loguru import logger

from stir.publish.manifest import Manifest
from stir.store.base import Store


def stage(store: Store, manifest: Manifest, directory: Path) -> None:
    """Download the manifest's export into `directory`, whole or not at all."""
    tmp = directory.with_name(directory.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for key in manifest.files:
        store.download(key, tmp / Manifest.file_name(key))
    os.replace(tmp, directory)   # (fails, rather than nests, if a staged copy is there already)


def staged(manifest: Manifest, directory: Path) -> Path | list[Path]:
    """The staged export, as the load reads it: its one file, or its parts in order."""
    files = [directory / Manifest.file_name(key) for key in manifest.files]
    return files if manifest.parts else files[0]


def prune(stage_dir: Path, table: str, current: str, started: float) -> list[Path]:
    """Delete staged exports of other fingerprints (whole or .tmp) that a crashed run left in
    the stage directory (untouched since `started`). Returns what it deleted."""
    doomed = [path for path in (stage_dir / table).glob("*")
              if path.name != current and not path.name.startswith(current + ".")
              and path.stat().st_mtime < started]
    for path in doomed:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    if doomed:
        logger.info("{}: removed {} staged download(s) left by an earlier crash", table, len(doomed))
    return doomed
