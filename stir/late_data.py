"""Late data: raw rows that reach the warehouse dated before what the incremental models re-read.

The incremental staging models read only the rows dated from their interval's start less
their lookback (a day). A row that arrives later than that (a replica catching up after an
outage, a crawler backfilling) would never be read, and the published tables would miss it
until someone ran the tier with --restate. So a tier run that runs such models counts, per
raw source they read and per day, the rows dated before its cutoff (the run's end less the
models' lookback and one interval: what the next run no longer re-reads), and records the
counts in stir_meta.late_watch (per selection of models: each reads up to its own cutoff). The next run counts the rows before that same cutoff again:
a day whose count changed received rows the models never read, so the run restates its
models and everything downstream of them (the other tiers' marts too) before it runs.

The price is one scan of each such source's time column per run. `watch_late_data = false`
turns it off (late rows then wait for a --restate).
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from stir.postgres import connected
from stir.sqlfiles import ident, read_sql, render_sql, t_literal
from stir.warehouse.base import Warehouse
from stir.warehouse.sources import source_tables

# The column that dates a raw source's rows (sources.sql), where it is not updated_at.
TIME_COLUMNS = {"_e.profile_log_events": "insert_timestamp", "_e.scrape_request_log_events": "event_timestamp"}


@dataclass(frozen=True)
class Watch:
    """A raw source that incremental models read, and the cutoff its rows are counted before."""

    source: str
    column: str
    cutoff: dt.datetime


@dataclass(frozen=True)
class Late:
    """Rows of `source` dated before `cutoff` that arrived (or went) after the run that recorded it."""

    source: str
    cutoff: dt.datetime
    days: tuple[str, ...]   # the days whose number of rows changed
    rows: int               # rows added on those days (net)

    def describe(self) -> str:
        span = self.days[0] if len(self.days) == 1 else f"{self.days[0]} to {self.days[-1]}"
        return (f"{self.source}: {self.rows:+,} row(s) dated {span} ({len(self.days)} day(s)), before "
                f"{self.cutoff:%Y-%m-%d %H:%M:%S} UTC, changed since the last run of these models read them")


def watches(ctx, selector: str, end: str) -> list[Watch]:
    """The raw sources read by the selected models of prod (what the run evaluates) that are
    incremental (FULL models and views read every row on every run), each with the cutoff of a
    run ending at `end`."""
    from stir.models import prod_models, select_prod

    raw = set(source_tables())
    reach: dict[str, dt.timedelta] = {}
    models = prod_models(ctx)
    for fqn in select_prod(ctx, selector, models):
        model = models.get(fqn)
        if model is None or not model.kind.is_incremental:
            continue
        # The next run re-reads from its interval's start (this run's end, or the interval
        # before it when the end is not on the model's cron) less the lookback.
        back = dt.timedelta(seconds=((model.lookback or 0) + 1) * model.interval_unit.seconds)
        for dependency in model.depends_on:
            name = dependency.replace('"', "")
            if name in raw:
                reach[name] = max(reach.get(name, back), back)
    at = dt.datetime.fromisoformat(end)
    return [Watch(source, TIME_COLUMNS.get(source, "updated_at"), at - back) for source, back in sorted(reach.items())]


class LateWatch:
    """find() compares the sources' rows per day with what the last run recorded; record(),
    after a run that computed the models, stores this run's counts."""

    def __init__(self, wh: Warehouse, reader: str, sources: list[Watch]):
        # reader: the selection of models the counts are kept for (each reads up to its own cutoff)
        self.wh, self.reader, self.sources = wh, reader, sources
        self._counts: dict[str, dict[str, int]] = {}

    def find(self) -> list[Late]:
        recorded = _recorded(self.reader, [w.source for w in self.sources])
        late = []
        for w in self.sources:
            cutoff, before = recorded.get(w.source, (w.cutoff, None))
            rows = self.wh.query(render_sql(
                "stir.warehouse.sql", "late_watch_counts.sql", source=ident(w.source), column=ident(w.column),
                old=t_literal(f"{cutoff:%Y-%m-%d %H:%M:%S}"), new=t_literal(f"{w.cutoff:%Y-%m-%d %H:%M:%S}")))
            self._counts[w.source] = {str(day): int(n) for day, _, n in rows if n}
            if before is None:
                continue   # the first run that reads this source: nothing to compare with
            now = {str(day): int(n) for day, n, _ in rows if n}
            changed = sorted(day for day in set(now) | set(before) if now.get(day, 0) != before.get(day, 0))
            if changed:
                late.append(Late(w.source, cutoff, tuple(changed),
                                 sum(now.get(day, 0) - before.get(day, 0) for day in changed)))
        return late

    def record(self) -> None:
        counted = [w for w in self.sources if w.source in self._counts]
        if not counted:
            return
        with connected() as conn:
            with conn.cursor() as cur:
                for w in counted:
                    cur.execute(read_sql("stir.serving.sql", "late_watch_record.sql"),
                                {"reader": self.reader, "source": w.source, "cutoff": w.cutoff,
                                 "day_rows": json.dumps(self._counts[w.source])})
            conn.commit()


def _recorded(reader: str, sources: list[str]) -> dict[str, tuple[dt.datetime, dict[str, int]]]:
    if not sources:
        return {}
    with connected() as conn:
        with conn.cursor() as cur:
            cur.execute(read_sql("stir.serving.sql", "meta.sql"))
            cur.execute(read_sql("stir.serving.sql", "late_watch_read.sql"), {"reader": reader, "sources": sources})
            found = {source: (cutoff, dict(day_rows)) for source, cutoff, day_rows in cur.fetchall()}
        conn.commit()
    return found
