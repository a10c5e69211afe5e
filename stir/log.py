"""Logging for Stir's own messages (loguru), with secrets masked wherever they might appear."""
from __future__ import annotations

import datetime as dt
import os
import re
import sys
import time
from pathlib import Path

from loguru import logger

from stir.errors import ConfigError

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
SECRET_VARIABLES = ("CLICKHOUSE_PASSWORD", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "STIR_PG_DSN", "PGPASSWORD",
                    "STIR_ALERT_WEBHOOK_URL")


def _secrets() -> list[str]:
    values = [os.environ.get(name, "") for name in SECRET_VARIABLES]
    dsn = os.environ.get("STIR_PG_DSN", "")
    if dsn:
        import psycopg2.extensions

        try:
            values.append(psycopg2.extensions.parse_dsn(dsn).get("password", ""))
        except Exception:  # an unparsable DSN is reported where it is used
            pass
    return [v for v in values if len(v) >= 4]


def mask(text: str) -> str:
    for secret in _secrets():
        text = text.replace(secret, "***")
    return text


def _patch(record) -> None:
    record["message"] = mask(record["message"])


def setup(level: str | None = None) -> None:
    """Log Stir's messages to stderr at STIR_LOG_LEVEL (default INFO)."""
    level = (level or os.environ.get("STIR_LOG_LEVEL", "INFO")).upper()
    if level not in LEVELS:
        raise ConfigError(f"log level {level!r}: expected one of {', '.join(LEVELS)}")
    logger.remove()
    logger.configure(patcher=_patch)
    logger.add(
        sys.stderr,
        level=level,
        format="<green>{time:HH:mm:ss}</green> <level>{level: <7}</level> {message}",
        colorize=None,
    )


def run_log(path) -> int:
    """Also write Stir's messages to `path` (one file per tier run); returns the sink's id."""
    return logger.add(str(path), level="DEBUG", format="{time:YYYY-MM-DD HH:mm:ss} {level: <7} {message}")


_RUN_LOG = re.compile(r"[a-z0-9]+-\d{8}T\d{6}-\d+\.log")   # run_log_path's names


def run_log_path(directory: Path, tier: str) -> Path:
    """This tier run's log file: <tier>-<UTC time>-<pid>.log in `directory`."""
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S")
    return directory / f"{tier}-{stamp}-{os.getpid()}.log"


def prune_run_logs(directory: Path, days: int, current: Path) -> int:
    """Remove the tier runs' log files in `directory` last written more than `days` days ago
    (0: keep every one), never `current` nor a file of another name. Returns how many."""
    if days <= 0:
        return 0
    cutoff, removed = time.time() - days * 86400, 0
    for path in directory.iterdir():
        if path == current or not _RUN_LOG.fullmatch(path.name):
            continue
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:   # another run pruned it first
            pass
    if removed:
        logger.info("removed {} run log(s) older than {} days from {} (keep_logs_days)", removed, days, directory)
    return removed
