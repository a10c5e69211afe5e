"""Frequency tiers. A tier runs the SQLMesh models tagged with its name and publishes the
serving tables whose spec lists it. `bin/run_tier TIER` runs one tier once; a timer calls it."""
from __future__ import annotations

from stir.errors import StirError
from stir.publish.specs import SPECS, PublishSpec

# Each tier's cadence, as the cron of its SQLMesh models (UTC): a model is due once per
# interval of its tier, so a `15min` model computes a new interval every 15 minutes and a
# `daily` one once a day. Models of the daily tier use the project default (@daily).
TIER_CRON = {
    "5min": "*/5 * * * *",
    "15min": "*/15 * * * *",
    "30min": "*/30 * * * *",
    "2h": "0 */2 * * *",
    "5h": "0 */5 * * *",
    "daily": "@daily",
    "weekly": "@weekly",
}
TIERS = tuple(TIER_CRON)


def check_tier(tier: str) -> str:
    if tier not in TIERS:
        raise StirError(f"unknown tier {tier!r}; the tiers are: {', '.join(TIERS)}")
    return tier


def model_selector(tier: str) -> str:
    """The SQLMesh selection of a tier's models: those tagged with the tier's name."""
    return f"tag:{check_tier(tier)}"


def publishes(tier: str) -> list[PublishSpec]:
    return [spec for spec in SPECS.values() if check_tier(tier) in spec.tiers]
