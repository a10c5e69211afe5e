"""Runs one tier once through Luigi: the local scheduler by default, `luigid` when
`[stir] central_scheduler = true` (or STIR_CENTRAL_SCHEDULER=1); [core] scheduler_host/port
in luigi.cfg say where it is."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import luigi
from luigi.execution_summary import _summary_dict
from loguru import logger

from stir import alerts, log
from stir.progress import FAILURES, label, luigi_logging
from stir.jobs.tasks import tier_jobs
from stir.publish.tasks import Publish, RunModels, SwapTable
from stir.run_record import read_models
from stir.settings import load_settings
from stir.tier_lock import running_elsewhere, tier_lock
from stir.tiers import HEAVY_TIERS, TIERS_BY_NAME, check_tier, publishes


@dataclass
class TierResult:
    tier: str
    end: str
    ok: bool
    models: dict | None = None          # {'ran', 'restated'} once the model step finished
    published: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # the steps that failed
    skipped: str | None = None   # why the run did nothing (heavy_guard = skip)

    def last_line(self) -> str:
        """What the run did, in one line: a run that did nothing says so."""
        head = f"tier {self.tier} (T = {self.end} UTC)"
        if self.skipped:
            return f"{head}: skipped: {self.skipped}"
        if not self.ok:
            failed = ", ".join(self.failed) or "see the output above"
            done = f"; published nevertheless: {', '.join(self.published)}" if self.published else ""
            return f"{head}: failed: {failed}{done}"
        if self.models is None:
            models = "models not run"
        elif self.models["restated"]:
            models = "models restated and run"
        elif self.models["ran"]:
            models = "models ran"
        else:
            models = "no model interval was due (--restate runs them again)"
        if not self.published and (self.models is None or not self.models["ran"]):
            tables = ", ".join(self.unchanged)
            return f"{head}: nothing to do: {models}" + (f"; already live: {tables}" if tables else "")
        parts = [models]
        if self.published:
            parts.append("published " + ", ".join(self.published))
        if self.unchanged:
            parts.append("unchanged " + ", ".join(self.unchanged))
        return f"{head}: done: " + "; ".join(parts)


def tier_tasks(tier: str, end: str, restate: bool = False) -> list[luigi.Task]:
    tasks: list[luigi.Task] = [RunModels(tier=tier, end=end, restate=restate)]
    tasks += [Publish(table=spec.table, tier=tier, end=end, restate=restate) for spec in publishes(tier)]
    tasks += tier_jobs(tier, end, restate)
    return tasks


def run_tier(tier: str, end: str, central_scheduler: bool | None = None, restate: bool = False) -> TierResult:
    """Run `tier` once with T = `end` (resolved by the caller: every task of the run, and of
    every luigid worker, carries the same end)."""
    check_tier(tier)
    settings = load_settings()
    if central_scheduler is None:
        central_scheduler = settings.central_scheduler
    # chDB is in-process: one worker, so every task shares this process's warehouse.
    workers = 1 if settings.warehouse == "chdb" else settings.workers
    logging_args = luigi_logging(settings.verbose)
    tables = [spec.table for spec in publishes(tier)]
    with tier_lock(tier, end) as record:   # raises TierRunning when another run has the tier
        heavy = [h for h in HEAVY_TIERS if h != tier and running_elsewhere(record.conn, h)] \
            if settings.heavy_guard == "skip" and tier not in HEAVY_TIERS else []
        if heavy:
            why = f"the {heavy[0]} tier is running ({running_elsewhere(record.conn, heavy[0])}; heavy_guard = skip)"
            logger.warning("tier {}: skipped: {}", tier, why)
            record("skipped")
            return TierResult(tier=tier, end=end, ok=True, skipped=why)
        logger.info("tier {}: T = {} UTC; models tag:{}{}, publishing {}", tier, end, tier,
                    " (restated)" if restate else "", ", ".join(tables) or "nothing")
        result = luigi.build(
            tier_tasks(tier, end, restate),
            local_scheduler=not central_scheduler,
            workers=workers,
            detailed_summary=True,
            **logging_args,
        )
        ok = result.status in (luigi.LuigiStatusCode.SUCCESS, luigi.LuigiStatusCode.SUCCESS_WITH_RETRY)
        models = read_models(tier, end)
        failed_models = sorted((models or {}).get("failures", {}))
        ok = ok and not failed_models
        summary = _summary_dict(result.worker)
        swapped = {task.table for task in summary["completed"] if isinstance(task, SwapTable)}
        outcome = TierResult(
            tier=tier, end=end, ok=ok, models=models,
            published=[t for t in tables if t in swapped],
            unchanged=[t for t in tables if t not in swapped] if ok else [],
            failed=sorted(label(task) for task in summary["failed"]) + [f"model {m}" for m in failed_models],
        )
        record("ok" if ok else "failed")
    return outcome


def run_tier_job(tier: str, end: str, retries: int = 0, delay_s: float = 60, **kwargs) -> TierResult:
    """What `bin/run_tier` does, for a run nobody watches: a log file of its own (its path
    printed first), an alert if it is still running after the tier's timeout, the run started
    again up to `retries` times after a failure (same T: every step is idempotent, so a retry
    resumes where the failed run stopped), and an alert when it finally fails."""
    settings = load_settings()
    log_path = log.run_log_path(settings.home / "logs", tier)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    sink = log.run_log(log_path)
    logger.info("tier {}: log file {}", tier, log_path)
    log.prune_run_logs(log_path.parent, settings.keep_logs_days, log_path)
    timeout_s = settings.tier_timeout or TIERS_BY_NAME[tier].timeout_min * 60
    watchdog = alerts.watchdog(tier, end, timeout_s, log_path)
    try:
        for attempt in range(retries + 1):
            FAILURES.clear()
            result = run_tier(tier, end, **kwargs)
            if result.ok or attempt == retries:
                break
            logger.warning("tier {}: failed; retrying in {:.0f}s (retry {} of {})", tier, delay_s, attempt + 1, retries)
            time.sleep(delay_s)
        if not result.ok:
            alerts.tier_failed(tier, end, list(FAILURES) or [(step, "failed") for step in result.failed], log_path)
        return result
    finally:
        watchdog.cancel()
        logger.remove(sink)
