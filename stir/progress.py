"""What a tier run prints by default: one line per step that ran, with its time, and one
line per failure with its reason. Luigi's scheduler lines, its summary and the tracebacks of
Stir's own (expected) errors are shown with --verbose only."""
from __future__ import annotations

import logging
import time

import luigi
from loguru import logger

from stir.errors import StirError


def label(task: luigi.Task) -> str:
    """'leaderboard: ExportMart (fingerprint ...)', 'models tag:daily' ..."""
    params = task.param_kwargs
    if "fingerprint" in params:
        return f"{params['table']}: {type(task).__name__} (fingerprint {params['fingerprint']})"
    if "table" in params:
        return f"{params['table']}: {type(task).__name__}"
    if "tier" in params:
        return f"models tag:{params['tier']}"
    return str(task)


_started: dict[str, float] = {}


@luigi.Task.event_handler(luigi.Event.START)
def _step_started(task: luigi.Task) -> None:
    _started[task.task_id] = time.monotonic()


@luigi.Task.event_handler(luigi.Event.SUCCESS)
def _step_done(task: luigi.Task) -> None:
    seconds = time.monotonic() - _started.pop(task.task_id, time.monotonic())
    if type(task).__name__ != "Publish":  # it only sequences the steps, which say what they did
        logger.info("{}: done in {:.1f}s", label(task), seconds)


# (step, error) of every step that failed in this process, for the run's alert.
FAILURES: list[tuple[str, str]] = []


@luigi.Task.event_handler(luigi.Event.FAILURE)
def _step_failed(task: luigi.Task, exception: BaseException) -> None:
    logger.error("{}: failed: {}", label(task), exception)
    FAILURES.append((label(task), str(exception).splitlines()[0] if str(exception) else type(exception).__name__))


class _DropExpectedTracebacks(logging.Filter):
    """Stir's own errors already name what failed (logged by _step_failed): no traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], StirError))


def luigi_logging(verbose: bool) -> dict:
    """Prepare Luigi's logger; returns the luigi.build() arguments that set its level (Luigi
    sets its level itself when a build starts)."""
    luigi_logger = logging.getLogger("luigi-interface")
    luigi_logger.propagate = False  # SQLMesh attaches a root handler: Luigi's lines would print twice
    if verbose:
        return {}
    luigi_logger.addFilter(_DropExpectedTracebacks())
    return {"log_level": "WARNING"}
