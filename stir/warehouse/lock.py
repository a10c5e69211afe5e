"""An exclusive, waiting file lock: one process at a time owns the embedded warehouse."""
from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path

from loguru import logger

from stir.errors import WarehouseLockedError


class ProcessLock:
    """flock()-based lock on `path`; released when the process exits, even on a crash."""

    def __init__(self, path: Path, what: str):
        self.path = Path(path)
        self.what = what
        self._fd: int | None = None

    def forget(self) -> None:
        """In a forked child: close its copy of the lock's descriptor, leaving the lock with
        the parent (an unlock here would release the parent's lock too)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def holder(self) -> str:
        """The pid the holder wrote into the lock file ("unknown" if it cannot be read)."""
        try:
            return self.path.read_text().strip() or "unknown"
        except OSError:
            return "unknown"

    def acquire(self, timeout: float) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + timeout
        announced = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise WarehouseLockedError(
                        f"{self.what} is in use by process {self.holder()} (lock {self.path}); "
                        f"waited {timeout:.0f}s. Wait for that run to finish, or raise lock_timeout."
                    ) from None
                if not announced:
                    logger.info("waiting for {} held by process {}", self.what, self.holder())
                    announced = True
                time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


_held: dict[str, ProcessLock] = {}


def hold_warehouse_lock(data_dir: Path, timeout: float) -> None:
    """Take (once per process) the lock that makes this process the only user of a chDB
    data directory. Stir's own client and SQLMesh's connections both call this."""
    key = str(Path(data_dir).resolve())
    if key not in _held:
        lock = ProcessLock(Path(key + ".lock"), f"warehouse {key}")
        lock.acquire(timeout)
        _held[key] = lock
