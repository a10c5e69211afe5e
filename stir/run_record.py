"""What a tier run's model step did, handed from the RunModels task (which may run in a
forked Luigi worker) to the process that reports the run: a small file per (tier, end)."""
from __future__ import annotations

import json
from pathlib import Path

from stir.settings import load_settings


def _path(tier: str, end: str) -> Path:
    stamp = end.replace("-", "").replace(":", "").replace(" ", "T")
    return load_settings().home / "runs" / f"{tier}-{stamp}.models.json"


def record_models(tier: str, end: str, ran: bool, restated: bool) -> None:
    path = _path(tier, end)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"ran": ran, "restated": restated}))


def read_models(tier: str, end: str) -> dict | None:
    """{'ran': bool, 'restated': bool}, or None when the model step did not finish."""
    path = _path(tier, end)
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    finally:
        path.unlink(missing_ok=True)
