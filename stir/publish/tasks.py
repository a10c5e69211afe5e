"""Luigi tasks of a tier run. Each publish step has a target, so a re-run skips what is done
and a crashed run resumes at the step that failed:

    RunModels(tier) -> Publish(table) => ExportMart -> StageExport -> LoadShadow -> SwapTable

Publish computes the mart's fingerprint after the models ran and then requires the chain
for that fingerprint (a dynamic dependency): the same data publishes nothing new.
"""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import luigi
from loguru import logger

from stir.errors import PublishError
from stir.models import ModelsFailed, run_models
from stir.postgres import connected
from stir.publish import delta, local_stage, remote_stage, schema, steps
from stir.publish.manifest import export_prefix, manifest_key
from stir.publish.remote_stage import RemoteStage
from stir.publish.specs import SPECS
from stir.publish.targets import StoreTarget, TableMarkerTarget
from stir.run_record import not_computed, record_models
from stir.serving.migrate import migrate
from stir.settings import load_settings
from stir.store import get_store
from stir.tiers import model_selector
from stir.timing import PROCESS_STARTED
from stir.warehouse import get_warehouse


class _RunsOnce(luigi.Task):
    """A task whose effect is judged elsewhere: complete once it ran in this process."""

    task_namespace = "stir"  # stir.RunModels, stir.Publish ... in luigid's task list
    _done = False

    def complete(self) -> bool:
        return self._done


class RunModels(_RunsOnce):
    """Runs the SQLMesh models tagged with `tier` whose intervals are due up to `end` (all of
    them again with `restate`). Outputs: the refreshed marts (SQLMesh's interval state
    records what ran) and, for the run's report, whether any interval ran."""

    tier = luigi.Parameter()
    end = luigi.Parameter()
    restate = luigi.BoolParameter(default=False)

    def run(self):
        self.set_status_message(f"running SQLMesh models tag:{self.tier} up to {self.end}")
        try:
            run = run_models(model_selector(self.tier), end=self.end, restate_intervals=self.restate)
            ran, restated, failures = run.ran, self.restate or bool(run.late), {}
        except ModelsFailed as exc:
            # The tables of the other marts are still published; those of the failed models
            # (and everything downstream, which SQLMesh skipped) fail in Publish, and the
            # tier's result is failed.
            ran, restated, failures = exc.ran, self.restate, exc.failures
            logger.error("{}", exc)
        record_models(self.tier, self.end, ran=ran, restated=restated, failures=failures)
        self.set_status_message(
            ("models ran" if ran else "no model interval was due") + (f"; {len(failures)} failed" if failures else ""))
        self._done = True


class _PublishStep(luigi.Task):
    """A step of publishing serving table `table` with the mart content `fingerprint`."""

    task_namespace = "stir"

    table = luigi.Parameter()
    fingerprint = luigi.Parameter()

    def step(self, task_class):
        """Another step of the same publish."""
        return task_class(table=self.table, fingerprint=self.fingerprint)

    def manifest(self):
        return steps.read_manifest(get_store(), self.table, self.fingerprint)


class ExportMart(_PublishStep):
    """Outputs: exports/<table>/<fingerprint>/data.tsv[.zst or .gz] (export_compression) and, once it
    is whole, manifest.json in the staging store."""

    def output(self):
        return StoreTarget(manifest_key(self.table, self.fingerprint))

    def run(self):
        self.set_status_message(f"exporting {SPECS[self.table].mart}")
        settings, spec = load_settings(), SPECS[self.table]
        only = None
        with connected() as conn:
            if spec.extra_columns == "ignore":
                only = frozenset(name for name, _ in schema.serving_columns(conn, spec))
            base = steps.delta_base(conn, spec)  # merge mode: a delta, if the live version's hashes are kept
        manifest = steps.export(get_warehouse(), get_store(), spec, self.fingerprint, compression=settings.compression,
                                checksum=settings.transfer == "ssh", only=only, base=base,
                                parts=settings.copy_streams, parts_min_rows=settings.copy_streams_min_rows,
                                max_changed=settings.merge_max_changed)
        self.set_status_message(f"exported {manifest.rows:,} rows")
        self.set_progress_percentage(100)


class RemoteStageTarget(luigi.Target):
    """transfer = ssh: the export, checked and unpacked, in the directory
    ssh_stage_dir/<table>/<fingerprint>/ on the PostgreSQL host (stir.publish.remote_stage)."""

    def __init__(self, table: str, fingerprint: str):
        self.table, self.fingerprint = table, fingerprint

    @property
    def path(self) -> str:
        return RemoteStage(None, load_settings().ssh_stage_dir).path(self.table, self.fingerprint)

    def exists(self) -> bool:
        with remote_stage.connection() as conn:
            return RemoteStage(conn, load_settings().ssh_stage_dir).exists(self.table, self.fingerprint)


class StageExport(_PublishStep):
    """Outputs: the export next to PostgreSQL: with transfer = local, downloaded into the
    directory <stage_dir>/<table>/<fingerprint>/ on this machine (its file or its parts,
    stir.publish.local_stage); with transfer = ssh, checked and unpacked on the PostgreSQL
    host (RemoteStageTarget)."""

    def requires(self):
        return self.step(ExportMart)

    def output(self):
        if load_settings().transfer == "ssh":
            return RemoteStageTarget(self.table, self.fingerprint)
        return luigi.LocalTarget(str(Path(load_settings().stage_dir) / self.table / self.fingerprint))

    def run(self):
        manifest = self.manifest()
        if load_settings().transfer == "ssh":
            self.set_status_message(f"downloading {manifest.size or 0:,} bytes onto {load_settings().ssh_host}")
            with remote_stage.connection() as conn:
                RemoteStage(conn, load_settings().ssh_stage_dir).stage(get_store(), manifest)
            return
        self.set_status_message(f"downloading {len(manifest.parts) or 1} file(s) of {manifest.rows:,} rows")
        local_stage.stage(get_store(), manifest, Path(self.output().path))


