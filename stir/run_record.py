"""What a tier run's model step did, kept in the run's own row of stir_meta.tier_runs (see
stir.tier_lock): the RunModels task may run in a forked Luigi worker, and the process that
reports the run reads it from there."""
from __future__ import annotations

import json

from stir.postgres import connected
from stir.sqlfiles import read_sql


def record_models(tier: str, end: str, ran: bool, restated: bool, failures: dict[str, str] | None = None) -> None:
    """`failures`: model -> error, for the models that failed or were skipped after a failure."""
    models = "restated" if restated else ("ran" if ran else "nothing due")
    with connected() as conn:
        with conn.cursor() as cur:
            cur.execute(read_sql("stir.serving.sql", "tier_run_models.sql"),
                        {"tier": tier, "end": end, "models": models, "failures": json.dumps(failures or {})})
        conn.commit()


def read_models(tier: str, end: str) -> dict | None:
    """{'ran': bool, 'restated': bool, 'failures': {model: error}}, or None when the model step
    did not finish."""
    with connected() as conn:
        with conn.cursor() as cur:
            cur.execute(read_sql("stir.serving.sql", "tier_run_models_read.sql"), {"tier": tier, "end": end})
            row = cur.fetchone()
        conn.rollback()
    if row is None or row[0] is None:
        return None
    return {"ran": row[0] != "nothing due", "restated": row[0] == "restated", "failures": row[1] or {}}


def not_computed(tier: str, end: str, models) -> dict[str, str]:
    """Those of `models` that failed or were skipped in the run of `tier` for `end`, with their
    error: a task reading them would act on their previous content."""
    failures = (read_models(tier, end) or {}).get("failures", {})
    return {model: failures[model] for model in models if model in failures}
