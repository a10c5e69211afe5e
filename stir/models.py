"""Runs Stir's SQLMesh project in this process (so it shares the embedded warehouse)."""
from __future__ import annotations

import datetime as dt
import logging
import sys
import time
from typing import NamedTuple

from loguru import logger

from stir import late_data
from stir.errors import StirError
from stir.settings import Settings, load_settings
from stir.sqlmesh_lock import hold as hold_sqlmesh_lock
from stir.warehouse import get_warehouse


# Stir applies model changes with skip_backfill on purpose (the run that follows computes
# every missing interval up to T), so SQLMesh's warning about it says nothing to a user.
_EXPECTED_WARNINGS = ("Skipping the backfill stage",)
# What the last run's console reported: model -> error, for failed and skipped models.
_PROBLEMS: dict[str, str] = {}


class ModelsFailed(StirError):
    """Some models failed (an audit included) or were skipped after a failure; the others ran.
    `failures`: model name (schema.model) -> error."""

    def __init__(self, selector: str, failures: dict[str, str], ran: bool):
        self.failures, self.ran = failures, ran
        names = ", ".join(sorted(failures))
        super().__init__(f"sqlmesh run of {selector}: {len(failures)} model(s) failed or skipped: {names}")


def _model_name(node_name: str) -> str:
    return node_name.replace('"', "")


def _capture_problems(console) -> None:
    """Keep the failed and skipped models the console reports (it prints them as before)."""
    from sqlmesh.core.console import _format_node_errors

    failed, skipped = console.log_failed_models, console.log_skipped_models

    def log_failed_models(errors):
        for name, message in _format_node_errors(errors).items():
            _PROBLEMS[_model_name(name)] = " ".join(str(message).split())[:500]
        failed(errors)

    def log_skipped_models(names):
        for name in names:
            _PROBLEMS.setdefault(_model_name(name), "skipped: an upstream model failed")
        skipped(names)

    console.log_failed_models, console.log_skipped_models = log_failed_models, log_skipped_models


def _console(verbose: bool):
    from rich.console import Console as RichConsole
    from sqlmesh.core.console import create_console
    from sqlmesh.utils import rich as srich

    # Under cron or into a log file there is no terminal width: rich would wrap every
    # model's line at 80 columns.
    width = None if sys.stdout.isatty() else 200
    # (Without a terminal SQLMesh picks its MarkdownConsole, which takes `width` itself.)
    console = create_console(console=RichConsole(theme=srich.theme, width=width), width=width)
    if not verbose:
        logging.getLogger("sqlmesh").setLevel(logging.ERROR)  # the console shows what matters, once
        warn = console.log_warning

        def log_warning(short_message, long_message=None, *args, **kwargs):
            if not short_message.lstrip().startswith(_EXPECTED_WARNINGS):
                warn(short_message, long_message, *args, **kwargs)

        console.log_warning = log_warning
    _capture_problems(console)
    return console


def context(settings: Settings | None = None, load: bool = True):
    """A SQLMesh context on Stir's project; with not `load`, the project is not loaded (a run
    evaluates prod's snapshots from the state database: see ensure_prod_current)."""
    from sqlmesh import Context
    from sqlmesh.core.console import set_console

    from stir.sqlmesh_config import build_config

    settings = settings or load_settings()
    # SQLMesh's Python API is silent by default; its console shows progress and failures.
    set_console(_console(settings.verbose))
    return Context(paths=str(settings.sqlmesh_project), config=build_config(settings), load=load)


def restate(ctx, selector: str, end: str, downstream: bool = False) -> list[str]:
    """Forget what prod computed for the selected models and everything upstream of them (and
    with `downstream`, everything downstream too), from the models' start up to `end`, so the
    runs that follow compute those intervals again (for data that changed inside intervals
    already run). Returns the models restated."""
    from sqlmesh.utils.date import to_timestamp

    # Upstream models too (a tier's marts read staging models of a faster tier, which would not
    # be due again and would feed the restated marts the old data).
    snapshots = prod_snapshots(ctx, f"{selector}+" if downstream else selector)
    if not snapshots:
        return []
    # From a week before the models' start (removing intervals a model does not have is harmless).
    start = dt.datetime.fromisoformat(ctx.config.model_defaults.start)   # model_start, as ctx was built with
    interval = (to_timestamp(start - dt.timedelta(days=7)), to_timestamp(end))
    ctx.state_sync.remove_intervals([(s, interval) for s in snapshots], remove_shared_versions=True)
    names = sorted(s.name for s in snapshots)
    logger.info("sqlmesh: restating {} model(s) up to {}: their intervals run again", len(names), end)
    return names