class LoadShadow(_PublishStep):
    """Outputs: stir_shadow.<table>, loaded, checked, analyzed, and marked with the fingerprint.
    With transfer = stream (default) it reads the export straight from the staging store;
    with transfer = local from the file StageExport downloaded; with transfer = ssh PostgreSQL
    reads the file StageExport put on its host."""

    @staticmethod
    def _staged() -> bool:
        return load_settings().transfer in ("local", "ssh")

    def requires(self):
        return self.step(StageExport if self._staged() else ExportMart)

    @contextmanager
    def export_data(self, manifest):
        transfer = load_settings().transfer
        if transfer == "ssh":
            with remote_stage.connection() as conn:
                yield RemoteStage(conn, load_settings().ssh_stage_dir).server_file(manifest)
        elif transfer == "local":
            yield local_stage.staged(manifest, Path(self.input().path))
        elif manifest.parts:   # one COPY stream per part
            yield [lambda key=key: get_store().open(key) for key in manifest.parts]
        else:
            yield lambda: get_store().open(manifest.data_key)

    def output(self):
        return TableMarkerTarget("stir_shadow", self.table, self.fingerprint)

    def _copy_progress(self, rows: int):
        """COPY's progress in luigid's view: lines read of the export's rows (+ its header)."""
        def report(lines: int) -> None:
            done = max(lines - 1, 0)
            self.set_progress_percentage(min(99, done * 100 // max(rows, 1)))
            self.set_status_message(f"copying: {min(done, rows):,} of {rows:,} rows")
        return report

    def run(self):
        manifest = self.manifest()
        self.set_status_message(f"loading {manifest.rows:,} rows into stir_shadow.{self.table}")
        with connected() as conn, self.export_data(manifest) as data:
            settings = load_settings()
            steps.load_shadow(conn, SPECS[self.table], manifest, data,
                              lock_wait_s=settings.swap_max_wait, min_row_fraction=settings.min_row_fraction,
                              progress=self._copy_progress(manifest.changed or manifest.rows),
                              gone=(lambda: get_store().open(manifest.gone_key)) if manifest.gone_key else None)
        self.set_status_message(f"loaded, checked and indexed {manifest.rows:,} rows")
        self.set_progress_percentage(100)


class SwapTable(_PublishStep):
    """Outputs: public.<table> serving the fingerprint's data; the previous one kept in stir_backup."""

    def requires(self):
        return self.step(LoadShadow)

    def output(self):
        return TableMarkerTarget("public", self.table, self.fingerprint)

    def run(self):
        settings = load_settings()
        policy = steps.SwapPolicy(settings.swap_lock_timeout_ms, settings.swap_max_wait)
        manifest = self.manifest()
        spec = SPECS[self.table]
        with connected() as conn:
            try:
                tries, waited = steps.swap(conn, spec, manifest, policy)
            except steps.StaleDelta:
                # Export and load again, against the version that is live now.
                steps.discard_shadow(conn, spec)
                get_store().delete_prefix(export_prefix(self.table, self.fingerprint))
                raise
            if spec.mode == "merge":  # keep the row hashes of the live version and the backup's
                keep = {self.fingerprint, steps.marked_fingerprint(conn, "stir_backup", self.table)}
                delta.prune_hashes(get_warehouse(), spec, keep, PROCESS_STARTED)
        self.set_status_message(f"live: {manifest.rows:,} rows; the swap took {tries} tries, {waited:.2f}s waiting")
        # The staged copy has served its purpose (the export stays in the store).
        steps.prune_exports(get_store(), self.table, settings.keep_exports, self.fingerprint, PROCESS_STARTED)
        if settings.transfer == "ssh":
            with remote_stage.connection() as conn:
                stage = RemoteStage(conn, settings.ssh_stage_dir)
                stage.remove(self.table, self.fingerprint)
                stage.prune(self.table, self.fingerprint, PROCESS_STARTED)
            return
        staged = self.step(StageExport).output()
        if staged.exists():
            staged.remove()
        local_stage.prune(Path(settings.stage_dir), self.table, self.fingerprint, PROCESS_STARTED)


class Publish(_RunsOnce):
    """Publishes serving table `table` from its mart after the tier's models ran. Outputs: the
    live table holding the mart's current content (via SwapTable for its fingerprint)."""

    table = luigi.Parameter()
    tier = luigi.Parameter()
    end = luigi.Parameter()
    restate = luigi.BoolParameter(default=False)
    _fingerprint: str | None = None

    def requires(self):
        # The models first; then the tables this one is published after (PublishSpec.after).
        return [RunModels(tier=self.tier, end=self.end, restate=self.restate)] + [
            Publish(table=first, tier=self.tier, end=self.end, restate=self.restate)
            for first in SPECS[self.table].after]

    def run(self):
        # Luigi calls run() again once the dynamic dependency is done: the gates run and the
        # mart is fingerprinted once per publish, not on each call.
        if self._fingerprint is None:
            spec = SPECS[self.table]
            failed = not_computed(self.tier, self.end, [spec.mart])
            if failed:
                raise PublishError(f"{self.table}: not published: its mart {spec.mart} did not compute in this run "
                                   f"({failed[spec.mart]}); the live table is untouched")
            with connected() as conn:
                migrate(conn)
                schema.check(get_warehouse(), conn, spec)  # drift fails before any export
            self._fingerprint, _ = steps.publish_fingerprint(get_warehouse(), spec)
        yield SwapTable(table=self.table, fingerprint=self._fingerprint)
        self._done = True
