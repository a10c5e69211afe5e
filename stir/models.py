"""Runs Stir's SQLMesh project in this process (so it shares the embedded warehouse)."""
from __future__ import annotations

from loguru import logger

from stir.errors import StirError
from stir.settings import Settings, load_settings


def context(settings: Settings | None = None):
    from sqlmesh import Context
    from sqlmesh.core.console import create_console, set_console

    from stir.sqlmesh_config import build_config

    settings = settings or load_settings()
    # SQLMesh's Python API is silent by default; its console shows progress and failures.
    set_console(create_console())
    return Context(paths=str(settings.sqlmesh_project), config=build_config(settings))


def run_models(selector: str, end: str | None = None, settings: Settings | None = None) -> None:
    """Apply the project's changes to prod (when auto_plan is on, the embedded default), then
    run the selected models' due intervals up to `end` (default: now)."""
    settings = settings or load_settings()
    ctx = context(settings)
    if settings.auto_plan and ctx.plan_builder("prod").build().has_changes:
        # Apply model changes without computing anything: the run below evaluates every
        # missing interval up to `end`, so T is the same whether or not the plan changed.
        logger.info("sqlmesh: the project differs from prod; applying it (auto_plan), the run computes it")
        ctx.plan("prod", auto_apply=True, no_prompts=True, skip_backfill=True)
    logger.info("sqlmesh: running {} up to {}", selector, end or "now")
    status = ctx.run("prod", end=end, select_models=[selector])
    if status.is_failure:
        raise StirError(f"sqlmesh run of {selector} failed; see the SQLMesh output above")