def prod_models(ctx, env=None) -> dict:
    """Prod's models (what a run evaluates), by name, from its environment `env` (read from
    state when not given); empty before the first plan."""
    env = env if env is not None else ctx.state_reader.get_environment("prod")
    if env is None:
        return {}
    snapshots = ctx.state_reader.get_snapshots(env.snapshots).values()   # kept in memory for the run
    return {s.name: s.model for s in snapshots if s.is_model}


def select_prod(ctx, selection: str, models: dict) -> set[str]:
    """The names of `models` (prod_models) that `selection` (SQLMesh's model selection syntax)
    selects."""
    from sqlmesh.utils import UniqueKeyDict
    from sqlmesh.utils.dag import DAG

    if not models:
        return set()
    dag: DAG[str] = DAG()
    for name, model in models.items():
        dag.add(name, model.depends_on)
    selector = ctx._new_selector(models=UniqueKeyDict("models", **models), dag=dag)
    return set(selector.expand_model_selections([selection]))


def prod_snapshots(ctx, selector: str) -> list:
    """Prod's snapshots (table infos) of the models `selector` selects and of every model
    upstream of them; empty before the first plan."""
    env = ctx.state_reader.get_environment("prod")
    if env is None:
        return []
    selected = select_prod(ctx, f"+{selector}", prod_models(ctx, env))
    return [s for s in env.snapshots if s.name in selected]


def prod_is_current(ctx) -> bool:
    """Whether prod already runs this project's model versions: its last plan finished and its
    models' fingerprints are the project's. Then the run skips building a plan to look for
    changes (0.7 s of every run); any other difference still goes through the plan."""
    from sqlmesh.core.snapshot import fingerprint_from_node

    env = ctx.state_reader.get_environment("prod")
    if env is None or not env.finalized_ts:
        return False
    nodes = {**ctx.models, **ctx.standalone_audits}
    cache: dict = {}
    local = {fqn: fingerprint_from_node(node, nodes=nodes, cache=cache).to_identifier() for fqn, node in nodes.items()}
    return local == {s.name: s.fingerprint.to_identifier() for s in env.snapshots}


def search_start(ctx, selector: str) -> dt.datetime | None:
    """Where the run may start looking for missing intervals of the selected models and those
    upstream: a day (plus each model's lookback) before the earliest first gap among them.
    SQLMesh otherwise lists every interval since each model's start, on every run: at
    15-minute cadence from 2024-01-01 (model_start) that is about 100,000 per model, and about
    1.5 s of a 15-minute run. None (SQLMesh searches from each model's start) when a model has
    a gap at its start: never run, or restated."""
    from sqlmesh.core.snapshot.definition import start_date
    from sqlmesh.utils.date import to_timestamp

    snapshots = ctx.state_reader.get_snapshots([s.snapshot_id for s in prod_snapshots(ctx, selector)])
    if not snapshots:
        return None
    earliest = None
    for snapshot in snapshots.values():
        intervals = snapshot.intervals
        if not intervals or intervals[0][0] > to_timestamp(start_date(snapshot, snapshots)):
            return None
        back = ((getattr(snapshot.node, "lookback", 0) or 0) + 1) * snapshot.node.interval_unit.milliseconds
        first_gap = intervals[0][1] - back - 86_400_000
        earliest = first_gap if earliest is None else min(earliest, first_gap)
    return dt.datetime.fromtimestamp(earliest / 1000, dt.timezone.utc).replace(tzinfo=None)


def apply_changes(ctx, run_tests: bool = True) -> bool:
    """auto_plan: apply the project's model changes to prod, if it has any, without computing
    anything (the run evaluates every missing interval up to its end, so T is the same whether
    or not the plan changed). The plan is built once, and the model tests run (unless not
    `run_tests`) only when there is a change to apply. Returns whether there was."""
    # skip_linter: a mart that no longer fits its serving table fails its own publish (schema
    # drift), not the whole run; a person's `sqlmesh plan` runs the lint rules and stops there.
    builder = ctx.plan_builder("prod", skip_tests=True, skip_linter=True, skip_backfill=True)
    if not builder.build().has_changes:
        return False
    logger.info("sqlmesh: the project differs from prod; applying it (auto_plan), the run computes it")
    if run_tests:
        result = ctx.test()
        if not result.wasSuccessful():
            failed = sorted({str(test) for test, _ in result.failures + result.errors})
            raise StirError(f"sqlmesh: model test(s) failed, so the project's changes were not applied to prod "
                            f"and no model ran: {', '.join(failed)}")
    ctx.console.plan(builder, auto_apply=True, default_catalog=ctx.default_catalog, no_prompts=True)
    return True


