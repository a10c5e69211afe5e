"""Luigi tasks of the crawler jobs. Each requires its tier's models and outputs a record of
its run for T, so a re-run with the same T does nothing and a crashed run starts again (the
jobs themselves never send or queue the same thing twice)."""
from __future__ import annotations

from pathlib import Path

import luigi
from loguru import logger

from stir.errors import StirError
from stir.jobs import asset_upload, keyword_report, records, rescrape
from stir.models import computed_until
from stir.postgres import connected
from stir.publish.targets import StoreTarget
from stir.publish.tasks import RunModels
from stir.run_record import not_computed
from stir.settings import load_settings, project_dir
from stir.store import get_store
from stir.warehouse import get_warehouse


class _Job(luigi.Task):
    task_namespace = "stir"
    tier = luigi.Parameter()
    end = luigi.Parameter()
    restate = luigi.BoolParameter(default=False)
    reads: tuple[str, ...] = ()   # the models the job reads

    def requires(self):
        return RunModels(tier=self.tier, end=self.end, restate=self.restate)

    def check_inputs(self) -> None:
        """Refuse to act on a model this run failed to compute (its content would be stale)."""
        failed = not_computed(self.tier, self.end, self.reads)
        if failed:
            model, error = next(iter(failed.items()))
            raise StirError(f"{self.task_family}: not run: {model} did not compute in this run ({error}); "
                            "it runs again with the next run of the tier")


class RescrapeCollectionPosts(_Job):
    """Sends re-scrape requests for recent collection posts to the crawler's API (rescrape.py).
    Outputs: the job's finished run record for T in stir_meta.job_runs (counts accepted,
    rejected, failed). Without crawler_api_url it records that it was skipped."""

    reads = ("stir_staging.stg_post_collection", "stir_staging.stg_post_collection_item",
             "stir_staging.stg_instagram_post", "stir_staging.stg_youtube_post")

    def output(self):
        return records.JobRunTarget(rescrape.JOB, self.end)

    def run(self):
        self.check_inputs()
        settings = load_settings()
        with connected() as conn:
            if not settings.crawler_api_url:
                logger.info("{}: skipped: crawler_api_url is not set", rescrape.JOB)
                records.start(conn, rescrape.JOB, self.end)
                records.finish(conn, rescrape.JOB, self.end, {"skipped": "crawler_api_url is not set"})
                return
            counts = rescrape.run_configured(get_warehouse(), conn, self.end, settings)
        self.set_status_message(f"{counts['accepted']} accepted, {counts['rejected']} rejected, "
                                f"{counts['failed']} failed")


class QueueAssetUploads(_Job):
    """Queues PENDING asset-upload requests in the crawler's task queue (asset_upload.py).
    Outputs: the job's finished run record for T in stir_meta.job_runs (counts queued)."""

    reads = ("stir_staging.stg_instagram_account", "stir_staging.stg_youtube_account",
             "stir_staging.stg_instagram_post", "stir_staging.stg_youtube_post")

    def output(self):
        return records.JobRunTarget(asset_upload.JOB, self.end)

    def run(self):
        self.check_inputs()
        with connected() as conn:
            counts = asset_upload.run_configured(get_warehouse(), conn, self.end, load_settings())
        self.set_status_message(f"{counts['queued']} requests queued")


class KeywordReport(_Job):
    """Writes the keyword report of one configured keyword list (keyword_report.py).
    Outputs: the report's manifest in the staging store (its Parquet beside it)."""

    reads = (keyword_report.MART,)

    path = luigi.Parameter()

    def _inputs(self):
        path = Path(self.path)
        if not path.is_absolute():
            path = project_dir() / path
        return path.stem, keyword_report.read_keywords(path), load_settings().keyword_report_days

    def output(self):
        name, words, days = self._inputs()
        return StoreTarget(keyword_report.report_key(name, words, days, self.end) + "/manifest.json")

    def run(self):
        self.check_inputs()
        name, words, days = self._inputs()
        report = keyword_report.write(get_warehouse(), get_store(), name, words, days, self.end,
                                      computed_until(keyword_report.MART))
        self.set_status_message(f"{report.rows} posts -> {report.key}")


def tier_jobs(tier: str, end: str, restate: bool = False) -> list[luigi.Task]:
    """The crawler jobs a tier runs (JOB_TIERS), after its models."""
    jobs: list[luigi.Task] = []
    if tier == JOB_TIERS[rescrape.JOB]:
        jobs.append(RescrapeCollectionPosts(tier=tier, end=end, restate=restate))
    if tier == JOB_TIERS[asset_upload.JOB]:
        jobs.append(QueueAssetUploads(tier=tier, end=end, restate=restate))
    if tier == JOB_TIERS["keyword_reports"]:
        jobs += [KeywordReport(tier=tier, end=end, restate=restate, path=p) for p in load_settings().keyword_list_paths]
    return jobs


JOB_TIERS = {rescrape.JOB: "15min", asset_upload.JOB: "2h", "keyword_reports": "daily"}
