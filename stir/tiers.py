"""Frequency tiers. A tier runs the SQLMesh models tagged with its name and publishes the
serving tables whose spec lists it. `bin/run_tier TIER` runs one tier once; a timer calls it."""
from __future__ import annotations

from stir.errors import StirError
from stir.publish.specs import SPECS, PublishSpec

TIERS = ("5min", "15min", "30min", "2h", "5h", "daily", "weekly")


def check_tier(tier: str) -> str:
    if tier not in TIERS:
        raise StirError(f"unknown tier {tier!r}; the tiers are: {', '.join(TIERS)}")
    return tier


def model_selector(tier: str) -> str:
    """The SQLMesh selection of a tier's models: those tagged with the tier's name."""
    return f"tag:{check_tier(tier)}"


def publishes(tier: str) -> list[PublishSpec]:
    return [spec for spec in SPECS.values() if check_tier(tier) in spec.tiers]