def ensure_prod_current(ctx, settings: Settings) -> None:
    """auto_plan: make prod run this project's models (apply_changes), loading the project
    only when it or prod changed since a run last found them the same (stir/project_record.py)."""
    from stir import project_record

    project_digest = project_record.digest(settings.sqlmesh_project, ctx.config)
    env = ctx.state_reader.get_environment("prod")
    if env is not None and env.finalized_ts and project_record.is_recorded(settings, project_digest, env.plan_id):
        return
    ctx.load()
    if not prod_is_current(ctx):
        apply_changes(ctx, settings.plan_tests)
        env = ctx.state_reader.get_environment("prod")
    if env is not None and env.finalized_ts:
        project_record.record(settings, project_digest, env.plan_id)


class ModelsRun(NamedTuple):
    ran: bool                  # whether any model interval ran
    late: list[late_data.Late]  # late rows found, for which the run restated its models


def run_models(selector: str, end: str, restate_intervals: bool = False,
               settings: Settings | None = None) -> ModelsRun:
    """Apply the project's changes to prod (when auto_plan is on, the embedded default), then
    run the selected models' due intervals up to `end`; with `restate_intervals`, every
    interval up to `end` is computed again, and so it is when raw rows arrived too late for
    the incremental models to read them (stir/late_data.py)."""
    settings = settings or load_settings()
    hold_sqlmesh_lock(settings.lock_timeout)
    ctx = context(settings, load=False)
    if settings.auto_plan:
        ensure_prod_current(ctx, settings)
    watch = late_data.LateWatch(get_warehouse(settings), selector, late_data.watches(ctx, selector, end)) \
        if settings.watch_late_data else None
    late = []
    if watch:
        began = time.perf_counter()
        late = watch.find()
        logger.info("late data watch: {} raw source(s) counted in {:.2f}s{}", len(watch.sources),
                    time.perf_counter() - began, "" if late else ", none late")
    for found in late:
        logger.warning("late data: {}", found.describe())
    if late:  # with --restate too: the other tiers' models downstream must see the late rows
        names = restate(ctx, selector, end, downstream=True)
        logger.warning("late data: restated {} model(s) so the late rows count: {} and everything downstream "
                       "(the other tiers' models are computed again on their next run)", len(names), selector)
    elif restate_intervals:
        restate(ctx, selector, end)
    start = search_start(ctx, selector)
    logger.info("sqlmesh: running {} up to {} (missing intervals from {})", selector, end,
                f"{start:%Y-%m-%d %H:%M}" if start else "each model's start")
    _PROBLEMS.clear()
    status = _without_analytics(type(ctx).run)(ctx, "prod", start=start, end=end, select_models=[selector])
    if status.is_failure:
        if _PROBLEMS:
            raise ModelsFailed(selector, dict(_PROBLEMS), ran=True)
        raise StirError(f"sqlmesh run of {selector} failed; see the SQLMesh output above")
    if watch and not status.is_nothing_to_do:
        watch.record()
    return ModelsRun(ran=not status.is_nothing_to_do, late=late)


def _without_analytics(method):
    """A Context method without SQLMesh's usage-analytics wrapper, which on every call, even with
    analytics disabled (as Stir's config has them), imports IPython and walks the call stack:
    0.15-0.2 s of each tier run."""
    return getattr(method, "__wrapped__", method)


def computed_until(model: str, settings: Settings | None = None) -> str | None:
    """The end (UTC, 'YYYY-MM-DD hh:mm:ss') of the last interval prod has computed for `model`
    (a SQLMesh model name such as stir_marts.mart_post_metrics), or None if it never ran."""
    ctx = context(settings, load=False)
    env = ctx.state_reader.get_environment("prod")
    if env is None:
        return None
    wanted = ".".join(f'"{part}"' for part in model.split("."))
    found = [s for s in env.snapshots if s.name == wanted]
    if not found:
        return None
    snapshot = ctx.state_reader.get_snapshots([found[0].snapshot_id])[found[0].snapshot_id]
    if not snapshot.intervals:
        return None
    end_ms = max(end for _, end in snapshot.intervals)
    return f"{dt.datetime.fromtimestamp(end_ms / 1000, dt.timezone.utc):%Y-%m-%d %H:%M:%S}"
