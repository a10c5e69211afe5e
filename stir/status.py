"""Freshness, for people and monitoring: each serving table's last publish and its age
against its tier's schedule, and each tier's last run. A table is stale when its last
publish is older than two periods of its tier's schedule (one missed run is tolerated); a
tier is failing when its last run failed or was killed."""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from croniter import croniter

from stir.publish.specs import SPECS
from stir.sqlfiles import read_sql
from stir.tiers import TIER_TABLE, TIERS_BY_NAME

FAILED = ("failed", "killed", "crashed")


def period(schedule: str, now: dt.datetime) -> dt.timedelta:
    """The longest gap between the schedule's next few starts."""
    it = croniter(schedule, now)
    fires = [it.get_next(dt.datetime) for _ in range(8)]
    return max(b - a for a, b in zip(fires, fires[1:]))


@dataclass
class TableStatus:
    table: str
    tier: str
    published_at: str | None
    rows: int | None
    fingerprint: str | None
    age_s: float | None
    stale_after_s: float
    stale: bool


@dataclass
class TierStatus:
    tier: str
    last_end: str | None
    started_at: str | None
    duration_s: float | None
    result: str | None      # ok | failed | killed | None while running or never run
    running: bool
    failing: bool


def _iso(value) -> str | None:
    return None if value is None else f"{value:%Y-%m-%d %H:%M:%S}"


def status(conn, now: dt.datetime | None = None) -> tuple[list[TableStatus], list[TierStatus]]:
    now = now or dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    with conn.cursor() as cur:
        cur.execute(read_sql("stir.serving.sql", "meta.sql"))
        cur.execute(read_sql("stir.serving.sql", "status_tables.sql"))
        published = {row[0]: row[1:] for row in cur.fetchall()}
        cur.execute(read_sql("stir.serving.sql", "status_tiers.sql"))
        runs = {row[0]: row[1:] for row in cur.fetchall()}
    conn.rollback()
    tables = []
    for spec in SPECS.values():
        tier = spec.tiers[0]
        limit = 2 * period(TIERS_BY_NAME[tier].schedule, now)
        at, rows, fingerprint = published.get(spec.table, (None, None, None))
        age = (now - at).total_seconds() if at else None
        tables.append(TableStatus(spec.table, tier, _iso(at), rows, fingerprint, age, limit.total_seconds(),
                                  stale=age is None or age > limit.total_seconds()))
    tiers = []
    for tier in TIER_TABLE:
        run = runs.get(tier.name)
        if run is None:
            tiers.append(TierStatus(tier.name, None, None, None, None, False, False))
            continue
        run_end, started, finished, result, _, _ = run
        duration = ((finished or now) - started).total_seconds()
        tiers.append(TierStatus(tier.name, _iso(run_end), _iso(started), duration, result,
                                running=finished is None, failing=result in FAILED))
    return tables, tiers


def healthy(tables: list[TableStatus], tiers: list[TierStatus]) -> bool:
    return not any(t.stale for t in tables) and not any(t.failing for t in tiers)


def as_dict(tables, tiers) -> dict:
    return {"ok": healthy(tables, tiers), "tables": [asdict(t) for t in tables], "tiers": [asdict(t) for t in tiers]}
