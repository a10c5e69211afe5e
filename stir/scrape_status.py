"""Scrape monitoring (`stir status --scrapes`): the crawler's task queue as the `5min` tier
last measured it (mart_scrape_monitor_snapshot), and which flows pass their alarm
thresholds: a failure rate over the last hour above `scrape_max_failure_rate`, or a request
PENDING for longer than `scrape_max_pending_age` seconds."""
from __future__ import annotations

from dataclasses import asdict, dataclass

from stir.errors import StirError
from stir.settings import Settings
from stir.sqlfiles import read_sql


@dataclass
class ScrapeRow:
    flow: str
    status: str
    requests_last_hour: int
    requests_last_day: int
    failure_rate_last_hour: float | None
    failure_rate_last_day: float | None
    oldest_pending_age_s: int | None
    newest_complete_age_s: int | None


@dataclass
class ScrapeStatus:
    at: str | None             # T of the snapshot (UTC), None before the 5min tier's first run
    rows: list[ScrapeRow]
    alarms: list[str]          # one line per flow over a threshold

    def as_dict(self) -> dict:
        return {"at": self.at, "rows": [asdict(r) for r in self.rows], "alarms": self.alarms}


def alarms(rows: list[ScrapeRow], max_failure_rate: float, max_pending_age: int) -> list[str]:
    found: dict[str, str] = {}
    for row in rows:
        if row.flow in found:
            continue
        if row.failure_rate_last_hour is not None and row.failure_rate_last_hour > max_failure_rate:
            found[row.flow] = (f"{row.flow}: {row.failure_rate_last_hour:.0%} of the requests finished in the last "
                               f"hour failed (scrape_max_failure_rate = {max_failure_rate:g})")
        elif row.oldest_pending_age_s is not None and row.oldest_pending_age_s > max_pending_age:
            found[row.flow] = (f"{row.flow}: a request has been PENDING for {row.oldest_pending_age_s / 60:.0f} min "
                               f"(scrape_max_pending_age = {max_pending_age} s)")
    return list(found.values())


def scrape_status(wh, settings: Settings) -> ScrapeStatus:
    try:
        result = wh.query(read_sql("stir.warehouse.sql", "scrape_monitor.sql"))
    except Exception as exc:  # the mart does not exist before the 5min tier's first run
        if "UNKNOWN_TABLE" in str(exc) or "UNKNOWN_DATABASE" in str(exc) or "doesn't exist" in str(exc):
            raise StirError("no scrape monitoring yet: run the 5min tier first (bin/run_tier 5min)") from None
        raise
    rows = [ScrapeRow(*r[1:]) for r in result]
    at = f"{result[0][0]:%Y-%m-%d %H:%M:%S}" if result else None
    return ScrapeStatus(at, rows, alarms(rows, settings.scrape_max_failure_rate, settings.scrape_max_pending_age))
