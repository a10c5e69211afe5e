"""Frequency tiers, defined in one table. A tier runs the SQLMesh models tagged with its name
and publishes the serving tables whose spec lists it. `bin/run_tier TIER` runs one tier
once; `stir schedule` turns the table into a crontab or systemd timers that call it."""
from __future__ import annotations

from dataclasses import dataclass

from stir.errors import StirError
from stir.publish.specs import SPECS, PublishSpec


@dataclass(frozen=True)
class Tier:
    name: str
    models_cron: str    # the SQLMesh cron of its models: one interval per cadence step (UTC)
    schedule: str       # when a timer starts `bin/run_tier NAME` (cron expression, UTC)
    timeout_min: int    # a run longer than this is stopped by the timer
    retries: int        # a failed run is started again this many times, a minute apart


# Models' intervals end on their cron; the runs start a little after, so that a run finds
# its intervals complete. Daily at 19:00 as the legacy platform did; weekly on Sundays at
# 06:00 (the legacy `0 6 */7 * *` fired on days 1, 8, 15, 22 and 29 of each month).
TIER_TABLE = (
    Tier("5min", "*/5 * * * *", "*/5 * * * *", 4, 0),
    Tier("15min", "*/15 * * * *", "*/15 * * * *", 12, 0),
    Tier("30min", "*/30 * * * *", "*/30 * * * *", 25, 0),
    Tier("2h", "0 */2 * * *", "5 */2 * * *", 100, 1),
    Tier("5h", "0 */5 * * *", "10 */5 * * *", 240, 1),
    Tier("daily", "@daily", "0 19 * * *", 180, 1),
    Tier("weekly", "@weekly", "0 6 * * 0", 360, 1),
)
TIERS_BY_NAME = {tier.name: tier for tier in TIER_TABLE}
# The heavy batches. While one runs, a lighter tier's model run waits for it (the SQLMesh
# lock; heavy_guard = wait, the default) or the lighter run is skipped (heavy_guard = skip).
HEAVY_TIERS = ("daily", "weekly")
TIERS = tuple(TIERS_BY_NAME)
TIER_CRON = {tier.name: tier.models_cron for tier in TIER_TABLE}


def check_tier(tier: str) -> str:
    if tier not in TIERS:
        raise StirError(f"unknown tier {tier!r}; the tiers are: {', '.join(TIERS)}")
    return tier


def model_selector(tier: str) -> str:
    """The SQLMesh selection of a tier's models: those tagged with the tier's name."""
    return f"tag:{check_tier(tier)}"


def publishes(tier: str) -> list[PublishSpec]:
    return [spec for spec in SPECS.values() if check_tier(tier) in spec.tiers]
