"""Runs one tier once through Luigi: the local scheduler by default, `luigid` when
`[stir] central_scheduler = true` (or STIR_CENTRAL_SCHEDULER=1); [core] scheduler_host/port
in luigi.cfg say where it is."""
from __future__ import annotations

import logging
from dataclasses import dataclass

import luigi
from loguru import logger

from stir.publish.tasks import Publish, RunModels
from stir.settings import load_settings
from stir.tiers import check_tier, publishes


@dataclass
class TierResult:
    ok: bool


def tier_tasks(tier: str, end: str | None = None) -> list[luigi.Task]:
    tasks: list[luigi.Task] = [RunModels(tier=tier, end=end)]
    tasks += [Publish(table=spec.table, tier=tier, end=end) for spec in publishes(tier)]
    return tasks


def run_tier(tier: str, end: str | None = None, central_scheduler: bool | None = None) -> TierResult:
    check_tier(tier)
    settings = load_settings()
    if central_scheduler is None:
        central_scheduler = settings.central_scheduler
    # chDB is in-process: one worker, so every task shares this process's warehouse.
    workers = 1 if settings.warehouse == "chdb" else settings.workers
    # SQLMesh attaches a handler to the root logger; Luigi has its own, so print its lines once.
    logging.getLogger("luigi-interface").propagate = False
    tables = [spec.table for spec in publishes(tier)]
    logger.info("tier {}: models tag:{}, publishing {}", tier, tier, ", ".join(tables) or "nothing")
    result = luigi.build(
        tier_tasks(tier, end),
        local_scheduler=not central_scheduler,
        workers=workers,
        detailed_summary=True,
    )
    ok = result.status in (luigi.LuigiStatusCode.SUCCESS, luigi.LuigiStatusCode.SUCCESS_WITH_RETRY)
    return TierResult(ok=ok)
